"""The answers Hatch gave to requests that carried an ``Idempotency-Key`` (idempotency.keys).

Its own small app because both messaging and emails use it, and neither app reaches into the
other's tables.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """One user's key, the request it named and the answer it got.

    Written in the same transaction as the record the request created, so a key exists if and
    only if its send was stored; unique per user, so that of two requests with the same key
    at once exactly one can commit.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # sha256 of the method, path and JSON body: a repeat must be the same request.
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # The JSON as first answered, as text: jsonb would reorder its keys.
    response_body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]
        indexes = [
            # prune_idempotency_keys deletes the keys older than IDEMPOTENCY_KEY_TTL_HOURS.
            models.Index(fields=["created_at"], name="idempotency_key_created_idx"),
        ]

    def __str__(self):
        return f"{self.key} ({self.response_status})"
