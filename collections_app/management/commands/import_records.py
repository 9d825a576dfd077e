"""Import a description inventory (CSV or XLSX) into an archive: validate, then write in batches."""

from pathlib import Path, PureWindowsPath

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collections_app.codes import find_by_reference_code
from collections_app.ingest.importing.jobs import (
    DEFAULT_BATCH_SIZE,
    find_resumable,
    run_job,
    sha256_of,
)
from collections_app.models import ImportJob, ImportStatus
from collections_app.transfers import freeze

from ..arguments import archive_by_slug_or_code

SHOWN_ISSUES = 50
SHOWN_UPDATES = 20
LEVELS = (
    ("fonds", gettext_lazy("phông")),
    ("series", gettext_lazy("mục lục")),
    ("file", gettext_lazy("hồ sơ")),
    ("document", gettext_lazy("tài liệu")),
)


class Command(BaseCommand):
    help = _(
        "Nhập mô tả phông, mục lục, hồ sơ, tài liệu từ tệp CSV hoặc XLSX (cột theo Thông tư 05/2025 hoặc "
        "02/2019). Kiểm tra cả tệp trước; có lỗi thì không ghi gì. Ghi theo lô, mỗi lô trọn vẹn; lần nhập bị "
        "gián đoạn được tiếp tục bằng --resume."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("tệp CSV hoặc XLSX"))
        parser.add_argument("--archive", required=True, help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ"))
        parser.add_argument(
            "--dry-run", action="store_true", help=_("chỉ kiểm tra và in báo cáo, không ghi gì")
        )
        parser.add_argument(
            "--resume", action="store_true", help=_("tiếp tục lần nhập bị gián đoạn của cùng tệp này")
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=_("số dòng mỗi lô"))
        parser.add_argument("--report", help=_("ghi báo cáo đầy đủ (CSV) ra tệp này"))
        parser.add_argument(
            "--scans",
            help=_(
                "thư mục chứa tệp quét: gắn tệp ở cột đường dẫn tệp quét vào hồ sơ, tài liệu sau khi nhập"
            ),
        )

    def handle(self, file, archive, dry_run, resume, batch_size, report, scans, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("Không tìm thấy tệp “%(file)s”.") % {"file": file})
        if batch_size < 1:
            raise CommandError(_("--batch-size phải lớn hơn 0."))
        if resume and dry_run:
            raise CommandError(
                _("Không dùng --resume cùng --dry-run: chạy thử không ghi gì nên không có gì để tiếp tục.")
            )
        archive = self.archive(archive)
        if not dry_run and (refused := freeze.refusal(archive)):
            raise CommandError(refused)
        with open(path, "rb") as handle:
            sha256 = sha256_of(handle)
        job = self.job(archive, path, sha256, dry_run, resume)
        scan_entries = [] if scans else None
        job = run_job(
            job, path=path, batch_size=batch_size, on_progress=self.progress, scan_entries=scan_entries
        )
        self.stderr.write("")
        self.print_report(job)
        if report:
            self.save_report(job, report)
        if scans and job.status in (ImportStatus.DONE, ImportStatus.VALID):
            self.attach_scans(Path(scans), scan_entries, attach=job.status == ImportStatus.DONE)
        self.exit_status(job)

    def archive(self, value):
        return archive_by_slug_or_code(value)

    def job(self, archive, path, sha256, dry_run, resume):
        interrupted = find_resumable(archive, sha256)
        if resume:
            if interrupted is None:
                raise CommandError(
                    _(
                        "Không có lần nhập bị gián đoạn nào của tệp này (SHA-256 %(sha)s…) vào %(archive)s. "
                        "Chạy lại lệnh không có --resume để nhập từ đầu."
                    )
                    % {"sha": sha256[:12], "archive": archive.code}
                )
            self.stdout.write(
                _("Tiếp tục lần nhập %(job)s từ dòng %(next)s.")
                % {"job": interrupted.pk, "next": interrupted.rows_done + 1}
            )
            return interrupted
        if interrupted is not None and not dry_run:
            self.stdout.write(
                _(
                    "Lưu ý: lần nhập %(job)s của tệp này bị gián đoạn sau dòng %(done)s; lần này nhập lại từ "
                    "đầu (các dòng đã ghi được cập nhật). Dùng --resume để chỉ ghi phần còn lại."
                )
                % {"job": interrupted.pk, "done": interrupted.rows_done}
            )
        return ImportJob.objects.create(
            archive=archive,
            original_name=path.name,
            sha256=sha256,
            dry_run=dry_run,
            report={"source_path": str(path.resolve())},
        )

    def progress(self, phase, done, total, fraction):
        if phase == "validating":
            line = _("Kiểm tra: %(done)s dòng (%(percent)s %%)") % {
                "done": f"{done:,}",
                "percent": round(fraction * 100),
            }
        else:
            line = _("Ghi: %(done)s/%(total)s dòng (%(percent)s %%)") % {
                "done": f"{done:,}",
                "total": f"{total:,}",
                "percent": round(fraction * 100),
            }
        self.stderr.write(f"\r{line}", ending="")
        self.stderr.flush()

    # The report ---------------------------------------------------------------------------------------

    def print_report(self, job):
        data = job.report or {}
        write = self.stdout.write
        kind = (data.get("kind") or "").upper()
        details = ", ".join(
            part for part in (kind, data.get("encoding"), _delimiter(data.get("delimiter"))) if part
        )
        write(_("Tệp: %(name)s (%(details)s)") % {"name": job.original_name, "details": details})
        write(
            _("Đã kiểm tra %(rows)s dòng: %(errors)s lỗi, %(warnings)s cảnh báo.")
            % {"rows": job.rows_checked, "errors": job.error_count, "warnings": job.warning_count}
        )
        if data.get("legacy"):
            write(_("Cột theo Thông tư 02/2019: mã cũ được giữ làm mã tham chiếu cũ."))
        counts = data.get("counts") or {}
        will = job.dry_run or job.status == ImportStatus.INVALID
        for action, label in (
            ("new", _("Sẽ tạo") if will else _("Tạo")),
            ("update", _("Sẽ cập nhật") if will else _("Cập nhật")),
        ):
            parts = [f"{name} {counts.get(f'{level}_{action}', 0)}" for level, name in LEVELS]
            write(f"{label}: {', '.join(parts)}")
        for fonds in data.get("fonds_to_create") or []:
            write(_("Phông mới: %(code)s – %(name)s (dòng %(row)s)") % fonds)
        for series in data.get("series_to_create") or []:
            write(_("Mục lục mới: phông %(fonds)s, mục lục số %(number)s – %(title)s") % series)
        for column in data.get("unknown_columns") or []:
            write(_("Cột không nhập: “%(column)s” (cột %(position)s)") % column)
        self.print_issues(data)
        updates = data.get("updates") or []
        if updates:
            write(_("Bản ghi đã có (cập nhật):"))
            for update in updates[:SHOWN_UPDATES]:
                write(f"  {_row(update)}: {update['level']} {update['code']}")
            if data.get("update_count", 0) > SHOWN_UPDATES:
                write(_("  … và %(count)s bản ghi nữa.") % {"count": data["update_count"] - SHOWN_UPDATES})
        if data.get("scans"):
            write(
                _("Có %(count)s dòng ghi đường dẫn tệp quét (xem báo cáo đầy đủ).") % {"count": data["scans"]}
            )
        write(
            _("Trạng thái: %(status)s. %(message)s")
            % {"status": job.get_status_display(), "message": job.message}
        )
        if data.get("report_file"):
            write(_("Báo cáo đầy đủ (lưu trong kho tệp): %(name)s") % {"name": data["report_file"]})

    def print_issues(self, data):
        issues = data.get("issues") or []
        if not issues:
            return
        self.stdout.write(_("Lỗi và cảnh báo:"))
        for issue in issues[:SHOWN_ISSUES]:
            level = _("lỗi") if issue["level"] == "error" else _("cảnh báo")
            where = _row(issue)
            column = f", {_('cột')} “{issue['column']}”" if issue["column"] else ""
            value = f" “{issue['value']}”" if issue["value"] else ""
            hint = f" → {issue['hint']}" if issue["hint"] else ""
            self.stdout.write(f"  [{level}] {where}{column}:{value} {issue['message']}{hint}")
        total = data.get("errors", 0) + data.get("warnings", 0)
        if total > SHOWN_ISSUES:
            self.stdout.write(
                _("  … và %(count)s vấn đề nữa: xem báo cáo đầy đủ.") % {"count": total - SHOWN_ISSUES}
            )

    def save_report(self, job, target):
        from django.core.files.storage import default_storage

        name = (job.report or {}).get("report_file")
        if not name:
            return
        with default_storage.open(name, "rb") as stored, open(target, "wb") as out:
            out.write(stored.read())
        self.stdout.write(_("Đã ghi báo cáo đầy đủ ra %(path)s") % {"path": target})

    # Scans ---------------------------------------------------------------------------------------------

    def attach_scans(self, directory, entries, attach):
        from collections_app.ingest.scans import Status, ingest_scan_file

        if not directory.is_dir():
            raise CommandError(_("Không tìm thấy thư mục tệp quét “%(dir)s”.") % {"dir": directory})
        counts = {"stored": 0, "duplicate": 0, "missing": 0, "refused": 0, "ready": 0}
        for reference_code, written in entries:
            local = directory.joinpath(*PureWindowsPath(written).parts)
            if not local.is_file():
                counts["missing"] += 1
                self.stdout.write(
                    _("[thiếu] %(path)s: không có tệp này trong %(dir)s")
                    % {"path": written, "dir": directory}
                )
                continue
            if not attach:
                counts["ready"] += 1
                continue
            record = find_by_reference_code(reference_code)
            result = ingest_scan_file(local, local.name, record)
            if result.status == Status.STORED:
                counts["stored"] += 1
            elif result.status == Status.DUPLICATE:
                counts["duplicate"] += 1
            else:
                counts["refused"] += 1
                self.stdout.write(
                    _("[từ chối] %(path)s: %(message)s") % {"path": written, "message": result.message}
                )
        self.stdout.write(
            _(
                "Tệp quét: %(stored)s đã gắn, %(duplicate)s trùng, %(refused)s bị từ chối, %(missing)s không "
                "tìm thấy, %(ready)s sẵn sàng."
            )
            % counts
        )

    def exit_status(self, job):
        if job.status == ImportStatus.INVALID:
            raise CommandError(
                _("Tệp có %(count)s lỗi: chưa ghi gì. Sửa các lỗi trên rồi chạy lại.")
                % {"count": job.error_count}
            )
        if job.status in (ImportStatus.INTERRUPTED, ImportStatus.FAILED, ImportStatus.IMPORTING):
            raise CommandError(job.message)


def _row(entry):
    sheet = entry.get("sheet")
    row = entry.get("row")
    if not row:
        return _("tệp")
    return (
        _("trang “%(sheet)s” dòng %(row)s") % {"sheet": sheet, "row": row}
        if sheet
        else _("dòng %(row)s") % {"row": row}
    )


def _delimiter(value):
    if not value:
        return ""
    return _("phân cách bằng “%(delimiter)s”") % {"delimiter": value}
