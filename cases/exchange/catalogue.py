"""Importing units and procedures: the catalogue's exchange files."""

from dataclasses import dataclass
from datetime import date, time

from cases.catalogue.models import Field, Procedure, Unit
from cases.catalogue.units import place_name, unit_kind
from cases.core.formats import day
from cases.core.history import record_bulk_changes
from cases.core.text import fold

from .columns import PROCEDURE_COLUMNS, UNIT_COLUMNS, value_key
from .importer import BATCH, Importer, choices
from .reading import as_text
from .values import BadValue, local_tz, parse_moment, procedure_code

VALIDITY_KEYS = ("hieu_luc_tu", "hieu_luc_den", "sap_nhap_vao")

HISTORY_REASON = "Nhập danh mục từ tệp"

LEVELS = choices({"tinh": ("cấp tỉnh", "tỉnh"), "huyen": ("cấp huyện", "huyện"), "xa": ("cấp xã", "xã")})


@dataclass(slots=True)
class UnitRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str
    valid_from: date | None = None
    valid_to: date | None = None
    merged_into: str = ""

    def validity(self):
        return (self.valid_from, self.valid_to, self.merged_into)


class UnitImporter(Importer):
    columns = UNIT_COLUMNS

    def prepare(self):
        self.existing = {
            row["code"]: row
            for row in Unit.objects.values(
                "id", "code", "name", "level", "kind", "parent_id", "path", "valid_from", "valid_to", "merged_into_id"
            )
        }
        self.code_by_id = {row["id"]: code for code, row in self.existing.items()}
        self.lines_by_code = {}

    def check(self, line, row):
        code = self.text(line, row, "ma_don_vi", 40, required=True)
        name = self.text(line, row, "ten_don_vi", 255, required=True)
        level = self.choice(line, row, "cap", LEVELS, required=True, shown="tinh, huyen hoặc xa")
        parent = self.text(line, row, "ma_don_vi_cha", 40)
        valid_from, valid_to = self._day(line, row, "hieu_luc_tu"), self._day(line, row, "hieu_luc_den")
        merged_into = self.text(line, row, "sap_nhap_vao", 40)
        if code:
            self.lines_by_code.setdefault(code, []).append(line)
        if code and parent == code:
            self.refuse(line, self.col("ma_don_vi_cha"), f"đơn vị {code} không thể là cha của chính nó")
        if valid_from and valid_to and valid_to < valid_from:
            self.refuse(
                line, self.col("hieu_luc_den"), f"{day(valid_to)} trước ngày bắt đầu hiệu lực {day(valid_from)}"
            )
        if merged_into and merged_into == code:
            self.refuse(line, self.col("sap_nhap_vao"), f"đơn vị {code} không thể sáp nhập vào chính nó")
        elif merged_into and not valid_to:
            self.refuse(line, self.col("hieu_luc_den"), "đơn vị đã sáp nhập phải có ngày hết hiệu lực")
        return UnitRow(line, code, name, level, parent, valid_from, valid_to, merged_into)

    def _day(self, line, row, key):
        value = row.get(key, "")
        if value in (None, "") or not as_text(value):
            return None
        try:
            return parse_moment(value, local_tz(), time(0, 0))[0].date()
        except BadValue as problem:
            self.refuse(line, self.col(key), str(problem))
            return None

    def finish(self):
        self.mark_duplicates(self.lines_by_code, self.col("ma_don_vi"))
        # A parent is a valid row of the file (earlier or later) or a unit already in the portal. Refusing a row
        # refuses the rows below it, so repeat until nothing changes.
        while True:
            valid = {record.code for record in self.records.values()}
            orphans = [
                record
                for record in self.records.values()
                if record.parent_code and record.parent_code not in valid and record.parent_code not in self.existing
            ]
            if not orphans:
                break
            for record in orphans:
                parent = record.parent_code
                what = (
                    f"đơn vị cha {parent} bị từ chối"
                    if parent in self.lines_by_code
                    else f"không có đơn vị {parent} (trong tệp hay trong hệ thống)"
                )
                self.refuse(record.line, self.col("ma_don_vi_cha"), what)
        self._refuse_cycles()
        known = {record.code for record in self.records.values()} | set(self.existing)
        for record in list(self.records.values()):
            if record.merged_into and record.merged_into not in known:
                self.refuse(
                    record.line,
                    self.col("sap_nhap_vao"),
                    f"không có đơn vị {record.merged_into} (trong tệp hay trong hệ thống)",
                )

    def _parent_of(self, code, valid):
        if code in valid:
            return valid[code].parent_code or None
        row = self.existing.get(code)
        return self.code_by_id[row["parent_id"]] if row and row["parent_id"] else None

    def _refuse_cycles(self):
        valid = {record.code: record for record in self.records.values()}
        looped = {}
        for record in valid.values():
            path, code = [record.code], self._parent_of(record.code, valid)
            while code and code not in path:
                path.append(code)
                code = self._parent_of(code, valid)
            if code:
                loop = path[path.index(code) :] + [code]
                for member in loop[:-1]:
                    looped.setdefault(member, loop)
        for code, loop in looped.items():
            if code in valid:
                self.refuse(valid[code].line, self.col("ma_don_vi_cha"), "vòng lặp " + " → ".join(loop))

    def plan(self):
        self.creates, self.updates = [], []
        for record in self.records.values():
            old = self.existing.get(record.code)
            if old is None:
                self.creates.append(record)
                continue
            parent_code = self.code_by_id.get(old["parent_id"]) if old["parent_id"] else ""
            if "ma_don_vi_cha" not in self.present:
                record.parent_code = parent_code or ""
            # A file without the validity columns leaves what the portal has.
            old_validity = self._old_validity(old)
            kept = [
                present if key in self.present else previous
                for key, present, previous in zip(VALIDITY_KEYS, record.validity(), old_validity, strict=True)
            ]
            record.valid_from, record.valid_to, record.merged_into = kept
            if (old["name"], old["level"], parent_code or "", old_validity) == (
                record.name, record.level, record.parent_code, record.validity()
            ):  # fmt: skip
                self.result.unchanged += 1
            else:
                self.updates.append(record)
        self.result.created, self.result.updated = len(self.creates), len(self.updates)

    def _old_validity(self, old):
        merged = self.code_by_id.get(old["merged_into_id"], "") if old["merged_into_id"] else ""
        return (old["valid_from"], old["valid_to"], merged)

    def save(self):
        created = Unit.objects.bulk_create(
            [
                Unit(
                    code=r.code, name=r.name, level=r.level, kind=unit_kind(r.name), place_name=place_name(r.name),
                    valid_from=r.valid_from, valid_to=r.valid_to,
                )
                for r in self.creates
            ],
            batch_size=BATCH,
        )  # fmt: skip
        ids = {code: row["id"] for code, row in self.existing.items()}
        ids.update({unit.code: unit.pk for unit in created})
        parents = {row["id"]: row["parent_id"] for row in self.existing.values()}
        changed = []
        for record in self.updates:
            old = self.existing[record.code]
            unit = Unit(
                id=old["id"], code=record.code, name=record.name, level=record.level, kind=old["kind"],
                valid_from=record.valid_from, valid_to=record.valid_to,
            )  # fmt: skip
            if record.name != old["name"] and unit_kind(record.name) != "khac":
                unit.kind = unit_kind(record.name)
            changed.append(unit)
        Unit.objects.bulk_update(changed, ["name", "level", "kind", "valid_from", "valid_to"], batch_size=BATCH)
        merged = [
            Unit(id=ids[record.code], merged_into_id=ids[record.merged_into] if record.merged_into else None)
            for record in [*self.creates, *self.updates]
        ]
        Unit.objects.bulk_update(merged, ["merged_into"], batch_size=BATCH)
        for record in [*self.creates, *self.updates]:
            parents[ids[record.code]] = ids[record.parent_code] if record.parent_code else None
        # Materialised paths of the whole tree, recomputed in memory and written back where they moved.
        paths = {}

        def path_of(unit_id):
            if unit_id not in paths:
                parent = parents.get(unit_id)
                paths[unit_id] = f"{path_of(parent) if parent else '/'}{unit_id}/"
            return paths[unit_id]

        old_paths = {row["id"]: row["path"] for row in self.existing.values()}
        old_parents = {row["id"]: row["parent_id"] for row in self.existing.values()}
        moved = [
            Unit(id=unit_id, parent_id=parents[unit_id], path=path_of(unit_id))
            for unit_id in parents
            if path_of(unit_id) != old_paths.get(unit_id) or parents[unit_id] != old_parents.get(unit_id)
        ]
        Unit.objects.bulk_update(moved, ["parent", "path"], batch_size=BATCH)
        record_bulk_changes(
            Unit,
            [unit.pk for unit in created],
            [unit.pk for unit in changed] + [unit.pk for unit in moved if parents[unit.pk] != old_parents.get(unit.pk)],
            HISTORY_REASON,
        )


# --- procedures ------------------------------------------------------------------------------------------------------
ONLINE_LEVELS = choices(
    {
        "toan_trinh": ("toàn trình", "4", "mức độ 4", "mức 4"),
        "mot_phan": ("một phần", "3", "mức độ 3", "mức 3"),
        "khong": ("không", "2", "1", "mức độ 2", "mức độ 1", "mức 2", "mức 1"),
    }
)
YES_NO = choices({True: ("1", "có", "x", "true", "yes"), False: ("0", "không", "false", "no")})


@dataclass(slots=True)
class ProcedureRow:
    line: int
    code: str
    name: str
    field_name: str
    days: int
    online_level: str
    level: str
    source: str
    added_by_hand: bool


class ProcedureImporter(Importer):
    columns = PROCEDURE_COLUMNS

    def prepare(self):
        self.fields = {value_key(name): (pk, name) for pk, name in Field.objects.values_list("id", "name")}
        self.existing = {
            row["code"]: row
            for row in Procedure.objects.values(
                "id", "code", "name", "field_id", "processing_days", "online_level", "level", "source", "added_by_hand"
            )
        }
        self.lines_by_code = {}

    def check(self, line, row):
        code = procedure_code(row.get("ma_thu_tuc", ""))
        if not code:
            self.refuse(line, self.col("ma_thu_tuc"), "bắt buộc, đang để trống")
        elif len(code) > 40:
            self.refuse(line, self.col("ma_thu_tuc"), f"dài {len(code)} ký tự, tối đa 40")
        name = as_text(row.get("ten_thu_tuc"))
        if not name:
            self.refuse(line, self.col("ten_thu_tuc"), "bắt buộc, đang để trống")
        field_name = self.text(line, row, "linh_vuc", 255, required=True)
        days = self._days(line, row.get("thoi_han_ngay", ""))
        online = self.choice(line, row, "muc_do", ONLINE_LEVELS, True, "toan_trinh, mot_phan, khong hoặc 4, 3, 2, 1")
        level = self.choice(line, row, "cap", LEVELS, shown="tinh, huyen hoặc xa")
        source = self.text(line, row, "nguon_quyet_dinh", 255)
        by_hand = self.choice(line, row, "them_thu_cong", YES_NO, shown="1 hoặc 0") or False
        if code:
            self.lines_by_code.setdefault(code, []).append(line)
        return ProcedureRow(line, code, name, field_name, days, online, level, source, by_hand)

    def _days(self, line, value):
        text = as_text(value)
        if not text:
            self.refuse(line, self.col("thoi_han_ngay"), "bắt buộc, đang để trống")
            return 0
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not text.isdigit() or int(text) > 32767:
            self.refuse(line, self.col("thoi_han_ngay"), f"«{text}» không phải số ngày làm việc (số nguyên ≥ 0)")
            return 0
        return int(text)

    def finish(self):
        self.mark_duplicates(self.lines_by_code, self.col("ma_thu_tuc"))

    def plan(self):
        self.creates, self.updates, self.new_fields = [], [], {}
        for record in self.records.values():
            key = value_key(record.field_name)
            if key not in self.fields:
                self.new_fields.setdefault(key, record.field_name)
            old = self.existing.get(record.code)
            if old is None:
                self.creates.append(record)
                continue
            # Optional columns absent from the file leave the catalogue as it is.
            if "cap" not in self.present:
                record.level = old["level"]
            if "nguon_quyet_dinh" not in self.present:
                record.source = old["source"]
            if "them_thu_cong" not in self.present:
                record.added_by_hand = old["added_by_hand"]
            field_id = self.fields.get(key, (None,))[0]
            same = (old["name"], old["field_id"], old["processing_days"], old["online_level"], old["level"]) == (
                record.name,
                field_id,
                record.days,
                record.online_level,
                record.level,
            ) and (old["source"], old["added_by_hand"]) == (record.source, record.added_by_hand)
            if same:
                self.result.unchanged += 1
            else:
                self.updates.append(record)
        self.result.created, self.result.updated = len(self.creates), len(self.updates)

    def save(self):
        new_fields = Field.objects.bulk_create([Field(name=name) for name in self.new_fields.values()])
        for created in new_fields:
            self.fields[value_key(created.name)] = (created.pk, created.name)
        record_bulk_changes(Field, [field.pk for field in new_fields], [], HISTORY_REASON)

        def build(record, pk=None):
            return Procedure(
                id=pk,
                code=record.code,
                name=record.name,
                search_name=fold(f"{record.code} {record.name}"),
                field_id=self.fields[value_key(record.field_name)][0],
                processing_days=record.days,
                online_level=record.online_level,
                level=record.level,
                source=record.source,
                added_by_hand=record.added_by_hand,
            )

        created = Procedure.objects.bulk_create([build(record) for record in self.creates], batch_size=BATCH)
        updated = [build(record, self.existing[record.code]["id"]) for record in self.updates]
        Procedure.objects.bulk_update(
            updated,
            ["name", "search_name", "field", "processing_days", "online_level", "level", "source", "added_by_hand"],
            batch_size=BATCH,
        )
        record_bulk_changes(
            Procedure, [row.pk for row in created], [row.pk for row in updated], HISTORY_REASON, batch_size=BATCH
        )
