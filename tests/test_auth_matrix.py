"""Who may open what: every URL pattern in the URLconf, for four identities.

The URLconf is walked (``get_resolver``, into every include) and each pattern is requested
by an anonymous visitor, a signed-in user (session, with a CSRF token on writes), a staff
user (session) and a program with a DRF token; path converters are filled with real ids.
Each answer must be exactly what ``EXPECTED`` says for that pattern's kind. A pattern that
is not in ``EXPECTED`` fails ``test_every_url_pattern_is_classified``: a new URL is not
public, nor private, until someone has said which.

Elsewhere: the inbox websocket (/ws/inbox/, routed in hatch.asgi, not the URLconf) refuses
an anonymous socket with 4401 in
messaging/tests/test_realtime.py::test_an_anonymous_socket_is_refused_with_4401_and_hears_nothing
and in a real browser in messaging/tests/test_live_inbox.py; correctly signed webhooks are
accepted with no session at all in messaging/tests/test_webhooks.py and
emails/tests/test_webhooks.py (and through a proxy in test_deploy_checks.py).
"""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from rest_framework.authtoken.models import Token, TokenProxy

from attachments.selectors import attachment_public_url
from attachments.services import EMAIL_POLICY, attachment_store
from broadcasts import services as broadcast_services
from broadcasts.recipients import recipients_resolve
from consent.models import ConsentChange
from consent.services import address_suppress
from contacts.models import Contact
from contacts.services import contact_create
from conversations.models import SavedReply
from emails import services as email_services
from emails.tests.factories import EmailFactory
from emails.unsubscribe import unsubscribe_url
from exports.ranges import export_range_parse
from exports.services import export_job_create, export_job_run
from messaging import services
from messaging.models import Message, MessageStatus
from messaging.tests import test_realtime as realtime_tests
from messaging.tests.factories import UserFactory
from team import services as team_services
from team.models import Label

IDENTITIES = ["anonymous", "user", "staff", "token"]
CSRF_TOKEN = "a" * 32  # a valid unmasked CSRF secret, sent as cookie and header alike


# --------------------------------------------------------------------------- the URLconf


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern, includes joined
    name: str | None  # namespaced, e.g. "admin:index"
    kwargs: tuple[str, ...]  # the converters to fill
    model_label: str | None  # for a ModelAdmin's page, the model's "app_label.model_name"

    @property
    def key(self) -> str:
        """What EXPECTED is keyed by: the name, or the pattern for an unnamed one."""
        if self.model_label:
            return f"admin model page: {self.admin_kind}"
        return self.name or self.pattern

    @property
    def admin_kind(self) -> str:
        if self.name is None:
            return "object"  # <object_id>/ redirects to its change page
        return self.name.rsplit("_", 1)[1]


def walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            if inner:
                inner = f"{namespace}:{inner}" if namespace else inner
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), inner or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            model_admin = getattr(entry.callback, "model_admin", None)
            model = model_admin.model._meta if model_admin else None
            yield Route(
                pattern=prefix + str(entry.pattern),
                name=name,
                kwargs=tuple(entry.pattern.regex.groupindex),
                model_label=f"{model.app_label}.{model.model_name}" if model else None,
            )


ROUTES = list(walk(get_resolver().url_patterns))


# --------------------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Outcome:
    """What one identity gets: a status, and for a redirect where it leads."""

    status: int
    redirect_to: str | None = None  # the path the Location starts with
    content_type: str = "application/json"  # of a 401
    challenge: str = "Token"  # the WWW-Authenticate of a 401

    def check(self, response, route: Route, identity: str) -> None:
        where = f"{route.pattern} as {identity}"
        assert response.status_code == self.status, (
            f"{where}: {response.status_code}, expected {self.status}"
        )
        if self.redirect_to is not None:
            assert response["Location"].startswith(self.redirect_to), (
                f"{where}: redirected to {response['Location']}"
            )
        if self.status == 401:
            # The API's refusal: JSON in the one error shape, saying how to authenticate.
            assert response["WWW-Authenticate"] == self.challenge, where
            assert response["Content-Type"] == self.content_type, where
            if self.content_type == "application/json":
                assert response.json()["error"], where
            else:
                assert b"error" in response.content, where


@dataclass(frozen=True)
class Kind:
    description: str
    outcomes: dict[str, Outcome]
    method: str = "get"
    body: dict = field(default_factory=dict)
    form: bool = False  # POST a multipart form with a CSV file (the contacts import)


OK = Outcome(200)
TO_LOGIN = Outcome(302, "/accounts/login/?next=")
TO_ADMIN_LOGIN = Outcome(302, "/admin/login/?next=")
NOT_ALLOWED = Outcome(405)


def api(method="get", body=None, success: Outcome = OK) -> Kind:
    return Kind(
        "API: token or session; anonymous 401",
        {"anonymous": Outcome(401), "user": success, "staff": success, "token": success},
        method,
        body or {},
    )


def admin_api(method: str, body: dict, success: Outcome = OK) -> Kind:
    return Kind(
        "API, admins only: an agent gets 403 saying so; anonymous 401",
        {"anonymous": Outcome(401), "user": Outcome(403), "staff": success, "token": Outcome(403)},
        method,
        body,
    )


PAGE = Kind(
    "page for people: signed in, else to the sign-in page (a token is not a browser session)",
    {"anonymous": TO_LOGIN, "user": OK, "staff": OK, "token": TO_LOGIN},
)
PUBLIC = Kind("public", dict.fromkeys(IDENTITIES, OK))
FILE = Kind(
    "a stored file: a signed-in person or a token; an anonymous browser to the sign-in page",
    {"anonymous": TO_LOGIN, "user": OK, "staff": OK, "token": OK},
)
LOGOUT = Kind(
    "sign-out: POST only, so that a link cannot sign anyone out",
    dict.fromkeys(IDENTITIES, NOT_ALLOWED),
)
WEBHOOK = Kind(
    "provider webhook: its signature decides, never a session or token (unsigned: 403)",
    dict.fromkeys(IDENTITIES, Outcome(403)),
    "post",
    {"MessageSid": "SM" + "0" * 32, "From": "+14155552671", "To": "+15005550006", "Body": "hi"},
)


# Inbound Parse signs nothing: it posts with Basic credentials in its URL, and anyone
# without them is challenged for them (a session or a token counts for nothing).
INBOUND_WEBHOOK = Kind(
    "SendGrid Inbound Parse: its Basic credentials decide, never a session or token (401)",
    dict.fromkeys(
        IDENTITIES,
        Outcome(401, challenge='Basic realm="Hatch SendGrid Inbound Parse", charset="UTF-8"'),
    ),
    "post",
    {"from": "ana@example.com", "to": "team@hatch.test", "subject": "hi", "text": "hi"},
)
WEBHOOKS = (WEBHOOK, INBOUND_WEBHOOK)


def admin(staff: Outcome) -> Kind:
    return Kind(
        "admin: staff only; everyone else to the admin's sign-in (a token is not a session)",
        {
            "anonymous": TO_ADMIN_LOGIN,
            "user": TO_ADMIN_LOGIN,
            "token": TO_ADMIN_LOGIN,
            "staff": staff,
        },
    )


SMS = {"to": "+14155552671", "body": "Your table is ready"}
# The contact merged into another by the merge route's request (its id is in the body).
OTHER_CONTACT_ID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")
EMAIL = {"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."}
BROADCAST = {
    "name": "Holiday hours",
    "channel": "sms",
    "body": "We open at 10.",
    "recipients": {"numbers": ["+14155550123"]},
}

EXPECTED: dict[str, Kind] = {
    # The API (DRF): reads and writes.
    "send-message": api("post", SMS),
    "send-email": api("post", EMAIL),
    "seed-conversation-messages": api(),
    "seed-conversation-new-messages": api(body={"since": "2026-01-01T00:00:00+00:00"}),
    "api-root": api(),
    "conversation-list": api(),
    "conversation-detail": api(),
    "conversation-messages": api(),
    "conversation-new-messages": api(body={"since": "2026-01-01T00:00:00+00:00"}),
    "conversation-read": api("post"),
    "conversation-activity": api(),
    "conversation-notes": api("post", {"body": "Called them back"}, Outcome(201)),
    "message-list": api(),
    "message-detail": api(),
    "message-retry": api("post"),
    "message-cancel": api("post"),
    "email-list": api(),
    "email-detail": api(),
    "email-cancel": api("post"),
    "broadcast-list": api("post", BROADCAST, Outcome(201)),
    "broadcast-detail": api(),
    "broadcast-preview": api("post", BROADCAST),
    "broadcast-pause": api("post"),
    "broadcast-resume": api("post"),
    "broadcast-cancel": api("post"),
    "search": api(body={"q": "table"}),
    "reports-volume": api(),
    "reports-delivery": api(),
    "reports-errors": api(),
    "reports-response-times": api(),
    "reports-failure-reasons": api(),
    "export-messages": api(),
    # An export's file: the one who asked for it, or an admin; anyone else is told nothing.
    "export_job-detail": Kind(
        "API, owner or admin; another agent 404; anonymous 401",
        {"anonymous": Outcome(401), "user": OK, "staff": OK, "token": Outcome(404)},
    ),
    "export_job-download": Kind(
        "API, owner or admin; another agent 404; anonymous 401",
        {"anonymous": Outcome(401), "user": OK, "staff": OK, "token": Outcome(404)},
    ),
    "email_thread-list": api(),
    "email_thread-detail": api(),
    "email_thread-read": api("post"),
    "email_thread-activity": api(),
    "email_thread-notes": api("post", {"body": "Waiting for the invoice"}, Outcome(201)),
    "saved_reply-list": api(),
    "saved_reply-detail": admin_api("patch", {"title": "Hello again"}),
    "contact-list": api(),
    "contact-detail": api(),
    "contact-merge": api("post", {"other": str(OTHER_CONTACT_ID)}),
    "contact-timeline": api(),
    "teammate-list": api(),
    "teammate-detail": admin_api("patch", {"first_name": "Casey"}),
    "teammate-invite": admin_api("post", {"username": "grace"}, Outcome(201)),
    "label-list": api(),
    "label-detail": admin_api("patch", {"colour": "#2563eb"}),
    "contact-import": Kind(
        "API: token or session; anonymous 401",
        {"anonymous": Outcome(401), "user": OK, "staff": OK, "token": OK},
        "post",
        form=True,
    ),
    # The contract: readable by whoever may use the API. The schema is for programs (token
    # or session); the Swagger UI is a page for people.
    # Its refusal comes in the schema's own format (YAML) unless JSON is asked for.
    "api-schema": Kind(
        "the OpenAPI schema: token or session; anonymous 401",
        {
            "anonymous": Outcome(401, content_type="application/vnd.oai.openapi; charset=utf-8"),
            "user": OK,
            "staff": OK,
            "token": OK,
        },
    ),
    "api-docs": PAGE,
    # Pages.
    "inbox": PAGE,
    "broadcasts": PAGE,
    "reports": PAGE,
    # The Team page: admins only (the staff user is a superuser, so an admin).
    "team": Kind(
        "page for admins: an agent gets a 403 page; no session, to the sign-in page",
        {"anonymous": TO_LOGIN, "user": Outcome(403), "staff": OK, "token": TO_LOGIN},
    ),
    # An invitation's link: its token decides, for whoever opens it (world's invitation).
    "welcome": PUBLIC,
    "login": PUBLIC,
    "logout": LOGOUT,
    "rest_framework:login": PUBLIC,
    "rest_framework:logout": LOGOUT,
    # Machines.
    "health": PUBLIC,
    # Browsers, on pages that name no icon: on to the static icon, for anyone.
    "favicon": Kind("the icon: public", dict.fromkeys(IDENTITIES, Outcome(302, "/static/img/"))),
    "twilio-inbound": WEBHOOK,
    "twilio-status": WEBHOOK,
    "sendgrid-events": WEBHOOK,
    "sendgrid-inbound": INBOUND_WEBHOOK,
    "attachment-download": FILE,
    # Signed and expiring: what Twilio fetches an outbound MMS's media from.
    "attachment-public": PUBLIC,
    # A broadcast email's unsubscribe link: its signed token decides, for whoever opens it.
    "email-unsubscribe": PUBLIC,
    # The admin site.
    "admin:index": admin(OK),
    "admin:app_list": admin(OK),
    # A signed-in staff user is sent on to the admin; everyone else gets the form.
    "admin:login": Kind(
        "the admin's sign-in form",
        {"anonymous": OK, "user": OK, "token": OK, "staff": Outcome(302, "/admin/")},
    ),
    # Sign-out is POST only; the admin sends anyone else on to its index, then its sign-in.
    "admin:logout": Kind(
        "the admin's sign-out",
        {
            "anonymous": Outcome(302, "/admin/"),
            "user": Outcome(302, "/admin/"),
            "token": Outcome(302, "/admin/"),
            "staff": NOT_ALLOWED,
        },
    ),
    "admin:password_change": admin(OK),
    "admin:password_change_done": admin(OK),
    "admin:autocomplete": admin(Outcome(403)),  # needs a field to complete: refused as asked
    "admin:jsi18n": admin(OK),
    "admin:view_on_site": admin(Outcome(404)),  # messages have no public page
    "admin:auth_user_password_change": admin(OK),
    "admin/(?P<url>.*)$": admin(Outcome(404)),  # the admin's catch-all, for unknown admin URLs
    # Every ModelAdmin's pages (the models are listed in ADMIN_MODELS).
    "admin model page: changelist": admin(OK),
    "admin model page: history": admin(OK),
    "admin model page: change": admin(OK),  # read-only models show their fields
    "admin model page: object": admin(Outcome(302, "/admin/")),  # on to the change page
    "admin model page: add": admin(OK),  # see ADMIN_MODELS for the models that refuse it
    "admin model page: delete": admin(OK),
    # Lifting an email suppression (consent.admin), for staff with its "change" permission.
    "admin model page: lift": admin(OK),
}

# Every model in the admin, and whether staff may add and delete there. Records written
# only by services (docs/architecture.md) are read-only in the admin, for superusers too: 403.
READ_ONLY, WRITABLE, LOG = "read-only", "writable", "log (delete only)"
ADMIN_MODELS = {
    "auth.group": WRITABLE,
    "auth.user": WRITABLE,
    "authtoken.tokenproxy": WRITABLE,
    "django_tasks_database.dbtaskresult": READ_ONLY,
    "conversations.conversation": READ_ONLY,
    "messaging.message": READ_ONLY,
    "consent.suppression": READ_ONLY,
    "consent.consentchange": READ_ONLY,
    "emails.email": READ_ONLY,
    "attachments.attachment": READ_ONLY,
    "contacts.contact": READ_ONLY,
    "team.label": WRITABLE,
    # django-axes: staff unlock a sign-in by deleting its attempts.
    "axes.accessattempt": LOG,
    "axes.accesslog": LOG,
    "axes.accessfailurelog": LOG,
}


def expected_outcome(route: Route, identity: str) -> Outcome:
    outcome = EXPECTED[route.key].outcomes[identity]
    if route.model_label and identity == "staff":
        kind = ADMIN_MODELS[route.model_label]
        refused = (route.admin_kind == "add" and kind != WRITABLE) or (
            route.admin_kind == "delete" and kind == READ_ONLY
        )
        if refused:
            return Outcome(403)
    return outcome


# --------------------------------------------------------------------------- the world


@pytest.fixture
def world(db):
    """One real record of everything a path can name, and a client per identity."""
    from django.test import Client

    user = UserFactory(username="casey")
    staff = UserFactory(username="sam", is_staff=True, is_superuser=True)
    program = UserFactory(username="deploy-bot")
    token = Token.objects.create(user=program)
    sms = services.message_send(to="+14155552671", body="Your table is ready")
    failed = services.message_send(to="+14155552672", body="This one failed")
    Message.objects.filter(id=failed.id).update(status=MessageStatus.FAILED)
    tomorrow = timezone.now() + timedelta(days=1)
    scheduled_sms = services.message_send(to="+14155552673", body="Reminder", send_at=tomorrow)
    scheduled_email = email_services.email_send(
        to_email="cy@example.com", subject="Reminder", body="Tomorrow at 9.", send_at=tomorrow
    )
    sending = broadcast_services.broadcast_create(
        name="Holiday hours",
        channel="sms",
        body="We open at 10.",
        recipients=recipients_resolve(channel="sms", addresses=["+14155550125"]),
    )
    paused = broadcast_services.broadcast_pause(
        broadcast=broadcast_services.broadcast_create(
            name="Paused",
            channel="sms",
            body="We open at 10.",
            recipients=recipients_resolve(channel="sms", addresses=["+14155550126"]),
        )
    )
    email = EmailFactory()
    email_thread_id = email_services.email_send(
        to_email="bea@example.com", subject="Your order", body="It ships today."
    ).thread_id
    contact = contact_create(name="Ada Lovelace", emails=["ada@example.com"])
    Contact.objects.create(id=OTHER_CONTACT_ID, name="Ada L.")
    label = Label.objects.create(name="VIP")
    saved_reply = SavedReply.objects.create(title="Hello", body="Hi {{contact.first_name}}!")
    invitation = team_services.teammate_invite(invited_by=staff, username="newcomer")
    attachment = attachment_store(
        filename="menu.pdf", content=b"%PDF-1.4\n%%EOF\n", policy=EMAIL_POLICY
    )
    now = timezone.now()
    export_job = export_job_create(
        user=user,
        export_range=export_range_parse(date_from=None, date_to=None, channel=None, now=now),
    )
    export_job_run(job_id=export_job.id)
    access = {
        "user_agent": "pytest",
        "ip_address": "127.0.0.1",
        "username": "casey",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    objects = {
        "auth.group": Group.objects.create(name="Front desk"),
        "auth.user": user,
        "authtoken.tokenproxy": TokenProxy.objects.get(key=token.key),
        "django_tasks_database.dbtaskresult": DBTaskResult.objects.create(
            args_kwargs={"args": [], "kwargs": {}},
            task_path="messaging.tasks.send_message",
            backend_name="default",
            run_after=now,
            exception_class_path="",
            traceback="",
        ),
        "conversations.conversation": sms.conversation,
        "messaging.message": sms,
        # An email suppression, which staff may lift (an SMS opt-out's lift page sends
        # staff back to its page: only the person lifts it).
        "consent.suppression": address_suppress(
            address="bounced@example.com", channel="email", reason="bounce"
        ),
        "consent.consentchange": ConsentChange.objects.get(address="bounced@example.com"),
        "emails.email": email,
        "attachments.attachment": attachment,
        "contacts.contact": contact,
        "team.label": label,
        "axes.accessattempt": AccessAttempt.objects.create(
            **access, get_data="", post_data="", failures_since_start=1
        ),
        "axes.accesslog": AccessLog.objects.create(**access, logout_time=now + timedelta(1)),
        "axes.accessfailurelog": AccessFailureLog.objects.create(**access),
    }

    def client_for(identity: str) -> Client:
        if identity == "token":
            return Client(headers={"Authorization": f"Token {token.key}"})
        client = Client(enforce_csrf_checks=True)
        if identity in ("user", "staff"):
            client.force_login(user if identity == "user" else staff)
            client.cookies["csrftoken"] = CSRF_TOKEN
        return client

    def path_for(route: Route) -> str:
        values = {}
        for name in route.kwargs:
            if name == "format":
                values[name] = "json"
            elif name == "object_id" and route.model_label:
                values[name] = str(objects[route.model_label].pk)
            elif name == "object_id":  # the admin's "view on site" for a message
                values[name] = str(sms.pk)
            elif name == "id":  # the admin's password change for a user
                values[name] = str(user.pk)
            elif name == "content_type_id":
                values[name] = str(ContentType.objects.get_for_model(Message).pk)
            elif name == "app_label":
                values[name] = "messaging"
            elif name == "attachment_id":
                values[name] = str(attachment.pk)
            elif name == "filename":
                values[name] = attachment.filename
            elif name == "token" and route.name == "welcome":
                values[name] = invitation.token
            elif name == "token" and route.name == "email-unsubscribe":
                values[name] = unsubscribe_url("ada@example.com").rsplit("/", 1)[1]
            elif name == "token":
                values[name] = attachment_public_url(attachment).split("/")[-2]
            elif name == "url":
                values[name] = "no-such-admin-page/"
            elif name == "pk" and route.name in ("message-cancel", "email-cancel"):
                values[name] = str((scheduled_sms if route.name[0] == "m" else scheduled_email).id)
            elif name == "pk" and route.name.startswith("export_job-"):
                values[name] = str(export_job.id)
            elif name == "pk" and route.name.startswith("broadcast-"):
                values[name] = str((paused if route.name == "broadcast-resume" else sending).id)
            elif name == "pk":
                prefix = route.name.split("-")[0]
                values[name] = str(
                    {
                        "seed": sms.conversation_id,
                        "conversation": sms.conversation_id,
                        "message": failed.id,
                        "email": email.id,
                        "email_thread": email_thread_id,
                        "contact": contact.id,
                        "teammate": user.pk,
                        "label": label.pk,
                        "saved_reply": saved_reply.pk,
                    }[prefix]
                )
            else:
                raise AssertionError(f"{route.pattern}: no value for the converter {name!r}")
        if route.name:
            path = reverse(route.name, kwargs=values)
        else:
            path = "/" + route.pattern.replace("(?P<url>.*)$", values.get("url", ""))
            if route.model_label:
                path = reverse(
                    f"admin:{route.model_label.replace('.', '_')}_change",
                    kwargs={"object_id": values["object_id"]},
                ).removesuffix("change/")
        # The path is this route's own, not another's that happens to match first.
        # (Django drops the "^" of an included regex when it joins the route.)
        assert resolve(path).route == route.pattern.replace("/^", "/"), path
        return path

    return client_for, path_for


def request(client, path: str, kind: Kind, identity: str, *, csrf_header: bool = True):
    headers = {"X-CSRFToken": CSRF_TOKEN} if csrf_header and identity in ("user", "staff") else {}
    if kind.method == "get":
        return client.get(path, kind.body, headers=headers)
    if kind.form:
        upload = SimpleUploadedFile("contacts.csv", b"name,phone\nAda,+14155550123\n")
        return client.post(path, {"file": upload}, headers=headers)
    if kind in WEBHOOKS:
        return client.post(
            path,
            urlencode(kind.body),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )
    send = getattr(client, kind.method)  # post or patch
    return send(path, kind.body, content_type="application/json", headers=headers)


# --------------------------------------------------------------------------- the tests


def test_every_url_pattern_is_classified():
    walked = {route.key for route in ROUTES}
    unclassified = sorted(walked - set(EXPECTED))
    stale = sorted(set(EXPECTED) - walked)

    assert not unclassified, (
        f"URL patterns nobody has classified: {unclassified}. Add each to EXPECTED in "
        "tests/test_auth_matrix.py with who may open it."
    )
    assert not stale, f"EXPECTED names patterns that no longer exist: {stale}"
    admin_models = {route.model_label for route in ROUTES if route.model_label}
    assert admin_models == set(ADMIN_MODELS), "a model joined or left the admin: ADMIN_MODELS"


@pytest.mark.django_db
@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("route", ROUTES, ids=[route.pattern or "/" for route in ROUTES])
def test_each_identity_gets_exactly_what_it_should(world, route, identity):
    if route.key not in EXPECTED:
        pytest.fail(f"{route.pattern} is not classified in EXPECTED", pytrace=False)
    client_for, path_for = world
    kind = EXPECTED[route.key]

    response = request(client_for(identity), path_for(route), kind, identity)

    expected_outcome(route, identity).check(response, route, identity)


API_WRITES = [
    route
    for route in ROUTES
    if route.key in EXPECTED
    and EXPECTED[route.key].method != "get"
    and EXPECTED[route.key] not in WEBHOOKS
]


@pytest.mark.django_db
@pytest.mark.parametrize("route", API_WRITES, ids=[route.pattern for route in API_WRITES])
def test_a_session_write_without_the_csrf_token_is_refused(world, route):
    client_for, path_for = world
    kind = EXPECTED[route.key]
    messages_before = Message.objects.count()

    # The request as the route takes it (JSON, or the import's form), minus the CSRF header.
    response = request(client_for("user"), path_for(route), kind, "user", csrf_header=False)

    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]
    assert Message.objects.count() == messages_before


# The websocket routes (hatch.asgi) are outside the URLconf: each is classified here with the
# test that proves who may open it (an AttributeError if that test is renamed).
WEBSOCKET_ROUTES = {
    "ws/inbox/": realtime_tests.test_an_anonymous_socket_is_refused_with_4401_and_hears_nothing,
}


def test_every_websocket_route_is_classified():
    from hatch.asgi import application

    node = application.application_mapping["websocket"]
    while not hasattr(node, "routes"):  # origin check, cookies, session, auth, then the router
        node = getattr(node, "application", None) or node.inner

    assert {str(route.pattern) for route in node.routes} == set(WEBSOCKET_ROUTES)
