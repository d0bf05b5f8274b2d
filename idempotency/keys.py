"""``Idempotency-Key`` for the send endpoints: a retried send is answered, not sent again.

A client (the inbox does) names each send with a key of its choosing. The first request with
a key runs and its answer is stored with the key, in the same transaction as the message or
email it created; a repeat by the same user gets that answer again (``Idempotent-Replayed:
true``) and nothing is stored or sent. The same key with another request (a different body,
or the other endpoint) is a 422. A failed request (4xx) stores nothing, so it can be
corrected and sent again under the same key.

Two requests with one key at the same moment: both run, the unique (user, key) constraint
lets one commit, and the other rolls back whole, message included, and answers what the
first stored. Keys are kept IDEMPOTENCY_KEY_TTL_HOURS (24 by default); after that a repeat
is a new send (``manage.py prune_idempotency_keys`` deletes them).
"""

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

from core.errors import ApplicationError, ValidationError
from idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_MAX_LENGTH = 255
# Printable ASCII without spaces: UUIDs, ULIDs, base64 and the like all fit.
_KEY_PATTERN = re.compile(rf"[\x21-\x7e]{{1,{KEY_MAX_LENGTH}}}")


class IdempotencyKeyReused(ApplicationError):
    status_code = 422


def idempotent(send):
    """Decorate a send view method (``def send(self, request)``) to honour Idempotency-Key.

    The view runs inside this decorator's transaction, so the service's own
    ``transaction.atomic()`` nests in it and its after-commit hooks (enqueue, inbox event)
    run once, when the key and the record commit together, and never for a rolled-back repeat.
    """

    @functools.wraps(send)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return send(view, request, *args, **kwargs)
        if not _KEY_PATTERN.fullmatch(key):
            raise ValidationError(
                f"{HEADER} must be 1 to {KEY_MAX_LENGTH} printable ASCII characters without "
                "spaces, such as a UUID.",
                field=HEADER,
            )
        fingerprint = _fingerprint(request)
        stored = _stored_answer(request.user, key)
        if stored is not None:
            return _replay(stored, fingerprint)
        try:
            with transaction.atomic():
                response = send(view, request, *args, **kwargs)
                IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    request_fingerprint=fingerprint,
                    response_status=response.status_code,
                    response_body=_as_json(response.data),
                )
        except IntegrityError:
            # The same key at the same moment: the other request committed first.
            stored = _stored_answer(request.user, key)
            if stored is None:
                raise
            return _replay(stored, fingerprint)
        return response

    return wrapper


def idempotency_keys_prune() -> int:
    """Delete the keys older than IDEMPOTENCY_KEY_TTL_HOURS; return how many."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=_expiry()).delete()
    return deleted


def _expiry():
    return timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)


def _stored_answer(user, key: str) -> IdempotencyKey | None:
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is not None and stored.created_at < _expiry():
        # Expired: the key is free again. Deleted here, so that the new answer can be stored.
        stored.delete()
        return None
    return stored


def _as_json(data) -> str:
    """The answer as the API's JSON renderer writes it, so that a replay is byte for byte."""
    return api_settings.DEFAULT_RENDERER_CLASSES[0]().render(data).decode()


def _fingerprint(request) -> str:
    body = json.dumps(
        _comparable(request.data), sort_keys=True, separators=(",", ":"), cls=JSONEncoder
    )
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _comparable(data):
    """The request's data as JSON holds it. JSON stays as parsed. A multipart form (a send
    with files) is its fields, each with its list of values, and each file by its name,
    size and digest: a browser's retry of the same form has another boundary, so its raw
    body differs, but not this."""
    if not isinstance(data, QueryDict):
        return data
    return {
        name: [
            _file_fingerprint(value) if isinstance(value, UploadedFile) else value
            for value in data.getlist(name)
        ]
        for name in data
    }


def _file_fingerprint(file: UploadedFile) -> dict:
    digest = hashlib.sha256()
    for chunk in file.chunks():  # from the start, and read again from it by the send
        digest.update(chunk)
    return {"filename": file.name, "size": file.size, "sha256": digest.hexdigest()}


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"This {HEADER} was already used for a different request (another body or "
            "endpoint). Send a new message with a new key; to get the first answer again, "
            "repeat the first request exactly.",
            field=HEADER,
        )
    return Response(
        json.loads(stored.response_body),
        status=stored.response_status,
        headers={REPLAYED_HEADER: "true"},
    )
