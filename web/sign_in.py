"""Sign-in attempt limiting: django-axes' check, for sign-ins made over HTTP."""

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.shortcuts import render


class SignInAttemptsBackend(AxesStandaloneBackend):
    """Refuses a locked-out username+address before any password is checked.

    Axes counts attempts per request, so it refuses ``authenticate()`` calls without one.
    Those come from code, not from a person at a sign-in form (Django's test client,
    management commands), and there is no address to lock: they go on to ModelBackend.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def locked_out(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets (AXES_LOCKOUT_CALLABLE): 429, saying for how long."""
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)
