"""Write Circular 05/2025 packages (SIP or AIP), one zip per file (hồ sơ), into a folder."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from collections_app.management.arguments import archive_by_slug_or_code
from collections_app.models import Fonds, PackageKind
from collections_app.transfers.packages.links import handover_hint
from collections_app.transfers.packages.writer import ExportError, export_packages


class Command(BaseCommand):
    help = _(
        "Xuất gói tin theo Thông tư 05/2025 (SIP để chuyển giao, AIP để bảo quản): mỗi hồ sơ một tệp ZIP "
        "gồm METS, EAD, dữ liệu PDF/A đặt tên theo mã định danh tài liệu, SHA-256 và (AIP) PREMIS."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("thư mục ghi các gói tin"))
        parser.add_argument("--archive", required=True, help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ"))
        parser.add_argument("--fonds", help=_("chỉ xuất phông này (mã phông)"))
        parser.add_argument(
            "--kind", choices=["sip", "aip"], default="sip", help=_("sip (mặc định) hoặc aip")
        )
        parser.add_argument(
            "--as", dest="username", help=_("người xuất (phải là lưu trữ viên, lãnh đạo của cơ quan lưu trữ)")
        )

    def handle(self, directory, archive, fonds, kind, username, **options):
        archive = archive_by_slug_or_code(archive)
        user = self.user(username)
        fonds = self.fonds(archive, fonds) if fonds else None
        count = size = 0
        batch = None
        try:
            for written in export_packages(
                archive, directory, kind=PackageKind(kind), fonds=fonds, user=user
            ):
                count += 1
                size += written.package.size
                batch = written.package.batch
                self.stdout.write(
                    _(
                        "[đã ghi] %(name)s: hồ sơ %(code)s, %(docs)s tài liệu, %(data)s tệp dữ liệu, "
                        "%(size)s byte"
                    )
                    % {
                        "name": written.path.name,
                        "code": written.package.file_code,
                        "docs": written.documents,
                        "data": written.data_files,
                        "size": written.package.size,
                    }
                )
                for note in written.notes:
                    self.stdout.write(f"    {note}")
        except ExportError as error:
            raise CommandError(
                _("%(error)s (Đã ghi đầy đủ %(count)s gói trước lỗi này.)") % {"error": error, "count": count}
            ) from None
        self.stdout.write(
            _("Đã xuất %(count)s gói %(kind)s (%(size)s byte) vào %(dir)s.")
            % {"count": count, "kind": kind.upper(), "size": size, "dir": directory}
        )
        if batch is not None:
            self.stdout.write(handover_hint(batch))

    def user(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(
                _("Không có người dùng đang hoạt động nào tên “%(username)s”.") % {"username": username}
            )
        return user

    def fonds(self, archive, code):
        fonds = Fonds.objects.filter(archive=archive, code=code, deleted_at__isnull=True).first()
        if fonds is None:
            raise CommandError(
                _("Không có phông “%(code)s” trong %(archive)s.") % {"code": code, "archive": archive.name}
            )
        return fonds
