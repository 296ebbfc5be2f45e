"""Dossiers in and out of files (EXCHANGE_FORMAT.md): validation by line, upserts, round trips, spreadsheet files."""

import csv
import io
from datetime import date, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from cases.exchange.columns import DOSSIER_KEYS
from cases.exchange.dossiers import DossierImporter
from cases.exchange.reading import read_rows
from cases.exchange.values import parse_moment
from cases.models import Dossier, DossierEvent, OnlineLevel, State
from tests.conftest import VN, vn

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "ma_ho_so": "HS-001",
    "ma_thu_tuc": "1.004837",  # guardianship: 3 working days
    "ma_don_vi": "DBD-PH",
    "ngay_tiep_nhan": "16/10/2023 08:30",  # a Monday
    "ngay_hen_tra": "",
    "ngay_co_ket_qua": "",
    "ngay_tra_ket_qua": "",
    "hinh_thuc_nop": "truc_tiep",
    "nguoi_nop": "Lò Văn A",
    "so_dien_thoai": "0912345678",
    "dia_chi": "bản Pú Hồng",
    "trang_thai": "",
    "so_hoa_ho_so": "0",
    "so_hoa_ket_qua": "0",
}


def row(**values):
    merged = {**DEFAULTS, **values}
    return [merged[key] for key in DOSSIER_KEYS]


def write_csv(path, rows, header=DOSSIER_KEYS, delimiter=",", encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def write_xlsx(path, rows, header=DOSSIER_KEYS):
    workbook = Workbook()
    workbook.active.append(list(header))
    for values in rows:
        workbook.active.append(list(values))
    workbook.save(path)
    return str(path)


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def read_xlsx(path):
    """Rows as a user sees them (empty cells at the end of a row are not stored in the file)."""
    sheet = load_workbook(path, read_only=True).worksheets[0]
    rows = [["" if value is None else value for value in values] for values in sheet.iter_rows(values_only=True)]
    return [values + [""] * (len(rows[0]) - len(values)) for values in rows]


def import_file(path, **options):
    out = StringIO()
    call_command("import_dossiers", path, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def catalogue(units, procedures):
    return units, procedures


# --- creating -----------------------------------------------------------------------------------------------------
def test_new_dossiers_get_due_dates_from_the_working_day_calendar(tmp_path, catalogue, cast):
    path = write_csv(
        tmp_path / "ho_so.csv",
        [
            row(),
            # Marriage is a same-day procedure; received after the 15:00 cut-off it is due the next working day.
            row(ma_ho_so="HS-002", ma_thu_tuc="1.000894", ngay_tiep_nhan="16/10/2023 15:30"),
            # DOMAIN.md's example: 5 working days across Tết 2024.
            row(ma_ho_so="HS-003", ma_thu_tuc="1.003003", ma_don_vi="DBD-KL", ngay_tiep_nhan="07/02/2024 10:00"),
        ],
    )
    output = import_file(path, user="motcua.puhong")

    assert "Đã đọc 3 dòng: thêm mới 3, cập nhật 0, không đổi 0, bị từ chối 0." in output
    guardian, marriage, land = Dossier.objects.order_by("code")
    assert guardian.due_at == vn(2023, 10, 19, 8, 30)
    assert marriage.due_at == vn(2023, 10, 17, 17, 0)
    assert land.due_at == vn(2024, 2, 21, 10, 0)
    assert [d.due_at_given for d in (guardian, marriage, land)] == [False, False, False]
    assert (guardian.processing_days, guardian.state, guardian.channel) == (3, State.PROCESSING, "truc_tiep")
    assert (guardian.applicant_name, guardian.applicant_phone) == ("Lò Văn A", "0912345678")
    assert guardian.received_by == cast["desk_pu_hong"]
    event = DossierEvent.objects.get(dossier=guardian)
    assert (event.kind, event.at, event.by) == ("imported", vn(2023, 10, 16, 8, 30), cast["desk_pu_hong"])
    assert event.reason == "Nhập từ tệp ho_so.csv, dòng 2"


def test_a_bare_received_date_is_the_office_opening_and_a_bare_result_date_the_close(tmp_path, catalogue):
    path = write_csv(
        tmp_path / "ho_so.csv",
        [
            row(ngay_tiep_nhan="16/10/2023", ngay_co_ket_qua="17/10/2023", ngay_tra_ket_qua="17/10/2023"),
            # Received after hours, resolved "the same day": the result is not put before the receipt.
            row(ma_ho_so="HS-002", ngay_tiep_nhan="16/10/2023 17:30", ngay_co_ket_qua="16/10/2023"),
            row(ma_ho_so="HS-003", ngay_hen_tra="20/10/2023"),
        ],
    )
    import_file(path)

    first, after_hours, given = Dossier.objects.order_by("code")
    assert first.received_at == vn(2023, 10, 16, 7, 0)
    # Three working days from Monday's opening end at Thursday's opening: due at Wednesday's close.
    assert first.due_at == vn(2023, 10, 18, 17, 0)
    assert (first.resolved_at, first.returned_at, first.state) == (vn(2023, 10, 17, 17), vn(2023, 10, 17, 17), "da_tra")
    assert after_hours.resolved_at == vn(2023, 10, 16, 17, 30)
    assert (given.due_at, given.due_at_given) == (vn(2023, 10, 20, 17, 0), True)


@pytest.mark.parametrize(
    "text, expected, timed",
    [
        ("16/10/2023", datetime(2023, 10, 16, 7, 0, tzinfo=VN), False),
        ("16/10/2023 08:30", datetime(2023, 10, 16, 8, 30, tzinfo=VN), True),
        ("6/1/2024 14:05", datetime(2024, 1, 6, 14, 5, tzinfo=VN), True),
        ("2023-10-16", datetime(2023, 10, 16, 7, 0, tzinfo=VN), False),
        ("2023-10-16T08:30", datetime(2023, 10, 16, 8, 30, tzinfo=VN), True),
        ("2023-10-16T01:30:00Z", datetime(2023, 10, 16, 8, 30, tzinfo=VN), True),
        (datetime(2023, 10, 16, 8, 30), datetime(2023, 10, 16, 8, 30, tzinfo=VN), True),
        (datetime(2023, 10, 16), datetime(2023, 10, 16, 7, 0, tzinfo=VN), False),
        (date(2023, 10, 16), datetime(2023, 10, 16, 7, 0, tzinfo=VN), False),
    ],
)
def test_every_documented_date_form_is_read_in_vietnam_time(text, expected, timed):
    moment, had_time = parse_moment(text, VN, datetime(2000, 1, 1, 7, 0).time())
    assert moment == expected
    assert had_time is timed


def test_the_state_follows_the_dates_unless_the_file_names_a_state_the_dates_cannot_show(tmp_path, catalogue):
    path = write_csv(
        tmp_path / "ho_so.csv",
        [
            row(ma_ho_so="A", ngay_co_ket_qua="18/10/2023 10:00"),
            row(ma_ho_so="B", ngay_co_ket_qua="18/10/2023 10:00", ngay_tra_ket_qua="19/10/2023 08:00"),
            row(ma_ho_so="C", trang_thai="tu_choi"),
            row(ma_ho_so="D", trang_thai="Rút hồ sơ"),
            row(ma_ho_so="E", trang_thai="bo_sung"),
            row(ma_ho_so="F", trang_thai="tam_dung"),
        ],
    )
    import_file(path)

    dossiers = {d.code: d for d in Dossier.objects.all()}
    assert {code: d.state for code, d in dossiers.items()} == {
        "A": "da_co_ket_qua", "B": "da_tra", "C": "tu_choi", "D": "rut", "E": "bo_sung", "F": "tam_dung",
    }  # fmt: skip
    # A refusal carries no date in the file: it ends at the receipt, the one moment known.
    assert dossiers["C"].ended_at == dossiers["C"].received_at == vn(2023, 10, 16, 8, 30)
    assert dossiers["A"].ended_at is None
    assert dossiers["E"].clock_stopped_at is not None and dossiers["A"].clock_stopped_at is None


# --- refusing -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "values, problem",
    [
        ({"nguoi_nop": ""}, "người nộp: bắt buộc, đang để trống"),
        ({"ma_ho_so": ""}, "mã hồ sơ: bắt buộc, đang để trống"),
        ({"ma_thu_tuc": "9.999999"}, "mã thủ tục: không có thủ tục 9.999999 trong danh mục"),
        ({"ma_don_vi": "XX"}, "mã đơn vị: không có đơn vị XX"),
        ({"ngay_tiep_nhan": ""}, "ngày tiếp nhận: bắt buộc, đang để trống"),
        ({"ngay_tiep_nhan": "hôm qua"}, "ngày tiếp nhận: «hôm qua» không đọc được"),
        ({"ngay_tiep_nhan": "31/02/2023"}, "ngày tiếp nhận: «31/02/2023» không phải ngày hợp lệ"),
        ({"ngay_tiep_nhan": "16/10/2099 08:00"}, "ngày tiếp nhận: 16/10/2099 08:00 ở tương lai"),
        (
            {"ngay_tiep_nhan": "05/01/2023", "ngay_co_ket_qua": "02/01/2023"},
            "ngày có kết quả: 02/01/2023 trước ngày tiếp nhận 05/01/2023",
        ),
        (
            {"ngay_co_ket_qua": "17/10/2023 10:00", "ngay_tra_ket_qua": "17/10/2023 09:00"},
            "ngày trả kết quả: 17/10/2023 09:00 trước ngày có kết quả 17/10/2023 10:00",
        ),
        (
            {"ngay_tra_ket_qua": "17/10/2023 09:00"},
            "ngày trả kết quả: có ngày trả kết quả nhưng chưa có ngày có kết quả",
        ),
        ({"ngay_hen_tra": "15/10/2023 08:00"}, "ngày hẹn trả: 15/10/2023 08:00 trước ngày tiếp nhận 16/10/2023 08:30"),
        ({"hinh_thuc_nop": "fax"}, "hình thức nộp: «fax» không hợp lệ (dùng truc_tiep, truc_tuyen hoặc buu_chinh)"),
        ({"trang_thai": "xong"}, "trạng thái: «xong» không hợp lệ"),
        (
            {"trang_thai": "tu_choi", "ngay_co_ket_qua": "17/10/2023 10:00"},
            "trạng thái: «Từ chối» nhưng có ngày có kết quả hoặc ngày trả kết quả",
        ),
        (
            {"trang_thai": "da_tra", "ngay_co_ket_qua": "17/10/2023 10:00"},
            "trạng thái: «Đã trả kết quả» không khớp với các ngày (Đã có kết quả)",
        ),
    ],
)
def test_a_file_with_an_invalid_row_is_refused_whole_with_the_line_and_the_reason(tmp_path, catalogue, values, problem):
    path = write_csv(tmp_path / "ho_so.csv", [row(ma_ho_so="HS-OK"), row(**{"ma_ho_so": "HS-BAD", **values})])
    with pytest.raises(CommandError) as refused:
        import_file(path)

    assert f"dòng 3: {problem}" in str(refused.value)
    assert "dòng 2" not in str(refused.value)
    assert not Dossier.objects.exists()
    assert not DossierEvent.objects.exists()


def test_the_same_code_twice_in_a_file_names_both_lines(tmp_path, catalogue):
    path = write_csv(tmp_path / "ho_so.csv", [row(), row(ma_ho_so="HS-002"), row(nguoi_nop="Người khác")])
    result = DossierImporter(path).validate()

    assert result.errors == ["dòng 2: mã hồ sơ: HS-001 trùng với dòng 4", "dòng 4: mã hồ sơ: HS-001 trùng với dòng 2"]
    assert result.refused == 2


def test_every_problem_of_a_file_is_listed_not_only_the_first(tmp_path, catalogue):
    path = write_csv(
        tmp_path / "ho_so.csv",
        [row(ma_thu_tuc="9.9", ngay_tiep_nhan="x"), row(ma_ho_so="HS-002"), row(ma_ho_so="HS-003", ma_don_vi="")],
    )
    with pytest.raises(CommandError) as refused:
        import_file(path)
    message = str(refused.value)
    assert "(3 lỗi)" in message
    assert "dòng 2: mã thủ tục: không có thủ tục 9.9" in message
    assert "dòng 2: ngày tiếp nhận: «x» không đọc được" in message
    assert "dòng 4: mã đơn vị: bắt buộc, đang để trống" in message


def test_a_refused_file_leaves_existing_dossiers_untouched(tmp_path, catalogue):
    import_file(write_csv(tmp_path / "dau.csv", [row()]))
    with pytest.raises(CommandError):
        import_file(write_csv(tmp_path / "sau.csv", [row(nguoi_nop="Tên mới"), row(ma_ho_so="HS-2", ma_don_vi="?")]))
    assert Dossier.objects.get().applicant_name == "Lò Văn A"
    assert DossierEvent.objects.count() == 1


# --- updating -----------------------------------------------------------------------------------------------------
def test_importing_the_same_file_twice_changes_nothing_the_second_time(tmp_path, catalogue):
    path = write_csv(
        tmp_path / "ho_so.csv",
        [row(), row(ma_ho_so="HS-002", ngay_co_ket_qua="17/10/2023"), row(ma_ho_so="HS-003", trang_thai="bo_sung")],
    )
    import_file(path)
    before = list(Dossier.objects.order_by("code").values())

    output = import_file(path)

    assert "thêm mới 0, cập nhật 0, không đổi 3, bị từ chối 0" in output
    assert list(Dossier.objects.order_by("code").values()) == before
    assert DossierEvent.objects.count() == 3


def test_a_changed_row_updates_the_dossier_and_records_before_and_after(tmp_path, catalogue, cast):
    import_file(write_csv(tmp_path / "dau.csv", [row()]))
    path = write_csv(
        tmp_path / "sau.csv", [row(nguoi_nop="Lò Văn Ánh", ngay_co_ket_qua="18/10/2023 09:00", so_dien_thoai="")]
    )
    output = import_file(path, user="vanphong.dbd")

    assert "thêm mới 0, cập nhật 1, không đổi 0" in output
    dossier = Dossier.objects.get()
    assert (dossier.applicant_name, dossier.state, dossier.resolved_at) == (
        "Lò Văn Ánh", "da_co_ket_qua", vn(2023, 10, 18, 9),
    )  # fmt: skip
    assert dossier.applicant_phone == ""
    event = dossier.events.get(kind="updated")
    assert event.by == cast["office"]
    assert event.before == {"applicant_name": "Lò Văn A", "applicant_phone": "0912345678", "resolved_at": None,
                            "state": "dang_giai_quyet"}  # fmt: skip
    assert event.after["applicant_name"] == "Lò Văn Ánh"
    assert event.after["resolved_at"] == "2023-10-18T09:00:00+07:00"
    assert event.reason == "Nhập từ tệp sau.csv, dòng 2"


def test_a_blank_due_date_keeps_a_due_date_moved_by_a_supplement_request(tmp_path, catalogue):
    import_file(write_csv(tmp_path / "ho_so.csv", [row()]))
    Dossier.objects.update(due_at=vn(2023, 10, 23, 8, 30))  # as a supplement request would have moved it
    assert "không đổi 1" in import_file(write_csv(tmp_path / "ho_so.csv", [row()]))
    assert Dossier.objects.get().due_at == vn(2023, 10, 23, 8, 30)


# --- options ------------------------------------------------------------------------------------------------------
def test_skip_invalid_imports_the_good_rows_and_writes_the_bad_ones_with_a_loi_column(tmp_path, catalogue):
    path = write_csv(
        tmp_path / "ho_so.csv",
        [
            row(),
            row(ma_ho_so="HS-002", hinh_thuc_nop="fax"),
            row(ma_ho_so="HS-003"),
            row(ma_ho_so="HS-004", ma_don_vi="?"),
        ],
    )
    output = import_file(path, skip_invalid=True)

    assert "thêm mới 2, cập nhật 0, không đổi 0, bị từ chối 2" in output
    assert set(Dossier.objects.values_list("code", flat=True)) == {"HS-001", "HS-003"}
    rejected = read_csv(tmp_path / "ho_so.loi.csv")
    assert rejected[0] == [*DOSSIER_KEYS, "loi"]
    assert [line[0] for line in rejected[1:]] == ["HS-002", "HS-004"]
    assert rejected[1][-1].startswith("hình thức nộp: «fax» không hợp lệ")
    assert rejected[2][-1] == "mã đơn vị: không có đơn vị ?"
    assert rejected[1][:-1] == row(ma_ho_so="HS-002", hinh_thuc_nop="fax")


def test_skip_invalid_with_a_spreadsheet_writes_the_refused_rows_as_a_spreadsheet(tmp_path, catalogue):
    path = write_xlsx(tmp_path / "ho_so.xlsx", [row(), row(ma_ho_so="HS-002", ngay_tiep_nhan="32/10/2023")])
    import_file(path, skip_invalid=True)

    assert Dossier.objects.get().code == "HS-001"
    rejected = read_xlsx(tmp_path / "ho_so.loi.xlsx")
    assert rejected[0][-1] == "loi"
    assert rejected[1][0] == "HS-002"
    assert rejected[1][-1] == "ngày tiếp nhận: «32/10/2023» không phải ngày hợp lệ"


def test_dry_run_reports_and_writes_nothing(tmp_path, catalogue):
    path = write_csv(tmp_path / "ho_so.csv", [row(), row(ma_ho_so="HS-002")])
    output = import_file(path, dry_run=True)

    assert "Chạy thử" in output
    assert "thêm mới 2" in output and "Chưa ghi gì" in output
    assert not Dossier.objects.exists()


def test_dry_run_of_a_bad_file_exits_non_zero(tmp_path, catalogue):
    with pytest.raises(CommandError, match="dòng 2: mã đơn vị"):
        import_file(write_csv(tmp_path / "ho_so.csv", [row(ma_don_vi="?")]), dry_run=True)


# --- warnings -----------------------------------------------------------------------------------------------------
def test_warnings_do_not_stop_the_import(tmp_path, catalogue):
    assert catalogue[1]["land"].online_level == OnlineLevel.NONE
    path = write_csv(
        tmp_path / "ho_so.csv",
        [
            row(ma_ho_so="HS-001", ma_thu_tuc="1.003003", hinh_thuc_nop="truc_tuyen"),
            row(ma_ho_so="HS-002", ngay_hen_tra="20/10/2023 17:00"),
        ],
        header=[*DOSSIER_KEYS[:-1], "ghi chú"],
    )
    result = DossierImporter(path).validate()

    assert result.errors == []
    assert result.warnings == [
        "dòng 1: cột «ghi chú» không thuộc định dạng, bỏ qua",
        "dòng 2: hình thức nộp: thủ tục 1.003003 không có dịch vụ công trực tuyến",
        "dòng 3: ngày hẹn trả: 20/10/2023 17:00 khác hạn tính theo lịch làm việc 19/10/2023 08:30, giữ theo tệp",
    ]
    import_file(path)
    assert Dossier.objects.get(code="HS-002").due_at_given is True


# --- round trip ---------------------------------------------------------------------------------------------------
ROUND_TRIP = [
    row(ngay_hen_tra="19/10/2023 08:30"),
    row(
        ma_ho_so="HS-002", ma_thu_tuc="1.000894", ngay_tiep_nhan="16/10/2023 09:15", ngay_hen_tra="16/10/2023 17:00",
        ngay_co_ket_qua="16/10/2023 10:00", ngay_tra_ket_qua="16/10/2023 10:30", hinh_thuc_nop="truc_tuyen",
        so_dien_thoai="", dia_chi="", so_hoa_ho_so="1", so_hoa_ket_qua="1",
    ),
    row(ma_ho_so="HS-003", ma_don_vi="DBD-KL", ngay_hen_tra="25/10/2023 17:00", trang_thai="bo_sung"),
    row(ma_ho_so="HS-004", ma_don_vi="DBD-KTHT", ngay_hen_tra="19/10/2023 08:30", trang_thai="tu_choi"),
    row(ma_ho_so="HS-005", ma_thu_tuc="1.003003", ngay_tiep_nhan="07/02/2024 10:00", ngay_hen_tra="21/02/2024 10:00",
        hinh_thuc_nop="buu_chinh", dia_chi='Bản "Xa Dung", Điện Biên Đông; tổ 3'),
]  # fmt: skip


def test_import_then_csv_export_gives_the_same_rows_back(tmp_path, catalogue):
    source = write_csv(tmp_path / "vao.csv", ROUND_TRIP)
    import_file(source)
    out = StringIO()
    call_command("export_dossiers", str(tmp_path / "ra.csv"), stdout=out)

    assert "Đã xuất 5 hồ sơ" in out.getvalue()
    assert read_csv(tmp_path / "ra.csv") == [list(DOSSIER_KEYS), *ROUND_TRIP]
    assert "không đổi 5" in import_file(str(tmp_path / "ra.csv"))


def test_import_then_xlsx_export_gives_the_same_rows_back(tmp_path, catalogue):
    import_file(write_xlsx(tmp_path / "vao.xlsx", ROUND_TRIP))
    call_command("export_dossiers", str(tmp_path / "ra.xlsx"), stdout=StringIO())

    assert read_xlsx(tmp_path / "ra.xlsx") == [list(DOSSIER_KEYS), *ROUND_TRIP]
    assert "không đổi 5" in import_file(str(tmp_path / "ra.xlsx"))


def test_export_fills_in_computed_due_dates(tmp_path, catalogue):
    import_file(write_csv(tmp_path / "vao.csv", [row()]))
    call_command("export_dossiers", str(tmp_path / "ra.csv"), stdout=StringIO())
    assert read_csv(tmp_path / "ra.csv")[1] == row(ngay_hen_tra="19/10/2023 08:30")


def test_export_of_a_unit_includes_the_units_below_it_and_the_dates_filter_by_receipt(tmp_path, catalogue):
    import_file(
        write_csv(
            tmp_path / "vao.csv",
            [
                row(ma_ho_so="PH", ma_don_vi="DBD-PH", ngay_tiep_nhan="02/10/2023 08:00"),
                row(ma_ho_so="KL", ma_don_vi="DBD-KL", ngay_tiep_nhan="31/10/2023 16:00"),
                row(ma_ho_so="DBD", ma_don_vi="DBD", ngay_tiep_nhan="01/11/2023 08:00"),
                row(ma_ho_so="KN", ma_don_vi="KN", ngay_tiep_nhan="16/10/2023 08:00"),
            ],
        )
    )

    def exported(**options):
        call_command("export_dossiers", str(tmp_path / "ra.csv"), stdout=StringIO(), **options)
        return [line[0] for line in read_csv(tmp_path / "ra.csv")[1:]]

    assert exported(unit="DBD") == ["PH", "KL", "DBD"]
    assert exported(unit="DBD-PH") == ["PH"]
    assert exported(unit="DBD", date_from=date(2023, 10, 2), date_to=date(2023, 10, 31)) == ["PH", "KL"]
    assert exported() == ["PH", "KL", "DBD", "KN"]
    with pytest.raises(CommandError, match="Không có đơn vị XYZ"):
        exported(unit="XYZ")


def test_export_command_reads_vietnamese_dates(tmp_path, catalogue):
    import_file(write_csv(tmp_path / "vao.csv", [row()]))
    call_command("export_dossiers", str(tmp_path / "ra.csv"), "--from", "17/10/2023", stdout=StringIO())
    assert len(read_csv(tmp_path / "ra.csv")) == 1


# --- files as spreadsheet programs save them ----------------------------------------------------------------------
VIETNAMESE_HEADER = [
    "Mã hồ sơ", "Mã thủ tục", "Mã đơn vị", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả", "Ngày trả kết quả",
    "Hình thức nộp", "Người nộp", "Số điện thoại", "Địa chỉ", "Trạng thái", "Đã số hóa hồ sơ", "Số hóa kết quả",
]  # fmt: skip


def test_a_csv_saved_by_excel_with_bom_semicolons_and_vietnamese_headers_is_read(tmp_path, catalogue):
    path = write_csv(
        tmp_path / "excel.csv",
        [row(ngay_co_ket_qua="17/10/2023 10:00", hinh_thuc_nop="Trực tuyến", dia_chi="Bản Co Kham, xã Pú Hồng")],
        header=VIETNAMESE_HEADER,
        delimiter=";",
        encoding="utf-8-sig",
    )
    import_file(path)

    dossier = Dossier.objects.get()
    assert (dossier.code, dossier.channel, dossier.applicant_address) == (
        "HS-001",
        "truc_tuyen",
        "Bản Co Kham, xã Pú Hồng",
    )
    assert dossier.resolved_at == vn(2023, 10, 17, 10)


def test_headers_without_diacritics_in_capitals_are_the_same_columns(tmp_path, catalogue):
    header = ["MA HO SO", "ma thu tuc", "Ma_Don_Vi", "NGAY TIEP NHAN", "ngay hen tra", "Ngay co ket qua",
              "Ngay tra ket qua", "HINH THUC NOP", "Nguoi nop", "So dien thoai", "Dia chi", "Trang thai"]  # fmt: skip
    import_file(write_csv(tmp_path / "khong_dau.csv", [row()], header=header))
    assert Dossier.objects.get().due_at == vn(2023, 10, 19, 8, 30)


def test_an_xlsx_with_date_cells_and_phone_numbers_keeps_dates_and_leading_zeros(tmp_path, catalogue):
    header = ["Mã hồ sơ", "MA THU TUC", *VIETNAMESE_HEADER[2:]]
    rows = [
        row(
            ngay_tiep_nhan=datetime(2023, 10, 16, 8, 30), ngay_co_ket_qua=date(2023, 10, 17), so_dien_thoai="0912345678"
        ),
        # Excel turned these into numbers: the phone lost its 0, the code its trailing zero.
        row(
            ma_ho_so="HS-002", ma_thu_tuc=1.00089, ngay_tiep_nhan=datetime(2023, 10, 16, 9, 0), so_dien_thoai=912345678
        ),
        row(ma_ho_so=1234567, ngay_tiep_nhan="16/10/2023 10:00", so_dien_thoai="02153812345"),
    ]
    from cases.models import Field, Procedure

    Procedure.objects.create(
        code="1.000890", name="Thủ tục thử", field=Field.objects.get(name="Hộ tịch"), processing_days=1,
        online_level=OnlineLevel.PARTIAL,
    )  # fmt: skip
    path = write_xlsx(tmp_path / "excel.xlsx", rows, header=header)
    result = DossierImporter(path).validate()
    assert result.errors == []
    assert "dòng 3: số điện thoại: ô kiểu số 912345678, đã thêm số 0 ở đầu" in result.warnings
    import_file(path)

    dossiers = {d.code: d for d in Dossier.objects.select_related("procedure")}
    assert set(dossiers) == {"HS-001", "HS-002", "1234567"}
    first = dossiers["HS-001"]
    assert (first.received_at, first.resolved_at, first.applicant_phone) == (
        vn(2023, 10, 16, 8, 30), vn(2023, 10, 17, 17, 0), "0912345678",
    )  # fmt: skip
    assert dossiers["HS-002"].applicant_phone == "0912345678"
    assert dossiers["HS-002"].procedure.code == "1.000890"
    assert dossiers["1234567"].applicant_phone == "02153812345"


def test_an_uploaded_file_object_is_read_like_a_file_on_disk(catalogue):
    content = io.BytesIO()
    content.write("\ufeff".encode() + ";".join(VIETNAMESE_HEADER).encode() + b"\r\n")
    content.write(";".join(row()).encode() + b"\r\n")
    lines = list(read_rows(content, "tai_len.csv"))
    assert lines == [(2, dict(zip(VIETNAMESE_HEADER, row(), strict=True)))]

    importer = DossierImporter(content, "tai_len.csv")
    assert importer.validate().errors == []
    importer.write()
    assert Dossier.objects.get().code == "HS-001"
    assert not content.closed


def test_an_upload_can_follow_the_progress_of_a_large_file(tmp_path, catalogue, monkeypatch):
    monkeypatch.setattr("cases.exchange.importer.PROGRESS_EVERY", 2)
    seen = []
    path = write_csv(tmp_path / "ho_so.csv", [row(ma_ho_so=f"HS-{n}") for n in range(5)])
    DossierImporter(path, progress=seen.append).validate()
    assert seen == [2, 4]


def test_a_csv_not_in_utf8_is_refused_with_a_hint(tmp_path, catalogue):
    path = write_csv(tmp_path / "cu.csv", [row(nguoi_nop="Lò Văn Á")], encoding="utf-16")
    with pytest.raises(CommandError, match="không phải mã UTF-8"):
        import_file(path)


def test_an_xls_file_is_refused_with_a_hint(tmp_path, catalogue):
    (tmp_path / "cu.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(CommandError, match="lưu lại dạng .xlsx"):
        import_file(str(tmp_path / "cu.xls"))


def test_the_digitisation_flags_are_read_kept_when_blank_and_refused_when_unknown(tmp_path, catalogue):
    import_file(write_csv(tmp_path / "a.csv", [row(so_hoa_ho_so="1", so_hoa_ket_qua="")]))
    dossier = Dossier.objects.get()
    assert (dossier.papers_digitized, dossier.result_digitized) == (True, False)
    # Blank keeps what the dossier has; 0 clears it; "có" is accepted.
    import_file(write_csv(tmp_path / "b.csv", [row(so_hoa_ho_so="", so_hoa_ket_qua="có")]))
    dossier.refresh_from_db()
    assert (dossier.papers_digitized, dossier.result_digitized) == (True, True)
    import_file(write_csv(tmp_path / "c.csv", [row(so_hoa_ho_so="0", so_hoa_ket_qua="1")]))
    dossier.refresh_from_db()
    assert (dossier.papers_digitized, dossier.result_digitized) == (False, True)
    with pytest.raises(CommandError):
        import_file(write_csv(tmp_path / "d.csv", [row(so_hoa_ho_so="có lẽ")]))
