"""The team in the Django admin: roles on each user's page, labels, and Hatch's branding."""

import pytest
from django.contrib.auth import get_user_model

from team.admin import TeammateForm
from team.models import Label, Role, Teammate

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, make_user):
    staff = make_user("sam", role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


def test_the_admin_says_hatch(staff_client):
    page = staff_client.get("/admin/").content.decode()

    assert "<title>Records and settings | Hatch</title>" in page
    assert "Hatch administration" in page


def test_a_users_page_shows_their_role_and_the_list_their_roles(staff_client, ben):
    page = staff_client.get(f"/admin/auth/user/{ben.pk}/change/").content.decode()
    assert "Role in Hatch" in page

    listing = staff_client.get("/admin/auth/user/?teammate__role=agent").content.decode()
    assert "ben" in listing
    assert "sam" not in listing.split("result_list")[1]


def test_the_role_form_keeps_an_active_admin(ada, ben):
    last = TeammateForm(
        data={"role": Role.AGENT},
        instance=Teammate.objects.get(user=ada),
        initial={"role": Role.ADMIN},
    )
    assert not last.is_valid()
    assert "last active admin" in last.errors["role"][0]

    Teammate.objects.filter(user=ben).update(role=Role.ADMIN)
    assert TeammateForm(
        data={"role": Role.AGENT},
        instance=Teammate.objects.get(user=ada),
        initial={"role": Role.ADMIN},
    ).is_valid()


def test_a_user_added_in_the_admin_gets_the_role_chosen(staff_client):
    response = staff_client.post(
        "/admin/auth/user/add/",
        {
            "username": "hedy",
            "usable_password": "true",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "teammate-TOTAL_FORMS": "1",
            "teammate-INITIAL_FORMS": "0",
            "teammate-MIN_NUM_FORMS": "1",
            "teammate-MAX_NUM_FORMS": "1",
            "teammate-0-role": "admin",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert get_user_model().objects.get(username="hedy").teammate.role == Role.ADMIN


def test_a_label_name_is_unique_whatever_its_case_in_the_admin_too(staff_client):
    Label.objects.create(name="VIP")

    response = staff_client.post("/admin/team/label/add/", {"name": "vip", "colour": "#123456"})

    assert response.status_code == 200
    assert Label.objects.count() == 1
    assert "The name “vip” is taken" in response.content.decode()
