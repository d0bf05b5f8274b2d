"""Twilio's webhooks: inbound SMS and outbound status callbacks.

The views stay thin: the provider package (messaging.providers.twilio.webhooks) checks the
signature and turns the form into Hatch's events; the services take the events.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import ValidationError
from messaging import services
from messaging.providers.twilio import webhooks as twilio
from web.webhooks import WebhookView, public_url

logger = logging.getLogger(__name__)

# An empty TwiML document: "received, no reply".
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class TwilioWebhookView(WebhookView):
    provider = "Twilio"

    def signature_is_valid(self, request: HttpRequest) -> bool:
        return twilio.signature_is_valid(request, url=public_url(request))

    @staticmethod
    def twiml() -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

    @staticmethod
    def bad_request(message: str) -> JsonResponse:
        return JsonResponse({"error": message}, status=400)


class InboundSmsView(TwilioWebhookView):
    """An SMS or MMS someone sent to one of Hatch's numbers."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            event = twilio.inbound_message(request.POST)
            _message, created = services.message_receive(event=event)
        except ValidationError as error:
            return self.bad_request(error.message)
        if not created:
            logger.info("Inbound SMS %s received again; already stored", event.provider_message_id)
        return self.twiml()


class StatusCallbackView(TwilioWebhookView):
    """Twilio reporting the progress of an outbound message."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        try:
            event = twilio.status_changed(request.POST, request.GET)
        except ValidationError as error:
            return self.bad_request(error.message)
        services.message_status_apply(event=event)
        return self.twiml()
