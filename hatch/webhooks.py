"""The base of every provider webhook: POST only, CSRF-exempt, signature checked first.

403 for a missing or wrong signature (and nothing changes); 400 for an authentic request
Hatch cannot read; 413, as the API answers, for a body over DATA_UPLOAD_MAX_MEMORY_SIZE; 200
for everything authentic, duplicates and unknown records included, so that providers stop
retrying. 5xx only when a retry is wanted (the database is down).
"""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    http_method_names = ["post"]
    provider = ""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            # Read the body once, within the limit, before anything parses it; otherwise
            # Django's generic HTML 400 page answers, unlike every other error here.
            request.body  # noqa: B018
        except RequestDataTooBig:
            logger.warning("%s webhook %s: body too large", self.provider, request.path)
            return JsonResponse({"error": "The request body is too large."}, status=413)
        if settings.WEBHOOK_SIGNATURES_REQUIRED and not self.signature_is_valid(request):
            logger.warning(
                "%s webhook %s: missing or invalid signature", self.provider, request.path
            )
            return JsonResponse({"error": "Missing or invalid signature."}, status=403)
        return self.handle(request)

    def signature_is_valid(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def handle(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def http_method_not_allowed(self, request, *args, **kwargs):
        return JsonResponse(
            {"error": "Only POST is allowed."}, status=405, headers={"Allow": "POST"}
        )


def public_url(request: HttpRequest) -> str:
    """The URL the provider called, as seen from outside (PUBLIC_BASE_URL, not the proxy)."""
    return f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
