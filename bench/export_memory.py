"""How much memory and time a messages export takes, at sizes far apart: proof that it
streams (memory flat from 10k to 1M rows) and the rate that EXPORT_STREAM_MAX_ROWS rests on.

    .venv/bin/python -m bench.export_memory                       # 10k and 1M (seeded if needed)
    .venv/bin/python -m bench.export_memory --size 10k            # one size
    .venv/bin/python -m bench.export_memory --database-url postgres://.../hatch_bench_1m

Each size gets a database of its own next to DATABASE_URL's server,
``hatch_export_bench_<size>`` (``--database-prefix``), seeded with ``manage.py seed_demo``
(bench's sizes: 1,000 conversations of 10 or 1,000 messages, and one email per ten
messages) unless its row counts already match. ``--database-url`` measures an existing
database as it is instead: nothing is written to it (the demo user's token is read, never
made).

Two paths, each in a process of its own, whose peak resident memory is read from the
kernel:

- ``command``: ``manage.py export_messages --output /dev/null`` (peak RSS from ``wait4``);
- ``http``: ``GET /api/export/messages.csv`` from gunicorn as production runs it
  (gunicorn.conf.py: a sync worker, the psycopg pool, DEBUG off), with one worker, the
  time-out raised and EXPORT_STREAM_MAX_ROWS out of the way so that every size streams;
  the worker's peak RSS is its VmHWM in /proc after the download.

Each path is first run on an empty range (``to=1970-01-01``): the memory of the process
itself, so that "growth" is what the export added. It prints one line per database and
path (rows, seconds, rows/s, peak MB, growth MB) and writes the JSON to
bench/results/export-memory-<UTC time>.json.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import psycopg

from bench.__main__ import (
    PYTHON,
    RESULTS,
    ROOT,
    SIZES,
    api_token,
    database_url,
    dataset_counts,
    django_env,
    ensure_database,
    log,
    wait_until_up,
    worker_pids,
)

DEFAULT_SIZES = ("10k", "1M")
EMPTY_RANGE = "1970-01-01"  # before any message: the process's own memory


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--size", action="append", choices=list(SIZES), help="repeatable; default 10k and 1M"
    )
    parser.add_argument(
        "--database-url",
        action="append",
        default=[],
        help="an existing database to measure as it is (read only); repeatable",
    )
    parser.add_argument(
        "--database-prefix",
        default="hatch_export_bench",
        help="the seeded databases' names: <prefix>_<size> (default hatch_export_bench)",
    )
    parser.add_argument("--no-http", action="store_true", help="the command's path only")
    parser.add_argument("--output", type=Path, help="the JSON's path")
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = [] if args.database_url else list(DEFAULT_SIZES)
    return args


def seeded_database(size: str, prefix: str) -> tuple[str, str]:
    """``<prefix>_<size>``, migrated and seeded to bench's size unless it is, and the demo
    user's token (made if need be)."""
    conversations, per_conversation = SIZES[size]
    messages = conversations * per_conversation
    wanted = (conversations, messages, messages // 10)
    name = f"{prefix}_{size.lower()}"
    url = database_url(name)
    ensure_database(name)
    env = django_env(url, web_port=0, fake_url=None)
    subprocess.run([PYTHON, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    if dataset_counts(url) != wanted:
        log(f"{name}: seeding {messages:,} messages and {wanted[2]:,} emails")
        subprocess.run(
            [
                PYTHON, "manage.py", "seed_demo", "--force", "--reset", "--no-progress",
                "--conversations", str(conversations),
                "--messages-per-conversation", str(per_conversation),
                "--emails", str(wanted[2]),
            ],
            cwd=ROOT, env=env, check=True, stdout=sys.stderr,
        )  # fmt: skip
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    return url, api_token(url)


def row_count(url: str) -> int:
    with psycopg.connect(url) as conn:
        messages = conn.execute("SELECT count(*) FROM messaging_message").fetchone()[0]
        emails = conn.execute("SELECT count(*) FROM emails_email").fetchone()[0]
    return messages + emails


def export_env(url: str, port: int) -> dict[str, str]:
    env = django_env(url, web_port=port, fake_url=None)
    # Every size streams (the limit is what this measures), and a request may outlast
    # gunicorn's 30 s here: the 1M export shows how far past the limit that would be.
    env.update(EXPORT_STREAM_MAX_ROWS=str(10**9), GUNICORN_TIMEOUT="1800", WEB_CONCURRENCY="1")
    return env


def run_command(env: dict[str, str], *args: str) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak RSS in MB) of ``manage.py export_messages ... --output
    /dev/null``. The seconds are the export's own, as the command reports them (Django's
    start-up and system checks say nothing about exporting); the CPU seconds the whole
    process's."""
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [PYTHON, "manage.py", "export_messages", "--output", os.devnull, "--no-progress",
             *args],
            cwd=ROOT, env=env, stdout=out,
        )  # fmt: skip
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        said = out.read()
    reported = re.search(r" in (\d+\.\d+) s\.$", said.strip())
    if process.returncode or reported is None:
        sys.exit(f"export_memory: export_messages exited with {process.returncode}: {said}")
    cpu = usage.ru_utime + usage.ru_stime
    return float(reported[1]), cpu, usage.ru_maxrss / 1024  # kilobytes on Linux


def measure_command(url: str, rows: int) -> dict:
    """The CPU an empty export takes (Django's start-up) is left out of the export's."""
    env = export_env(url, port=0)
    _, start_cpu, baseline = run_command(env, "--to", EMPTY_RANGE)
    seconds, cpu, peak = run_command(env)
    return result("command", rows, seconds, cpu - start_cpu, peak, baseline)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User and system time of a running process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def existing_token(url: str) -> str:
    """The demo user's token in a database this does not write to (bench's run made it)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT t.key FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id "
            "WHERE u.username = 'demo'"
        ).fetchone()
    if row is None:
        raise LookupError("the demo user has no API token")
    return row[0]


def download(port: int, token: str, query: str = "") -> tuple[float, int, int]:
    """(seconds, bytes, CSV lines) of one export, read 64 KB at a time."""
    request = Request(
        f"http://127.0.0.1:{port}/api/export/messages.csv{query}",
        headers={"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"},
    )
    started = time.monotonic()
    size = lines = 0
    last = b""
    with urlopen(request, timeout=1800) as response:  # noqa: S310 - our own server
        if response.status != 200:
            sys.exit(f"export_memory: the export answered {response.status}")
        while block := response.read(65536):
            size += len(block)
            # With the previous block's last byte: a CRLF may straddle two blocks.
            lines += (last + block).count(b"\r\n")
            last = block[-1:]
    return time.monotonic() - started, size, lines


def measure_http(url: str, rows: int, token: str) -> dict:
    port = free_port()
    env = export_env(url, port)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with (RESULTS / "export-memory-server.log").open("w") as server_log:
        server = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT, env=env, stdout=server_log, stderr=server_log, start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_up(port, server)
            (worker,) = worker_pids(server.pid)
            download(port, token, f"?to={EMPTY_RANGE}")
            baseline, cpu_before = peak_rss_mb(worker), cpu_seconds(worker)
            seconds, size, lines = download(port, token)
            peak, cpu = peak_rss_mb(worker), cpu_seconds(worker) - cpu_before
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)
    if lines - 1 < rows:  # a body may hold a CRLF of its own, never fewer than one per row
        sys.exit(f"export_memory: {lines - 1} rows streamed, {rows} expected")
    measured = result("http", rows, seconds, cpu, peak, baseline)
    measured["bytes"] = size
    return measured


def result(path: str, rows: int, seconds: float, cpu: float, peak: float, baseline: float) -> dict:
    """``cpu``: the exporting process's own CPU seconds (PostgreSQL's are not in it): on a
    machine busy with other work, rows per CPU second says more than rows per second."""
    return {
        "path": path,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds > 0 else None,
        "cpu_seconds": round(cpu, 2),
        "rows_per_cpu_second": round(rows / cpu) if cpu > 0 else None,
        "peak_mb": round(peak, 1),
        "baseline_mb": round(baseline, 1),
        "growth_mb": round(peak - baseline, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    targets = [(size, *seeded_database(size, args.database_prefix)) for size in args.size]
    targets += [(urlsplit(url).path.lstrip("/"), url, None) for url in args.database_url]
    report = {"started_at": datetime.now(UTC).isoformat(), "databases": []}
    print(f"{'database':<24}{'path':<9}{'rows':>11}{'s':>8}{'rows/s':>9}{'cpu s':>8}"
          f"{'rows/cpu s':>11}{'peak MB':>9}{'growth':>8}")  # fmt: skip
    for label, url, token in targets:
        rows = row_count(url)
        runs = [measure_command(url, rows)]
        if not args.no_http:
            runs.append(measure_http(url, rows, token or existing_token(url)))
        for run in runs:
            print(
                f"{label:<24}{run['path']:<9}{run['rows']:>11,}{run['seconds']:>8}"
                f"{run['rows_per_second'] or 0:>9,}{run['cpu_seconds']:>8}"
                f"{run['rows_per_cpu_second'] or 0:>11,}{run['peak_mb']:>9}{run['growth_mb']:>8}",
                flush=True,
            )
        report["databases"].append({"database": label, "rows": rows, "runs": runs})
    report["finished_at"] = datetime.now(UTC).isoformat()
    output = args.output or RESULTS / f"export-memory-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
