"""Debian's Chromium, as the browser tests and `make screenshots` launch it."""

import os
from contextlib import contextmanager

from playwright.sync_api import Page, expect

CHROMIUM = os.environ.get("HATCH_CHROMIUM", "/usr/bin/chromium")
# Headless, and quiet on the network: without the background-networking flags Chromium
# keeps trying to reach Google's services, which this workplace's network refuses.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_chromium(playwright, *extra_args: str):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])


@contextmanager
def browser_windows(chromium, *, base_url: str, timeout_ms: int):
    """Yield a function that opens a fresh window (its own cookies) on ``base_url``.

    On leaving, fails the test if any window saw a script error, a dialog (an alert() is how
    markup that escaped would show) or a Content-Security-Policy violation.
    """
    contexts = []
    problems = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            where = message.location.get("url", "")
            problems.append(f"CSP violation on {message.page.url} ({where}): {message.text}")

    def on_dialog(dialog):
        problems.append(f"{dialog.type} opened: {dialog.message}")
        dialog.dismiss()

    def open_window(viewport: dict) -> Page:
        context = chromium.new_context(base_url=base_url, viewport=viewport)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(timeout_ms)
        page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
        page.on("console", on_console)
        page.on("dialog", on_dialog)
        return page

    yield open_window
    for context in contexts:
        context.close()
    assert problems == [], "\n".join(problems)


def sign_in_to_inbox(page: Page, *, username: str, password: str) -> Page:
    """Sign in through the real login form and wait until the inbox's controls answer."""
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # The controls answer once the page's script has run.
    expect(page.locator("#inbox")).to_have_attribute("data-ready", "true")
    return page


# What axe-core calls a violation a person cannot work around: these fail a test. Minor and
# moderate findings (best practices) are left to review.
BLOCKING_IMPACTS = ("serious", "critical")


def assert_accessible(page: Page, *, context: str = "") -> None:
    """Fail if axe-core finds a serious or critical accessibility violation on ``page``.

    The message lists each rule broken (its id, impact and help) with the first elements
    that break it, so that a failure says where to look. ``context`` names the screen
    being audited ("inbox list at 390 px").
    """
    from axe_playwright_python.sync_playwright import Axe

    violations = [
        violation
        for violation in Axe().run(page).response["violations"]
        if violation.get("impact") in BLOCKING_IMPACTS
    ]
    if not violations:
        return
    lines = [f"axe-core found {len(violations)} blocking violation(s) {context}".rstrip() + ":"]
    for violation in violations:
        targets = [
            " ".join(str(part) for part in node.get("target", []))
            for node in violation.get("nodes", [])[:3]
        ]
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}; "
            f"at {', '.join(targets)}"
        )
    raise AssertionError("\n".join(lines))
