import socket
import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

import boto3
import pytest
from django.db import connection
from django_tasks import task_backends

from archivecms.portal.factories import archive_page, national_home
from collections_app.factories import ArchiveFactory, current_province


@pytest.fixture
def home(db):
    return national_home()


@pytest.fixture
def tuyen_quang(home):
    archive = ArchiveFactory(
        code="LT08",
        name="Trung tâm Lưu trữ lịch sử tỉnh Tuyên Quang",
        slug="tuyen-quang",
        unit=current_province("Tuyên Quang"),
    )
    archive_page(archive)
    return archive


@pytest.fixture
def dong_nai(home):
    archive = ArchiveFactory(
        code="LT75",
        name="Trung tâm Lưu trữ lịch sử tỉnh Đồng Nai",
        slug="dong-nai",
        unit=current_province("Đồng Nai"),
    )
    archive_page(archive)
    return archive


@pytest.fixture
def other_process_database():
    """Call it, once the test data exists, to share the test database with worker processes."""
    return database_for_other_processes


@contextmanager
def database_for_other_processes(folder):
    """A database URL another process can open, holding exactly what this test's database holds."""
    if connection.vendor == "postgresql":
        details = connection.settings_dict
        yield (
            f"postgres://{quote(details['USER'] or '')}:{quote(details['PASSWORD'] or '')}@"
            f"{details['HOST'] or 'localhost'}:{details['PORT'] or 5432}/{details['NAME']}"
        )
        return
    # SQLite: the test database lives in this process's memory. Copy it to a file and use the file
    # meanwhile; the in-memory database stays open, untouched, for the tests that follow.
    path = Path(folder) / "shared.sqlite3"
    connection.ensure_connection()
    in_memory = connection.connection
    with closing(sqlite3.connect(path)) as target:
        in_memory.backup(target)
    original_name = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original_name
        connection.connection = in_memory


S3_BUCKET = "kho-luu-tru-rieng"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_storage(settings):
    """Default storage on a local S3 endpoint (moto's server on a free port), as production configures it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {"aws_access_key_id": "kho-test", "aws_secret_access_key": "kho-test-secret"}
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials)
    client.create_bucket(Bucket=S3_BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {  # as archivecms/settings/production.py builds them from the environment
                "bucket_name": S3_BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": credentials["aws_access_key_id"],
                "secret_key": credentials["aws_secret_access_key"],
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": settings.FILE_URL_EXPIRY_SECONDS,
                "custom_domain": None,
                "signature_version": "s3v4",
                "file_overwrite": False,
            },
        },
    }
    client.endpoint = endpoint
    client.bucket = S3_BUCKET
    try:
        yield client
    finally:
        server.stop()


class QueuedTasks:
    """The tasks enqueued, kept as in a queue no worker has reached yet; ``run()`` is the worker."""

    def run(self):
        backend = task_backends["default"]
        for result in backend.results:
            result.task.call(*result.args, **result.kwargs)
        backend.clear()

    def clear(self):
        """Forget them, as when the worker died with them."""
        task_backends["default"].clear()


@pytest.fixture
def queued_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return QueuedTasks()
