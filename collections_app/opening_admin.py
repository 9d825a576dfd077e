"""The opening rules in the admin ("Quy tắc mở tài liệu"), and the log entry of an opening.

National administrators edit every rule. A leader of an archive edits the rules of their archive
and sees the national rules (no archive) read-only. Other staff do not see the rules.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import LogFormatter
from wagtail.permission_policies.base import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from . import access
from .models import Archive, OpeningBasis, OpeningRule
from .opening import OPENED_ACTION


class OpeningRulePermissionPolicy(BasePermissionPolicy):
    def __init__(self):
        super().__init__(OpeningRule)

    def user_has_permission(self, user, action):
        return access.is_national_admin(user) or bool(access.led_archive_ids(user))

    def user_has_any_permission(self, user, actions):
        return self.user_has_permission(user, None)

    def user_has_permission_for_instance(self, user, action, instance):
        if access.is_national_admin(user):
            return True
        led = access.led_archive_ids(user)
        if instance.archive_id is None:
            return action == "view" and bool(led)
        return instance.archive_id in led

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_permission_for(self, user, action):
        rules = OpeningRule.objects.all()
        if access.is_national_admin(user):
            return rules
        led = access.led_archive_ids(user)
        if action == "view":
            return rules.filter(Q(archive__isnull=True) | Q(archive_id__in=led)) if led else rules.none()
        return rules.filter(archive_id__in=led)

    def instances_user_has_any_permission_for(self, user, actions):
        return self.instances_user_has_permission_for(user, "view" if "view" in actions else "change")

    def users_with_any_permission(self, actions):
        raise NotImplementedError


permission_policy = OpeningRulePermissionPolicy()
register_permission_policy(OpeningRule, permission_policy)


class OpeningRuleForm(WagtailAdminModelForm):
    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        self.user = for_user
        if for_user is not None and not access.is_national_admin(for_user):
            archive = self.fields["archive"]
            archive.queryset = Archive.objects.filter(pk__in=access.led_archive_ids(for_user))
            archive.required = True
            archive.empty_label = None
            archive.help_text = _("Quy tắc của cơ quan lưu trữ do bạn lãnh đạo.")

    def clean(self):
        data = super().clean()
        basis, years = data.get("basis"), data.get("years")
        if basis == OpeningBasis.YEARS_AFTER_END and not years:
            self.add_error(
                "years",
                _("Nhập số năm (ví dụ 40) cho căn cứ “mở sau một số năm kể từ năm kết thúc”."),
            )
        if basis and basis != OpeningBasis.YEARS_AFTER_END and years:
            self.add_error(
                "years",
                _("Số năm chỉ dùng với căn cứ “mở sau một số năm kể từ năm kết thúc”; để trống ô này."),
            )
        if basis == OpeningBasis.LEADER_APPROVAL and not (
            data.get("reason_contains") or data.get("category")
        ):
            self.add_error(
                "reason_contains",
                _(
                    "Quy tắc “chỉ đọc khi lãnh đạo duyệt” phải giới hạn theo lý do hạn chế (ví dụ “đời tư”) "
                    "hoặc nhóm tài liệu; nếu không nó giữ lại mọi tài liệu sử dụng có điều kiện."
                ),
            )
        if data.get("reason_contains") is not None:
            data["reason_contains"] = data["reason_contains"].strip()
        return data

    class Meta:
        model = OpeningRule
        fields = [
            "name",
            "archive",
            "basis",
            "years",
            "category",
            "reason_contains",
            "legal_basis",
            "is_active",
        ]


def _scoped_object(view, action):
    rule = view.model._default_manager.filter(pk=view.kwargs[view.pk_url_kwarg]).first()
    if rule is None:
        from django.http import Http404

        raise Http404
    if not permission_policy.user_has_permission_for_instance(view.request.user, action, rule):
        raise PermissionDenied
    return rule


class OpeningRuleIndexView(generic.IndexView):
    def get_base_queryset(self):
        return permission_policy.instances_user_has_permission_for(self.request.user, "view").select_related(
            "archive", "category"
        )

    def get_edit_url(self, instance):
        if permission_policy.user_has_permission_for_instance(self.request.user, "change", instance):
            return super().get_edit_url(instance)
        return None

    def get_delete_url(self, instance):
        if permission_policy.user_has_permission_for_instance(self.request.user, "delete", instance):
            return super().get_delete_url(instance)
        return None


class OpeningRuleEditView(generic.EditView):
    def get_object(self, queryset=None):
        return _scoped_object(self, "change")

    @property
    def can_delete(self):
        return permission_policy.user_has_permission_for_instance(self.request.user, "delete", self.object)


class OpeningRuleDeleteView(generic.DeleteView):
    def get_object(self, queryset=None):
        if getattr(self, "object", None):
            return self.object
        return _scoped_object(self, "delete")


class OpeningRuleInspectView(generic.InspectView):
    def get_object(self, queryset=None):
        return _scoped_object(self, "view")

    def get_edit_url(self):
        if permission_policy.user_has_permission_for_instance(self.request.user, "change", self.object):
            return super().get_edit_url()
        return None

    def get_delete_url(self):
        if permission_policy.user_has_permission_for_instance(self.request.user, "delete", self.object):
            return super().get_delete_url()
        return None


def scope_label(rule):
    return rule.archive.name if rule.archive_id else _("Toàn quốc (mọi cơ quan lưu trữ)")


class OpeningRuleViewSet(ModelViewSet):
    model = OpeningRule
    name = "opening_rules"
    icon = "lock-open"
    menu_label = gettext_lazy("Quy tắc mở tài liệu")
    menu_order = 160
    add_to_admin_menu = True
    form_class = OpeningRuleForm
    index_view_class = OpeningRuleIndexView
    edit_view_class = OpeningRuleEditView
    delete_view_class = OpeningRuleDeleteView
    inspect_view_class = OpeningRuleInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    search_backend_name = None
    list_display = [
        "name",
        Column("archive", label=gettext_lazy("Phạm vi"), accessor=scope_label),
        "basis",
        "years",
        "reason_contains",
        BooleanColumn("is_active", label=gettext_lazy("Đang áp dụng")),
    ]
    list_filter = ["basis", "is_active"]
    inspect_view_fields = [
        "name",
        "archive",
        "basis",
        "years",
        "category",
        "reason_contains",
        "legal_basis",
        "is_active",
    ]

    @property
    def permission_policy(self):
        return permission_policy

    def get_form_class(self, for_update=False):
        return OpeningRuleForm


opening_rule_viewset = OpeningRuleViewSet()


@hooks.register("register_admin_viewset")
def register_opening_rule_viewset():
    return opening_rule_viewset


@hooks.register("register_log_actions")
def register_opening_log_actions(actions):
    @actions.register_action(OPENED_ACTION)
    class OpenedAction(LogFormatter):
        label = gettext_lazy("Mở tài liệu theo quy tắc")

        def format_message(self, log_entry):
            return _("Chuyển sang chế độ công khai theo quy tắc “%(rule)s”") % {
                "rule": log_entry.data.get("rule", ""),
            }
