"""The admin shows stored files and changes none of them."""

import pytest
from django.urls import reverse

from attachments.selectors import attachment_download_url
from attachments.services import EMAIL_POLICY, attachment_store
from attachments.tests import samples

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:attachments_attachment_changelist")


def test_the_list_shows_name_type_size_and_date(admin_client):
    attachment = attachment_store(filename="menu.pdf", content=samples.PDF, policy=EMAIL_POLICY)

    response = admin_client.get(LIST_URL)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [attachment]
    for text in ("menu.pdf", "application/pdf", str(len(samples.PDF))):
        assert text in response.text


def test_a_file_opens_through_the_signed_in_view_never_the_storage(admin_client):
    attachment = attachment_store(filename="menu.pdf", content=samples.PDF, policy=EMAIL_POLICY)

    response = admin_client.get(
        reverse("admin:attachments_attachment_change", args=[attachment.pk])
    )

    assert response.status_code == 200
    assert f'href="{attachment_download_url(attachment)}"' in response.text
    assert attachment.file.name in response.text
    assert 'name="_save"' not in response.text


def test_files_are_neither_added_nor_deleted_here(admin_client):
    attachment = attachment_store(filename="menu.pdf", content=samples.PDF, policy=EMAIL_POLICY)

    assert admin_client.get(reverse("admin:attachments_attachment_add")).status_code == 403
    delete = reverse("admin:attachments_attachment_delete", args=[attachment.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
