"""Hatch served by daphne in a child process: the production ASGI stack, for tests and tools.

Django's own ``live_server`` runs WSGI in a thread of the test process: no websocket, no
Channels, no psycopg pool under a real event loop. ``LiveServer`` runs
``daphne hatch.asgi:application`` instead, so that HTTP, the inbox websocket, whitenoise and
the connection pool are the ones production runs, and a test can stop and restart the
server under an open page.

The child reads its settings from the environment, as production does. It uses
``hatch.test_settings`` (test provider credentials that never leave the machine, static
files served from the source folders) with:

- ``DATABASE_URL``: the database the caller names. In a test, ``for_test_database()``
  points it at pytest-django's test database; the test must then be
  ``django_db(transaction=True)`` so that its writes are committed where the server sees
  them.
- ``PUBLIC_BASE_URL``: the server's own address, so that Twilio signatures computed over
  ``server.url + path`` validate.
- ``TASK_BACKEND=dummy``: nothing works the queue, so a queued SMS stays queued until a test
  moves it (with a status callback, for instance).
- ``REDIS_URL`` empty: the in-memory channel layer, which reaches every websocket of the one
  daphne process and nothing else, so parallel runs on a shared Redis cannot see each
  other's events. Pass ``env={"REDIS_URL": ...}`` to run on Redis instead.
- ``PGAPPNAME=hatch-live-server``: its database connections carry that application_name
  in ``pg_stat_activity``.
"""

import ctypes
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
APPLICATION_NAME = "hatch-live-server"
# Seconds to wait for /health after starting, and for the process to exit after SIGTERM.
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class LiveServerError(RuntimeError):
    """The server did not come up; the message ends with the tail of its log."""


class LiveServer:
    """``daphne -b 127.0.0.1 -p <port> hatch.asgi:application`` in a child process.

    ``start()`` returns once ``/health`` answers 200 (the database is reachable);
    ``stop()`` sends SIGTERM, as a deployment would, and kills after STOP_TIMEOUT;
    ``restart()`` comes back on the same port, so open pages can reconnect. The port is
    picked once, free at construction. Usable as a context manager (start, then stop).
    """

    def __init__(
        self,
        database_url: str,
        *,
        settings_module: str = "hatch.test_settings",
        env: dict[str, str] | None = None,
        port: int | None = None,
    ):
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.database_url = database_url
        self.settings_module = settings_module
        self.extra_env = dict(env or {})
        self._process: subprocess.Popen | None = None
        self._log_dir = tempfile.TemporaryDirectory(prefix="hatch-live-server-")
        self.log_path = Path(self._log_dir.name) / "daphne.log"

    def __enter__(self) -> "LiveServer":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        # The test process sets this so that Playwright's event loop may share a thread with
        # the ORM; a production server never has it.
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": self.settings_module,
                "DATABASE_URL": self.database_url,
                "PUBLIC_BASE_URL": self.url,
                "ALLOWED_HOSTS": f"{HOST},localhost",
                "DEBUG": "false",
                "TASK_BACKEND": "dummy",
                "REDIS_URL": "",
                # libpq's application_name: the server's connections can be told apart in
                # pg_stat_activity from the test process's own.
                "PGAPPNAME": APPLICATION_NAME,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = START_TIMEOUT) -> None:
        if self.running:
            raise LiveServerError(f"The server at {self.url} is already running.")
        with self.log_path.open("ab") as log:
            # A fixed argument list, no shell: nothing here comes from outside the process.
            self._process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    HOST,
                    "-p",
                    str(self.port),
                    "hatch.asgi:application",
                ],
                cwd=BASE_DIR,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise LiveServerError(
                    f"daphne exited with code {self._process.returncode} before answering "
                    f"/health on {self.url}.\n{self.log_tail()}"
                )
            if self._health() == 200:
                return
            if time.monotonic() > deadline:
                self.stop()
                raise LiveServerError(
                    f"daphne did not answer /health with 200 on {self.url} within "
                    f"{timeout:.0f} s.\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._log_dir.cleanup()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(daphne wrote nothing)"
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- daphne output (last {lines} lines) ---\n{tail}"

    def _health(self) -> int | None:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
        try:
            connection.request("GET", "/health")
            return connection.getresponse().status
        except OSError:
            return None
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def run_manage_command(
    *args: str, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess:
    """``python manage.py <args>`` in a child process with exactly ``env``, output captured.

    Never raises on failure: the caller judges ``returncode`` and shows what it needs.
    """
    # A fixed program; the arguments come from the calling test, never from outside.
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def database_url(settings_dict: dict) -> str:
    """A ``postgres://`` URL for a Django PostgreSQL connection's settings."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else f"{user}@" if user else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def for_test_database(**kwargs) -> LiveServer:
    """A server on the database the test process is connected to (pytest-django's test one).

    Call it once pytest-django has created the test database (after ``django_db_setup``):
    before that, the connection still names the development database.
    """
    from django.db import connection

    return LiveServer(database_url(connection.settings_dict), **kwargs)


# Looked up here, not in the forked child, where loading a library could deadlock.
_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Have Linux SIGTERM the child when the test process dies (a killed pytest run).

    An orphaned server would keep its pooled connections to the test database, and the
    next run could not drop and recreate it. (Linux sends the signal when the thread that
    started the child exits: start servers from the main thread.)
    """
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
