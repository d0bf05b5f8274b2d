import pytest

from emails.models import Email, EmailStatus
from emails.services import email_send

pytestmark = pytest.mark.django_db

VALID = {
    "to_email": "Ada@Example.COM",
    "subject": "Your order",
    "body": "It ships today.",
}


def send(client, **overrides):
    return client.post("/api/send_email", {**VALID, **overrides}, format="json")


class TestSendEmail:
    def test_a_valid_email_is_queued_from_the_configured_sender(self, api_client):
        response = send(api_client)

        assert response.status_code == 200
        data = response.json()
        assert data["success"] is True
        assert data["status"] == "queued"
        assert data["method"] == "sendgrid"
        email = Email.objects.get(id=data["email_id"])
        assert email.to_email == "Ada@example.com"
        assert email.from_email == "team@hatch.test"
        assert email.status == EmailStatus.QUEUED
        assert email.sent_by.username == "casey"

    def test_the_method_is_the_name_of_the_configured_provider(self, api_client, settings):
        settings.EMAIL_PROVIDER = "console"

        response = send(api_client)

        assert response.status_code == 200
        assert response.json()["method"] == "console"

    def test_the_schema_lists_every_provider_as_a_method(self, api_client):
        schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

        components = schema.json()["components"]["schemas"]
        assert components["SendEmailResponseMethodEnum"]["enum"] == ["sendgrid", "console"]

    def test_every_optional_field_is_kept(self, api_client):
        response = send(
            api_client,
            from_email="support@hatch.test",
            html_content="<p>It ships <b>today</b>.</p>",
            cc=["bob@example.com", "carol@example.com"],
            bcc=["audit@example.com"],
            reply_to="help@hatch.test",
        )

        assert response.status_code == 200
        email = Email.objects.get()
        assert email.from_email == "support@hatch.test"
        assert email.cc == ["bob@example.com", "carol@example.com"]
        assert email.bcc == ["audit@example.com"]
        assert email.reply_to == "help@hatch.test"
        assert email.html_content == "<p>It ships <b>today</b>.</p>"

    def test_cc_may_be_a_comma_separated_string_as_the_seed_sent_it(self, api_client):
        response = send(api_client, cc="bob@example.com, carol@example.com", bcc="")

        assert response.status_code == 200
        assert Email.objects.get().cc == ["bob@example.com", "carol@example.com"]

    def test_any_address_of_an_allowed_domain_may_send(self, api_client):
        assert send(api_client, from_email="dana@sales.hatch.test").status_code == 200

    def test_a_sender_that_is_not_allowed_is_refused(self, api_client):
        response = send(api_client, from_email="ceo@bank.example")

        assert response.status_code == 400
        assert "'from_email' must be an allowed sender" in response.json()["error"]
        assert not Email.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"to_email": "not-an-address"}, "to_email"),
            ({"to_email": ""}, "to_email"),
            ({"subject": "Hi\r\nBcc: victim@example.com"}, "subject"),
            ({"subject": "Hi\nthere"}, "subject"),
            ({"subject": ""}, "subject"),
            ({"subject": "x" * 999}, "subject"),
            ({"body": ""}, "body"),
            ({"body": "   "}, "body"),
            ({"body": "a" * 100_001}, "body"),
            ({"cc": ["fine@example.com", "broken"]}, "cc"),
            ({"cc": [f"p{i}@example.com" for i in range(51)]}, "cc"),
            ({"bcc": "nope"}, "bcc"),
            ({"reply_to": "nobody"}, "reply_to"),
            ({"from_email": "also not an address"}, "from_email"),
            ({"to_email": ["a@example.com"]}, "to_email"),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(
        self, api_client, overrides, field
    ):
        response = send(api_client, **overrides)

        assert response.status_code == 400
        assert response.json()["error"]
        assert field in response.json()["fields"], response.json()
        assert not Email.objects.exists()

    @pytest.mark.parametrize("missing", ["to_email", "subject", "body"])
    def test_each_required_field_is_named_when_missing(self, api_client, missing):
        payload = {key: value for key, value in VALID.items() if key != missing}

        response = api_client.post("/api/send_email", payload, format="json")

        assert response.status_code == 400
        assert response.json()["fields"][missing] == ["This field is required."]


class TestEmailResources:
    def test_emails_are_listed_newest_first_and_readable_one_by_one(self, api_client, user):
        older = email_send(to_email="a@example.com", subject="One", body="1", user=user)
        newer = email_send(to_email="b@example.com", subject="Two", body="2", user=user)

        listed = api_client.get("/api/emails").json()
        single = api_client.get(f"/api/emails/{older.id}")

        assert [e["id"] for e in listed["emails"]] == [str(newer.id), str(older.id)]
        assert listed["next"] is None
        assert single.json()["subject"] == "One"

    def test_an_unknown_email_is_a_404(self, api_client):
        response = api_client.get("/api/emails/00000000-0000-0000-0000-000000000000")

        assert response.status_code == 404
        assert response.json() == {"error": "No email with this id."}

    def test_listing_costs_a_fixed_number_of_queries(
        self, api_client, user, django_assert_num_queries
    ):
        for index in range(15):
            email_send(to_email=f"p{index}@example.com", subject="s", body="b", user=user)

        with django_assert_num_queries(3):  # token, page, the names of who sent them
            api_client.get("/api/emails")
