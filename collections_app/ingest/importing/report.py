"""The import report: every problem with its row, column, value, what is wrong and how to fix it.

Errors and warnings are kept in memory up to a cap (shown in the admin and stored on the job); all
of them, with the informational lines (records that will be updated, scan paths), go to a CSV file
as they come, so a report of a million rows never sits in memory.
"""

import csv
import tempfile

from django.utils.translation import gettext as _

ERROR, WARNING, INFO = "error", "warning", "info"
LEVEL_LABELS = {ERROR: "lỗi", WARNING: "cảnh báo", INFO: "thông tin"}
KEPT_ISSUES = 1000
KEPT_UPDATES = 200


class Report:
    def __init__(self, kept=KEPT_ISSUES):
        self.kept = kept
        self.issues = []
        self.counts = {ERROR: 0, WARNING: 0, INFO: 0}
        self.updates = []
        self.update_count = 0
        self.sheet_names = []
        self._spool = tempfile.NamedTemporaryFile(
            mode="w+", encoding="utf-8-sig", newline="", suffix=".csv", delete=True
        )
        self._writer = csv.writer(self._spool)
        self._writer.writerow(
            [_("Mức"), _("Trang tính"), _("Dòng"), _("Cột"), _("Giá trị"), _("Vấn đề"), _("Cách sửa")]
        )

    @property
    def errors(self):
        return self.counts[ERROR]

    @property
    def warnings(self):
        return self.counts[WARNING]

    def add(self, level, sheet, row, column, value, message, hint=""):
        self.counts[level] += 1
        value = "" if value is None else str(value)
        if len(value) > 200:
            value = value[:200] + "…"
        self._writer.writerow(
            [LEVEL_LABELS[level], sheet, row or "", column or "", value, str(message), str(hint)]
        )
        if level != INFO and len(self.issues) < self.kept:
            self.issues.append(
                {
                    "level": level,
                    "sheet": sheet,
                    "row": row,
                    "column": str(column or ""),
                    "value": value,
                    "message": str(message),
                    "hint": str(hint),
                }
            )

    def error(self, sheet, row, column, value, message, hint=""):
        self.add(ERROR, sheet, row, column, value, message, hint)

    def warning(self, sheet, row, column, value, message, hint=""):
        self.add(WARNING, sheet, row, column, value, message, hint)

    def file_error(self, message, hint=""):
        """A problem with the file as a whole (no row, no column)."""
        self.add(ERROR, "", "", "", "", message, hint)

    def file_warning(self, message, hint=""):
        self.add(WARNING, "", "", "", "", message, hint)

    def info(self, sheet, row, column, value, message, hint=""):
        self.add(INFO, sheet, row, column, value, message, hint)

    def update(self, sheet, row, level_label, code):
        self.update_count += 1
        if len(self.updates) < KEPT_UPDATES:
            self.updates.append({"sheet": sheet, "row": row, "level": str(level_label), "code": code})
        self.info(sheet, row, "", code, _("Đã có %(level)s mã này: sẽ cập nhật.") % {"level": level_label})

    def open_csv(self):
        """The full report as a binary file to store (UTF-8 with BOM, so Excel reads it)."""
        self._spool.flush()
        return open(self._spool.name, "rb")

    def close(self):
        self._spool.close()
