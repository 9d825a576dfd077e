from django.contrib.auth import get_user_model
from django.db.models.signals import m2m_changed, post_migrate, post_save
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
    for label in ("collections_app", "wagtailadmin", "wagtailcore", "auth", "wagtailusers"):
        create_permissions(apps.get_app_config(label), verbosity=0)
    ensure_national_admin_group()


@receiver(post_migrate)
def refresh_sqlite_statistics(sender, app_config=None, **kwargs):
    """An upgraded SQLite database that holds documents gets the statistics it never gathered.

    Not an empty one: statistics of empty tables would tell the planner they stay empty.
    """
    if app_config is None or app_config.label != "collections_app":
        return
    from .bulk import refresh_planner_statistics
    from .models import Document

    if Document.objects.exists():
        refresh_planner_statistics()


@receiver(m2m_changed, sender=get_user_model().groups.through)
def log_role_changes(sender, instance, action, reverse, pk_set, **kwargs):
    """Giving or taking a role group (from either side of User.groups) is logged on the user."""
    from .audit import log_role_changes as log_changes

    if action == "pre_clear":
        # Clearing sends no primary keys: remember what is about to go.
        related = instance.user_set if reverse else instance.groups
        instance._groups_before_clear = set(related.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_groups_before_clear", set())
        instance.__dict__.pop("_groups_before_clear", None)
        action = "post_remove"
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    added = action == "post_add"
    if not reverse:
        log_changes(instance, pk_set, added)
        return
    for user in get_user_model().objects.filter(pk__in=pk_set):
        log_changes(user, [instance.pk], added)
