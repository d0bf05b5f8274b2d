"""The Broadcasts page: compose, preview and follow broadcasts. The page works through the
broadcasts API (broadcasts.api) and hears their progress on the inbox's websocket."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from messaging.models import BODY_MAX_LENGTH


@require_GET
@login_required
@ensure_csrf_cookie
def broadcasts_page(request):
    """Every signed-in teammate may broadcast, as the API lets them.

    Its script sends the csrftoken cookie back as X-CSRFToken, hence ensure_csrf_cookie.
    """
    return render(
        request,
        "broadcasts/broadcasts.html",
        {
            # The page counts an SMS's segments with the footer each one ends with.
            "sms_footer": settings.BROADCAST_SMS_FOOTER.strip(),
            "body_max_length": BODY_MAX_LENGTH,
        },
    )
