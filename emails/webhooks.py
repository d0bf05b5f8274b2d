"""SendGrid's webhooks: the signed Event Webhook, and Inbound Parse (received email).

The provider package checks the signature or the credentials and reads each payload into
Hatch's events (emails.providers.sendgrid.webhooks, .inbound); emails.services stores them.
"""

import logging
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import collapse_rfc2231_value

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.datastructures import MultiValueDict

from core.errors import ValidationError
from emails import services
from emails.providers.sendgrid import inbound
from emails.providers.sendgrid import webhooks as sendgrid
from web.webhooks import WebhookView

logger = logging.getLogger(__name__)


class SendGridEventsView(WebhookView):
    provider = "SendGrid"

    def signature_is_valid(self, request: HttpRequest) -> bool:
        return sendgrid.signature_is_valid(request)

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            events = sendgrid.tracking_events(request.body)
        except ValidationError as error:
            return JsonResponse({"error": error.message}, status=400)
        return JsonResponse(services.email_events_apply(events=events))


class SendGridInboundView(WebhookView):
    """An email someone sent to Hatch's parse domain, as SendGrid's Inbound Parse posts it.

    Inbound Parse signs nothing: the URL configured at SendGrid carries Basic credentials
    (SENDGRID_INBOUND_USERNAME, SENDGRID_INBOUND_PASSWORD), checked before anything is
    read; without them, 401 and a challenge. A post that is not an email is a 400 with the
    reason. 200 only once the email is stored (or was already): SendGrid retries a 5xx for
    three days, then drops the email without a word, so a database outage must answer
    5xx (web.middleware answers it 503), never a 2xx for an email Hatch did not keep.
    """

    provider = "SendGrid Inbound Parse"
    realm = "Hatch SendGrid Inbound Parse"

    def post(self, request: HttpRequest) -> HttpResponse:
        # Not WebhookView.post: credentials rather than a signature (401, not 403), and a
        # form whose text fields may be far larger than Django's parser allows.
        if settings.WEBHOOK_SIGNATURES_REQUIRED and not inbound.credentials_match(
            request.headers.get("Authorization")
        ):
            logger.warning("%s %s: missing or wrong credentials", self.provider, request.path)
            return JsonResponse(
                {"error": "Missing or wrong credentials."},
                status=401,
                headers={"WWW-Authenticate": f'Basic realm="{self.realm}", charset="UTF-8"'},
            )
        try:
            form, files = _inbound_form(request)
            email = inbound.parse_inbound(form, files)
        except inbound.InboundParseError as error:
            logger.warning("%s %s: refused: %s", self.provider, request.path, error)
            return JsonResponse({"error": str(error)}, status=400)
        stored, created = services.email_receive(event=email)
        if not created:
            logger.info("%s: email %s received again; already stored", self.provider, stored.pk)
        return JsonResponse({"email_id": str(stored.pk), "created": created})


def _inbound_form(request: HttpRequest) -> tuple[QueryDict, MultiValueDict]:
    """The post's fields and files, read from the body (held to
    SENDGRID_INBOUND_MAX_BODY_SIZE by web.request_limits).

    Django's own multipart parser caps a form's text fields at DATA_UPLOAD_MAX_MEMORY_SIZE
    (1 MiB) in all, for every route alike, and Inbound Parse sends the email as text
    fields: the whole MIME message in raw mode, ``text`` and ``html`` in default mode. An
    email over that limit, a 2 MB attachment in raw mode say, would be refused, and
    SendGrid drops what is refused. So the body is parsed here with the standard library's
    MIME parser (multipart/form-data is MIME), which keeps every part's bytes exactly.
    """
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.content_type != "multipart/form-data":
        # SendGrid always posts multipart; anything else gets Django's reading (and limits).
        return request.POST, request.FILES
    try:
        header = f"Content-Type: {content_type}\r\n\r\n".encode("ascii")
    except UnicodeEncodeError:
        raise inbound.InboundParseError("The Content-Type header is not ASCII.") from None
    message = BytesParser(policy=policy.compat32).parsebytes(header + request.body)
    parts = message.get_payload() if message.is_multipart() else None
    if not parts or not message.get_boundary():
        raise inbound.InboundParseError(
            "The body is not multipart/form-data with a boundary, as SendGrid posts."
        )
    if len(parts) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        raise inbound.InboundParseError(
            f"The form has more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields."
        )
    form = QueryDict(mutable=True)
    files = MultiValueDict()
    for part in parts:
        disposition = _disposition(part)
        name = _text(disposition.get_param("name", header="content-disposition"))
        if not name:
            continue  # a part that names no field (no form would send one)
        content = part.get_payload(decode=True) or b""
        filename = disposition.get_filename()
        if filename is None:
            form.appendlist(name, content.decode("utf-8", "replace"))
        else:
            files.appendlist(
                name,
                SimpleUploadedFile(
                    _text(filename), content, part.get_content_type() or "application/octet-stream"
                ),
            )
    form._mutable = False
    return form, files


def _disposition(part: Message) -> Message:
    """The part's Content-Disposition alone, its raw 8-bit bytes read as UTF-8 (browsers
    and SendGrid write a file name so): the parser keeps them as surrogates, which reading
    the header through the part would turn into U+FFFD."""
    raw = next(
        (value for key, value in part.raw_items() if key.lower() == "content-disposition"), ""
    )
    header = Message()
    header["Content-Disposition"] = raw.encode("utf-8", "surrogateescape").decode(
        "utf-8", "replace"
    )
    return header


def _text(value) -> str:
    """A header parameter as text, RFC 2231 values (filename*=utf-8''...) collapsed."""
    if value is None:
        return ""
    return collapse_rfc2231_value(value).strip()
