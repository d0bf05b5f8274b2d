"""Reads about the team: who is on it, what each person may do, and the labels they share."""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone

from team.models import Invitation, Label, Role, Teammate


def role_of(user: AbstractBaseUser | AnonymousUser) -> str | None:
    """The user's role in Hatch, or None for someone not signed in.

    Every user has a Teammate row (team.signals); one made before the signal existed, or
    loaded from a fixture, may not: a superuser then counts as an admin (they can make
    themselves one in the Django admin anyway), anyone else as an agent.
    """
    if not user or not user.is_authenticated:
        return None
    try:
        return user.teammate.role
    except Teammate.DoesNotExist:
        return Role.ADMIN if user.is_superuser else Role.AGENT


def is_team_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return bool(user and user.is_active) and role_of(user) == Role.ADMIN


def display_name(user: AbstractBaseUser) -> str:
    """How Hatch names a teammate to other people: their full name, else their username."""
    return user.get_full_name().strip() or user.get_username()


def teammate_list() -> QuerySet:
    """Every user with their role (active ones first, then by name), one query."""
    return (
        get_user_model()
        .objects.select_related("teammate")
        .order_by("-is_active", Lower("first_name"), Lower("last_name"), Lower("username"))
    )


def teammate_get(*, user_id: int):
    """The user with that id and their role, or None."""
    return teammate_list().filter(pk=user_id).first()


def active_admin_count() -> int:
    """Active users who are admins: a superuser without a Teammate row counts, as in role_of."""
    admins = Q(teammate__role=Role.ADMIN) | Q(teammate__isnull=True, is_superuser=True)
    return get_user_model().objects.filter(admins, is_active=True).count()


def label_list() -> QuerySet:
    """Every label, by name regardless of case (the model's ordering)."""
    return Label.objects.all()


def labels_named(names: list[str]) -> dict[str, Label]:
    """The labels with these names (any case), keyed by the lower-cased name."""
    lowered = {name.strip().lower() for name in names}
    found = Label.objects.annotate(lower_name=Lower("name")).filter(lower_name__in=lowered)
    return {label.lower_name: label for label in found}


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation whose link carries ``token`` (only its hash is stored), or None."""
    return Invitation.objects.select_related("user").filter(token_hash=token_hash(token)).first()


def token_hash(token: str) -> str:
    """What is stored of an invitation's token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_problem(invitation: Invitation) -> str:
    """Why the invitation's link no longer works, in a sentence; "" while it does."""
    if invitation.used_at is not None:
        return (
            "This sign-in link was used already: each link works once. Sign in with the "
            "password you chose."
        )
    if invitation.expires_at <= timezone.now():
        return "This sign-in link has expired. Ask an admin on your team to help you sign in."
    if not invitation.user.is_active:
        return "This account has been deactivated. Ask an admin if you think this is a mistake."
    return ""
