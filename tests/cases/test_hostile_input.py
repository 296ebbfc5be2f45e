"""Phone numbers, names and damaged files: refused with a Vietnamese message naming the field (and the line of a
file), never cut silently, never a 500 or "0 dòng lỗi"."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.core import contact
from cases.exchange import uploads
from cases.exchange.dossiers import DossierImporter
from cases.forms import ReceiveForm
from cases.models import Dossier
from tests.conftest import vn

NOW = vn(2024, 3, 7, 9, 0)
HEADER = "ma_ho_so,ma_thu_tuc,ma_don_vi,ngay_tiep_nhan,hinh_thuc_nop,nguoi_nop,so_dien_thoai\n"
LONG_NAME = "Nguyễn Văn " + "Trường " * 45  # 326 characters


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        ("0215-3825-123", "02153825123"),
        ("", ""),
    ],
)
def test_a_phone_is_stored_as_its_digits(typed, stored):
    assert contact.phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["09abc12345", "091234567", "091234567890", "912345678", "+1 202 555 0100", "０９１２３４５６７８"]
)
def test_a_phone_that_is_not_a_vietnamese_number_is_refused(typed):
    with pytest.raises(contact.Invalid, match="không phải số điện thoại hợp lệ"):
        contact.phone(typed)


def test_the_desk_form_refuses_a_bad_phone_and_a_long_name_and_says_so(client, units, procedures, cast):
    client.force_login(cast["desk_pu_hong"])
    page = client.get("/tiep-nhan/").content.decode()
    assert 'maxlength="255"' not in page  # a browser would cut a pasted name without a word
    data = {"procedure": procedures["marriage"].pk, "channel": "truc_tiep"}
    response = client.post("/tiep-nhan/", {**data, "applicant_name": "Lò Văn C", "applicant_phone": "09abc12345"})
    assert "«09abc12345» không phải số điện thoại hợp lệ" in response.content.decode()
    response = client.post("/tiep-nhan/", {**data, "applicant_name": LONG_NAME})
    assert f"Dài {len(LONG_NAME.strip())} ký tự, tối đa 255" in response.content.decode()
    assert not Dossier.objects.exists()
    client.post("/tiep-nhan/", {**data, "applicant_name": "Lò Văn C", "applicant_phone": "+84 912.345.678"})
    assert Dossier.objects.get().applicant_phone == "0912345678"


def test_the_form_names_the_field(units, procedures, cast):
    form = ReceiveForm(
        {"procedure": procedures["marriage"].pk, "channel": "truc_tiep", "applicant_name": "A", "applicant_phone": "x"},
        user=cast["desk_pu_hong"],
    )
    assert not form.is_valid()
    assert list(form.errors) == ["applicant_phone"]


def test_the_importer_refuses_bad_phones_and_long_names_on_their_line(tmp_path, units, procedures):
    path = tmp_path / "ho-so.csv"
    path.write_text(
        HEADER
        + "HS-1,1.000894,DBD-PH,01/03/2024,truc_tiep,Lò Văn C,0912 345 678\n"
        + "HS-2,1.000894,DBD-PH,01/03/2024,truc_tiep,Lò Văn D,09abc12345\n"
        + f"HS-3,1.000894,DBD-PH,01/03/2024,truc_tiep,{LONG_NAME},\n",
        encoding="utf-8",
    )
    importer = DossierImporter(path)
    result = importer.validate()
    assert result.errors[0] == (
        "dòng 3: số điện thoại: «09abc12345» không phải số điện thoại hợp lệ (" + contact.PHONE_RULE + ")"
    )
    assert result.errors[1].startswith(f"dòng 4: người nộp: dài {len(LONG_NAME.strip())} ký tự, tối đa 255")
    assert len(result.errors) == 2
    assert importer.records[2].applicant_phone == "0912345678"


# --- damaged files -----------------------------------------------------------------------------------------------
def csv_rows(count, start=1):
    return "".join(
        f"HS-{n},1.000894,DBD-PH,01/03/2024,truc_tiep,Người nộp số {n},\n" for n in range(start, start + count)
    )


def test_a_nul_byte_after_the_first_8_kb_is_refused_on_its_line(tmp_path, units, procedures):
    body = csv_rows(200) + "HS-X,1.000894,DBD-PH,01/03/2024,truc_tiep,Lò\x00Văn,\n" + csv_rows(5, 500)
    assert body.index("\x00") > 8192
    path = tmp_path / "ho-so.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    importer = DossierImporter(path)
    result = importer.validate()
    assert result.errors == [
        "dòng 202: người nộp: chứa ký tự điều khiển không hợp lệ (có thể do dán từ tệp khác); hãy gõ lại"
    ]
    assert result.refused == 1


def test_windows_1258_bytes_in_the_middle_are_refused_with_the_line(tmp_path, units, procedures):
    path = tmp_path / "ho-so.csv"
    path.write_bytes(
        (HEADER + csv_rows(300)).encode("utf-8")
        + "HS-W,1.000894,DBD-PH,01/03/2024,truc_tiep,Trương Đư\u0301c,\n".encode("cp1258")
        + csv_rows(3, 900).encode("utf-8")
    )
    result = DossierImporter(path).validate()
    assert len(result.errors) == 1
    assert result.errors[0].startswith("dòng 302: không phải mã UTF-8")
    assert result.refused == 1
    assert not result.written


@pytest.mark.django_db
def test_an_upload_with_a_nul_after_8_kb_gets_a_line_numbered_refusal_and_writes_nothing(
    settings, tmp_path, cast, procedures
):
    settings.MEDIA_ROOT = tmp_path
    body = csv_rows(200) + "HS-X,1.000894,DBD-PH,01/03/2024,truc_tiep,Lò\x00Văn,\n"
    upload = SimpleUploadedFile("ho-so.csv", (HEADER + body).encode("utf-8"), content_type="text/csv")
    job = uploads.create_job(cast["desk_pu_hong"], upload)
    job.refresh_from_db()
    assert job.result["refused"] == 1
    assert job.result["problems"][0].startswith("dòng 202: người nộp: chứa ký tự điều khiển")
    assert not Dossier.objects.exists()
