"""Labels through the API: everyone reads them, admins create, rename, recolour and delete."""

import pytest

from team.models import Label
from team.permissions import ADMINS_ONLY

pytestmark = pytest.mark.django_db


def create(client, **fields):
    return client.post("/api/labels", fields, format="json")


@pytest.fixture
def vip(db):
    return Label.objects.create(name="VIP", colour="#b42318")


def test_everyone_reads_the_labels_by_name_whatever_the_case(agent_api):
    for name in ("billing", "VIP", "Address change"):
        Label.objects.create(name=name)

    response = agent_api.get("/api/labels")

    assert response.status_code == 200
    assert [label["name"] for label in response.json()] == ["Address change", "billing", "VIP"]
    assert set(response.json()[0]) == {"id", "name", "colour"}


def test_an_admin_creates_a_label(admin_api):
    response = create(admin_api, name="  Refund   pending ", colour="#0F766E")

    assert response.status_code == 201, response.content
    label = Label.objects.get()
    assert response.json() == {"id": label.pk, "name": "Refund pending", "colour": "#0f766e"}


def test_a_label_without_a_colour_is_grey(admin_api):
    assert create(admin_api, name="Later").json()["colour"] == "#6b7280"


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": ""}, "name", "Enter a name"),
        ({"name": "   "}, "name", "Enter a name"),
        ({"name": "x" * 41}, "name", "at most 40 characters"),
        ({"name": "Blue", "colour": "blue"}, "colour", "#rrggbb"),
        ({"name": "Blue", "colour": "#12345"}, "colour", "#rrggbb"),
        ({"name": "Blue", "colour": "#12345g"}, "colour", "#rrggbb"),
        ({"name": "vip"}, "name", "The name “VIP” is taken"),
    ],
)
def test_a_bad_label_is_a_400_saying_what_to_fix(admin_api, vip, fields, field, words):
    response = create(admin_api, **fields)

    assert response.status_code == 400
    assert words in " ".join(response.json()["fields"][field])
    assert list(Label.objects.values_list("name", flat=True)) == ["VIP"]


def test_forty_characters_is_enough(admin_api):
    assert create(admin_api, name="x" * 40).status_code == 201


def test_an_admin_renames_and_recolours_a_label(admin_api, vip):
    response = admin_api.patch(
        f"/api/labels/{vip.pk}", {"name": "Very important", "colour": "#2563EB"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json() == {"id": vip.pk, "name": "Very important", "colour": "#2563eb"}


def test_a_label_may_change_the_case_of_its_own_name_but_not_take_anothers(admin_api, vip):
    Label.objects.create(name="Billing")

    assert (
        admin_api.patch(f"/api/labels/{vip.pk}", {"name": "vip"}, format="json").status_code == 200
    )
    response = admin_api.patch(f"/api/labels/{vip.pk}", {"name": "BILLING"}, format="json")

    assert response.status_code == 400
    assert "is taken" in response.json()["error"]
    vip.refresh_from_db()
    assert vip.name == "vip"


def test_an_admin_deletes_a_label(admin_api, vip):
    response = admin_api.delete(f"/api/labels/{vip.pk}")

    assert response.status_code == 204
    assert not Label.objects.exists()
    assert admin_api.delete(f"/api/labels/{vip.pk}").status_code == 404


def test_an_unknown_label_is_a_404(admin_api):
    assert admin_api.patch("/api/labels/999", {"name": "x"}, format="json").status_code == 404
    assert admin_api.delete("/api/labels/nope").status_code == 404


def test_an_agent_may_not_change_labels_and_is_told_why(agent_api, vip):
    answers = [
        create(agent_api, name="Mine"),
        agent_api.patch(f"/api/labels/{vip.pk}", {"name": "Mine"}, format="json"),
        agent_api.delete(f"/api/labels/{vip.pk}"),
    ]

    for response in answers:
        assert response.status_code == 403
        assert response.json() == {"error": ADMINS_ONLY}
    assert list(Label.objects.values_list("name", flat=True)) == ["VIP"]


def test_anonymous_callers_get_401(anonymous_client, vip):
    for method, path in [
        ("get", "/api/labels"),
        ("post", "/api/labels"),
        ("patch", f"/api/labels/{vip.pk}"),
        ("delete", f"/api/labels/{vip.pk}"),
    ]:
        response = getattr(anonymous_client, method)(path, {}, format="json")
        assert response.status_code == 401, (method, path)
