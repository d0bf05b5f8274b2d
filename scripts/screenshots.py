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
    docs/team-inbox.png      desktop, 1440x900, an SMS conversation the teammate Amara
                             has just assigned to the demo user, labelled and noted (an
                             @mention) while the demo user had it open; she is typing a
                             reply in her own browser as the picture is taken
    docs/reports.png         desktop, 1280 wide, the whole Reports page for the demo's
                             last 30 days (seed_demo counts them for the reports)

The database is dropped afterwards, also when something failed. The demo data's times
are relative to now and the browser runs in UTC with en-US formats, so a run differs
from the previous one only in its dates and times.
"""

import http.client
import os
import re
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
TEAM_DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
DEMO_USER, DEMO_PASSWORD = "demo", "hatch-demo"
# seed_demo's teammate (demo/team.py), an agent with the demo's password.
TEAMMATE_USER, TEAMMATE_NAME = "amara", "Amara Walsh"
DEMO_NAME = "Demo User"
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
# What Amara does in the team picture, in her own browser, as a teammate would.
TEAM_LABEL = "Billing"
NOTE_MENTION = f"@{DEMO_USER} "
NOTE_TEXT = "they were charged twice for their last invoice. Can you check the refund?"
DRAFT_REPLY = "Thanks for flagging this! I've asked our billing team to look at it today"
TYPING = f"{TEAMMATE_NAME} is typing…"
# Enough messages above the note and the activity lines to fill the thread.
MESSAGES_IN_VIEW = 5


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
    for name in (
        "inbox.png",
        "inbox-mobile.png",
        "compose-email.png",
        "team-inbox.png",
        "reports.png",
    ):
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

            shoot_team_inbox(browser, base_url, skip=newest_sms)
            shoot_reports(browser, base_url)
        finally:
            browser.close()


def shoot_team_inbox(browser, base_url: str, *, skip: str) -> None:
    """docs/team-inbox.png: the demo user and Amara on one conversation, each in a browser
    of their own. Amara assigns it to the demo user, labels it and leaves a note that
    mentions them; the demo user's screen follows live, and shows her typing."""
    demo = signed_in(browser, base_url, TEAM_DESKTOP)
    conversation_id = team_conversation(demo, skip=skip)
    open_conversation(demo, conversation_id)
    amara = signed_in(browser, base_url, DESKTOP, username=TEAMMATE_USER)
    open_conversation(amara, conversation_id)
    presence = demo.locator("#thread-view .presence-line")
    expect(presence).to_have_text(f"{TEAMMATE_NAME} is viewing")

    team_bar = amara.locator("#team-bar")
    team_bar.get_by_role("button", name=re.compile("^Assigned to")).click()
    amara.get_by_role("menu", name="Assign to").get_by_role("menuitemradio", name=DEMO_NAME).click()
    team_bar.get_by_role("button", name="Labels").click()
    amara.get_by_role("menu", name="Labels").get_by_role(
        "menuitemcheckbox", name=TEAM_LABEL
    ).click()
    amara.keyboard.press("Escape")

    amara.get_by_role("group", name="Write").get_by_role("button", name="Note").click()
    note_box = amara.get_by_label("Write an internal note")
    # A few letters after "@" offer the teammates they start; Enter takes the one offered.
    note_box.press_sequentially(NOTE_MENTION[:4])
    expect(amara.get_by_role("option", name=re.compile(DEMO_NAME))).to_be_visible()
    note_box.press("Enter")
    expect(note_box).to_have_value(NOTE_MENTION)
    note_box.press_sequentially(NOTE_TEXT)
    note_box.press("Enter")
    expect(note_box).to_have_value("")
    amara.get_by_role("group", name="Write").get_by_role("button", name="Reply").click()

    # The demo user's screen, live: the bar, the activity lines and the note.
    demo_bar = demo.locator("#team-bar")
    expect(demo_bar.get_by_role("button", name=re.compile("^Assigned to"))).to_have_accessible_name(
        re.compile("Assigned to: Me")
    )
    expect(demo_bar.locator(".team-labels")).to_contain_text(TEAM_LABEL)
    thread = demo.get_by_role("list", name="Messages")
    by_amara = thread.locator(".activity-line").filter(has_text=re.compile(f"^{TEAMMATE_NAME} "))
    expect(by_amara).to_have_text(
        [
            re.compile(f"^{TEAMMATE_NAME} assigned this to {DEMO_NAME} · "),
            re.compile(f"^{TEAMMATE_NAME} labelled this {TEAM_LABEL} · "),
        ]
    )
    expect(thread.locator(".note").last.locator(".mention")).to_have_text(NOTE_MENTION.strip())
    # The toast of the mention would cover the thread: the picture waits for it to go.
    expect(demo.locator("#toast")).to_contain_text(f"{TEAMMATE_NAME} mentioned you")
    expect(demo.locator("#toast")).to_be_empty(timeout=15_000)

    # The pointer rests on the title: left on the list, it would light up a row.
    demo.locator("#thread-title").hover()
    # A teammate shows as typing for a few seconds after their page last said so
    # (static/js/presence.js): the picture is taken right after her last keystroke, and
    # kept if the line still says so afterwards (it only changes back to viewing once).
    reply_box = amara.get_by_label("Type a message")
    for _ in range(3):
        reply_box.fill("")
        reply_box.press_sequentially(DRAFT_REPLY, delay=30)
        expect(presence).to_have_text(TYPING)
        capture(demo, "team-inbox.png")
        if presence.text_content() == TYPING:
            return
    sys.exit("Amara's typing did not show on the demo user's screen in time for the picture.")


def shoot_reports(browser, base_url: str) -> None:
    """docs/reports.png: the Reports page as the inbox's Reports link opens it (the last 30
    days, every channel), once every chart has drawn."""
    page = signed_in(browser, base_url, DESKTOP)
    page.get_by_role("link", name="Reports").click()
    expect(page.locator("#reports")).to_have_attribute("data-state", "loaded")
    for canvas in ("volume-chart", "delivery-chart", "response-chart"):
        page.wait_for_function(
            "(id) => window.Chart?.getChart(document.getElementById(id))?.data.labels.length > 0",
            arg=canvas,
        )
    # The whole page: the failures' table and the heatmap are below the fold.
    capture(page, "reports.png", full_page=True)


def team_conversation(page, *, skip: str) -> str:
    """The newest open SMS conversation with a named contact and a few messages, other
    than the one in docs/inbox.png, not the demo user's yet and without TEAM_LABEL."""
    conversations = page.evaluate(
        """async () => {
            const response = await fetch("/api/conversations?channel=sms&state=open");
            return (await response.json()).conversations;
        }"""
    )
    user_id = int(page.locator("#inbox").get_attribute("data-user-id"))
    for conversation in conversations:
        labels = {label["name"] for label in conversation["labels"]}
        if (
            conversation["reply_to"] != skip
            and (conversation["contact"] or {}).get("name")
            and conversation["message_count"] >= MESSAGES_IN_VIEW
            and (conversation["assignee"] or {}).get("id") != user_id
            and TEAM_LABEL not in labels
        ):
            return conversation["conversation_id"]
    sys.exit("The demo data has no open SMS conversation for docs/team-inbox.png.")


def open_conversation(page, conversation_id: str) -> None:
    page.locator(f'#conversation-list [data-conversation-id="{conversation_id}"]').click()
    expect(page.locator("#team-bar")).to_be_visible()
    expect(page.locator("#thread-title")).not_to_have_text("Conversation")
    expect(page.locator("#message-list")).to_have_attribute("aria-busy", "false")


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


def signed_in(browser, base_url: str, viewport: dict, *, username: str = DEMO_USER):
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
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#inbox[data-ready]")).to_have_count(1)
    expect(page.locator("[data-conversation-id]").first).to_be_visible()
    wait_until_live(page)
    return page


def wait_until_live(page) -> None:
    # The live status is part of the picture: "connected", not "connecting".
    expect(page.locator("#inbox")).to_have_attribute("data-live", "connected")


def capture(page, name: str, *, full_page: bool = False) -> None:
    page.screenshot(path=DOCS / name, animations="disabled", caret="hide", full_page=full_page)


if __name__ == "__main__":
    main()
