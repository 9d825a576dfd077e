"""Export an archive's descriptions (CSV, XLSX or EAD3) as a given user, or the public, may see them."""

import os
import tempfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from archivecms.interop.exports import FORMATS, WRITERS, Export
from collections_app import access
from collections_app.management.arguments import archive_by_slug_or_code
from collections_app.models import Fonds


class Command(BaseCommand):
    help = _(
        "Xuất mô tả hồ sơ, tài liệu của một cơ quan lưu trữ ra CSV, XLSX (cột nhập được bằng import_records) "
        "hoặc EAD3, theo quyền xem của người yêu cầu: --as-public cho bản công khai, --as TÊN_ĐĂNG_NHẬP cho "
        "một người dùng."
    )

    def add_arguments(self, parser):
        parser.add_argument("--archive", required=True, help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ"))
        parser.add_argument("--fonds", help=_("chỉ xuất phông này (mã phông hoặc mã tham chiếu)"))
        parser.add_argument("--format", required=True, choices=FORMATS, help=_("csv, xlsx hoặc ead3"))
        parser.add_argument("-o", "--output", required=True, help=_("tệp kết quả"))
        who = parser.add_mutually_exclusive_group()
        who.add_argument(
            "--as-public", action="store_true", help=_("chỉ những gì khách vãng lai được xem (bản công khai)")
        )
        who.add_argument("--as", dest="username", help=_("những gì người dùng này được xem"))

    def handle(self, archive, fonds, format, output, as_public, username, **options):
        user = self.requesting_user(as_public, username)
        archive = self.archive(archive)
        fonds = self.fonds(user, archive, fonds) if fonds else None
        if username and not access.is_staff_of(user, archive.pk):
            self.stderr.write(
                _("Lưu ý: %(user)s không thuộc %(archive)s nên chỉ xuất được phần công khai.")
                % {"user": username, "archive": archive.code}
            )
        export = Export(user, archive, fonds, on_progress=self.progress)
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(
                _("Thư mục “%(folder)s” không tồn tại. Hãy tạo thư mục hoặc chọn đường dẫn khác.")
                % {"folder": target.parent}
            )
        self.write_atomically(export, format, target)
        self.stderr.write(
            _("Đã xuất %(count)s dòng (hồ sơ, tài liệu) ra %(path)s.")
            % {"count": export.count, "path": target}
        )

    def requesting_user(self, as_public, username):
        if as_public:
            return AnonymousUser()
        if not username:
            raise CommandError(
                _(
                    "Hãy chọn bản xuất cho ai: --as-public (những gì công chúng được xem) hoặc "
                    "--as TÊN_ĐĂNG_NHẬP (những gì người dùng đó được xem). Bản xuất tuân theo quy định "
                    "tiếp cận nên không xuất khi chưa rõ người yêu cầu."
                )
            )
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(
                _("Không có người dùng đang hoạt động nào tên “%(username)s”.") % {"username": username}
            )
        return user

    def archive(self, value):
        return archive_by_slug_or_code(value)

    def fonds(self, user, archive, value):
        fonds = Fonds.objects.filter(archive=archive, deleted_at__isnull=True).filter(code=value).first()
        fonds = fonds or Fonds.objects.filter(archive=archive, reference_code=value).first()
        if fonds is None or not access.can_view_metadata(user, fonds):
            raise CommandError(
                _("%(archive)s không có phông “%(value)s”. Hãy kiểm tra mã phông.")
                % {"archive": archive.code, "value": value}
            )
        return fonds

    def write_atomically(self, export, format, target):
        """Write beside the target and rename at the end: an interrupted export leaves no half file."""
        handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=f".{format}", dir=target.parent)
        os.close(handle)
        try:
            WRITERS[format](export, temporary)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def progress(self, count):
        self.stderr.write(_("… %(count)s dòng") % {"count": count})
