"""The team's pages: the Team page (admins) and the welcome page of an invitation link."""

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import Conflict, NotFound, ValidationError
from team import selectors, services
from team.models import Role

# The session of someone who signs in through their invitation: the usual password check.
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_GET
@login_required
@ensure_csrf_cookie
def team_page(request):
    """Teammates, invitations and labels; the page works through the team API (team.api).

    Its script sends the csrftoken cookie back as X-CSRFToken, hence ensure_csrf_cookie.
    """
    if not selectors.is_team_admin(request.user):
        return render(request, "team/admins_only.html", status=403)
    return render(request, "team/team.html", {"roles": Role.choices})


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request, token: str):
    """Where an invitation link leads: the invited person chooses a password, once, and is
    signed in. A link that is unknown (404), used or expired (410) says so in words."""
    invitation = selectors.invitation_for_token(token)
    if invitation is None:
        return _link_refused(request, services.INVITATION_UNKNOWN, status=404)
    problem = selectors.invitation_problem(invitation)
    if problem:
        return _link_refused(request, problem, status=410)

    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"]
            )
        except NotFound as error:
            return _link_refused(request, error.message, status=404)
        except Conflict as error:  # used or expired while the form was being filled in
            return _link_refused(request, error.message, status=410)
        except ValidationError as error:
            form.add_error("new_password1", error.message)
        else:
            login(request, user, backend=SIGN_IN_BACKEND)
            return redirect("inbox")
    return render(request, "team/welcome.html", {"form": form, "invited": invitation.user})


def _link_refused(request, message: str, *, status: int):
    return render(request, "team/welcome_refused.html", {"message": message}, status=status)
