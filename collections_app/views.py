"""Admin views for the description levels, each confined to the archives of the signed-in user."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView, InspectView
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log

from . import access, codes, publication
from .forms import MoveFileForm
from .models import RecordFile
from .paging import AdminFarPagePaginator, FarPagePaginator

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
        return access.admin_queryset(self.request.user, self.model).select_related(*self.related)


class ScopedCreateView(CreateView):
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


class AuditedEditView(ScopedSingleObjectMixin, EditView):
    """Edits are logged with the fields that changed, old and new values."""

    def save_instance(self):
        changes = describe_changes(self.form)
        instance = super().save_instance()
        if changes:
            log(instance, "collections_app.change", user=self.request.user, data={"changes": changes})
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
        buttons.append(
            Button(
                _("Lịch sử"),
                url=reverse(f"{self.url_namespace}:history", args=[self.object.pk]),
                icon_name="history",
                priority=40,
            )
        )
        return buttons

    @property
    def children_model(self):
        return getattr(self.object, self.children_relation).model

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.children_relation:
            children = getattr(self.object, self.children_relation).all()
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


class ScopedDeleteView(ScopedSingleObjectMixin, DeleteView):
    """Refuses, with the reason, to delete a record that still has children."""

    def form_valid(self, form):
        if publication.has_children(self.object):
            return self.refuse_with_children()
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except ProtectedError:
            return self.refuse_with_children()

    def refuse_with_children(self):
        messages.error(
            self.request,
            _("Không thể xóa “%(record)s” vì còn bản ghi con. Hãy chuyển hoặc xóa các bản ghi con trước.")
            % {"record": self.object},
        )
        return redirect(reverse(self.index_url_name))


class ScopedHistoryView(ScopedObjectMixin, HistoryView):
    pass


class ScopedUsageView(ScopedObjectMixin, UsageView):
    pass


def policy_allows(user, model, action):
    from wagtail.permissions import policy_registry

    return policy_registry.get_by_type(model).user_has_permission(user, action)


def describe_changes(form):
    """``[{"field", "label", "old", "new"}]`` for each field the form changed."""
    changes = []
    for name in form.changed_data:
        field = form.fields.get(name)
        old = form.initial.get(name)
        new = form.cleaned_data.get(name)
        changes.append(
            {
                "field": name,
                "label": str(field.label if field else name),
                "old": _display(old),
                "new": _display(new),
            }
        )
    return changes


def _display(value):
    if value is None:
        return ""
    if hasattr(value, "all"):
        return ", ".join(str(item) for item in value.all())
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def scoped_record_or_404(request, model, pk, action):
    record = get_object_or_404(access.admin_queryset(request.user, model), pk=pk)
    from wagtail.permissions import policy_registry

    if not policy_registry.get_by_type(model).user_has_permission_for_instance(request.user, action, record):
        raise PermissionDenied
    return record


def move_file_view(request, pk, url_namespace):
    file = scoped_record_or_404(request, RecordFile, pk, "change")
    form = MoveFileForm(request.POST or None, file=file)
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
