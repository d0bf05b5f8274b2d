"""A Redis database of a test's own, on the local Redis: checked, emptied before and after.

Each test module that needs Redis takes its own database number, so that two of them never
read each other's keys: 15 for messaging/tests/test_realtime.py, 13 for
tests/test_several_machines.py, 12 for broadcasts/tests/test_broadcasts_browser.py (14 is
the benchmark's).
"""

import contextlib
from collections.abc import Iterator

import pytest
import redis


@contextlib.contextmanager
def redis_database(url: str) -> Iterator[str]:
    """Yield ``url`` once Redis answers there, with the database empty; empty it after."""
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(
            f"Redis is not answering at {url}: scripts/services.sh starts it "
            "(apt-get install redis-server if it is missing)."
        )
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def redis_channel_layers(url: str) -> dict:
    """CHANNEL_LAYERS for this process on that database, as the servers' REDIS_URL gives."""
    return {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [url]},
        }
    }
