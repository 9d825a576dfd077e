"""Re-hash the stored files (all, or a sample) and report every file that is missing or changed."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from collections_app import fixity

from ..arguments import archive_by_slug_or_code


def percentage(value):
    try:
        number = float(value)
    except ValueError:
        number = -1
    if not 0 < number <= 100:
        raise CommandError(
            _(
                "--sample phải là một tỷ lệ phần trăm lớn hơn 0 và không quá 100 (ví dụ 0,1 hoặc 5), "
                "không phải “%(value)s”."
            )
            % {"value": value}
        )
    return number


class Command(BaseCommand):
    help = _(
        "Đọc lại các tệp đã lưu, tính lại SHA-256 và so với mã đã ghi khi lưu; ghi sự kiện kiểm tra tính "
        "toàn vẹn cho từng tệp và gửi thư báo các tệp sai lệch. Trả mã lỗi khác 0 nếu có tệp sai lệch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--archive", help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ"))
        parser.add_argument(
            "--sample",
            metavar="PERCENT",
            help=_(
                "chỉ kiểm tra một phần: các tệp quá hạn 3 năm chưa kiểm tra, các tệp kiểm tra lâu nhất và "
                "một phần chọn ngẫu nhiên, tổng cộng khoảng PERCENT %% số bản số hóa"
            ),
        )
        parser.add_argument("--no-mail", action="store_true", help=_("không gửi thư báo tệp sai lệch"))

    def handle(self, archive, sample, no_mail, **options):
        archive = archive_by_slug_or_code(archive) if archive else None
        sample_percent = percentage(sample.replace(",", ".")) if sample else None
        report = fixity.run_fixity(archive=archive, sample_percent=sample_percent, notify=not no_mail)
        for check in report.mismatches:
            self.stdout.write(self.style.ERROR(self.mismatch_line(check)))
        summary = _(
            "Đã kiểm tra %(objects)s bản số hóa, %(files)s tệp (%(bytes)s): %(ok)s tệp toàn vẹn, "
            "%(bad)s tệp sai lệch hoặc thiếu."
        ) % {
            "objects": report.objects,
            "files": report.files,
            "bytes": filesizeformat(report.bytes_read),
            "ok": report.files - len(report.mismatches),
            "bad": len(report.mismatches),
        }
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary))
            return
        self.stdout.write(summary)
        raise CommandError(
            _(
                "Có %(count)s tệp không toàn vẹn (liệt kê ở trên). Hãy khôi phục các tệp đó từ bản sao bảo "
                "hiểm rồi chạy lại lệnh này."
            )
            % {"count": len(report.mismatches)},
            returncode=2,
        )

    @staticmethod
    def mismatch_line(check):
        digital_object = check.digital_object
        return (
            f"{digital_object.archive.code}\t{digital_object.record.reference_code}\t"
            f"{fixity.role_label(check.role)}\t{check.name}\t{check.describe()}"
        )
