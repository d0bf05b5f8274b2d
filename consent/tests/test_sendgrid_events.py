"""SendGrid's events, posted through the real signed Event Webhook, write the consent record.

Hard bounces, drops for undeliverable addresses, spam reports, unsubscribes and group
unsubscribes suppress the address with the reason and the event's time; a group resubscribe
lifts a group unsubscribe and nothing else.
"""

from datetime import UTC, datetime

import pytest

from consent.models import ConsentChange, Suppression
from emails.models import EmailEvent, EmailStatus
from emails.tests.sendgrid_payloads import CUSTOMER, event, post_signed, x_message_id

pytestmark = pytest.mark.django_db

AT = 1764603000  # 2025-12-01 15:30 UTC
WHEN = datetime.fromtimestamp(AT, tz=UTC)


def event_for(sent, kind: str, **kwargs) -> dict:
    """An event about the email ``sent``, for its recipient unless ``email`` names another."""
    kwargs.setdefault("hatch_email_id", str(sent.id))
    kwargs.setdefault("timestamp", AT)
    kwargs.setdefault("email", sent.to_email)
    return event(kind, message_id=sent.provider_message_id, **kwargs)


def suppression() -> tuple[str, str, str, datetime] | None:
    row = Suppression.objects.first()
    return row and (row.address, row.reason, row.detail, row.created_at)


def history() -> list[tuple[str, str, str]]:
    return list(ConsentChange.objects.values_list("action", "reason", "note"))


@pytest.mark.parametrize(
    ("kind", "extra", "reason", "detail"),
    [
        (
            "bounce",
            {},
            "bounce",
            "550 5.1.1 The email account that you tried to reach does not exist.",
        ),
        (
            "bounce",
            {"type": "bounce", "reason": "550 mailbox unavailable"},
            "bounce",
            "550 mailbox unavailable",
        ),
        ("dropped", {"reason": "Bounced Address"}, "dropped", "Bounced Address"),
        ("dropped", {"reason": "Invalid"}, "dropped", "Invalid"),
        ("dropped", {"reason": "Unsubscribed Address"}, "dropped", "Unsubscribed Address"),
        ("dropped", {"reason": "Spam Reporting Address"}, "dropped", "Spam Reporting Address"),
        ("spamreport", {}, "spamreport", ""),
        ("unsubscribe", {}, "unsubscribe", ""),
        ("group_unsubscribe", {}, "group_unsubscribe", ""),
    ],
)
def test_each_kind_of_event_suppresses_the_address_with_its_reason_and_time(
    client, key, sent_email, kind, extra, reason, detail
):
    response = post_signed(client, key, [event_for(sent_email, kind, **extra)])

    assert response.status_code == 200
    assert suppression() == (CUSTOMER, reason, detail, WHEN)
    assert history() == [("suppressed", reason, detail)]
    assert ConsentChange.objects.get().changed_at == WHEN


def test_a_blocked_bounce_is_temporary_and_suppresses_nothing(client, key, sent_email):
    blocked = event_for(
        sent_email, "bounce", type="blocked", reason="421 4.7.0 IP temporarily blocked"
    )

    response = post_signed(client, key, [blocked])

    assert response.status_code == 200
    assert EmailEvent.objects.get().event == "bounce"
    assert not Suppression.objects.exists()
    assert not ConsentChange.objects.exists()


@pytest.mark.parametrize(
    "reason", ["Invalid SMTPAPI header", "Spam Content", "Recipient List over Package Quota", ""]
)
def test_a_drop_for_the_email_or_the_account_suppresses_nothing(client, key, sent_email, reason):
    post_signed(client, key, [event_for(sent_email, "dropped", reason=reason)])

    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.DROPPED
    assert not Suppression.objects.exists()


@pytest.mark.parametrize("kind", ["processed", "deferred", "delivered", "open", "click"])
def test_other_events_leave_consent_alone(client, key, sent_email, kind):
    post_signed(client, key, [event_for(sent_email, kind)])

    assert not Suppression.objects.exists()


def test_an_event_for_an_email_hatch_does_not_know_still_suppresses(client, key):
    spam = event("spamreport", email="Ada@Example.com", message_id=x_message_id(), timestamp=AT)

    response = post_signed(client, key, [spam])

    assert response.json() == {"stored": 1, "duplicates": 0, "unmatched": 1}
    # One spelling: any capitalisation a send uses finds it.
    assert suppression() == ("ada@example.com", "spamreport", "", WHEN)


def test_an_event_sendgrid_sends_again_writes_the_history_once(client, key, sent_email):
    spam = event_for(sent_email, "spamreport")

    post_signed(client, key, [spam])
    post_signed(client, key, [spam])

    assert history() == [("suppressed", "spamreport", "")]


def test_a_cc_recipients_event_suppresses_that_recipient_only(client, key, sent_email):
    post_signed(client, key, [event_for(sent_email, "unsubscribe", email="bob@example.com")])

    assert list(Suppression.objects.values_list("address", flat=True)) == ["bob@example.com"]


def test_a_recipient_with_no_usable_address_is_not_recorded(client, key, sent_email):
    response = post_signed(
        client, key, [event_for(sent_email, "spamreport", email="not-an-address")]
    )

    assert response.status_code == 200
    assert not Suppression.objects.exists()


class TestGroupResubscribe:
    def test_it_lifts_a_group_unsubscribe(self, client, key, sent_email):
        post_signed(client, key, [event_for(sent_email, "group_unsubscribe")])

        post_signed(client, key, [event_for(sent_email, "group_resubscribe", timestamp=AT + 60)])

        assert not Suppression.objects.exists()
        assert history() == [
            ("suppressed", "group_unsubscribe", ""),
            ("lifted", "group_unsubscribe", "resubscribed to the email group"),
        ]
        lifted = ConsentChange.objects.get(action="lifted")
        assert (lifted.changed_by, lifted.changed_at) == (
            None,
            datetime.fromtimestamp(AT + 60, UTC),
        )

    @pytest.mark.parametrize(
        ("kind", "extra"),
        [
            ("bounce", {}),
            ("dropped", {"reason": "Bounced Address"}),
            ("spamreport", {}),
            ("unsubscribe", {}),
        ],
    )
    def test_it_lifts_nothing_else(self, client, key, sent_email, kind, extra):
        post_signed(client, key, [event_for(sent_email, kind, **extra)])

        post_signed(client, key, [event_for(sent_email, "group_resubscribe", timestamp=AT + 60)])

        assert Suppression.objects.get().reason == kind
        assert [action for action, _, _ in history()] == ["suppressed"]

    def test_a_spam_report_after_a_group_unsubscribe_still_stands_after_the_resubscribe(
        self, client, key, sent_email
    ):
        post_signed(
            client,
            key,
            [
                event_for(sent_email, "group_unsubscribe"),
                event_for(sent_email, "spamreport", timestamp=AT + 30),
                event_for(sent_email, "group_resubscribe", timestamp=AT + 60),
            ],
        )

        assert suppression() == (CUSTOMER, "spamreport", "", datetime.fromtimestamp(AT + 30, UTC))
        assert history() == [
            ("suppressed", "group_unsubscribe", ""),
            ("suppressed", "spamreport", ""),
        ]

    def test_a_resubscribe_older_than_the_unsubscribe_lifts_nothing(self, client, key, sent_email):
        # SendGrid's batches are not in order: the later unsubscribe is what the person wants.
        post_signed(client, key, [event_for(sent_email, "group_unsubscribe", timestamp=AT)])

        post_signed(client, key, [event_for(sent_email, "group_resubscribe", timestamp=AT - 60)])

        assert Suppression.objects.get().reason == "group_unsubscribe"

    def test_a_resubscribe_for_an_address_never_suppressed_changes_nothing(
        self, client, key, sent_email
    ):
        response = post_signed(client, key, [event_for(sent_email, "group_resubscribe")])

        assert response.status_code == 200
        assert not ConsentChange.objects.exists()
