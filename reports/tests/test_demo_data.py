"""seed_demo gives the Reports page something real to show, counted by the time it ends."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from emails import providers as email_providers
from messaging import providers as sms_providers

pytestmark = pytest.mark.django_db

DAYS = 60


@pytest.fixture
def demo(reports_client):
    out = StringIO()
    call_command(
        "seed_demo", "--force", "--no-progress", "--conversations", "30",
        "--messages-per-conversation", "40", "--emails", "300", "--days", str(DAYS),
        stdout=out,
    )  # fmt: skip
    assert "Counted them for the reports" in out.getvalue()

    def report(name: str) -> dict:
        # Today is the range's last day in every time zone the test settings might use.
        last = date.today() + timedelta(days=1)
        response = reports_client.get(
            f"/api/reports/{name}", {"from": str(last - timedelta(days=DAYS + 1)), "to": str(last)}
        )
        assert response.status_code == 200, response.content
        return response.json()

    return report


def test_the_demo_is_counted_for_every_channel_over_its_days(demo):
    report = demo("volume")

    assert report["refreshed_at"] is not None
    totals = {}
    for row in report["rows"]:
        for direction in ("inbound", "outbound"):
            key = row["channel"], direction
            totals[key] = totals.get(key, 0) + row[direction]
    assert totals[("sms", "inbound")] and totals[("sms", "outbound")]
    assert totals[("email", "outbound")] and totals[("internal", "outbound")]
    # The history reaches back the --days asked for, not only the default month.
    busy_days = [row["period"] for row in report["rows"] if row["inbound"] + row["outbound"]]
    assert min(busy_days) < str(date.today() - timedelta(days=35))
    assert sum(map(sum, report["heatmap"])) == totals[("sms", "inbound")]


def test_the_demo_fails_some_sends_with_codes_the_tables_explain(demo):
    delivery = demo("delivery")["total"]
    errors = demo("errors")["rows"]

    assert delivery["delivered"] and delivery["failed"] and delivery["pending"]
    assert 0 < delivery["delivery_rate"] < 1
    codes = {(row["channel"], row["code"]) for row in errors}
    assert {code for channel, code in codes if channel == "sms"} >= {"30003", "30007"}
    assert {code for channel, code in codes if channel == "email"} & {"bounce", "blocked"}
    assert {code for channel, code in codes if channel == "email"} & {
        "dropped-bounced", "dropped-unsubscribed", "dropped-spam-report", "dropped-invalid",
    }  # fmt: skip
    for channel, code in codes:
        providers = sms_providers if channel == "sms" else email_providers
        assert providers.failure_reason(code) is not None, (channel, code)


def test_the_demo_teammates_reply_within_minutes_as_a_rule(demo):
    report = demo("response_times")

    assert [row["agent_name"] for row in report["rows"]] == ["Amara Walsh", "Demo User"]
    assert all(row["replies"] for row in report["rows"])
    # Each conversation waits more than once: closed after a reply, opened by the person.
    assert report["overall"]["replies"] > 30
    assert report["overall"]["median_seconds"] < 3600
