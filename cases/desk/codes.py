"""Dossier codes (mã hồ sơ): which codes may be typed or imported, and automatic numbering.

- A code is 1–60 characters: capital letters A–Z, digits 0–9, `-` and `.`, beginning and ending with a letter or a
  digit. That covers the portal's own codes (`DBD-PH-240301-0007`) and the national format the provincial systems
  print (`000.00.19.H56-240301-0007`, `G22.45-240301-0001`); a `/`, a space or markup never becomes part of a URL.
- The automatic format `<unit code>-<yymmdd>-<number>` belongs to its unit: a code whose prefix is another unit's
  code is refused, so that no desk can block another unit's numbering.
- Automatic numbering takes the next number from a counter row per unit and day (DossierCounter), incremented by
  one `INSERT … ON CONFLICT DO UPDATE … RETURNING` in the receipt's transaction: the row lock makes two desks
  wait for each other for the length of one insert, and never get the same number. A number already taken by a
  typed or imported code moves the counter past it, so automatic numbering never refuses an entry.
"""

import re
from datetime import datetime

from django.db import connection

from cases.catalogue.models import Unit

MAX_LENGTH = 60
ALLOWED = re.compile(r"[A-Z0-9](?:[A-Z0-9.\-]*[A-Z0-9])?")
AUTOMATIC = re.compile(r"(?P<unit>.+)-(?P<day>\d{6})-(?P<number>\d{1,9})")
RULE = "chỉ gồm chữ in hoa A–Z, chữ số 0–9, dấu gạch ngang (-) và dấu chấm (.), bắt đầu và kết thúc bằng chữ hoặc số"


def normalise(text):
    """What a desk officer typed, as a code: spaces around trimmed, capitals (codes are read over the phone)."""
    return (text or "").strip().upper()


def refusal(code, unit, units_by_code=None):
    """Why `code` may not be given to a dossier of `unit`; None when it may.

    `units_by_code` ({CODE: Unit}, upper-case keys) spares a query per row in an import.
    """
    if len(code) > MAX_LENGTH:
        return f"«{code[:20]}…» dài {len(code)} ký tự, tối đa {MAX_LENGTH}"
    if not ALLOWED.fullmatch(code):
        return f"«{code}» không hợp lệ: mã hồ sơ {RULE}"
    owner = _prefix_owner(code, units_by_code)
    if owner is not None and owner.pk != unit.pk:
        return (
            f"«{code}» mang tiền tố của {owner.name} ({owner.code}); mã dạng <mã đơn vị>-<ngày>-<số> chỉ dùng mã "
            f"của đơn vị tiếp nhận ({unit.code}). Để trống để hệ thống tự cấp mã"
        )
    return None


def _prefix_owner(code, units_by_code):
    """The unit whose automatic format the code has, if any (the longest unit code that fits)."""
    for prefix in _prefixes(code):
        if units_by_code is not None:
            owner = units_by_code.get(prefix)
        else:
            owner = Unit.objects.filter(code__iexact=prefix).only("pk", "code", "name").first()
        if owner is not None:
            return owner
    return None


def _prefixes(code):
    """The possible unit parts of `<unit>-<yymmdd>-<rest>`, longest first ('A-123456-B-654321-1' has two)."""
    parts = code.split("-")
    found = []
    for index in range(1, len(parts) - 1):
        if len(parts[index]) == 6 and parts[index].isdigit():
            found.append("-".join(parts[:index]).upper())
    return list(reversed(found))


def automatic_parts(code, unit_code):
    """(yymmdd, number) when `code` is in the automatic format of the unit `unit_code`, else None."""
    match = AUTOMATIC.fullmatch(code)
    if match and match["unit"].upper() == unit_code.upper():
        return match["day"], int(match["number"])
    return None


# --- automatic numbering ----------------------------------------------------------------------------------------
def prefix(unit, day):
    return f"{unit.code}-{day:%y%m%d}-"


def take_number(unit, day):
    """The next number of `unit` on `day`; call inside the transaction that inserts the dossier."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_dossiercounter (unit_id, day, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (unit_id, day) DO UPDATE SET last = cases_dossiercounter.last + 1 RETURNING last",
            [unit.pk, day],
        )
        return cursor.fetchone()[0]


def claim(pairs):
    """Move counters past numbers given by hand or by a file: pairs of (unit id, day, number)."""
    best = {}
    for unit_id, day, number in pairs:
        best[(unit_id, day)] = max(number, best.get((unit_id, day), 0))
    if not best:
        return
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"  # SQLite's two-argument MAX
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO cases_dossiercounter (unit_id, day, last) VALUES (%s, %s, %s) "
            f"ON CONFLICT (unit_id, day) DO UPDATE SET last = {greatest}(cases_dossiercounter.last, EXCLUDED.last)",
            [(unit_id, day, number) for (unit_id, day), number in sorted(best.items())],
        )


def claim_codes(dossiers):
    """Move counters past the codes given by hand or by a file that are in their unit's own automatic format:
    `dossiers` are (unit id, unit code, dossier code)."""
    claimed = []
    for unit_id, unit_code, code in dossiers:
        parts = automatic_parts(code, unit_code)
        if parts is None:
            continue
        try:
            day = datetime.strptime(parts[0], "%y%m%d").date()
        except ValueError:
            continue  # not a day: the counter never gives that code
        claimed.append((unit_id, day, parts[1]))
    claim(claimed)


def highest_taken(unit, day, codes):
    """The highest number used by a code of the automatic format of `unit` on `day` among `codes` (a queryset
    of codes with the prefix), for a counter that met a code it did not give."""
    start = prefix(unit, day)
    numbers = [int(code[len(start) :]) for code in codes if code[len(start) :].isdigit()]
    return max(numbers, default=0)
