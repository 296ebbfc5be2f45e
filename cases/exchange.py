"""The exchange format (EXCHANGE_FORMAT.md): reading CSV/XLSX, validating with line numbers, writing in bulk.

One engine for the management commands and the upload pages:

    importer = DossierImporter(path_or_file, filename, user=request.user, keep_rejected=True)
    result = importer.validate()          # reads every row once, collects every problem, plans the writes
    if result.ok or skip_invalid:
        importer.write()                  # one transaction, bulk_create / bulk_update in batches
        importer.write_rejected(target)   # the refused rows with a `loi` column

Lines are numbered as a spreadsheet numbers its rows (the header is line 1); every problem reads
`dòng N: <field>: <what>`. Exports stream rows from `.iterator()` so memory stays flat at any size.

Bare dates (no time of day) are read as follows, because a desk works only in office hours:
- ngày tiếp nhận → the office opening time of that day (07:00 by default): the earliest moment it can have been
  received, so the computed due time never favours the unit;
- ngày hẹn trả → the office closing time (17:00): "due on 21/02" means by the end of that working day, as for
  a same-day procedure;
- ngày có kết quả, ngày trả kết quả → the closing time, but never before the previous step of the same day (a
  result dated the day of a receipt at 17:30 is put at 17:30). Outcomes are compared by calendar day, so the
  choice cannot move a dossier between early, on time and late.
An Excel date cell whose time is exactly 00:00 is a bare date.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import chain
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .text import fold

BATCH = 2000
PROGRESS_EVERY = 5000
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_PRINTED_WARNINGS = 200


def local_tz():
    return ZoneInfo(settings.TIME_ZONE)


def vn_number(value):
    """1234567 → '1.234.567'."""
    return f"{value:,}".replace(",", ".")


# --- columns ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple = ()

    @property
    def name(self):
        """The label as it reads inside a sentence: 'Mã hồ sơ' → 'mã hồ sơ'."""
        return self.label[:1].lower() + self.label[1:]


UNIT_COLUMNS = (
    Column("ma_don_vi", "Mã đơn vị", True),
    Column("ten_don_vi", "Tên đơn vị", True),
    Column("cap", "Cấp", True, ("cấp đơn vị",)),
    Column("ma_don_vi_cha", "Mã đơn vị cha", False, ("đơn vị cha",)),
)

PROCEDURE_COLUMNS = (
    Column("ma_thu_tuc", "Mã thủ tục", True, ("mã TTHC", "mã số")),
    Column("ten_thu_tuc", "Tên thủ tục", True, ("tên TTHC", "tên thủ tục hành chính")),
    Column("linh_vuc", "Lĩnh vực", True),
    Column(
        "thoi_han_ngay",
        "Thời hạn giải quyết (ngày làm việc)",
        True,
        ("thời hạn giải quyết", "thời hạn", "số ngày giải quyết"),
    ),
    Column("muc_do", "Mức độ DVC", True, ("mức độ", "mức độ DVC trực tuyến", "mức độ dịch vụ công")),
    # Beyond the documented five: the national data file carries these, and the catalogue keeps them.
    Column("cap", "Cấp thực hiện", False, ("cấp",)),
    Column("nguon_quyet_dinh", "Nguồn quyết định", False, ("quyết định công bố", "nguồn công bố", "nguồn")),
    Column("them_thu_cong", "Bổ sung thủ công", False, ("thêm thủ công",)),
)

DOSSIER_COLUMNS = (
    Column("ma_ho_so", "Mã hồ sơ", True, ("số hồ sơ",)),
    Column("ma_thu_tuc", "Mã thủ tục", True, ("mã TTHC",)),
    Column("ma_don_vi", "Mã đơn vị", True, ("đơn vị tiếp nhận",)),
    Column("ngay_tiep_nhan", "Ngày tiếp nhận", True, ("ngày nhận",)),
    Column("ngay_hen_tra", "Ngày hẹn trả", False, ("ngày hẹn trả kết quả", "hạn giải quyết")),
    Column("ngay_co_ket_qua", "Ngày có kết quả", False, ("ngày giải quyết",)),
    Column("ngay_tra_ket_qua", "Ngày trả kết quả", False),
    Column("hinh_thuc_nop", "Hình thức nộp", True, ("hình thức",)),
    Column("nguoi_nop", "Người nộp", True, ("tên người nộp", "người nộp hồ sơ", "chủ hồ sơ")),
    Column("so_dien_thoai", "Số điện thoại", False, ("điện thoại", "SĐT")),
    Column("dia_chi", "Địa chỉ", False),
    Column("trang_thai", "Trạng thái", False, ("tình trạng",)),
)
DOSSIER_KEYS = tuple(column.key for column in DOSSIER_COLUMNS)


def header_key(text):
    """How a header is compared: no case, no diacritics, spaces and underscores alike, a '(*)' marker dropped."""
    text = re.sub(r"\(\*\)|\*", " ", str(text or ""))
    return fold(text.replace("_", " "))


def value_key(text):
    return fold(str(text).replace("_", " ").replace("-", " "))


# --- reading ------------------------------------------------------------------------------------------
class FileRefused(Exception):
    """The file as a whole cannot be read (not CSV/XLSX, not UTF-8, no header)."""


@dataclass
class Sheet:
    headers: list
    rows: object  # iterator of (line number, list of cell values as long as headers)
    kind: str  # "csv" or "xlsx"
    delimiter: str = ","


def _source_name(source, filename):
    return str(filename or getattr(source, "name", None) or source)


def open_sheet(source, filename=None):
    """A CSV or XLSX file (a path or a file object; `filename` decides the kind) as headers and rows."""
    name = _source_name(source, filename)
    suffix = Path(name).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _open_xlsx(source)
    if suffix in (".csv", ".txt", ""):
        return _open_csv(source)
    if suffix == ".xls":
        raise FileRefused("Tệp .xls (Excel 97-2003) không đọc được: hãy lưu lại dạng .xlsx hoặc CSV UTF-8.")
    raise FileRefused(f"Không đọc được tệp {Path(name).name}: chỉ nhận CSV hoặc XLSX.")


def read_rows(source, filename=None):
    """(line number, {header: value}) for every non-blank row; the header is line 1."""
    sheet = open_sheet(source, filename)
    for line, values in sheet.rows:
        yield line, dict(zip(sheet.headers, values, strict=False))


def _open_csv(source):
    owned = isinstance(source, (str, Path))
    if owned:
        handle = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 — closed by the row generator
    elif isinstance(source, io.TextIOBase):
        handle = source
    else:
        if hasattr(source, "seek"):
            source.seek(0)
        handle = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    try:
        first = handle.readline().lstrip("\ufeff")
    except UnicodeDecodeError:
        _release(handle, source, owned)
        raise FileRefused(_NOT_UTF8) from None
    if not first.strip():
        _release(handle, source, owned)
        raise FileRefused("Tệp trống: dòng 1 phải là tiêu đề cột.")
    # Spreadsheet programs in a Vietnamese locale save with ';' because ',' is the decimal mark.
    delimiter = max((";", ",", "\t"), key=first.count) if any(d in first for d in ";,\t") else ","
    reader = csv.reader(chain([first], handle), delimiter=delimiter)
    headers = [cell.strip() for cell in next(reader)]
    width = len(headers)

    def rows():
        try:
            for line, cells in enumerate(reader, start=2):
                values = [cell.strip() for cell in cells[:width]]
                if not any(values):
                    continue
                if len(values) < width:
                    values += [""] * (width - len(values))
                yield line, values
        except UnicodeDecodeError:
            raise FileRefused(_NOT_UTF8) from None
        finally:
            _release(handle, source, owned)

    return Sheet(headers, rows(), "csv", delimiter)


_NOT_UTF8 = "Tệp CSV không phải mã UTF-8: trong Excel hãy chọn Lưu thành «CSV UTF-8 (Comma delimited)»."


def _release(handle, source, owned):
    if owned:
        handle.close()
    elif handle is not source:
        handle.detach()  # leave the caller's file open


def _open_xlsx(source):
    from openpyxl import load_workbook

    if hasattr(source, "seek"):
        source.seek(0)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
        raise FileRefused(f"Không mở được tệp XLSX ({exc.__class__.__name__}).") from None
    sheet = workbook.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    header = next(values, None)
    headers = [_xlsx_value(cell) for cell in header or ()]
    while headers and headers[-1] == "":
        headers.pop()
    if not headers:
        workbook.close()
        raise FileRefused("Tệp trống: dòng 1 phải là tiêu đề cột.")
    headers = [str(cell) for cell in headers]
    width = len(headers)

    def rows():
        try:
            for line, cells in enumerate(values, start=2):
                row = [_xlsx_value(cell) for cell in cells[:width]]
                if not any(value != "" for value in row):
                    continue
                if len(row) < width:
                    row += [""] * (width - len(row))
                yield line, row
        finally:
            workbook.close()

    return Sheet(headers, rows(), "xlsx")


def _xlsx_value(cell):
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float):
        # A number Excel stored as a float: 912345678.0 → 912345678 (no ".0").
        return int(cell) if cell.is_integer() else cell
    if isinstance(cell, datetime):
        # Excel keeps times as fractions of a day: round away the float noise (08:29:59.9999 → 08:30:00).
        return (cell + timedelta(microseconds=500_000)).replace(microsecond=0)
    return cell


def as_text(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value).strip()


def match_columns(headers, columns):
    """{key: column index}, warnings and errors for a header row."""
    lookup = {}
    for column in columns:
        for alias in (column.key, column.label, *column.aliases):
            lookup[header_key(alias)] = column
    index, warnings, errors = {}, [], []
    for position, header in enumerate(headers):
        if not str(header).strip():
            continue
        column = lookup.get(header_key(header))
        if column is None:
            warnings.append(f"dòng 1: cột «{header}» không thuộc định dạng, bỏ qua")
        elif column.key in index:
            errors.append(f"dòng 1: {column.name}: cột có hai lần («{headers[index[column.key]]}» và «{header}»)")
        else:
            index[column.key] = position
    for column in columns:
        if column.required and column.key not in index:
            errors.append(f"dòng 1: {column.name}: thiếu cột bắt buộc (tiêu đề «{column.key}» hoặc «{column.label}»)")
    return index, warnings, errors


# --- values ---------------------------------------------------------------------------------------------
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T]+(\d{1,2})[:hH](\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?")
_ISO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")


class BadValue(ValueError):
    """A cell that cannot be read; the message says why, in Vietnamese."""


def parse_moment(value, tz, default_time):
    """(aware datetime, True when the cell had a time of day). Raises BadValue."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(tz), True
        if value.time() == time(0, 0):
            return datetime.combine(value.date(), default_time, tz), False
        return value.replace(tzinfo=tz), True
    if isinstance(value, date):
        return datetime.combine(value, default_time, tz), False
    text = str(value).strip()
    match = _DMY.fullmatch(text)
    if match:
        day, month, year, hour, minute, second = match.groups()
    else:
        match = _ISO.fullmatch(text)
        if match:
            year, month, day, hour, minute, second = match.groups()
        elif _ISO_OFFSET.fullmatch(text):
            try:
                return datetime.fromisoformat(text.replace(" ", "T")).astimezone(tz), True
            except ValueError:
                raise BadValue(f"«{text}» không phải ngày hợp lệ") from None
        else:
            raise BadValue(f"«{text}» không đọc được (dùng dd/mm/yyyy, dd/mm/yyyy HH:MM hoặc yyyy-mm-dd)")
    try:
        if hour is None:
            return datetime.combine(date(int(year), int(month), int(day)), default_time, tz), False
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz), True
    except ValueError:
        raise BadValue(f"«{text}» không phải ngày hợp lệ") from None


def format_moment(moment, tz):
    """dd/mm/yyyy HH:MM in Vietnam's time zone (what import reads back to the same minute)."""
    if moment is None:
        return ""
    moment = moment.astimezone(tz)
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year} {moment.hour:02d}:{moment.minute:02d}"


def _same_minute(old, new):
    if old is None or new is None:
        return old is new
    return old.replace(second=0, microsecond=0) == new.replace(second=0, microsecond=0)


def _procedure_code(value):
    """A national code that Excel turned into a number keeps its six decimals: 1.00089 → '1.000890'."""
    if isinstance(value, float):
        return f"{value:.6f}"
    text = as_text(value)
    if re.fullmatch(r"\d\.\d{1,5}", text):
        whole, decimals = text.split(".")
        return f"{whole}.{decimals.ljust(6, '0')}"
    return text


def _stamp(moment, tz=None):
    """A value as an event records it: datetimes in ISO 8601, Vietnam time."""
    return moment.astimezone(tz or local_tz()).isoformat() if isinstance(moment, datetime) else moment


# --- results ----------------------------------------------------------------------------------------------
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
            f"Đã đọc {vn_number(self.rows_read)} dòng: thêm mới {vn_number(self.created)}, "
            f"cập nhật {vn_number(self.updated)}, không đổi {vn_number(self.unchanged)}, "
            f"bị từ chối {vn_number(self.refused)}."
        )
        if not self.written:
            text += " Chưa ghi gì vào cơ sở dữ liệu."
        return text


# --- the importer skeleton ------------------------------------------------------------------------------------
class Importer:
    """Read every row once, collect every problem, plan the writes; `write()` applies the plan atomically."""

    columns = ()
    rejected_column = "loi"

    def __init__(self, source, filename=None, *, user=None, keep_rejected=False, progress=None):
        """`progress(rows)` (optional) is called every PROGRESS_EVERY rows read, e.g. to move an upload's bar."""
        self.source = source
        self.progress = progress
        self.filename = Path(_source_name(source, filename)).name
        self.user = user
        self.keep_rejected = keep_rejected
        self.result = ImportResult()
        self.tz = local_tz()
        self.now = timezone.now()
        self.records = {}  # line → record of a row that passed its own checks
        self.problems = {}  # line → [messages]
        self.raw = {}  # line → the cells as read (only with keep_rejected)
        self.sheet = None
        self.present = set()
        self._validated = False

    # problems
    def refuse(self, line, column, what):
        label = column.name if isinstance(column, Column) else column
        message = f"dòng {line}: {label}: {what}"
        self.result.errors.append(message)
        self.problems.setdefault(line, []).append(message.split(": ", 1)[1])
        self.records.pop(line, None)

    def warn(self, line, column, what):
        label = column.name if isinstance(column, Column) else column
        self.result.warnings.append(f"dòng {line}: {label}: {what}")

    def col(self, key):
        return next(column for column in self.columns if column.key == key)

    # the pass
    def validate(self):
        try:
            self.sheet = open_sheet(self.source, self.filename)
        except FileRefused as exc:
            self.result.errors.append(str(exc))
            return self.result
        index, warnings, errors = match_columns(self.sheet.headers, self.columns)
        self.result.warnings += warnings
        self.result.errors += errors
        if errors:
            return self.result
        self.present = set(index)
        keys = list(index.items())
        self.prepare()
        try:
            for line, values in self.sheet.rows:
                self.result.rows_read += 1
                if self.progress is not None and self.result.rows_read % PROGRESS_EVERY == 0:
                    self.progress(self.result.rows_read)
                if self.keep_rejected:
                    self.raw[line] = values
                row = {key: values[position] for key, position in keys}
                record = self.check(line, row)
                if record is not None and line not in self.problems:
                    self.records[line] = record
        except FileRefused as exc:
            self.result.errors.append(str(exc))
            return self.result
        self.finish()
        self.plan()
        self.result.refused = len(self.problems)
        self._validated = True
        return self.result

    def write(self):
        """Apply the plan for the valid rows in one transaction. Returns the result."""
        if not self._validated:
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
        return self.result

    # rejected rows, beside the input
    def rejected_path(self, input_path):
        path = Path(input_path)
        suffix = ".xlsx" if self.sheet and self.sheet.kind == "xlsx" else ".csv"
        return path.with_name(f"{path.stem}.loi{suffix}")

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


def _choices(pairs):
    return {value_key(text): value for value, texts in pairs.items() for text in (value, *texts)}


# --- units ----------------------------------------------------------------------------------------------------------
LEVELS = _choices({"tinh": ("cấp tỉnh", "tỉnh"), "huyen": ("cấp huyện", "huyện"), "xa": ("cấp xã", "xã")})


def unit_kind(name):
    """The kind of unit its name announces ('UBND xã Pú Hồng' → ubnd_xa, 'Phòng Tư pháp' → phong …)."""
    from .models import UnitKind

    folded = fold(name).replace("uy ban nhan dan", "ubnd")
    if re.match(r"ubnd (xa|phuong|thi tran) ", folded):
        return UnitKind.COMMUNE
    if re.match(r"ubnd (tinh|huyen|thi xa|thanh pho|quan) ", folded):
        return UnitKind.PEOPLES_COMMITTEE
    if folded.startswith("phong "):
        return UnitKind.OFFICE
    if folded.startswith("so "):
        return UnitKind.DEPARTMENT
    if folded.startswith("chi nhanh "):
        return UnitKind.BRANCH
    return UnitKind.OTHER


def place_name(name):
    """'UBND huyện Điện Biên Đông' → 'Điện Biên Đông' (the place written on letters)."""
    match = re.match(
        r"(?i)(?:UBND|Ủy ban nhân dân)\s+(?:tỉnh|huyện|thị xã|thành phố|quận|xã|phường|thị trấn)\s+(.+)", name
    )
    return match.group(1).strip() if match else ""


@dataclass(slots=True)
class UnitRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


class UnitImporter(Importer):
    columns = UNIT_COLUMNS

    def prepare(self):
        from .models import Unit

        self.existing = {
            row["code"]: row for row in Unit.objects.values("id", "code", "name", "level", "kind", "parent_id", "path")
        }
        self.code_by_id = {row["id"]: code for code, row in self.existing.items()}
        self.lines_by_code = {}

    def check(self, line, row):
        code = self.text(line, row, "ma_don_vi", 40, required=True)
        name = self.text(line, row, "ten_don_vi", 255, required=True)
        level = self.choice(line, row, "cap", LEVELS, required=True, shown="tinh, huyen hoặc xa")
        parent = self.text(line, row, "ma_don_vi_cha", 40)
        if code:
            self.lines_by_code.setdefault(code, []).append(line)
        if code and parent == code:
            self.refuse(line, self.col("ma_don_vi_cha"), f"đơn vị {code} không thể là cha của chính nó")
        return UnitRow(line, code, name, level, parent)

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
            if (old["name"], old["level"], parent_code or "") == (record.name, record.level, record.parent_code):
                self.result.unchanged += 1
            else:
                self.updates.append(record)
        self.result.created, self.result.updated = len(self.creates), len(self.updates)

    def save(self):
        from .models import Unit

        created = Unit.objects.bulk_create(
            [
                Unit(code=r.code, name=r.name, level=r.level, kind=unit_kind(r.name), place_name=place_name(r.name))
                for r in self.creates
            ],
            batch_size=BATCH,
        )
        ids = {code: row["id"] for code, row in self.existing.items()}
        ids.update({unit.code: unit.pk for unit in created})
        parents = {row["id"]: row["parent_id"] for row in self.existing.values()}
        changed = []
        for record in self.updates:
            old = self.existing[record.code]
            unit = Unit(id=old["id"], code=record.code, name=record.name, level=record.level, kind=old["kind"])
            if record.name != old["name"] and unit_kind(record.name) != "khac":
                unit.kind = unit_kind(record.name)
            changed.append(unit)
        Unit.objects.bulk_update(changed, ["name", "level", "kind"], batch_size=BATCH)
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


# --- procedures ------------------------------------------------------------------------------------------------------
ONLINE_LEVELS = _choices(
    {
        "toan_trinh": ("toàn trình", "4", "mức độ 4", "mức 4"),
        "mot_phan": ("một phần", "3", "mức độ 3", "mức 3"),
        "khong": ("không", "2", "1", "mức độ 2", "mức độ 1", "mức 2", "mức 1"),
    }
)
YES_NO = _choices({True: ("1", "có", "x", "true", "yes"), False: ("0", "không", "false", "no")})


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
        from .models import Field, Procedure

        self.fields = {value_key(name): (pk, name) for pk, name in Field.objects.values_list("id", "name")}
        self.existing = {
            row["code"]: row
            for row in Procedure.objects.values(
                "id", "code", "name", "field_id", "processing_days", "online_level", "level", "source", "added_by_hand"
            )
        }
        self.lines_by_code = {}

    def check(self, line, row):
        code = _procedure_code(row.get("ma_thu_tuc", ""))
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
        from .models import Field, Procedure

        for created in Field.objects.bulk_create([Field(name=name) for name in self.new_fields.values()]):
            self.fields[value_key(created.name)] = (created.pk, created.name)

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

        Procedure.objects.bulk_create([build(record) for record in self.creates], batch_size=BATCH)
        Procedure.objects.bulk_update(
            [build(record, self.existing[record.code]["id"]) for record in self.updates],
            ["name", "search_name", "field", "processing_days", "online_level", "level", "source", "added_by_hand"],
            batch_size=BATCH,
        )


# --- dossiers ---------------------------------------------------------------------------------------------------------
CHANNELS = _choices(
    {
        "truc_tiep": ("trực tiếp", "tại quầy", "nộp trực tiếp"),
        "truc_tuyen": ("trực tuyến", "qua mạng", "nộp trực tuyến", "online"),
        "buu_chinh": ("bưu chính", "qua bưu chính", "bưu điện", "bưu chính công ích"),
    }
)
STATES = _choices(
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
EXPLICIT_STATES = ("bo_sung", "tam_dung", "tu_choi", "rut")
ENDED_STATES = ("tu_choi", "rut")
STOPPED_STATES = ("bo_sung", "tam_dung")
STATE_LABELS = {
    "bo_sung": "Chờ bổ sung",
    "tam_dung": "Tạm dừng",
    "tu_choi": "Từ chối",
    "rut": "Rút hồ sơ",
    "dang_giai_quyet": "Đang giải quyết",
    "da_co_ket_qua": "Đã có kết quả",
    "da_tra": "Đã trả kết quả",
}
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
)


@dataclass(slots=True)
class DossierRow:
    line: int
    code: str
    procedure_code: str
    procedure_id: int
    unit_id: int
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


class DossierImporter(Importer):
    columns = DOSSIER_COLUMNS

    def __init__(self, *args, allowed_units=None, **kwargs):
        """`allowed_units`: ids of the units the uploader may write for (the browser's scope check); None = all."""
        super().__init__(*args, **kwargs)
        self.allowed_units = None if allowed_units is None else frozenset(allowed_units)

    def prepare(self):
        from .calendar import calendar
        from .models import Procedure, Unit

        self.procedures = {
            row[0]: row
            for row in Procedure.objects.values_list("code", "id", "processing_days", "same_day_cutoff", "online_level")
        }
        self.units = {row[0]: row for row in Unit.objects.values_list("code", "id", "valid_from", "valid_to")}
        self.units_upper = {code.upper(): row for code, row in self.units.items()}
        self.calendar = calendar()  # once per import: every due time below is computed in memory
        hours = self.calendar.office_hours
        self.opening, self.closing = hours[0][0], hours[-1][1]
        self.lines_by_code = {}
        self.latest = self.now + FUTURE_TOLERANCE

    def moment(self, line, row, key, default_time, required=False, not_before=None):
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
        # A due date of an open dossier lies ahead by nature; the dates of what happened cannot.
        if moment > self.latest and key != "ngay_hen_tra":
            self.refuse(line, self.col(key), f"{format_moment(moment, self.tz)} ở tương lai")
        return moment, timed

    def check(self, line, row):
        col = self.col
        code = self.text(line, row, "ma_ho_so", 60, required=True)
        if code:
            self.lines_by_code.setdefault(code, []).append(line)
        procedure_code = _procedure_code(row.get("ma_thu_tuc", ""))
        procedure = self.procedures.get(procedure_code)
        if not procedure_code:
            self.refuse(line, col("ma_thu_tuc"), "bắt buộc, đang để trống")
        elif procedure is None:
            self.refuse(line, col("ma_thu_tuc"), f"không có thủ tục {procedure_code} trong danh mục")
        unit_code = as_text(row.get("ma_don_vi", ""))
        unit = self.units.get(unit_code) or self.units_upper.get(unit_code.upper())
        if not unit_code:
            self.refuse(line, col("ma_don_vi"), "bắt buộc, đang để trống")
        elif unit is None:
            self.refuse(line, col("ma_don_vi"), f"không có đơn vị {unit_code}")
        elif self.allowed_units is not None and unit[1] not in self.allowed_units:
            self.refuse(line, col("ma_don_vi"), f"đơn vị {unit_code} ngoài phạm vi của bạn")

        received, received_timed = self.moment(line, row, "ngay_tiep_nhan", self.opening, required=True)
        resolved, resolved_timed = self.moment(line, row, "ngay_co_ket_qua", self.closing, not_before=received)
        returned, returned_timed = self.moment(
            line, row, "ngay_tra_ket_qua", self.closing, not_before=resolved or received
        )
        due, due_timed = self.moment(line, row, "ngay_hen_tra", self.closing)
        tz = self.tz

        def shown(moment, timed):
            # As the cell gave it: a bare date stays a bare date in the message.
            return format_moment(moment, tz) if timed else f"{moment.astimezone(tz):%d/%m/%Y}"

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

        channel = self.choice(line, row, "hinh_thuc_nop", CHANNELS, True, "truc_tiep, truc_tuyen hoặc buu_chinh")
        name = self.text(line, row, "nguoi_nop", 255, required=True)
        phone = self._phone(line, row.get("so_dien_thoai", ""))
        address = self.text(line, row, "dia_chi", 500)
        state = self._state(line, row, resolved, returned)

        if line in self.problems:
            return None
        _, procedure_id, days, cutoff, online_level = procedure
        computed = self.calendar.due_at(received, days, cutoff)
        due_at_given = due is not None and not _same_minute(due, computed)
        if due_at_given:
            self.warn(
                line,
                col("ngay_hen_tra"),
                f"{format_moment(due, tz)} khác hạn tính theo lịch làm việc {format_moment(computed, tz)}, "
                "giữ theo tệp",
            )
        if channel == "truc_tuyen" and online_level == "khong":
            self.warn(line, col("hinh_thuc_nop"), f"thủ tục {procedure_code} không có dịch vụ công trực tuyến")
        _, unit_id, valid_from, valid_to = unit
        if valid_to and received.date() > valid_to:
            self.warn(line, col("ma_don_vi"), f"đơn vị {unit_code} hết hiệu lực từ {valid_to:%d/%m/%Y}")
        return DossierRow(
            line,
            code,
            procedure_code,
            procedure_id,
            unit_id,
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
        )

    def _phone(self, line, value):
        if isinstance(value, int) and not isinstance(value, bool):
            text = str(value)
            # A number cell lost the leading 0 of a Vietnamese number (09xx…, 02xx…): put it back.
            if len(text) in (9, 10) and not text.startswith("0"):
                self.warn(line, self.col("so_dien_thoai"), f"ô kiểu số {text}, đã thêm số 0 ở đầu")
                text = "0" + text
            return text
        return self.text(line, {"so_dien_thoai": value}, "so_dien_thoai", 30)

    def _state(self, line, row, resolved, returned):
        state = self.choice(line, row, "trang_thai", STATES, shown="bo_sung, tam_dung, tu_choi, rut hoặc để trống")
        implied = "da_tra" if returned else "da_co_ket_qua" if resolved else "dang_giai_quyet"
        if not state:
            return implied
        if state in EXPLICIT_STATES:
            if resolved or returned:
                self.refuse(
                    line,
                    self.col("trang_thai"),
                    f"«{STATE_LABELS[state]}» nhưng có ngày có kết quả hoặc ngày trả kết quả",
                )
            return state
        if state != implied:
            self.refuse(
                line,
                self.col("trang_thai"),
                f"«{STATE_LABELS[state]}» không khớp với các ngày ({STATE_LABELS[implied]})",
            )
        return implied

    def finish(self):
        self.mark_duplicates(self.lines_by_code, self.col("ma_ho_so"))

    # --- the plan: created / updated / unchanged ---------------------------------------------------------------------
    def plan(self):
        from .models import Dossier

        by_code = {record.code: record for record in self.records.values()}
        codes = list(by_code)
        self.existing = {}
        for start in range(0, len(codes), 5000):
            for row in Dossier.objects.filter(code__in=codes[start : start + 5000]).values(
                "id", "code", *DOSSIER_FIELDS
            ):
                self.existing[row["code"]] = row
        self.creates, self.updates = [], []
        for record in list(self.records.values()):
            old = self.existing.get(record.code)
            if old is None:
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
            "procedure_id": record.procedure_id,
            "unit_id": record.unit_id,
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
        same_procedure = record.procedure_id == old["procedure_id"]
        new["processing_days"] = old["processing_days"] if same_procedure else record.processing_days
        for name in ("received_at", "resolved_at", "returned_at"):
            value = getattr(record, name)
            new[name] = old[name] if _same_minute(old[name], value) else value
        if record.due_in_file:
            if _same_minute(old["due_at"], record.due_at):
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
        if record.state in STOPPED_STATES:
            new["clock_stopped_at"] = old["clock_stopped_at"] if old["state"] == record.state else self.now
        else:
            new["clock_stopped_at"] = None
        return new

    def _ended_at(self, state, new, old=None):
        # Files carry no date of refusal or withdrawal: the receipt is the one moment known, and it keeps a
        # refused dossier out of every period's open count.
        if state not in ENDED_STATES:
            return None
        if old and old["state"] == state and old["ended_at"]:
            return old["ended_at"]
        return new["received_at"]

    # --- writing --------------------------------------------------------------------------------------------------
    def save(self):
        from .models import ClockStop, Dossier, DossierEvent

        reason, tz, user_id = f"Nhập từ tệp {self.filename}", self.tz, self.user.pk if self.user else None
        for start in range(0, len(self.creates), BATCH * 5):
            batch = self.creates[start : start + BATCH * 5]
            ids = bulk_insert(
                Dossier,
                [
                    {
                        "code": r.code,
                        "procedure_id": r.procedure_id,
                        "unit_id": r.unit_id,
                        "processing_days": r.processing_days,
                        "received_at": r.received_at,
                        "due_at": r.due_at,
                        "due_at_given": r.due_at_given,
                        "resolved_at": r.resolved_at,
                        "returned_at": r.returned_at,
                        "ended_at": r.received_at if r.state in ENDED_STATES else None,
                        "clock_stopped_at": self.now if r.state in STOPPED_STATES else None,
                        "channel": r.channel,
                        "applicant_name": r.applicant_name,
                        "applicant_phone": r.applicant_phone,
                        "applicant_address": r.applicant_address,
                        "state": r.state,
                        "received_by_id": user_id,
                    }
                    for r in batch
                ],
                self.now,
            )
            bulk_insert(
                DossierEvent,
                [
                    {
                        "dossier_id": pk,
                        "kind": "imported",
                        "at": r.received_at,
                        "recorded_at": self.now,
                        "by_id": user_id,
                        "before": {},
                        "after": {"state": r.state, "due_at": _stamp(r.due_at, tz)},
                        "reason": f"{reason}, dòng {r.line}",
                    }
                    for pk, r in zip(ids, batch, strict=True)
                ],
                self.now,
                need_ids=False,
            )
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
                        kind="updated",
                        at=self.now,
                        recorded_at=self.now,
                        by=self.user,
                        before={name: _stamp(old, tz) for name, (old, _) in changes.items()},
                        after={name: _stamp(new, tz) for name, (_, new) in changes.items()},
                        reason=f"{reason}, dòng {record.line}",
                    )
                    for record, pk, _, changes in batch
                ]
            )
            # A dossier the file takes out of a stop of the clock has that stop closed.
            restarted = [
                pk for _, pk, new, changes in batch if "state" in changes and new["state"] not in STOPPED_STATES
            ]
            ClockStop.objects.filter(dossier_id__in=restarted, ended_at__isnull=True).update(ended_at=self.now)


def bulk_insert(model, rows, now, need_ids=True):
    """Insert rows given as {attname: value}; returns their primary keys (when need_ids) in order.

    bulk_create in general; on PostgreSQL a COPY, several times faster for a large file. Columns a row leaves
    out take the field's default (auto_now fields: `now`), so a field added to the model later is still written.
    """
    from django.db import connection

    if connection.vendor != "postgresql" or not rows:
        created = model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH)
        return [obj.pk for obj in created]
    import json

    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    ids = []
    if need_ids:
        fields.insert(0, meta.pk)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [pk for (pk,) in cursor.fetchall()]
    plan = []  # (attname, default when absent, converter)
    for f in fields:
        kind = f.get_internal_type()
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default = now
        elif f.has_default():
            default = f.get_default()
        else:
            default = None
        if kind == "DateTimeField":
            convert = _iso
        elif kind == "JSONField":
            convert = partial(json.dumps, ensure_ascii=False)
        else:
            convert = None
        plan.append((f.attname, default, convert))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for position, row in enumerate(rows):
        if need_ids:
            row = {**row, meta.pk.attname: ids[position]}
        values = []
        for name, default, convert in plan:
            value = row.get(name, default)
            values.append(convert(value) if convert is not None and value is not None else value)
        writer.writerow(values)
    buffer.seek(0)
    # Text columns are NOT NULL: an empty field there is '' (in COPY's CSV, an unquoted empty field is NULL).
    texts = [f.column for f in fields if f.get_internal_type() in ("CharField", "TextField") and not f.null]
    options = f"FORMAT csv, FORCE_NOT_NULL ({', '.join(texts)})" if texts else "FORMAT csv"
    table, columns = (
        connection.ops.quote_name(meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
    )
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN WITH ({options})", buffer)
    return ids


def _iso(moment):
    return moment.isoformat()


IMPORTERS = {"units": UnitImporter, "procedures": ProcedureImporter, "dossiers": DossierImporter}


# --- export -------------------------------------------------------------------------------------------------------
EXPORT_VALUES = (
    "code",
    "procedure__code",
    "unit__code",
    "received_at",
    "due_at",
    "resolved_at",
    "returned_at",
    "channel",
    "applicant_name",
    "applicant_phone",
    "applicant_address",
    "state",
)


def dossier_rows(queryset, chunk_size=5000):
    """The dossiers as exchange rows (the import columns, in order), streamed in primary-key order."""
    tz = local_tz()
    explicit = set(EXPLICIT_STATES)
    for code, procedure, unit, received, due, resolved, returned, channel, name, phone, address, state in (
        queryset.order_by("pk").values_list(*EXPORT_VALUES).iterator(chunk_size=chunk_size)
    ):
        yield [
            code,
            procedure,
            unit,
            format_moment(received, tz),
            format_moment(due, tz),
            format_moment(resolved, tz) if resolved else "",
            format_moment(returned, tz) if returned else "",
            channel,
            name,
            phone,
            address,
            state if state in explicit else "",
        ]


def export_queryset(unit=None, date_from=None, date_to=None, queryset=None):
    """Dossiers of a unit and every unit below it, received between two days (both included)."""
    from .models import Dossier, Unit

    queryset = Dossier.objects.all() if queryset is None else queryset
    if unit is not None:
        queryset = queryset.filter(unit__in=Unit.objects.subtree(unit).values("pk"))
    tz = local_tz()
    if date_from:
        queryset = queryset.filter(received_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        queryset = queryset.filter(received_at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tz))
    return queryset


def export_dossiers(target, queryset, filename=None):
    """Write the dossiers to `target` (a path or a binary file) as CSV or XLSX by extension; returns the row count."""
    name = _source_name(target, filename)
    rows = dossier_rows(queryset)
    if Path(name).suffix.lower() == ".xlsx":
        return write_xlsx(target, list(DOSSIER_KEYS), rows, title="Hồ sơ")
    return write_csv(target, list(DOSSIER_KEYS), rows)


def write_csv(target, headers, rows, delimiter=","):
    """UTF-8 with a BOM, so that Excel shows the Vietnamese letters; returns the row count."""
    owned = isinstance(target, (str, Path))
    handle = (
        open(target, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 — closed below
        if owned
        else io.TextIOWrapper(target, encoding="utf-8-sig", newline="")
    )
    count = 0
    try:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH:
                writer.writerows(batch)
                count += len(batch)
                batch = []
        writer.writerows(batch)
        count += len(batch)
    finally:
        if owned:
            handle.close()
        else:
            handle.flush()
            handle.detach()
    return count


def write_xlsx(target, headers, rows, title="Dữ liệu"):
    """openpyxl in write-only mode (rows go straight to the file; strings inline): memory stays flat."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMN", (22, 12, 12, 17, 17, 17, 17, 12, 28, 14, 36, 12), strict=False):
        sheet.column_dimensions[letter].width = width
    sheet.append(headers)
    count = 0
    for row in rows:
        # Empty cells are left out of the file altogether (smaller and faster).
        sheet.append([value if value != "" else None for value in row])
        count += 1
    workbook.save(target)
    return count


# --- the command line ------------------------------------------------------------------------------------------
def run_import(command, importer, path, *, dry_run=False, skip_invalid=False):
    """What every import command does: validate, report, write (or not), exit non-zero when refused."""
    from django.core.management.base import CommandError

    result = importer.validate()
    shown = result.warnings[:MAX_PRINTED_WARNINGS]
    for warning in shown:
        command.stdout.write(command.style.WARNING(f"Cảnh báo — {warning}"))
    if len(result.warnings) > len(shown):
        command.stdout.write(
            command.style.WARNING(f"… và {vn_number(len(result.warnings) - len(shown))} cảnh báo khác.")
        )
    refused_whole = bool(result.errors) and (not skip_invalid or importer.sheet is None or not importer._validated)
    if refused_whole:
        result.created = result.updated = result.unchanged = 0
        result.refused = result.rows_read
        problems = "\n".join(result.errors)
        raise CommandError(
            f"Tệp bị từ chối, không ghi gì ({vn_number(len(result.errors))} lỗi):\n{problems}\n{result.summary()}"
        )
    if result.errors:
        for error in result.errors:
            command.stderr.write(f"Bỏ qua — {error}")
        rejected = importer.rejected_path(path)
        if not dry_run:
            importer.write_rejected(rejected)
            command.stdout.write(f"Các dòng bị từ chối đã ghi vào {rejected} (cột «loi»).")
    if dry_run:
        command.stdout.write("Chạy thử (--dry-run): không ghi gì.")
    else:
        importer.write()
        if not result.written:
            raise CommandError("\n".join(result.errors[-1:]) + "\n" + result.summary())
    command.stdout.write(command.style.SUCCESS(result.summary()) if result.written else result.summary())
    return result
