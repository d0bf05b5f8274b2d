"""Every send path reads the consent record: a suppressed number or address is a 409 that
says who, why and since when, and nothing is stored."""

from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command

from consent.models import ConsentChannel, Suppression, SuppressionReason
from consent.services import address_suppress
from consent.tests.factories import DECEMBER_FIRST, SuppressionFactory
from conversations.models import Conversation
from emails.models import Email
from idempotency.models import IdempotencyKey
from messaging.models import Message

pytestmark = pytest.mark.django_db

EMAIL = {"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."}
PHONE = "+14155552671"


def send_email(client, headers=None, **overrides):
    return client.post("/api/send_email", {**EMAIL, **overrides}, format="json", headers=headers)


def send_sms(client, to=PHONE):
    return client.post(
        "/api/send_message", {"to": to, "body": "Your table is ready"}, format="json"
    )


def assert_refused(response, field: str, sentence: str) -> None:
    assert response.status_code == 409
    assert response.json() == {"error": sentence, "fields": {field: [sentence]}}


def nothing_stored() -> bool:
    return not (
        Email.objects.exists()
        or Message.objects.exists()
        or Conversation.objects.exists()
        or IdempotencyKey.objects.exists()
    )


class TestSendEmail:
    @pytest.mark.parametrize(
        ("reason", "detail", "sentence"),
        [
            (
                SuppressionReason.SPAM_REPORT,
                "",
                "ada@example.com reported your email as spam on 2026-12-01.",
            ),
            (
                SuppressionReason.BOUNCE,
                "550 mailbox unavailable",
                "ada@example.com bounced on 2026-12-01 (550 mailbox unavailable).",
            ),
            (
                SuppressionReason.DROPPED,
                "Bounced Address",
                "ada@example.com was dropped by the email provider on 2026-12-01 "
                "(Bounced Address).",
            ),
            (SuppressionReason.UNSUBSCRIBE, "", "ada@example.com unsubscribed on 2026-12-01."),
            (
                SuppressionReason.GROUP_UNSUBSCRIBE,
                "",
                "ada@example.com unsubscribed from an email group on 2026-12-01.",
            ),
        ],
    )
    def test_a_suppressed_recipient_is_refused_with_the_reason_and_date(
        self, api_client, reason, detail, sentence
    ):
        SuppressionFactory(address="ada@example.com", reason=reason, detail=detail)

        response = send_email(api_client)

        assert_refused(response, "to_email", sentence)
        assert nothing_stored()

    def test_the_address_matches_however_it_is_capitalised(self, api_client):
        SuppressionFactory(address="ada@example.com")

        response = send_email(api_client, to_email="Ada@Example.COM")

        assert_refused(
            response, "to_email", "ada@example.com reported your email as spam on 2026-12-01."
        )

    @pytest.mark.parametrize("field", ["cc", "bcc"])
    def test_a_suppressed_cc_or_bcc_refuses_the_email_naming_that_address(self, api_client, field):
        SuppressionFactory(address="pat@example.com", reason="bounce", detail="550 no such user")

        response = send_email(api_client, **{field: ["bob@example.com", "pat@example.com"]})

        assert_refused(response, field, "pat@example.com bounced on 2026-12-01 (550 no such user).")
        assert nothing_stored()

    def test_the_first_suppressed_recipient_is_named(self, api_client):
        SuppressionFactory(address="bob@example.com", reason="unsubscribe")
        SuppressionFactory(address="ada@example.com", reason="spamreport")

        response = send_email(api_client, cc=["bob@example.com"])

        assert response.json()["fields"] == {
            "to_email": ["ada@example.com reported your email as spam on 2026-12-01."]
        }

    def test_the_date_is_the_sites_time_zones(self, api_client, settings):
        settings.TIME_ZONE = "America/Los_Angeles"
        # 03:00 UTC on December 1st is still November 30th in California.
        SuppressionFactory(
            address="ada@example.com", created_at=datetime(2026, 12, 1, 3, tzinfo=UTC)
        )

        response = send_email(api_client)

        assert response.json()["error"] == (
            "ada@example.com reported your email as spam on 2026-11-30."
        )

    def test_bad_input_is_still_a_400_before_consent_is_read(self, api_client):
        SuppressionFactory(address="ada@example.com")

        response = send_email(api_client, cc=["not an address"])

        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["cc"]

    def test_a_refused_send_keeps_no_idempotency_key_so_it_can_be_sent_once_lifted(
        self, api_client, user
    ):
        address_suppress(address="ada@example.com", channel="email", reason="unsubscribe")
        headers = {"Idempotency-Key": "order-1042"}

        refused = send_email(api_client, headers=headers)
        Suppression.objects.all().delete()  # as if staff had lifted it
        sent = send_email(api_client, headers=headers)

        assert refused.status_code == 409
        assert sent.status_code == 200
        assert "Idempotent-Replayed" not in sent.headers
        assert Email.objects.count() == 1

    def test_an_address_that_is_not_suppressed_is_sent_to(self, api_client):
        SuppressionFactory(address="someone-else@example.com")

        response = send_email(api_client, cc=["bob@example.com"])

        assert response.status_code == 200
        assert Email.objects.count() == 1


class TestSendMessage:
    def test_a_number_that_replied_stop_is_refused_with_the_date_and_how_to_opt_in(
        self, api_client
    ):
        address_suppress(
            address=PHONE,
            channel=ConsentChannel.SMS,
            reason=SuppressionReason.STOP,
            detail="texted STOPALL",
            at=DECEMBER_FIRST,
        )

        response = send_sms(api_client, to="(415) 555-2671")

        assert_refused(
            response,
            "to",
            "+14155552671 replied STOP on 2026-12-01: they can opt back in by texting START.",
        )
        assert nothing_stored()

    def test_a_carrier_opt_out_names_what_the_provider_said(self, api_client):
        SuppressionFactory(
            address=PHONE, channel="sms", reason="carrier_opt_out", detail="Twilio 21610"
        )

        response = send_sms(api_client)

        assert_refused(
            response,
            "to",
            "+14155552671 opted out with their carrier on 2026-12-01 (Twilio 21610): they can "
            "opt back in by texting START.",
        )


class TestCommands:
    def test_send_email_refuses_a_suppressed_bcc(self):
        SuppressionFactory(address="audit@example.com", reason="unsubscribe")

        with pytest.raises(
            CommandError, match=r"^audit@example\.com unsubscribed on 2026-12-01\.$"
        ):
            call_command(
                "send_email",
                "--to=ada@example.com",
                "--subject=Hi",
                "--body=Hello",
                "--bcc=audit@example.com",
            )
        assert nothing_stored()

    def test_send_sms_refuses_a_number_that_replied_stop(self):
        SuppressionFactory(address=PHONE, channel="sms", reason="stop")

        with pytest.raises(CommandError, match=r"^\+14155552671 replied STOP on 2026-12-01: "):
            call_command("send_sms", f"--to={PHONE}", "--body=Hi")
        assert nothing_stored()
