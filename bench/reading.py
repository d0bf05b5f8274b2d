"""The benchmark's reading workloads: search, what its indexes cost a send, and reports.

Each takes the running server's base URL, an API token, the dataset's database URL and
``drive(target, connections, duration, recipients=None)``: wrk against a URL (the main
module's run_wrk with its options bound).
"""

import statistics
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import psycopg

# A word planted in this many messages spread over the dataset (the demo's texts come
# from a few dozen templates, so none of their words is rare).
RARE_WORD = "zanzibar"
RARE_COUNT = 20
COMMON_WORD = "thanks"  # in about one message in six
PHRASE = '"parking available"'

# The search indexes a send writes to (core.search): dropped for the "before" half of
# search_cost, created again (concurrently, as the migrations do) for the "after" half.
SEND_SEARCH_INDEXES = ("message_text_idx", "contact_point_trgm_idx", "contact_name_trgm_idx")

REPORTS = ("volume", "delivery", "errors", "response_times")


def plant_rare_word(url: str) -> int:
    """Append RARE_WORD to RARE_COUNT messages spread over time (again: idempotent)."""
    with psycopg.connect(url) as conn:
        planted = conn.execute(
            "SELECT count(*) FROM messaging_message WHERE body LIKE %s", [f"%{RARE_WORD}%"]
        ).fetchone()[0]
        if planted >= RARE_COUNT:
            return planted
        total = conn.execute("SELECT count(*) FROM messaging_message").fetchone()[0]
        step = max(1, total // RARE_COUNT)
        conn.execute(
            "UPDATE messaging_message SET body = body || ' ' || %s WHERE id IN ("
            " SELECT id FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n"
            " FROM messaging_message) numbered WHERE n %% %s = 0 LIMIT %s)",
            [RARE_WORD, step, RARE_COUNT],
        )
        return conn.execute(
            "SELECT count(*) FROM messaging_message WHERE body LIKE %s", [f"%{RARE_WORD}%"]
        ).fetchone()[0]


def partial_number(url: str) -> str:
    """Seven digits from the middle of a contact's number: "5552671" of "+14155552671"."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT value FROM contacts_contactpoint WHERE kind = 'phone' ORDER BY id LIMIT 1"
        ).fetchone()
    digits = "".join(char for char in row[0] if char.isdigit()) if row else "4155550100"
    return digits[-8:-1]


def search_queries(url: str) -> dict[str, str]:
    planted = plant_rare_word(url)
    return {
        "common_word": COMMON_WORD,
        f"rare_word ({planted} messages)": RARE_WORD,
        "phrase": PHRASE,
        "partial_number": partial_number(url),
    }


def search(base: str, url: str, drive: Callable, *, duration: float, connections: list[int]):
    """GET /api/search for each kind of query: latency at one connection, errors at more."""
    runs = []
    for name, query in search_queries(url).items():
        target = f"{base}/api/search?{urlencode({'q': query})}"
        for count in connections:
            run = drive(target, count, duration)
            run.update(query_kind=name, query=query)
            runs.append(run)
    return runs


def index_definitions(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(SEND_SEARCH_INDEXES)],
        ).fetchall()
    return dict(rows)


def set_search_indexes(url: str, definitions: dict[str, str], *, present: bool) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for name, definition in definitions.items():
            if present:
                concurrently = definition.replace("CREATE INDEX", "CREATE INDEX CONCURRENTLY", 1)
                conn.execute(concurrently.replace(f" {name} ", f" IF NOT EXISTS {name} ", 1))
            else:
                conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        conn.execute("ANALYZE messaging_message")


def search_cost(
    url: str,
    send: Callable[[], dict],
    *,
    between: Callable[[], None],
    rounds: int = 2,
) -> dict:
    """A send's throughput without the search indexes and with them, in one run: ``rounds``
    turns of each, alternating (the machine's pace drifts over a run), compared by their
    medians. ``send()`` runs the send workload and answers its figures; ``between()`` lets
    the pipeline settle and clears the rows the sends added."""
    definitions = index_definitions(url)
    result = {"indexes": sorted(definitions), "without_runs": [], "with_runs": []}
    try:
        for _ in range(rounds):
            set_search_indexes(url, definitions, present=False)
            between()
            result["without_runs"].append(send())
            set_search_indexes(url, definitions, present=True)
            between()
            result["with_runs"].append(send())
            between()
    finally:
        set_search_indexes(url, definitions, present=True)
    # A turn that completed no request at all is left out of the medians and counted: in
    # every run so far the first turn after the first DROP INDEX CONCURRENTLY has been one
    # (not understood yet; the later turns without the indexes are not).
    turns = result["without_runs"] + result["with_runs"]
    result["stalled_turns"] = sum(1 for run in turns if not run["requests"])
    without = _median_rate(result["without_runs"])
    with_ = _median_rate(result["with_runs"])
    result["without"] = {"requests_per_s": without}
    result["with"] = {"requests_per_s": with_}
    result["cost_percent"] = round(100 * (without - with_) / without, 1) if without else None
    return result


def _median_rate(runs: list[dict]) -> float:
    rates = [run["requests_per_s"] for run in runs if run["requests"]]
    return statistics.median(rates) if rates else 0.0


def refresh_reports(manage: Callable[..., str]) -> float:
    """Seconds of a full recount of the reports' hourly counts and reply times."""
    started = datetime.now(UTC)
    manage("refresh_reports", "--all")
    return round((datetime.now(UTC) - started).total_seconds(), 2)


def reports(base: str, drive: Callable, *, duration: float, connections: list[int]) -> list:
    """Each report over the last year (the whole dataset), at one connection and more."""
    today = datetime.now(UTC).date()
    year = urlencode({"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()})
    runs = []
    for report in REPORTS:
        for count in connections:
            run = drive(f"{base}/api/reports/{report}?{year}", count, duration)
            run.update(report=report)
            runs.append(run)
    return runs
