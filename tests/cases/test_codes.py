"""Dossier codes: what may be typed or imported, a unit's prefix is its own, and automatic numbering never collides
(counter rows under a lock, on the real PostgreSQL) and never refuses an entry."""

import importlib
import threading

import pytest
import time_machine
from django.apps import apps
from django.db import connection, connections

from cases.desk import codes
from cases.exchange.dossiers import DossierImporter
from cases.forms import ReceiveForm
from cases.models import Dossier, DossierCounter
from tests.conftest import make, vn

NOW = vn(2024, 3, 7, 9, 0)
HEADER = "ma_ho_so,ma_thu_tuc,ma_don_vi,ngay_tiep_nhan,hinh_thuc_nop,nguoi_nop\n"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=True):
        yield


def receive_form(procedures, user, **extra):
    data = {"procedure": procedures["marriage"].pk, "applicant_name": "Lò Văn C", "channel": "truc_tiep", **extra}
    return ReceiveForm(data, user=user)


@pytest.mark.parametrize(
    "typed",
    ["DBD/PH/1", "<b>x</b>", "A B", "HS-01-", ".HS", "HS_01", "Mã-1", "X" * 61, "HS\x0b01"],
)
def test_a_typed_code_outside_the_allowed_characters_is_refused(procedures, cast, typed):
    form = receive_form(procedures, cast["desk_pu_hong"], code=typed)
    assert not form.is_valid()
    assert form.errors["code"][0].startswith("Mã hồ sơ «")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("hs-2024-1", "HS-2024-1"), (" 000.00.19.H56-240307-0001 ", "000.00.19.H56-240307-0001"), ("G22.45", "G22.45")],
)
def test_a_typed_code_is_kept_in_capitals_and_the_national_format_is_accepted(procedures, cast, typed, kept):
    form = receive_form(procedures, cast["desk_pu_hong"], code=typed)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["code"] == kept


def test_a_desk_cannot_type_another_units_prefix_and_block_its_numbering(client, units, procedures, cast):
    client.force_login(cast["desk_pu_hong"])
    data = {"procedure": procedures["marriage"].pk, "applicant_name": "Lò Văn C", "channel": "truc_tiep"}
    response = client.post("/tiep-nhan/", {**data, "code": "DBD-KL-240307-0001"})
    assert response.status_code == 200
    assert "mang tiền tố của UBND xã Keo Lôm (DBD-KL)" in response.content.decode()
    response = client.post("/tiep-nhan/", {**data, "code": "dbd-kl-240307-zzzz"})
    assert "mang tiền tố của UBND xã Keo Lôm" in response.content.decode()
    assert not Dossier.objects.exists()
    # Its own prefix is allowed, and the counter moves past the number typed.
    client.post("/tiep-nhan/", {**data, "code": "DBD-PH-240307-0005"})
    client.post("/tiep-nhan/", {**data, "code": ""})
    assert set(Dossier.objects.values_list("code", flat=True)) == {"DBD-PH-240307-0005", "DBD-PH-240307-0006"}


def test_slashes_and_markup_never_reach_the_list(client, units, procedures, cast):
    client.force_login(cast["desk_pu_hong"])
    data = {"procedure": procedures["marriage"].pk, "applicant_name": "Lò Văn C", "channel": "truc_tiep"}
    for typed in ("A/B", "<b>x</b>"):
        client.post("/tiep-nhan/", {**data, "code": typed})
    assert not Dossier.objects.exists()
    assert client.get("/ho-so/").status_code == 200


def test_numbering_goes_past_codes_written_without_the_counter(units, procedures, cast):
    # Written before the counter existed (or by the demo generator): numbers 1 and 2 of the day are taken.
    for number in (1, 2):
        make(f"DBD-PH-240307-{number:04d}", units["pu_hong"], procedures["land"], NOW, NOW)
    dossier = Dossier.receive(unit=units["pu_hong"], procedure=procedures["marriage"], applicant_name="A", by=None)
    assert dossier.code == "DBD-PH-240307-0003"


def test_the_migration_seeds_each_units_counter_from_its_highest_code(units, procedures):
    make("DBD-PH-240307-0041", units["pu_hong"], procedures["land"], NOW, NOW)
    make("DBD-PH-240307-0007", units["pu_hong"], procedures["land"], NOW, NOW)
    make("DBD-KL-240306-0003", units["keo_lom"], procedures["land"], vn(2024, 3, 6, 9), vn(2024, 3, 6, 9))
    make("TU-NHAP-1", units["keo_lom"], procedures["land"], NOW, NOW)
    migration = importlib.import_module("cases.migrations.0012_dossier_counter")
    with connection.schema_editor() as editor:
        migration.seed_counters(apps, editor)
    assert set(DossierCounter.objects.values_list("unit__code", "day", "last")) == {
        ("DBD-PH", NOW.date(), 41),
        ("DBD-KL", vn(2024, 3, 6).date(), 3),
    }
    dossier = Dossier.receive(unit=units["pu_hong"], procedure=procedures["marriage"], applicant_name="A", by=None)
    assert dossier.code == "DBD-PH-240307-0042"


@pytest.mark.django_db(transaction=True)
def test_concurrent_receipts_all_get_distinct_codes_and_none_is_refused(units, procedures, cast):
    """16 desks × 10 receipts at once, at two units, each in its own connection to PostgreSQL."""
    assert connection.vendor == "postgresql"
    workers, each = 16, 10
    start = threading.Barrier(workers)
    made, failures = [], []
    lock = threading.Lock()

    def desk(index):
        unit = units["pu_hong"] if index % 4 else units["keo_lom"]
        try:
            start.wait()
            for number in range(each):
                dossier = Dossier.receive(
                    unit=unit, procedure=procedures["marriage"], applicant_name=f"Người nộp {index}-{number}", by=None
                )
                with lock:
                    made.append(dossier.code)
        except Exception as exc:  # noqa: BLE001 — every refusal is counted, whatever its kind
            with lock:
                failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=desk, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(made) == workers * each == len(set(made)) == Dossier.objects.count()
    pu_hong = sorted(code for code in made if code.startswith("DBD-PH-"))
    assert pu_hong == [f"DBD-PH-240307-{n:04d}" for n in range(1, len(pu_hong) + 1)]


# --- the importer applies the same rules, line by line -----------------------------------------------------------
def import_rows(tmp_path, *rows):
    path = tmp_path / "ho-so.csv"
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return DossierImporter(path)


def test_the_importer_refuses_bad_codes_and_other_units_prefixes_on_their_line(tmp_path, units, procedures):
    importer = import_rows(
        tmp_path,
        "DBD-PH-240301-0001,1.000894,DBD-PH,01/03/2024,truc_tiep,A",
        "A/B,1.000894,DBD-PH,01/03/2024,truc_tiep,A",
        "<b>x</b>,1.000894,DBD-PH,01/03/2024,truc_tiep,A",
        "DBD-KL-240301-0009,1.000894,DBD-PH,01/03/2024,truc_tiep,A",
    )
    result = importer.validate()
    assert result.errors[0].startswith("dòng 3: mã hồ sơ: «A/B» không hợp lệ: mã hồ sơ chỉ gồm chữ in hoa")
    assert result.errors[1].startswith("dòng 4: mã hồ sơ: «<b>x</b>» không hợp lệ")
    assert result.errors[2].startswith("dòng 5: mã hồ sơ: «DBD-KL-240301-0009» mang tiền tố của UBND xã Keo Lôm")
    assert len(result.errors) == 3


def test_an_imported_code_in_the_units_own_format_moves_its_counter(tmp_path, units, procedures):
    importer = import_rows(tmp_path, "DBD-PH-240307-0012,1.000894,DBD-PH,07/03/2024 08:00,truc_tiep,A")
    assert importer.validate().ok
    importer.write()
    dossier = Dossier.receive(unit=units["pu_hong"], procedure=procedures["marriage"], applicant_name="B", by=None)
    assert dossier.code == "DBD-PH-240307-0013"


def test_the_prefix_rule_reads_the_longest_unit_code():
    assert codes._prefixes("DBD-KL-240301-0001") == ["DBD-KL"]
    assert codes._prefixes("A-123456-B-654321-1") == ["A-123456-B", "A"]
    assert codes.automatic_parts("DBD-PH-240301-0007", "DBD-PH") == ("240301", 7)
    assert codes.automatic_parts("DBD-PH-240301-0007", "DBD") is None
