"""The audit trail of the archive in Wagtail's log: field changes, role changes, deletes and restores,
imports.

Everything is written with ``wagtail.log_actions.log`` so it shows in each record's history page and
in the site history report, with the user and the time.
"""

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter, get_active_log_context, log

from . import access
from .models import NATIONAL_ADMIN_GROUP, ArchiveRole

ACCESS_FIELDS = ("access_regime", "opening_date", "access_reason")


# Field changes ----------------------------------------------------------------------------------


def describe_changes(form):
    """``[{"field", "label", "old", "new"}]`` for each field the form changed, values as shown."""
    changes = []
    for name in form.changed_data:
        field = form.fields.get(name)
        changes.append(
            {
                "field": name,
                "label": str(field.label if field else name),
                "old": display_value(field, form.initial.get(name)),
                "new": display_value(field, form.cleaned_data.get(name)),
            }
        )
    return changes


def log_changes(instance, changes, user):
    """One entry for a change of access regime, opening date or reason; one for the other fields."""
    access_changes = [change for change in changes if change["field"] in ACCESS_FIELDS]
    other_changes = [change for change in changes if change["field"] not in ACCESS_FIELDS]
    if access_changes:
        log(instance, "collections_app.access_change", user=user, data={"changes": access_changes})
        record_access_change(instance, access_changes, user)
    if other_changes:
        log(instance, "collections_app.change", user=user, data={"changes": other_changes})


def record_access_change(instance, access_changes, user):
    from . import preservation
    from .models import EventType

    preservation.record_event(
        EventType.ACCESS_CHANGE,
        archive=instance.archive,
        record=instance,
        detail="; ".join(
            f"{change['label']}: “{change['old']}” → “{change['new']}”" for change in access_changes
        ),
        agent=user,
    )


def display_value(field, value):
    if value is None or value == "":
        return ""
    if hasattr(value, "all"):
        return ", ".join(str(item) for item in value.all())
    queryset = getattr(field, "queryset", None)
    if queryset is not None:
        return _objects_display(queryset, value)
    labels = _choice_labels(field)
    if isinstance(value, list | tuple):
        return ", ".join(str(labels.get(str(item), item)) for item in value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    return str(labels.get(str(value), value))


def _objects_display(queryset, value):
    """Initial values of model choice fields are primary keys; show the objects they name."""
    values = value if isinstance(value, list | tuple) else [value]
    shown = []
    for item in values:
        if hasattr(item, "_meta"):
            shown.append(str(item))
        else:
            found = queryset.model._default_manager.filter(pk=item).first()
            shown.append(str(found) if found is not None else str(item))
    return ", ".join(shown)


def _choice_labels(field):
    labels = {}
    for value, label in getattr(field, "choices", None) or ():
        if isinstance(label, list | tuple):
            labels.update({str(inner): str(inner_label) for inner, inner_label in label})
        else:
            labels[str(value)] = f"{value} – {label}" if value else str(label)
    return labels


# Imports ----------------------------------------------------------------------------------------


def log_import(job):
    """The log entry and the PREMIS ingestion event of an import that wrote its records."""
    from . import preservation
    from .models import EventType

    data = {
        "archive": job.archive.code,
        "file": job.original_name,
        "sha256": job.sha256,
        "rows": job.total_rows,
        "created": job.created_count,
        "updated": job.updated_count,
    }
    log(job, "collections_app.import", user=job.started_by, data=data)
    preservation.record_event(
        EventType.INGESTION,
        archive=job.archive,
        object_identifier=f"sha256:{job.sha256}",
        detail=_import_message(data),
        agent=job.started_by,
    )


def _import_message(data):
    return _("Nhập tệp “%(file)s”: %(created)s bản ghi mới, %(updated)s bản ghi cập nhật.") % data


# Role changes -----------------------------------------------------------------------------------


def role_of_group(group):
    """``{"group", "archive", "role"}`` for a group that carries a role, or None for any other group."""
    archive_role = ArchiveRole.objects.filter(group=group).select_related("archive").first()
    if archive_role is not None:
        return {
            "group": group.name,
            "group_id": group.pk,
            "archive": archive_role.archive.name,
            "archive_id": archive_role.archive_id,
            "role": archive_role.role,
            "role_label": str(archive_role.get_role_display()),
        }
    if group.name == NATIONAL_ADMIN_GROUP:
        return {
            "group": group.name,
            "group_id": group.pk,
            "archive": "",
            "archive_id": None,
            "role": "national_admin",
            "role_label": str(_("Quản trị hệ thống")),
        }
    return None


def log_role_changes(user, group_ids, added):
    """Log, on the user, each role group given or taken; the actor is the admin user of the request."""
    actor = get_active_log_context().user
    action = "collections_app.role_added" if added else "collections_app.role_removed"
    for group in Group.objects.filter(pk__in=group_ids).order_by("name"):
        role = role_of_group(group)
        if role is not None:
            log(user, action, user=actor, data=role)


# Formatters -------------------------------------------------------------------------------------


def _changes_message(log_entry):
    return "; ".join(
        f"{change['label']}: “{change['old']}” → “{change['new']}”"
        for change in log_entry.data.get("changes", [])
    )


def _counts_total(log_entry):
    return sum(log_entry.data.get("counts", {}).values())


@hooks.register("register_log_actions")
def register_audit_log_actions(actions):
    @actions.register_action("collections_app.access_change")
    class AccessChangeAction(LogFormatter):
        label = _("Đổi chế độ sử dụng")

        def format_message(self, log_entry):
            return _("Đổi chế độ sử dụng: %(changes)s") % {"changes": _changes_message(log_entry)}

    @actions.register_action("collections_app.soft_delete")
    class SoftDeleteAction(LogFormatter):
        label = _("Xóa (vào thùng rác)")

        def format_message(self, log_entry):
            return _("Đã xóa vào thùng rác %(total)s bản ghi. Lý do: %(reason)s") % {
                "total": _counts_total(log_entry),
                "reason": log_entry.data.get("reason", ""),
            }

    @actions.register_action("collections_app.restore")
    class RestoreAction(LogFormatter):
        label = _("Khôi phục từ thùng rác")

        def format_message(self, log_entry):
            return _("Đã khôi phục %(total)s bản ghi (đã xóa vì: %(reason)s)") % {
                "total": _counts_total(log_entry),
                "reason": log_entry.data.get("reason", ""),
            }

    @actions.register_action("collections_app.import")
    class ImportAction(LogFormatter):
        label = _("Nhập từ tệp")

        def format_message(self, log_entry):
            return _import_message(log_entry.data)

    @actions.register_action("collections_app.role_added")
    class RoleAddedAction(LogFormatter):
        label = _("Giao vai trò")

        def format_message(self, log_entry):
            return _("Được giao vai trò: %(group)s") % {"group": log_entry.data.get("group", "")}

    @actions.register_action("collections_app.role_removed")
    class RoleRemovedAction(LogFormatter):
        label = _("Thu hồi vai trò")

        def format_message(self, log_entry):
            return _("Bị thu hồi vai trò: %(group)s") % {"group": log_entry.data.get("group", "")}


# The site-wide history report ---------------------------------------------------------------------


def may_see_site_history(user):
    """Wagtail's site history lists every archive's log; archive staff read each record's history."""
    return access.is_national_admin(user)


@hooks.register("construct_reports_menu")
def hide_site_history_from_archive_staff(request, menu_items):
    if not may_see_site_history(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "site-history"]


class SiteHistoryScopeMiddleware:
    """Keeps Wagtail's site history report (all archives' titles and actions) to national admins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and self._is_site_history(request.path) and not may_see_site_history(user):
            raise PermissionDenied
        return self.get_response(request)

    @staticmethod
    def _is_site_history(path):
        return path.startswith(reverse("wagtailadmin_reports:site_history"))
