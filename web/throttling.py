"""Rate limits on the endpoints that spend money: every SMS is billed.

The counts live in Django's cache (settings.CACHES): Redis with REDIS_URL, so every web
process shares them; a 429 says when to try again, in ``Retry-After`` and in its message.
"""

import logging

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import UserRateThrottle

logger = logging.getLogger(__name__)


class SendRateThrottle(UserRateThrottle):
    """Sends per user, SMS and email together, at SEND_RATE_LIMIT (e.g. "120/minute")."""

    scope = "send"

    def get_rate(self) -> str | None:
        # Read per request rather than from DRF's import-time copy, so that it can be changed
        # without a restart of the settings machinery (tests do).
        return settings.SEND_RATE_LIMIT

    def allow_request(self, request, view) -> bool:
        try:
            allowed = super().allow_request(request, view)
        except Exception:
            # The cache (Redis) is down. Sending matters more than counting: let the send
            # through rather than fail every send until the cache is back.
            logger.warning("Send rate limit not applied: the cache failed", exc_info=True)
            return True
        if allowed:
            return True
        count, period = self.rate.split("/")  # read once, in __init__ (get_rate)
        raise Throttled(
            wait=self.wait(),
            detail=f"Too many sends: at most {count} per {_PERIODS[period[0]]} for each user.",
        )


_PERIODS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}
