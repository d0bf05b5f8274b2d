"""The fault suite: Hatch under provider outages, killed workers, a restarted database and
webhook storms. Every test here is marked ``faults`` (``pytest -m faults`` runs only them).

Each test records its figures (records, faults injected, attempts, duplicates, lost,
durations) with the ``figures`` fixture; they are printed at the end of the run and, with
``HATCH_FAULT_FIGURES=path.json``, written to that file for the README.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
_FIGURES: dict[str, dict] = {}


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter):
    if not _FIGURES:
        return
    terminalreporter.section("fault figures")
    for name, values in _FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(values, sort_keys=True)}")
    if path := os.environ.get("HATCH_FAULT_FIGURES"):
        Path(path).write_text(json.dumps(_FIGURES, indent=2, sort_keys=True) + "\n")


@pytest.fixture
def figures(request):
    """A dict whose content is reported under the test's name."""
    values: dict = {}
    yield values
    _FIGURES[request.node.name] = values


class Workers:
    """``manage.py db_worker`` processes on the test database, as production runs them."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.processes: list[subprocess.Popen] = []
        self._logs = tempfile.TemporaryDirectory(prefix="hatch-faults-workers-")

    def start(self, count: int) -> None:
        for _ in range(count):
            log = open(Path(self._logs.name) / f"worker-{len(self.processes)}.log", "ab")  # noqa: SIM115
            # A fixed argument list, no shell.
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "manage.py",
                        "db_worker",
                        "--no-startup-delay",
                        "--no-reload",
                        "--interval",
                        "0.05",
                    ],
                    cwd=BASE_DIR,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            log.close()

    def kill(self) -> None:
        """SIGKILL: no clean-up, no chance to write anything down."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
        for process in self.processes:
            process.wait(10)
        self.processes = []

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def alive(self) -> int:
        return sum(process.poll() is None for process in self.processes)

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for path in sorted(Path(self._logs.name).glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name} ---\n" + "\n".join(text))
        return "\n".join(out)

    def close(self) -> None:
        self.stop()
        self._logs.cleanup()


def worker_environment(fake, **overrides) -> dict[str, str]:
    """The environment of a worker on pytest-django's test database, talking to ``fake``."""
    from django.db import connection

    from testing.live_server import database_url

    env = dict(os.environ)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hatch.test_settings",
            "DATABASE_URL": database_url(connection.settings_dict),
            "DEBUG": "false",
            "TASK_BACKEND": "database",
            "REDIS_URL": "",
            "TWILIO_API_BASE_URL": fake.base_url,
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "SENDGRID_API_HOST": fake.base_url,
            "SENDGRID_API_KEY": fake.api_key,
            "DB_POOL_MAX_SIZE": "2",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    env.update({key: str(value) for key, value in overrides.items()})
    return env


@pytest.fixture
def workers():
    started: list[Workers] = []

    def make(fake, **overrides) -> Workers:
        pool = Workers(worker_environment(fake, **overrides))
        started.append(pool)
        return pool

    yield make
    for pool in started:
        pool.close()


@pytest.fixture
def database_backend(settings):
    """Enqueue into django-tasks-db (as production does) instead of the test's dummy queue."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
