import contextlib
import uuid
from collections.abc import Callable

from django.db import IntegrityError
from django.db.models import Model, QuerySet

from core.errors import NotFound


def get_by_uuid[M: Model](queryset: QuerySet[M], raw_id: object, *, noun: str) -> M:
    """The row with this UUID, or NotFound; a malformed id is as unknown as a missing one."""
    try:
        return queryset.get(id=uuid.UUID(str(raw_id)))
    except (queryset.model.DoesNotExist, ValueError):
        raise NotFound(f"No {noun} with this id.") from None


# PostgreSQL's bigint: a larger id names no row, and asking for it would be an error.
_LARGEST_ID = 2**63 - 1


def integer_id(raw_id: object, *, noun: str) -> int:
    """An integer primary key from a URL or a request body, or NotFound; a malformed or
    out-of-range id is as unknown as a missing one."""
    text = str(raw_id)
    if not (text.isascii() and text.isdigit()) or int(text) > _LARGEST_ID:
        raise NotFound(f"No {noun} with this id.")
    return int(text)


def refuse_taken_name(
    queryset: QuerySet, field: str, name: str, *, own_id: object, taken: Callable[[str], Exception]
) -> None:
    """Raise ``taken(<the name as stored>)`` if a row other than ``own_id`` has ``name`` in
    ``field``, whatever its case: the check a person gets a sentence from. The unique index
    still decides between two writers at once (``name_taken_guard``)."""
    others = queryset.filter(**{f"{field}__iexact": name})
    if own_id is not None:
        others = others.exclude(pk=own_id)
    existing = others.values_list(field, flat=True).first()
    if existing is not None:
        raise taken(existing)


@contextlib.contextmanager
def name_taken_guard(constraint: str, error: Exception):
    """Two writers giving the same name at once: the unique index ``constraint`` decides, and
    the loser hears ``error``, as if it had come second."""
    try:
        yield
    except IntegrityError as integrity_error:
        if constraint in str(integrity_error):
            raise error from None
        raise
