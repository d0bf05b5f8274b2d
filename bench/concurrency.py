"""Provider calls side by side: Hatch's thread pool against asyncio, at the same concurrency.

    .venv/bin/python -m bench.concurrency                    # 600 SMS, 32 in flight, 0.2 s
    .venv/bin/python -m bench.concurrency --latency 0.1 --messages 1200

Only the provider-call layer of a delivery (outbox.engine step 2) is measured: no database,
no claims, no outcomes recorded. Two designs send the same N messages, with the parameters
messaging.providers.twilio sends, to a local fake Twilio (python -m testing.fake_providers,
started here on a free port) that answers each request after --latency seconds:

    threads   what Hatch runs: a ThreadPoolExecutor(concurrency), one twilio Client per
              thread (threading.local, each with its own requests session and connection),
              client.messages.create(...) in each, TwilioHttpClient(timeout=10)
    asyncio   one event loop, one Client on AsyncTwilioHttpClient (aiohttp, one session),
              an asyncio.Semaphore(concurrency), await client.messages.create_async(...),
              each call under asyncio.timeout(10) (see TIMEOUT_SECONDS: the async client
              ignores its own timeout)

Each run is a fresh Python process, so that its CPU time and peak RSS are its own. It first
sends one warm-up round (as many messages as calls in flight, from another number): Hatch's
pool and its clients live as long as the worker, so their connections are already open. It
then sends N messages and reports the wall time, SMS/s, the CPU seconds the process used per
100 SMS (every thread's: time.process_time), how much its peak RSS grew from before the
clients were made (VmHWM, reset after the imports), and the calls that failed. Afterwards
the fake is asked (Twilio's list, filtered by the run's own sender number) whether it
accepted exactly those N messages.

Every design runs at 8, --concurrency and 64 calls in flight, twice each, the designs taking
turns. The fake and the clients share the machine: its load average is printed with the
table, as every figure moves with it.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DESIGNS = ("threads", "asyncio")
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "bench-auth-token"  # the local fake's
# Hatch's PROVIDER_TIMEOUT_SECONDS default. TwilioHttpClient applies it to the connect and to
# each read. AsyncTwilioHttpClient (twilio 9.13) takes a timeout and never uses it: the SDK
# passes timeout=None on every request, which aiohttp reads as "no limit" (a call against a
# fake answering after 2 s with timeout=0.5 waited the 2 s). asyncio.timeout puts the limit
# back, on the whole call.
TIMEOUT_SECONDS = 10.0
# Recipients as bench's (64 numbers no seeded contact has); each run sends from its own
# number, so that the fake's list, filtered by it, shows that run's messages alone.
RECIPIENTS = [f"+1919555{line:04d}" for line in range(100, 164)]
WARM_UP_SENDER = "+15005559999"
# Where Hatch's status callbacks would point (messaging.providers.twilio.status_callback_url).
CALLBACK_BASE = "https://hatch.example.com/webhooks/twilio/status"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.concurrency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--messages", type=int, default=600, help="SMS per run (600, as bench's sms_burst)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=32,
        help="calls in flight (32, Hatch's DELIVERY_CONCURRENCY); 8 and 64 are run as well",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.2,
        metavar="SECONDS",
        help="the fake answers every request after this long (0.2; Twilio: 0.1-0.3 s)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="runs of each design (2)")
    # One run, in its own process (what the command starts for each row of the table).
    parser.add_argument("--run", choices=DESIGNS, help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--sender", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.messages < 1 or args.concurrency < 1 or args.repeats < 1 or args.latency < 0:
        parser.error("--messages, --concurrency and --repeats must be positive, --latency >= 0")
    return args


# ---------------------------------------------------------------------------- one run


def new_client(base_url: str, http_client) -> Client:
    """As messaging.providers.twilio._new_client points the SDK at TWILIO_API_BASE_URL."""
    client = Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http_client)
    client.api.base_url = base_url
    client.edge = client.region = None
    return client


def messages(sender: str, count: int) -> list[dict]:
    """What TwilioSmsProvider.send passes to messages.create (an SMS: no media, no service)."""
    return [
        {
            "to": RECIPIENTS[index % len(RECIPIENTS)],
            "from_": sender,
            "body": f"Bench {sender} message {index}",
            "status_callback": f"{CALLBACK_BASE}?message_id={uuid.uuid4()}",
        }
        for index in range(count)
    ]


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak) of this process, from /proc (Linux)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1)) / 1024


def reset_peak_rss() -> None:
    """Start VmHWM again from the present RSS (Linux 4.0+): importing the SDKs peaks higher
    than a run does, and would hide what the run's threads and connections add."""
    Path("/proc/self/clear_refs").write_text("5")


def send_with_threads(base_url: str, concurrency: int, warm_up: list, sends: list) -> dict:
    local = threading.local()

    def send(message: dict) -> str | None:
        try:
            if not hasattr(local, "client"):
                http = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
                local.client = new_client(base_url, http)
            local.client.messages.create(**message)
        except Exception as error:
            return f"{type(error).__name__}: {error}"[:200]
        return None

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="delivery") as pool:
        # pool.map queues every call at once: the pool keeps `concurrency` in flight, as
        # Outbox.drain does by claiming as answers come back.
        list(pool.map(send, warm_up))
        return timed(lambda: list(pool.map(send, sends)))


def send_with_asyncio(base_url: str, concurrency: int, warm_up: list, sends: list) -> dict:
    async def run() -> dict:
        # Made inside the loop: aiohttp's session belongs to the loop that runs it.
        http = AsyncTwilioHttpClient()
        client = new_client(base_url, http)
        gate = asyncio.Semaphore(concurrency)

        async def send(message: dict) -> str | None:
            async with gate:
                try:
                    async with asyncio.timeout(TIMEOUT_SECONDS):
                        await client.messages.create_async(**message)
                except Exception as error:
                    return f"{type(error).__name__}: {error}"[:200]
            return None

        await asyncio.gather(*(send(message) for message in warm_up))
        started = clocks()
        errors = await asyncio.gather(*(send(message) for message in sends))
        result = elapsed(started, errors)
        await http.close()
        return result

    return asyncio.run(run())


def clocks() -> tuple[float, float]:
    return time.monotonic(), time.process_time()


def elapsed(started: tuple[float, float], errors: list) -> dict:
    wall, cpu = (now - then for now, then in zip(clocks(), started, strict=True))
    failed = [error for error in errors if error]
    return {"wall_s": wall, "cpu_s": cpu, "errors": len(failed), "error_samples": failed[:3]}


def timed(call) -> dict:
    started = clocks()
    return elapsed(started, call())


def run_one(args: argparse.Namespace) -> None:
    """One design, one concurrency: prints its figures as JSON."""
    warm_up = messages(WARM_UP_SENDER, args.concurrency)
    sends = messages(args.sender, args.messages)
    reset_peak_rss()  # after the imports, before any client or thread
    rss_before = memory_mb("VmRSS")
    run = send_with_threads if args.run == "threads" else send_with_asyncio
    result = run(args.base_url, args.concurrency, warm_up, sends)
    result["peak_rss_mb"] = memory_mb("VmHWM")
    result["rss_growth_mb"] = result["peak_rss_mb"] - rss_before
    print(json.dumps(result))


# ---------------------------------------------------------------------------- the runs


def start_fake(latency: float, env: dict) -> tuple[subprocess.Popen, str]:
    fake = subprocess.Popen(
        [
            PYTHON, "-m", "testing.fake_providers", "--port", "0",
            "--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN,
            "--latency", str(latency),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    base_url = fake.stdout.readline().strip()
    if not base_url.startswith("http"):
        fake.kill()
        sys.exit("bench.concurrency: the fake provider did not start")
    return fake, base_url


def accepted(base_url: str, sender: str) -> tuple[int, int]:
    """(messages the fake stored from ``sender``, distinct bodies among them)."""
    client = new_client(base_url, TwilioHttpClient(timeout=60))
    listed = client.messages.list(from_=sender, page_size=1000)
    return len(listed), len({message.body for message in listed})


def measure(args, design: str, concurrency: int, base_url: str, sender: str, env) -> dict:
    command = [
        PYTHON, "-m", "bench.concurrency", "--run", design,
        "--concurrency", str(concurrency), "--messages", str(args.messages),
        "--base-url", base_url, "--sender", sender,
    ]  # fmt: skip
    # Far longer than a run takes; a stuck one must still end.
    limit = 120 + 10 * args.messages / concurrency * max(args.latency, 0.05)
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=limit)
    if done.returncode:
        sys.exit(f"bench.concurrency: the {design} run failed:\n{done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["accepted"], result["distinct"] = accepted(base_url, sender)
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.run:
        run_one(args)
        return 0
    # requests honours HTTP_PROXY: the fake is local.
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "PYTHONDONTWRITEBYTECODE": "1"}
    levels = sorted({8, args.concurrency, 64})
    load_before = os.getloadavg()
    fake, base_url = start_fake(args.latency, env)
    rows = []
    try:
        for concurrency in levels:
            for repeat in range(1, args.repeats + 1):
                for design in DESIGNS:
                    sender = f"+1500555{len(rows):04d}"
                    result = measure(args, design, concurrency, base_url, sender, env)
                    result.update(design=design, concurrency=concurrency, repeat=repeat)
                    rows.append(result)
                    print(row_line(result, args.messages), file=sys.stderr, flush=True)
    finally:
        os.killpg(fake.pid, signal.SIGTERM)
        fake.wait()
    print(report(rows, args, load_before, os.getloadavg()))
    broken = [
        row
        for row in rows
        if row["errors"] or row["accepted"] != args.messages or row["distinct"] != args.messages
    ]
    for row in broken:
        print(f"! {row['design']} c={row['concurrency']}: {row['error_samples']}")
    return 1 if broken else 0


def row_line(row: dict, count: int) -> str:
    return (
        f"{row['design']:<8}{row['concurrency']:>5}{row['repeat']:>4}{row['wall_s']:>9.2f}"
        f"{count / row['wall_s']:>9.1f}{100 * row['cpu_s'] / count:>11.3f}"
        f"{row['rss_growth_mb']:>10.1f}{row['errors']:>8}{row['accepted']:>10}"
    )


def report(rows: list[dict], args, load_before, load_after) -> str:
    count = args.messages
    lines = [
        f"{count} SMS per run, fake Twilio answering after {args.latency} s; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after",
        "",
        f"{'design':<8}{'conc':>5}{'run':>4}{'wall s':>9}{'SMS/s':>9}{'CPU s/100':>11}"
        f"{'RSS +MB':>10}{'errors':>8}{'accepted':>10}",
        *(row_line(row, count) for row in rows),
        "",
        "mean SMS/s (ideal: concurrency / latency), CPU s per 100 SMS",
    ]
    for concurrency in sorted({row["concurrency"] for row in rows}):
        figures = {}
        for design in DESIGNS:
            runs = [r for r in rows if r["design"] == design and r["concurrency"] == concurrency]
            figures[design] = (
                statistics.mean(count / run["wall_s"] for run in runs),
                statistics.mean(100 * run["cpu_s"] / count for run in runs),
            )
        ideal = concurrency / args.latency if args.latency else float("inf")
        (threads, threads_cpu), (aio, aio_cpu) = figures["threads"], figures["asyncio"]
        lines.append(
            f"  c={concurrency:<3} ideal {ideal:7.1f}   threads {threads:7.1f} "
            f"({threads_cpu:.3f})   asyncio {aio:7.1f} ({aio_cpu:.3f})   "
            f"asyncio/threads {aio / threads:.2f}x"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
