"""Re-queue scans whose processing stopped (a worker killed or a server restarted mid-scan).

Run it after restarting the task workers, or from cron (for example every 10 minutes); the
``sweep_stale_scans`` task does the same from inside ``db_worker`` while scans are in flight.
``--loop SECONDS`` keeps it running as a small watchdog process next to the workers.
"""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collections_app.ingest.processing import remove_dead_work_folders, requeue_stale_scans


class Command(BaseCommand):
    help = (
        "Đưa lại vào hàng đợi các bản số hóa bị dừng giữa chừng khi xử lý (tiến trình db_worker bị tắt); "
        "đánh dấu lỗi những bản đã dừng quá SCAN_MAX_ATTEMPTS lần."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            type=float,
            default=0,
            metavar="SECONDS",
            help=gettext_lazy("Chạy lặp lại sau mỗi SECONDS giây (0: chạy một lần rồi thoát)."),
        )

    def handle(self, *args, loop=0, **options):
        while True:
            self.sweep_once()
            if not loop:
                return
            time.sleep(loop)

    def sweep_once(self):
        recovered = requeue_stale_scans()
        remove_dead_work_folders()
        for digital_object, action, reason in recovered:
            line = _("Đưa lại vào hàng đợi") if action == "requeued" else _("Đánh dấu lỗi")
            self.stdout.write(f"{line}: #{digital_object.pk} {digital_object.original_name} ({reason})")
        self.stdout.write(_("Số bản số hóa bị dừng đã xử lý: %(count)s.") % {"count": len(recovered)})
