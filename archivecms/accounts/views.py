"""Reader accounts: register, log in, log out, and the reader's own page with their grants."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collections_app.models import AccessGrant

from .forms import ReaderLoginForm, RegistrationForm
from .models import ReaderProfile

GRANT_STATUS_LABELS = {
    "active": gettext_lazy("Còn hiệu lực"),
    "expired": gettext_lazy("Hết hạn"),
    "revoked": gettext_lazy("Đã thu hồi"),
}


def register(request):
    if request.user.is_authenticated:
        return redirect("accounts:me")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            profile = form.save()
        login(request, profile.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _(
                "Đã tạo tài khoản. Khi trung tâm lưu trữ duyệt yêu cầu khai thác của bạn, tài liệu được phép "
                "đọc sẽ hiện ở trang này."
            ),
        )
        return redirect("accounts:me")
    return render(request, "accounts/register.html", {"form": form})


class ReaderLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = ReaderLoginForm
    redirect_authenticated_user = True
    next_page = reverse_lazy("accounts:me")


class ReaderLogoutView(auth_views.LogoutView):
    next_page = "/"


def grant_status(grant, today):
    if grant.revoked_at is not None:
        return "revoked"
    return "active" if grant.valid_until >= today else "expired"


@login_required(login_url="accounts:login")
def me(request):
    profile = ReaderProfile.objects.filter(user=request.user).first()
    today = timezone.localdate()
    grants = AccessGrant.objects.filter(reader=request.user).select_related(
        "archive", "record_file", "document"
    )
    rows = [
        {
            "grant": grant,
            "record": grant.record,
            "status": grant_status(grant, today),
            "status_label": GRANT_STATUS_LABELS[grant_status(grant, today)],
            "url": reverse("permanent_link", args=[grant.record.reference_code]),
        }
        for grant in grants
    ]
    return render(request, "accounts/me.html", {"profile": profile, "rows": rows})
