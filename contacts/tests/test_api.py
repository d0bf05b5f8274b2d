"""The contacts API: create, read, search, page, change, delete."""

import json
import uuid

import pytest
from rest_framework.renderers import JSONRenderer

from consent.models import Suppression
from consent.services import address_suppress
from contacts import services
from contacts.api import ContactSerializer
from contacts.models import Contact, ContactPoint
from contacts.representation import contact_data
from contacts.selectors import contact_get
from messaging import services as messaging_services
from messaging.models import Conversation
from web.renderers import FastJSONRenderer

pytestmark = pytest.mark.django_db

CONTACT_KEYS = {
    "id",
    "name",
    "first_name",
    "display_first_name",
    "time_zone",
    "notes",
    "phones",
    "emails",
    "labels",
    "created_at",
    "updated_at",
}


def create(client, **payload):
    return client.post("/api/contacts", payload, format="json")


def patch(client, contact, **payload):
    return client.patch(f"/api/contacts/{contact.id}", payload, format="json")


class TestCreate:
    def test_a_contact_is_created_with_normalised_numbers_and_addresses(self, api_client):
        response = create(
            api_client,
            name="Ada Lovelace",
            phones=["(415) 555-2671", "+44 20 7946 0958"],
            emails=["Ada@Example.COM"],
            time_zone="Europe/London",
            notes="Met at the fair.",
        )

        assert response.status_code == 201, response.content
        body = response.json()
        assert set(body) == CONTACT_KEYS | {"consent"}
        assert body["name"] == "Ada Lovelace"
        assert body["first_name"] == ""
        assert body["display_first_name"] == "Ada"
        assert body["time_zone"] == "Europe/London"
        assert body["phones"] == [
            {"value": "+14155552671", "primary": True},
            {"value": "+442079460958", "primary": False},
        ]
        assert body["emails"] == [{"value": "ada@example.com", "primary": True}]
        assert set(body["consent"]) == {"+14155552671", "+442079460958", "ada@example.com"}
        assert body["consent"]["+14155552671"]["status"] == "ok"
        assert Contact.objects.get(id=body["id"]).points.count() == 3

    def test_a_set_first_name_is_the_one_shown(self, api_client):
        response = create(api_client, name="Augusta Ada King", first_name="Ada")

        assert response.json()["display_first_name"] == "Ada"

    def test_a_number_another_contact_has_is_a_409_naming_them(self, api_client, ada):
        response = create(api_client, name="Impostor", phones=["415-555-2671"])

        assert response.status_code == 409
        assert response.json()["error"] == "+14155552671 already belongs to Ada Lovelace."
        assert response.json()["fields"] == {"phones": [response.json()["error"]]}
        assert not Contact.objects.filter(name="Impostor").exists()

    def test_an_address_another_contact_has_is_a_409_too(self, api_client, ada):
        response = create(api_client, name="Impostor", emails=["ADA@example.com"])

        assert response.status_code == 409
        assert response.json()["error"] == "ada@example.com already belongs to Ada Lovelace."

    def test_the_database_constraint_answers_the_same_409(self, api_client, ada, monkeypatch):
        # Another request took the number between our check and our insert: the check
        # saw nothing, and the unique constraint is what refuses.
        checks = iter([None])
        real_check = services._refuse_taken

        def check_too_late(points, *, contact_id):
            if next(checks, "again") is None:
                return None
            return real_check(points, contact_id=contact_id)

        monkeypatch.setattr(services, "_refuse_taken", check_too_late)

        response = create(api_client, name="Racer", phones=["+14155552671"])

        assert response.status_code == 409
        assert response.json()["error"] == "+14155552671 already belongs to Ada Lovelace."
        assert not Contact.objects.filter(name="Racer").exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "X", "phones": ["12"]}, "phones"),
            ({"name": "X", "phones": ["ada@example.com"]}, "phones"),
            ({"name": "X", "emails": ["not an address"]}, "emails"),
            ({"name": "X", "emails": ["+14155552671"]}, "emails"),
            ({"name": "X", "time_zone": "Mars/Olympus_Mons"}, "time_zone"),
            ({"name": "X", "time_zone": "europe/dublin"}, "time_zone"),
            ({"name": "", "phones": [], "emails": []}, "name"),
            ({"name": "x" * 201}, "name"),
            ({"name": "X", "phones": "+14155552671"}, "phones"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
        self, api_client, payload, field
    ):
        response = create(api_client, **payload)

        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        assert not Contact.objects.exists()
        assert not ContactPoint.objects.exists()

    def test_the_invalid_time_zone_is_named_with_an_example(self, api_client):
        response = create(api_client, name="X", time_zone="Mars/Olympus_Mons")

        assert "'Mars/Olympus_Mons'" in response.json()["error"]
        assert "Europe/Dublin" in response.json()["error"]

    def test_a_body_that_is_not_an_object_is_a_400(self, api_client):
        response = api_client.post("/api/contacts", "[]", content_type="application/json")

        assert response.status_code == 400


class TestRead:
    def test_the_detail_shows_each_points_consent(self, api_client, ada):
        address_suppress(address="+14155550101", channel="sms", reason="stop")

        response = api_client.get(f"/api/contacts/{ada.id}")

        assert response.status_code == 200
        consent = response.json()["consent"]
        assert consent["+14155550101"]["status"] == "suppressed"
        assert consent["+14155550101"]["reason"] == "stop"
        assert [change["action"] for change in consent["+14155550101"]["history"]] == ["suppressed"]
        assert consent["+14155552671"]["status"] == "ok"
        assert consent["ada@example.com"]["history"] == []

    @pytest.mark.parametrize("raw_id", [str(uuid.uuid4()), "not-a-uuid"])
    def test_an_unknown_or_malformed_id_is_a_404(self, api_client, raw_id):
        response = api_client.get(f"/api/contacts/{raw_id}")

        assert response.status_code == 404
        assert response.json()["error"] == "No contact with this id."

    def test_the_list_answers_newest_first_in_pages(self, api_client, ada, grace):
        first = api_client.get("/api/contacts?page_size=1")
        assert first.status_code == 200
        assert [item["name"] for item in first.json()["contacts"]] == ["Grace Hopper"]
        assert set(first.json()["contacts"][0]) == CONTACT_KEYS

        second = api_client.get(first.json()["next"])
        assert [item["name"] for item in second.json()["contacts"]] == ["Ada Lovelace"]
        assert second.json()["next"] is None

    @pytest.mark.parametrize(
        ("query", "found"),
        [
            ("lovelace", ["Ada Lovelace"]),
            ("HOPPER", ["Grace Hopper"]),
            ("example.com", ["Grace Hopper", "Ada Lovelace"]),
            ("ada@exa", ["Ada Lovelace"]),
            ("5552671", ["Ada Lovelace"]),
            ("(415) 555-2671", ["Ada Lovelace"]),
            ("415.555.0102", ["Grace Hopper"]),
            ("555-01", ["Grace Hopper", "Ada Lovelace"]),
            ("nobody", []),
            ("a\x00b", []),
            ("100%", []),
        ],
    )
    def test_q_finds_names_addresses_and_runs_of_digits(self, api_client, ada, grace, query, found):
        response = api_client.get("/api/contacts", {"q": query})

        assert response.status_code == 200
        assert [item["name"] for item in response.json()["contacts"]] == found

    def test_a_contact_with_many_matching_numbers_is_listed_once(self, api_client, ada):
        response = api_client.get("/api/contacts", {"q": "+1415555"})

        assert [item["name"] for item in response.json()["contacts"]] == ["Ada Lovelace"]

    def test_a_bad_cursor_or_page_size_is_a_400(self, api_client):
        assert api_client.get("/api/contacts?cursor=nonsense").status_code == 400
        assert api_client.get("/api/contacts?page_size=0").status_code == 400

    def test_the_list_costs_the_same_at_any_page_size(self, api_client, django_assert_num_queries):
        for index in range(30):
            services.contact_create(
                name=f"Person {index}",
                phones=[f"+1415555{index:04d}"],
                emails=[f"p{index}@example.com"],
            )
        # The token, the page of contacts, their numbers and addresses, and their labels.
        for size in (1, 1000):
            with django_assert_num_queries(4):
                response = api_client.get(f"/api/contacts?page_size={size}&q=example")
            assert response.status_code == 200
        assert len(response.json()["contacts"]) == 30

    def test_the_fast_json_is_what_the_documented_serializer_writes(self, ada, grace):
        for contact in (ada, grace):
            contact = contact_get(contact_id=contact.id)
            documented = JSONRenderer().render(ContactSerializer(contact).data)
            fast = FastJSONRenderer().render(contact_data(contact))
            assert json.loads(fast) == json.loads(documented)


class TestChange:
    def test_patch_changes_only_what_is_sent(self, api_client, ada):
        response = patch(api_client, ada, first_name="Countess", time_zone="Europe/London")

        assert response.status_code == 200
        body = response.json()
        assert body["display_first_name"] == "Countess"
        assert body["time_zone"] == "Europe/London"
        assert body["name"] == "Ada Lovelace"
        assert body["notes"] == "Prefers email."
        assert [phone["value"] for phone in body["phones"]] == ["+14155552671", "+14155550101"]

    def test_a_new_order_makes_a_new_primary(self, api_client, ada):
        response = patch(api_client, ada, phones=["+14155550101", "(415) 555-2671"])

        assert response.json()["phones"] == [
            {"value": "+14155550101", "primary": True},
            {"value": "+14155552671", "primary": False},
        ]
        assert api_client.get(f"/api/contacts/{ada.id}").json()["phones"][0] == {
            "value": "+14155550101",
            "primary": True,
        }

    def test_a_list_replaces_the_numbers_adding_and_removing(self, api_client, ada):
        response = patch(api_client, ada, phones=["+14155550199", "+14155552671"], emails=[])

        assert response.status_code == 200
        assert [phone["value"] for phone in response.json()["phones"]] == [
            "+14155550199",
            "+14155552671",
        ]
        assert response.json()["emails"] == []
        assert not ContactPoint.objects.filter(value="+14155550101").exists()

    def test_a_number_of_another_contact_is_a_409_and_changes_nothing(self, api_client, ada, grace):
        response = patch(api_client, ada, name="Ada King", phones=["+14155550102"])

        assert response.status_code == 409
        assert response.json()["error"] == "+14155550102 already belongs to Grace Hopper."
        ada.refresh_from_db()
        assert ada.name == "Ada Lovelace"
        assert list(ada.points.values_list("value", flat=True)) == [
            "ada@example.com",
            "+14155552671",
            "+14155550101",
        ]

    def test_a_nameless_owner_is_named_by_id(self, api_client, ada):
        stranger = services.contact_for_point(kind="phone", value="+14155550150")

        response = patch(api_client, ada, phones=["+14155550150"])

        assert response.status_code == 409
        assert str(stranger.id) in response.json()["error"]

    def test_an_invalid_time_zone_is_a_400_and_changes_nothing(self, api_client, ada):
        response = patch(api_client, ada, time_zone="Nowhere/Land", name="Someone else")

        assert response.status_code == 400
        assert response.json()["fields"].keys() == {"time_zone"}
        ada.refresh_from_db()
        assert (ada.name, ada.time_zone) == ("Ada Lovelace", "")

    def test_a_contact_may_not_be_emptied_of_everything(self, api_client):
        nameless = services.contact_for_point(kind="phone", value="+14155550150")

        response = patch(api_client, nameless, phones=[])

        assert response.status_code == 400
        assert nameless.points.count() == 1

    def test_an_unknown_contact_is_a_404(self, api_client):
        response = api_client.patch(f"/api/contacts/{uuid.uuid4()}", {"name": "X"}, format="json")

        assert response.status_code == 404

    def test_put_is_not_allowed(self, api_client, ada):
        response = api_client.put(f"/api/contacts/{ada.id}", {"name": "X"}, format="json")

        assert response.status_code == 405


class TestDelete:
    def test_delete_removes_the_contact_and_its_numbers(self, api_client, ada):
        response = api_client.delete(f"/api/contacts/{ada.id}")

        assert response.status_code == 204
        assert not Contact.objects.exists()
        assert not ContactPoint.objects.exists()
        assert api_client.get(f"/api/contacts/{ada.id}").status_code == 404
        assert api_client.delete(f"/api/contacts/{ada.id}").status_code == 404

    def test_delete_keeps_consent_and_the_conversation(self, api_client, ada, user):
        message = messaging_services.message_send(to="+14155550101", body="Hello", user=user)
        address_suppress(address="+14155550101", channel="sms", reason="stop")
        address_suppress(address="ada@example.com", channel="email", reason="bounce")

        api_client.delete(f"/api/contacts/{ada.id}")

        assert set(Suppression.objects.values_list("address", flat=True)) == {
            "+14155550101",
            "ada@example.com",
        }
        conversation = Conversation.objects.get(id=message.conversation_id)
        assert conversation.contact is None
        # Whoever owns the number next still may not be texted.
        again = create(api_client, name="Ada again", phones=["+14155550101"])
        assert again.json()["consent"]["+14155550101"]["status"] == "suppressed"
