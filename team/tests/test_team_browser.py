"""The Team page in a real Chromium: an admin invites a teammate, who sets a password through
the copied link and lands in the inbox; deactivated, they are out on their next page load.

As in the inbox's browser tests, the page talks to a live server over the real JSON API,
and the test fails on a script error, an alert, or a Content-Security-Policy violation.
Debian's Chromium is required (the test never skips).
"""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from team.models import Invitation, Label, Role
from team.tests.conftest import PASSWORD
from testing.browser import assert_accessible, browser_windows, sign_in_to_inbox

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "a long and unusual passphrase"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_window(chromium, live_server):
    with browser_windows(chromium, base_url=live_server.url, timeout_ms=5_000) as open_window:
        yield open_window


def test_an_admin_invites_a_teammate_then_deactivates_them(open_window, live_server, ada, ben):
    admin = sign_in_to_inbox(open_window(DESKTOP), username="ada", password=PASSWORD)
    admin.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)

    admin.get_by_role("link", name="Team").click()
    expect(admin).to_have_url(re.compile(r"/team$"))
    expect(admin.locator("#team")).to_have_attribute("data-ready", "true")
    teammates = admin.get_by_role("list", name="Teammates")
    expect(teammates.get_by_role("listitem")).to_have_count(2)
    assert_accessible(admin, context="Team page at 1280 px")

    # The invitation: a one-time link, copied with the button.
    admin.get_by_label("First name").fill("Grace")
    admin.get_by_label("Last name").fill("Hopper")
    admin.get_by_label("Username").fill("grace")
    admin.get_by_label("Role", exact=True).select_option("agent")
    admin.get_by_role("button", name="Create sign-in link").click()
    expect(admin.locator("#invitation-text")).to_contain_text("Give this link to Grace Hopper.")
    expect(teammates.get_by_role("listitem")).to_have_count(3)
    admin.get_by_role("button", name="Copy link").click()
    expect(admin.locator("#copy-status")).to_have_text(re.compile(r"^Link copied\."))
    link = admin.evaluate("() => navigator.clipboard.readText()")
    assert re.fullmatch(rf"{re.escape(live_server.url)}/accounts/welcome/[\w-]{{43,}}", link)
    assert link == admin.get_by_label("Sign-in link").input_value()

    # A label, so that the audits see its row too.
    admin.get_by_label("New label").fill("VIP")
    admin.get_by_role("button", name="Add label").click()
    expect(admin.get_by_role("list", name="Labels").get_by_role("listitem")).to_have_count(1)
    assert Label.objects.get().name == "VIP"

    # Grace, in her own browser: she chooses a password and is in the inbox.
    grace = open_window(DESKTOP)
    grace.goto(link)
    expect(grace.get_by_role("heading", name="Welcome, Grace")).to_be_visible()
    grace.get_by_label("New password").fill(NEW_PASSWORD)
    grace.get_by_label("The same password again").fill(NEW_PASSWORD)
    grace.get_by_role("button", name="Set password and sign in").click()
    expect(grace.locator("#inbox")).to_have_attribute("data-ready", "true")
    expect(grace.locator("#inbox")).to_have_attribute("data-user-username", "grace")
    # An agent: no link to the Team page.
    expect(grace.get_by_role("link", name="Team")).to_have_count(0)
    assert Invitation.objects.get(user__username="grace").used_at is not None

    # Ada deactivates her; Grace's next page load goes to the sign-in page.
    admin.reload()
    row = teammates.locator("li", has_text="Grace Hopper")
    row.get_by_role("button", name="Deactivate Grace Hopper").click()
    expect(row.get_by_text("Deactivated")).to_be_visible()
    expect(row.get_by_role("button", name="Reactivate Grace Hopper")).to_be_visible()
    assert not get_user_model().objects.get(username="grace").is_active

    grace.reload()
    expect(grace).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(grace.get_by_role("heading", name="Sign in")).to_be_visible()

    # The same Team page, on a phone.
    admin.set_viewport_size(PHONE)
    expect(admin.get_by_role("heading", name="Team", level=1)).to_be_visible()
    assert_accessible(admin, context="Team page at 390 px")


def test_an_agent_gets_a_page_saying_the_team_page_is_for_admins(open_window, ben):
    page = sign_in_to_inbox(open_window(DESKTOP), username="ben", password=PASSWORD)

    response = page.goto("/team")

    assert response.status == 403
    expect(page.get_by_role("heading", name="Only admins can open the Team page")).to_be_visible()


def test_the_last_admin_is_told_why_they_cannot_step_down(open_window, ada):
    page = sign_in_to_inbox(open_window(DESKTOP), username="ada", password=PASSWORD)
    page.goto("/team")
    expect(page.locator("#team")).to_have_attribute("data-ready", "true")

    page.get_by_label("Role of Ada Lovelace").select_option("agent")

    expect(page.get_by_role("alert")).to_have_text(
        "You are the team's last active admin, so you cannot stop being an admin. "
        "Make someone else an admin first."
    )
    # The page shows what Hatch holds.
    expect(page.get_by_label("Role of Ada Lovelace")).to_have_value("admin")
    assert get_user_model().objects.get(username="ada").teammate.role == Role.ADMIN
