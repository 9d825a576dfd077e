"""Soft delete of description records, and the recycle bin where leaders restore them.

Deleting a record marks it and everything below it (a fonds: its series, files and documents; a
file: its documents) with one ``deleted_at``, ``deleted_by`` and reason. Every reader then stops
seeing them (``access`` filters ``deleted_at``); scans stay stored and reference codes stay taken.
Restoring brings back the record and what was deleted with it: the rows carrying the same
``deleted_at``. Nothing is destroyed from here.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.log_actions import log

from . import access, codes, preservation, publication
from .models import Document, EventType, Fonds, RecordFile, Series
from .transfers import freeze

LEVELS = {"fonds": Fonds, "series": Series, "recordfile": RecordFile, "document": Document}
ROWS_PER_LEVEL = 500
ROWS_PER_PAGE = 50

# For each level, the paths to its ancestors: a row deleted together with an ancestor carries the
# ancestor's ``deleted_at`` and is not listed on its own.
ANCESTOR_PATHS = {
    Fonds: (),
    Series: ("fonds",),
    RecordFile: ("fonds", "series"),
    Document: ("file", "file__fonds", "file__series"),
}


class SoftDeleteForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do xóa"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Ghi rõ vì sao xóa (ví dụ: nhập trùng, nhập nhầm phông). Bản ghi được chuyển vào "
            "thùng rác và có thể khôi phục."
        ),
        error_messages={"required": gettext_lazy("Hãy ghi lý do xóa để có thể tra cứu về sau.")},
    )


class RestoreRefused(Exception):
    pass


class AlreadyDeleted(Exception):
    pass


def level_of(record):
    return type(record)._meta.model_name


def soft_delete(record, user, reason):
    """Mark ``record`` and its live descendants deleted; return ``{level: count}``."""
    values = {"deleted_at": timezone.now(), "deleted_by": user, "delete_reason": reason[:300]}
    with transaction.atomic():
        counts = {}
        for model, queryset in publication.subtree_querysets(record).items():
            counts[model._meta.model_name] = queryset.filter(deleted_at__isnull=True).update(**values)
            if model is type(record) and not counts[model._meta.model_name]:
                raise AlreadyDeleted
        log(record, "collections_app.soft_delete", user=user, data={"reason": reason, "counts": counts})
        preservation.record_event(
            EventType.DELETION,
            archive=record.archive,
            record=record,
            detail=_("Xóa vào thùng rác %(total)s bản ghi. Lý do: %(reason)s")
            % {"total": sum(counts.values()), "reason": reason},
            agent=user,
        )
    return counts


def deleted_ancestor(record):
    """The nearest ancestor that is itself in the recycle bin, or None."""
    return next((parent for parent in access.parents_of(record) if parent.deleted_at), None)


def restorable_counts(record):
    """``{level: count}`` of the rows deleted together with ``record``."""
    return {
        model._meta.model_name: queryset.filter(deleted_at=record.deleted_at).count()
        for model, queryset in publication.subtree_querysets(record).items()
    }


def restore(record, user):
    """Bring back ``record`` and what was deleted with it; return ``{level: count}``."""
    parent = deleted_ancestor(record)
    if parent is not None:
        raise RestoreRefused(
            _(
                "“%(parent)s” (cấp trên của bản ghi này) cũng đang ở thùng rác. "
                "Trước hết hãy khôi phục “%(parent)s”."
            )
            % {"parent": parent}
        )
    deleted_at, reason = record.deleted_at, record.delete_reason
    with transaction.atomic():
        counts = {
            model._meta.model_name: queryset.filter(deleted_at=deleted_at).update(
                deleted_at=None, deleted_by=None, delete_reason=""
            )
            for model, queryset in publication.subtree_querysets(record).items()
        }
        record.refresh_from_db()
        log(
            record,
            "collections_app.restore",
            user=user,
            data={"reason": reason, "deleted_at": deleted_at.isoformat(), "counts": counts},
        )
    return counts


def deletion_roots(user, model):
    """Rows the user may restore that were deleted on their own, not along with an ancestor."""
    queryset = access.deleted_queryset(user, model)
    for ancestor in ANCESTOR_PATHS[model]:
        queryset = queryset.exclude(Q(**{f"{ancestor}__deleted_at": F("deleted_at")}))
    return queryset


def deleted_code_owner(code):
    """The soft-deleted record that still holds ``code``, or None."""
    owner = codes.reference_code_owner(code)
    if owner is None:
        return None
    model, pk = owner
    return model._default_manager.filter(pk=pk, deleted_at__isnull=False).first()


def soft_deletes(model):
    """Whether the model's rows go to the recycle bin (the description levels) or not."""
    return model in LEVELS.values()


def may_use_recycle_bin(user):
    return access.is_national_admin(user) or bool(access.led_archive_ids(user))


# Admin views ------------------------------------------------------------------------------------


def recycle_bin_index(request):
    if not may_use_recycle_bin(request.user):
        raise PermissionDenied
    rows = []
    for level, model in LEVELS.items():
        roots = deletion_roots(request.user, model).select_related("deleted_by", "archive")
        for record in roots.order_by("-deleted_at")[:ROWS_PER_LEVEL]:
            rows.append(
                {
                    "record": record,
                    "level": model._meta.verbose_name,
                    "restore_url": reverse("recycle_bin_restore", args=[level, record.pk]),
                    "history_url": reverse(f"{level}:history", args=[record.pk]),
                }
            )
    rows.sort(key=lambda row: row["record"].deleted_at, reverse=True)
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "collections_app/admin/recycle_bin.html",
        {"page_title": _("Thùng rác"), "page": page, "rows": page.object_list},
    )


def restore_view(request, level, pk):
    model = LEVELS.get(level)
    if model is None or not may_use_recycle_bin(request.user):
        raise PermissionDenied
    record = get_object_or_404(
        access.deleted_queryset(request.user, model).select_related("deleted_by"), pk=pk
    )
    if request.method == "POST" and (refused := freeze.refusal(record.archive_id)):
        messages.error(request, refused)
        return redirect("recycle_bin")
    if request.method == "POST":
        try:
            counts = restore(record, request.user)
        except RestoreRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("recycle_bin")
        messages.success(
            request,
            _("Đã khôi phục “%(record)s” cùng %(total)s bản ghi.")
            % {"record": record, "total": sum(counts.values())},
        )
        return redirect(reverse(f"{level}:inspect", args=[record.pk]))
    return TemplateResponse(
        request,
        "collections_app/admin/recycle_bin_restore.html",
        {
            "page_title": _("Khôi phục từ thùng rác"),
            "record": record,
            "level": model._meta.verbose_name,
            "counts": [
                (LEVELS[name]._meta.verbose_name, count) for name, count in restorable_counts(record).items()
            ],
            "blocking_parent": deleted_ancestor(record),
        },
    )


@hooks.register("register_admin_urls")
def register_recycle_bin_urls():
    return [
        path("thung-rac/", recycle_bin_index, name="recycle_bin"),
        path("thung-rac/<str:level>/<int:pk>/khoi-phuc/", restore_view, name="recycle_bin_restore"),
    ]


class RecycleBinMenuItem(MenuItem):
    def is_shown(self, request):
        return may_use_recycle_bin(request.user)


@hooks.register("register_admin_menu_item")
def register_recycle_bin_menu_item():
    return RecycleBinMenuItem(
        gettext_lazy("Thùng rác"), reverse("recycle_bin"), icon_name="bin", order=900, name="recycle-bin"
    )
