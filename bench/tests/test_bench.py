"""The benchmark command works end to end: a tiny dataset, 1 s runs, every workload.

Not a measurement (the numbers of a 1 s run on a shared CI machine mean little): it proves
that ``bench/run`` seeds, serves with gunicorn, drives wrk, drains the SMS pipeline through
the two workers and the fake Twilio, and writes its JSON, with no failed request.

Every workload but ``scheduled``: its SMS are due at least a minute after they are posted
(the API refuses sooner), so it would add 85 s to a test that takes well under a minute.
Its send times are checked here instead; ``bench/run --size tiny --workloads scheduled``
runs it end to end. The broadcast goes to 50 numbers (--broadcast-size), not 10,000.
"""

import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from bench.__main__ import (
    BURST_SIZE,
    FIXED_COUNT_WORKLOADS,
    READING_WORKLOADS,
    SCHEDULED_COUNT,
    SCHEDULED_WINDOW,
    SIZES,
    WORKLOADS,
    database_url,
    scheduled_send_times,
)

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def database_prefix():
    prefix = f"hatch_bench_smoke_{os.getpid()}"
    yield prefix
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_tiny" WITH (FORCE)')


BROADCAST_SIZE = 50


def test_a_quick_bench_run_reports_every_workload_without_errors(tmp_path, database_prefix):
    output = tmp_path / "result.json"
    workloads = [workload for workload in WORKLOADS if workload != "scheduled"]
    command = [
        sys.executable, "-m", "bench", "--size", "tiny", "--quick", "--duration", "1",
        "--connections", "1,64", "--port", str(free_port()),
        "--workloads", ",".join(workloads), "--broadcast-size", str(BROADCAST_SIZE),
        "--database-prefix", database_prefix,
        "--output", str(output),
    ]  # fmt: skip

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=150)

    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "workload" in result.stdout and "req/s" in result.stdout
    report = json.loads(output.read_text())
    (size,) = report["sizes"]
    conversations, per_conversation = SIZES["tiny"]
    assert size["dataset"]["conversations"] == conversations
    assert size["dataset"]["messages"] == conversations * per_conversation
    assert size["dataset"]["reused"] is False
    assert size["dataset"]["seed_seconds"] > 0
    assert size["server"]["kind"] == "wsgi"
    assert size["server"]["workers"] >= 2
    runs = size["runs"]
    # Every workload wrk drives, at each number of connections; the others are counted apart.
    driven = [
        workload
        for workload in WORKLOADS
        if workload not in FIXED_COUNT_WORKLOADS + READING_WORKLOADS
    ]
    assert {(run["workload"], run["connections"]) for run in runs} == {
        (workload, connections) for workload in driven for connections in (1, 64)
    }
    for run in runs:
        assert run["errors"] == 0, run
        assert run["p99_ms"] >= run["median_ms"] >= 0
    for workload in driven:
        assert sum(run["requests"] for run in runs if run["workload"] == workload) > 0
    # The burst: every SMS accepted, then delivered by the paused and resumed workers.
    burst = size["burst"]
    assert burst["accepted"] == burst["sent"] == BURST_SIZE, burst
    assert burst["refused"] == burst["failed"] == 0
    assert burst["delivered_per_s"] > 0
    assert 0 < burst["worker_rss_mb_max"] < 500
    # The broadcast: every recipient's message created, then sent, and the broadcast done.
    broadcast = size["broadcast"]
    assert broadcast["status"] == "done", broadcast
    assert broadcast["size"] == broadcast["sent"] == BROADCAST_SIZE
    assert broadcast["failed"] == broadcast["skipped"] == broadcast["unsent_at_timeout"] == 0
    assert 0 < broadcast["accept_seconds"] <= broadcast["prepare_seconds"]
    assert 0 < broadcast["first_request_seconds"] <= broadcast["last_request_seconds"]
    assert broadcast["delivered_per_s"] > 0
    assert 0 < broadcast["worker_rss_mb_max"] < 500
    assert "scheduled" not in size
    # Search: each kind of query answered at one connection and at 16, without errors.
    searched = {(run["query_kind"].split(" ")[0], run["connections"]) for run in size["search"]}
    assert searched == {
        (kind, connections)
        for kind in ("common_word", "rare_word", "phrase", "partial_number")
        for connections in (1, 16)
    }
    assert all(run["errors"] == 0 and run["requests"] > 0 for run in size["search"])
    cost = size["search_cost"]
    assert set(cost["indexes"]) == {
        "message_text_idx", "contact_point_trgm_idx", "contact_name_trgm_idx"
    }  # fmt: skip
    for run in cost["without_runs"] + cost["with_runs"]:
        assert run["errors"] == 0, run
    assert cost["without"]["requests_per_s"] > 0 and cost["with"]["requests_per_s"] > 0
    # Reports: counted, then each answered over a year without errors.
    reports = size["reports"]
    assert reports["refresh_all_seconds"] > 0
    assert {(run["report"], run["connections"]) for run in reports["runs"]} == {
        (report, connections)
        for report in ("volume", "delivery", "errors", "response_times")
        for connections in (1, 16)
    }
    assert all(run["errors"] == 0 and run["requests"] > 0 for run in reports["runs"])
    # Every SMS the API accepted reached the fake Twilio, through the two workers.
    assert sum(stats["accepted"] for stats in size["pipeline"]) > 0
    for stats in size["pipeline"]:
        assert stats["sent"] == stats["accepted"], stats
        assert stats["failed"] == stats["unsent_at_timeout"] == 0
    assert {(row["mode"], row["connections"]) for row in size["ceiling"]} == {
        ("transaction", 1), ("transaction", 16), ("one_statement", 1), ("one_statement", 16),
    }  # fmt: skip
    assert all(row["sends_per_s"] > 0 for row in size["ceiling"])
    assert size["summary"]["errors"] == 0
    assert size["summary"]["db_connections_max"] > 0
    assert 0 < size["summary"]["worker_rss_mb_max"] < 500
    # The sends' rows are gone again: a second run would reuse the dataset.
    with psycopg.connect(database_url(f"{database_prefix}_tiny")) as conn:
        counted = conn.execute("SELECT count(*) FROM messaging_message").fetchone()[0]
        threads = conn.execute("SELECT count(*) FROM conversations_conversation").fetchone()[0]
        broadcasts = conn.execute(
            "SELECT (SELECT count(*) FROM broadcasts_broadcast), "
            "(SELECT count(*) FROM broadcasts_broadcastrecipient), "
            "(SELECT count(*) FROM contacts_contactpoint WHERE value LIKE '+1919%')"
        ).fetchone()
    assert counted == conversations * per_conversation
    assert threads == conversations
    assert broadcasts == (0, 0, 0)


def test_the_scheduled_sends_are_due_a_minute_after_posting_and_spread_over_the_window():
    first_post = datetime(2030, 1, 1, tzinfo=UTC)

    times = scheduled_send_times(first_post)

    assert len(times) == SCHEDULED_COUNT
    # The API refuses a send_at under a minute ahead: 5 s are left for the posting itself.
    assert times[0] - first_post >= timedelta(seconds=65)
    assert times[-1] - times[0] == timedelta(seconds=SCHEDULED_WINDOW)
    assert times == sorted(times)
