"""Inviting a teammate: the account, the one-time link, and the welcome page behind it."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from team.models import Invitation, Role
from team.permissions import ADMINS_ONLY

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a long and unusual passphrase"


def invite(client, **fields):
    body = {"username": "grace", "first_name": "Grace", "last_name": "Hopper", **fields}
    return client.post("/api/teammates/invite", body, format="json")


def token_of(url: str) -> str:
    return re.fullmatch(r"http://testserver/accounts/welcome/([\w-]+)", url).group(1)


@pytest.fixture
def invitation(admin_api):
    """Grace's invitation: her user, and the path of her link."""
    answer = invite(admin_api, email="grace@example.com").json()
    user = get_user_model().objects.get(username="grace")
    return user, f"/accounts/welcome/{token_of(answer['sign_in_url'])}"


def set_password(client, path, password=NEW_PASSWORD, again=None):
    return client.post(path, {"new_password1": password, "new_password2": again or password})


class TestInviting:
    def test_an_admin_gets_a_one_time_link_for_a_new_teammate(self, admin_api, ada):
        before = timezone.now()

        response = invite(admin_api, email="grace@example.com", role="admin")

        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == {"teammate", "sign_in_url", "expires_at"}
        assert body["teammate"] == {
            "id": body["teammate"]["id"],
            "username": "grace",
            "name": "Grace Hopper",
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.com",
            "role": "admin",
            "is_active": True,
        }
        token = token_of(body["sign_in_url"])
        assert len(token) >= 43  # 32 random bytes, URL-safe base64
        grace = get_user_model().objects.get(username="grace")
        assert not grace.has_usable_password()
        assert grace.teammate.role == Role.ADMIN
        invitation = Invitation.objects.get(user=grace)
        # Only the token's hash is kept: the link cannot be rebuilt from the database.
        assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in str(list(Invitation.objects.values()))
        assert invitation.invited_by == ada
        assert invitation.used_at is None
        week = timedelta(days=7)
        assert before + week <= invitation.expires_at <= timezone.now() + week

    def test_an_invited_agent_is_the_default(self, admin_api):
        body = invite(admin_api).json()

        assert body["teammate"]["role"] == "agent"
        assert body["teammate"]["email"] == ""

    def test_each_link_is_different(self, admin_api):
        first = invite(admin_api, username="one").json()["sign_in_url"]
        second = invite(admin_api, username="two").json()["sign_in_url"]

        assert first != second

    def test_an_agent_may_not_invite_and_is_told_why(self, agent_api):
        response = invite(agent_api)

        assert response.status_code == 403
        assert response.json()["error"] == ADMINS_ONLY
        assert not get_user_model().objects.filter(username="grace").exists()

    @pytest.mark.parametrize(
        ("fields", "field", "words"),
        [
            ({"username": ""}, "username", "Enter a username"),
            ({"username": "grace hopper"}, "username", "no spaces"),
            ({"username": "x" * 151}, "username", "at most 150"),
            ({"username": "BEN"}, "username", "“BEN” is taken"),
            ({"email": "not-an-address"}, "email", "is not an email address"),
            ({"role": "owner"}, "role", "not a valid choice"),
            ({"first_name": "x" * 151}, "first_name", "at most 150"),
        ],
    )
    def test_bad_details_are_a_400_naming_the_field(self, admin_api, ben, fields, field, words):
        users_before = get_user_model().objects.count()

        response = invite(admin_api, **fields)

        assert response.status_code == 400
        assert words in " ".join(response.json()["fields"][field])
        assert get_user_model().objects.count() == users_before
        assert not Invitation.objects.exists()


class TestTheWelcomePage:
    def test_the_invited_person_chooses_a_password_and_lands_in_the_inbox(self, invitation):
        grace, path = invitation
        browser = Client()

        page = browser.get(path)
        assert page.status_code == 200
        assert "Choose a password for <strong>grace</strong>" in page.content.decode()
        assert page["Cache-Control"].startswith("max-age=0")

        response = set_password(browser, path)

        assert response.status_code == 302
        assert response["Location"] == "/"
        assert browser.get("/").status_code == 200  # signed in: the inbox opens
        grace.refresh_from_db()
        assert grace.check_password(NEW_PASSWORD)
        assert Invitation.objects.get(user=grace).used_at is not None
        # From now on, the usual sign-in works.
        assert Client().login(username="grace", password=NEW_PASSWORD)

    def test_the_link_works_once(self, invitation):
        grace, path = invitation
        set_password(Client(), path)

        again = Client().get(path)
        assert again.status_code == 410
        assert "was used already" in again.content.decode()

        stolen = set_password(Client(), path, password="another fine passphrase")
        assert stolen.status_code == 410
        grace.refresh_from_db()
        assert grace.check_password(NEW_PASSWORD)

    def test_an_expired_link_says_so(self, invitation):
        grace, path = invitation
        Invitation.objects.filter(user=grace).update(expires_at=timezone.now())

        for response in (Client().get(path), set_password(Client(), path)):
            assert response.status_code == 410
            assert "has expired" in response.content.decode()
            assert "Ask an admin on your team" in response.content.decode()
        grace.refresh_from_db()
        assert not grace.has_usable_password()

    def test_an_unknown_link_says_so(self, db):
        response = Client().get("/accounts/welcome/not-a-real-token")

        assert response.status_code == 404
        assert "This sign-in link is not valid" in response.content.decode()

    def test_a_teammate_deactivated_before_accepting_cannot_use_the_link(
        self, invitation, admin_api
    ):
        grace, path = invitation
        admin_api.patch(f"/api/teammates/{grace.pk}", {"is_active": False}, format="json")

        response = set_password(Client(), path)

        assert response.status_code == 410
        assert "deactivated" in response.content.decode()

    @pytest.mark.parametrize(
        ("password", "again", "words"),
        [
            ("short", None, "too short"),
            ("12345678901234", None, "entirely numeric"),
            ("password123", None, "too common"),
            (NEW_PASSWORD, "something else entirely", "fields didn"),
        ],
    )
    def test_a_weak_or_mistyped_password_is_explained_and_the_link_kept(
        self, invitation, password, again, words
    ):
        grace, path = invitation

        response = set_password(Client(), path, password=password, again=again)

        assert response.status_code == 200
        assert words in response.content.decode()
        assert Invitation.objects.get(user=grace).used_at is None
        assert set_password(Client(), path).status_code == 302
