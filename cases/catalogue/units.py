"""What a unit's name says: its kind, and the place written on its letters."""

import re
from collections import Counter

from cases.core.text import fold

from .models import UnitKind


def unit_kind(name):
    """The kind of unit its name announces ('UBND xã Pú Hồng' → ubnd_xa, 'Phòng Tư pháp' → phong …)."""
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


def letter_place(unit):
    """The place a unit's forms and letters are dated at: its own, else its parent's ('Điện Biên Đông')."""
    return unit.place_name or (unit.parent.place_name if unit.parent_id else "")


def with_labels(units):
    """The units as a list, each with its `label`: its name, followed by its parent's where another unit of the
    same list bears the same name ('Phòng Nội vụ (UBND huyện Điện Biên Đông)' beside Krông Nô's). The one rule for
    the dashboard's rows, the unit selects and the exports. Give units with their parent selected."""
    units = list(units)
    counts = Counter(fold(unit.name) for unit in units)
    for unit in units:
        ambiguous = counts[fold(unit.name)] > 1 and unit.parent_id
        unit.label = f"{unit.name} ({unit.parent.name})" if ambiguous else unit.name
    return units
