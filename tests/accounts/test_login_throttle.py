"""Wrong passwords through the real login form: after five, the account is locked from that address, even for the
right password, with a Vietnamese page; it opens again after 15 minutes or when an administrator unlocks it."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from portal.security import client_ip
from tests.conftest import PASSWORD

LOGIN = "/dang-nhap/"
OFFICE = {"REMOTE_ADDR": "203.0.113.7"}


def try_login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **{**OFFICE, **extra})


def is_logged_in(client):
    return client.get("/").status_code == 200


def wrong_five_times(client, username):
    pages = [try_login(client, username, "sai-mat-khau") for _ in range(5)]
    assert [page.status_code for page in pages[:4]] == [200] * 4  # the login form again, with its error
    assert pages[0].context["form"].non_field_errors()
    return pages[-1]


@pytest.mark.django_db
def test_after_five_wrong_passwords_the_right_one_is_refused_in_vietnamese(client, cast):
    officer = cast["desk_pu_hong"].username
    fifth = wrong_five_times(client, officer)
    assert fifth.status_code == 429

    response = try_login(client, officer, PASSWORD)
    page = response.content.decode()
    assert response.status_code == 429
    assert "Tài khoản tạm khóa đăng nhập" in page
    assert "thử lại sau 15 phút" in page
    assert "liên hệ quản trị hệ thống" in page
    assert '<html lang="vi"' in page
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_the_lock_is_per_account_and_address(client, cast):
    officer = cast["desk_pu_hong"].username
    wrong_five_times(client, officer)
    # A colleague at the same commune office (same address) still logs in …
    assert try_login(client, cast["desk_keo_lom"].username, PASSWORD).status_code == 302
    client.logout()
    # … and so does the officer from another address.
    assert try_login(client, officer, PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302


@pytest.mark.django_db
def test_the_lock_ends_after_fifteen_minutes(client, cast):
    officer = cast["desk_pu_hong"].username
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wrong_five_times(client, officer)
    with time_machine.travel(start + timedelta(minutes=14), tick=False):
        assert try_login(client, officer, PASSWORD).status_code == 429
    # The try at 14 minutes started the wait again (axes' default): 15 minutes from then, it opens.
    with time_machine.travel(start + timedelta(minutes=29, seconds=30), tick=False):
        assert try_login(client, officer, PASSWORD).status_code == 302
        assert is_logged_in(client)


@pytest.mark.django_db
def test_an_administrator_unlocks_the_account_in_the_admin(client, cast):
    officer = cast["desk_pu_hong"].username
    wrong_five_times(client, officer)

    admin = type(client)()
    admin.force_login(cast["admin"])
    listing = admin.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "Mở khóa đăng nhập" in listing and "Đang bị khóa" in listing
    attempt = AccessAttempt.objects.get(username=officer)
    response = admin.post(
        reverse("admin:axes_accessattempt_changelist"), {"action": "unlock", "_selected_action": [attempt.pk]}
    )
    assert response.status_code == 302
    assert f"Đã mở khóa: {officer} (203.0.113.7)." in [str(m) for m in admin.get("/").context["messages"]]

    assert try_login(client, officer, PASSWORD).status_code == 302
    assert is_logged_in(client)


@pytest.mark.django_db
def test_the_admin_login_is_throttled_too(client, cast):
    for _ in range(5):
        response = client.post(
            "/quan-tri/login/", {"username": "quantri", "password": "doan-bua", "next": "/quan-tri/"}, **OFFICE
        )
    assert response.status_code == 429
    response = client.post("/quan-tri/login/", {"username": "quantri", "password": PASSWORD}, **OFFICE)
    assert response.status_code == 429
    assert "Tài khoản tạm khóa đăng nhập" in response.content.decode()


def test_behind_the_tls_proxy_the_address_is_the_one_the_proxy_appended(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"  # no proxy configured: the header is the client's word only
    settings.BEHIND_TLS_PROXY = True
    assert client_ip(request) == "203.0.113.9"  # the entry before it could be forged by the client
    forged = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    assert client_ip(forged) == "10.0.0.2"
