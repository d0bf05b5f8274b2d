"""The Reports page: charts of the team's messages for a date range and a channel. The page
reads the reports API (reports.api), which answers from the hourly counts the refresh keeps;
the view itself only hands the page its addresses and settings."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

# The reports the page reads (reports/urls.py), by the name the page gives each. Each one's
# CSV download is the same address with ?format=csv.
REPORT_URL_NAMES = {
    "volume": "reports-volume",
    "delivery": "reports-delivery",
    "errors": "reports-errors",
    "response_times": "reports-response-times",
}


@require_GET
@login_required
def reports_page(request):
    """Every signed-in teammate may read the reports, as the API lets them."""
    return render(
        request,
        "reports/reports.html",
        {
            "report_urls": {name: reverse(url) for name, url in REPORT_URL_NAMES.items()},
            # The counts' time zone (the heatmap's weekdays and hours, each day's bounds)
            # and how often they are refreshed: the page says both.
            "time_zone": settings.TIME_ZONE,
            "refresh_seconds": settings.REPORTS_REFRESH_SECONDS,
        },
    )
