"""The staff roles of each provincial archive, as Wagtail groups with their permissions.

Permissions are granted at one node per archive (its groups, its page subtree, its collection),
never per record: Wagtail's permission queries grow with the number of grants.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission

from .models import NATIONAL_ADMIN_GROUP, ArchiveRole, Role

DESCRIPTION_MODEL_NAMES = ("fonds", "series", "recordfile", "document")

ROLE_ACTIONS = {
    Role.ARCHIVIST: ("add", "change", "view", "publish"),
    Role.READING_ROOM: ("view",),
    Role.LEADER: ("add", "change", "view", "publish", "delete"),
}

ROLE_COLLECTION_ACTIONS = {
    Role.ARCHIVIST: ("add_document", "change_document", "choose_document"),
    Role.READING_ROOM: ("choose_document",),
    Role.LEADER: ("add_document", "change_document", "delete_document", "choose_document"),
}


def group_name(role, archive):
    return f"{Role(role).label} – {archive.name}"


def description_permissions(actions):
    codenames = [f"{action}_{model}" for action in actions for model in DESCRIPTION_MODEL_NAMES]
    return Permission.objects.filter(content_type__app_label="collections_app", codename__in=codenames)


def admin_access_permission():
    return Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")


@transaction.atomic
def ensure_archive_roles(archive):
    """Create (or repair) the three role groups of an archive and its file collection."""
    if archive.collection_id is None:
        archive.collection = Collection.get_first_root_node().add_child(name=archive.name)
        type(archive).objects.filter(pk=archive.pk).update(collection=archive.collection)
    access_admin = admin_access_permission()
    for role in Role:
        archive_role = ArchiveRole.objects.filter(archive=archive, role=role).select_related("group").first()
        if archive_role is None:
            group, _created = Group.objects.get_or_create(name=group_name(role, archive))
            archive_role = ArchiveRole.objects.create(archive=archive, role=role, group=group)
        group = archive_role.group
        expected_name = group_name(role, archive)
        if group.name != expected_name:
            group.name = expected_name
            group.save(update_fields=["name"])
        group.permissions.add(access_admin, *description_permissions(ROLE_ACTIONS[role]))
        _grant_collection_permissions(group, archive.collection, ROLE_COLLECTION_ACTIONS[role])
    return archive.roles.all()


def _grant_collection_permissions(group, collection, codenames):
    for permission in Permission.objects.filter(
        content_type__app_label="wagtaildocs", codename__in=codenames
    ):
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=permission
        )


def ensure_national_admin_group():
    group, _created = Group.objects.get_or_create(name=NATIONAL_ADMIN_GROUP)
    actions = ("add", "change", "view", "publish", "delete")
    group.permissions.add(admin_access_permission(), *description_permissions(actions))
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["auth", "wagtailusers", "wagtailcore"],
        )
    )
    return group


def role_group(archive, role):
    return ArchiveRole.objects.get(archive=archive, role=role).group
