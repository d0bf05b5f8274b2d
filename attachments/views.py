"""Serving stored files: to signed-in people, and to providers through a signed URL.

Files come from outside (an MMS's sender, an email's), so none may act as a page of
Hatch's: each is served with the type detected when it was stored and ``nosniff`` (the
browser never guesses another), and with ``Content-Security-Policy: sandbox``, which gives
the document an origin of its own and no scripts: an HTML or SVG file opened here cannot
read the inbox or act as the person who opened it. Only images, audio, video and PDF are
shown in the browser; every other type (SVG and HTML included) is downloaded.

PDFs are the one exception to ``sandbox``: browsers render a PDF in their own viewer,
whose scripts never run in Hatch's origin, and a sandboxed PDF is refused outright
("blocked by Chrome") or shown blank (Safari). The site-wide policy (SECURE_CSP) still
applies to them, and a file is served as a PDF only when its bytes are one.
"""

import uuid

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe
from rest_framework import exceptions

from attachments import selectors
from attachments.models import Attachment
from web.authentication import TokenAuthentication

# Stored files never change (a new file is a new id), so a browser may keep one; "private"
# keeps it out of shared caches, and an hour bounds how long a signed-out browser still has
# it.
CACHE_SECONDS = 3600
_SHOWN_IN_BROWSER = ("image/", "audio/", "video/")


@require_safe
def attachment_download(request: HttpRequest, attachment_id: uuid.UUID, filename: str):
    """``/files/<id>/<filename>``: for signed-in people (the session) and programs (a token).

    Without either, a person is sent to the sign-in page and back, as the inbox does: these
    links are opened from the inbox, in a tab, after a session may have expired. A program
    that sent a token the API would refuse gets the API's 401 instead.
    """
    refused = _refusal_if_not_signed_in(request)
    if refused is not None:
        return refused
    attachment = selectors.attachment_get(attachment_id=attachment_id, filename=filename)
    if attachment is None:
        raise Http404("No such file.")
    return _file_response(request, attachment)


@require_safe
def attachment_public(request: HttpRequest, token: str, filename: str):
    """``/media/<signed token>/<filename>``: no sign-in, while the signature is valid and
    young enough (attachments.selectors.attachment_public_url); 404 otherwise, whatever
    the reason, so that a guess learns nothing. Twilio asks with HEAD and GET."""
    attachment = selectors.attachment_for_public_token(token=token, filename=filename)
    if attachment is None:
        raise Http404("No such file.")
    return _file_response(request, attachment)


def _refusal_if_not_signed_in(request: HttpRequest) -> HttpResponse | None:
    if request.user.is_authenticated:
        return None
    if "Authorization" not in request.headers:
        return redirect_to_login(request.get_full_path())
    try:
        signed_in = TokenAuthentication().authenticate(request)
    except exceptions.AuthenticationFailed as error:
        return _unauthorised(str(error.detail))
    if signed_in is None:  # another scheme than "Token <key>"
        return _unauthorised(str(exceptions.NotAuthenticated.default_detail))
    request.user = signed_in[0]
    return None


def _unauthorised(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=401, headers={"WWW-Authenticate": "Token"})


def _file_response(request: HttpRequest, attachment: Attachment) -> HttpResponse:
    content_type = attachment.content_type
    is_pdf = content_type == "application/pdf"
    shown = is_pdf or (
        content_type.startswith(_SHOWN_IN_BROWSER) and content_type != "image/svg+xml"
    )
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"  # stored as text only when it is UTF-8
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": f"private, max-age={CACHE_SECONDS}",
    }
    if not is_pdf:
        headers["Content-Security-Policy"] = "sandbox"
    if request.method == "HEAD":
        # The headers only: the file is not opened (Twilio checks the type with HEAD).
        headers["Content-Disposition"] = content_disposition_header(not shown, attachment.filename)
        headers["Content-Length"] = str(attachment.size)
        return HttpResponse(content_type=content_type, headers=headers)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=not shown,
        filename=attachment.filename,
        content_type=content_type,
        headers=headers,
    )
