"""Validate and import Circular 05/2025 packages: a .zip, an unzipped package folder, or a folder of them."""

import uuid

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from collections_app import access
from collections_app.management.arguments import archive_by_slug_or_code
from collections_app.transfers.freeze import refusal as frozen_refusal
from collections_app.transfers.packages.importer import (
    ImportRefused,
    import_package,
    plan,
    read_all,
    refuse_if_blocked,
)
from collections_app.transfers.packages.links import handover_hint
from collections_app.transfers.packages.sources import PackageInvalid


class Command(BaseCommand):
    help = _(
        "Kiểm tra và nhập gói tin theo Thông tư 05/2025 (SIP, AIP) vào một cơ quan lưu trữ. Mọi gói được "
        "kiểm tra trước (cấu trúc, METS, mã SHA-256, EAD); gói nào sai thì không ghi gì. Mỗi gói nhập trong "
        "một giao dịch; chạy lại thì bỏ qua gói đã nhập."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help=_("tệp .zip, thư mục một gói hoặc thư mục chứa nhiều gói"))
        parser.add_argument(
            "--archive", required=True, help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ nhận")
        )
        parser.add_argument("--dry-run", action="store_true", help=_("chỉ kiểm tra và báo cáo, không ghi gì"))
        parser.add_argument(
            "--fonds", help=_("đặt các hồ sơ vào phông có sẵn này thay cho mã phông trong gói")
        )
        parser.add_argument("--as", dest="username", help=_("người nhập (lưu trữ viên, lãnh đạo)"))

    def handle(self, path, archive, dry_run, fonds, username, **options):
        archive = archive_by_slug_or_code(archive)
        user = self.user(username, archive)
        try:
            packages = read_all(path)
        except PackageInvalid as error:
            raise CommandError(_("Gói tin bị từ chối, chưa ghi gì. %(error)s") % {"error": error}) from None
        planned = plan(archive, packages, fonds_code=fonds)
        for item in planned:
            self.describe(item, with_warnings=dry_run)
        if dry_run:
            self.stdout.write(self.dry_run_summary(planned))
            if frozen_refusal(archive):
                self.stdout.write(frozen_refusal(archive))
            return
        try:
            refuse_if_blocked(archive, planned)
        except ImportRefused as error:
            raise CommandError(str(error)) from None
        self.run(archive, planned, user)

    def run(self, archive, planned, user):
        batch, imported = uuid.uuid4(), 0
        for item in planned:
            if item.already_imported is not None:
                continue
            try:
                result = import_package(archive, item, batch=batch, user=user)
            except (PackageInvalid, OSError, DatabaseError) as error:
                raise CommandError(
                    _(
                        "Dừng ở gói “%(label)s”: %(error)s. Gói này không được ghi; %(count)s gói trước "
                        "đó đã nhập xong. Khắc phục rồi chạy lại lệnh: các gói đã nhập sẽ được bỏ qua."
                    )
                    % {"label": item.label, "error": error, "count": imported}
                ) from None
            imported += 1
            self.stdout.write(
                _("[đã nhập] %(label)s: hồ sơ %(code)s%(aliases)s")
                % {
                    "label": item.label,
                    "code": result.record_file.reference_code,
                    "aliases": _(" (mã cũ giữ lại: %(codes)s)") % {"codes": ", ".join(result.aliases)}
                    if result.aliases
                    else "",
                }
            )
            self.write_warnings(result.warnings)
        skipped = sum(1 for item in planned if item.already_imported is not None)
        self.stdout.write(
            _("Đã nhập %(count)s gói, bỏ qua %(skipped)s gói đã nhập trước đó.")
            % {"count": imported, "skipped": skipped}
        )
        if imported:
            self.stdout.write(handover_hint(batch))

    def write_warnings(self, warnings):
        for warning in warnings:
            self.stdout.write("    " + _("! cảnh báo: %(warning)s") % {"warning": warning})

    def describe(self, item, with_warnings=False):
        package = item.package
        if item.already_imported is not None:
            self.stdout.write(
                _("[đã nhập trước] %(label)s: %(objid)s, bỏ qua.")
                % {"label": item.label, "objid": package.objid}
            )
            return
        fonds = item.fonds_code
        fonds_state = _("có sẵn") if item.fonds is not None else _("tạo mới")
        self.stdout.write(
            _(
                "[%(state)s] %(label)s: gói %(kind)s, hồ sơ %(code)s “%(title)s”, %(docs)s tài liệu, "
                "%(data)s tệp dữ liệu (%(bytes)s byte) → phông %(fonds)s (%(fonds_state)s)"
            )
            % {
                "state": _("xung đột") if item.conflicts else _("sẽ nhập"),
                "label": item.label,
                "kind": package.kind.upper(),
                "code": package.file_code,
                "title": package.file_values["title"],
                "docs": len(package.documents),
                "data": len(package.data_files),
                "bytes": package.data_bytes,
                "fonds": fonds,
                "fonds_state": fonds_state,
            }
        )
        for conflict in item.conflicts:
            self.stdout.write(f"    - {conflict}")
        if with_warnings:
            self.write_warnings(item.warnings)

    def dry_run_summary(self, planned):
        conflicts = sum(1 for item in planned if item.conflicts)
        skipped = sum(1 for item in planned if item.already_imported is not None)
        return _(
            "Chạy thử, chưa ghi gì. %(total)s gói hợp lệ: sẽ nhập %(ready)s, xung đột %(conflicts)s, đã nhập "
            "trước %(skipped)s."
        ) % {
            "total": len(planned),
            "ready": len(planned) - conflicts - skipped,
            "conflicts": conflicts,
            "skipped": skipped,
        }

    def user(self, username, archive):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(
                _("Không có người dùng đang hoạt động nào tên “%(username)s”.") % {"username": username}
            )
        if not access.can_digitize(user, archive.pk):
            raise CommandError(
                _("%(user)s không có quyền nhập vào %(archive)s (cần là lưu trữ viên hoặc lãnh đạo).")
                % {"user": username, "archive": archive.name}
            )
        return user
