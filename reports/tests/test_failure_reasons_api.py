"""GET /api/reports/failure_reasons: the providers' tables of error codes, by channel, as the
inbox's thread reads them once to explain a failed message or email."""

import pytest

URL = "/api/reports/failure_reasons"

pytestmark = pytest.mark.django_db


def test_a_signed_in_teammate_gets_both_channels_tables(api_client):
    response = api_client.get(URL)

    assert response.status_code == 200
    tables = response.json()
    assert set(tables) == {"sms", "email"}
    assert tables["sms"]["30007"] == {
        "code": "30007",
        "title": "The carrier filtered the message as spam",
        "action": tables["sms"]["30007"]["action"],
        "url": "https://www.twilio.com/docs/api/errors/30007",
        "provider": "Twilio",
    }
    assert tables["email"]["bounce"]["title"] == "The address does not exist (hard bounce)"
    assert tables["email"]["bounce"]["provider"] == "SendGrid"


def test_every_entry_says_what_happened_what_to_do_and_whose_code_it_is(api_client):
    tables = api_client.get(URL).json()

    for channel, reasons in tables.items():
        assert reasons, channel
        for code, reason in reasons.items():
            assert reason["code"] == code
            assert reason["title"] and reason["action"] and reason["provider"]
            assert reason["url"] == "" or reason["url"].startswith("https://www.twilio.com/docs/")


def test_the_tables_come_whichever_providers_are_configured(api_client, settings):
    # A development setup logging to the console still reads what Twilio and SendGrid
    # reported on the messages it has stored.
    settings.SMS_PROVIDER = "console"
    settings.EMAIL_PROVIDER = "console"

    tables = api_client.get(URL).json()

    assert tables["sms"]["30003"]["provider"] == "Twilio"
    assert tables["email"]["dropped-invalid"]["provider"] == "SendGrid"


def test_the_answer_reads_no_table_of_the_database(api_client, django_assert_num_queries):
    api_client.get(URL)  # the tables are imported on the first call

    # The token's look-up only: the tables are in the code.
    with django_assert_num_queries(1):
        assert api_client.get(URL).status_code == 200


def test_without_credentials_the_answer_is_a_401_in_the_error_shape(anonymous_client):
    response = anonymous_client.get(URL)

    assert response.status_code == 401
    assert "error" in response.json()


def test_only_reading_is_allowed(api_client):
    response = api_client.post(URL, {}, format="json")

    assert response.status_code == 405
    assert "error" in response.json()


def test_the_schema_describes_the_answer(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"]["/api/reports/failure_reasons"]["get"]
    assert operation["summary"] == "Why messages fail: every known error code, in words"
    assert set(operation["responses"]) == {"200", "401", "403"}
    answer = schema["components"]["schemas"]["FailureReasons"]
    assert set(answer["properties"]) == {"sms", "email"}
    entry = schema["components"]["schemas"]["FailureReason"]
    assert set(entry["properties"]) == {"code", "title", "action", "url", "provider"}
