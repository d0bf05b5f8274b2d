"""bench/export_memory.py works end to end: it seeds a tiny dataset, exports it through
the command and through gunicorn, and reports the rows, the time and the memory of each.

Not a measurement (110 rows say nothing about memory at size): it proves that the script
that measures 10k and 1M rows runs, so that its figures can be made again.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.__main__ import database_url

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database_prefix():
    prefix = f"hatch_export_smoke_{os.getpid()}"
    yield prefix
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{prefix}_tiny" WITH (FORCE)')


def test_a_tiny_run_reports_both_paths(tmp_path, database_prefix):
    output = tmp_path / "result.json"
    command = [
        sys.executable, "-m", "bench.export_memory", "--size", "tiny",
        "--database-prefix", database_prefix, "--output", str(output),
    ]  # fmt: skip

    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=150)

    assert result.returncode == 0, result.stdout + result.stderr[-4000:]
    assert "rows/s" in result.stdout and "peak MB" in result.stdout
    (database,) = json.loads(output.read_text())["databases"]
    # bench's tiny size: 20 conversations of 5 messages, and an email per ten messages.
    assert database["rows"] == 110
    command_run, http_run = database["runs"]
    assert (command_run["path"], http_run["path"]) == ("command", "http")
    for run in (command_run, http_run):
        assert run["rows"] == 110
        assert run["peak_mb"] >= run["baseline_mb"] > 20  # a Python process with Django
        assert run["seconds"] >= 0
    assert http_run["bytes"] > 110 * 100  # a hundred bytes a row at least
