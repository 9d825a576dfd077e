"""Open the conditional-access records whose time has come under the opening rules."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from collections_app import opening

from ..arguments import archive_by_slug_or_code


class Command(BaseCommand):
    help = _(
        "Mở các tài liệu sử dụng có điều kiện đã đến hạn theo quy tắc mở tài liệu (chuyển sang chế độ "
        "công khai). --dry-run chỉ liệt kê, không ghi gì."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help=_("chỉ liệt kê, không ghi gì"))
        parser.add_argument("--archive", help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ"))

    def handle(self, dry_run, archive, **options):
        archive = self.archive(archive) if archive else None
        result = opening.open_due_records(archive=archive, dry_run=dry_run)
        for item in result.opened:
            self.stdout.write(f"{item.record.reference_code}\t{item.record.title}\t{item.rule.name}")
        counts = result.counts
        summary = (
            _("Chạy thử: %(files)s hồ sơ và %(documents)s tài liệu sẽ được mở; không ghi gì.")
            if dry_run
            else _("Đã mở %(files)s hồ sơ và %(documents)s tài liệu.")
        ) % counts
        self.stdout.write(self.style.SUCCESS(summary))
        self.stdout.write(
            _("%(held)s bản ghi chờ lãnh đạo duyệt; %(not_due)s bản ghi chưa đến hạn mở.") % counts
        )

    def archive(self, value):
        return archive_by_slug_or_code(value)
