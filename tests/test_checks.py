from emails.checks import email_senders_are_valid
from messaging.checks import sms_senders_are_valid


def test_an_invalid_sending_number_stops_start_up(settings):
    settings.TWILIO_EXTRA_FROM_NUMBERS = ["+14155550100", "not a number"]

    [error] = sms_senders_are_valid(None)

    assert error.id == "messaging.E001"


def test_valid_sending_numbers_pass(settings):
    settings.TWILIO_EXTRA_FROM_NUMBERS = ["+14155550100", "(415) 555-0101"]

    assert sms_senders_are_valid(None) == []


def test_an_invalid_sender_address_stops_start_up(settings):
    settings.SENDGRID_EXTRA_FROM_EMAILS = ["@example.com", "nobody"]

    [error] = email_senders_are_valid(None)

    assert error.id == "emails.E001"
    assert "'nobody'" in error.msg
