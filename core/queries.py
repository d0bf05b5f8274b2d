import uuid

from django.db.models import Model, QuerySet

from core.errors import NotFound


def get_by_uuid[M: Model](queryset: QuerySet[M], raw_id: object, *, noun: str) -> M:
    """The row with this UUID, or NotFound; a malformed id is as unknown as a missing one."""
    try:
        return queryset.get(id=uuid.UUID(str(raw_id)))
    except (queryset.model.DoesNotExist, ValueError):
        raise NotFound(f"No {noun} with this id.") from None
