"""SendGrid's signed Event Webhook.

The provider package checks the signature and reads the batch into Hatch's tracking events
(emails.providers.sendgrid.webhooks); emails.services applies them.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import ValidationError
from emails import services
from emails.providers.sendgrid import webhooks as sendgrid
from web.webhooks import WebhookView


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
