"""Twilio's webhooks: inbound SMS and outbound status callbacks."""

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from twilio.request_validator import RequestValidator

from hatch.errors import ValidationError
from hatch.webhooks import WebhookView, public_url
from messaging import services

logger = logging.getLogger(__name__)

# An empty TwiML document: "received, no reply".
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
# Twilio allows at most 10 media per message; a larger NumMedia is not Twilio's.
MAX_MEDIA = 10
_MEDIA_INDEX = re.compile(r"^MediaUrl(\d+)$")


class TwilioWebhookView(WebhookView):
    provider = "Twilio"

    def signature_is_valid(self, request: HttpRequest) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not settings.TWILIO_AUTH_TOKEN:
            return False
        return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(
            public_url(request), request.POST, signature
        )

    @staticmethod
    def twiml() -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

    @staticmethod
    def bad_request(message: str) -> JsonResponse:
        return JsonResponse({"error": message}, status=400)


class InboundSmsView(TwilioWebhookView):
    """An SMS or MMS someone sent to one of Hatch's numbers."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        form = request.POST
        missing = [name for name in ("From", "To", "MessageSid") if not form.get(name)]
        if missing:
            return self.bad_request(f"Missing field(s): {', '.join(missing)}.")
        media_count = sum(1 for key in form if _MEDIA_INDEX.match(key))
        if media_count > MAX_MEDIA:
            return self.bad_request(
                f"At most {MAX_MEDIA} media per message (Twilio's limit); this one has "
                f"{media_count}. Nothing was stored."
            )
        try:
            _message, created = services.message_receive(
                from_contact=form["From"],
                to_contact=form["To"],
                body=form.get("Body", ""),
                provider_message_id=form["MessageSid"][:64],
                media=_media(form),
                opt_out_type=form.get("OptOutType", ""),
            )
        except ValidationError as error:
            return self.bad_request(error.message)
        if not created:
            logger.info("Inbound SMS %s received again; already stored", form["MessageSid"])
        return self.twiml()


class StatusCallbackView(TwilioWebhookView):
    """Twilio reporting the progress of an outbound message."""

    def handle(self, request: HttpRequest) -> HttpResponse:
        form = request.POST
        status = form.get("MessageStatus") or form.get("SmsStatus")
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not status or not sid:
            return self.bad_request("Missing field(s): MessageSid and MessageStatus are required.")
        services.message_status_apply(
            provider_message_id=sid[:64],
            provider_status=status[:32],
            message_id=request.GET.get("message_id", ""),
            error_code=form.get("ErrorCode", ""),
            error_message=form.get("ErrorMessage", "")[:1000],
            payload=form.dict(),
        )
        return self.twiml()


def _media(form) -> list[dict]:
    """Every MediaUrl{N} with its MediaContentType{N}, not only the first."""
    indexes = sorted(int(match.group(1)) for key in form if (match := _MEDIA_INDEX.match(key)))
    return [
        {"url": form[f"MediaUrl{index}"], "content_type": form.get(f"MediaContentType{index}", "")}
        for index in indexes[:MAX_MEDIA]
    ]
