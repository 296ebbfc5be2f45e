"""The importer skeleton every exchange import follows:

    importer = DossierImporter(path_or_file, filename, user=request.user, keep_rejected=True)
    result = importer.validate()          # reads every row once, collects every problem, plans the writes
    if result.ok or skip_invalid:
        importer.write()                  # one transaction, bulk writes in batches
        importer.write_rejected(target)   # the refused rows with a `loi` column

Every problem reads `dòng N: <field>: <what>`; a file with any invalid row writes nothing unless the valid
rows are asked for.
"""

import re
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.core.copy import analyze_after
from cases.core.formats import number
from cases.desk.steps import FUTURE_TOLERANCE

from .columns import Column, match_columns, value_key
from .export import write_csv, write_xlsx
from .reading import FileRefused, as_text, open_sheet, source_name
from .values import BadValue, format_moment, parse_moment

BATCH = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
PROGRESS_EVERY = 5000


@dataclass
class ImportResult:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    written: bool = False

    @property
    def ok(self):
        return not self.errors

    def summary(self):
        text = (
            f"Đã đọc {number(self.rows_read)} dòng: thêm mới {number(self.created)}, "
            f"cập nhật {number(self.updated)}, không đổi {number(self.unchanged)}, "
            f"bị từ chối {number(self.refused)}."
        )
        if not self.written:
            text += " Chưa ghi gì vào cơ sở dữ liệu."
        return text


# --- the importer skeleton ------------------------------------------------------------------------------------
class Importer:
    """Read every row once, collect every problem, plan the writes; `write()` applies the plan atomically."""

    columns = ()
    # Columns whose moments may lie in the future (due times); any other moment ahead of now is refused.
    ahead = ()
    rejected_column = "loi"
    # The tables a large import fills: their statistics are refreshed after it (cases.core.copy.analyze_after).
    bulk_models = ()

    def __init__(self, source, filename=None, *, user=None, keep_rejected=False, progress=None):
        """`progress(rows)` (optional) is called every PROGRESS_EVERY rows read, e.g. to move an upload's bar."""
        self.source = source
        self.progress = progress
        self.filename = Path(source_name(source, filename)).name
        self.user = user
        self.keep_rejected = keep_rejected
        self.result = ImportResult()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.now = timezone.now()
        self.latest = self.now + FUTURE_TOLERANCE
        self.records = {}  # line → record of a row that passed its own checks
        self.problems = {}  # line → [messages]
        self.raw = {}  # line → the cells as read (only with keep_rejected)
        self.sheet = None
        self.present = set()
        self.validated = False
        self.file_refusal = None  # the FileRefused that stopped the reading, if one did

    # problems
    def refuse(self, line, column, what):
        label = column.name if isinstance(column, Column) else column
        message = shown(f"dòng {line}: {label}: {what}")
        self.result.errors.append(message)
        self.problems.setdefault(line, []).append(message.split(": ", 1)[1])
        self.records.pop(line, None)

    def warn(self, line, column, what):
        label = column.name if isinstance(column, Column) else column
        self.result.warnings.append(shown(f"dòng {line}: {label}: {what}"))

    def col(self, key):
        return next(column for column in self.columns if column.key == key)

    # the pass
    def validate(self):
        try:
            self.sheet = open_sheet(self.source, self.filename)
        except FileRefused as exc:
            self.file_refusal = exc
            self.result.errors.append(str(exc))
            return self.result
        index, warnings, errors = match_columns(self.sheet.headers, self.columns)
        self.result.warnings += warnings
        self.result.errors += errors
        if errors:
            return self.result
        self.present = set(index)
        names = list(index)
        # One C call per row picks the columns out of the cells.
        positions = list(index.values())
        cells = itemgetter(*positions) if len(positions) > 1 else (lambda values: [values[p] for p in positions])
        self.prepare()
        try:
            for line, values in self.sheet.rows:
                self.result.rows_read += 1
                if self.progress is not None and self.result.rows_read % PROGRESS_EVERY == 0:
                    self.progress(self.result.rows_read)
                if self.keep_rejected:
                    self.raw[line] = values
                row = dict(zip(names, cells(values), strict=True))
                record = self.check(line, row)
                if record is not None and line not in self.problems:
                    self.records[line] = record
        except FileRefused as exc:
            # Reading stopped mid-file (a line not UTF-8, a broken CSV line): the whole file is refused, and the
            # line is counted as refused so that no page says "0 dòng lỗi".
            self.file_refusal = exc
            self.result.errors.append(str(exc))
            if exc.line is not None:
                self.problems.setdefault(exc.line, []).append(str(exc).split(": ", 1)[-1])
            self.result.refused = len(self.problems)
            return self.result
        self.finish()
        self.plan()
        self.result.refused = len(self.problems)
        self.validated = True
        return self.result

    def write(self):
        """Apply the plan for the valid rows in one transaction. Returns the result."""
        if not self.validated:
            raise RuntimeError("validate() first")
        try:
            with transaction.atomic():
                self.save()
        except IntegrityError as exc:
            # Someone wrote the same codes between validation and writing: nothing is kept.
            self.result.errors.append(f"Không ghi được (dữ liệu vừa bị thay đổi ở nơi khác): {exc}")
            self.result.created = self.result.updated = 0
            return self.result
        self.result.written = True
        analyze_after(self.result.created + self.result.updated, *self.bulk_models)
        return self.result

    # rejected rows, beside the input
    def rejected_path(self, input_path):
        path = Path(input_path)
        suffix = ".xlsx" if self.sheet and self.sheet.kind == "xlsx" else ".csv"
        return path.with_name(f"{path.stem}.loi{suffix}")

    def errors_in_line_order(self):
        """Problems found across rows (a group, a dossier) come after the rows' own: put them in line order."""
        self.result.errors.sort(key=_line_of)

    def write_rejected(self, target):
        """The refused rows as read, plus a `loi` column with every reason; CSV or XLSX as the input was."""
        headers = [*self.sheet.headers, self.rejected_column]
        rows = ([*self.raw[line], "; ".join(reasons)] for line, reasons in sorted(self.problems.items()) if line > 1)
        if self.sheet.kind == "xlsx":
            write_xlsx(target, headers, rows, title="Dòng bị từ chối")
        else:
            write_csv(target, headers, ([as_text(value) for value in row] for row in rows), self.sheet.delimiter)

    # for subclasses
    def prepare(self):
        """Load what the checks need (the catalogue), in a few queries."""

    def check(self, line, row):
        raise NotImplementedError

    def finish(self):
        """Checks across rows (duplicates, parents)."""

    def plan(self):
        raise NotImplementedError

    def save(self):
        raise NotImplementedError

    # shared checks
    def moment(self, line, row, key, default_time, required=False, not_before=None):
        """(aware datetime or None, True when the cell had a time of day). A bare date that falls before
        `not_before` on the same day is put at `not_before`; a moment in the future is refused unless its column
        is one of `ahead` (due times lie ahead by nature; what happened cannot)."""
        value = row.get(key, "")
        if value == "" or value is None:
            if required:
                self.refuse(line, self.col(key), "bắt buộc, đang để trống")
            return None, False
        try:
            moment, timed = parse_moment(value, self.tz, default_time)
        except BadValue as exc:
            self.refuse(line, self.col(key), str(exc))
            return None, False
        if not timed and not_before is not None and moment.date() == not_before.date() and moment < not_before:
            moment = not_before
        if moment > self.latest and key not in self.ahead:
            self.refuse(line, self.col(key), f"{format_moment(moment, self.tz)} ở tương lai")
        return moment, timed

    def known(self, line, key, code, found, missing):
        """`found`, the record a required code names; refused when the cell is blank or names nothing (`missing`)."""
        if not code:
            self.refuse(line, self.col(key), "bắt buộc, đang để trống")
        elif found is None:
            self.refuse(line, self.col(key), missing)
        return found

    def refuse_together(self, lines, label, why):
        """Rows that stand or fall together (a process, a dossier's steps): when one is refused, the others are,
        saying `why(first refused line)`; True if so."""
        bad = next((line for line in lines if line in self.problems), None)
        if bad is None:
            return False
        for line in lines:
            if line not in self.problems:
                self.refuse(line, label, why(bad))
        return True

    def as_given(self, moment, timed):
        """A moment in a message as its cell gave it: a bare date stays a bare date."""
        return format_moment(moment, self.tz) if timed else f"{moment.astimezone(self.tz):%d/%m/%Y}"

    def whole_number(self, line, key, value, low, high, what):
        """A whole number between `low` and `high` (an Excel number cell too); None, refused, otherwise."""
        text = as_text(value)
        if isinstance(value, float) and value.is_integer():
            text = str(int(value))
        if not text:
            self.refuse(line, self.col(key), "bắt buộc, đang để trống")
        elif not text.isdigit() or not low <= int(text) <= high:
            self.refuse(line, self.col(key), f"«{text}» không phải {what}")
        else:
            return int(text)
        return None

    def text(self, line, row, key, max_length, required=False):
        value = as_text(row.get(key, ""))
        if required and not value:
            self.refuse(line, self.col(key), "bắt buộc, đang để trống")
        elif len(value) > max_length:
            self.refuse(line, self.col(key), f"dài {len(value)} ký tự, tối đa {max_length}")
        return value

    def choice(self, line, row, key, mapping, required=False, shown=""):
        raw = row.get(key, "")
        value = as_text(raw)
        if not value:
            if required:
                self.refuse(line, self.col(key), "bắt buộc, đang để trống")
            return ""
        found = mapping.get(value)  # the machine key as written: no folding needed
        if found is None:
            found = mapping.get(value_key(value))
        if found is None:
            self.refuse(line, self.col(key), f"«{value}» không hợp lệ (dùng {shown})")
            return ""
        return found

    def mark_duplicates(self, lines_by_code, column):
        for code, lines in lines_by_code.items():
            if len(lines) < 2:
                continue
            for line in lines:
                others = ", ".join(str(other) for other in lines if other != line)
                self.refuse(line, column, f"{code} trùng với dòng {others}")


def _line_of(message):
    head = message.split(":", 1)[0]
    return int(head[5:]) if head.startswith("dòng ") and head[5:].isdigit() else 0


def shown(message):
    """A message without control characters (a NUL from a file cannot be stored or shown)."""
    return _CONTROL.sub("�", message)


def choices(pairs):
    """{folded key or label: value}, and each machine key as it is written."""
    found = {value_key(text): value for value, texts in pairs.items() for text in (value, *texts)}
    return {**found, **{value: value for value in pairs if isinstance(value, str)}}
