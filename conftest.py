"""Fixtures shared by every app's tests."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.tests.factories import UserFactory


@pytest.fixture
def user(db):
    return UserFactory(username="casey", first_name="Casey", last_name="Jones")


@pytest.fixture
def api_client(user):
    """An API client authenticated with a DRF token, as a program would be."""
    client = APIClient()
    token = Token.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anonymous_client():
    return APIClient()
