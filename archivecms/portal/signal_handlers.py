"""An archive's staff get their permissions on its page subtree when the page is created."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from wagtail.models import GroupPagePermission

from collections_app.models import Role

from .models import ArchivePage

PAGE_PERMISSIONS = {
    Role.ARCHIVIST: ("add_page", "change_page"),
    Role.LEADER: ("add_page", "change_page", "publish_page"),
}


@receiver(post_save, sender=ArchivePage)
def grant_page_permissions(sender, instance, raw=False, **kwargs):
    if raw or not instance.archive_id:
        return
    grant_archive_page_permissions(instance)


def grant_archive_page_permissions(page):
    from django.contrib.auth.models import Permission

    for archive_role in page.archive.roles.select_related("group"):
        for codename in PAGE_PERMISSIONS.get(archive_role.role, ()):
            GroupPagePermission.objects.get_or_create(
                group=archive_role.group,
                page=page,
                permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
            )
