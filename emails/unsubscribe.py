"""Unsubscribing from a broadcast's email: the link in its footer, its List-Unsubscribe
headers (RFC 2369 and RFC 8058's one-click POST), and the page both lead to.

The link carries the address, signed (django.core.signing) so that nobody can unsubscribe
someone else, and never expires: an old newsletter's link must still work. Following it
shows a page with one button, as mail scanners open links on their own and a GET must not
change anything; the button, or the mail client's one-click POST, records the consent
(consent.services.address_suppress, reason "unsubscribe"), which every later email to the
address then respects.
"""

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from consent.models import SuppressionReason
from consent.services import address_suppress

_SALT = "hatch.emails.unsubscribe"


def unsubscribe_url(address: str) -> str:
    """The address's own unsubscribe link, on PUBLIC_BASE_URL."""
    token = signing.dumps(address.lower(), salt=_SALT, compress=True)
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("email-unsubscribe", args=[token])


def unsubscribe_headers(address: str) -> dict[str, str]:
    """The List-Unsubscribe headers of a broadcast's email to ``address``."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(address)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def with_unsubscribe_footer(body: str, html_content: str, address: str) -> tuple[str, str]:
    """The text and HTML parts with the unsubscribe link below them."""
    url = unsubscribe_url(address)
    body = f"{body.rstrip()}\n\n--\nTo stop these emails, unsubscribe: {url}\n"
    if html_content:
        html_content = (
            f'{html_content}\n<p style="font-size:small;color:#666">'
            f'<a href="{url}">Unsubscribe</a> to stop these emails.</p>'
        )
    return body, html_content


@csrf_exempt  # the one-click POST comes from a mail provider, with no session or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        address = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return render(request, "emails/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        address_suppress(
            address=address,
            channel="email",
            reason=SuppressionReason.UNSUBSCRIBE,
            detail="Unsubscribe link in a broadcast",
        )
        return render(request, "emails/unsubscribe.html", {"address": address, "done": True})
    return render(request, "emails/unsubscribe.html", {"address": address})
