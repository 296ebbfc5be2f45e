"""Internal processes in files (EXCHANGE_FORMAT.md, "Processes"): one row per step, a procedure's (and unit's)
process replaced as a whole by its rows. The shares are checked by the catalogue's rule
(cases.catalogue.processes.shares_problem): they add up to the procedure's time, a 0-day procedure's to one day.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import F

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Performer, Procedure, Process, ProcessStep, Unit
from cases.catalogue.processes import PlannedStep, hours_text, shares_problem
from cases.core.history import record_bulk_changes

from .columns import PROCESS_COLUMNS, PROCESS_KEYS, value_key
from .export import write_table
from .importer import Importer, choices
from .reading import as_text
from .values import procedure_code

HISTORY_REASON = "Nhập quy trình nội bộ từ tệp"
# thuc_hien: the three performers inside the unit by key or label; anything else is another unit's code.
PERFORMERS = choices(
    {
        Performer.DESK: ("một cửa", "bộ phận một cửa", "bộ phận tiếp nhận và trả kết quả", "tiếp nhận và trả kết quả"),
        Performer.SPECIALIST: ("chuyên môn", "bộ phận chuyên môn", "công chức chuyên môn", "phòng chuyên môn"),
        Performer.LEADER: ("lãnh đạo", "lãnh đạo đơn vị", "lãnh đạo UBND"),
    }
)
HOURS_MAX = Decimal("99999.99")  # ProcessStep.hours: 7 digits, 2 decimals


@dataclass(slots=True)
class ProcessRow:
    line: int
    procedure_code: str
    unit_code: str
    procedure_id: int | None
    unit_id: int | None
    number: int
    name: str
    performer: str
    performer_unit_id: int | None
    hours: Decimal

    def step(self):
        return (self.number, self.name, self.performer, self.performer_unit_id, self.hours)


def parse_hours(value):
    """Working hours with a decimal comma or point (`0,5`, `0.5`, an Excel number); None when unreadable."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # An Excel number cell (a formula's 2,666…): kept to the two decimals the catalogue stores.
        return round(Decimal(str(value)), 2)
    text = as_text(value).replace(" ", "")
    if "," in text and "." in text:
        text = text.replace(".", "")  # 1.234,5: the point groups thousands, the comma marks decimals
    try:
        hours = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return hours if hours.is_finite() else None


class ProcessImporter(Importer):
    columns = PROCESS_COLUMNS

    def prepare(self):
        self.procedures = {
            row["code"]: row for row in Procedure.objects.values("id", "code", "processing_days", "active")
        }
        self.units = {code: pk for pk, code in Unit.objects.values_list("id", "code")}
        self.units_upper = {code.upper(): pk for code, pk in self.units.items()}
        self.day_seconds = calendar().working_day_seconds
        self.groups = {}  # (procedure code, unit code) → lines, in file order

    def unit(self, code):
        return self.units.get(code) or self.units_upper.get(code.upper())

    def check(self, line, row):
        col = self.col
        code = procedure_code(row.get("ma_thu_tuc", ""))
        procedure = self.known(
            line, "ma_thu_tuc", code, self.procedures.get(code), f"không có thủ tục {code} trong danh mục"
        )
        unit_code = as_text(row.get("ma_don_vi", ""))
        unit_id = self.unit(unit_code) if unit_code else None
        if unit_code and unit_id is None:
            self.refuse(line, col("ma_don_vi"), f"không có đơn vị {unit_code}")
        number = self.whole_number(line, "buoc", row.get("buoc", ""), 1, 999, "số thứ tự bước (1, 2, 3…)") or 0
        name = self.text(line, row, "ten_buoc", 255, required=True)
        performer, performer_unit_id = self.performer(line, row.get("thuc_hien", ""), unit_id)
        hours = self.hours(line, row.get("thoi_gian_gio", ""))
        key = (code, unit_code.upper())
        self.groups.setdefault(key, []).append(line)
        return ProcessRow(
            line, code, unit_code, procedure and procedure["id"], unit_id, number, name, performer,
            performer_unit_id, hours,
        )  # fmt: skip

    def performer(self, line, value, unit_id):
        text = as_text(value)
        if not text:
            self.refuse(line, self.col("thuc_hien"), "bắt buộc, đang để trống")
            return "", None
        found = PERFORMERS.get(value_key(text))
        if found:
            return found, None
        if value_key(text) in (value_key(Performer.OTHER_UNIT), value_key(Performer.OTHER_UNIT.label)):
            self.refuse(line, self.col("thuc_hien"), "bước liên thông: ghi mã của đơn vị thực hiện (vd. DBD-TNMT)")
            return "", None
        other = self.unit(text)
        if other is None:
            self.refuse(
                line, self.col("thuc_hien"),
                f"«{text}» không phải mot_cua, chuyen_mon, lanh_dao hay mã một đơn vị (bước liên thông)",
            )  # fmt: skip
            return "", None
        if other == unit_id:
            self.refuse(
                line, self.col("thuc_hien"),
                f"{text} là chính đơn vị của quy trình: dùng mot_cua, chuyen_mon hoặc lanh_dao",
            )  # fmt: skip
            return "", None
        return Performer.OTHER_UNIT, other

    def hours(self, line, value):
        text = as_text(value)
        if not text:
            self.refuse(line, self.col("thoi_gian_gio"), "bắt buộc, đang để trống")
            return Decimal(0)
        hours = parse_hours(value)
        if hours is None or hours < 0 or hours > HOURS_MAX:
            self.refuse(line, self.col("thoi_gian_gio"), f"«{text}» không phải số giờ làm việc (vd. 8 hoặc 0,5)")
            return Decimal(0)
        if hours != round(hours, 2):
            self.refuse(line, self.col("thoi_gian_gio"), f"«{text}»: tối đa hai chữ số thập phân (vd. 2,75)")
            return Decimal(0)
        return hours

    def finish(self):
        """A process is taken or refused whole: its numbering, then its shares."""
        for lines in self.groups.values():
            if self.refuse_together(lines, "quy trình", _whole_process):
                continue
            records = [self.records[line] for line in lines]
            for position, record in enumerate(records, start=1):
                if record.number != position:
                    self.refuse(
                        record.line, self.col("buoc"),
                        f"bước {record.number} không đúng thứ tự: các bước của một quy trình đánh số 1, 2, 3… theo "
                        f"thứ tự dòng, ở đây phải là bước {position}",
                    )  # fmt: skip
                    break
            if self.refuse_together(lines, "quy trình", _whole_process):
                continue
            first = records[0]
            days = self.procedures[first.procedure_code]["processing_days"]
            plan = [PlannedStep(*r.step()[:4], round(r.hours * 3600)) for r in records]
            problem = shares_problem(plan, days, self.day_seconds)
            if problem:
                whose = f"quy trình của thủ tục {first.procedure_code} ({first.unit_code or 'mặc định'})"
                same_day = " (thủ tục giải quyết trong ngày: các bước chia nhau một ngày làm việc)" if days == 0 else ""
                self.refuse(first.line, self.col("thoi_gian_gio"), f"{whose}: {problem}{same_day}")
                self.refuse_together(lines, "quy trình", _whole_process)

    def plan(self):
        groups = {}
        for record in self.records.values():
            groups.setdefault((record.procedure_id, record.unit_id), []).append(record)
        existing = {}
        for process in Process.objects.filter(procedure_id__in={key[0] for key in groups}).prefetch_related("steps"):
            existing[(process.procedure_id, process.unit_id)] = process
        self.creates, self.updates = [], []
        for key, records in groups.items():
            process = existing.get(key)
            if process is None:
                self.creates.append((key, records))
                self.result.created += len(records)
                continue
            old = sorted((s.number, s.name, s.performer, s.performer_unit_id, s.hours) for s in process.steps.all())
            if process.active and old == [record.step() for record in records]:
                self.result.unchanged += len(records)
            else:
                self.updates.append((process, records))
                self.result.updated += len(records)
        self.errors_in_line_order()

    def save(self):
        created = Process.objects.bulk_create(
            [Process(procedure_id=procedure, unit_id=unit) for (procedure, unit), _ in self.creates]
        )
        new_steps = [
            self.step(process.pk, record)
            for process, (_, records) in zip(created, self.creates, strict=True)
            for record in records
        ]
        changed_steps, removed = [], []
        for process, records in self.updates:
            old = {step.number: step for step in process.steps.all()}
            for record in records:
                step = old.pop(record.number, None)
                if step is None:
                    new_steps.append(self.step(process.pk, record))
                elif (step.number, step.name, step.performer, step.performer_unit_id, step.hours) != record.step():
                    changed_steps.append(self.step(process.pk, record, step.pk))
            removed += [step.pk for step in old.values()]
        reactivated = [Process(pk=process.pk, active=True) for process, _ in self.updates if not process.active]
        Process.objects.bulk_update(reactivated, ["active"])
        # One by one (their history rows come from the delete signal): a process has a handful of steps.
        ProcessStep.objects.filter(pk__in=removed).delete()
        ProcessStep.objects.bulk_update(changed_steps, ["name", "performer", "performer_unit", "hours"])
        added = ProcessStep.objects.bulk_create(new_steps)
        record_bulk_changes(Process, [p.pk for p in created], [p.pk for p in reactivated], HISTORY_REASON)
        record_bulk_changes(ProcessStep, [s.pk for s in added], [s.pk for s in changed_steps], HISTORY_REASON)

    @staticmethod
    def step(process_id, record, pk=None):
        return ProcessStep(
            pk=pk, process_id=process_id, number=record.number, name=record.name, performer=record.performer,
            performer_unit_id=record.performer_unit_id, hours=record.hours,
        )  # fmt: skip


def _whole_process(line):
    return f"bị từ chối cả quy trình vì dòng {line} có lỗi"


# --- export ------------------------------------------------------------------------------------------------------
def process_rows(queryset=None):
    """Every active process's steps as exchange rows: by procedure code, the default process before the units'."""
    processes = Process.objects.filter(active=True) if queryset is None else queryset
    steps = (
        ProcessStep.objects.filter(process__in=processes)
        .order_by("process__procedure__code", F("process__unit__code").asc(nulls_first=True), "number")
        .values_list(
            "process__procedure__code",
            "process__unit__code",
            "number",
            "name",
            "performer",
            "performer_unit__code",
            "hours",
        )  # fmt: skip
    )
    for procedure, unit, number, name, performer, other_unit, hours in steps:
        yield [procedure, unit or "", number, name, other_unit or performer, hours_text(hours)]


def export_processes(target, queryset=None, filename=None):
    """Write the processes to `target` as CSV or XLSX by extension; returns the row count."""
    return write_table(
        target, list(PROCESS_KEYS), process_rows(queryset), "Quy trình", filename, widths=(12, 12, 6, 48, 16, 10)
    )
