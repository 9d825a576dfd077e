"""Wagtail permission policy for description records: model permissions, within one's archives."""

from wagtail.permission_policies import ModelPermissionPolicy

from . import access


class ArchiveScopedPermissionPolicy(ModelPermissionPolicy):
    """A user's model permissions apply only to records of the archives whose staff they are."""

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and access.is_staff_of(user, instance.archive_id)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        if not self.user_has_permission(user, action):
            return self.model._default_manager.none()
        return access.admin_queryset(user, self.model)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return access.admin_queryset(user, self.model)
