"""SMS_ALLOWED_COUNTRIES: an SMS to a country the team has not allowed is refused with a
400 that names the country, and nothing is stored (SMS pumping sends to premium numbers
abroad; by default only HATCH_DEFAULT_REGION's country is allowed)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from messaging.models import Conversation, Message

pytestmark = pytest.mark.django_db

UK = "+447400123456"  # a mobile number in the United Kingdom
CANADA = "+16135550123"
US = "+14155552671"


def send(api_client, to):
    return api_client.post("/api/send_message", {"to": to, "body": "Hello"}, format="json")


def test_by_default_only_the_default_regions_country_is_allowed(api_client, settings):
    assert settings.SMS_ALLOWED_COUNTRIES == [settings.HATCH_DEFAULT_REGION] == ["US"]

    assert send(api_client, US).status_code == 200
    for number, country in ((UK, "United Kingdom (GB)"), (CANADA, "Canada (CA)")):
        refused = send(api_client, number)

        assert refused.status_code == 400
        assert refused.json()["error"] == (
            f"{number} is a number in {country}, and Hatch sends SMS only to numbers in "
            "United States (US). An administrator can allow more countries "
            "(SMS_ALLOWED_COUNTRIES)."
        )
    assert list(Message.objects.values_list("to_contact", flat=True)) == [US]
    assert Conversation.objects.count() == 1


def test_listed_countries_are_allowed_and_a_star_allows_every_one(api_client, settings):
    settings.SMS_ALLOWED_COUNTRIES = ["US", "GB"]
    assert send(api_client, UK).status_code == 200
    assert send(api_client, CANADA).status_code == 400

    settings.SMS_ALLOWED_COUNTRIES = ["*"]
    assert send(api_client, CANADA).status_code == 200
    assert Message.objects.count() == 2


def test_the_send_command_is_refused_the_same_way(settings):
    with pytest.raises(CommandError, match=r"United Kingdom \(GB\)"):
        call_command("send_sms", "--to", UK, "--body", "Hello")
    assert not Message.objects.exists()


def test_internal_messages_have_no_country(api_client):
    assert send(api_client, "Front desk").status_code == 200
