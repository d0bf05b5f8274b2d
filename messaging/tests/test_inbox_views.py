"""The inbox page and the sign-in pages, through Django's test client.

What the page does in a browser is covered by test_inbox_browser.py; these tests pin what
the server sends: who may see it, its controls, and that nothing reaches it unescaped.
"""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from messaging import services
from messaging.tests.factories import DEFAULT_PASSWORD, UserFactory

XSS = "<img src=x onerror=alert(1)>"


class _PageParser(HTMLParser):
    """Collects what a person (or a screen reader) finds on a page."""

    def __init__(self):
        super().__init__()
        self.buttons: list[str] = []
        self.labels: dict[str, str] = {}  # control id -> label text
        self.scripts: list[dict[str, str | None]] = []
        self.event_handlers: list[tuple[str, str]] = []
        self.inline_styles: list[str] = []  # style attributes and <style> elements
        self.forms: list[dict[str, str | None]] = []
        self.by_id: dict[str, dict[str, str | None]] = {}
        self._open: list[tuple[str, dict, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.event_handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        if "style" in attributes or tag == "style":
            self.inline_styles.append(tag)
        if "id" in attributes:
            self.by_id[attributes["id"]] = attributes
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "form":
            self.forms.append(attributes)
        if tag in ("button", "label"):
            self._open.append((tag, attributes, []))

    def handle_data(self, data):
        for _, _, text in self._open:
            text.append(data)

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, attributes, text = self._open.pop()
            name = attributes.get("aria-label") or " ".join("".join(text).split())
            if tag == "button":
                self.buttons.append(name)
            else:
                self.labels[attributes.get("for", "")] = name


def parse(response) -> _PageParser:
    parser = _PageParser()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def signed_in_client(client, user):
    client.force_login(user)
    return client


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


def test_inbox_answers_get_only(signed_in_client):
    assert signed_in_client.post("/").status_code == 405


def test_signed_in_user_sees_the_inbox_controls(signed_in_client, user):
    response = signed_in_client.get("/")

    assert response.status_code == 200
    page = parse(response)
    for name in (
        "Compose email",
        "Send email",
        "New conversation",
        "Send",
        "Sign out",
        "Conversations",
        "Emails",
        "All",
        "SMS",
        "Internal",
        "Failed",
        "Load more emails",
    ):
        assert name in page.buttons, f"no button named {name!r} in {page.buttons}"
    assert page.labels["reply-body"] == "Type a message"
    assert page.labels["new-conversation-to"] == "To"
    assert page.labels["new-conversation-body"] == "Message"
    email_labels = {key: text for key, text in page.labels.items() if key.startswith("email-")}
    assert sorted(email_labels.values()) == [
        "Bcc",
        "Cc",
        "HTML (optional)",
        "Message",
        "Reply-To",
        "Subject",
        "To",
    ]
    assert {form.get("aria-label") for form in page.forms} >= {
        "Reply",
        "New conversation",
        "Compose email",
    }
    assert user.get_username() in response.content.decode()


def test_sign_out_is_a_post_form_to_the_logout_url(signed_in_client):
    page = parse(signed_in_client.get("/"))

    assert {"method": "post", "action": reverse("logout")} in [
        {"method": form.get("method"), "action": form.get("action")} for form in page.forms
    ]
    assert signed_in_client.post(reverse("logout")).url == reverse("login")
    assert signed_in_client.get("/").status_code == 302


def test_inbox_page_holds_under_its_self_only_policy(signed_in_client):
    """No inline script, event handler or style: script-src and style-src 'self' hold."""
    response = signed_in_client.get("/")
    page = parse(response)

    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert page.scripts, "the inbox needs its script"
    assert all(script.get("src") for script in page.scripts)
    assert all(script.get("type") == "module" for script in page.scripts)
    assert page.event_handlers == []
    assert page.inline_styles == []


def test_inbox_states_its_live_contract_before_the_script_runs(signed_in_client):
    page = parse(signed_in_client.get("/"))

    inbox = page.by_id["inbox"]
    assert inbox["data-live"] == "connecting"
    assert inbox["data-live-path"] == "/ws/inbox/"
    assert "data-ready" not in inbox  # set by the script once the controls work
    assert page.by_id["message-list"]["aria-live"] == "polite"
    assert page.by_id["email-html"]["name"] == "html_content"


def test_inbox_gives_the_page_a_csrf_cookie_and_the_api_urls(signed_in_client):
    response = signed_in_client.get("/")

    assert "csrftoken" in response.cookies
    html = response.content.decode()
    assert 'data-conversations-url="/api/conversations"' in html
    assert 'data-messages-url="/api/conversation/CONVERSATION_ID/messages"' in html
    assert 'data-send-message-url="/api/send_message"' in html
    assert 'data-send-email-url="/api/send_email"' in html
    assert 'data-new-messages-url="/api/conversation/CONVERSATION_ID/new_messages"' in html
    assert 'data-read-url="/api/conversations/CONVERSATION_ID/read"' in html
    assert 'data-retry-url="/api/messages/MESSAGE_ID/retry"' in html
    assert 'data-emails-url="/api/emails"' in html
    assert 'data-email-url="/api/emails/EMAIL_ID"' in html
    assert 'data-body-max-length="1600"' in html


def test_every_static_file_the_inbox_loads_is_served(signed_in_client):
    html = signed_in_client.get("/").content.decode()
    urls = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    modules = set()
    for url in urls:
        response = signed_in_client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".js"):
            source = b"".join(response.streaming_content).decode()
            modules |= {
                f"/static/js/{name}" for name in re.findall(r'from "\./([\w-]+\.js)";', source)
            }
    assert {"/static/css/hatch.css", "/static/js/inbox.js"} <= urls
    assert modules >= {f"/static/js/{name}.js" for name in ("api", "emails", "forms", "live")}
    for module in modules:
        assert signed_in_client.get(module).status_code == 200, module
    # Every module inbox.js imports is preloaded, so none waits for another to arrive.
    assert modules <= urls


def test_inbox_reads_no_data_while_rendering(signed_in_client, django_assert_num_queries):
    # The session, the user and their role; conversations are fetched by the page from the API.
    with django_assert_num_queries(3):
        signed_in_client.get("/")


def test_email_detail_lists_the_providers_events_for_the_emails_view(
    api_client, user, send_delivered_email, django_assert_num_queries
):
    email = send_delivered_email(user=user)

    # The token, the email, its events, the name of the teammate who sent it.
    with django_assert_num_queries(4):
        response = api_client.get(f"/api/emails/{email.id}")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "delivered"
    assert data["subject"] == "Your order"
    assert data["events"] == [
        {
            "event": "processed",
            "occurred_at": "2024-11-29T14:20:00.000000+00:00",
            "recipient": "pat@example.com",
        },
        {
            "event": "delivered",
            "occurred_at": "2024-11-29T14:20:01.000000+00:00",
            "recipient": "pat@example.com",
        },
    ]
    listed = api_client.get("/api/emails").json()["emails"][0]
    assert "events" not in listed  # the list stays one query


def test_login_page_renders_a_form(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    page = parse(response)
    assert page.labels["id_username"] == "Username"
    assert page.labels["id_password"] == "Password"
    assert "Sign in" in page.buttons


def test_login_with_username_and_password_opens_the_inbox(client, db):
    UserFactory(username="dana")

    response = client.post(
        reverse("login"),
        {"username": "dana", "password": DEFAULT_PASSWORD, "next": "/"},
        follow=True,
    )

    assert response.redirect_chain == [("/", 302)]
    assert response.status_code == 200
    assert response.wsgi_request.user.get_username() == "dana"
    assert "New conversation" in parse(response).buttons


def test_login_with_a_wrong_password_says_so(client, db):
    UserFactory(username="dana")

    response = client.post(reverse("login"), {"username": "dana", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert not response.wsgi_request.user.is_authenticated


def test_user_content_on_the_page_is_escaped(client, db):
    user = UserFactory(username=XSS)
    message = services.message_send(to=XSS, body=XSS, sender=XSS, user=user)
    client.force_login(user)

    response = client.get(f"/?c={message.conversation_id}")

    html = response.content.decode()
    assert response.status_code == 200
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the username, as text


def test_unknown_page_shows_the_not_found_page(signed_in_client):
    response = signed_in_client.get("/no-such-page")

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
