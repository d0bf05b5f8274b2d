"""Regenerate the README's screenshots from a throwaway server with demo data.

    make screenshots        # or: .venv/bin/python scripts/screenshots.py

Creates the PostgreSQL database ``hatch_screenshots`` on the server DATABASE_URL names
(default: postgres@127.0.0.1:5432), migrates it, fills it with ``seed_demo`` (fixed seed),
serves it with daphne (testing.live_server, the test settings: nothing can reach a
real provider), signs in as the demo user in Chromium and writes:

    docs/inbox.png           desktop, 1280x800, after a few texts arrived live; the
                             newest conversation open, the others with unread counts
    docs/inbox-mobile.png    phone, 390x844, the conversation list
    docs/compose-email.png   desktop, the compose email dialog filled in

The database is dropped afterwards, also when something failed. The demo data's times
are relative to now and the browser runs in UTC with en-US formats, so a run differs
from the previous one only in its dates and times.
"""

import http.client
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
from playwright.sync_api import expect, sync_playwright

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a file, this script's folder is on sys.path, not the project's.
sys.path.insert(0, str(BASE_DIR))

from messaging.tests.twilio_payloads import INBOUND_PATH, inbound_sms, signature  # noqa: E402
from testing.browser import CHROMIUM, launch_chromium  # noqa: E402
from testing.live_server import LiveServer  # noqa: E402

DATABASE = "hatch_screenshots"
DOCS = BASE_DIR / "docs"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DEMO_USER, DEMO_PASSWORD = "demo", "hatch-demo"
SEED = "42"
# The server checks Twilio's signatures with it; this script signs with it.
TWILIO_AUTH_TOKEN = "screenshots-auth-token"
# Texts that arrive while the inbox is open, through Twilio's signed webhook, to show the
# live list (newest first, unread counts): from two new people, then two replies in the
# newest SMS conversation of the demo data, which is the one opened.
NEW_SENDERS = [
    ("+13125550199", "Hi! Is the 3pm slot still free tomorrow?"),
    ("+16175550142", "Got the parcel, thank you!"),
]
REPLIES = ["Great, thanks! Mornings work best for me 🙏", "Also, is there parking nearby?"]


def main() -> None:
    server_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hatch")
    if not server_url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"screenshots need PostgreSQL; DATABASE_URL is {server_url!r}.")
    database_url = with_database(server_url, DATABASE)
    maintenance_url = with_database(server_url, "postgres")

    recreate(maintenance_url)
    try:
        manage(database_url, "migrate", "--noinput", "--verbosity", "0")
        manage(database_url, "seed_demo", "--force", "--no-progress", "--seed", SEED)
        with LiveServer(database_url, env={"TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN}) as server:
            shoot(server.url)
    finally:
        drop(maintenance_url)
    for name in ("inbox.png", "inbox-mobile.png", "compose-email.png"):
        print(f"wrote {(DOCS / name).relative_to(BASE_DIR)}")


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def recreate(maintenance_url: str) -> None:
    drop(maintenance_url)
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{DATABASE}"')


def drop(maintenance_url: str) -> None:
    with psycopg.connect(maintenance_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def manage(database_url: str, *args: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hatch.test_settings",
        "DATABASE_URL": database_url,
    }
    # A fixed argument list, no shell: nothing here comes from outside the process.
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, check=True
    )


def shoot(base_url: str) -> None:
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium.")
    if not any(Path("/usr/share/fonts").rglob("*[Ee]moji*")):
        # The demo messages have emoji; without a font they show as empty boxes.
        print("warning: no emoji font; apt-get install fonts-noto-color-emoji", file=sys.stderr)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, "--hide-scrollbars")
        try:
            desktop = signed_in(browser, base_url, DESKTOP)
            newest_sms, newest_was_unread = desktop.evaluate(
                """async () => {
                    const response = await fetch("/api/conversations?channel=sms");
                    const newest = (await response.json()).conversations[0];
                    return [newest.reply_to, newest.unread_count > 0];
                }"""
            )
            unread = desktop.locator("[data-conversation-id] .unread-badge:not([hidden])")
            # The demo has unread conversations of its own: the arrivals add to them.
            expect(desktop.locator("[data-conversation-id]").first).to_be_visible()
            already_unread = unread.count()
            arriving = [*NEW_SENDERS, *((newest_sms, body) for body in REPLIES)]
            for sender, body in arriving:
                receive_sms(base_url, sender, body)
            with_arrivals = already_unread + len(NEW_SENDERS) + (0 if newest_was_unread else 1)
            expect(unread).to_have_count(with_arrivals)
            desktop.locator("[data-conversation-id]").first.click()
            expect(
                desktop.locator("[data-message-id]").filter(has_text=REPLIES[-1])
            ).to_be_visible()
            expect(unread).to_have_count(with_arrivals - 1)  # the one opened is read
            capture(desktop, "inbox.png")

            desktop.get_by_role("button", name="Compose email").click()
            dialog = desktop.get_by_role("dialog", name="Compose email")
            dialog.get_by_label("To", exact=True).fill("grace.hughes@example.com")
            dialog.get_by_label("Subject").fill("Your order #48213 has shipped")
            dialog.get_by_label("Message").fill(
                "Hi Grace,\n\nYour order left our warehouse this morning and should "
                "arrive on Thursday.\n\nThe Hatch team"
            )
            capture(desktop, "compose-email.png")

            phone = signed_in(browser, base_url, PHONE)
            capture(phone, "inbox-mobile.png")
        finally:
            browser.close()


def receive_sms(base_url: str, sender: str, body: str) -> None:
    """An SMS to the demo's number, posted and signed as Twilio posts it."""
    params = inbound_sms(body=body, from_=sender)
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    connection.request(
        "POST",
        INBOUND_PATH,
        body=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature(
                params, url=base_url + INBOUND_PATH, token=TWILIO_AUTH_TOKEN
            ),
        },
    )
    status = connection.getresponse().status
    connection.close()
    if status != 200:
        sys.exit(f"The inbound SMS webhook answered {status}.")


def signed_in(browser, base_url: str, viewport: dict):
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(DEMO_USER)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#inbox[data-ready]")).to_have_count(1)
    expect(page.locator("[data-conversation-id]").first).to_be_visible()
    wait_until_live(page)
    return page


def wait_until_live(page) -> None:
    # The live status is part of the picture: "connected", not "connecting".
    expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")


def capture(page, name: str) -> None:
    page.screenshot(path=DOCS / name, animations="disabled", caret="hide")


if __name__ == "__main__":
    main()
