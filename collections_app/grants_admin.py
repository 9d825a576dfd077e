"""Reader grants in the admin ("Quyền khai thác").

A leader of an archive grants a registered reader leave to read one conditional-access (02) file or
document of that archive until a date, after an approved request; a grant on a file covers its
documents. Secret (03) records and drafts cannot be granted. Staff of the archive see the list of
its grants (active, expired, revoked); only its leaders grant and revoke. Every grant and revoke is
written to Wagtail's log.

- ``access_grants:index``: the grants of the user's archives, filtered by status and archive.
- ``access_grants:add``: the grant form (leaders).
- ``access_grants:revoke``: revoke one grant, with the reason (leaders of its archive).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import include, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import AdminDateInput
from wagtail.log_actions import LogFormatter, log

from . import access
from .models import AccessGrant, Archive, Document, RecordFile
from .vocabularies import AccessRegime

NAMESPACE = "access_grants"
GRANT_ACTION = "collections_app.grant"
REVOKE_ACTION = "collections_app.revoke_grant"
GRANTS_PER_PAGE = 30
STATUS_CHOICES = [
    ("", gettext_lazy("Tất cả")),
    ("active", gettext_lazy("Còn hiệu lực")),
    ("expired", gettext_lazy("Hết hạn")),
    ("revoked", gettext_lazy("Đã thu hồi")),
]


# Who may do what ------------------------------------------------------------------------------------


def grants_in_scope(user):
    return AccessGrant.objects.filter(archive__in=access.admin_archives(user)).select_related(
        "archive", "reader", "reader__reader_profile", "record_file", "document", "granted_by", "revoked_by"
    )


def granting_archives(user):
    if access.is_national_admin(user):
        return Archive.objects.all()
    return Archive.objects.filter(pk__in=access.led_archive_ids(user))


def may_grant(user, archive_id):
    return access.is_leader_of(user, archive_id)


def grant_status(grant, today):
    if grant.revoked_at is not None:
        return "revoked"
    return "active" if grant.valid_until >= today else "expired"


def with_status(queryset, status, today):
    if status == "active":
        return queryset.filter(revoked_at__isnull=True, valid_until__gte=today)
    if status == "expired":
        return queryset.filter(revoked_at__isnull=True, valid_until__lt=today)
    if status == "revoked":
        return queryset.filter(revoked_at__isnull=False)
    return queryset


# The grant form -----------------------------------------------------------------------------------------


class GrantForm(forms.Form):
    reader_email = forms.EmailField(
        label=gettext_lazy("Email của độc giả"),
        help_text=gettext_lazy("Email độc giả đã dùng khi đăng ký tài khoản trên cổng thông tin."),
    )
    reference_code = forms.CharField(
        label=gettext_lazy("Mã hồ sơ hoặc tài liệu"),
        max_length=150,
        help_text=gettext_lazy("Mã tham chiếu đầy đủ, ví dụ LT08.H05.01.2004.12 hoặc mã một tài liệu."),
    )
    valid_until = forms.DateField(label=gettext_lazy("Hiệu lực đến ngày"), widget=AdminDateInput)
    purpose = forms.CharField(label=gettext_lazy("Mục đích sử dụng"), max_length=500, widget=forms.Textarea)
    request_reference = forms.CharField(label=gettext_lazy("Số phiếu yêu cầu"), max_length=40, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["purpose"].widget.attrs["rows"] = 3

    def clean_reader_email(self):
        email = self.cleaned_data["reader_email"].strip()
        reader = (
            get_user_model()
            .objects.filter(email__iexact=email, is_active=True, reader_profile__isnull=False)
            .first()
        )
        if reader is None:
            raise forms.ValidationError(
                _(
                    "Không có độc giả đã đăng ký nào với email “%(email)s”. Độc giả cần đăng ký tài khoản "
                    "tại %(url)s trước khi được cấp quyền."
                )
                % {"email": email, "url": "/accounts/register/"}
            )
        return reader

    def clean_reference_code(self):
        code = self.cleaned_data["reference_code"].strip()
        record = find_record(code)
        if record is None or not may_grant(self.user, record.archive_id):
            raise forms.ValidationError(
                _(
                    "Không tìm thấy hồ sơ hoặc tài liệu có mã “%(code)s” trong cơ quan lưu trữ do bạn lãnh "
                    "đạo. Kiểm tra lại mã tham chiếu."
                )
                % {"code": code}
            )
        refuse_ungrantable(record)
        return record

    def clean_valid_until(self):
        valid_until = self.cleaned_data["valid_until"]
        if valid_until < timezone.localdate():
            raise forms.ValidationError(_("Ngày hết hiệu lực đã qua. Chọn hôm nay hoặc một ngày sau."))
        return valid_until


def find_record(code):
    for model in (RecordFile, Document):
        record = model._default_manager.filter(reference_code=code, deleted_at__isnull=True).first()
        if record is not None:
            return record
    return None


def refuse_ungrantable(record):
    regime = record.effective_access_regime() if isinstance(record, Document) else record.access_regime
    if regime == AccessRegime.SECRET:
        raise forms.ValidationError(
            _(
                "“%(code)s” là tài liệu mật (chế độ sử dụng 03): không được cấp quyền khai thác cho người "
                "ngoài cơ quan lưu trữ."
            )
            % {"code": record.reference_code}
        )
    if not record.is_published:
        raise forms.ValidationError(
            _("“%(code)s” còn là bản nháp: công bố mô tả trước khi cấp quyền khai thác.")
            % {"code": record.reference_code}
        )
    if regime == AccessRegime.OPEN:
        raise forms.ValidationError(
            _("“%(code)s” là tài liệu công khai: mọi người đã đọc được, không cần cấp quyền.")
            % {"code": record.reference_code}
        )


def create_grant(data, user):
    record = data["reference_code"]
    with transaction.atomic():
        grant = AccessGrant.objects.create(
            archive_id=record.archive_id,
            reader=data["reader_email"],
            record_file=record if isinstance(record, RecordFile) else None,
            document=record if isinstance(record, Document) else None,
            purpose=data["purpose"],
            request_reference=data["request_reference"],
            valid_until=data["valid_until"],
            granted_by=user,
        )
        log(instance=grant, action=GRANT_ACTION, user=user, data=grant_summary(grant))
    return grant


def grant_summary(grant):
    return {
        "reader": grant.reader.email,
        "reference_code": grant.record.reference_code,
        "valid_until": grant.valid_until.isoformat(),
    }


# Views --------------------------------------------------------------------------------------------------


def index_view(request):
    if not access.admin_archives(request.user).exists():
        raise PermissionDenied
    today = timezone.localdate()
    status = request.GET.get("status", "")
    archives = access.admin_archives(request.user).order_by("code")
    grants = with_status(grants_in_scope(request.user), status, today)
    archive_id = request.GET.get("archive", "")
    if archive_id.isdigit():
        grants = grants.filter(archive_id=int(archive_id))
    page = Paginator(grants.order_by("-granted_at", "-pk"), GRANTS_PER_PAGE).get_page(request.GET.get("p"))
    rows = [
        {
            "grant": grant,
            "status": grant_status(grant, today),
            "may_revoke": grant.revoked_at is None and may_grant(request.user, grant.archive_id),
        }
        for grant in page
    ]
    may_add = granting_archives(request.user).exists()
    return TemplateResponse(
        request,
        "collections_app/admin/grants_index.html",
        {
            "page_title": _("Quyền khai thác tài liệu hạn chế"),
            "rows": rows,
            "page": page,
            "status": status,
            "status_choices": STATUS_CHOICES,
            "archives": archives if archives.count() > 1 else None,
            "archive_id": archive_id,
            "add_url": reverse(f"{NAMESPACE}:add") if may_add else None,
        },
    )


def add_view(request):
    if not granting_archives(request.user).exists():
        raise PermissionDenied
    initial = {"reference_code": request.GET.get("record", "")}
    form = GrantForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        grant = create_grant(form.cleaned_data, request.user)
        messages.success(
            request,
            _("Đã cấp cho %(reader)s quyền đọc “%(code)s” đến hết ngày %(date)s.")
            % {
                "reader": grant.reader.email,
                "code": grant.record.reference_code,
                "date": grant.valid_until.strftime("%d/%m/%Y"),
            },
        )
        return redirect(reverse(f"{NAMESPACE}:index"))
    return TemplateResponse(
        request,
        "collections_app/admin/grant_form.html",
        {"form": form, "page_title": _("Cấp quyền khai thác"), "index_url": reverse(f"{NAMESPACE}:index")},
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do thu hồi"),
        max_length=300,
        error_messages={"required": gettext_lazy("Nhập lý do thu hồi quyền khai thác.")},
    )


def revoke_view(request, pk):
    grant = get_object_or_404(grants_in_scope(request.user), pk=pk)
    if not may_grant(request.user, grant.archive_id):
        raise PermissionDenied
    if grant.revoked_at is not None:
        messages.error(request, _("Quyền khai thác này đã bị thu hồi trước đó."))
        return redirect(reverse(f"{NAMESPACE}:index"))
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        revoke(grant, request.user, form.cleaned_data["reason"])
        messages.success(
            request,
            _("Đã thu hồi quyền đọc “%(code)s” của %(reader)s.")
            % {"code": grant.record.reference_code, "reader": grant.reader.email},
        )
        return redirect(reverse(f"{NAMESPACE}:index"))
    return TemplateResponse(
        request,
        "collections_app/admin/grant_revoke.html",
        {
            "form": form,
            "grant": grant,
            "page_title": _("Thu hồi quyền khai thác"),
            "index_url": reverse(f"{NAMESPACE}:index"),
        },
    )


def revoke(grant, user, reason):
    with transaction.atomic():
        changed = AccessGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user, revoke_reason=reason
        )
        if changed:
            grant.refresh_from_db()
            log(
                instance=grant,
                action=REVOKE_ACTION,
                user=user,
                data={**grant_summary(grant), "reason": reason},
            )
    return changed


# Registration ---------------------------------------------------------------------------------------------

urlpatterns = [
    path("", index_view, name="index"),
    path("add/", add_view, name="add"),
    path("<int:pk>/revoke/", revoke_view, name="revoke"),
]


@hooks.register("register_admin_urls")
def register_grant_urls():
    return [path("grants/", include((urlpatterns, NAMESPACE), namespace=NAMESPACE))]


class GrantsMenuItem(MenuItem):
    def is_shown(self, request):
        return access.admin_archives(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_grants_menu_item():
    return GrantsMenuItem(
        gettext_lazy("Quyền khai thác"),
        reverse(f"{NAMESPACE}:index"),
        name="access-grants",
        icon_name="key",
        order=161,
    )


@hooks.register("register_log_actions")
def register_grant_log_actions(actions):
    @actions.register_action(GRANT_ACTION)
    class GrantAction(LogFormatter):
        label = gettext_lazy("Cấp quyền khai thác")

        def format_message(self, log_entry):
            return _("Cấp cho %(reader)s quyền đọc %(code)s đến ngày %(date)s") % {
                "reader": log_entry.data.get("reader", ""),
                "code": log_entry.data.get("reference_code", ""),
                "date": log_entry.data.get("valid_until", ""),
            }

    @actions.register_action(REVOKE_ACTION)
    class RevokeAction(LogFormatter):
        label = gettext_lazy("Thu hồi quyền khai thác")

        def format_message(self, log_entry):
            return _("Thu hồi quyền đọc %(code)s của %(reader)s: %(reason)s") % {
                "reader": log_entry.data.get("reader", ""),
                "code": log_entry.data.get("reference_code", ""),
                "reason": log_entry.data.get("reason", ""),
            }
