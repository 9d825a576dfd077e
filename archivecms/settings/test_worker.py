"""Settings for a task worker that a test starts in another process (``manage.py db_worker``).

The test settings, with the database task queue instead of running tasks at once, and a file
storage instead of the in-memory one, so the test and the worker see the same files. The test
passes the database (``DATABASE_URL``, read by base.py) and the storage folder
(``TEST_STORAGE_DIR``) in the environment.
"""

import os

from .test import *  # noqa: F401,F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ["TEST_STORAGE_DIR"]},
    },
}
