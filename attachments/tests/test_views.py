"""Serving files: to signed-in people and token holders, and through expiring public URLs."""

import time
from unittest import mock
from urllib.parse import quote, urlsplit

import pytest
from django.core import signing
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from attachments.selectors import attachment_download_url, attachment_public_url
from attachments.services import EMAIL_POLICY, attachment_store
from attachments.tests import samples

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def browser(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def photo():
    return attachment_store(filename="table 4.png", content=samples.png(), policy=EMAIL_POLICY)


def test_a_signed_in_person_gets_the_bytes_with_headers_that_keep_the_file_inert(browser, photo):
    response = browser.get(f"/files/{photo.id}/table%204.png")

    assert response.status_code == 200
    assert body(response) == samples.png()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(samples.png()))
    assert response["Content-Disposition"] == 'inline; filename="table 4.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["Content-Security-Policy"] == "sandbox"


def test_the_download_url_is_the_files_address(browser, photo):
    assert attachment_download_url(photo) == f"/files/{photo.id}/table%204.png"
    assert body(browser.get(attachment_download_url(photo))) == samples.png()


def test_a_program_with_a_token_gets_the_bytes(photo, user):
    token = Token.objects.create(user=user)

    response = Client().get(
        attachment_download_url(photo), headers={"Authorization": f"Token {token.key}"}
    )

    assert response.status_code == 200
    assert body(response) == samples.png()


def test_an_anonymous_browser_is_sent_to_sign_in_and_back(photo):
    url = attachment_download_url(photo)

    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(url, safe='/')}"


@pytest.mark.parametrize("authorization", ["Token not-a-token", "Basic YWRhOnNlY3JldA=="])
def test_a_program_without_a_valid_token_is_refused_with_a_json_401(photo, authorization):
    response = Client().get(
        attachment_download_url(photo), headers={"Authorization": authorization}
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"]


def test_an_inactive_users_token_is_refused(photo, user):
    token = Token.objects.create(user=user)
    user.is_active = False
    user.save()

    response = Client().get(
        attachment_download_url(photo), headers={"Authorization": f"Token {token.key}"}
    )

    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/files/{id}/table%205.png",
        "/files/{id}/TABLE%204.png",
        "/files/00000000-0000-0000-0000-000000000000/table%204.png",
    ],
)
def test_a_wrong_name_or_an_unknown_id_is_a_404(browser, photo, path):
    assert browser.get(path.format(id=photo.id)).status_code == 404


def test_writes_are_not_allowed(browser, photo):
    assert browser.post(attachment_download_url(photo)).status_code == 405


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("logo.svg", samples.SVG, "image/svg+xml"),
        ("page.html", samples.HTML, "text/html; charset=utf-8"),
        ("notes.txt", b"hello\n", "text/plain; charset=utf-8"),
        ("setup.bin", b"\x00\x01\x02", "application/octet-stream"),
    ],
)
def test_anything_but_media_and_pdf_is_downloaded_in_a_sandbox(
    browser, filename, content, content_type
):
    attachment = attachment_store(filename=filename, content=content, policy=EMAIL_POLICY)

    response = browser.get(attachment_download_url(attachment))

    assert body(response) == content
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_is_shown_inline_without_sandbox_which_browsers_refuse_to_render(browser):
    pdf = attachment_store(filename="Café menu.pdf", content=samples.PDF, policy=EMAIL_POLICY)

    response = browser.get(attachment_download_url(pdf))

    assert body(response) == samples.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == "inline; filename*=utf-8''Caf%C3%A9%20menu.pdf"
    # The site-wide policy, not a sandbox.
    assert "sandbox" not in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_non_ascii_name_is_encoded_for_the_header(browser):
    photo = attachment_store(filename="фото «1».jpg", content=samples.JPEG, policy=EMAIL_POLICY)

    response = browser.get(attachment_download_url(photo))

    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''%D1%84%D0%BE%D1%82%D0%BE%20%C2%AB1%C2%BB.jpg"
    )


# --------------------------------------------------------------------------- public URLs


def public_path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path


def test_a_public_url_serves_the_file_without_sign_in(photo, settings):
    url = attachment_public_url(photo)

    assert url.startswith(f"{settings.PUBLIC_BASE_URL}/media/")
    assert url.endswith("/table%204.png")
    response = Client().get(public_path(url))
    assert response.status_code == 200
    assert body(response) == samples.png()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="table 4.png"'
    assert response["Content-Security-Policy"] == "sandbox"


def test_a_public_url_answers_head_with_the_headers_twilio_checks(photo):
    response = Client().head(public_path(attachment_public_url(photo)))

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(samples.png()))
    assert response["Content-Disposition"] == 'inline; filename="table 4.png"'


def test_a_public_url_stops_working_after_its_max_age(photo, settings):
    settings.ATTACHMENT_PUBLIC_URL_MAX_AGE = 600
    path = public_path(attachment_public_url(photo))
    now = time.time()

    with mock.patch("time.time", return_value=now + 599):
        assert Client().get(path).status_code == 200
    with mock.patch("time.time", return_value=now + 601):
        assert Client().get(path).status_code == 404


def test_a_public_url_made_yesterday_has_expired_by_default(photo):
    with mock.patch("time.time", return_value=time.time() - 86401):
        path = public_path(attachment_public_url(photo))

    assert Client().get(path).status_code == 404


def test_a_shorter_max_age_applies_to_urls_already_made(photo):
    path = public_path(attachment_public_url(photo))

    with (
        override_settings(ATTACHMENT_PUBLIC_URL_MAX_AGE=1),
        mock.patch("time.time", return_value=time.time() + 2),
    ):
        assert Client().get(path).status_code == 404


def test_a_tampered_or_foreign_token_is_a_404(photo):
    other = attachment_store(filename="table 4.png", content=samples.GIF, policy=EMAIL_POLICY)
    token = public_path(attachment_public_url(photo)).split("/")[2]
    value, timestamp, signature = token.split(":")
    forged = [
        f"{other.id.hex}:{timestamp}:{signature}",  # another file, the same signature
        # The first character: the last one carries bits base64 decoding ignores.
        f"{value}:{timestamp}:{'B' if signature[0] == 'A' else 'A'}{signature[1:]}",
        signing.TimestampSigner().sign(photo.id.hex),  # signed without the URLs' salt
        photo.id.hex,
        "not-a-token",
    ]

    for candidate in forged:
        assert Client().get(f"/media/{candidate}/table%204.png").status_code == 404, candidate


def test_a_public_url_with_another_file_name_is_a_404(photo):
    path = public_path(attachment_public_url(photo))

    assert Client().get(path.replace("table%204.png", "table.png")).status_code == 404
