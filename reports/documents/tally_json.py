"""`tally --format json` (EXCHANGE_FORMAT.md): the figures of a scope and a period for other tools."""

import json

from reports.figures import wording


def as_json(result):
    """The machine-readable form of EXCHANGE_FORMAT.md (`tally --format json`)."""
    return json.dumps(document(result), ensure_ascii=False, indent=2) + "\n"


def document(result):
    """`tally --format json` as a dict (the API answers it as it is)."""
    scope = result.scope
    return {
        "period": {"from": result.period.start.isoformat(), "to": result.period.end.isoformat()},
        "scope": {"code": scope.code, "name": scope.name} if scope else {"code": None, "name": "Toàn hệ thống"},
        "totals": result.totals.as_dict(),
        "units": [
            {
                "code": row.unit.code,
                "name": row.unit.name,
                "level": row.unit.level,
                "parent": row.unit.parent.code if row.unit.parent_id else None,
                **row.counters.as_dict(),
            }
            for row in result.units
        ],
        "text": wording.text(result),
    }
