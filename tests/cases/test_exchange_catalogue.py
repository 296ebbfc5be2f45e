"""Units and procedures from files (EXCHANGE_FORMAT.md), and the catalogue fixtures."""

import csv
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cases.exchange.catalogue import ProcedureImporter, UnitImporter
from cases.models import Field, Level, OnlineLevel, Performer, Procedure, Process, Unit, UnitKind

UNIT_HEADER = ["ma_don_vi", "ten_don_vi", "cap", "ma_don_vi_cha"]
PROCEDURE_HEADER = ["ma_thu_tuc", "ten_thu_tuc", "linh_vuc", "thoi_han_ngay", "muc_do"]


def write(path, header, rows, delimiter=","):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def run(command, path, **options):
    out = StringIO()
    call_command(command, path, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# --- units ---------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_units_are_created_with_a_parent_that_comes_later_in_the_file(tmp_path):
    path = write(
        tmp_path / "don_vi.csv",
        UNIT_HEADER,
        [
            ["DBD-PH", "UBND xã Pú Hồng", "xa", "DBD"],
            ["DBD-KTHT", "Phòng Kinh tế - Hạ tầng", "huyen", "DBD"],
            ["DBD", "UBND huyện Điện Biên Đông", "huyen", "DB"],
            ["DB", "UBND tỉnh Điện Biên", "tinh", ""],
            ["KNO-VPDK", "Chi nhánh Văn phòng đăng ký đất đai Krông Nô", "huyen", "DB"],
            ["DB-SNV", "Sở Nội vụ", "tinh", "DB"],
        ],
    )
    output = run("import_units", path)

    assert "thêm mới 6" in output
    district = Unit.objects.get(code="DBD")
    assert district.parent.code == "DB"
    assert district.place_name == "Điện Biên Đông"
    assert set(Unit.objects.subtree(district).values_list("code", flat=True)) == {"DBD", "DBD-PH", "DBD-KTHT"}
    kinds = dict(Unit.objects.values_list("code", "kind"))
    assert kinds == {
        "DB": UnitKind.PEOPLES_COMMITTEE,
        "DBD": UnitKind.PEOPLES_COMMITTEE,
        "DBD-PH": UnitKind.COMMUNE,
        "DBD-KTHT": UnitKind.OFFICE,
        "KNO-VPDK": UnitKind.BRANCH,
        "DB-SNV": UnitKind.DEPARTMENT,
    }
    pu_hong = Unit.objects.get(code="DBD-PH")
    assert pu_hong.path == f"/{district.parent_id}/{district.pk}/{pu_hong.pk}/"
    assert pu_hong.level == Level.COMMUNE


@pytest.mark.django_db
def test_unit_headers_may_be_vietnamese_labels_in_any_case_with_or_without_diacritics(tmp_path):
    path = write(
        tmp_path / "don_vi.csv",
        ["Mã đơn vị", "TEN DON VI", "Cấp", "ma don vi cha"],
        [["DB", "UBND tỉnh Điện Biên", "Cấp tỉnh", ""], ["DBD", "UBND huyện Điện Biên Đông", "huyện", "DB"]],
        delimiter=";",
    )
    run("import_units", path)
    assert Unit.objects.get(code="DBD").parent.code == "DB"
    assert Unit.objects.get(code="DB").level == Level.PROVINCE


@pytest.mark.django_db
def test_a_bad_unit_file_writes_nothing_and_names_every_line(tmp_path):
    path = write(
        tmp_path / "don_vi.csv",
        UNIT_HEADER,
        [
            ["DB", "UBND tỉnh Điện Biên", "tinh", ""],
            ["DBD", "", "huyen", "DB"],
            ["DBD-PH", "UBND xã Pú Hồng", "thon", "DBD"],
            ["DBD-KL", "UBND xã Keo Lôm", "xa", "XYZ"],
            ["DB", "UBND tỉnh Điện Biên (trùng)", "tinh", ""],
        ],
    )
    with pytest.raises(CommandError) as refused:
        run("import_units", path)

    message = str(refused.value)
    assert "dòng 3: tên đơn vị: bắt buộc, đang để trống" in message
    assert "dòng 4: cấp: «thon» không hợp lệ" in message
    assert "dòng 5: mã đơn vị cha: không có đơn vị XYZ" in message
    assert "dòng 2: mã đơn vị: DB trùng với dòng 6" in message
    assert "dòng 6: mã đơn vị: DB trùng với dòng 2" in message
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_a_cycle_of_parents_is_refused(tmp_path):
    path = write(
        tmp_path / "don_vi.csv",
        UNIT_HEADER,
        [["A", "UBND huyện A", "huyen", "B"], ["B", "UBND huyện B", "huyen", "A"], ["C", "UBND xã C", "xa", "C"]],
    )
    importer = UnitImporter(path)
    result = importer.validate()

    assert any(error.startswith("dòng 2: mã đơn vị cha: vòng lặp A → B → A") for error in result.errors)
    assert any(error.startswith("dòng 3: mã đơn vị cha: vòng lặp A → B → A") for error in result.errors)
    assert "dòng 4: mã đơn vị cha: đơn vị C không thể là cha của chính nó" in result.errors
    with pytest.raises(CommandError):
        run("import_units", path)
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_a_unit_cannot_be_moved_under_its_own_descendant(tmp_path, units):
    path = write(tmp_path / "don_vi.csv", UNIT_HEADER, [["DBD", "UBND huyện Điện Biên Đông", "huyen", "DBD-PH"]])
    result = UnitImporter(path).validate()
    assert result.errors == ["dòng 2: mã đơn vị cha: vòng lặp DBD → DBD-PH → DBD"]


@pytest.mark.django_db
def test_moving_a_unit_moves_its_subtree_and_a_second_import_changes_nothing(tmp_path, units):
    path = write(tmp_path / "don_vi.csv", UNIT_HEADER, [["DBD", "UBND huyện Điện Biên Đông", "huyen", "KN"]])
    assert "cập nhật 1" in run("import_units", path)

    krong_no = Unit.objects.get(code="KN")
    assert set(Unit.objects.subtree(krong_no).values_list("code", flat=True)) == {
        "KN",
        "DBD",
        "DBD-KTHT",
        "DBD-PH",
        "DBD-KL",
        "DBD-PG",
    }
    assert Unit.objects.get(code="DBD-PH").path.startswith(krong_no.path)
    assert "không đổi 1" in run("import_units", path)


# --- procedures -------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_procedures_are_imported_with_old_online_levels_mapped_and_fields_created(tmp_path):
    path = write(
        tmp_path / "thu_tuc.csv",
        [*PROCEDURE_HEADER, "cap", "nguon_quyet_dinh"],
        [
            ["1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", "0", "4", "xa", "163/QĐ-BTP"],
            ["1.004837", "Thủ tục đăng ký giám hộ", "Hộ tịch", "3", "3", "xa", "163/QĐ-BTP"],
            ["1.003003", "Thủ tục hòa giải tranh chấp đất đai", "Đất đai", "5", "2", "tinh", ""],
            ["1.000001", "Thủ tục thử", "hộ tịch", "1", "khong", "", ""],
        ],
    )
    run("import_procedures", path)

    birth = Procedure.objects.get(code="1.001193")
    assert (birth.processing_days, birth.online_level, birth.level, birth.source) == (
        0,
        OnlineLevel.FULL,
        Level.COMMUNE,
        "163/QĐ-BTP",
    )
    assert birth.search_name == "1.001193 thu tuc dang ky khai sinh"
    assert Procedure.objects.get(code="1.004837").online_level == OnlineLevel.PARTIAL
    assert Procedure.objects.get(code="1.003003").online_level == OnlineLevel.NONE
    # "hộ tịch" is the same field as "Hộ tịch".
    assert sorted(Field.objects.values_list("name", flat=True)) == ["Hộ tịch", "Đất đai"]
    assert "không đổi 4" in run("import_procedures", path)


@pytest.mark.django_db
def test_a_changed_processing_time_updates_the_procedure_and_keeps_columns_the_file_lacks(tmp_path, procedures):
    procedures["guardian"].source = "163/QĐ-BTP"
    procedures["guardian"].save()
    path = write(
        tmp_path / "thu_tuc.csv", PROCEDURE_HEADER, [["1.004837", "Thủ tục đăng ký giám hộ", "Hộ tịch", "5", "3"]]
    )
    assert "cập nhật 1" in run("import_procedures", path)
    guardian = Procedure.objects.get(code="1.004837")
    assert guardian.processing_days == 5
    assert (guardian.level, guardian.source) == (Level.COMMUNE, "163/QĐ-BTP")


@pytest.mark.django_db
def test_a_bad_procedure_file_writes_nothing_and_names_every_line(tmp_path):
    path = write(
        tmp_path / "thu_tuc.csv",
        PROCEDURE_HEADER,
        [
            ["1.000001", "Thủ tục A", "Hộ tịch", "-1", "3"],
            ["1.000002", "Thủ tục B", "Hộ tịch", "năm ngày", "3"],
            ["1.000003", "Thủ tục C", "Hộ tịch", "5", "5"],
            ["1.000004", "Thủ tục D", "", "5", "3"],
            ["1.000005", "Thủ tục E", "Hộ tịch", "2", "3"],
            ["1.000005", "Thủ tục E", "Hộ tịch", "2", "3"],
        ],
    )
    with pytest.raises(CommandError) as refused:
        run("import_procedures", path)
    message = str(refused.value)
    assert "dòng 2: thời hạn giải quyết (ngày làm việc): «-1» không phải số ngày làm việc" in message
    assert "dòng 3: thời hạn giải quyết (ngày làm việc): «năm ngày» không phải số ngày làm việc" in message
    assert "dòng 4: mức độ DVC: «5» không hợp lệ" in message
    assert "dòng 5: lĩnh vực: bắt buộc, đang để trống" in message
    assert "dòng 6: mã thủ tục: 1.000005 trùng với dòng 7" in message
    assert not Procedure.objects.exists() and not Field.objects.exists()


@pytest.mark.django_db
def test_a_file_without_a_required_column_is_refused_at_line_1(tmp_path):
    path = write(tmp_path / "thu_tuc.csv", ["ma_thu_tuc", "ten_thu_tuc", "linh_vuc", "muc_do", "ghi_chu"], [])
    result = ProcedureImporter(path).validate()
    assert result.errors == [
        "dòng 1: thời hạn giải quyết (ngày làm việc): thiếu cột bắt buộc "
        "(tiêu đề «thoi_han_ngay» hoặc «Thời hạn giải quyết (ngày làm việc)»)"
    ]
    assert result.warnings == ["dòng 1: cột «ghi_chu» không thuộc định dạng, bỏ qua"]


# --- fixtures -------------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_load_fixtures_loads_the_seed_units_and_the_catalogue_and_a_second_run_changes_nothing():
    out = StringIO()
    call_command("load_fixtures", stdout=out)
    assert "bị từ chối 0" in out.getvalue()

    district = Unit.objects.get(code="DBD")
    codes = set(Unit.objects.subtree(district).values_list("code", flat=True))
    assert {"DBD-PH", "DBD-KL", "DBD-PG", "DBD-KTHT", "DBD-NV", "DBD-TP"} <= codes
    assert Unit.objects.get(code="KNO-VPDK").kind == UnitKind.BRANCH
    assert Unit.objects.get(code="MHA-LDTBXH").parent.code == "MHA"
    assert Unit.objects.get(code="NXU").children.filter(level=Level.COMMUNE).count() == 16
    assert Procedure.objects.count() == 187
    birth = Procedure.objects.get(code="1.001193")
    assert (birth.processing_days, birth.added_by_hand) == (0, True)
    assert Procedure.objects.filter(added_by_hand=True, processing_days=0).count() == 5
    # Every procedure has a default process; Pú Hồng's land dossiers pass by the district's natural resources office.
    assert Process.objects.filter(unit=None).count() == 187
    land = Process.objects.get(procedure__code="1.012796", unit__code="DBD-PH")
    assert land.steps.get(performer=Performer.OTHER_UNIT).performer_unit.code == "DBD-TNMT"
    # After the 2025 reform, the merged commune's go by the provincial land registry's area branch.
    land = Process.objects.get(procedure__code="1.012796", unit__code="DB-PUHONG")
    assert land.steps.get(performer=Performer.OTHER_UNIT).performer_unit.code == "DB-VPDK-DBD"

    events_before = list(Unit.objects.values_list("code", "path", "kind"))
    out = StringIO()
    call_command("load_fixtures", stdout=out)
    assert out.getvalue().count("thêm mới 0, cập nhật 0") == 3
    assert list(Unit.objects.values_list("code", "path", "kind")) == events_before


# --- units that change (the 2025 reform) ----------------------------------------------------------------------------
REFORM_HEADER = [*UNIT_HEADER, "hieu_luc_tu", "hieu_luc_den", "sap_nhap_vao"]


@pytest.mark.django_db
def test_units_carry_their_validity_and_the_unit_they_were_merged_into(tmp_path):
    path = write(
        tmp_path / "don_vi.csv",
        REFORM_HEADER,
        [
            ["DB", "UBND tỉnh Điện Biên", "tinh", "", "", "", ""],
            ["DBD", "UBND huyện Điện Biên Đông", "huyen", "DB", "", "30/06/2025", "DB"],
            ["DBD-PH", "UBND xã Pú Hồng", "xa", "DBD", "", "30/06/2025", "DB-PUHONG"],
            ["DB-PUHONG", "UBND xã Pú Hồng", "xa", "DB", "01/07/2025", "", ""],
        ],
    )
    assert "thêm mới 4" in run("import_units", path)
    old, new = Unit.objects.get(code="DBD-PH"), Unit.objects.get(code="DB-PUHONG")
    assert (old.valid_to, old.merged_into) == (date(2025, 6, 30), new)
    assert new.valid_from == date(2025, 7, 1) and new.parent.code == "DB"
    assert old.is_valid_on(date(2025, 6, 30)) and not old.is_valid_on(date(2025, 7, 1))
    # The same file again changes nothing; a file without the validity columns keeps them.
    assert "thêm mới 0, cập nhật 0" in run("import_units", path)
    plain = write(tmp_path / "plain.csv", UNIT_HEADER, [["DBD-PH", "UBND xã Pú Hồng", "xa", "DBD"]])
    assert "cập nhật 0, không đổi 1" in run("import_units", plain)
    assert Unit.objects.get(code="DBD-PH").merged_into == new


@pytest.mark.django_db
def test_a_bad_validity_is_refused_with_its_line_and_column(tmp_path):
    path = write(
        tmp_path / "don_vi.csv",
        REFORM_HEADER,
        [
            ["DB", "UBND tỉnh Điện Biên", "tinh", "", "", "", ""],
            ["DBD", "UBND huyện Điện Biên Đông", "huyen", "DB", "", "", ""],
            ["DBD-TT", "UBND thị trấn Điện Biên Đông", "xa", "DBD", "01/07/2025", "30/06/2025", ""],
            ["DBD-PH", "UBND xã Pú Hồng", "xa", "DBD", "", "31/02/2025", ""],
            ["DBD-KL", "UBND xã Keo Lôm", "xa", "DBD", "", "", "DB-NASON"],
            ["DBD-PG", "UBND xã Phình Giàng", "xa", "DBD", "", "30/06/2025", "DB-KHONG-CO"],
        ],
    )
    with pytest.raises(CommandError) as refused:
        run("import_units", path)
    message = str(refused.value)
    assert "dòng 4: hiệu lực đến ngày: 30/06/2025 trước ngày bắt đầu hiệu lực 01/07/2025" in message
    assert "dòng 5: hiệu lực đến ngày: «31/02/2025» không phải ngày hợp lệ" in message
    assert "dòng 6: hiệu lực đến ngày: đơn vị đã sáp nhập phải có ngày hết hiệu lực" in message
    assert "dòng 7: sáp nhập vào đơn vị: không có đơn vị DB-KHONG-CO" in message
    assert not Unit.objects.exists()


@pytest.mark.django_db
def test_the_fixtures_hold_the_district_era_and_the_communes_that_took_over():
    call_command("load_fixtures", stdout=StringIO())
    district = Unit.objects.get(code="DBD")
    assert (district.valid_to, district.merged_into.code) == (date(2025, 6, 30), "DB")
    old_communes = Unit.objects.subtree(district).filter(level=Level.COMMUNE)
    assert old_communes.count() == 14
    assert all(unit.valid_to == date(2025, 6, 30) and unit.merged_into for unit in old_communes)
    successor = Unit.objects.get(code="DBD-PH").merged_into
    assert (successor.name, successor.parent.code, successor.valid_from) == ("UBND xã Pú Hồng", "DB", date(2025, 7, 1))
    assert Unit.objects.get(code="DKN").merged_into.code == "LD"
