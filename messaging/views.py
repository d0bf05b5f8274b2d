from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from messaging.models import BODY_MAX_LENGTH


@require_GET
@login_required
@ensure_csrf_cookie
def inbox(request):
    """The inbox shell: the page reads and writes through the JSON API (messaging.api).

    Its script sends the csrftoken cookie back as X-CSRFToken, hence ensure_csrf_cookie.
    """
    return render(request, "messaging/inbox.html", {"body_max_length": BODY_MAX_LENGTH})
