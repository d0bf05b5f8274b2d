"""Hatch's benchmark: the API under load, served the way production serves it.

    bench/run --size 1M                    # or: .venv/bin/python -m bench --size 1M
    bench/run --size 10k --size 1M         # both, and the 1M/10k ratio of the list's median
    bench/run --quick                      # 2 s runs: a check that everything works
    bench/run --server asgi                # the same app under uvicorn workers, to compare

For each size it builds (or reuses) a dataset in its own database (hatch_bench_<size> next to
DATABASE_URL's server; reused only while its row counts match the size), starts gunicorn with
gunicorn.conf.py (sync workers, DEBUG=False, the psycopg pool), a local Twilio-compatible
server (testing.fake_providers) and two ``manage.py db_worker``, and drives each workload with
wrk at 1, 16 and 64 connections. It prints a table and writes JSON to bench/results/.

Workloads:
    list        GET /api/conversations (first page)
    list_1000   GET /api/conversations?page_size=1000
    thread      GET /api/conversation/<id>/messages (the conversation with most messages)
    send_name   POST /api/send_message to a name: stored, delivered at once
    send_sms    POST /api/send_message to phone numbers: queued, then sent by the two
                workers to the fake Twilio; measured from accept to provider (sent_at)
    sms_burst   600 SMS accepted at once, then delivered: SMS/s to the provider
    broadcast   POST /api/broadcasts to 10,000 new numbers: accept, prepare, deliver
    scheduled   200 SMS with send_at 65-85 s ahead: how late each goes
    search      GET /api/search for a common word, a rare one, a phrase and part of a
                number: latency at 1 connection, errors at 16
    search_cost send_sms at 16 connections without the search indexes, then with them
    reports     a full refresh of the reports' counts, then each report over a year
and the ceiling: the row writes of one send done directly with psycopg in a loop.

Rows the sends add are deleted after each run, so the dataset stays its size.
"""

import argparse
import functools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import Request, urlopen

import psycopg

from bench import reading

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
WRK_SCRIPT = ROOT / "bench" / "wrk.lua"

# name: (conversations, messages per conversation). 1,000 conversations throughout, as the
# system Hatch replaces was measured with; the size is the number of messages.
SIZES = {
    "tiny": (20, 5),
    "10k": (1000, 10),
    "100k": (1000, 100),
    "1M": (1000, 1000),
}
WORKLOADS = (
    "list", "list_1000", "thread", "send_name", "send_sms", "sms_burst", "broadcast", "scheduled",
    "search", "search_cost", "reports",
)  # fmt: skip
# Not driven by wrk: a fixed amount of work each, measured to the provider and reported
# apart; run only when there are delivery workers.
FIXED_COUNT_WORKLOADS = ("sms_burst", "broadcast", "scheduled")
# Reported apart too (bench.reading), each with its own requests: latency at one
# connection, errors at more.
READING_WORKLOADS = ("search", "search_cost", "reports")
READING_CONNECTIONS = [1, 16]
# The days the datasets' messages spread over (seed_demo --days).
DATASET_DAYS = 365
# sms_burst: this many SMS accepted as fast as BURST_CONNECTIONS clients send them, then
# delivered by the workers; measured from the first provider request to the last.
BURST_SIZE = 600
BURST_CONNECTIONS = 16
# broadcast: one SMS broadcast to this many numbers (--broadcast-size), posted once through
# the API, its messages created by the prepare_broadcast task and sent by the workers. The
# issue's target: all of them accepted by the provider within 2 minutes of the POST.
BROADCAST_SIZE = 10_000
BROADCAST_NAME = "Bench broadcast"  # how leftovers of an interrupted run are found
BROADCAST_TARGET_SECONDS = 120
BROADCAST_TIMEOUT = 600.0
# scheduled: this many SMS posted with "send_at" by SCHEDULED_CONNECTIONS clients, due
# evenly over SCHEDULED_WINDOW seconds from SCHEDULED_LEAD after the first post: the API
# refuses a send_at less than a minute ahead, and the 5 s beyond it cover the posting.
# The target: each one's first provider request within 5 s of its send_at (p99).
SCHEDULED_COUNT = 200
SCHEDULED_CONNECTIONS = 16
SCHEDULED_LEAD = 65.0
SCHEDULED_WINDOW = 20.0
SCHEDULED_TARGET_MS = 5000
# Recipients of the sends, none of them in the seeded data: the seed's names are
# "First Last" and its numbers use other area codes. 64 of each, so that 64 connections
# update different conversations, as real senders do.
NAME_RECIPIENTS = [f"Bench Recipient {index}" for index in range(1, 65)]
PHONE_RECIPIENTS = [f"+1919555{line:04d}" for line in range(100, 164)]
CEILING_RECIPIENTS = [f"Ceiling Recipient {index}" for index in range(1, 65)]
BENCH_CONTACTS = NAME_RECIPIENTS + PHONE_RECIPIENTS + CEILING_RECIPIENTS
SENDER_NUMBER = "+15005550006"
FAKE_ACCOUNT_SID = "AC" + "0" * 32
FAKE_AUTH_TOKEN = "bench-auth-token"
WORKER_INTERVAL = "0.2"  # as docker-compose.yaml's worker


def broadcast_numbers(size: int) -> list[str]:
    """The broadcast's recipients: +1 919 700-0000 onwards, valid US numbers (the default
    SMS_ALLOWED_COUNTRIES) in an area code the seed never uses (seed_demo's AREA_CODES), and
    apart from PHONE_RECIPIENTS' 919-555 block: each one a new conversation and contact."""
    return [f"+1919{7_000_000 + index:07d}" for index in range(size)]


def log(text: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {text}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--size",
        action="append",
        choices=sorted(SIZES),
        help="dataset size, repeatable (default 1M); 1,000 conversations each",
    )
    parser.add_argument("--server", choices=["wsgi", "asgi"], default="wsgi")
    parser.add_argument(
        "--workers", type=int, default=None, help="web workers (default: gunicorn.conf.py's)"
    )
    parser.add_argument("--connections", default="1,16,64", help="comma-separated")
    parser.add_argument("--duration", type=float, default=None, help="seconds per run (10)")
    parser.add_argument("--quick", action="store_true", help="2 s runs")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    parser.add_argument("--no-ceiling", dest="ceiling", action="store_false")
    parser.add_argument(
        "--broadcast-size",
        type=int,
        default=BROADCAST_SIZE,
        metavar="RECIPIENTS",
        help=f"the broadcast workload's recipients ({BROADCAST_SIZE:,}; at most 100,000)",
    )
    parser.add_argument(
        "--delivery-workers",
        type=int,
        default=2,
        help="manage.py db_worker processes (2); 0 measures send_sms's accepting alone",
    )
    parser.add_argument(
        "--provider-latency",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="the fake providers answer after this long (0.2; Twilio answers in 0.1-0.3 s)",
    )
    parser.add_argument("--port", type=int, default=8471, help="the web server's port")
    parser.add_argument("--database-prefix", default="hatch_bench")
    parser.add_argument("--output", type=Path, help="JSON path (default bench/results/<time>.json)")
    args = parser.parse_args(argv)
    args.size = args.size or ["1M"]
    args.duration = args.duration or (2.0 if args.quick else 10.0)
    args.connections = [int(value) for value in args.connections.split(",")]
    args.workloads = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    if not 1 <= args.broadcast_size <= 100_000:  # broadcasts.recipients.RECIPIENTS_MAX
        parser.error("--broadcast-size must be between 1 and 100,000")
    return args


# ---------------------------------------------------------------------------- database


def database_url(name: str) -> str:
    """DATABASE_URL's server (or the local default) with another database name."""
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench: needs PostgreSQL; set DATABASE_URL=postgres://... (any database name)")
    return urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(name: str) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def dataset_counts(url: str) -> tuple[int, int, int]:
    """(conversations, messages, emails) as the summaries count them: no full scan."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), coalesce(sum(message_count), 0) FROM conversations_conversation"
        ).fetchone()
        emails = conn.execute("SELECT count(*) FROM emails_email").fetchone()[0]
    return row[0], int(row[1]), emails


# The bench's conversations: a scan of the small conversations table, and then the
# messages' thread index, rather than a scan of every message for its contacts.
BENCH_THREADS = (
    "SELECT id FROM conversations_conversation "
    "WHERE participant_a = ANY(%(contacts)s) OR participant_b = ANY(%(contacts)s)"
)


def settle(url: str, timeout: float = 60.0) -> None:
    """Wait for the sends still in the server's queue when wrk stopped to be stored.

    wrk stops sending at the end of a run, but requests it had sent wait in the listen
    backlog for a free worker and are stored later: wait until the count stands still.
    """
    deadline = time.monotonic() + timeout
    previous = -1
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            count = conn.execute(
                "SELECT count(*) FROM messaging_message "
                f"WHERE conversation_id IN ({BENCH_THREADS})",
                {"contacts": BENCH_CONTACTS},
            ).fetchone()[0]
            if count == previous:
                return
            previous = count
            time.sleep(0.3)


def waiting_records(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM messaging_message"
            "        WHERE status = 'queued' AND next_attempt_at <= now())"
            " + (SELECT count(*) FROM emails_email"
            "    WHERE status = 'queued' AND next_attempt_at <= now())"
        ).fetchone()[0]


def deliver_backlog(url: str, env: dict[str, str], *, timeout: float = 900.0) -> int:
    """Have the workers deliver the records the dataset holds "queued" (seed_demo draws
    some of every day's sends as still waiting), once, before anything is measured: the
    first send's drain would otherwise take them all on (23,000 SMS at 1M) and every
    figure measured meanwhile would be theirs. Answers how many there were; a reused
    dataset has none left."""
    backlog = waiting_records(url)
    if not backlog:
        return 0
    log(f"delivering the dataset's {backlog:,} waiting records first (once per dataset)")
    manage(env, "sweep_outbox")  # enqueues their delivery: queued long past its time
    deadline = time.monotonic() + timeout
    left, unchanged_since = backlog, time.monotonic()
    # Until none is due, or the count stands still (what waits for a retry's backoff).
    while left and time.monotonic() < min(deadline, unchanged_since + 20):
        time.sleep(2)
        now_left = waiting_records(url)
        if now_left != left:
            left, unchanged_since = now_left, time.monotonic()
    return backlog - left


# The tables the sends, the broadcast and the ceiling update, vacuumed before the runs.
VACUUMED_TABLES = (
    "conversations_conversation",
    "messaging_message",
    "contacts_contact",
    "contacts_contactpoint",
    "broadcasts_broadcastrecipient",
    "django_tasks_database_dbtaskresult",
)


def delete_bench_rows(url: str, contacts: list[str] = BENCH_CONTACTS) -> None:
    """Remove what the sends and the ceiling added (and the finished task rows): the
    conversations with ``contacts``, their messages, and the contacts made for them."""
    with psycopg.connect(url) as conn:
        conversations = BENCH_THREADS
        messages = f"SELECT id FROM messaging_message WHERE conversation_id IN ({conversations})"
        # Whatever points at a message (attempts, provider events, ...) goes first.
        referencing = conn.execute(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND c.confrelid = 'messaging_message'::regclass"
        ).fetchall()
        params = {"contacts": contacts}
        for table, column in referencing:
            conn.execute(f'DELETE FROM {table} WHERE "{column}" IN ({messages})', params)
        conn.execute(f"DELETE FROM messaging_message WHERE id IN ({messages})", params)
        conn.execute(
            f"DELETE FROM conversations_conversation WHERE id IN ({conversations})", params
        )
        # The contacts the sends created for the benchmark's numbers, their points first
        # (Django cascades them, the database does not).
        contacts = [
            row[0]
            for row in conn.execute(
                "SELECT contact_id FROM contacts_contactpoint WHERE value = ANY(%(contacts)s)",
                params,
            )
        ]
        conn.execute("DELETE FROM contacts_contactpoint WHERE contact_id = ANY(%s)", [contacts])
        conn.execute("DELETE FROM contacts_contact WHERE id = ANY(%s)", [contacts])
        # Finished ones only: a delivery task may still be draining the queue, and a worker
        # whose running task's row is gone cannot record its end (django-tasks-db stops).
        conn.execute(
            "DELETE FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('SUCCESSFUL', 'FAILED')"
        )


def delete_broadcast_rows(url: str) -> None:
    """Remove the benchmark's broadcasts (this run's or an interrupted one's): their
    recipients, and through delete_bench_rows their messages, conversations and contacts."""
    with psycopg.connect(url) as conn:
        broadcasts = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM broadcasts_broadcast WHERE name = %s", [BROADCAST_NAME]
            )
        ]
        numbers = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT address FROM broadcasts_broadcastrecipient "
                "WHERE broadcast_id = ANY(%s)",
                [broadcasts],
            )
        ]
        conn.execute(
            "DELETE FROM broadcasts_broadcastrecipient WHERE broadcast_id = ANY(%s)", [broadcasts]
        )
        conn.execute("DELETE FROM broadcasts_broadcast WHERE id = ANY(%s)", [broadcasts])
    # Its messages are in its recipients' conversations, which held nothing else.
    delete_bench_rows(url, contacts=numbers)


def connections_held(conn: psycopg.Connection, database: str) -> int:
    """Connections to `database`, less `conn` (autocommit: a fresh snapshot each call)."""
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    ).fetchone()[0]


# ---------------------------------------------------------------------------- processes


def django_env(url: str, *, web_port: int, fake_url: str | None) -> dict[str, str]:
    """Production's settings, with local stand-ins for the providers and the proxy."""
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY="bench-only-" + "x" * 40,
        DATABASE_URL=url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        TASK_BACKEND="database",
        TWILIO_FROM_NUMBER=SENDER_NUMBER,
        EMAIL_PROVIDER="console",
        SENDGRID_FROM_EMAIL="hatch@example.com",
        PUBLIC_BASE_URL=f"http://127.0.0.1:{web_port}",
        # The channel layer and the send throttle's counts, as in production.
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        # The throttle protects a user's bill; the benchmark measures capacity.
        SEND_RATE_LIMIT="1000000/second",
        # Likewise the daily limits: a day of benchmark runs sends more than a team would.
        SMS_DAILY_LIMIT_PER_USER="0",
        SMS_DAILY_LIMIT="0",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if fake_url:
        env.update(
            SMS_PROVIDER="twilio",
            TWILIO_ACCOUNT_SID=FAKE_ACCOUNT_SID,
            TWILIO_AUTH_TOKEN=FAKE_AUTH_TOKEN,
            TWILIO_API_BASE_URL=fake_url,
            NO_PROXY="127.0.0.1,localhost",
        )
    else:
        env["SMS_PROVIDER"] = "console"
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"bench: manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Processes:
    """Child processes, each in its own process group, stopped together at the end.

    Their output goes to bench/results/server.log (the last run's), not to the table.
    """

    def __init__(self):
        self.children: list[subprocess.Popen] = []
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log = (RESULTS / "server.log").open("w")

    def start(self, args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        kwargs.setdefault("stdout", self.log)
        kwargs.setdefault("stderr", self.log)
        process = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kwargs)
        self.children.append(process)
        return process

    def stop(self) -> None:
        for process in self.children:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.children:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.children = []
        self.log.close()


def start_fake_provider(processes: Processes, env: dict[str, str], latency: float) -> str:
    fake = processes.start(
        [
            PYTHON,
            "-m",
            "testing.fake_providers",
            "--port",
            "0",
            "--account-sid",
            FAKE_ACCOUNT_SID,
            "--auth-token",
            FAKE_AUTH_TOKEN,
            "--latency",
            str(latency),
        ],
        env,
        stdout=subprocess.PIPE,
        text=True,
    )
    base_url = fake.stdout.readline().strip()
    if not base_url.startswith("http"):
        sys.exit("bench: the fake provider did not start")
    return base_url


def server_command(args: argparse.Namespace) -> list[str]:
    command = [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{args.port}"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    if args.server == "asgi":
        command += ["-k", "uvicorn_worker.UvicornWorker", "hatch.asgi:application"]
    return command


def wait_until_up(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"bench: the web server exited at start-up; see {RESULTS / 'server.log'}")
        try:
            request = Request(f"http://127.0.0.1:{port}/health")
            with urlopen(request, timeout=2) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit("bench: the web server did not answer /health within 60 s")


def worker_pids(master: int) -> list[int]:
    output = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in output.split()]


def rss_mb(pids: list[int]) -> float:
    if not pids:
        return 0.0
    output = subprocess.run(
        ["ps", "-o", "rss=", "-p", ",".join(map(str, pids))], capture_output=True, text=True
    ).stdout
    return max((int(value) for value in output.split()), default=0) / 1024


# ---------------------------------------------------------------------------- wrk


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install wrk)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        sys.exit("bench: needs wrk; install it with: sudo apt-get install wrk")
    return found


def run_wrk(
    wrk: str, url: str, *, token: str, connections: int, duration: float, recipients=None
) -> dict:
    env = dict(os.environ, BENCH_TOKEN=token, BENCH_METHOD="POST" if recipients else "GET")
    if recipients:
        env["BENCH_RECIPIENTS"] = "|".join(recipients)
    command = [
        wrk,
        f"-t{min(connections, 2)}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(WRK_SCRIPT),
        url,
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    match = re.search(r"^BENCH_JSON (\{.*\})$", result.stdout, re.MULTILINE)
    if result.returncode or not match:
        sys.exit(f"bench: wrk failed:\n{result.stdout}{result.stderr}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    socket_errors = sum(
        raw[key] for key in ("connect_errors", "read_errors", "write_errors", "timeouts")
    )
    return {
        "connections": connections,
        "requests": raw["requests"],
        "duration_s": round(seconds, 2),
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "median_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": socket_errors + raw["non_2xx"],
        "socket_errors": socket_errors,
        "non_2xx": raw["non_2xx"],
        "bytes": raw["bytes"],
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
    }


def connections_by_pid(url: str) -> dict[int, int]:
    """Open TCP connections to the database server, counted by the client process."""
    port = urlsplit(url).port or 5432
    output = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( dport = :{port} )"],
        capture_output=True,
        text=True,
    ).stdout
    counts: dict[int, int] = {}
    for pid in re.findall(r"pid=(\d+)", output):
        counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


class Sampler:
    """Samples the database connections and the web workers' memory while a run lasts.

    Connections: all of them to the bench database (pg_stat_activity: web, delivery
    workers), and the web server's own (its processes' sockets, from ss).
    """

    def __init__(self, url: str, database: str, master: int):
        self.url, self.database, self.master = url, database, master
        self.max_connections = 0
        self.max_web_connections = 0
        self.max_rss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join()

    def _loop(self):
        # One connection for the whole run: a new one per sample would start a backend
        # process on the measured server twice a second.
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.5):
                self.max_connections = max(
                    self.max_connections, connections_held(conn, self.database)
                )
                workers = worker_pids(self.master)
                self.max_rss_mb = max(self.max_rss_mb, rss_mb(workers))
                by_pid = connections_by_pid(self.url)
                web = sum(by_pid.get(pid, 0) for pid in [self.master, *workers])
                self.max_web_connections = max(self.max_web_connections, web)


# ---------------------------------------------------------------------------- the SMS pipeline


DELAY = "extract(epoch FROM sent_at - created_at)"  # accepted -> the provider answered


def pipeline_stats(url: str, *, timeout: float) -> dict:
    """Wait until the workers have sent every bench SMS; measure accept -> provider."""
    where = (
        f"FROM messaging_message WHERE conversation_id IN ({BENCH_THREADS}) "
        "AND channel = 'sms' AND direction = 'outbound-api'"
    )
    params = {"contacts": PHONE_RECIPIENTS}
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            pending = conn.execute(
                f"SELECT count(*) {where} AND status IN ('queued', 'sending')", params
            ).fetchone()[0]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        row = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE sent_at IS NOT NULL), "
            "count(*) FILTER (WHERE status IN ('failed', 'undelivered')), "
            "extract(epoch FROM max(sent_at) - min(created_at)), "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {DELAY}), "
            f"percentile_cont(0.99) WITHIN GROUP (ORDER BY {DELAY}) "
            f"{where}",
            params,
        ).fetchone()
    accepted, sent, failed, span, median, p99 = row
    return {
        "accepted": accepted,
        "sent": sent,
        "failed": failed,
        "unsent_at_timeout": accepted - sent - failed,
        "messages_per_s": round(sent / float(span), 1) if sent and span else 0.0,
        "median_delay_ms": round(float(median) * 1000, 1) if median is not None else None,
        "p99_delay_ms": round(float(p99) * 1000, 1) if p99 is not None else None,
    }


def sms_burst(url: str, target: str, *, token: str, workers: list[int]) -> dict:
    """BURST_SIZE SMS accepted through the API as fast as BURST_CONNECTIONS clients send
    them, then delivered by the workers: SMS/s from the first provider request to the last
    (each attempt's start), and the delivery workers' largest RSS meanwhile.

    The workers are paused (SIGSTOP) while the burst is accepted and resumed after: what
    is measured is how fast they deliver a backlog, not how fast the web workers accept
    (the send workloads measure that), on a machine where both share two cores.
    """
    bodies = [
        json.dumps(
            {"to": PHONE_RECIPIENTS[index % len(PHONE_RECIPIENTS)], "body": f"Burst {index}"}
        ).encode()
        for index in range(BURST_SIZE)
    ]
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    headers["X-Forwarded-Proto"] = "https"
    statuses: list[int] = []
    lock = threading.Lock()

    def client(share: list[bytes]) -> None:
        for body in share:
            try:
                request = Request(target, data=body, headers=headers)  # noqa: S310 - ours
                with urlopen(request, timeout=60) as answer:  # noqa: S310 - our own server
                    status = answer.status
            except OSError as error:
                status = getattr(error, "code", 0)
            with lock:
                statuses.append(status)

    peak = PeakRss(workers).start()
    clients = [
        threading.Thread(target=client, args=(bodies[index::BURST_CONNECTIONS],))
        for index in range(BURST_CONNECTIONS)
    ]
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        accept_seconds = time.monotonic() - started
        settle(url)
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    stats = pipeline_stats(url, timeout=300)
    peak.stop()
    with psycopg.connect(url, autocommit=True) as conn:
        first, last, calls = conn.execute(
            "SELECT min(a.started_at), max(a.started_at), count(*) "
            "FROM messaging_messageattempt a JOIN messaging_message m ON m.id = a.message_id "
            f"WHERE m.conversation_id IN ({BENCH_THREADS}) AND a.outcome = 'sent'",
            {"contacts": PHONE_RECIPIENTS},
        ).fetchone()
    span = (last - first).total_seconds() if calls > 1 else 0.0
    return {
        "size": BURST_SIZE,
        "connections": BURST_CONNECTIONS,
        "accepted": sum(1 for status in statuses if status == 200),
        "refused": sum(1 for status in statuses if status != 200),
        "accept_seconds": round(accept_seconds, 2),
        "sent": stats["sent"],
        "failed": stats["failed"],
        "provider_span_seconds": round(span, 2),
        "delivered_per_s": round((calls - 1) / span, 1) if span else 0.0,
        "median_delay_ms": stats["median_delay_ms"],
        "p99_delay_ms": stats["p99_delay_ms"],
        "worker_rss_mb_max": round(peak.mb, 1),
    }


class PeakRss:
    """The largest RSS of some processes (the delivery workers) from start() to stop(),
    sampled twice a second."""

    def __init__(self, pids: list[int]):
        self.pids = pids
        self.mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> "PeakRss":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            self.mb = max(self.mb, rss_mb(self.pids))


def api_call(url: str, *, token: str, data: dict | None = None) -> tuple[int, dict | None]:
    """GET ``url`` (or POST ``data`` as JSON) with the bench token: (status, JSON answer);
    status 0 when no answer came."""
    headers = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
    body = None
    if data is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(data).encode()
    request = Request(url, data=body, headers=headers)  # noqa: S310 - our own server
    try:
        with urlopen(request, timeout=60) as answer:  # noqa: S310 - our own server
            return answer.status, json.loads(answer.read())
    except HTTPError as error:
        return error.code, None
    except OSError:
        return 0, None


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds(), 2) if start and end else None


def broadcast(url: str, target: str, *, token: str, workers: list[int], size: int) -> dict:
    """One SMS broadcast to ``size`` new numbers, posted once through the API; then its
    prepare_broadcast task creates each recipient's message (and conversation, and
    contact) and the workers send them as they appear. Measured from the POST: its answer,
    the last message created (prepared), the first and last provider requests (each sent
    attempt's start), SMS/s between those two, and the delivery workers' largest RSS.

    The workers run throughout (no pause as in sms_burst): preparing and sending overlap
    on the same two workers, as they do in production, and the target is end to end.
    """
    data = {
        "name": BROADCAST_NAME,
        "channel": "sms",
        "body": "Our opening hours change on Monday: 9 to 5. See you soon!",
        "recipients": {"numbers": broadcast_numbers(size)},
    }
    peak = PeakRss(workers).start()
    posted_at = datetime.now(UTC)
    started = time.monotonic()
    status, answer = api_call(target, token=token, data=data)
    accept_seconds = time.monotonic() - started
    if status != 201 or not answer:
        peak.stop()
        sys.exit(f"bench: POST /api/broadcasts answered {status}; see {RESULTS / 'server.log'}")
    broadcast_id = answer["id"]
    # Its own answer, as the inbox follows it, until it is done (or paused, canceled).
    while time.monotonic() - started < BROADCAST_TIMEOUT:
        time.sleep(1)
        status, current = api_call(f"{target}/{broadcast_id}", token=token)
        if status == 200:
            answer = current
            if answer["status"] not in ("preparing", "sending"):
                break
    peak.stop()
    counts = answer["counts"]
    with psycopg.connect(url, autocommit=True) as conn:
        created, first_created, last_created, sent, failed = conn.execute(
            "SELECT count(*), min(created_at), max(created_at), "
            "count(*) FILTER (WHERE sent_at IS NOT NULL), "
            "count(*) FILTER (WHERE status IN ('failed', 'undelivered')) "
            "FROM messaging_message WHERE broadcast_id = %s",
            [broadcast_id],
        ).fetchone()
        first, last, calls = conn.execute(
            "SELECT min(a.started_at), max(a.started_at), count(*) "
            "FROM messaging_messageattempt a JOIN messaging_message m ON m.id = a.message_id "
            "WHERE m.broadcast_id = %s AND a.outcome = 'sent'",
            [broadcast_id],
        ).fetchone()
    skipped = sum(counts[key] for key in counts if key.startswith("skipped_"))
    # Prepared once every recipient not skipped has its message.
    prepared = created == counts["total"] - skipped
    preparing_span = seconds_between(first_created, last_created)
    span = seconds_between(first, last) if calls > 1 else 0.0
    to_last = seconds_between(posted_at, last)
    within = sent == size and to_last is not None and to_last <= BROADCAST_TARGET_SECONDS
    return {
        "size": size,
        "status": answer["status"],
        "accept_seconds": round(accept_seconds, 2),
        "prepare_seconds": seconds_between(posted_at, last_created) if prepared else None,
        "prepared_per_s": round((created - 1) / preparing_span, 1) if preparing_span else 0.0,
        "first_request_seconds": seconds_between(posted_at, first),
        "last_request_seconds": to_last,
        "provider_span_seconds": span,
        "delivered_per_s": round((calls - 1) / span, 1) if span else 0.0,
        "sent": sent,
        "failed": failed,
        "skipped": skipped,
        # Still waiting or on their way (their messages still to create included).
        "unsent_at_timeout": counts["scheduled"] + counts["queued"],
        "target_seconds": BROADCAST_TARGET_SECONDS,
        "within_target": within,
        "worker_rss_mb_max": round(peak.mb, 1),
    }


def scheduled_send_times(first_post: datetime) -> list[datetime]:
    """The scheduled workload's send_at times: SCHEDULED_COUNT of them, evenly over
    SCHEDULED_WINDOW seconds from SCHEDULED_LEAD after the first post."""
    step = SCHEDULED_WINDOW / max(SCHEDULED_COUNT - 1, 1)
    return [
        first_post + timedelta(seconds=SCHEDULED_LEAD + index * step)
        for index in range(SCHEDULED_COUNT)
    ]


def scheduled(url: str, target: str, *, token: str) -> dict:
    """SCHEDULED_COUNT SMS posted through the API with "send_at" (scheduled_send_times),
    by SCHEDULED_CONNECTIONS clients; once all are sent, how late each went: its first
    attempt's start (the provider request) less the time it was scheduled for."""
    first_post = datetime.now(UTC)
    send_times = scheduled_send_times(first_post)
    jobs = list(enumerate(send_times))
    statuses: list[int] = []
    answered: list[str] = []
    leads: list[float] = []
    lock = threading.Lock()

    def client(share: list[tuple[int, datetime]]) -> None:
        for index, send_at in share:
            data = {
                "to": PHONE_RECIPIENTS[index % len(PHONE_RECIPIENTS)],
                "body": f"Scheduled {index}",
                "send_at": send_at.isoformat(),
            }
            lead = (send_at - datetime.now(UTC)).total_seconds()
            status, answer = api_call(target, token=token, data=data)
            with lock:
                statuses.append(status)
                leads.append(lead)
                answered.append((answer or {}).get("status", ""))

    clients = [
        threading.Thread(target=client, args=(jobs[index::SCHEDULED_CONNECTIONS],))
        for index in range(SCHEDULED_CONNECTIONS)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join()
    post_seconds = (datetime.now(UTC) - first_post).total_seconds()
    where = (
        f"FROM messaging_message m WHERE m.conversation_id IN ({BENCH_THREADS}) "
        "AND m.scheduled_for IS NOT NULL"
    )
    params = {"contacts": PHONE_RECIPIENTS}
    deadline = time.monotonic() + SCHEDULED_LEAD + SCHEDULED_WINDOW + 120
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            pending = conn.execute(
                f"SELECT count(*) {where} AND m.status IN ('scheduled', 'queued', 'sending')",
                params,
            ).fetchone()[0]
            if not pending:
                break
            time.sleep(0.5)
        lateness = "extract(epoch FROM started - scheduled_for)"
        row = conn.execute(
            "WITH first AS (SELECT m.scheduled_for, m.sent_at, m.status, "
            "(SELECT min(a.started_at) FROM messaging_messageattempt a "
            f"WHERE a.message_id = m.id) AS started {where}) "
            "SELECT count(*), count(*) FILTER (WHERE sent_at IS NOT NULL), "
            "count(*) FILTER (WHERE status IN ('failed', 'undelivered')), "
            "count(*) FILTER (WHERE started < scheduled_for), "
            f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {lateness}), "
            f"percentile_cont(0.99) WITHIN GROUP (ORDER BY {lateness}), "
            f"max({lateness}) FROM first",
            params,
        ).fetchone()
    stored, sent, failed, early, p50, p99, latest = row

    def ms(value) -> float | None:
        return round(float(value) * 1000, 1) if value is not None else None

    return {
        "count": SCHEDULED_COUNT,
        "connections": SCHEDULED_CONNECTIONS,
        "accepted": sum(1 for status in statuses if status == 200),
        "refused": sum(1 for status in statuses if status != 200),
        "stored_scheduled": answered.count("scheduled"),
        "post_seconds": round(post_seconds, 2),
        # The least time any send_at was ahead when posted (the API wants 60 s).
        "min_lead_seconds": round(min(leads), 2) if leads else None,
        "sent": sent,
        "failed": failed,
        "unsent_at_timeout": stored - sent - failed,
        "early": early,
        "lateness_p50_ms": ms(p50),
        "lateness_p99_ms": ms(p99),
        "lateness_max_ms": ms(latest),
        "target_p99_ms": SCHEDULED_TARGET_MS,
        "within_target": p99 is not None and float(p99) * 1000 <= SCHEDULED_TARGET_MS,
    }


# ---------------------------------------------------------------------------- the ceiling

# The row writes of one send (messaging.services.message_send): the conversation summary
# and the message. Two ways: the four round trips an ORM transaction takes, and the one
# statement message_send issues on PostgreSQL (an upsert of the summary and the insert).
SUMMARY_UPDATE = """
    UPDATE conversations_conversation SET
        message_count = message_count + 1,
        inbound_count = inbound_count + 0,
        last_message_at = GREATEST(last_message_at, %(at)s),
        last_message_preview = CASE WHEN last_message_at <= %(at)s THEN %(body)s
                               ELSE last_message_preview END,
        reply_to = CASE WHEN last_message_at <= %(at)s THEN %(to)s ELSE reply_to END,
        own_contact = CASE WHEN last_message_at <= %(at)s THEN %(from)s ELSE own_contact END,
        updated_at = %(at)s
    WHERE id = %(conversation)s
"""
SUMMARY_UPSERT = """
    INSERT INTO conversations_conversation AS c (id, participant_a, participant_b, reply_to,
        own_contact, channel, last_message_at, last_message_preview, message_count,
        inbound_count, subject, created_at, updated_at)
    VALUES (%(conversation)s, %(to)s, %(from)s, %(to)s, %(from)s, 'internal', %(at)s, %(body)s, 1,
        0, '', %(at)s, %(at)s)
    ON CONFLICT (id) DO UPDATE SET
        message_count = c.message_count + 1,
        inbound_count = c.inbound_count + excluded.inbound_count,
        last_message_at = GREATEST(c.last_message_at, excluded.last_message_at),
        last_message_preview = CASE WHEN c.last_message_at <= excluded.last_message_at
            THEN excluded.last_message_preview ELSE c.last_message_preview END,
        reply_to = CASE WHEN c.last_message_at <= excluded.last_message_at
            THEN excluded.reply_to ELSE c.reply_to END,
        own_contact = CASE WHEN c.last_message_at <= excluded.last_message_at
            THEN excluded.own_contact ELSE c.own_contact END,
        updated_at = excluded.updated_at
    RETURNING c.*
"""
MESSAGE_INSERT = """
    INSERT INTO messaging_message (id, conversation_id, to_contact, from_contact, body,
        channel, direction, status, provider_message_id, error_code, error_message,
        num_segments, num_media, media, attempt_count, next_attempt_at, claimed_at,
        sent_by_id, sent_at, delivered_at, media_status, created_at, updated_at)
    VALUES (%(id)s, %(conversation)s, %(to)s, %(from)s, %(body)s, 'internal', 'outbound-api',
        'delivered', NULL, NULL, '', 1, 0, '[]', 0, NULL, NULL, NULL, NULL, %(at)s, '',
        %(at)s, %(at)s)
"""
CEILING_MODES = {
    # BEGIN, UPDATE, INSERT, COMMIT: four round trips (message_send before the rewrite).
    "transaction": [SUMMARY_UPDATE, MESSAGE_INSERT],
    # One statement in autocommit: one round trip, one commit (message_send today).
    "one_statement": [
        f"WITH conversation AS ({SUMMARY_UPSERT}), message AS ({MESSAGE_INSERT}) "
        "SELECT * FROM conversation"
    ],
}


def ceiling(url: str, *, mode: str, connections: int, duration: float) -> dict:
    statements = CEILING_MODES[mode]
    with psycopg.connect(url, autocommit=True) as conn:
        conversations = []
        for recipient in CEILING_RECIPIENTS[:connections]:
            conversation = uuid.uuid5(uuid.NAMESPACE_URL, f"hatch-bench:{recipient}")
            conn.execute(
                "INSERT INTO conversations_conversation (id, participant_a, participant_b, "
                "reply_to, own_contact, channel, last_message_at, "
                "last_message_preview, message_count, inbound_count, subject, created_at, "
                "updated_at) VALUES (%s, %s, 'Demo User', %s, 'Demo User', 'internal', now(), "
                "'', 0, 0, '', now(), now()) ON CONFLICT DO NOTHING",
                [conversation, recipient, recipient],
            )
            conversations.append((conversation, recipient))
    counts = [0] * connections
    start = threading.Barrier(connections + 1)
    stop = threading.Event()

    def writer(index: int) -> None:
        conversation, recipient = conversations[index]
        with psycopg.connect(url, autocommit=len(statements) == 1) as conn:
            start.wait()
            while not stop.is_set():
                params = {
                    "id": uuid.uuid4(),
                    "conversation": conversation,
                    "to": recipient,
                    "from": "Demo User",
                    "body": "Ceiling message",
                    "at": datetime.now(UTC),
                }
                if len(statements) == 1:
                    conn.execute(statements[0], params)
                else:
                    with conn.transaction():
                        for statement in statements:
                            conn.execute(statement, params)
                counts[index] += 1

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {
        "mode": mode,
        "connections": connections,
        "sends": sum(counts),
        "sends_per_s": round(sum(counts) / elapsed, 1),
    }


# ---------------------------------------------------------------------------- one size


def prepare_dataset(size: str, args: argparse.Namespace) -> tuple[str, str, dict]:
    conversations, per_conversation = SIZES[size]
    emails = conversations * per_conversation // 10
    database = f"{args.database_prefix}_{size.lower()}"
    url = database_url(database)
    ensure_database(database)
    env = django_env(url, web_port=args.port, fake_url=None)
    log(f"{database}: migrating")
    manage(env, "migrate", "--no-input")
    delete_broadcast_rows(url)
    delete_bench_rows(url)
    with psycopg.connect(url) as conn:
        # No worker runs yet: tasks an interrupted run left behind go too.
        conn.execute("DELETE FROM django_tasks_database_dbtaskresult")
    wanted = (conversations, conversations * per_conversation, emails)
    dataset = {
        "size": size,
        "database": database,
        "conversations": conversations,
        "messages_per_conversation": per_conversation,
        "messages": conversations * per_conversation,
        "emails": emails,
        "reused": True,
        "seed_seconds": None,
    }
    if dataset_counts(url) != wanted:
        log(f"{database}: seeding {size} ({wanted[1]:,} messages); seed_demo's bar follows")
        started = time.monotonic()
        result = subprocess.run(
            [
                PYTHON, "manage.py", "seed_demo", "--force", "--reset", "--no-color",
                "--conversations", str(conversations),
                "--messages-per-conversation", str(per_conversation),
                "--emails", str(emails),
                # A year: the reports are measured over one.
                "--days", str(DATASET_DAYS),
            ],
            cwd=ROOT,
            env=env,
            stdout=sys.stderr,  # stdout is the table's
        )  # fmt: skip
        if result.returncode:
            sys.exit("bench: seed_demo failed")
        dataset.update(reused=False, seed_seconds=round(time.monotonic() - started, 1))
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
        if dataset_counts(url) != wanted:
            sys.exit(f"bench: {database} does not hold {wanted} after seeding")
    else:
        log(f"{database}: reusing {wanted[1]:,} messages")
    return url, api_token(url), dataset


def api_token(url: str) -> str:
    """The demo user's DRF token (as drf_create_token makes it, without starting Django)."""
    with psycopg.connect(url) as conn:
        (user_id,) = conn.execute("SELECT id FROM auth_user WHERE username = 'demo'").fetchone()
        conn.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, now()) "
            "ON CONFLICT (user_id) DO NOTHING",
            [secrets.token_hex(20), user_id],
        )
        (key,) = conn.execute(
            "SELECT key FROM authtoken_token WHERE user_id = %s", [user_id]
        ).fetchone()
    return key


def bench_size(size: str, args: argparse.Namespace, wrk: str) -> dict:
    url, token, dataset = prepare_dataset(size, args)
    with psycopg.connect(url) as conn:
        thread_id, thread_length = conn.execute(
            "SELECT id, message_count FROM conversations_conversation "
            "ORDER BY message_count DESC, last_message_at DESC LIMIT 1"
        ).fetchone()
    dataset["thread_messages"] = thread_length
    base = f"http://127.0.0.1:{args.port}"
    targets = {
        "list": (f"{base}/api/conversations", None),
        "list_1000": (f"{base}/api/conversations?page_size=1000", None),
        "thread": (f"{base}/api/conversation/{thread_id}/messages", None),
        "send_name": (f"{base}/api/send_message", NAME_RECIPIENTS),
        "send_sms": (f"{base}/api/send_message", PHONE_RECIPIENTS),
        "sms_burst": (f"{base}/api/send_message", PHONE_RECIPIENTS),
        "broadcast": (f"{base}/api/broadcasts", None),
        "scheduled": (f"{base}/api/send_message", PHONE_RECIPIENTS),
    }
    processes = Processes()
    # Other work on the machine moves every figure: the load says how quiet it was.
    result = {
        "dataset": dataset,
        "load_average_at_start": list(os.getloadavg()),
        "runs": [],
        "pipeline": [],
        "ceiling": [],
    }
    try:
        env = django_env(url, web_port=args.port, fake_url=None)
        fake_url = start_fake_provider(processes, env, args.provider_latency)
        env = django_env(url, web_port=args.port, fake_url=fake_url)
        command = server_command(args)
        server = processes.start(command, env)
        wait_until_up(args.port, server)
        workers = worker_pids(server.pid)
        result["server"] = {
            "kind": args.server,
            "command": " ".join(command[1:]),
            "workers": len(workers),
            "db_pool_max_size": env.get("DB_POOL_MAX_SIZE", "settings default"),
        }
        log(f"{args.server} server up: {len(workers)} workers; fake Twilio at {fake_url}")
        worker_command = [PYTHON, "manage.py", "db_worker", "--interval", WORKER_INTERVAL]
        delivery_workers = [
            processes.start(worker_command, env).pid for _ in range(args.delivery_workers)
        ]
        # Each worker's first requests import code and open its pool: not what a run
        # should measure. A second of each kind of request first, unrecorded.
        for workload in ("list", "thread", "send_name"):
            target, recipients = targets[workload]
            run_wrk(wrk, target, token=token, connections=8, duration=1, recipients=recipients)
        settle(url)
        delete_bench_rows(url)
        if args.delivery_workers:
            dataset["backlog_delivered"] = deliver_backlog(url, env)
        # What earlier runs (their sends, the ceiling) left dead in the tables the
        # workloads read: every run starts from the same state, whatever ran before.
        with psycopg.connect(url, autocommit=True) as conn:
            for table in VACUUMED_TABLES:
                conn.execute(f"VACUUM (ANALYZE) {table}")
        database = dataset["database"]
        with psycopg.connect(url, autocommit=True) as conn:
            held = {"idle": connections_held(conn, database)}

        def drive(target: str, connections: int, duration: float, recipients=None) -> dict:
            return run_wrk(
                wrk,
                target,
                token=token,
                connections=connections,
                duration=duration,
                recipients=recipients,
            )

        def settled() -> None:
            settle(url)
            if args.delivery_workers:
                # Every send delivered: a worker still recording attempts would hold rows
                # the deletion must remove.
                pipeline_stats(url, timeout=max(60.0, 20 * args.duration))
            delete_bench_rows(url)

        for workload in args.workloads:
            target, recipients = targets.get(workload, (None, None))
            if workload == "search":
                result["search"] = reading.search(
                    base, url, drive, duration=args.duration, connections=READING_CONNECTIONS
                )
                for run in result["search"]:
                    log(
                        f"search     {run['query_kind']:<28} c={run['connections']:<3} "
                        f"p50 {run['median_ms']} ms  p99 {run['p99_ms']} ms  "
                        f"errors {run['errors']}"
                    )
                continue
            if workload == "search_cost":
                send_target, send_recipients = targets["send_sms"]
                stats = reading.search_cost(
                    url,
                    functools.partial(
                        drive, send_target, 16, args.duration, recipients=send_recipients
                    ),
                    between=settled,
                )
                result["search_cost"] = stats
                log(
                    f"search_cost send_sms c=16: {stats['without']['requests_per_s']} req/s "
                    f"without the search indexes, {stats['with']['requests_per_s']} with: "
                    f"{stats['cost_percent']} % (target at most 15 %); stalled turns "
                    f"{stats['stalled_turns']}"
                )
                continue
            if workload == "reports":
                seconds = reading.refresh_reports(lambda *words: manage(env, *words))
                runs = reading.reports(
                    base, drive, duration=args.duration, connections=READING_CONNECTIONS
                )
                result["reports"] = {"refresh_all_seconds": seconds, "runs": runs}
                log(f"reports    full refresh of the hourly counts: {seconds} s")
                for run in runs:
                    log(
                        f"reports    {run['report']:<15} c={run['connections']:<3} "
                        f"p50 {run['median_ms']} ms  p99 {run['p99_ms']} ms  "
                        f"errors {run['errors']}"
                    )
                continue
            if workload == "sms_burst":
                if args.delivery_workers:
                    stats = sms_burst(url, target, token=token, workers=delivery_workers)
                    result["burst"] = stats
                    log(
                        f"sms_burst  {stats['accepted']} accepted in {stats['accept_seconds']} s; "
                        f"delivered at {stats['delivered_per_s']} SMS/s, "
                        f"worker RSS max {stats['worker_rss_mb_max']} MB"
                    )
                    delete_bench_rows(url)
                continue
            if workload == "broadcast":
                if args.delivery_workers:
                    stats = broadcast(
                        url, target, token=token, workers=delivery_workers, size=args.broadcast_size
                    )
                    result["broadcast"] = stats
                    log(
                        f"broadcast  {stats['size']} recipients accepted in "
                        f"{stats['accept_seconds']} s, prepared in {stats['prepare_seconds']} s "
                        f"({stats['prepared_per_s']}/s); last provider request "
                        f"{stats['last_request_seconds']} s after the POST, "
                        f"{stats['delivered_per_s']} SMS/s; sent {stats['sent']}, failed "
                        f"{stats['failed']}, worker RSS max {stats['worker_rss_mb_max']} MB"
                    )
                    delete_broadcast_rows(url)
                continue
            if workload == "scheduled":
                if args.delivery_workers:
                    stats = scheduled(url, target, token=token)
                    result["scheduled"] = stats
                    log(
                        f"scheduled  {stats['sent']}/{stats['count']} sent; lateness p50 "
                        f"{stats['lateness_p50_ms']} ms, p99 {stats['lateness_p99_ms']} ms, "
                        f"max {stats['lateness_max_ms']} ms; early {stats['early']}"
                    )
                    delete_bench_rows(url)
                continue
            for connections in args.connections:
                with Sampler(url, database, server.pid) as sampler:
                    run = run_wrk(
                        wrk,
                        target,
                        token=token,
                        connections=connections,
                        duration=args.duration,
                        recipients=recipients,
                    )
                run.update(
                    workload=workload,
                    db_connections_max=sampler.max_connections,
                    web_db_connections_max=sampler.max_web_connections,
                    worker_rss_mb_max=round(sampler.max_rss_mb, 1),
                )
                result["runs"].append(run)
                log(
                    f"{workload:10} c={connections:<3} {run['requests_per_s']:>8} req/s  "
                    f"median {run['median_ms']} ms  p99 {run['p99_ms']} ms  "
                    f"errors {run['errors']}"
                )
                if not workload.startswith("send"):
                    continue
                settle(url)
                if workload == "send_sms" and args.delivery_workers:
                    stats = pipeline_stats(url, timeout=max(60.0, 20 * args.duration))
                    stats["connections"] = connections
                    result["pipeline"].append(stats)
                    log(
                        f"  pipeline: {stats['sent']}/{stats['accepted']} sent, "
                        f"{stats['messages_per_s']} msg/s, median delay "
                        f"{stats['median_delay_ms']} ms"
                    )
                delete_bench_rows(url)
        held["web_worker_rss_mb"] = round(rss_mb(worker_pids(server.pid)), 1)
        result["server"].update(held)
    finally:
        processes.stop()
    if args.ceiling:
        ceiling_seconds = min(args.duration, 5.0)
        for mode in CEILING_MODES:
            for connections in (1, 16):
                row = ceiling(url, mode=mode, connections=connections, duration=ceiling_seconds)
                result["ceiling"].append(row)
                log(f"ceiling {mode:13} c={connections:<3} {row['sends_per_s']} sends/s")
        delete_bench_rows(url)
    runs = result["runs"]
    at_64 = [run for run in runs if run["connections"] == max(args.connections)]
    result["load_average_at_end"] = list(os.getloadavg())
    result["summary"] = {
        "db_connections_max": max((run["db_connections_max"] for run in at_64), default=None),
        "web_db_connections_max": max(
            (run["web_db_connections_max"] for run in at_64), default=None
        ),
        "worker_rss_mb_max": max((run["worker_rss_mb_max"] for run in runs), default=None),
        "errors": sum(run["errors"] for run in runs),
    }
    return result


# ---------------------------------------------------------------------------- report


def table(result: dict) -> str:
    dataset = result["dataset"]
    server = result.get("server", {})
    lines = [
        f"{dataset['size']}: {dataset['messages']:,} messages in {dataset['conversations']:,} "
        f"conversations ({dataset['database']}, "
        + ("reused" if dataset["reused"] else f"seeded in {dataset['seed_seconds']} s")
        + f"); {server.get('kind')} server, {server.get('workers')} workers; load average "
        f"{result['load_average_at_start'][0]:.1f} at start, "
        f"{result['load_average_at_end'][0]:.1f} at end",
        "",
        f"{'workload':<11}{'conns':>6}{'req/s':>10}{'median ms':>11}{'p99 ms':>9}"
        f"{'errors':>8}{'bytes/req':>11}{'db conns':>10}{'web':>5}{'rss MB':>8}",
    ]
    for run in result["runs"]:
        lines.append(
            f"{run['workload']:<11}{run['connections']:>6}{run['requests_per_s']:>10.1f}"
            f"{run['median_ms']:>11.2f}{run['p99_ms']:>9.2f}{run['errors']:>8}"
            f"{run['bytes_per_request']:>11}{run['db_connections_max']:>10}"
            f"{run['web_db_connections_max']:>5}"
            f"{run['worker_rss_mb_max']:>8.1f}"
        )
    for stats in result["pipeline"]:
        lines.append(
            f"sms pipeline at {stats['connections']} conns: {stats['sent']}/{stats['accepted']} "
            f"sent at {stats['messages_per_s']} msg/s, accept->provider median "
            f"{stats['median_delay_ms']} ms, p99 {stats['p99_delay_ms']} ms, "
            f"failed {stats['failed']}"
        )
    if burst := result.get("burst"):
        lines.append(
            f"sms burst of {burst['size']}: {burst['accepted']} accepted in "
            f"{burst['accept_seconds']} s, delivered to the provider at "
            f"{burst['delivered_per_s']} SMS/s (first to last request, "
            f"{burst['provider_span_seconds']} s), failed {burst['failed']}, "
            f"accept->provider median {burst['median_delay_ms']} ms; "
            f"delivery workers' RSS at most {burst['worker_rss_mb_max']} MB"
        )
    if cast := result.get("broadcast"):
        met = "met" if cast["within_target"] else "missed"
        lines.append(
            f"broadcast to {cast['size']:,} ({cast['status']}): accepted in "
            f"{cast['accept_seconds']} s, prepared in {cast['prepare_seconds']} s "
            f"({cast['prepared_per_s']} messages/s), provider requests from "
            f"{cast['first_request_seconds']} s to {cast['last_request_seconds']} s after the "
            f"POST at {cast['delivered_per_s']} SMS/s (target {cast['target_seconds']} s: "
            f"{met}); sent {cast['sent']}, failed {cast['failed']}, unsent "
            f"{cast['unsent_at_timeout']}; delivery workers' RSS at most "
            f"{cast['worker_rss_mb_max']} MB"
        )
    if later := result.get("scheduled"):
        met = "met" if later["within_target"] else "missed"
        lines.append(
            f"scheduled {later['count']} SMS ({later['accepted']} accepted, {later['sent']} "
            f"sent, failed {later['failed']}, unsent {later['unsent_at_timeout']}): first "
            f"request after send_at p50 {later['lateness_p50_ms']} ms, p99 "
            f"{later['lateness_p99_ms']} ms (target {later['target_p99_ms']} ms: {met}), max "
            f"{later['lateness_max_ms']} ms; early {later['early']}"
        )
    for run in result.get("search", []):
        lines.append(
            f"search {run['query_kind']} {run['query']!r} at {run['connections']} conns: "
            f"p50 {run['median_ms']} ms, p99 {run['p99_ms']} ms (targets at 1: 30 and 150 ms), "
            f"{run['requests_per_s']} req/s, errors {run['errors']}"
        )
    if cost := result.get("search_cost"):
        lines.append(
            f"search indexes' cost to send_sms at 16 conns: {cost['without']['requests_per_s']} "
            f"req/s without, {cost['with']['requests_per_s']} with: {cost['cost_percent']} % "
            f"(target at most 15 %)"
        )
    if reports := result.get("reports"):
        lines.append(f"reports: full refresh {reports['refresh_all_seconds']} s")
        for run in reports["runs"]:
            lines.append(
                f"report {run['report']} over a year at {run['connections']} conns: p50 "
                f"{run['median_ms']} ms, p99 {run['p99_ms']} ms (target 500 ms), errors "
                f"{run['errors']}"
            )
    for row in result["ceiling"]:
        lines.append(
            f"ceiling ({row['mode']}, {row['connections']} conns): {row['sends_per_s']} sends/s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    started = datetime.now(UTC)
    report = {
        "started_at": started.isoformat(),
        "host": {"cpus": os.cpu_count(), "load_average": list(os.getloadavg())},
        "settings": {
            "server": args.server,
            "duration_s": args.duration,
            "connections": args.connections,
            "workloads": args.workloads,
            "provider_latency_s": args.provider_latency,
        },
        "sizes": [],
    }
    for size in args.size:
        result = bench_size(size, args, wrk)
        report["sizes"].append(result)
        print(table(result), end="\n\n", flush=True)
    medians = {
        result["dataset"]["size"]: run["median_ms"]
        for result in report["sizes"]
        for run in result["runs"]
        if run["workload"] == "list" and run["connections"] == 16
    }
    if "10k" in medians and "1M" in medians and medians["10k"]:
        ratio = round(medians["1M"] / medians["10k"], 2)
        report["list_median_1m_over_10k"] = ratio
        print(f"conversation list median at 16 connections, 1M / 10k: {ratio}x\n")
    report["finished_at"] = datetime.now(UTC).isoformat()
    output = args.output or RESULTS / f"{started:%Y%m%dT%H%M%SZ}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
