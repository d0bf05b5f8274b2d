"""The JSON shapes of teammates and labels, shared by every answer that carries them (the
team API, contacts, conversations). team.api documents them for the OpenAPI schema."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from team.models import Label
from team.selectors import display_name, role_of


def teammate_data(user: AbstractBaseUser) -> dict[str, Any]:
    """A teammate; load it with ``select_related("teammate")`` (team.selectors)."""
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": display_name(user),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": role_of(user),
        "is_active": user.is_active,
    }


def label_data(label: Label) -> dict[str, Any]:
    return {"id": label.pk, "name": label.name, "colour": label.colour}
