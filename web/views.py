import logging

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET, require_safe

from web.exception_handler import body_too_large_message

logger = logging.getLogger(__name__)

# Requests under these prefixes are made by programs: they get JSON errors, not pages.
MACHINE_PREFIXES = ("/api/", "/webhooks/", "/health")


@require_safe
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin, the
    browsable API, JSON): Hatch's icon, from the static files. Not permanent: its hashed
    name changes with the file."""
    return redirect(static("img/hatch.svg"))


@require_GET
def health(request):
    """200 when the database answers, 503 otherwise. No authentication: load balancers call it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        return JsonResponse(
            {"status": "unavailable", "error": "The database is unreachable."}, status=503
        )
    return JsonResponse({"status": "ok"})


def bad_request(request, exception):
    """Django's answer to a body it refused to read: too large (413, saying the limit), too
    many fields or malformed (400). JSON for programs, a page for people."""
    if isinstance(exception, RequestDataTooBig):
        status, message = 413, body_too_large_message()
    else:
        status, message = 400, "The request was malformed or had too many fields."
    if request.path.startswith(MACHINE_PREFIXES):
        return JsonResponse({"error": message}, status=status)
    return render(request, "400.html", {"status": status, "message": message}, status=status)


def page_not_found(request, exception):
    if request.path.startswith(MACHINE_PREFIXES):
        return JsonResponse({"error": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith(MACHINE_PREFIXES):
        return JsonResponse(
            {"error": "Internal server error. The team has been notified."}, status=500
        )
    return render(request, "500.html", status=500)
