"""The Reports page in a real Chromium, against the real reports API and counts.

Hatch runs under daphne in a child process (testing.live_server) with TIME_ZONE set to
New York, so that the days and the heatmap's hours are visibly not the browser's (UTC).
The messages are made through the channels' services (an inbound SMS, a teammate's reply
four minutes later, an SMS that failed with Twilio's 30007, an email) and dated yesterday
morning in New York; then the refresh (reports.services.reports_refresh) counts them, as
the periodic task would. Everything after that is what a person does on the page.

Every test fails on a script error, an alert, or a Content-Security-Policy violation
(testing.browser.browser_windows): Chart.js must run under the CSP as it is, with no
'unsafe-inline' or 'unsafe-eval'.

Without Chromium at /usr/bin/chromium these tests fail; they never skip.
"""

import csv
import io
import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from emails.models import Email
from emails.services import email_send
from messaging import services as sms
from messaging.events import InboundMessage
from messaging.models import Message
from messaging.providers import failure_reason
from messaging.tests.factories import DEFAULT_PASSWORD
from reports.services import reports_refresh
from testing import live_server
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 8_000
TIME_ZONE = "America/New_York"
HATCH_NUMBER = "+15005550006"
ADA, GRACE, LIN = "+14155550101", "+14155550102", "+14155550103"
FILTERED_AS_SPAM = 30007
# What a report shows for a value it has none of (no replies, no median): an en dash.
NO_VALUE = "\N{EN DASH}"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.asgi_server,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def asgi_live_server(transactional_db, settings):
    settings.TIME_ZONE = TIME_ZONE
    with live_server.for_test_database(env={"TIME_ZONE": TIME_ZONE}) as server:
        yield server


@pytest.fixture
def open_window(chromium, asgi_live_server):
    with browser_windows(chromium, base_url=asgi_live_server.url, timeout_ms=WAIT_MS) as window:
        yield window


@pytest.fixture
def yesterday():
    """Yesterday on New York's calendar: inside the page's default range (the last 30
    days), whatever the hour the test runs."""
    return timezone.now().astimezone(ZoneInfo(TIME_ZONE)).date() - timedelta(days=1)


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(TIME_ZONE))


def dated(record, when: datetime, **changes):
    """Move a record made now to ``when`` (and set its outcome), as if it had been then."""
    type(record).objects.filter(pk=record.pk).update(created_at=when, **changes)


@pytest.fixture
def counted_messages(user, yesterday):
    """Yesterday in New York: Ada and Grace text at 10:00 and 10:30; Casey answers Ada at
    10:04 (delivered); a text to Lin fails at 11:00 (carrier spam filter, 30007); an email
    to Grace is delivered at 12:00. Then the counts are refreshed."""
    for number, minute in ((ADA, 0), (GRACE, 30)):
        sms.message_receive(
            event=InboundMessage(
                from_contact=number,
                to_contact=HATCH_NUMBER,
                body="Are you open on Sunday?",
                received_at=at(yesterday, 10, minute),
            )
        )
    reply = sms.message_send(to=ADA, body="Yes, from 10 to 4!", user=user)
    dated(reply, at(yesterday, 10, 4), status="delivered")
    failed = sms.message_send(to=LIN, body="Your table is ready.", user=user)
    dated(failed, at(yesterday, 11), status="failed", error_code=FILTERED_AS_SPAM)
    email = email_send(
        to_email="grace@example.com", subject="Sunday", body="We open at 10.", user=user
    )
    dated(email, at(yesterday, 12), status="delivered")
    assert Message.objects.count() == 4 and Email.objects.count() == 1
    reports_refresh(full=True)


def open_reports(open_window, user, viewport=DESKTOP) -> tuple[Page, dict]:
    """Sign in, follow the inbox header's Reports link, and wait for the first answers.
    Returns the page and the Reports page's response headers."""
    page = sign_in_to_inbox(
        open_window(viewport), username=user.username, password=DEFAULT_PASSWORD
    )
    with page.expect_response(re.compile(r"/reports$")) as answer:
        page.get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/reports$"))
    expect(page.locator("#reports")).to_have_attribute("data-ready", "true")
    expect(page.locator("#reports")).to_have_attribute("data-state", "loaded")
    return page, answer.value.headers


def chart(page: Page, canvas_id: str) -> dict:
    """What Chart.js holds for a canvas (its type, datasets and labels), once the canvas
    shows painted pixels: a chart that exists but never drew fails here."""
    page.wait_for_function(
        """(id) => {
            const canvas = document.getElementById(id);
            if (!window.Chart?.getChart(canvas) || canvas.width === 0) return false;
            const { width, height } = canvas;
            const pixels = canvas.getContext("2d").getImageData(0, 0, width, height).data;
            return pixels.some((value, index) => index % 4 === 3 && value !== 0);
        }""",
        arg=canvas_id,
        timeout=WAIT_MS,
    )
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.getElementById(id));
            return {
                type: chart.config.type,
                labels: chart.data.labels,
                datasets: Object.fromEntries(
                    chart.data.datasets.map((set) => [set.label, set.data])
                ),
            };
        }""",
        canvas_id,
    )


def totals(datasets: dict) -> dict:
    return {label: sum(value or 0 for value in values) for label, values in datasets.items()}


def downloaded_csv(page: Page, link_name: str) -> tuple[str, list[list[str]]]:
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    return download.value.url, list(csv.reader(io.StringIO(text)))


def test_the_reports_show_the_days_messages_failures_and_reply_times(
    open_window, asgi_live_server, user, counted_messages, yesterday
):
    requests = []
    page, headers = open_reports(open_window, user)
    page.on("request", lambda request: requests.append(request.url))

    # The CSP is today's strict one: scripts from Hatch alone, nothing inline, no eval.
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    # The counts' time, on New York's clock (the browser is on UTC, so it says which).
    expect(page.locator("#freshness")).to_have_text(
        re.compile(
            r"^Counts as of \d{1,2}:\d{2} [AP]M America/New_York time "
            r"\(refreshed every 5 minutes\)\.$"
        )
    )
    # The default range, the last 30 days, is the preset that shows pressed.
    expect(page.get_by_role("button", name="Last 30 days")).to_have_attribute(
        "aria-pressed", "true"
    )

    volume = chart(page, "volume-chart")
    assert volume["type"] == "bar"
    assert len(volume["labels"]) == 30
    assert totals(volume["datasets"]) == {
        "SMS in": 2,
        "SMS out": 2,
        "Email in": 0,
        "Email out": 1,
        "Internal in": 0,
        "Internal out": 0,
    }
    expect(page.locator("#volume-summary")).to_contain_text("2 received and 3 sent")
    expect(
        page.get_by_role("img", name=re.compile("^Bar chart of messages per day"))
    ).to_be_visible()

    # Delivered: Ada's reply and the email; failed: Lin's text. 2 of 3.
    delivery = chart(page, "delivery-chart")
    assert delivery["type"] == "line"
    assert set(delivery["datasets"]) == {"All channels", "SMS", "Email"}
    totals_list = page.locator("#delivery-totals")
    expect(totals_list).to_contain_text("66.7%")
    expect(totals_list).to_contain_text("2 of 3 with a final answer")

    # The failure in words, with what to do and the provider's page.
    spam = failure_reason(FILTERED_AS_SPAM)
    assert spam.title != f"Error {FILTERED_AS_SPAM}"
    failures = page.get_by_role("table", name="Failed messages by error code, most frequent first")
    row = failures.get_by_role("row").filter(has_text=str(FILTERED_AS_SPAM))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name=spam.title)).to_be_visible()
    expect(row).to_contain_text(spam.action)
    expect(row.get_by_role("link", name=f"More about error {FILTERED_AS_SPAM}")).to_have_attribute(
        "href", spam.url
    )

    # Casey answered Ada 4 minutes after her text; Grace's wait has no reply yet.
    expect(page.locator("#response-median")).to_have_text("4 min")
    expect(page.locator("#response-overall-text")).to_have_text(
        "Median time to first reply, over 1 reply."
    )
    agents = page.get_by_role("table", name="Median time to first reply by teammate")
    expect(agents.get_by_role("row").nth(1)).to_have_text(re.compile(r"^Casey Jones\s*4 min\s*1$"))
    assert chart(page, "response-chart")["datasets"]["Median time to first reply"].count(240) == 1

    # Both texts came in at 10 in the morning, New York time, on yesterday's weekday.
    weekday = yesterday.strftime("%A")
    heatmap = page.get_by_role(
        "table", name=f"Messages received by weekday and hour, {TIME_ZONE} time"
    )
    cell = heatmap.locator(f'td[title^="{weekday}, 10:00 to 11:00"]')
    expect(cell).to_have_text("2")
    expect(cell).to_have_class(re.compile(r"\bheat-5\b"))
    expect(heatmap.locator("td.heat-0")).to_have_count(7 * 24 - 1)
    expect(page.locator("#heatmap-summary")).to_have_text(
        f"2 received. Busiest: {weekday}, 10:00 to 11:00 (2)."
    )

    # The failures' CSV: the same report, as a file.
    url, rows = downloaded_csv(page, "Download CSV of failures by error code")
    assert "format=csv" in url
    assert rows[0] == ["channel", "code", "count", "title", "action", "url"]
    assert rows[1][:4] == ["sms", str(FILTERED_AS_SPAM), "1", spam.title]

    # Email only: every report is read again for that channel.
    with page.expect_response(re.compile(r"/api/reports/volume\?.*channel=email")):
        page.get_by_label("Channel", exact=True).select_option("email")
    expect(page.locator("#reports")).to_have_attribute("data-state", "loaded")
    expect(page).to_have_url(re.compile(r"/reports\?.*channel=email"))
    assert totals(chart(page, "volume-chart")["datasets"]) == {"Email in": 0, "Email out": 1}
    expect(page.locator("#errors-summary")).to_have_text("No message failed in this range.")
    expect(failures).to_be_hidden()
    expect(page.locator("#response-median")).to_have_text(NO_VALUE)
    expect(page.locator("#heatmap-summary")).to_have_text("Nothing was received in this range.")
    expect(totals_list).to_contain_text("100%")

    # Its CSV follows the channel.
    url, rows = downloaded_csv(page, "Download CSV of messages per period")
    assert "channel=email" in url
    assert rows[0] == ["period", "channel", "inbound", "outbound"]
    assert {row[1] for row in rows[1:]} == {"email"}
    assert sum(int(row[3]) for row in rows[1:]) == 1

    # A reload keeps the channel: it is in the address.
    page.reload()
    expect(page.locator("#reports")).to_have_attribute("data-state", "loaded")
    expect(page.get_by_label("Channel", exact=True)).to_have_value("email")

    assert_accessible(page, context="the Reports page at 1280 px")
    # Everything the page loaded (Chart.js included) came from Hatch itself: no CDN.
    assert requests and all(url.startswith(asgi_live_server.url) for url in requests), requests


def test_a_range_that_ends_before_it_starts_is_explained_and_a_preset_fixes_it(
    open_window, user, counted_messages
):
    page, _headers = open_reports(open_window, user)
    to = page.get_by_label("To", exact=True).input_value()

    page.get_by_label("From", exact=True).fill("2099-01-01")

    expect(page.locator("#reports")).to_have_attribute("data-state", "error")
    expect(page.locator("#report-to-error")).to_have_text(
        f"The end date ({to}) is before the start date (2099-01-01): the range runs from "
        "the start date to the end date, both included."
    )
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    # What is still shown is the previous answer, greyed out as out of date.
    expect(page.locator("#volume-report")).to_have_attribute("data-stale", "")

    with page.expect_response(re.compile(r"/api/reports/errors\?.*interval=week")):
        page.get_by_role("button", name="Last 7 days").click()
        page.get_by_label("Per", exact=True).select_option("week")
    expect(page.locator("#reports")).to_have_attribute("data-state", "loaded")
    expect(page.locator("#report-to-error")).to_be_hidden()
    expect(page.get_by_label("To", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#volume-report")).not_to_have_attribute("data-stale", "")
    expect(page.get_by_role("button", name="Last 7 days")).to_have_attribute("aria-pressed", "true")
    # Weeks start on Monday: seven days span one or two of them.
    assert len(chart(page, "volume-chart")["labels"]) in (1, 2)
    page.locator("#volume-report summary").click()
    expect(page.locator("#volume-table tbody th").first).to_have_text(re.compile(r"^Week of "))


def test_the_reports_fit_a_phone(open_window, user, counted_messages):
    page, _headers = open_reports(open_window, user, viewport=PHONE)

    for canvas_id in ("volume-chart", "delivery-chart", "response-chart"):
        chart(page, canvas_id)
    # Nothing is wider than the screen: the heatmap scrolls inside its own region.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    heatmap_region = page.get_by_role("region", name=re.compile("^Messages received by weekday"))
    assert heatmap_region.evaluate("(region) => region.scrollWidth > region.clientWidth")
    expect(page.locator("#errors-table")).to_contain_text(failure_reason(FILTERED_AS_SPAM).title)
    assert_accessible(page, context="the Reports page at 390 px")
