"""The base of every provider webhook: POST only, CSRF-exempt, signature checked first.

403 for a missing or wrong signature (and nothing changes); 400 for an authentic request
Hatch cannot read, and for a form nobody could sign (malformed, or more fields than
DATA_UPLOAD_MAX_NUMBER_FIELDS); 413, as the API answers, for a body over
DATA_UPLOAD_MAX_MEMORY_SIZE; 200 for everything authentic, duplicates and unknown records
included, so that providers stop retrying. 5xx only when a retry is wanted (the database is
down). Every error is JSON ``{"error": ...}``, never Django's HTML page.
"""

import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from core.text import without_nul

logger = logging.getLogger(__name__)


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    http_method_names = ["post"]
    provider = ""

    def post(self, request: HttpRequest) -> HttpResponse:
        # Read whole before the form is parsed, so that it stays readable for a signature
        # over the raw body (a multipart form would otherwise be streamed away). A body over
        # DATA_UPLOAD_MAX_MEMORY_SIZE never gets here: RequestBodyLimitMiddleware has
        # answered it with the API's JSON 413.
        request.body  # noqa: B018
        try:
            # Parsed here, where a form nobody could have signed is a JSON 400, rather than
            # inside the signature check, where Django would answer its HTML page.
            request.POST  # noqa: B018
        except (SuspiciousOperation, MultiPartParserError) as error:
            logger.warning("%s webhook %s: unreadable form: %s", self.provider, request.path, error)
            return JsonResponse(
                {
                    "error": "The form cannot be read: malformed, or more than "
                    f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields."
                },
                status=400,
            )
        if settings.WEBHOOK_SIGNATURES_REQUIRED and not self.signature_is_valid(request):
            logger.warning(
                "%s webhook %s: missing or invalid signature", self.provider, request.path
            )
            return JsonResponse({"error": "Missing or invalid signature."}, status=403)
        # After the signature, which covers the fields as sent: PostgreSQL cannot store NUL
        # in text or jsonb (a 500, and the provider retrying), and no provider sends one.
        request.POST = _without_nul(request.POST)
        request.GET = _without_nul(request.GET)
        return self.handle(request)

    def signature_is_valid(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def handle(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def http_method_not_allowed(self, request, *args, **kwargs):
        return JsonResponse(
            {"error": "Only POST is allowed."}, status=405, headers={"Allow": "POST"}
        )


def _without_nul(form: QueryDict) -> QueryDict:
    if not any("\x00" in key or "\x00" in "".join(form.getlist(key)) for key in form):
        return form
    cleaned = QueryDict(mutable=True)
    for key in form:
        cleaned.setlist(without_nul(key), without_nul(form.getlist(key)))
    cleaned._mutable = False
    return cleaned


def public_url(request: HttpRequest) -> str:
    """The URL the provider called, as seen from outside (PUBLIC_BASE_URL, not the proxy)."""
    return f"{settings.PUBLIC_BASE_URL}{request.get_full_path()}"
