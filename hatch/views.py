import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# Requests under these prefixes are made by programs: they get JSON errors, not pages.
_MACHINE_PREFIXES = ("/api/", "/webhooks/", "/health")


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


def page_not_found(request, exception):
    if request.path.startswith(_MACHINE_PREFIXES):
        return JsonResponse({"error": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith(_MACHINE_PREFIXES):
        return JsonResponse(
            {"error": "Internal server error. The team has been notified."}, status=500
        )
    return render(request, "500.html", status=500)
