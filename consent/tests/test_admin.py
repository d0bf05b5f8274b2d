"""The consent record in the admin: listed and searched, never added, edited or deleted;
an email suppression lifted by staff allowed to, with a reason kept in the history; an SMS
opt-out never lifted there."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consent.models import ConsentChange, Suppression
from consent.services import address_suppress
from consent.tests.factories import DECEMBER_FIRST
from emails.models import Email
from messaging.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUPPRESSIONS_URL = reverse("admin:consent_suppression_changelist")
CHANGES_URL = reverse("admin:consent_consentchange_changelist")
SENDGRID_NOTE = "SendGrid keeps its own suppression list"
SMS_NOTE = "only the person can, by texting START"


def change_url(record):
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def lift_url(suppression: Suppression) -> str:
    return reverse("admin:consent_suppression_lift", args=[suppression.pk])


def rows(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def notices(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def bounced(address="pat@example.com") -> Suppression:
    return address_suppress(
        address=address,
        channel="email",
        reason="bounce",
        detail="550 mailbox unavailable",
        at=DECEMBER_FIRST,
    )


def stopped(phone="+14155552671") -> Suppression:
    return address_suppress(address=phone, channel="sms", reason="stop", detail="texted STOP")


def staff_client(*permissions: str) -> Client:
    """A staff member (not a superuser) with these consent permissions."""
    member = UserFactory(username="front-desk", first_name="Robin", last_name="Lee", is_staff=True)
    member.user_permissions.set(
        Permission.objects.filter(content_type__app_label="consent", codename__in=permissions)
    )
    client = Client()
    client.force_login(member)
    return client


# Opt-outs and suppressions, listed


def test_opt_outs_are_listed_and_found_as_people_write_numbers(admin_client):
    stop = Suppression.objects.create(address="+14155552671", channel="sms", reason="stop")
    Suppression.objects.create(address="+14155550111", channel="sms", reason="carrier_opt_out")

    response = admin_client.get(SUPPRESSIONS_URL, {"q": "(415) 555-2671"})

    assert rows(response) == [stop]
    assert "replied STOP" in response.text


def test_opt_outs_cannot_be_added_changed_or_deleted_in_the_admin(admin_client):
    stop = Suppression.objects.create(address="+14155552671", channel="sms", reason="stop")

    add = admin_client.get(reverse("admin:consent_suppression_add"))
    change = admin_client.post(change_url(stop), {"address": "+14155550000"})
    delete = admin_client.post(
        reverse("admin:consent_suppression_delete", args=[stop.pk]), {"post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert "delete_selected" not in admin_client.get(SUPPRESSIONS_URL).text
    assert Suppression.objects.get().address == "+14155552671"


def test_opt_out_list_query_count_does_not_grow_with_the_rows(admin_client):
    for number in range(3):
        Suppression.objects.create(address=f"+1415555010{number}", channel="sms", reason="stop")
    with_three = queries_for(admin_client, SUPPRESSIONS_URL)
    for number in range(20):
        Suppression.objects.create(address=f"+1415555020{number:02d}", channel="sms", reason="stop")

    assert queries_for(admin_client, SUPPRESSIONS_URL) == with_three


def test_the_history_cannot_be_added_changed_or_deleted_in_the_admin(admin_client):
    bounced()
    change = ConsentChange.objects.get()

    add = admin_client.get(reverse("admin:consent_consentchange_add"))
    edit = admin_client.post(change_url(change), {"note": "rewritten"})
    delete = admin_client.post(
        reverse("admin:consent_consentchange_delete", args=[change.pk]), {"post": "yes"}
    )

    assert (add.status_code, edit.status_code, delete.status_code) == (403, 403, 403)
    assert rows(admin_client.get(CHANGES_URL)) == [change]
    change.refresh_from_db()
    assert change.note == "550 mailbox unavailable"


# The change page


def test_an_email_suppression_page_offers_the_lift_and_warns_about_sendgrids_list(admin_client):
    suppression = bounced()

    page = admin_client.get(change_url(suppression)).text

    assert f'href="{lift_url(suppression)}"' in page
    assert SENDGRID_NOTE in page
    assert "pat@example.com bounced on 2026-12-01 (550 mailbox unavailable)." in page


def test_an_sms_opt_out_page_offers_no_lift_and_says_only_the_person_can(admin_client):
    suppression = stopped()

    page = admin_client.get(change_url(suppression)).text

    assert lift_url(suppression) not in page
    assert SMS_NOTE in page


def test_staff_who_may_only_view_see_no_lift_and_cannot_lift():
    suppression = bounced()
    client = staff_client("view_suppression")

    page = client.get(change_url(suppression))
    form = client.get(lift_url(suppression))
    post = client.post(lift_url(suppression), {"note": "They asked"})

    assert page.status_code == 200
    assert lift_url(suppression) not in page.text
    assert "Only staff allowed to change suppressions may lift one." in page.text
    assert (form.status_code, post.status_code) == (403, 403)
    assert Suppression.objects.filter(pk=suppression.pk).exists()


def test_the_page_shows_the_history_with_who_lifted(admin_client):
    bounced()
    admin_client.post(lift_url(Suppression.objects.get()), {"note": "Mailbox fixed"})
    again = bounced()

    page = admin_client.get(change_url(again)).text

    assert "Lifted (bounced) by admin: Mailbox fixed" in page
    assert page.count("Suppressed (bounced): 550 mailbox unavailable") == 2


# Lifting


def test_lifting_asks_for_a_reason_and_warns_about_sendgrid(admin_client):
    response = admin_client.get(lift_url(bounced()))

    assert response.status_code == 200
    assert 'name="note"' in response.text
    assert "pat@example.com bounced on 2026-12-01 (550 mailbox unavailable)." in response.text
    assert SENDGRID_NOTE in response.text


@pytest.mark.parametrize("note", ["", "   "])
def test_a_lift_without_a_reason_is_refused_and_lifts_nothing(admin_client, note):
    suppression = bounced()

    response = admin_client.post(lift_url(suppression), {"note": note})

    assert response.status_code == 200
    assert response.context["form"].errors == {"note": ["This field is required."]}
    assert Suppression.objects.filter(pk=suppression.pk).exists()
    assert list(ConsentChange.objects.values_list("action", flat=True)) == ["suppressed"]


def test_staff_allowed_to_change_suppressions_lift_one_and_the_history_keeps_who_and_why(
    api_client,
):
    suppression = bounced()
    client = staff_client("view_suppression", "change_suppression")

    response = client.post(
        lift_url(suppression), {"note": "  They wrote: the mailbox works again.  "}, follow=True
    )

    assert response.redirect_chain == [(SUPPRESSIONS_URL, 302)]
    [notice] = notices(response)
    assert notice.startswith("Lifted the suppression of pat@example.com: Hatch may email it")
    assert SENDGRID_NOTE in notice
    assert not Suppression.objects.exists()
    lifted = ConsentChange.objects.get(action="lifted")
    assert (lifted.address, lifted.reason, lifted.note) == (
        "pat@example.com",
        "bounce",
        "They wrote: the mailbox works again.",
    )
    assert lifted.changed_by.username == "front-desk"
    sent = api_client.post(
        "/api/send_email",
        {"to_email": "pat@example.com", "subject": "Hello again", "body": "Welcome back."},
        format="json",
    )
    assert sent.status_code == 200
    assert Email.objects.count() == 1


def test_an_sms_opt_out_cannot_be_lifted_even_by_a_superuser(admin_client):
    suppression = stopped()

    shown = admin_client.get(lift_url(suppression), follow=True)
    posted = admin_client.post(lift_url(suppression), {"note": "They called us"}, follow=True)

    for response in (shown, posted):
        assert response.redirect_chain == [(change_url(suppression), 302)]
        assert any(SMS_NOTE in notice for notice in notices(response))
    assert Suppression.objects.get().address == "+14155552671"
    assert not ConsentChange.objects.filter(action="lifted").exists()


def test_a_suppression_already_gone_is_not_found(admin_client):
    suppression = bounced()
    url = lift_url(suppression)
    suppression.delete()

    response = admin_client.post(url, {"note": "They asked"}, follow=True)

    assert response.redirect_chain[-1][1] == 302
    assert not ConsentChange.objects.filter(action="lifted").exists()
