"""A contact's labels: set by name, shown on every answer, filtered by, kept by a merge."""

import pytest

from contacts import services
from contacts.models import Contact
from team.models import Label

pytestmark = pytest.mark.django_db


@pytest.fixture
def labels(db):
    return {
        name: Label.objects.create(name=name, colour=colour)
        for name, colour in [("VIP", "#b42318"), ("Billing", "#2563eb"), ("Press", "#0f766e")]
    }


def patch(client, contact, **fields):
    return client.patch(f"/api/contacts/{contact.id}", fields, format="json")


def names(answer: dict) -> list[str]:
    return [label["name"] for label in answer["labels"]]


def test_a_contact_takes_labels_by_name_in_any_case(api_client, ada, labels):
    response = patch(api_client, ada, labels=["vip", "BILLING"])

    assert response.status_code == 200, response.content
    assert response.json()["labels"] == [
        {"id": labels["Billing"].pk, "name": "Billing", "colour": "#2563eb"},
        {"id": labels["VIP"].pk, "name": "VIP", "colour": "#b42318"},
    ]
    assert names(api_client.get(f"/api/contacts/{ada.id}").json()) == ["Billing", "VIP"]


def test_the_list_replaces_the_labels_and_an_empty_one_clears_them(api_client, ada, labels):
    patch(api_client, ada, labels=["VIP", "Billing"])

    assert names(patch(api_client, ada, labels=["Press"]).json()) == ["Press"]
    assert names(patch(api_client, ada, name="Ada L.").json()) == ["Press"]  # left as is
    assert names(patch(api_client, ada, labels=[]).json()) == []


def test_an_unknown_label_is_a_400_naming_it_and_changes_nothing(api_client, ada, labels):
    patch(api_client, ada, labels=["VIP"])

    response = patch(api_client, ada, labels=["Billing", "Gold"], name="Someone else")

    assert response.status_code == 400
    assert response.json()["fields"]["labels"] == [
        "There is no label named “Gold”. Admins create labels on the Team page."
    ]
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"
    assert [label.name for label in ada.labels.all()] == ["VIP"]


def test_a_new_contact_may_carry_labels(api_client, labels):
    response = api_client.post(
        "/api/contacts", {"name": "Grace", "labels": ["Press"]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert names(response.json()) == ["Press"]


def test_the_list_filters_by_label_with_one_query_for_all_the_labels(
    api_client, labels, django_assert_num_queries
):
    for index in range(12):
        contact = services.contact_create(name=f"Person {index}", labels=["VIP", "Billing"])
    services.contact_create(name="Unlabelled")
    services.contact_update(contact_id=contact.id, labels=["Billing"])

    # The token, the page of contacts, their numbers and addresses, and their labels.
    with django_assert_num_queries(4):
        response = api_client.get("/api/contacts?label=vip&page_size=100")

    assert response.status_code == 200
    listed = response.json()["contacts"]
    assert len(listed) == 11
    assert all(names(item) == ["Billing", "VIP"] for item in listed)
    assert len(api_client.get("/api/contacts?label=Billing").json()["contacts"]) == 12
    assert api_client.get("/api/contacts?label=Nobody").json()["contacts"] == []


def test_the_label_filter_combines_with_a_search(api_client, ada, grace, labels):
    services.contact_update(contact_id=ada.id, labels=["VIP"])
    services.contact_update(contact_id=grace.id, labels=["VIP"])

    response = api_client.get("/api/contacts?label=VIP&q=grace")

    assert [item["name"] for item in response.json()["contacts"]] == ["Grace Hopper"]


def test_a_merge_keeps_the_labels_of_both(api_client, ada, grace, labels):
    services.contact_update(contact_id=ada.id, labels=["VIP", "Billing"])
    services.contact_update(contact_id=grace.id, labels=["Billing", "Press"])

    response = api_client.post(
        f"/api/contacts/{ada.id}/merge", {"other": str(grace.id)}, format="json"
    )

    assert response.status_code == 200, response.content
    assert names(response.json()) == ["Billing", "Press", "VIP"]
    assert not Contact.objects.filter(id=grace.id).exists()


def test_a_deleted_label_leaves_its_contacts(api_client, ada, labels):
    services.contact_update(contact_id=ada.id, labels=["VIP", "Press"])

    labels["VIP"].delete()

    assert names(api_client.get(f"/api/contacts/{ada.id}").json()) == ["Press"]
