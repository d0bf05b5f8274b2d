"""Inbox events: what services tell every open inbox, always after their commit.

Hatch is a team inbox, so every signed-in user's websocket joins one group. An event is
``{"type": "<kind>", "<kind's object>": {...}}`` in the same shape as the JSON API, so the
page renders pushed and fetched records alike.
"""

import asyncio
import atexit
import logging
import os
import threading

import orjson
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import transaction

from core.serialization import json_bytes

logger = logging.getLogger(__name__)

INBOX_GROUP = "inbox"


def user_group(user_id) -> str:
    """The group of one user's open pages: events meant for them alone (their read marks,
    their mentions)."""
    return f"user-{user_id}"


def publish_on_commit(build_event, *, group: str = INBOX_GROUP) -> None:
    """Publish ``build_event()`` to ``group`` (every open inbox, unless told otherwise) once
    the current transaction commits (at once outside one).

    The event is built after the commit, from the committed rows. A failure to publish is
    logged and never undoes or fails the write: the page catches up when it reconnects.
    """

    def build_events():
        event = build_event()
        return [] if event is None else [event]

    publish_all_on_commit(build_events, group=group)


def publish_all_on_commit(build_events, *, group: str = INBOX_GROUP) -> None:
    """As publish_on_commit, for a list of events built together (from one query)."""

    def publish():
        try:
            for event in build_events():
                # Rows hold UUIDs and datetimes, which neither the Redis layer (msgpack)
                # nor the socket (json) can carry: send the JSON the API renders, as
                # plain values.
                plain = orjson.loads(json_bytes(event))
                _publisher.send(group, {"type": "inbox.event", "event": plain})
        except Exception:
            logger.exception("Could not publish an inbox event")

    transaction.on_commit(publish)


def flush(timeout: float = 5.0) -> None:
    """Wait until every event published so far has been handed to the channel layer."""
    _publisher.flush(timeout)


class _Publisher:
    """Hands events to the channel layer from one event loop the process keeps for it.

    Sync code (a gunicorn worker, the task worker, a command) has no event loop of its own,
    so async_to_sync would make a new one for every event, and the Redis layer, which pools
    its connections per loop, a new connection: 3.5 ms of CPU and 9 ms of waiting per send
    (measured; see bench/README.md). One long-lived loop in a thread keeps one pool, and
    the request does not wait for Redis at all. One queue, drained in order, so events for
    a record reach the inbox in the order they were published.

    The in-memory layer (development, tests) only reaches sockets of this process, whose
    event loop it must share: it is called directly, as before.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue | None = None
        self._pid: int | None = None

    def send(self, group: str, message: dict) -> None:
        layer = get_channel_layer()
        if isinstance(layer, InMemoryChannelLayer):
            async_to_sync(layer.group_send)(group, message)
            return
        loop, queue = self._started()
        loop.call_soon_threadsafe(queue.put_nowait, (group, message))

    def flush(self, timeout: float) -> None:
        if self._loop is None or self._pid != os.getpid():
            return
        done = asyncio.run_coroutine_threadsafe(self._queue.join(), self._loop)
        try:
            done.result(timeout)
        except TimeoutError:
            logger.warning("Inbox events still unpublished after %.1f s", timeout)

    def _started(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue]:
        with self._lock:
            # A forked child (a gunicorn worker) inherits no running thread: start anew.
            if self._loop is None or self._pid != os.getpid():
                ready = threading.Event()
                threading.Thread(
                    target=self._run, args=(ready,), name="inbox-events", daemon=True
                ).start()
                ready.wait()
                self._pid = os.getpid()
            return self._loop, self._queue

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._queue = asyncio.Queue()
        ready.set()
        self._loop.run_until_complete(self._drain())

    async def _drain(self) -> None:
        while True:
            group, message = await self._queue.get()
            try:
                await get_channel_layer().group_send(group, message)
            except Exception:
                logger.exception("Could not publish an inbox event")
            finally:
                self._queue.task_done()


_publisher = _Publisher()
# A command or worker that exits right after a write still tells the inbox.
atexit.register(flush, 2.0)
