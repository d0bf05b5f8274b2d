"""Every write about the team: inviting people, their roles and accounts, and labels.

Who may call these is the interfaces' business (team.permissions.IsTeamAdmin); the rules
that hold whoever calls are here: the team always keeps an active admin, an invitation
link works once and for a week, label names are unique whatever their case.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import exceptions as django_exceptions
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Conflict, NotFound, ValidationError
from core.queries import integer_id, name_taken_guard, refuse_taken_name
from core.realtime import publish_on_commit, user_group
from team import selectors
from team.models import LABEL_NAME_MAX_LENGTH, Invitation, Label, Role, Teammate

INVITATION_LIFETIME = timedelta(days=7)
# A CSS hex colour; stored lower-case so that "#0F766E" and "#0f766e" are one colour.
COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
LABEL_NAME_CONSTRAINT = "label_name_unique_ci"
NAME_MAX_LENGTH = 150  # Django's first_name and last_name
USERNAME_MAX_LENGTH = 150


@dataclass(frozen=True)
class InvitationLink:
    """A new teammate and their one-time link's token: shown once, never stored."""

    user: AbstractBaseUser
    token: str
    expires_at: datetime


# --------------------------------------------------------------------------- teammates


def teammate_invite(
    *,
    invited_by: AbstractBaseUser | None,
    username: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    role: str = Role.AGENT,
) -> InvitationLink:
    """A new user with ``role`` who signs in first through a one-time link (valid for
    INVITATION_LIFETIME), where they choose their password: until then they have none."""
    username = _username(username)
    fields = {
        "first_name": _person_name(first_name, field="first_name"),
        "last_name": _person_name(last_name, field="last_name"),
        "email": _email(email),
    }
    role = _role(role)
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + INVITATION_LIFETIME
    user_model = get_user_model()
    try:
        with transaction.atomic():
            if user_model.objects.filter(username__iexact=username).exists():
                raise _username_taken(username)
            user = user_model(username=username, **fields)
            user.set_unusable_password()
            user.save()
            # team.signals made the row (as an agent); the role asked for replaces it.
            Teammate.objects.update_or_create(user=user, defaults={"role": role})
            Invitation.objects.create(
                user=user,
                token_hash=selectors.token_hash(token),
                invited_by=invited_by,
                expires_at=expires_at,
            )
    except IntegrityError:
        # The same username invited twice at once: the unique column decided.
        raise _username_taken(username) from None
    return InvitationLink(user=user, token=token, expires_at=expires_at)


def invitation_accept(*, token: str, password: str) -> AbstractBaseUser:
    """Give the invited user ``password`` and spend the link: it never works again.

    The password is checked by AUTH_PASSWORD_VALIDATORS (a ValidationError on "password"
    names what is wrong); a link that is unknown, used, expired or whose teammate was
    deactivated meanwhile is a Conflict (NotFound when unknown) saying so.
    """
    with transaction.atomic():
        # Locked: the same link submitted twice at once sets one password, once.
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(token_hash=selectors.token_hash(token))
            .first()
        )
        if invitation is None:
            raise NotFound(INVITATION_UNKNOWN)
        problem = selectors.invitation_problem(invitation)
        if problem:
            raise Conflict(problem)
        user = invitation.user
        try:
            password_validation.validate_password(password, user)
        except django_exceptions.ValidationError as error:
            raise ValidationError(" ".join(error.messages), field="password") from None
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = timezone.now()
        invitation.save(update_fields=["used_at", "updated_at"])
    return user


INVITATION_UNKNOWN = (
    "This sign-in link is not valid. Check that it was copied whole, or ask an admin on your "
    "team to help you sign in."
)


def teammate_update(
    *,
    actor: AbstractBaseUser,
    user_id: object,
    role: str | None = None,
    is_active: bool | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> AbstractBaseUser:
    """Change what is given (None: leave as is). The team always keeps an active admin: a
    change that would leave none is a Conflict.

    Deactivating keeps the account and its API tokens, but signs it out everywhere at once:
    Django's session check and Hatch's token check both refuse an inactive user.
    """
    role = None if role is None else _role(role)
    names = {
        key: _person_name(value, field=key)
        for key, value in (("first_name", first_name), ("last_name", last_name))
        if value is not None
    }
    user_model = get_user_model()
    with transaction.atomic():
        # Every active admin's row locked, then counted: two admins demoting each other at
        # once queue here, and the second sees that the first is no longer an admin.
        list(
            Teammate.objects.select_for_update(of=("self",)).filter(
                role=Role.ADMIN, user__is_active=True
            )
        )
        user = (
            user_model.objects.select_for_update()
            .filter(pk=integer_id(user_id, noun="teammate"))
            .first()
        )
        if user is None:
            raise NotFound("No teammate with this id.")
        teammate, _ = Teammate.objects.get_or_create(
            user=user, defaults={"role": selectors.role_of(user)}
        )
        was_admin = user.is_active and teammate.role == Role.ADMIN
        stays_admin = (user.is_active if is_active is None else is_active) and (
            (role or teammate.role) == Role.ADMIN
        )
        if was_admin and not stays_admin and selectors.active_admin_count() <= 1:
            raise Conflict(_last_admin_message(actor, user, deactivating=is_active is False))
        if role is not None and role != teammate.role:
            teammate.role = role
            teammate.save(update_fields=["role"])
        changed = list(names)
        for key, value in names.items():
            setattr(user, key, value)
        if is_active is not None and is_active != user.is_active:
            user.is_active = is_active
            changed.append("is_active")
            if not is_active:
                # Pages already open hold a websocket that outlives the session check.
                publish_on_commit(
                    lambda: {"type": "account.deactivated"}, group=user_group(user.pk)
                )
        if changed:
            user.save(update_fields=changed)
    return selectors.teammate_get(user_id=user.pk)


def _last_admin_message(actor, user, *, deactivating: bool) -> str:
    if actor.pk == user.pk:
        doing = "deactivate yourself" if deactivating else "stop being an admin"
        return (
            f"You are the team's last active admin, so you cannot {doing}. "
            "Make someone else an admin first."
        )
    doing = "deactivate them" if deactivating else "change their role"
    return (
        f"{selectors.display_name(user)} is the team's last active admin: make someone else "
        f"an admin before you {doing}."
    )


def _username(raw: str) -> str:
    username = (raw or "").strip()
    if not username:
        raise ValidationError(
            "Enter a username: the name they will sign in with.", field="username"
        )
    if len(username) > USERNAME_MAX_LENGTH:
        raise ValidationError(
            f"The username is too long: at most {USERNAME_MAX_LENGTH} characters.",
            field="username",
        )
    try:
        UnicodeUsernameValidator()(username)
    except django_exceptions.ValidationError:
        raise ValidationError(
            "A username may hold letters, digits and @ . + - _ only (no spaces).",
            field="username",
        ) from None
    return username


def _username_taken(username: str) -> ValidationError:
    return ValidationError(f"The username “{username}” is taken: choose another.", field="username")


def _person_name(raw: str, *, field: str) -> str:
    name = (raw or "").strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"The name is too long: at most {NAME_MAX_LENGTH} characters.", field=field
        )
    return name


def _email(raw: str) -> str:
    email = (raw or "").strip()
    if not email:
        return ""
    try:
        validate_email(email)
    except django_exceptions.ValidationError:
        raise ValidationError(f"“{email}” is not an email address.", field="email") from None
    return email


def _role(raw: str) -> str:
    if raw not in Role.values:
        raise ValidationError(f"The role must be one of: {', '.join(Role.values)}.", field="role")
    return raw


# ------------------------------------------------------------------------------ labels


def label_create(*, name: str, colour: str = "") -> Label:
    name = _label_name(name)
    colour = _colour(colour) if colour else Label._meta.get_field("colour").default
    with name_taken_guard(LABEL_NAME_CONSTRAINT, _label_taken(name)), transaction.atomic():
        refuse_taken_name(Label.objects, "name", name, own_id=None, taken=_label_taken)
        return Label.objects.create(name=name, colour=colour)


def label_update(*, label_id: object, name: str | None = None, colour: str | None = None) -> Label:
    """Rename or recolour a label; conversations and contacts keep it under its new name."""
    name = None if name is None else _label_name(name)
    colour = None if colour is None else _colour(colour)
    with name_taken_guard(LABEL_NAME_CONSTRAINT, _label_taken(name or "")), transaction.atomic():
        label = (
            Label.objects.select_for_update().filter(pk=integer_id(label_id, noun="label")).first()
        )
        if label is None:
            raise NotFound("No label with this id.")
        if name is not None:
            refuse_taken_name(Label.objects, "name", name, own_id=label.pk, taken=_label_taken)
            label.name = name
        if colour is not None:
            label.colour = colour
        label.save()
    return label


def label_delete(*, label_id: object) -> None:
    """Delete the label: conversations and contacts that carried it simply lose it."""
    deleted, _ = Label.objects.filter(pk=integer_id(label_id, noun="label")).delete()
    if not deleted:
        raise NotFound("No label with this id.")


def _label_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError("Enter a name for the label.", field="name")
    if len(name) > LABEL_NAME_MAX_LENGTH:
        raise ValidationError(
            f"A label's name is at most {LABEL_NAME_MAX_LENGTH} characters.", field="name"
        )
    return name


def _colour(raw: str) -> str:
    colour = (raw or "").strip()
    if not COLOUR_PATTERN.match(colour):
        raise ValidationError(
            f"The colour must be written #rrggbb (e.g. #0f766e), not “{colour[:20]}”.",
            field="colour",
        )
    return colour.lower()


def _label_taken(name: str) -> ValidationError:
    return ValidationError(
        f"The name “{name}” is taken: another label has it. Choose another name.",
        field="name",
    )
