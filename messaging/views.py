import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from attachments.services import EMAIL_POLICY, MMS_POLICY, AttachmentPolicy
from messaging.models import BODY_MAX_LENGTH
from team.selectors import display_name, is_team_admin, role_of


@require_GET
@login_required
@ensure_csrf_cookie
def inbox(request):
    """The inbox shell: the page reads and writes through the JSON API (messaging.api).

    Its script sends the csrftoken cookie back as X-CSRFToken, hence ensure_csrf_cookie.
    """
    return render(
        request,
        "messaging/inbox.html",
        {
            "body_max_length": BODY_MAX_LENGTH,
            # Who is looking: the page names them in presence and notes, and shows admins
            # the link to the Team page.
            "user_name": display_name(request.user),
            "user_role": role_of(request.user),
            "user_is_team_admin": is_team_admin(request.user),
            # The limits the page checks files against before a send (static/js/
            # attachments.js), from the one definition the server checks them with; JSON in
            # a data attribute (the template escapes it), like the page's other settings.
            "attachment_limits": json.dumps(
                {"mms": _limits(MMS_POLICY), "email": _limits(EMAIL_POLICY)}
            ),
        },
    )


def _limits(policy: AttachmentPolicy) -> dict:
    return {
        "what": policy.what,
        "maxFiles": policy.max_files,
        "maxBytes": policy.max_total_bytes,
        "types": sorted(policy.allowed_types) if policy.allowed_types is not None else None,
        "typesInWords": policy.allowed_description,
    }
