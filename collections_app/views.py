"""Admin views for the description levels, each confined to the archives of the signed-in user."""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log

from . import access, audit, codes, publication, recycle_bin
from .forms import MoveFileForm
from .models import RecordFile
from .paging import AdminFarPagePaginator, FarPagePaginator
from .transfers import freeze

CHILDREN_PER_PAGE = 50


class ScopedObjectMixin:
    """Fetch the object only from the user's archives: another archive's record is a 404."""

    def get_scoped_queryset(self):
        return access.admin_queryset(self.request.user, self.model)

    def get_object(self, queryset=None):
        if getattr(self, "object", None) is not None:
            return self.object
        pk = self.kwargs.get(getattr(self, "pk_url_kwarg", "pk"))
        return get_object_or_404(self.get_scoped_queryset(), pk=str(pk))


class ScopedIndexView(IndexView):
    related = ()
    default_ordering = "-id"
    paginator_class = AdminFarPagePaginator

    def get_base_queryset(self):
        for archive in freeze.frozen_archives(access.admin_archives(self.request.user).values("pk")):
            freeze.warn_if_frozen(self.request, archive)
        return access.admin_queryset(self.request.user, self.model).select_related(*self.related)

    def get_delete_url(self, instance):
        if self.permission_policy.user_has_permission_for_instance(self.request.user, "delete", instance):
            return super().get_delete_url(instance)
        return None


class DeletedCodeMixin:
    """A code refused because a record in the recycle bin holds it says so."""

    def form_invalid(self, form):
        explain_code_held_by_deleted_record(form)
        return super().form_invalid(form)


class ScopedCreateView(freeze.RefuseCreateWhenFrozenMixin, DeletedCodeMixin, CreateView):
    parent_field = None

    def get_initial(self):
        initial = super().get_initial()
        if self.parent_field and (parent_pk := self.request.GET.get(self.parent_field)):
            model = self.model._meta.get_field(self.parent_field).related_model
            parent = access.admin_queryset(self.request.user, model).filter(pk=parent_pk).first()
            if parent is not None:
                initial[self.parent_field] = parent.pk
                if self.parent_field == "series":
                    initial["fonds"] = parent.fonds_id
        return initial


class ScopedSingleObjectMixin(ScopedObjectMixin):
    def get_queryset(self):
        return self.get_scoped_queryset()


class AuditedEditView(freeze.RefuseEditWhenFrozenMixin, DeletedCodeMixin, ScopedSingleObjectMixin, EditView):
    """Edits are logged with the fields that changed, old and new values (see ``audit``)."""

    def save_instance(self):
        changes = audit.describe_changes(self.form)
        instance = super().save_instance()
        audit.log_changes(instance, changes, self.request.user)
        return instance


class ScopedInspectView(ScopedObjectMixin, InspectView):
    template_name = "collections_app/admin/inspect.html"
    children_relation = None
    children_ordering = ("id",)
    child_add_url_name = None
    child_parent_field = None
    url_namespace = None

    def get_breadcrumbs_items(self):
        finder = AdminURLFinder(self.request.user)
        items = super().get_breadcrumbs_items()[:-1]
        ancestors = list(reversed(access.parents_of(self.object)))
        trail = [{"url": finder.get_edit_url(node) or "", "label": str(node)} for node in ancestors]
        return items[:1] + trail + [{"url": "", "label": str(self.object)}]

    @property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        user = self.request.user
        policy = self.permission_policy
        if self.child_add_url_name and policy_allows(user, self.children_model, "add"):
            buttons.append(
                Button(
                    _("Thêm %(level)s") % {"level": self.children_model._meta.verbose_name},
                    url=f"{reverse(self.child_add_url_name)}?{self.child_parent_field}={self.object.pk}",
                    icon_name="plus",
                    priority=5,
                )
            )
        if policy.user_has_permission_for_instance(user, "publish", self.object):
            buttons.append(
                Button(
                    _("Công bố cả nhánh"),
                    url=reverse(f"{self.url_namespace}:publish", args=[self.object.pk]),
                    icon_name="upload",
                    priority=30,
                )
            )
        if isinstance(self.object, RecordFile) and policy.user_has_permission_for_instance(
            user, "change", self.object
        ):
            buttons.append(
                Button(
                    _("Chuyển mục lục"),
                    url=reverse(f"{self.url_namespace}:move", args=[self.object.pk]),
                    icon_name="resubmit",
                    priority=25,
                )
            )
        from .ingest.scan_admin import upload_buttons

        buttons.extend(upload_buttons(user, self.object))
        from .ingest.digitization_admin import digitization_buttons

        buttons.extend(digitization_buttons(user, self.object))
        from .preservation_admin import events_buttons

        buttons.extend(events_buttons(user, self.object))
        buttons.append(
            Button(
                _("Lịch sử"),
                url=reverse(f"{self.url_namespace}:history", args=[self.object.pk]),
                icon_name="history",
                priority=40,
            )
        )
        return buttons

    def get_delete_url(self):
        if self.permission_policy.user_has_permission_for_instance(self.request.user, "delete", self.object):
            return super().get_delete_url()
        return None

    @property
    def children_model(self):
        return getattr(self.object, self.children_relation).model

    def get_context_data(self, **kwargs):
        freeze.warn_if_frozen(self.request, self.object.archive_id)
        context = super().get_context_data(**kwargs)
        if self.children_relation:
            children = access.listable(self.request.user, getattr(self.object, self.children_relation).all())
            children = children.order_by(*self.children_ordering)
            page = FarPagePaginator(children, CHILDREN_PER_PAGE).get_page(self.request.GET.get("p"))
            finder = AdminURLFinder(self.request.user)
            context["children_page"] = page
            context["children_rows"] = [(child, finder.get_edit_url(child)) for child in page]
            context["children_label"] = self.children_model._meta.verbose_name_plural
        context["aliases"] = codes.aliases_of(self.object)
        from .ingest.scan_admin import record_scans_context

        context.update(record_scans_context(self.request, self.object))
        return context


class SoftDeleteView(freeze.RefuseEditWhenFrozenMixin, ScopedSingleObjectMixin, DeleteView):
    """Moves the record and everything below it to the recycle bin, with a reason.

    Only the archive's leaders and the national administrators may; anyone else is sent back to
    the record with a message saying who can.
    """

    template_name = "collections_app/admin/soft_delete.html"
    form_class = recycle_bin.SoftDeleteForm
    page_title = gettext_lazy("Xóa vào thùng rác")

    def dispatch(self, request, *args, **kwargs):
        if not self.permission_policy.user_has_permission_for_instance(request.user, "delete", self.object):
            messages.error(
                request,
                _(
                    "Chỉ lãnh đạo của cơ quan lưu trữ hoặc quản trị hệ thống mới được xóa “%(record)s”. "
                    "Hãy đề nghị lãnh đạo đơn vị xóa nếu bản ghi cần xóa."
                )
                % {"record": self.object},
            )
            # As Wagtail answers any refusal: back to the dashboard, where the message shows.
            return redirect(reverse("wagtailadmin_home"))
        return super().dispatch(request, *args, **kwargs)

    def record_url(self):
        namespace = self.index_url_name.rpartition(":")[0]
        return reverse(f"{namespace}:inspect", args=[self.object.pk])

    def get_usage_url(self):
        # References are irrelevant to a soft delete: the rows and their links all stay.
        return None

    def form_valid(self, form):
        try:
            counts = recycle_bin.soft_delete(self.object, self.request.user, form.cleaned_data["reason"])
        except recycle_bin.AlreadyDeleted:
            messages.error(self.request, _("“%(record)s” đã bị xóa trước đó.") % {"record": self.object})
            return redirect(self.get_success_url())
        messages.success(
            self.request,
            _(
                "Đã chuyển “%(record)s” cùng %(total)s bản ghi vào thùng rác. Lãnh đạo cơ quan lưu trữ "
                "có thể khôi phục trong mục Thùng rác."
            )
            % {"record": self.object, "total": sum(counts.values())},
        )
        return redirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_url"] = self.record_url()
        context["subtree_counts"] = [
            (model._meta.verbose_name, queryset.filter(deleted_at__isnull=True).count())
            for model, queryset in publication.subtree_querysets(self.object).items()
        ]
        return context


class ScopedHistoryView(ScopedObjectMixin, HistoryView):
    """The history of a record, also of one in the recycle bin for those who may restore it."""

    def get_scoped_queryset(self):
        user = self.request.user
        queryset = access.admin_queryset(user, self.model)
        if recycle_bin.soft_deletes(self.model):
            queryset |= access.deleted_queryset(user, self.model)
        return queryset

    @cached_property
    def header_buttons(self):
        # A record in the recycle bin cannot be edited until it is restored.
        return [] if getattr(self.object, "deleted_at", None) else super().header_buttons


class ScopedUsageView(ScopedObjectMixin, UsageView):
    pass


def policy_allows(user, model, action):
    from wagtail.permissions import policy_registry

    return policy_registry.get_by_type(model).user_has_permission(user, action)


def explain_code_held_by_deleted_record(form):
    if not form.has_error(NON_FIELD_ERRORS, "duplicate_code"):
        return
    try:
        code = form.instance.compute_reference_code()
    except (AttributeError, ValueError, TypeError, ObjectDoesNotExist):
        return
    owner = recycle_bin.deleted_code_owner(code)
    if owner is not None:
        form.add_error(
            None,
            _(
                "Mã “%(code)s” thuộc bản ghi “%(record)s” đã bị xóa vào thùng rác. Mã tham chiếu không "
                "được dùng lại: hãy đề nghị lãnh đạo khôi phục bản ghi đó, hoặc chọn mã khác."
            )
            % {"code": code, "record": owner},
        )


def scoped_record_or_404(request, model, pk, action):
    record = get_object_or_404(access.admin_queryset(request.user, model), pk=pk)
    from wagtail.permissions import policy_registry

    if not policy_registry.get_by_type(model).user_has_permission_for_instance(request.user, action, record):
        raise PermissionDenied
    return record


def move_file_view(request, pk, url_namespace):
    file = scoped_record_or_404(request, RecordFile, pk, "change")
    if refused := freeze.refusal(file.archive_id):
        messages.error(request, refused)
        return redirect(reverse(f"{url_namespace}:inspect", args=[file.pk]))
    form = MoveFileForm(request.POST or None, file=file)
    # A series in the recycle bin is no destination.
    target_field = form.fields["target_series"]
    target_field.queryset = target_field.queryset & access.admin_queryset(
        request.user, target_field.queryset.model
    )
    if request.method == "POST" and form.is_valid():
        old_code = file.reference_code
        try:
            codes.move_file(file, form.cleaned_data["target_series"])
        except ValidationError as error:
            form.add_error("target_series", error)
        else:
            log(
                file,
                "collections_app.move",
                user=request.user,
                data={"old_code": old_code, "new_code": file.reference_code, "series": str(file.series)},
            )
            messages.success(
                request,
                _("Đã chuyển hồ sơ. Mã mới: %(new)s; mã cũ %(old)s vẫn dùng được.")
                % {"new": file.reference_code, "old": old_code},
            )
            return redirect(reverse(f"{url_namespace}:inspect", args=[file.pk]))
    return TemplateResponse(
        request,
        "collections_app/admin/move_file.html",
        {
            "record": file,
            "form": form,
            "page_title": _("Chuyển hồ sơ sang mục lục khác"),
            "inspect_url": reverse(f"{url_namespace}:inspect", args=[file.pk]),
        },
    )


def publish_subtree_view(request, pk, model, url_namespace):
    record = scoped_record_or_404(request, model, pk, "publish")
    if refused := freeze.refusal(record.archive_id):
        messages.error(request, refused)
        return redirect(reverse(f"{url_namespace}:inspect", args=[record.pk]))
    counts = publication.count_subtree(record)
    if request.method == "POST":
        counts = publication.publish_subtree(record)
        log(record, "collections_app.publish_subtree", user=request.user, data={"counts": counts})
        messages.success(request, _("Đã công bố %(total)s bản ghi.") % {"total": sum(counts.values())})
        return redirect(reverse(f"{url_namespace}:inspect", args=[record.pk]))
    return TemplateResponse(
        request,
        "collections_app/admin/publish_subtree.html",
        {
            "record": record,
            "counts": counts,
            "page_title": _("Công bố cả nhánh"),
            "inspect_url": reverse(f"{url_namespace}:inspect", args=[record.pk]),
        },
    )
