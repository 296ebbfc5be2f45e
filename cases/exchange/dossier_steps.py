"""A dossier's steps in files (EXCHANGE_FORMAT.md, "Dossier steps"): one row per step, in order; a dossier's
rows replace its steps as a whole, so that a provincial system's history can come in.

A step's row says who held it, when it was taken up and finished; the rest comes from the portal: the performer
and the share from the dossier's process (cases.catalogue.processes), the hand-over moment from the row before
(the first row: the receipt), the due time, when blank, from the calendar as a take-up computes it, and the
dossier's holding unit and handler as the moves leave them (cases.desk.process.left_by). A step never taken up
(the dossier's last: waiting to be taken up, or ended with the dossier, ket_thuc) has nhan_luc blank: that is how
such a step is exported.
"""

from dataclasses import dataclass
from datetime import datetime
from sys import intern

from django.contrib.auth import get_user_model

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Procedure, Unit
from cases.catalogue.processes import Plans
from cases.core.copy import bulk_insert, bulk_set
from cases.desk.models import Dossier, DossierEvent, DossierStep
from cases.desk.process import left_by
from cases.desk.states import ENDED_WITHOUT_RESULT, EventKind, State, StepEnd

from .columns import DOSSIER_STEP_COLUMNS, DOSSIER_STEP_KEYS
from .export import export_queryset, write_table
from .importer import BATCH, Importer, choices
from .reading import as_text
from .values import format_moment, local_tz, same_minute

ENDS = choices(
    {
        StepEnd.HANDED_ON: ("chuyển", "chuyển bước sau", "chuyển tiếp", "hoàn thành"),
        StepEnd.SENT_BACK: ("trả lại", "trả lại bước trước", "trả về"),
        StepEnd.CLOSED: ("kết thúc", "kết thúc hồ sơ"),
    }
)
ENDED = (State.RETURNED, *ENDED_WITHOUT_RESULT)
REASON_MAX = 2000
# What a row says (and what a second import of the same file compares): the performer and the share come from
# the process, the hand-over moment from the row before.
COMPARED = (
    "number", "name", "unit_id", "holder_id", "holder_name", "taken_at", "due_at", "finished_at", "end", "reason",
)  # fmt: skip
# A step as the importer holds it until written: a tuple of the columns, in this order.
STEP_FIELDS = (
    "dossier_id", "number", "name", "performer", "unit_id", "holder_id", "holder_name", "handed_at", "handed_by_id",
    "taken_at", "seconds", "due_at", "finished_at", "end", "reason",
)  # fmt: skip
NUMBER, FINISHED = STEP_FIELDS.index("number"), STEP_FIELDS.index("finished_at")
COMPARED_AT = tuple((STEP_FIELDS.index(name), name in ("taken_at", "due_at", "finished_at")) for name in COMPARED)
STEP_CHUNK = 50_000
BLANK = ("", None)
WAITING_ONLY = (
    "bắt buộc, đang để trống (chỉ bước cuối chưa được nhận mới để trống: đang chờ nhận, hoặc kết thúc cùng hồ sơ)"
)


@dataclass(slots=True)
class StepRow:
    line: int
    code: str
    number: int
    name: str
    unit_id: int | None
    holder_id: int | None
    holder_name: str
    taken_at: datetime | None
    taken_timed: bool
    due_at: datetime | None
    finished_at: datetime | None
    end: str
    reason: str


class DossierStepImporter(Importer):
    columns = DOSSIER_STEP_COLUMNS
    ahead = ("han_xu_ly",)
    bulk_models = (DossierStep, DossierEvent, Dossier)

    def prepare(self):
        self.units = dict(Unit.objects.values_list("code", "id"))
        self.units_upper = {code.upper(): pk for code, pk in self.units.items()}
        self.users = dict(get_user_model().objects.values_list("username", "id"))
        self.calendar = calendar()
        hours = self.calendar.office_hours
        self.opening, self.closing = hours[0][0], hours[-1][1]
        self.lines_by_code = {}

    def check(self, line, row):
        col, get = self.col, row.get
        # Codes, step names and officials repeat from row to row: one string each (a large file's memory).
        code = intern(self.text(line, row, "ma_ho_so", 60, required=True))
        if code:
            self.lines_by_code.setdefault(code, []).append(line)
        number = self.whole_number(line, "buoc", get("buoc", ""), 1, 999, "số thứ tự bước (1, 2, 3…)")
        name = intern(self.text(line, row, "ten_buoc", 255))
        unit_code = as_text(get("don_vi_xu_ly", ""))
        found = self.units.get(unit_code) or self.units_upper.get(unit_code.upper())
        unit_id = self.known(line, "don_vi_xu_ly", unit_code, found, f"không có đơn vị {unit_code}")
        person = intern(self.text(line, row, "nguoi_xu_ly", 255))
        holder_id = self.users.get(person) if person else None
        no_taken, no_due = get("nhan_luc") in BLANK, get("han_xu_ly") in BLANK
        no_finish = get("hoan_thanh_luc") in BLANK
        taken, taken_timed = self.moment(line, row, "nhan_luc", self.opening)
        finished, finished_timed = self.moment(line, row, "hoan_thanh_luc", self.closing, not_before=taken)
        due, due_timed = self.moment(line, row, "han_xu_ly", self.closing, not_before=taken)
        end = self.choice(line, row, "ket_qua", ENDS, shown="chuyen, tra_lai hoặc ket_thuc")
        reason = self.text(line, row, "ly_do", REASON_MAX)
        if no_taken and not no_due:
            self.refuse(line, col("nhan_luc"), "bắt buộc khi có hạn xử lý (hạn tính từ lúc nhận)")
        elif no_taken and not no_finish and end != StepEnd.CLOSED:
            self.refuse(line, col("nhan_luc"), WAITING_ONLY)
        if end and no_finish:
            self.refuse(line, col("ket_qua"), f"«{as_text(get('ket_qua'))}» nhưng chưa có thời điểm hoàn thành")
        if finished and not end:
            end = StepEnd.HANDED_ON
        if end == StepEnd.SENT_BACK and not reason:
            self.refuse(line, col("ly_do"), "bắt buộc khi trả lại bước trước (kết quả tra_lai)")
        if taken and finished and finished < taken:
            self.refuse(
                line, col("hoan_thanh_luc"),
                f"{self.as_given(finished, finished_timed)} trước thời điểm nhận {self.as_given(taken, taken_timed)}",
            )  # fmt: skip
        if taken and due and due < taken:
            self.refuse(
                line, col("han_xu_ly"),
                f"{self.as_given(due, due_timed)} trước thời điểm nhận {self.as_given(taken, taken_timed)}",
            )  # fmt: skip
        return StepRow(
            line, code, number, name, unit_id, holder_id, "" if holder_id else person, taken, taken_timed, due,
            finished, end, reason,
        )  # fmt: skip

    # --- a dossier's rows together ------------------------------------------------------------------------------
    def finish(self):
        codes = list(self.lines_by_code)
        dossiers = {}
        for start in range(0, len(codes), 5000):
            for row in Dossier.objects.filter(code__in=codes[start : start + 5000]).values(
                "id", "code", "procedure_id", "unit_id", "received_at", "state", "holding_unit_id", "handler_id"
            ):
                dossiers[row["code"]] = row
        self.procedures = {p.pk: p for p in Procedure.objects.only("code", "processing_days")}
        plans, plan_of = Plans(self.calendar.working_day_seconds), {}
        self.planned = []  # (dossier, lines, step rows)
        for code, lines in self.lines_by_code.items():
            dossier = dossiers.get(code)
            if dossier is None:
                missing = f"không có hồ sơ {code} (nhập hồ sơ trước: import_dossiers)"
                for line in lines:
                    self.refuse(line, self.col("ma_ho_so"), missing)
                continue
            if self.refuse_together(lines, "hồ sơ", whole(code)):
                continue
            key = (dossier["procedure_id"], dossier["unit_id"])
            if key not in plan_of:
                plan = plans.plan(self.procedures[key[0]], key[1])
                plan_of[key] = {step.number: step for step in plan}
            rows = self.dossier_steps(dossier, [self.records[line] for line in lines], plan_of[key])
            if not self.refuse_together(lines, "hồ sơ", whole(code)):
                self.planned.append((dossier, lines, rows))
        self.records.clear()  # the rows to write hold what is left to do: a large file's memory halves

    def dossier_steps(self, dossier, records, plan):
        """The steps of one dossier as rows to write (tuples in STEP_FIELDS order), after the checks across its
        rows (refused lines: None). `plan`: the dossier's process, {number: planned step}."""
        col, code = self.col, dossier["code"]
        opened = [r for r in records if r.finished_at is None]
        if len(opened) > 1:
            others = ", ".join(str(r.line) for r in opened)
            for record in opened:
                self.refuse(
                    record.line, col("hoan_thanh_luc"),
                    f"hồ sơ {code} có {len(opened)} bước chưa hoàn thành (dòng {others}): hồ sơ chỉ ở một bước",
                )  # fmt: skip
        elif opened and opened[0] is not records[-1]:
            after = records[records.index(opened[0]) + 1].line
            self.refuse(
                opened[0].line, col("hoan_thanh_luc"),
                f"để trống nhưng sau bước này hồ sơ {code} còn bước khác (dòng {after})",
            )  # fmt: skip
        if opened and dossier["state"] in ENDED:
            self.refuse(
                opened[-1].line, col("hoan_thanh_luc"),
                f"để trống nhưng hồ sơ {code} đã kết thúc ({State(dossier['state']).label})",
            )  # fmt: skip
        rows, previous = [], None
        handed = dossier["received_at"]
        for record in records:
            planned = plan.get(record.number)
            if planned is None:
                procedure = self.procedures[dossier["procedure_id"]].code
                numbers = "–".join(str(n) for n in sorted({min(plan), max(plan)}))
                self.refuse(
                    record.line, col("buoc"),
                    f"bước {record.number} không có trong quy trình của thủ tục {procedure} (các bước {numbers})",
                )  # fmt: skip
            taken = record.taken_at
            if taken is None and record is not records[-1]:
                self.refuse(record.line, col("nhan_luc"), WAITING_ONLY)
            if taken is not None and taken < handed:
                if same_minute(taken, handed) or (not record.taken_timed and taken.date() == handed.date()):
                    taken = handed  # the file's minute, or bare day, of the moment it was handed over
                elif previous is None:
                    self.refuse(
                        record.line, col("nhan_luc"),
                        f"{self.as_given(taken, record.taken_timed)} trước khi hồ sơ được tiếp nhận "
                        f"({format_moment(handed, self.tz)})",
                    )  # fmt: skip
                else:
                    self.refuse(
                        record.line, col("nhan_luc"),
                        f"{self.as_given(taken, record.taken_timed)} trước khi bước trước (dòng {previous.line}) hoàn "
                        f"thành lúc {format_moment(handed, self.tz)}",
                    )  # fmt: skip
            if previous is not None and previous.end:
                self.check_order(previous, record, code)
            if record.end == StepEnd.CLOSED and record is records[-1] and dossier["state"] not in ENDED:
                self.refuse(
                    record.line, col("ket_qua"),
                    f"ket_thuc (kết thúc hồ sơ) nhưng hồ sơ {code} chưa kết thúc ({State(dossier['state']).label})",
                )  # fmt: skip
            if record.line in self.problems:
                return None
            due = record.due_at
            if due is None and taken is not None:
                due = self.calendar.add_working_time(taken, planned.seconds)
            rows.append(
                (
                    dossier["id"], record.number, record.name or planned.name, planned.performer, record.unit_id,
                    record.holder_id, record.holder_name, handed, self.user_id, taken, planned.seconds, due,
                    record.finished_at, record.end, record.reason,
                )
            )  # fmt: skip
            previous, handed = record, record.finished_at or handed
        if not opened and dossier["state"] not in ENDED:
            self.warn(
                records[-1].line, "hồ sơ",
                f"hồ sơ {code} chưa kết thúc («{State(dossier['state']).label}») nhưng mọi bước đã hoàn thành: "
                "hồ sơ không ở bước nào",
            )  # fmt: skip
        return rows

    def check_order(self, previous, record, code):
        """A hand-over goes to a later step, a send-back to an earlier one, and nothing follows the end."""
        if previous.end == StepEnd.HANDED_ON and record.number <= previous.number:
            what = f"sau khi chuyển từ bước {previous.number} (dòng {previous.line}) phải là một bước sau"
        elif previous.end == StepEnd.SENT_BACK and record.number >= previous.number:
            what = f"sau khi trả lại từ bước {previous.number} (dòng {previous.line}) phải là một bước trước"
        elif previous.end == StepEnd.CLOSED:
            what = f"hồ sơ {code} đã kết thúc ở dòng {previous.line}, không còn bước nào sau"
        else:
            return
        self.refuse(record.line, self.col("buoc"), f"bước {record.number}: {what}")

    @property
    def user_id(self):
        return self.user.pk if self.user else None

    # --- the plan: which dossiers' steps change --------------------------------------------------------------------
    def plan(self):
        ids = [dossier["id"] for dossier, _, _ in self.planned]
        existing = {}
        for start in range(0, len(ids), 5000):
            steps = (
                DossierStep.objects.filter(dossier_id__in=ids[start : start + 5000])
                .order_by("dossier_id", "handed_at", "id")
                .values_list("dossier_id", *COMPARED)
            )
            for dossier_id, *values in steps.iterator(chunk_size=20_000):
                existing.setdefault(dossier_id, []).append(values)
        self.replaced, self.cleared, self.events, self.dossier_changes = [], [], [], []
        reason = f"Nhập các bước xử lý từ tệp {self.filename}"
        for dossier, lines, rows in self.planned:
            old = existing.get(dossier["id"], [])
            if _same(old, rows):
                self.result.unchanged += len(rows)
                continue
            if old:
                self.cleared.append(dossier["id"])
                self.result.updated += len(rows)
            else:
                self.result.created += len(rows)
            self.replaced.extend(rows)
            where = f"dòng {lines[0]}" if len(lines) == 1 else f"dòng {lines[0]}–{lines[-1]}"
            before = {"steps": _summary([(values[0], values[7]) for values in old])} if old else {}
            after = {"steps": _summary([(row[NUMBER], row[FINISHED]) for row in rows])}
            self.events.append(
                {
                    "dossier_id": dossier["id"], "kind": EventKind.UPDATED, "at": self.now, "recorded_at": self.now,
                    "by_id": self.user_id, "before": before, "after": after, "reason": f"{reason}, {where}",
                }
            )  # fmt: skip
            holding, handler = left_by([dict(zip(STEP_FIELDS, row, strict=True)) for row in rows])
            handler = handler or dossier["handler_id"]
            if (holding, handler) != (dossier["holding_unit_id"], dossier["handler_id"]):
                self.dossier_changes.append(
                    {"id": dossier["id"], "holding_unit_id": holding, "handler_id": handler, "updated_at": self.now}
                )
        self.errors_in_line_order()

    def save(self):
        for start in range(0, len(self.cleared), BATCH):
            DossierStep.objects.filter(dossier_id__in=self.cleared[start : start + BATCH]).delete()
        for start in range(0, len(self.replaced), STEP_CHUNK):
            chunk = [dict(zip(STEP_FIELDS, row, strict=True)) for row in self.replaced[start : start + STEP_CHUNK]]
            bulk_insert(DossierStep, chunk, self.now, need_ids=False)
        for start in range(0, len(self.events), STEP_CHUNK):
            bulk_insert(DossierEvent, self.events[start : start + STEP_CHUNK], self.now, need_ids=False)
        bulk_set(Dossier, self.dossier_changes, ["holding_unit_id", "handler_id", "updated_at"])


def whole(code):
    """Why a dossier's other rows are refused with the one refused."""
    return lambda line: f"các bước của hồ sơ {code} bị từ chối cả hồ sơ vì dòng {line} có lỗi"


def _same(old, rows):
    """The stored steps (values in COMPARED order) say what the file's rows say, to the minute."""
    if len(old) != len(rows):
        return False
    for values, row in zip(old, rows, strict=True):
        for value, (position, moment) in zip(values, COMPARED_AT, strict=True):
            if not (same_minute(value, row[position]) if moment else value == row[position]):
                return False
    return True


def _summary(steps):
    """The steps' numbers as the dossier went through them, and where it is: '1 → 2 → 1 → 2 (đang ở bước 2)'."""
    path = " → ".join(str(number) for number, _ in steps)
    open_number = next((number for number, finished in steps if finished is None), None)
    return f"{path} (đang ở bước {open_number})" if open_number is not None else f"{path} (đã xong)"


# --- export ---------------------------------------------------------------------------------------------------
def dossier_step_rows(dossiers, chunk_size=5000):
    """The steps of `dossiers` as exchange rows: dossier by dossier (primary-key order), each in its own order."""
    tz = local_tz()
    steps = (
        DossierStep.objects.filter(dossier__in=dossiers.values("pk"))
        .order_by("dossier_id", "handed_at", "id")
        .values_list(
            "dossier__code",
            "number",
            "name",
            "unit__code",
            "holder__username",
            "holder_name",
            "taken_at",
            "due_at",
            "finished_at",
            "end",
            "reason",
        )  # fmt: skip
    )
    for code, number, name, unit, username, holder_name, taken, due, finished, end, reason in steps.iterator(
        chunk_size=chunk_size
    ):
        yield [
            code, number, name, unit, username or holder_name, format_moment(taken, tz), format_moment(due, tz),
            format_moment(finished, tz), end, reason,
        ]  # fmt: skip


def export_dossier_steps(target, unit=None, date_from=None, date_to=None, filename=None):
    """The steps of the dossiers of `unit` and the units below it, received between two days (both included), all
    of each dossier's steps (a liên thông step held elsewhere too), as CSV or XLSX; returns the row count."""
    dossiers = export_queryset(unit, date_from, date_to)
    widths = (22, 6, 32, 12, 20, 17, 17, 17, 10, 36)
    return write_table(target, list(DOSSIER_STEP_KEYS), dossier_step_rows(dossiers), "Bước xử lý", filename, widths)
