"""An administrator creates a client in the admin, sees its key once, and revokes it; the key then opens nothing."""

import re

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from api.models import ApiClient


@pytest.fixture
def admin_client(client, cast):
    client.force_login(cast["admin"])
    return client


def test_key_is_shown_once_then_revoked(admin_client, units):
    answer = admin_client.post(
        "/quan-tri/api/apiclient/add/",
        {"name": "Ki-ốt Keo Lôm", "unit": units["keo_lom"].pk, "may_read": "on", "rate": "600/min"},
        follow=True,
    )
    assert answer.status_code == 200
    shown = [str(m) for m in get_messages(answer.wsgi_request)] or [answer.content.decode()]
    key = re.search(r"Khóa API của «Ki-ốt Keo Lôm»: (\S+) —", " ".join(shown)).group(1)
    client = ApiClient.objects.get(name="Ki-ốt Keo Lôm")
    assert key.split(".")[1] not in client.hashed_key

    # Never shown again: not on the list, not on its page.
    assert key not in admin_client.get("/quan-tri/api/apiclient/").content.decode()
    assert key not in admin_client.get(f"/quan-tri/api/apiclient/{client.pk}/change/").content.decode()

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert [u["code"] for u in http.get("/api/v1/units/").json()] == ["DBD-KL"]

    admin_client.post(
        f"/quan-tri/api/apiclient/{client.pk}/change/",
        {"name": "Ki-ốt Keo Lôm", "unit": units["keo_lom"].pk, "may_read": "on", "rate": "600/min", "revoked": "on"},
    )
    client.refresh_from_db()
    assert client.revoked
    assert http.get("/api/v1/units/").status_code == 401
    # Kept for the call log and the dossiers' history: no delete.
    assert admin_client.get(f"/quan-tri/api/apiclient/{client.pk}/delete/").status_code == 403


def test_a_rate_that_is_not_a_rate_is_refused(admin_client, units):
    answer = admin_client.post(
        "/quan-tri/api/apiclient/add/",
        {"name": "Sai", "unit": units["keo_lom"].pk, "may_read": "on", "rate": "nhiều"},
    )
    assert answer.status_code == 200  # the form again, with the message
    assert "ví dụ 600/min" in answer.content.decode()
    assert not ApiClient.objects.filter(name="Sai").exists()
