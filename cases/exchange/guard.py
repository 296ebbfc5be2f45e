"""Size limits checked before a file is parsed, so that no upload can take a process's memory or hours of CPU.

An XLSX is a zip of XML: a 5 MB file can unpack to gigabytes (a "zip bomb"), and its shared strings are held in
memory whole by any reader. So, reading only the zip's directory (a few kilobytes, nothing unpacked):
- every member's unpacked size, the total, and the shared strings' size stay under their limits;
- no member unpacks more than IMPORT_XLSX_MAX_RATIO times its packed size (real spreadsheets: 5–20 times);
- the first sheet's declared size (`<dimension ref="A1:L5000">`, read from its first kilobytes) is under the row
  limit; the rows really read are counted too, as are a CSV's (reading.py), since a declaration can lie.
The limits are settings (portal/settings.py); a refusal is a FileRefused with a Vietnamese message.
"""

import re
import zipfile

from django.conf import settings

from cases.core.formats import number

from .refusal import FileRefused

MB = 1024 * 1024
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"(?:[A-Z]+\d+:)?[A-Z]+(\d+)\"")
SHARED_STRINGS = "xl/sharedStrings.xml"


def max_rows():
    return settings.IMPORT_MAX_ROWS


def too_many_rows(line):
    """The refusal of a file whose line `line` goes past the row limit (the header is line 1)."""
    return FileRefused(
        f"dòng {line}: tệp có hơn {number(max_rows())} dòng dữ liệu, quá giới hạn một lần nhập; hãy chia thành "
        "nhiều tệp nhỏ hơn.",
        line=line,
    )


def inspect_xlsx(source):
    """Check an XLSX's sizes from its zip directory; returns the data rows its first sheet declares (or None)."""
    if hasattr(source, "seek"):
        source.seek(0)
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused("Không mở được tệp XLSX (tệp hỏng hoặc không phải XLSX).") from None
    with archive:
        members = archive.infolist()
        total = 0
        for member in members:
            total += member.file_size
            _check_member(member)
        if total > settings.IMPORT_XLSX_MAX_UNPACKED_MB * MB:
            raise FileRefused(
                f"Tệp XLSX giải nén ra {_mb(total)} MB, quá giới hạn {settings.IMPORT_XLSX_MAX_UNPACKED_MB} MB; "
                "hãy chia thành nhiều tệp nhỏ hơn hoặc lưu dạng CSV UTF-8."
            )
        declared = _declared_rows(archive, members)
    if declared is not None and declared - 1 > max_rows():
        raise FileRefused(
            f"Trang tính đầu tiên khai báo {number(declared)} dòng, quá giới hạn {number(max_rows())} dòng dữ liệu "
            "một lần nhập; hãy chia thành nhiều tệp nhỏ hơn."
        )
    if hasattr(source, "seek"):
        source.seek(0)
    return None if declared is None else max(declared - 1, 0)


def _check_member(member):
    size, packed = member.file_size, max(member.compress_size, 1)
    if member.filename == SHARED_STRINGS and size > settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB * MB:
        raise FileRefused(
            f"Bảng chuỗi dùng chung của tệp XLSX giải nén ra {_mb(size)} MB, quá giới hạn "
            f"{settings.IMPORT_XLSX_MAX_SHARED_STRINGS_MB} MB: tệp không được nhập (có thể là tệp độc hại)."
        )
    # Tiny members compress well by nature; a ratio matters from a megabyte unpacked.
    if size > MB and size / packed > settings.IMPORT_XLSX_MAX_RATIO:
        raise FileRefused(
            f"Phần «{member.filename[:60]}» của tệp XLSX nén {number(size / packed)} lần ({_mb(packed)} MB → "
            f"{_mb(size)} MB), vượt giới hạn {settings.IMPORT_XLSX_MAX_RATIO} lần của bảng tính thông thường: tệp "
            "không được nhập (có thể là tệp độc hại)."
        )


def _declared_rows(archive, members):
    """The last row of the first sheet's <dimension>, read from its first 64 KB unpacked (None when absent)."""
    sheets = sorted(
        (m for m in members if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", m.filename)),
        key=lambda m: int(re.search(r"(\d+)\.xml$", m.filename)[1]),
    )
    if not sheets:
        return None
    try:
        with archive.open(sheets[0]) as handle:
            head = handle.read(64 * 1024)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
        raise FileRefused("Không đọc được trang tính đầu tiên của tệp XLSX (tệp hỏng).") from None
    match = _DIMENSION.search(head)
    return int(match[1]) if match else None


def _mb(size):
    return number(size / MB, 1)
