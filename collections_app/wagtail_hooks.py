from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.log_actions import LogFormatter
from wagtail.permissions import register_permission_policy

from .models import Document, Fonds, RecordFile, Series
from .permissions import ArchiveScopedPermissionPolicy

# Registered before the viewsets look their policies up.
for _model in (Fonds, Series, RecordFile, Document):
    register_permission_policy(_model, ArchiveScopedPermissionPolicy(_model))

from .viewsets import DescriptionViewSetGroup  # noqa: E402


@hooks.register("register_admin_viewset")
def register_description_viewsets():
    return DescriptionViewSetGroup()


@hooks.register("register_log_actions")
def register_description_log_actions(actions):
    @actions.register_action("collections_app.change")
    class ChangeAction(LogFormatter):
        label = _("Sửa nội dung")

        def format_message(self, log_entry):
            changes = log_entry.data.get("changes", [])
            return _("Đã sửa: %(fields)s") % {
                "fields": "; ".join(
                    f"{change['label']}: “{change['old']}” → “{change['new']}”" for change in changes
                )
            }

    @actions.register_action("collections_app.move")
    class MoveAction(LogFormatter):
        label = _("Chuyển mục lục")

        def format_message(self, log_entry):
            return _("Đã chuyển sang %(series)s: mã %(old)s → %(new)s") % {
                "series": log_entry.data.get("series", ""),
                "old": log_entry.data.get("old_code", ""),
                "new": log_entry.data.get("new_code", ""),
            }

    @actions.register_action("collections_app.publish_subtree")
    class PublishSubtreeAction(LogFormatter):
        label = _("Công bố cả nhánh")

        def format_message(self, log_entry):
            counts = log_entry.data.get("counts", {})
            return _("Đã công bố %(total)s bản ghi") % {"total": sum(counts.values())}


# Admin views that register their own hooks when imported: ingest (import, scans, digitization, OCR
# text), opening rules and reader grants, audit actions and the recycle bin, the read log report.
from . import audit, grants_admin, opening_admin, read_log_admin, recycle_bin  # noqa: E402,F401
from .ingest import digitization_admin, import_admin, scan_admin, text_admin  # noqa: E402,F401

# isort: split
# Preservation events and fixity failures (reports, dashboard panel); administrative-unit changes.
from . import preservation_admin, units_admin  # noqa: E402,F401

# isort: split
# Provincial mergers: dry run, ring-fencing, run and verification (transfers/merge_admin.py).
from .transfers import merge_admin  # noqa: E402,F401

# isort: split
# Handover records (biên bản giao nhận): signed PDF/A in two copies (transfers/handover_admin.py).
from .transfers import handover_admin  # noqa: E402,F401
