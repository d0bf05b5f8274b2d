"""What a newcomer meets: `make run`, the .env it leaves, and the commands run after it.

Each test runs the real `make run` (scripts/run.sh) in a copy of this checkout, from an
environment as bare as a new user's shell (no DEBUG, no DATABASE_URL, nothing the test
suite sets), and talks to the server it starts. The copy's .venv borrows this one's
installed packages, so that bootstrap finds everything installed and the run takes seconds.
"""

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from testing.live_server import database_url, free_port

PROJECT = Path(__file__).resolve().parents[2]
# What a clone holds: no virtualenv, no local settings or data, nothing generated.
NOT_IN_A_CLONE = shutil.ignore_patterns(
    ".git", ".venv", ".env", "db.sqlite3*", "staticfiles", "__pycache__", ".hypothesis",
    ".pytest_cache", ".ruff_cache", "test-results", "docs", "results",
)  # fmt: skip
START_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("checkout") / "hatch"
    shutil.copytree(PROJECT, root, ignore=NOT_IN_A_CLONE, symlinks=True)
    # A virtualenv whose interpreter and site-packages are this one's (pyvenv.cfg next to
    # the interpreter's path makes it one), marked installed as bootstrap marks it.
    venv = root / ".venv"
    (venv / "bin").mkdir(parents=True)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", venv / "pyvenv.cfg")
    (venv / "lib").symlink_to(Path(sys.prefix) / "lib")
    (venv / "bin" / "python").symlink_to(Path(sys.prefix) / "bin" / "python")
    requirements_hash = subprocess.run(
        ["bash", "-c", "cat requirements*.txt | sha256sum | cut -c1-16"],
        cwd=root,
        env=new_user_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (venv / f".installed-{requirements_hash}-requirements.txt").touch()
    return root


@pytest.fixture
def clean_checkout(checkout):
    """The checkout as cloned: what an earlier test's run left is removed first."""
    for leftover in (".env", "db.sqlite3"):
        (checkout / leftover).unlink(missing_ok=True)
    return checkout


def new_user_environment(**extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


class MakeRun:
    """`make run` in the background, its output in a file, stopped with its process group."""

    def __init__(self, checkout: Path, log: Path, **env: str):
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                ["make", "run"],
                cwd=checkout,
                env=new_user_environment(**env),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while "Listening on TCP address" not in self.output:
            assert self.process.poll() is None, f"make run exited:\n{self.output}"
            assert time.monotonic() < deadline, f"make run did not serve:\n{self.output}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def make_run_until_it_exits(checkout: Path, **env: str) -> subprocess.CompletedProcess:
    process = subprocess.Popen(
        ["make", "run"],
        cwd=checkout,
        env=new_user_environment(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        # A server that started after all: stop it with its children, then fail.
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"make run did not exit:\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def manage(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    """A README command, as typed in the same shell after `make run`: nothing exported."""
    return subprocess.run(
        [".venv/bin/python", "manage.py", *args],
        cwd=checkout,
        env=new_user_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_make_run_leaves_a_development_env_that_the_readme_commands_share(clean_checkout, tmp_path):
    port = free_port()
    run = MakeRun(clean_checkout, tmp_path / "make-run.log", HATCH_ADDRESS=f"127.0.0.1:{port}")
    try:
        run.wait_until_serving()
        assert "run: wrote .env" in run.output
        dotenv = (clean_checkout / ".env").read_text()
        assert re.search(r"^DEBUG=true$", dotenv, re.MULTILINE), dotenv
        assert re.search(r"^TASK_BACKEND=immediate$", dotenv, re.MULTILINE), dotenv
        # The login line names the address it serves at, not a fixed one.
        assert f"Demo login: demo / hatch-demo at http://127.0.0.1:{port} " in run.output

        token = manage(clean_checkout, "drf_create_token", "demo")
        assert token.returncode == 0, token.stderr[-2000:]
        assert "Generated token" in token.stdout
        sms = manage(clean_checkout, "send_sms", "--to", "(415) 555-2671", "--body", "Hello")
        assert sms.returncode == 0, sms.stderr[-2000:]
        assert ": sent (SMS" in sms.stdout  # sent in the process, as the server sends
    finally:
        run.stop()


def test_every_request_is_logged_once_and_the_icon_is_served(clean_checkout, tmp_path):
    port = free_port()
    run = MakeRun(clean_checkout, tmp_path / "make-run.log", HATCH_ADDRESS=f"127.0.0.1:{port}")
    try:
        run.wait_until_serving()
        base = f"http://127.0.0.1:{port}"
        status, headers, _ = get(f"{base}/favicon.ico")
        assert status == 302
        assert headers["Location"] == "/static/img/hatch.svg"
        status, headers, body = get(base + headers["Location"])
        assert (status, headers["Content-Type"]) == (200, "image/svg+xml")
        assert body.lstrip().startswith(b"<svg")
        assert get(f"{base}/no-such-page")[0] == 404

        deadline = time.monotonic() + 10
        while "GET /no-such-page" not in run.output and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # anything written twice is written by now
        lines = run.output.splitlines()
        for needle in ("GET /favicon.ico ", "GET /no-such-page ", "Not Found: /no-such-page"):
            assert sum(needle in line for line in lines) == 1, (needle, run.output[-3000:])
    finally:
        run.stop()


def test_make_run_stops_at_once_when_its_port_is_taken_and_keeps_the_env(clean_checkout):
    dotenv = "# mine\nDEBUG=true\nTASK_BACKEND=immediate\n"
    (clean_checkout / ".env").write_text(dotenv)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        result = make_run_until_it_exits(clean_checkout, HATCH_ADDRESS=f"127.0.0.1:{port}")

    assert result.returncode != 0
    assert time.monotonic() - started < 30
    assert f"run: port {port} is in use on 127.0.0.1" in result.stderr
    assert re.search(r"HATCH_ADDRESS=127\.0\.0\.1:\d+ make run", result.stderr), result.stderr
    assert "Operations to perform" not in result.stdout  # nothing migrated first
    assert (clean_checkout / ".env").read_text() == dotenv  # never overwritten


def test_make_run_names_why_the_database_cannot_be_reached(clean_checkout):
    closed_port = free_port()
    result = make_run_until_it_exits(
        clean_checkout,
        HATCH_ADDRESS=f"127.0.0.1:{free_port()}",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port}/hatch",
    )

    assert result.returncode != 0
    assert "run: cannot connect to the PostgreSQL database 'hatch'" in result.stderr
    assert f"port {closed_port} failed: Connection refused" in result.stderr
    assert "Operations to perform" not in result.stdout


def test_make_run_creates_the_local_database_its_database_url_names(clean_checkout, tmp_path):
    server = settings.DATABASES["default"]
    name = f"hatch_make_run_{secrets.token_hex(4)}"
    url = database_url({**server, "NAME": name})
    maintenance = database_url({**server, "NAME": "postgres"})
    port = free_port()
    run = MakeRun(
        clean_checkout,
        tmp_path / "make-run.log",
        HATCH_ADDRESS=f"127.0.0.1:{port}",
        DATABASE_URL=url,
    )
    try:
        run.wait_until_serving()
        assert f"run: created the PostgreSQL database '{name}'" in run.output
        assert "Demo login" in run.output  # migrated and seeded there
        # The DATABASE_URL it was given is kept with the rest, for the commands.
        assert f"DATABASE_URL={url}\n" in (clean_checkout / ".env").read_text()
    finally:
        run.stop()
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


SETTINGS_PROBE = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = sys.argv[1]
from django.conf import settings
print(settings.DEBUG, settings.TIME_ZONE, repr(settings.REDIS_URL), settings.TASK_BACKEND,
      bool(settings.SECRET_KEY))
"""


def load_settings(checkout: Path, module: str, **env: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE, module],
        cwd=checkout,
        env=new_user_environment(**env),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.split()


def test_a_developers_env_reaches_manage_py_but_never_the_tests(clean_checkout):
    (clean_checkout / ".env").write_text(
        "DEBUG=true\nTIME_ZONE=Pacific/Auckland\nREDIS_URL=redis://127.0.0.1:1/0\n"
        "TASK_BACKEND=immediate\n"
    )

    assert load_settings(clean_checkout, "hatch.settings") == [
        "True", "Pacific/Auckland", "'redis://127.0.0.1:1/0'", "immediate", "True",
    ]  # fmt: skip
    # What `pytest` loads, and what every server and command the tests start inherits.
    assert load_settings(clean_checkout, "hatch.test_settings") == [
        "False", "UTC", "''", "dummy", "True",
    ]  # fmt: skip


def test_env_example_is_a_working_development_configuration(clean_checkout):
    shutil.copy(clean_checkout / ".env.example", clean_checkout / ".env")

    debug, _, _, task_backend, has_secret_key = load_settings(clean_checkout, "hatch.settings")

    # Its empty SECRET_KEY= once counted as set: Django refused the empty key at the first
    # sign-in.
    assert (debug, task_backend, has_secret_key) == ("True", "immediate", "True")
