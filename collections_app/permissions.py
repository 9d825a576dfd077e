"""Wagtail permission policy for description records: model permissions, within one's archives."""

from wagtail.permission_policies import ModelPermissionPolicy

from . import access


class ArchiveScopedPermissionPolicy(ModelPermissionPolicy):
    """A user's model permissions apply only to records of the archives whose staff they are.

    Deleting (a soft delete, see ``recycle_bin``) is further kept to the archive's leaders and the
    national administrators, whatever other archive the user leads.
    """

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if action == "delete":
            return access.is_leader_of(user, instance.archive_id)
        return access.is_staff_of(user, instance.archive_id)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return self.model._default_manager.none()
        queryset = access.admin_queryset(user, self.model)
        if action == "delete" and not access.is_national_admin(user):
            queryset = queryset.filter(archive_id__in=access.led_archive_ids(user))
        return queryset

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return access.admin_queryset(user, self.model)
