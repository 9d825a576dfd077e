"""Description import at the scale of a province: CSV or XLSX inventories into the description tree.

``jobs.run_job`` validates a whole file (streamed), then writes it in batches, each batch in one
transaction with the job's checkpoint, so an interrupted import resumes where it stopped. The
command ``import_records`` and the admin ("Nhập mô tả") both run it; the admin through the task
``tasks.run_import_job``. The columns accepted are listed in ``columns`` and in DOMAIN.md.
"""
