"""Teammates through the API: everyone reads, admins manage, and the team keeps an admin."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from core.errors import Conflict
from team import services
from team.models import Role, Teammate
from team.permissions import ADMINS_ONLY
from team.tests.conftest import token_client

pytestmark = pytest.mark.django_db

TEAMMATE_KEYS = {"id", "username", "name", "first_name", "last_name", "email", "role", "is_active"}


def patch(client, user, **changes):
    return client.patch(f"/api/teammates/{user.pk}", changes, format="json")


def test_every_teammate_reads_the_team_with_roles(agent_api, ada, ben, make_user):
    make_user("cy")  # no name: named by username

    response = agent_api.get("/api/teammates")

    assert response.status_code == 200
    teammates = {teammate["username"]: teammate for teammate in response.json()}
    assert set(teammates) == {"ada", "ben", "cy"}
    assert set(teammates["ada"]) == TEAMMATE_KEYS
    assert teammates["ada"] == {
        "id": ada.pk,
        "username": "ada",
        "name": "Ada Lovelace",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "",
        "role": "admin",
        "is_active": True,
    }
    assert teammates["ben"]["role"] == "agent"
    assert teammates["ben"]["email"] == "ben@example.com"
    assert teammates["cy"]["name"] == "cy"


def test_the_list_costs_the_same_for_any_team_size(agent_api, make_user, django_assert_num_queries):
    for index in range(20):
        make_user(f"person{index}")
    # The token, then the users with their roles.
    with django_assert_num_queries(2):
        response = agent_api.get("/api/teammates")
    assert len(response.json()) == 21


def test_anonymous_callers_get_401(anonymous_client, ben):
    for method, path in [
        ("get", "/api/teammates"),
        ("patch", f"/api/teammates/{ben.pk}"),
        ("post", "/api/teammates/invite"),
    ]:
        response = getattr(anonymous_client, method)(path, {}, format="json")
        assert response.status_code == 401, path
        assert response.json()["error"]


def test_an_agent_may_not_change_anyone_and_is_told_why(agent_api, ada, ben):
    for user, change in [
        (ada, {"role": "agent"}),
        (ben, {"role": "admin"}),
        (ada, {"is_active": False}),
    ]:
        response = patch(agent_api, user, **change)

        assert response.status_code == 403
        assert response.json() == {"error": ADMINS_ONLY}
    assert ADMINS_ONLY.startswith("Only team admins may")
    ben.refresh_from_db()
    assert ben.teammate.role == Role.AGENT
    ada.refresh_from_db()
    assert ada.is_active


def test_an_admin_promotes_an_agent_and_renames_them(admin_api, ben):
    response = patch(admin_api, ben, role="admin", first_name="Benedict")

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "admin"
    assert response.json()["name"] == "Benedict Okafor"
    assert Teammate.objects.get(user=ben).role == Role.ADMIN


def test_a_promoted_agent_may_manage_the_team_at_once(admin_api, agent_api, ben, make_user):
    cy = make_user("cy")
    assert patch(agent_api, cy, role="admin").status_code == 403

    patch(admin_api, ben, role="admin")

    assert patch(agent_api, cy, role="admin").status_code == 200


def test_a_superuser_without_a_role_counts_as_an_admin(make_user, ben):
    boss = get_user_model().objects.create_superuser("boss", password="x" * 12)
    Teammate.objects.filter(user=boss).delete()

    response = patch(token_client(boss), ben, role="admin")

    assert response.status_code == 200
    teammates = token_client(boss).get("/api/teammates").json()
    assert {t["username"]: t["role"] for t in teammates}["boss"] == "admin"


def test_a_bad_role_or_an_unknown_teammate_is_refused_in_words(admin_api, ben):
    response = patch(admin_api, ben, role="owner")
    assert response.status_code == 400
    assert "role" in response.json()["fields"]

    assert (
        admin_api.patch("/api/teammates/999999", {"role": "agent"}, format="json").status_code
        == 404
    )
    response = admin_api.patch("/api/teammates/nope", {"role": "agent"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]


class TestTheLastAdmin:
    def test_cannot_demote_themself(self, admin_api, ada, ben):
        response = patch(admin_api, ada, role="agent")

        assert response.status_code == 409
        assert response.json()["error"] == (
            "You are the team's last active admin, so you cannot stop being an admin. "
            "Make someone else an admin first."
        )
        assert Teammate.objects.get(user=ada).role == Role.ADMIN

    def test_cannot_deactivate_themself(self, admin_api, ada):
        response = patch(admin_api, ada, is_active=False)

        assert response.status_code == 409
        assert "cannot deactivate yourself" in response.json()["error"]
        ada.refresh_from_db()
        assert ada.is_active

    def test_may_step_down_once_someone_else_is_an_admin(self, admin_api, ada, ben):
        assert patch(admin_api, ben, role="admin").status_code == 200

        response = patch(admin_api, ada, role="agent")

        assert response.status_code == 200
        assert response.json()["role"] == "agent"

    def test_a_deactivated_admin_does_not_count(self, admin_api, ada, make_user):
        gone = make_user("gone", role=Role.ADMIN, is_active=False)
        assert gone.teammate.role == Role.ADMIN

        assert patch(admin_api, ada, role="agent").status_code == 409


@pytest.mark.django_db(transaction=True)
def test_two_admins_stepping_down_at_once_leave_one(ada, make_user):
    """Each locks the admins before counting them: the second waits, then sees one."""
    cy = make_user("cy", role=Role.ADMIN)
    outcomes = []
    start = threading.Barrier(2)

    def step_down(user):
        start.wait()
        try:
            services.teammate_update(actor=user, user_id=user.pk, role=Role.AGENT)
            outcomes.append("demoted")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()  # this thread's own

    threads = [threading.Thread(target=step_down, args=(user,)) for user in (ada, cy)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["demoted", "refused"]
    assert Teammate.objects.filter(role=Role.ADMIN).count() == 1
