from emails.checks import email_provider_is_known, email_senders_are_valid


def test_an_unknown_email_provider_stops_start_up(settings):
    settings.EMAIL_PROVIDER = "mailgun"

    [error] = email_provider_is_known(None)

    assert error.id == "emails.E002"
    assert "'mailgun'" in error.msg
    assert "sendgrid, console" in error.hint


def test_each_known_email_provider_passes(settings):
    for name in ("sendgrid", "console"):
        settings.EMAIL_PROVIDER = name

        assert email_provider_is_known(None) == []


def test_addresses_and_whole_domains_are_valid_senders(settings):
    settings.SENDGRID_FROM_EMAIL = "Team@Hatch.test"
    settings.SENDGRID_EXTRA_FROM_EMAILS = ["support@hatch.test", "@sales.hatch.test"]

    assert email_senders_are_valid(None) == []
