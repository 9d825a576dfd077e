"""``merge_archives --from CODE [--from CODE ...] --into CODE [--dry-run] [--resume]``."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ...models import MergeStatus
from ...transfers import merge_report, merger
from ..arguments import archive_by_slug_or_code


def until_date(value):
    try:
        return datetime.datetime.strptime(value, "%d/%m/%Y").date()
    except ValueError:
        raise CommandError(
            _("Ngày “%(value)s” không hợp lệ: viết dạng DD/MM/YYYY, ví dụ 31/12/2025.") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = _(
        "Hợp nhất kho lưu trữ: chuyển toàn bộ tài liệu của các cơ quan lưu trữ cũ vào cơ quan lưu trữ "
        "hợp nhất, giữ mọi mã tham chiếu cũ."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="sources",
            action="append",
            default=[],
            metavar="CODE",
            help=_("cơ quan lưu trữ giao (đường dẫn hoặc mã); lặp lại cho nhiều cơ quan"),
        )
        parser.add_argument(
            "--into", required=True, metavar="CODE", help=_("cơ quan lưu trữ nhận (đường dẫn hoặc mã)")
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("chỉ lập báo cáo chạy thử, không chuyển")
        )
        parser.add_argument(
            "--resume", action="store_true", help=_("chạy tiếp đợt hợp nhất chưa xong gần nhất")
        )
        parser.add_argument(
            "--report", metavar="DIR", help=_("ghi báo cáo chạy thử dạng CSV và PDF vào thư mục")
        )
        parser.add_argument("--until", metavar="DD/MM/YYYY", help=_("khoanh giữ đến ngày (dự kiến)"))
        parser.add_argument("--reason", default="", help=_("lý do khoanh giữ"))

    def handle(self, sources, into, dry_run, resume, report, until, reason, **options):
        into = archive_by_slug_or_code(into)
        until = until_date(until) if until else None
        if dry_run and resume:
            raise CommandError(
                _("Không dùng --resume cùng --dry-run: chạy thử không chuyển gì để chạy tiếp.")
            )
        try:
            if resume:
                run = self.resumable(into, sources)
            else:
                if not sources:
                    raise CommandError(_("Hãy nêu ít nhất một cơ quan lưu trữ giao bằng --from."))
                run = merger.plan_merge([archive_by_slug_or_code(value) for value in sources], into)
                self.stdout.write(merge_report.as_text(run))
                if report:
                    self.write_report(run, Path(report))
                if dry_run:
                    self.stdout.write(_("Chạy thử: chưa chuyển gì (đợt số %(run)s).") % {"run": run.pk})
                    return
                self.freeze(run, until, reason)
            run = merger.execute(run, on_step=self.step_done)
        except merger.MergeError as error:
            raise CommandError(str(error)) from error
        self.report_result(run)

    def resumable(self, into, sources):
        run = merger.resumable_run(into)
        if run is None:
            raise CommandError(
                _(
                    "Không có đợt hợp nhất nào vào %(into)s đang dở. Chạy lại lệnh không có --resume để "
                    "lập đợt mới."
                )
                % {"into": into.code}
            )
        self.stdout.write(
            _("Chạy tiếp đợt hợp nhất số %(run)s (%(done)s/%(total)s phông đã chuyển).")
            % {"run": run.pk, "done": merger.progress(run)[0], "total": merger.progress(run)[1]}
        )
        return run

    def freeze(self, run, until, reason):
        changed = merger.freeze_run(run, until=until, reason=reason)
        if changed:
            self.stdout.write(_("Tài liệu đã thay đổi từ lúc chạy thử: đã lập lại báo cáo."))
        self.stdout.write(
            _("Đã khoanh giữ: %(sources)s.")
            % {"sources": ", ".join(run.sources.values_list("code", flat=True))}
        )

    def step_done(self, step):
        self.stdout.write(_("Đã chuyển phông %(old)s.") % {"old": step.old_reference_code})

    def write_report(self, run, folder):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            csv_path = folder / f"hop-nhat-{run.pk}.csv"
            pdf_path = folder / f"hop-nhat-{run.pk}.pdf"
            csv_path.write_bytes(merge_report.as_csv(run))
            pdf_path.write_bytes(merge_report.as_pdf(run))
        except OSError as error:
            raise CommandError(
                _("Không ghi được báo cáo vào “%(dir)s”: %(error)s") % {"dir": folder, "error": error}
            ) from error
        self.stdout.write(_("Đã ghi báo cáo: %(csv)s, %(pdf)s") % {"csv": csv_path, "pdf": pdf_path})

    def report_result(self, run):
        if run.status == MergeStatus.DONE:
            self.stdout.write(
                _("Hoàn thành đợt hợp nhất số %(run)s: đã đối chiếu %(files)s tệp, số lượng và SHA-256 khớp.")
                % {"run": run.pk, "files": run.verification.get("files_checked", 0)}
            )
            return
        for problem in run.verification.get("problems", []):
            self.stderr.write(problem)
        raise CommandError(run.message or run.get_status_display())
