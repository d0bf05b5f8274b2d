"""SendGrid's webhooks: the signed Event Webhook, and Inbound Parse (received email).

The provider package checks the signature or the credentials and reads each payload into
Hatch's events (emails.providers.sendgrid.webhooks, .inbound); emails.services stores them.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

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
            email = inbound.parse_inbound_request(request)
        except inbound.InboundParseError as error:
            logger.warning("%s %s: refused: %s", self.provider, request.path, error)
            return JsonResponse({"error": str(error)}, status=400)
        stored, created = services.email_receive(event=email)
        if not created:
            logger.info("%s: email %s received again; already stored", self.provider, stored.pk)
        return JsonResponse({"email_id": str(stored.pk), "created": created})
