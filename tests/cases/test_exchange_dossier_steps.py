"""A dossier's steps in and out of files (EXCHANGE_FORMAT.md, "Dossier steps"): a dossier's rows replace its
steps as a whole, due times computed when blank, refusals by line, nothing half-written, round trips.

Office hours 07:00–11:30 and 13:30–17:00. The land procedure (5 working days) follows the process below at every
unit: desk 2 h, specialist 30 h, leader 6 h, desk 2 h.
"""

from decimal import Decimal

import pytest
import time_machine

from cases.desk.states import StepEnd
from cases.desk.timeline import sentence
from cases.exchange.columns import DOSSIER_STEP_KEYS
from cases.models import (
    Dossier,
    DossierEvent,
    DossierStep,
    Membership,
    Performer,
    Process,
    ProcessStep,
    Role,
    State,
)
from tests.conftest import make, vn
from tests.exchange_files import read_csv, read_xlsx, run, write_csv
from tests.exchange_files import refusal as refused_file

pytestmark = pytest.mark.django_db

PH, RECEIVE, CHECK, SIGN, RETURN = "DBD-PH", "Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Ký duyệt", "Trả kết quả"
DESK, SPECIALIST, LEADER = "motcua.puhong", "chuyenvien.puhong", "lanhdao.puhong"


def step(code, number, name, who, taken, finished="", end="", reason="", due="", unit=PH):
    """A row in the file's column order."""
    return [code, str(number), name, unit, who, taken, due, finished, end, reason]


# Returned: every step finished, the last one with the dossier.
RETURNED = [
    step("PH-A", 1, RECEIVE, DESK, "04/03/2024 08:00", "04/03/2024 09:00", "chuyen"),
    step("PH-A", 2, CHECK, SPECIALIST, "04/03/2024 10:00", "07/03/2024 15:00", "chuyen"),
    step("PH-A", 3, SIGN, LEADER, "07/03/2024 15:30", "08/03/2024 09:00", "chuyen"),
    step("PH-A", 4, RETURN, DESK, "08/03/2024 09:10", "08/03/2024 10:00", "ket_thuc"),
]
# Open at the specialist step, held by someone without an account.
OPEN = [
    step("PH-B", 1, RECEIVE, DESK, "05/03/2024 09:00", "05/03/2024 09:30", "chuyen"),
    step("PH-B", 2, CHECK, "Quàng Văn Ngoài", "05/03/2024 10:00"),
]
# Sent back once, now at the specialist again with a due time the file gives.
SENT_BACK = [
    step("PH-C", 1, RECEIVE, DESK, "04/03/2024 14:00", "04/03/2024 14:30", "chuyen"),
    step("PH-C", 2, CHECK, SPECIALIST, "04/03/2024 15:00", "05/03/2024 10:00", "tra_lai", "Thiếu sơ đồ thửa đất"),
    step("PH-C", 1, RECEIVE, DESK, "05/03/2024 10:30", "05/03/2024 11:00", "chuyen"),
    step("PH-C", 2, CHECK, SPECIALIST, "05/03/2024 13:30", due="12/03/2024 17:00"),
]
# The due times the portal computes for the rows above that leave them blank (taken up + share, working time).
DUE = {
    ("PH-A", 1): "04/03/2024 10:00",
    ("PH-A", 2): "08/03/2024 08:00",  # Mon 10:00 + 30 h: 5 h Monday, 8 Tue, 8 Wed, 8 Thu, 1 h Friday
    ("PH-A", 3): "08/03/2024 11:30",  # Thu 15:30 + 6 h: 1,5 h Thursday, 4,5 h Friday morning
    ("PH-A", 4): "08/03/2024 11:10",
    ("PH-B", 1): "05/03/2024 11:00",
    ("PH-B", 2): "11/03/2024 08:00",  # Tue 10:00 + 30 h: 5 h Tuesday, 8 Wed, 8 Thu, 8 Fri, 1 h Monday
    ("PH-C", 1): "04/03/2024 16:00",
    ("PH-C", 2): "08/03/2024 11:00",  # Mon 15:00 + 30 h: 2 h Monday, 8 Tue, 8 Wed, 8 Thu, 4 h Friday
    ("PH-C", 3): "05/03/2024 14:30",
}
NOW = vn(2024, 3, 11, 9, 0)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def officials(cast, units, django_user_model):
    def official(username, role, name):
        user = django_user_model.objects.create_user(username=username, first_name=name)
        Membership.objects.create(user=user, unit=units["pu_hong"], role=role)
        return user

    return {
        "desk": cast["desk_pu_hong"],
        "specialist": official("chuyenvien.puhong", Role.SPECIALIST, "Quàng Văn Chuyên"),
        "leader": official("lanhdao.puhong", Role.LEADER, "Lò Thị Lãnh"),
    }


@pytest.fixture
def dossiers(units, procedures, officials):
    process = Process.objects.create(procedure=procedures["land"])
    for number, name, performer, hours in (
        (1, "Tiếp nhận hồ sơ", Performer.DESK, 2), (2, "Thẩm định hồ sơ", Performer.SPECIALIST, 30),
        (3, "Ký duyệt", Performer.LEADER, 6), (4, "Trả kết quả", Performer.DESK, 2),
    ):  # fmt: skip
        ProcessStep.objects.create(process=process, number=number, name=name, performer=performer, hours=hours)
    ph, land = units["pu_hong"], procedures["land"]
    return {
        "PH-A": make(
            "PH-A",
            ph,
            land,
            vn(2024, 3, 4, 8),
            vn(2024, 3, 11, 8),
            resolved=vn(2024, 3, 8, 9),
            returned_at=vn(2024, 3, 8, 10),
            state=State.RETURNED,
        ),  # fmt: skip
        "PH-B": make("PH-B", ph, land, vn(2024, 3, 5, 9), vn(2024, 3, 12, 9)),
        "PH-C": make("PH-C", ph, land, vn(2024, 3, 4, 14), vn(2024, 3, 11, 14)),
    }


def write(path, rows, header=DOSSIER_STEP_KEYS):
    return write_csv(path, header, rows)


def refusal(path, **options):
    return refused_file("import_dossier_steps", path, **options)


def with_due(rows):
    """The rows as the export writes them: the computed due times filled in."""
    filled, seen = [], {}
    for row in rows:
        seen[row[0]] = seen.get(row[0], 0) + 1
        filled.append([*row[:6], row[6] or DUE[(row[0], seen[row[0]])], *row[7:]])
    return filled


def steps(code):
    return list(DossierStep.objects.filter(dossier__code=code).order_by("handed_at", "id"))


def test_the_steps_come_in_with_their_officials_due_times_and_where_the_dossier_is(tmp_path, dossiers, officials):
    output = run("import_dossier_steps", write(tmp_path / "buoc.csv", RETURNED + OPEN + SENT_BACK), user="quantri")

    assert "thêm mới 10" in output
    a = steps("PH-A")
    assert [(s.number, s.performer, s.holder, s.end) for s in a] == [
        (1, Performer.DESK, officials["desk"], StepEnd.HANDED_ON),
        (2, Performer.SPECIALIST, officials["specialist"], StepEnd.HANDED_ON),
        (3, Performer.LEADER, officials["leader"], StepEnd.HANDED_ON),
        (4, Performer.DESK, officials["desk"], StepEnd.CLOSED),
    ]
    # Each step due its share of working time after it was taken up; handed over when the one before finished.
    assert a[1].due_at == vn(2024, 3, 8, 8, 0) and a[1].seconds == 30 * 3600
    assert a[1].handed_at == vn(2024, 3, 4, 9, 0) and a[0].handed_at == dossiers["PH-A"].received_at
    b = steps("PH-B")
    assert (b[1].holder, b[1].holder_name, b[1].finished_at) == (None, "Quàng Văn Ngoài", None)
    c = steps("PH-C")
    assert [(s.number, s.end) for s in c] == [(1, "chuyen"), (2, "tra_lai"), (1, "chuyen"), (2, "")]
    assert c[1].reason == "Thiếu sơ đồ thửa đất"
    assert c[3].due_at == vn(2024, 3, 12, 17, 0)  # as the file gives it
    # Where each dossier is: the unit of its open step, the specialist who took it up last.
    returned, held, sent_back = (Dossier.objects.get(code=code) for code in ("PH-A", "PH-B", "PH-C"))
    assert returned.holding_unit is None and returned.handler == officials["specialist"]
    assert held.holding_unit == dossiers["PH-B"].unit and held.handler is None
    assert sent_back.holding_unit == dossiers["PH-C"].unit and sent_back.handler == officials["specialist"]
    event = DossierEvent.objects.get(dossier=sent_back, kind="updated")
    assert event.by.username == "quantri"
    assert event.reason == "Nhập các bước xử lý từ tệp buoc.csv, dòng 8–11"
    assert sentence(event) == "Cập nhật theo tệp nhập: các bước xử lý là 1 → 2 → 1 → 2 (đang ở bước 2)."


def test_export_gives_the_rows_back_with_due_times_and_a_second_import_changes_nothing(tmp_path, dossiers):
    rows = RETURNED + OPEN + SENT_BACK
    path = write(tmp_path / "buoc.csv", rows)
    run("import_dossier_steps", path)
    events = DossierEvent.objects.count()

    assert "thêm mới 0, cập nhật 0, không đổi 10" in run("import_dossier_steps", path)
    run("export_dossier_steps", str(tmp_path / "xuat.csv"))
    exported = read_csv(tmp_path / "xuat.csv")
    assert exported[0] == list(DOSSIER_STEP_KEYS)
    assert exported[1:] == with_due(rows)

    assert "không đổi 10" in run("import_dossier_steps", str(tmp_path / "xuat.csv"))
    run("export_dossier_steps", str(tmp_path / "xuat2.csv"))
    assert read_csv(tmp_path / "xuat2.csv") == exported
    assert DossierEvent.objects.count() == events

    run("export_dossier_steps", str(tmp_path / "xuat.xlsx"))
    assert read_xlsx(tmp_path / "xuat.xlsx")[1:] == with_due(rows)
    assert "không đổi 10" in run("import_dossier_steps", str(tmp_path / "xuat.xlsx"))


def test_a_dossiers_rows_replace_its_steps_as_a_whole(tmp_path, dossiers, officials):
    run("import_dossier_steps", write(tmp_path / "a.csv", SENT_BACK))
    # The province's system has the dossier further on: handed to the leader, who holds it now.
    later = [
        SENT_BACK[0],
        [*SENT_BACK[1][:7], "07/03/2024 16:00", "chuyen", ""],
        ["PH-C", "3", "Ký duyệt", "DBD-PH", "lanhdao.puhong", "08/03/2024 07:30", "", "", "", ""],
    ]
    output = run("import_dossier_steps", write(tmp_path / "b.csv", later))

    assert "cập nhật 3" in output
    assert [(s.number, s.holder, s.end) for s in steps("PH-C")] == [
        (1, officials["desk"], "chuyen"), (2, officials["specialist"], "chuyen"), (3, officials["leader"], ""),
    ]  # fmt: skip
    event = DossierEvent.objects.filter(dossier__code="PH-C", kind="updated").order_by("id").last()
    assert sentence(event) == (
        "Cập nhật theo tệp nhập: các bước xử lý từ 1 → 2 → 1 → 2 (đang ở bước 2) thành 1 → 2 → 3 (đang ở bước 3)."
    )


def test_steps_received_at_the_desk_are_replaced_by_the_files(tmp_path, units, procedures, dossiers, officials):
    with time_machine.travel(vn(2024, 3, 6, 8, 0), tick=False):
        received = Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo", by=officials["desk"],
            received_at=vn(2024, 3, 6, 8, 0), code="PH-D",
        )  # fmt: skip
    assert len(steps("PH-D")) == 1
    rows = [
        ["PH-D", "1", "Tiếp nhận hồ sơ", "DBD-PH", "motcua.puhong", "06/03/2024 08:00", "", "06/03/2024 08:30", "", ""],
        ["PH-D", "2", "", "DBD-PH", "chuyenvien.puhong", "06/03/2024 09:00", "", "", "", ""],
    ]  # fmt: skip
    assert "cập nhật 2" in run("import_dossier_steps", write(tmp_path / "buoc.csv", rows))
    assert [(s.number, s.name, s.end) for s in steps("PH-D")] == [
        (1, "Tiếp nhận hồ sơ", "chuyen"), (2, "Thẩm định hồ sơ", ""),
    ]  # fmt: skip
    received.refresh_from_db()
    assert received.handler == officials["specialist"]


def test_a_file_with_bad_rows_is_refused_whole_with_one_line_per_problem(tmp_path, dossiers):
    rows = [
        # PH-A: finished before it was taken up; a send-back without a reason.
        ["PH-A", "1", "Tiếp nhận hồ sơ", "DBD-PH", "motcua.puhong", "04/03/2024 08:00", "", "04/03/2024 07:30", "", ""],
        ["PH-A", "2", "Thẩm định hồ sơ", "DBD-PH", "", "04/03/2024 10:00", "", "05/03/2024 10:00", "tra_lai", ""],
        # PH-B: a step the process does not have. PH-Z: no such dossier, no such unit.
        ["PH-B", "7", "Bước lạ", "DBD-PH", "", "05/03/2024 09:00", "", "05/03/2024 09:30", "", ""],
        ["PH-Z", "1", "Tiếp nhận hồ sơ", "DBD-XX", "", "05/03/2024 09:00", "", "", "", ""],
        # PH-C: two steps still open.
        ["PH-C", "1", "Tiếp nhận hồ sơ", "DBD-PH", "", "04/03/2024 14:00", "", "", "", ""],
        ["PH-C", "2", "Thẩm định hồ sơ", "DBD-PH", "", "04/03/2024 13:00", "", "", "", ""],
    ]  # fmt: skip
    message = refusal(write(tmp_path / "buoc.csv", rows))

    assert "Tệp bị từ chối, không ghi gì" in message
    for problem in (
        "dòng 2: hoàn thành lúc: 04/03/2024 07:30 trước thời điểm nhận 04/03/2024 08:00",
        "dòng 3: lý do: bắt buộc khi trả lại bước trước (kết quả tra_lai)",
        "dòng 4: bước: bước 7 không có trong quy trình của thủ tục 1.003003 (các bước 1–4)",
        "dòng 5: đơn vị xử lý: không có đơn vị DBD-XX",
        "dòng 5: mã hồ sơ: không có hồ sơ PH-Z (nhập hồ sơ trước: import_dossiers)",
        "dòng 6: hoàn thành lúc: hồ sơ PH-C có 2 bước chưa hoàn thành (dòng 6, 7): hồ sơ chỉ ở một bước",
        "dòng 7: hoàn thành lúc: hồ sơ PH-C có 2 bước chưa hoàn thành (dòng 6, 7)",
    ):
        assert problem in message
    assert "bị từ chối 6" in message
    assert not DossierStep.objects.exists()
    assert not DossierEvent.objects.filter(kind="updated").exists()


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [["PH-B", "1", "", "DBD-PH", "", "05/03/2024 08:00", "", "05/03/2024 09:30", "", ""]],
            "dòng 2: nhận lúc: 05/03/2024 08:00 trước khi hồ sơ được tiếp nhận (05/03/2024 09:00)",
        ),
        (
            [
                ["PH-B", "1", "", "DBD-PH", "", "05/03/2024 09:00", "", "05/03/2024 10:30", "", ""],
                ["PH-B", "2", "", "DBD-PH", "", "05/03/2024 10:00", "", "", "", ""],
            ],
            "dòng 3: nhận lúc: 05/03/2024 10:00 trước khi bước trước (dòng 2) hoàn thành lúc 05/03/2024 10:30",
        ),
        (
            [["PH-A", "1", "", "DBD-PH", "", "04/03/2024 08:00", "", "", "", ""]],
            "dòng 2: hoàn thành lúc: để trống nhưng hồ sơ PH-A đã kết thúc (Đã trả kết quả)",
        ),
        (
            [
                ["PH-B", "1", "", "DBD-PH", "", "05/03/2024 09:00", "", "", "", ""],
                ["PH-B", "2", "", "DBD-PH", "", "05/03/2024 10:00", "", "05/03/2024 10:30", "", ""],
            ],
            "dòng 2: hoàn thành lúc: để trống nhưng sau bước này hồ sơ PH-B còn bước khác (dòng 3)",
        ),
        (
            [
                ["PH-B", "2", "", "DBD-PH", "", "05/03/2024 09:00", "", "05/03/2024 09:30", "chuyen", ""],
                ["PH-B", "1", "", "DBD-PH", "", "05/03/2024 10:00", "", "", "", ""],
            ],
            "dòng 3: bước: bước 1: sau khi chuyển từ bước 2 (dòng 2) phải là một bước sau",
        ),
        (
            [["PH-B", "1", "", "DBD-PH", "", "", "", "05/03/2024 09:30", "chuyen", ""]],
            "dòng 2: nhận lúc: bắt buộc, đang để trống (chỉ bước cuối chưa được nhận mới để trống",
        ),
        (
            [["PH-B", "1", "", "DBD-PH", "", "05/03/2024 09:00", "", "", "tra_lai", "Thiếu giấy"]],
            "dòng 2: kết quả: «tra_lai» nhưng chưa có thời điểm hoàn thành",
        ),
        (
            [["PH-B", "1", "", "DBD-PH", "", "12/03/2024 09:00", "", "", "", ""]],
            "dòng 2: nhận lúc: 12/03/2024 09:00 ở tương lai",
        ),
        (
            [["PH-B", "1", "", "DBD-PH", "", "05/03/2024 09:00", "", "05/03/2024 09:30", "ket_thuc", ""]],
            "dòng 2: kết quả: ket_thuc (kết thúc hồ sơ) nhưng hồ sơ PH-B chưa kết thúc (Đang giải quyết)",
        ),
    ],
)
def test_what_the_steps_of_one_dossier_must_agree_on(tmp_path, dossiers, rows, problem):
    assert problem in refusal(write(tmp_path / "buoc.csv", rows))
    assert not DossierStep.objects.exists()


def test_a_step_never_taken_up_is_the_last_one_waiting_or_ended_with_the_dossier(tmp_path, dossiers):
    rows = [
        step("PH-A", 1, RECEIVE, DESK, "04/03/2024 08:00", "04/03/2024 09:00", "chuyen"),
        step("PH-A", 2, CHECK, "", "", "08/03/2024 10:00", "ket_thuc"),  # returned before anyone took it up
        step("PH-B", 1, RECEIVE, DESK, "05/03/2024 09:00", "05/03/2024 09:30", "chuyen"),
        step("PH-B", 2, CHECK, "", ""),  # waiting to be taken up
    ]
    path = write(tmp_path / "buoc.csv", rows)
    assert "thêm mới 4" in run("import_dossier_steps", path)
    waiting, ended = steps("PH-B")[1], steps("PH-A")[1]
    assert (waiting.taken_at, waiting.due_at, waiting.finished_at, waiting.holder) == (None, None, None, None)
    assert (ended.taken_at, ended.end) == (None, "ket_thuc")
    run("export_dossier_steps", str(tmp_path / "xuat.csv"))
    assert read_csv(tmp_path / "xuat.csv")[1:] == [*with_due(rows[:1]), rows[1], *with_due(rows[2:3]), rows[3]]

    given_due = [step("PH-B", 1, RECEIVE, "", "", due="06/03/2024 10:00")]
    assert "dòng 2: nhận lúc: bắt buộc khi có hạn xử lý" in refusal(write(tmp_path / "han.csv", given_due))


def test_skip_invalid_takes_whole_dossiers_and_writes_the_refused_rows_with_a_loi_column(tmp_path, dossiers):
    bad = [
        ["PH-C", "1", "Tiếp nhận hồ sơ", "DBD-PH", "", "04/03/2024 14:00", "", "04/03/2024 14:30", "chuyen", ""],
        ["PH-C", "2", "Thẩm định hồ sơ", "DBD-PH", "", "04/03/2024 15:00", "", "05/03/2024 10:00", "tra_lai", ""],
    ]  # fmt: skip
    path = write(tmp_path / "buoc.csv", OPEN + bad)
    assert "Chạy thử" in run("import_dossier_steps", path, dry_run=True, skip_invalid=True)
    assert not DossierStep.objects.exists()

    output = run("import_dossier_steps", path, skip_invalid=True)

    assert "thêm mới 2" in output and "bị từ chối 2" in output
    assert [s.dossier.code for s in DossierStep.objects.all()] == ["PH-B", "PH-B"]
    rejected = read_csv(tmp_path / "buoc.loi.csv")
    assert rejected[0] == [*DOSSIER_STEP_KEYS, "loi"]
    assert [row[:10] for row in rejected[1:]] == bad
    assert rejected[1][10] == "hồ sơ: các bước của hồ sơ PH-C bị từ chối cả hồ sơ vì dòng 5 có lỗi"
    assert rejected[2][10] == "lý do: bắt buộc khi trả lại bước trước (kết quả tra_lai)"


def test_export_takes_a_units_dossiers_received_in_a_period(tmp_path, units, procedures, dossiers):
    run("import_dossier_steps", write(tmp_path / "buoc.csv", RETURNED + OPEN + SENT_BACK))
    kl = make("KL-A", units["keo_lom"], procedures["land"], vn(2024, 3, 5, 8), vn(2024, 3, 12, 8))
    DossierStep.objects.create(
        dossier=kl, number=1, name="Tiếp nhận hồ sơ", performer=Performer.DESK, unit=units["keo_lom"],
        handed_at=kl.received_at, taken_at=kl.received_at, seconds=7200, due_at=vn(2024, 3, 5, 10),
    )  # fmt: skip

    run("export_dossier_steps", str(tmp_path / "kl.csv"), "--unit", "DBD-KL")
    assert [row[0] for row in read_csv(tmp_path / "kl.csv")[1:]] == ["KL-A"]
    day = "05/03/2024"
    run("export_dossier_steps", str(tmp_path / "ngay.csv"), "--unit", "DBD", "--from", day, "--to", day)
    assert [row[0] for row in read_csv(tmp_path / "ngay.csv")[1:]] == ["PH-B", "PH-B", "KL-A"]


def test_a_share_with_half_hours_reaches_the_steps_due_time(tmp_path, dossiers):
    # A share given as 29,5 h (and 2,5 h for the return): Tue 10:00 + 29,5 h is Monday 07:30.
    ProcessStep.objects.filter(number=2).update(hours=Decimal("29.5"))
    ProcessStep.objects.filter(number=4).update(hours=Decimal("2.5"))
    run("import_dossier_steps", write(tmp_path / "buoc.csv", OPEN))
    assert steps("PH-B")[1].due_at == vn(2024, 3, 11, 7, 30)
