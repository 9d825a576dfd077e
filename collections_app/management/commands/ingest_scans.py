"""Attach a folder of scan files to files and documents named by the reference code in each file name."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from collections_app.ingest.scans import STATUS_LABELS, Status, find_record_for_scan, ingest_scan_file
from collections_app.management.arguments import archive_by_slug_or_code
from collections_app.models import OcrMode
from collections_app.transfers import freeze

# Files that operating systems leave in folders; never scans.
SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
UNKNOWN = "unknown"
FAILED = "failed"


class Command(BaseCommand):
    help = _(
        "Gắn các tệp quét trong một thư mục (kể cả thư mục con) vào hồ sơ, tài liệu theo mã trong tên "
        "tệp ({docId}.pdf, mã hồ sơ, mã tham chiếu đầy đủ hoặc mã cũ), rồi đưa vào hàng đợi xử lý."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("thư mục chứa tệp quét"))
        parser.add_argument("--archive", required=True, help=_("đường dẫn (slug) hoặc mã cơ quan lưu trữ"))
        parser.add_argument("--dry-run", action="store_true", help=_("chỉ kiểm tra và báo cáo, không ghi gì"))
        parser.add_argument(
            "--ocr-mode",
            choices=[mode.value for mode in OcrMode],
            default=None,
            help=_("cách nhận dạng chữ với PDF đã có lớp chữ: skip (mặc định), redo, force"),
        )

    def handle(self, directory, archive, dry_run, ocr_mode, **options):
        root = Path(directory)
        if not root.is_dir():
            raise CommandError(_("Không tìm thấy thư mục “%(dir)s”.") % {"dir": directory})
        archive = archive_by_slug_or_code(archive)
        if not dry_run and (refused := freeze.refusal(archive)):
            raise CommandError(refused)
        counts = {status: 0 for status in (Status.READY, Status.STORED, Status.DUPLICATE, Status.REFUSED)}
        counts[UNKNOWN] = counts[FAILED] = 0
        seen_in_run = {}
        for path in scan_paths(root):
            relative = path.relative_to(root).as_posix()
            status, message = self.ingest_one(path, archive, dry_run, ocr_mode, seen_in_run, relative)
            counts[status] += 1
            self.stdout.write(f"[{status_label(status)}] {relative}: {message}")
        self.stdout.write(summary(counts, dry_run))
        problems = counts[Status.REFUSED] + counts[UNKNOWN] + counts[FAILED]
        if problems:
            raise CommandError(
                _("%(count)s tệp không gắn được vào hồ sơ, tài liệu; xem lý do ở từng dòng trên.")
                % {"count": problems}
            )

    def ingest_one(self, path, archive, dry_run, ocr_mode, seen_in_run, relative):
        record, problem = find_record_for_scan(archive, path.name)
        if record is None:
            return UNKNOWN, problem
        try:
            result = ingest_scan_file(path, path.name, record, ocr_mode=ocr_mode, dry_run=dry_run)
        except (OSError, DatabaseError) as error:
            return FAILED, _("Lỗi khi đọc hoặc lưu tệp: %(error)s. Chạy lại lệnh sau khi khắc phục.") % {
                "error": error
            }
        if result.status == Status.READY and result.sha256 in seen_in_run:
            return Status.DUPLICATE, _(
                "Trùng nội dung với “%(other)s” trong cùng thư mục; chỉ lưu một lần."
            ) % {"other": seen_in_run[result.sha256]}
        seen_in_run.setdefault(result.sha256, relative)
        return result.status, result.message


def scan_paths(root):
    """Every file under ``root``, folders walked in name order; hidden and system files left out."""
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name.lower() in SYSTEM_FILES:
                continue
            yield Path(folder) / name


def status_label(status):
    if status in STATUS_LABELS:
        return STATUS_LABELS[status]
    return _("không rõ mã") if status == UNKNOWN else _("lỗi")


def summary(counts, dry_run):
    total = sum(counts.values())
    parts = {
        "total": total,
        "duplicate": counts[Status.DUPLICATE],
        "refused": counts[Status.REFUSED],
        "unknown": counts[UNKNOWN],
        "failed": counts[FAILED],
    }
    if dry_run:
        return _(
            "Chạy thử, chưa ghi gì. %(total)s tệp: sẽ lưu %(ready)s, trùng %(duplicate)s, từ chối "
            "%(refused)s, không rõ mã %(unknown)s, lỗi %(failed)s."
        ) % {**parts, "ready": counts[Status.READY]}
    return _(
        "%(total)s tệp: đã lưu %(stored)s, trùng %(duplicate)s, từ chối %(refused)s, không rõ mã "
        "%(unknown)s, lỗi %(failed)s."
    ) % {**parts, "stored": counts[Status.STORED]}
