"""Fixtures of the team tests: an admin, an agent, and API clients signed in as each."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from team.models import Role, Teammate

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db):
    """A user with a password and a role (team.signals gives each a Teammate row)."""

    def make(username: str, *, role: str = Role.AGENT, **fields):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
        Teammate.objects.filter(user=user).update(role=role)
        # Read again: the signal's row, an agent's, is cached on the instance.
        return get_user_model().objects.get(pk=user.pk)

    return make


@pytest.fixture
def ada(make_user):
    return make_user("ada", role=Role.ADMIN, first_name="Ada", last_name="Lovelace")


@pytest.fixture
def ben(make_user):
    return make_user("ben", first_name="Ben", last_name="Okafor", email="ben@example.com")


def token_client(user) -> APIClient:
    """An API client authenticated with a DRF token, as a program would be."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_api(ada):
    return token_client(ada)


@pytest.fixture
def agent_api(ben):
    return token_client(ben)
