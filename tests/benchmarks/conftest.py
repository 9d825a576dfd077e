"""Benchmarks: collected only when asked for (``pytest tests/benchmarks``), never in the default run.

The default run ignores this folder (pyproject ``--ignore=tests/benchmarks``) and pytest's default
``test_*.py`` pattern would not collect ``bench_*.py`` anyway; the hooks below undo both, but only
when the benchmarks folder (or a file in it) is named on the command line.
"""

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _inside(path):
    path = Path(path).resolve()
    return path == HERE or HERE in path.parents


def _asked_for_benchmarks(config):
    return any(_inside(arg.split("::")[0]) for arg in config.args)


def pytest_ignore_collect(collection_path, config):
    if _inside(collection_path) and _asked_for_benchmarks(config):
        return False
    return None


def pytest_collect_file(file_path, parent):
    if parent.session.isinitpath(file_path):
        return None  # named on the command line: pytest collects it itself
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and _inside(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """The test database, as pytest-django makes it, for tests that use no ``db`` fixture.

    The benchmarks load their data once per module and must not run inside a test transaction
    (rows are committed one by one, requests see committed data), so they use
    ``django_db_blocker.unblock()`` rather than the ``db`` fixture or the ``django_db`` mark, and
    pytest-django would then create no database at all: this fixture always sets up ``default``.
    With ``--reuse-db`` the database (and the loaded catalogue) is kept for the next run.
    """
    from django.test.utils import setup_databases, teardown_databases

    if not django_db_use_migrations:
        pytest.fail("The benchmarks need the migrations (they create the administrative units).")
    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=keepdb,
            aliases={"default"},
            serialized_aliases=set(),  # never serialise a kept database of a million rows
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=request.config.option.verbose)


@pytest.fixture
def db_workers():
    """``with db_workers(count, environment, log_dir):`` runs that many ``manage.py db_worker`` processes.

    They use ``archivecms.settings.test_worker`` and ``environment`` (the database URL, the storage
    folder, settings), log into ``log_dir``, and are stopped (SIGTERM, then killed) on leaving.
    """
    return running_db_workers


@contextmanager
def running_db_workers(count, environment, log_dir, interval=0.1):
    from django.conf import settings

    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "archivecms.settings.test_worker", **environment}
    command = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]
    workers = []
    try:
        for number in range(count):
            log = open(Path(log_dir) / f"worker-{number}.log", "wb")  # noqa: SIM115
            process = subprocess.Popen(  # noqa: S603 - our own manage.py, fixed arguments
                [*command, "--interval", str(interval)],
                cwd=settings.BASE_DIR,
                env=environment,
                stdout=log,
                stderr=log,
            )
            workers.append((process, log))
        yield workers
    finally:
        for process, _log in workers:
            process.send_signal(signal.SIGTERM)
        for process, log in workers:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
