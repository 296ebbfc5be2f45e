"""Internal processes in and out of files (EXCHANGE_FORMAT.md, "Processes"): a procedure's process replaced as a
whole, the shares checked against the procedure's time, refusals by line, round trips.

The land procedure takes 5 working days (40 working hours), guardianship 3 (24 h), marriage 0: its steps share
one working day (8 h).
"""

from decimal import Decimal

import pytest

from cases.catalogue.calendar import calendar
from cases.catalogue.processes import plan_for
from cases.exchange.columns import PROCESS_KEYS
from cases.models import Performer, Process, ProcessStep
from tests.exchange_files import read_csv, read_xlsx, run, write_csv
from tests.exchange_files import refusal as refused_file

pytestmark = pytest.mark.django_db

LAND = [
    ["1.003003", "", "1", "Tiếp nhận hồ sơ", "mot_cua", "2"],
    ["1.003003", "", "2", "Thẩm định hồ sơ", "chuyen_mon", "30"],
    ["1.003003", "", "3", "Ký duyệt", "lanh_dao", "6"],
    ["1.003003", "", "4", "Trả kết quả", "mot_cua", "2"],
]
# Pú Hồng's own: the district's economy office checks the site (liên thông).
LAND_PU_HONG = [
    ["1.003003", "DBD-PH", "1", "Tiếp nhận hồ sơ", "mot_cua", "1,5"],
    ["1.003003", "DBD-PH", "2", "Xác minh thực địa", "chuyen_mon", "14,5"],
    ["1.003003", "DBD-PH", "3", "Thẩm định của Phòng Kinh tế - Hạ tầng", "DBD-KTHT", "16"],
    ["1.003003", "DBD-PH", "4", "Ký duyệt", "lanh_dao", "6"],
    ["1.003003", "DBD-PH", "5", "Trả kết quả", "mot_cua", "2"],
]
MARRIAGE = [
    ["1.000894", "", "1", "Tiếp nhận, kiểm tra hồ sơ", "mot_cua", "0.5"],
    ["1.000894", "", "2", "Ghi sổ hộ tịch", "chuyen_mon", "5.5"],
    ["1.000894", "", "3", "Chủ tịch UBND xã ký", "lanh_dao", "1,5"],
    ["1.000894", "", "4", "Trả kết quả", "mot_cua", "0,5"],
]


def write(path, rows, header=PROCESS_KEYS, delimiter=","):
    return write_csv(path, header, rows, delimiter)


def refusal(path, **options):
    return refused_file("import_processes", path, **options)


def steps_of(procedure, unit=None):
    process = Process.objects.get(procedure=procedure, unit=unit)
    return [(s.number, s.name, s.performer, s.performer_unit, s.hours) for s in process.steps.order_by("number")]


def test_a_file_sets_a_default_process_and_a_units_own_and_the_dossiers_follow_them(tmp_path, units, procedures):
    output = run("import_processes", write(tmp_path / "quy_trinh.csv", LAND + LAND_PU_HONG + MARRIAGE))

    assert "thêm mới 13" in output
    land = procedures["land"]
    assert steps_of(land)[1] == (2, "Thẩm định hồ sơ", Performer.SPECIALIST, None, Decimal(30))
    assert steps_of(land, units["pu_hong"])[2] == (
        3, "Thẩm định của Phòng Kinh tế - Hạ tầng", Performer.OTHER_UNIT, units["economy"], Decimal(16),
    )  # fmt: skip
    # Decimal comma and point alike.
    assert [step[4] for step in steps_of(procedures["marriage"])] == [
        Decimal("0.5"),
        Decimal("5.5"),
        Decimal("1.5"),
        Decimal("0.5"),
    ]
    # Pú Hồng follows its own process, Keo Lôm the default.
    work = calendar()
    assert len(plan_for(land, units["pu_hong"].pk, work)) == 5
    assert [step.name for step in plan_for(land, units["keo_lom"].pk, work)][2] == "Ký duyệt"


def test_export_gives_the_imported_rows_back_and_a_second_import_changes_nothing(tmp_path, units, procedures):
    rows = LAND + LAND_PU_HONG
    run("import_processes", write(tmp_path / "quy_trinh.csv", rows))
    history = ProcessStep.history.count()

    run("export_processes", str(tmp_path / "xuat.csv"))
    exported = read_csv(tmp_path / "xuat.csv")
    assert exported[0] == list(PROCESS_KEYS)
    assert exported[1:] == rows

    again = run("import_processes", str(tmp_path / "xuat.csv"))
    assert "thêm mới 0, cập nhật 0, không đổi 9" in again
    assert ProcessStep.history.count() == history

    run("export_processes", str(tmp_path / "xuat.xlsx"))
    assert read_xlsx(tmp_path / "xuat.xlsx")[1:] == rows
    assert "không đổi 9" in run("import_processes", str(tmp_path / "xuat.xlsx"))


def test_a_procedures_process_is_replaced_as_a_whole_and_its_history_kept(tmp_path, units, procedures):
    run("import_processes", write(tmp_path / "a.csv", LAND))
    three = [
        ["1.003003", "", "1", "Tiếp nhận hồ sơ", "mot_cua", "4"],
        ["1.003003", "", "2", "Thẩm định, trình ký", "chuyen_mon", "32"],
        ["1.003003", "", "3", "Trả kết quả", "mot_cua", "4"],
    ]
    output = run("import_processes", write(tmp_path / "b.csv", three))

    assert "cập nhật 3" in output
    assert [(n, name, hours) for n, name, _, _, hours in steps_of(procedures["land"])] == [
        (1, "Tiếp nhận hồ sơ", Decimal(4)), (2, "Thẩm định, trình ký", Decimal(32)), (3, "Trả kết quả", Decimal(4)),
    ]  # fmt: skip
    # The fourth step is gone from the process, not from its history.
    removed = ProcessStep.history.filter(number=4, history_type="-")
    assert removed.count() == 1 and removed.get().name == "Trả kết quả"
    changed = ProcessStep.history.filter(number=2, history_type="~").get()
    assert changed.history_change_reason == "Nhập quy trình nội bộ từ tệp"


def test_a_file_with_bad_rows_is_refused_whole_with_one_line_per_problem_in_vietnamese(tmp_path, units, procedures):
    rows = [
        *LAND[:3],
        ["1.003003", "", "4", "Trả kết quả", "mot_cua", "3"],  # 2 + 30 + 6 + 3 = 41 h, not 40
        ["1.004837", "", "1", "Tiếp nhận", "mot_cua", "4"],
        ["1.004837", "", "3", "Thẩm định", "chuyen_mon", "20"],  # step 2 is missing
        ["9.999999", "", "1", "Tiếp nhận", "mot_cua", "8"],
        ["1.000894", "DBD-PH", "1", "Tiếp nhận", "lien_thong", "4"],
        ["1.000894", "DBD-PH", "2", "Giải quyết", "DBD-XYZ", "4"],
        ["1.000894", "DBD-KL", "1", "Tiếp nhận", "mot_cua", "nửa giờ"],
        ["1.000894", "DBD-KL", "2", "Giải quyết", "DBD-KL", "7,5"],
    ]
    message = refusal(write(tmp_path / "quy_trinh.csv", rows))

    assert "Tệp bị từ chối, không ghi gì" in message
    assert (
        "dòng 2: thời gian (giờ làm việc): quy trình của thủ tục 1.003003 (mặc định): tổng thời gian các bước 41 "
        "giờ, khác thời hạn của thủ tục 40 giờ"
    ) in message
    assert "dòng 3: quy trình: bị từ chối cả quy trình vì dòng 2 có lỗi" in message
    assert "dòng 7: bước: bước 3 không đúng thứ tự" in message
    assert "phải là bước 2" in message
    assert "dòng 8: mã thủ tục: không có thủ tục 9.999999 trong danh mục" in message
    assert "dòng 9: bộ phận thực hiện: bước liên thông: ghi mã của đơn vị thực hiện" in message
    assert "dòng 10: bộ phận thực hiện: «DBD-XYZ» không phải mot_cua, chuyen_mon, lanh_dao hay mã một đơn vị" in message
    assert "dòng 11: thời gian (giờ làm việc): «nửa giờ» không phải số giờ làm việc" in message
    assert "dòng 12: bộ phận thực hiện: DBD-KL là chính đơn vị của quy trình" in message
    assert not Process.objects.exists() and not ProcessStep.objects.exists()


def test_a_same_day_procedures_steps_share_one_working_day(tmp_path, units, procedures):
    too_long = [[*row[:5], "4"] for row in MARRIAGE]  # 16 h
    message = refusal(write(tmp_path / "quy_trinh.csv", too_long))
    assert "tổng thời gian các bước 16 giờ, khác thời hạn của thủ tục 8 giờ" in message
    assert "các bước chia nhau một ngày làm việc" in message

    assert "thêm mới 4" in run("import_processes", write(tmp_path / "dung.csv", MARRIAGE))


def test_skip_invalid_keeps_the_good_processes_and_writes_the_refused_rows_with_a_loi_column(
    tmp_path, units, procedures
):
    bad = [["1.004837", "", "1", "Tiếp nhận", "mot_cua", "4"], ["1.004837", "", "2", "Thẩm định", "chuyen_mon", "4"]]
    path = write(tmp_path / "quy_trinh.csv", LAND + bad)
    assert "Chạy thử" in run("import_processes", path, dry_run=True, skip_invalid=True)
    assert not Process.objects.exists()

    output = run("import_processes", path, skip_invalid=True)
    assert "thêm mới 4" in output and "bị từ chối 2" in output
    assert Process.objects.get().procedure == procedures["land"]
    rejected = read_csv(tmp_path / "quy_trinh.loi.csv")
    assert rejected[0] == [*PROCESS_KEYS, "loi"]
    assert [row[:6] for row in rejected[1:]] == bad
    assert "khác thời hạn của thủ tục 24 giờ" in rejected[1][6]
    assert rejected[2][6] == "quy trình: bị từ chối cả quy trình vì dòng 6 có lỗi"


def test_vietnamese_headers_and_labels_are_read(tmp_path, units, procedures):
    header = ["Mã thủ tục", "MA DON VI", "Bước", "Tên bước", "Bộ phận thực hiện", "Thời gian (giờ làm việc)"]
    rows = [
        ["1.004837", "", "1", "Tiếp nhận", "Bộ phận Một cửa", "2"],
        ["1.004837", "", "2", "Thẩm định", "chuyên môn", "16"],
        ["1.004837", "", "3", "Ký", "Lãnh đạo", "4"],
        ["1.004837", "", "4", "Trả", "một cửa", "2"],
    ]
    run("import_processes", write(tmp_path / "quy_trinh.csv", rows, header=header, delimiter=";"))
    assert [step[2] for step in steps_of(procedures["guardian"])] == [
        Performer.DESK, Performer.SPECIALIST, Performer.LEADER, Performer.DESK,
    ]  # fmt: skip
