"""The public look-up (/tra-cuu/): the code and the phone's last four digits (or the receipt's key) show a dossier's
progress, never the applicant's personal data; a wrong code and a wrong key answer alike; guessing is throttled."""

import re

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from cases.desk.lookup import lookup_key
from cases.models import Dossier, Rating
from tests.conftest import PASSWORD, vn

RECEIVED = vn(2024, 3, 4, 9, 0)


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def dossier(units, procedures, cast):
    with time_machine.travel(RECEIVED, tick=False):
        return Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
            applicant_phone="0912 345 678", applicant_address="Bản Púng, xã Pú Hồng", papers="Sổ hộ khẩu",
            by=cast["desk_pu_hong"],
        )  # fmt: skip


def look_up(client, code, answer, **extra):
    return client.post(reverse("lookup"), {"code": code, "answer": answer}, **extra)


def test_the_phones_last_digits_show_the_progress_and_nothing_personal(client, dossier):
    with time_machine.travel(vn(2024, 3, 5, 9, 0), tick=False):
        page = look_up(client, dossier.code.lower(), "5678")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Đang giải quyết" in text and "Thủ tục hòa giải tranh chấp đất đai" in text
    assert "UBND xã Pú Hồng" in text and "Tiếp nhận, chuyển hồ sơ" in text  # the step it is at
    for personal in ("Giàng A Páo", "0912", "345 678", "Bản Púng", "Sổ hộ khẩu"):
        assert personal not in text
    assert page["Cache-Control"].startswith("max-age=0")


def test_the_receipts_key_works_too_and_is_printed_with_a_qr_of_the_look_up_address(client, dossier, settings):
    settings.PUBLIC_URL = "https://dichvucong.dienbien.gov.vn"
    key = lookup_key(dossier.code)
    assert len(key) == 6 and look_up(client, dossier.code, key.lower()).status_code == 200
    client.login(username="motcua.puhong", password=PASSWORD)
    receipt = client.get(reverse("cases:receipt", kwargs={"code": dossier.code})).content.decode()
    assert f"Mã tra cứu: <strong>{key}</strong>" in receipt
    assert f"https://dichvucong.dienbien.gov.vn/tra-cuu/{dossier.code}/" in receipt


def test_a_wrong_code_and_a_wrong_key_give_the_same_answer(client, dossier):
    wrong_key = look_up(client, dossier.code, "0000")
    wrong_code = look_up(client, "DBD-PH-240304-9999", "5678")
    assert wrong_key.status_code == wrong_code.status_code == 404

    def stripped(response):
        text = response.content.decode().replace(dossier.code, "").replace("DBD-PH-240304-9999", "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert stripped(wrong_key) == stripped(wrong_code)
    assert "0000" not in wrong_key.content.decode()


def test_the_qr_address_asks_for_the_digits_before_showing_anything(client, dossier):
    page = client.get(reverse("lookup_code", kwargs={"code": dossier.code}))
    text = page.content.decode()
    assert page.status_code == 200 and "4 số cuối" in text and "Thủ tục hòa giải" not in text


def test_guessing_a_dossiers_digits_is_stopped(client, dossier, settings):
    settings.LOOKUP_FAILURES_PER_CODE = 10
    answers = [f"{n:04d}" for n in range(20)]
    statuses = [
        look_up(client, dossier.code, answer, REMOTE_ADDR=f"10.0.0.{n}").status_code for n, answer in enumerate(answers)
    ]
    assert statuses[:10] == [404] * 10 and set(statuses[10:]) == {429}
    # Even the right answer waits now: the code is locked for the hour, whoever asks.
    refused = look_up(client, dossier.code, "5678", REMOTE_ADDR="10.0.1.1")
    assert refused.status_code == 429 and "thử lại sau 60 phút" in refused.content.decode()


def test_enumerating_codes_from_one_address_is_stopped(client, dossier, settings):
    settings.LOOKUP_ATTEMPTS_PER_ADDRESS = 20
    statuses = [look_up(client, f"DBD-PH-240304-{n:04d}", "5678").status_code for n in range(2, 30)]
    assert statuses.count(429) == 8 and 200 not in statuses


def test_the_applicant_rates_the_service_once_after_the_result_is_returned(client, dossier, cast):
    form = {"code": dossier.code, "answer": "5678", "level": "khong_hai_long", "comment": "Chờ lâu"}
    assert "Gửi đánh giá" not in look_up(client, dossier.code, "5678").content.decode()  # not before the result
    early = client.post(reverse("lookup_rate"), form)
    assert "chỉ đánh giá sau khi đã trả kết quả" in early.content.decode()
    with time_machine.travel(vn(2024, 3, 8, 9, 0), tick=False):
        dossier.resolve(by=cast["desk_pu_hong"])
        dossier.return_result(by=cast["desk_pu_hong"])
    assert "Gửi đánh giá" in look_up(client, dossier.code, "5678").content.decode()
    forged = client.post(reverse("lookup_rate"), {**form, "answer": "0000"})
    assert forged.status_code == 404 and not Rating.objects.exists()
    thanked = client.post(reverse("lookup_rate"), form).content.decode()
    assert "Cảm ơn Ông/Bà đã đánh giá" in thanked and "Không hài lòng" in thanked
    again = client.post(reverse("lookup_rate"), {**form, "level": "rat_hai_long"}).content.decode()
    assert "chỉ đánh giá một lần" in again
    rating = Rating.objects.get()
    assert (rating.level, rating.comment, rating.source) == ("khong_hai_long", "Chờ lâu", "tra_cuu")
    assert dossier.events.filter(kind="rated").count() == 1
