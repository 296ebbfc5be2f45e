"""Importing dossiers: each row checked with the desk's rules (cases.desk), then written in bulk with the
same event payloads and clock stops as a step at the desk."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models.expressions import RawSQL

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Procedure, Unit
from cases.core import contact
from cases.core.copy import bulk_insert
from cases.desk import codes
from cases.desk.models import ClockStop, Dossier, DossierEvent
from cases.desk.states import (
    CLOCK_STOPPED_STATES,
    ENDED_WITHOUT_RESULT,
    STATED_IN_FILES,
    EventKind,
    PauseKind,
    State,
    first_payload_sql,
    implied_state,
    payload,
    stamp,
)
from cases.desk.steps import receipt_refusal

from .columns import DOSSIER_COLUMNS
from .importer import BATCH, Importer, choices
from .reading import as_text
from .values import format_moment, procedure_code, same_minute

# so_hoa_ho_so, so_hoa_ket_qua: 1 or 0; blank keeps what the dossier has (a new one: not digitised).
FLAGS = choices({True: ("1", "có", "x", "đã số hóa"), False: ("0", "không", "chưa số hóa")})
CHANNELS = choices(
    {
        "truc_tiep": ("trực tiếp", "tại quầy", "nộp trực tiếp"),
        "truc_tuyen": ("trực tuyến", "qua mạng", "nộp trực tuyến", "online"),
        "buu_chinh": ("bưu chính", "qua bưu chính", "bưu điện", "bưu chính công ích"),
    }
)
STATES = choices(
    {
        "bo_sung": ("chờ bổ sung", "bổ sung", "yêu cầu bổ sung"),
        "tam_dung": ("tạm dừng",),
        "tu_choi": ("từ chối",),
        "rut": ("rút hồ sơ", "rút", "đã rút"),
        # The states the dates imply are accepted when they agree with the dates.
        "dang_giai_quyet": ("đang giải quyết",),
        "da_co_ket_qua": ("đã có kết quả", "có kết quả"),
        "da_tra": ("đã trả kết quả", "đã trả"),
    }
)
# The columns of Dossier the exchange format sets (and compares, for "unchanged").
DOSSIER_FIELDS = (
    "procedure_id",
    "unit_id",
    "processing_days",
    "received_at",
    "due_at",
    "due_at_given",
    "resolved_at",
    "returned_at",
    "ended_at",
    "channel",
    "applicant_name",
    "applicant_phone",
    "applicant_address",
    "state",
    "clock_stopped_at",
    "papers_digitized",
    "result_digitized",
)


@dataclass(slots=True)
class DossierRow:
    line: int
    code: str
    procedure: Procedure
    unit: Unit
    processing_days: int
    cutoff: object
    received_at: datetime
    due_at: datetime
    due_in_file: bool
    due_at_given: bool
    resolved_at: datetime
    returned_at: datetime
    channel: str
    applicant_name: str
    applicant_phone: str
    applicant_address: str
    state: str
    papers_digitized: bool | None  # None: blank, keep
    result_digitized: bool | None


class DossierImporter(Importer):
    columns = DOSSIER_COLUMNS
    ahead = ("ngay_hen_tra",)
    bulk_models = (Dossier, DossierEvent)

    def __init__(self, *args, allowed_units=None, **kwargs):
        """`allowed_units`: ids of the units the uploader may write for (the browser's scope check); None = all."""
        super().__init__(*args, **kwargs)
        self.allowed_units = None if allowed_units is None else frozenset(allowed_units)

    def prepare(self):
        # The catalogue as objects: the desk's receipt rule (cases.desk.steps.receipt_refusal) reads them.
        self.procedures = {
            procedure.code: procedure
            for procedure in Procedure.objects.only(
                "code", "processing_days", "same_day_cutoff", "online_level", "active"
            )
        }
        self.units = {
            unit.code: unit
            for unit in Unit.objects.select_related("merged_into").only(
                "code", "name", "valid_from", "valid_to", "merged_into__name"
            )
        }
        self.units_upper = {code.upper(): unit for code, unit in self.units.items()}
        self.calendar = calendar()  # once per import: every due time below is computed in memory
        hours = self.calendar.office_hours
        self.opening, self.closing = hours[0][0], hours[-1][1]
        self.lines_by_code = {}

    def check(self, line, row):
        col = self.col
        code = self.text(line, row, "ma_ho_so", 60, required=True)
        if code:
            self.lines_by_code.setdefault(code, []).append(line)
        code_of_procedure = procedure_code(row.get("ma_thu_tuc", ""))
        procedure = self.known(
            line, "ma_thu_tuc", code_of_procedure, self.procedures.get(code_of_procedure),
            f"không có thủ tục {code_of_procedure} trong danh mục",
        )  # fmt: skip
        unit_code = as_text(row.get("ma_don_vi", ""))
        found = self.units.get(unit_code) or self.units_upper.get(unit_code.upper())
        unit = self.known(line, "ma_don_vi", unit_code, found, f"không có đơn vị {unit_code}")
        if unit is not None and self.allowed_units is not None and unit.pk not in self.allowed_units:
            self.refuse(line, col("ma_don_vi"), f"đơn vị {unit_code} ngoài phạm vi của bạn")

        received, received_timed = self.moment(line, row, "ngay_tiep_nhan", self.opening, required=True)
        resolved, resolved_timed = self.moment(line, row, "ngay_co_ket_qua", self.closing, not_before=received)
        returned, returned_timed = self.moment(
            line, row, "ngay_tra_ket_qua", self.closing, not_before=resolved or received
        )
        due, due_timed = self.moment(line, row, "ngay_hen_tra", self.closing)
        tz = self.tz

        shown = self.as_given
        if received and resolved and resolved < received:
            self.refuse(
                line,
                col("ngay_co_ket_qua"),
                f"{shown(resolved, resolved_timed)} trước ngày tiếp nhận {shown(received, received_timed)}",
            )
        if returned and not resolved and row.get("ngay_co_ket_qua", "") in ("", None):
            self.refuse(line, col("ngay_tra_ket_qua"), "có ngày trả kết quả nhưng chưa có ngày có kết quả")
        elif returned and resolved and returned < resolved:
            self.refuse(
                line,
                col("ngay_tra_ket_qua"),
                f"{shown(returned, returned_timed)} trước ngày có kết quả {shown(resolved, resolved_timed)}",
            )
        if received and due and due < received:
            self.refuse(
                line,
                col("ngay_hen_tra"),
                f"{shown(due, due_timed)} trước ngày tiếp nhận {shown(received, received_timed)}",
            )

        if code and unit is not None:
            # The desk's rules for a typed code: the characters, and no other unit's prefix.
            refusal = codes.refusal(code, unit, self.units_upper)
            if refusal:
                self.refuse(line, col("ma_ho_so"), refusal)
        channel = self.choice(line, row, "hinh_thuc_nop", CHANNELS, True, "truc_tiep, truc_tuyen hoặc buu_chinh")
        name = self.checked(line, "nguoi_nop", contact.name, row.get("nguoi_nop", ""))
        phone = self._phone(line, row.get("so_dien_thoai", ""))
        address = self.checked(line, "dia_chi", contact.address, row.get("dia_chi", ""))
        state = self._state(line, row, resolved, returned)
        flags = [self._flag(line, row, key) for key in ("so_hoa_ho_so", "so_hoa_ket_qua")]

        if line in self.problems:
            return None
        days, cutoff = procedure.processing_days, procedure.same_day_cutoff
        computed = self.calendar.due_at(received, days, cutoff)
        due_at_given = due is not None and not same_minute(due, computed)
        if due_at_given:
            self.warn(
                line,
                col("ngay_hen_tra"),
                f"{format_moment(due, tz)} khác hạn tính theo lịch làm việc {format_moment(computed, tz)}, "
                "giữ theo tệp",
            )
        if channel == "truc_tuyen" and procedure.online_level == "khong":
            self.warn(line, col("hinh_thuc_nop"), f"thủ tục {code_of_procedure} không có dịch vụ công trực tuyến")
        return DossierRow(
            line,
            code,
            procedure,
            unit,
            days,
            cutoff,
            received,
            due if due is not None else computed,
            due is not None,
            due_at_given,
            resolved,
            returned,
            channel,
            name,
            phone,
            address,
            state,
            *flags,
        )

    def _flag(self, line, row, key):
        value = self.choice(line, row, key, FLAGS, shown="1, 0 hoặc để trống")
        return None if value == "" else value

    def checked(self, line, key, check, value):
        """A value through one of the rules of cases.core.contact; a refusal names the line and the column."""
        try:
            return check(as_text(value))
        except contact.Invalid as invalid:
            self.refuse(line, self.col(key), str(invalid))
            return ""

    def _phone(self, line, value):
        if isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
            # A number cell lost the leading 0 of a Vietnamese number (09xx…, 02xx…): put it back.
            if len(text) in (9, 10) and not text.startswith("0"):
                self.warn(line, self.col("so_dien_thoai"), f"ô kiểu số {text}, đã thêm số 0 ở đầu")
                value = "0" + text
        return self.checked(line, "so_dien_thoai", contact.phone, value)

    def _state(self, line, row, resolved, returned):
        state = self.choice(line, row, "trang_thai", STATES, shown="bo_sung, tam_dung, tu_choi, rut hoặc để trống")
        implied = implied_state(resolved, returned)
        if not state:
            return implied
        if state in STATED_IN_FILES:
            if resolved or returned:
                self.refuse(
                    line,
                    self.col("trang_thai"),
                    f"«{State(state).label}» nhưng có ngày có kết quả hoặc ngày trả kết quả",
                )
            return state
        if state != implied:
            self.refuse(
                line,
                self.col("trang_thai"),
                f"«{State(state).label}» không khớp với các ngày ({State(implied).label})",
            )
        return implied

    def finish(self):
        self.mark_duplicates(self.lines_by_code, self.col("ma_ho_so"))

    # --- the plan: created / updated / unchanged ---------------------------------------------------------------------
    def plan(self):
        by_code = {record.code: record for record in self.records.values()}
        codes = list(by_code)
        self.existing = {}
        # On PostgreSQL the codes go as one array per query (an IN of 5.000 parameters costs Django more to
        # compile than the query costs to run).
        size = 50_000 if connection.vendor == "postgresql" else 5000
        for start in range(0, len(codes), size):
            chunk = codes[start : start + size]
            if connection.vendor == "postgresql":
                chunk = RawSQL("SELECT unnest(%s::text[])", [chunk])
            for row in Dossier.objects.filter(code__in=chunk).values("id", "code", *DOSSIER_FIELDS):
                self.existing[row["code"]] = row
        self.creates, self.updates = [], []
        for record in list(self.records.values()):
            old = self.existing.get(record.code)
            if old is None:
                # A new dossier is a receipt: the desk's rule decides whether the unit could receive it that day.
                refusal = receipt_refusal(record.unit, record.procedure, record.received_at.astimezone(self.tz).date())
                if refusal:
                    column = "ma_thu_tuc" if not record.procedure.active else "ma_don_vi"
                    self.refuse(record.line, self.col(column), refusal.rstrip("."))
                    continue
                self.creates.append(record)
                continue
            if self.allowed_units is not None and old["unit_id"] not in self.allowed_units:
                # The code is taken by a dossier the uploader may not touch (nor learn the unit of).
                self.refuse(record.line, self.col("ma_ho_so"), f"{record.code} đã có ở đơn vị ngoài phạm vi của bạn")
                continue
            new = self._merge(record, old)
            if new is None:
                continue
            changes = {name: (old[name], new[name]) for name in DOSSIER_FIELDS if old[name] != new[name]}
            if changes:
                self.updates.append((record, old["id"], new, changes))
            else:
                self.result.unchanged += 1
        self.result.created, self.result.updated = len(self.creates), len(self.updates)

    def _merge(self, record, old):
        """The dossier's columns once the row is applied; values equal to the minute keep their seconds."""
        new = {
            "procedure_id": record.procedure.pk,
            "unit_id": record.unit.pk,
            "channel": record.channel,
            "applicant_name": record.applicant_name,
            "state": record.state,
        }
        # Phone and address are details: a file without the column does not erase them.
        for key, name, value in (
            ("so_dien_thoai", "applicant_phone", record.applicant_phone),
            ("dia_chi", "applicant_address", record.applicant_address),
        ):
            new[name] = value if key in self.present else old[name]
        for name in ("papers_digitized", "result_digitized"):
            value = getattr(record, name)
            new[name] = old[name] if value is None else value
        same_procedure = record.procedure.pk == old["procedure_id"]
        new["processing_days"] = old["processing_days"] if same_procedure else record.processing_days
        for name in ("received_at", "resolved_at", "returned_at"):
            value = getattr(record, name)
            new[name] = old[name] if same_minute(old[name], value) else value
        if record.due_in_file:
            if same_minute(old["due_at"], record.due_at):
                new["due_at"], new["due_at_given"] = old["due_at"], old["due_at_given"]
            else:
                new["due_at"], new["due_at_given"] = record.due_at, record.due_at_given
        elif old["due_at_given"] or (new["received_at"] == old["received_at"] and same_procedure):
            # A blank cell keeps a due time typed in earlier, or moved by a supplement request.
            new["due_at"], new["due_at_given"] = old["due_at"], old["due_at_given"]
        else:
            new["due_at"] = self.calendar.due_at(new["received_at"], new["processing_days"], record.cutoff)
            new["due_at_given"] = False
        if new["due_at"] < new["received_at"]:
            self.refuse(
                record.line,
                self.col("ngay_hen_tra"),
                f"{format_moment(new['due_at'], self.tz)} (đang lưu) trước ngày tiếp nhận "
                f"{format_moment(new['received_at'], self.tz)}",
            )
            return None
        new["ended_at"] = self._ended_at(record.state, new, old)
        if record.state in CLOCK_STOPPED_STATES:
            new["clock_stopped_at"] = old["clock_stopped_at"] if old["state"] == record.state else self.now
        else:
            new["clock_stopped_at"] = None
        return new

    def _ended_at(self, state, new, old=None):
        # Files carry no date of refusal or withdrawal: the receipt is the one moment known, and it keeps a
        # refused dossier out of every period's open count.
        if state not in ENDED_WITHOUT_RESULT:
            return None
        if old and old["state"] == state and old["ended_at"]:
            return old["ended_at"]
        return new["received_at"]

    # --- writing --------------------------------------------------------------------------------------------------
    def save(self):
        reason, user_id = f"Nhập từ tệp {self.filename}", self.user.pk if self.user else None
        for start in range(0, len(self.creates), BATCH * 5):
            batch = self.creates[start : start + BATCH * 5]
            rows = [
                {
                    "code": r.code,
                    "procedure_id": r.procedure.pk,
                    "unit_id": r.unit.pk,
                    "processing_days": r.processing_days,
                    "received_at": r.received_at,
                    "due_at": r.due_at,
                    "due_at_given": r.due_at_given,
                    "resolved_at": r.resolved_at,
                    "returned_at": r.returned_at,
                    "ended_at": r.received_at if r.state in ENDED_WITHOUT_RESULT else None,
                    "clock_stopped_at": self.now if r.state in CLOCK_STOPPED_STATES else None,
                    "channel": r.channel,
                    "applicant_name": r.applicant_name,
                    "applicant_phone": r.applicant_phone,
                    "applicant_address": r.applicant_address,
                    "state": r.state,
                    "papers_digitized": bool(r.papers_digitized),
                    "result_digitized": bool(r.result_digitized),
                    "received_by_id": user_id,
                }
                for r in batch
            ]
            ids = bulk_insert(Dossier, rows, self.now)
            if connection.vendor == "postgresql":
                self._imported_events(ids, [r.line for r in batch], reason, user_id)
            else:
                events = []
                for pk, r, row in zip(ids, batch, rows, strict=True):
                    before, after = payload(EventKind.IMPORTED, None, row)
                    events.append(
                        {
                            "dossier_id": pk, "kind": EventKind.IMPORTED, "at": r.received_at,
                            "recorded_at": self.now, "by_id": user_id, "before": before, "after": after,
                            "reason": f"{reason}, dòng {r.line}",
                        }
                    )  # fmt: skip
                bulk_insert(DossierEvent, events, self.now, need_ids=False)
            codes.claim_codes([(r.unit.pk, r.unit.code, r.code) for r in batch])
            self._open_stops([(pk, r.state, r.line) for pk, r in zip(ids, batch, strict=True)], reason)
        for start in range(0, len(self.updates), BATCH):
            batch = self.updates[start : start + BATCH]
            Dossier.objects.bulk_update(
                [Dossier(id=pk, updated_at=self.now, **new) for _, pk, new, _ in batch],
                [*DOSSIER_FIELDS, "updated_at"],
            )
            DossierEvent.objects.bulk_create(
                [
                    DossierEvent(
                        dossier_id=pk,
                        kind=EventKind.UPDATED,
                        at=self.now,
                        recorded_at=self.now,
                        by=self.user,
                        before={name: stamp(old) for name, (old, _) in changes.items()},
                        after={name: stamp(new) for name, (_, new) in changes.items()},
                        reason=f"{reason}, dòng {record.line}",
                    )
                    for record, pk, _, changes in batch
                ]
            )
            state_changed = [
                (pk, new["state"], record.line) for record, pk, new, changes in batch if "state" in changes
            ]
            # A dossier whose state the file changes has its open stop of the clock closed; one it stops gets its own.
            ClockStop.objects.filter(dossier_id__in=[pk for pk, _, _ in state_changed], ended_at__isnull=True).update(
                ended_at=self.now
            )
            self._open_stops(state_changed, reason)

    def _imported_events(self, ids, lines, reason, user_id):
        """The "imported" event of each dossier just written, in one INSERT … SELECT from the dossiers themselves:
        the payload is the desk's rule in SQL (cases.desk.states.first_payload_sql), in the order of `ids`."""
        before, after = first_payload_sql(EventKind.IMPORTED, Dossier, "d")
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DossierEvent._meta.db_table} "
                "(dossier_id, kind, at, recorded_at, by_id, before, after, reason, warning) "
                f"SELECT d.id, %s, d.received_at, %s, %s, {before}, {after}, %s || v.line::text, '' "
                "FROM unnest(%s::bigint[], %s::int[]) WITH ORDINALITY AS v(id, line, n) "
                f"JOIN {Dossier._meta.db_table} AS d ON d.id = v.id ORDER BY v.n",
                [EventKind.IMPORTED.value, self.now, user_id, f"{reason}, dòng ", ids, lines],
            )

    def _open_stops(self, dossiers, reason):
        """The clock stop of each dossier the file leaves waiting for papers or paused, as the desk records one."""
        stops = [
            ClockStop(
                dossier_id=pk,
                kind=PauseKind(state),
                started_at=self.now,
                by=self.user,
                reason=f"{reason}, dòng {line}",
            )  # fmt: skip
            for pk, state, line in dossiers
            if state in CLOCK_STOPPED_STATES
        ]
        ClockStop.objects.bulk_create(stops, batch_size=BATCH)
