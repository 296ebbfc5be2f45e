"""`Idempotency-Key`: a program that retries a receipt (a timeout, a lost answer) makes one dossier, never two."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from api.models import IdempotentRequest
from cases.desk.models import Dossier, DossierEvent

from .test_dossiers import receipt


def post(http, body, key):
    return http.post("/api/v1/dossiers/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_gets_the_first_answer_and_makes_no_second_dossier(api, procedures):
    app = api["keo_lom"].http
    first = post(app, receipt(), "nhan-ho-so-1")
    again = post(app, {**receipt()}, "nhan-ho-so-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Dossier.objects.count() == 1 and DossierEvent.objects.count() == 1
    # Another key is another receipt; the same key of another client is that client's own.
    assert post(app, receipt(), "nhan-ho-so-2").json()["code"] != first.json()["code"]
    assert post(api["province"].http, receipt(), "nhan-ho-so-1").status_code == 201
    assert Dossier.objects.count() == 3


def test_the_same_key_with_another_body_is_refused(api, procedures):
    app = api["keo_lom"].http
    assert post(app, receipt(), "k-1").status_code == 201
    answer = post(app, receipt(applicant_name="Người Khác"), "k-1")
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "khoa_lap_lai_khac_noi_dung" and "Idempotency-Key" in error["message"]
    code = Dossier.objects.get().code
    answer = app.post(f"/api/v1/dossiers/{code}/pause/", {"reason": "Chờ"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert answer.status_code == 422  # the same key at another address
    assert Dossier.objects.count() == 1 and DossierEvent.objects.count() == 1


def test_a_refused_request_keeps_no_answer_and_a_step_is_idempotent_too(api, procedures):
    app = api["keo_lom"].http
    assert post(app, receipt(applicant_phone="123"), "k-2").status_code == 400
    assert not IdempotentRequest.objects.exists()
    code = post(app, receipt(), "k-2").json()["code"]  # corrected and sent again with its key
    step = f"/api/v1/dossiers/{code}/resolve/"
    first = app.post(step, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    again = app.post(step, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert app.post(step, {}, format="json").status_code == 409  # without the key: a second resolve, refused


def test_keys_expire_after_api_idempotency_hours(api, procedures, settings):
    settings.API_IDEMPOTENCY_HOURS = 24
    app = api["keo_lom"].http
    assert post(app, receipt(), "k-4").status_code == 201
    IdempotentRequest.objects.update(created_at=IdempotentRequest.objects.get().created_at - timedelta(hours=25))
    answer = post(app, receipt(applicant_name="Người Khác"), "k-4")
    assert answer.status_code == 201 and Dossier.objects.count() == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256])
def test_a_key_that_is_not_one_is_refused(api, procedures, key):
    answer = post(api["keo_lom"].http, receipt(), key)
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "Idempotency-Key"
    assert not Dossier.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_duplicates_sent_at_once_make_one_dossier(api, procedures):
    """Eight copies of one request at the same moment, each in its own connection to PostgreSQL."""
    assert connection.vendor == "postgresql"
    copies, key = 8, api["keo_lom"].key
    start, lock, answers = threading.Barrier(copies), threading.Lock(), []

    def send():
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        try:
            start.wait()
            answer = post(http, receipt(), "cung-luc")
            with lock:
                answers.append((answer.status_code, answer.json()["code"]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == copies and {status for status, _ in answers} == {201}
    assert len({code for _, code in answers}) == 1
    assert Dossier.objects.count() == 1 and DossierEvent.objects.count() == 1
