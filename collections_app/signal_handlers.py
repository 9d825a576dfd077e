from django.db.models.signals import post_migrate, post_save
from django.dispatch import receiver

from .models import Archive


@receiver(post_save, sender=Archive)
def create_archive_roles(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from .roles import ensure_archive_roles

    ensure_archive_roles(instance)


@receiver(post_migrate)
def create_national_admin_group(sender, app_config=None, **kwargs):
    if app_config is None or app_config.label != "collections_app":
        return
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from .roles import ensure_national_admin_group

    # This app's receiver runs before auth's, so make sure the permissions exist first.
    for label in ("collections_app", "wagtailadmin", "wagtailcore"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    ensure_national_admin_group()
