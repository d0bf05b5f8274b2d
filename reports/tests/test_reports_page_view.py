"""The Reports page's view: signed-in teammates only, and the page is handed the reports'
addresses and the counts' time zone and refresh interval (the page itself is tested in a
browser: test_reports_page.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from messaging.tests.factories import DEFAULT_PASSWORD


@pytest.fixture
def signed_in(user):
    client = Client()
    assert client.login(username=user.username, password=DEFAULT_PASSWORD)
    return client


@pytest.mark.django_db
def test_someone_signed_out_is_sent_to_sign_in_first():
    response = Client().get("/reports")

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/reports"


def test_the_page_names_the_reports_it_reads_and_the_counts_clock(signed_in, settings):
    settings.TIME_ZONE = "Europe/Lisbon"
    settings.REPORTS_REFRESH_SECONDS = 600

    response = signed_in.get("/reports")

    assert response.status_code == 200
    page = response.content.decode()
    for attribute, url in (
        ("data-volume-url", "/api/reports/volume"),
        ("data-delivery-url", "/api/reports/delivery"),
        ("data-errors-url", "/api/reports/errors"),
        ("data-response-times-url", "/api/reports/response_times"),
        ("data-time-zone", "Europe/Lisbon"),
        ("data-refresh-seconds", "600"),
    ):
        assert f'{attribute}="{url}"' in page
    # Chart.js is served by Hatch, before the page's own module.
    assert page.index("/static/vendor/chart.js/chart.umd.min.js") < page.index(
        "/static/js/reports.js"
    )


def test_the_page_only_answers_get(signed_in):
    assert signed_in.post("/reports").status_code == 405
