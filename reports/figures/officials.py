"""The steps' figures of a scope and a period, by official and by department: closed months read from their freeze
(when it holds the steps), the rest live (reports.figures.steps), composed exactly. What the officials sheet, the
dashboard's "where dossiers wait" and "which steps are late most", and explanations read.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from cases.catalogue.models import Performer, Unit
from cases.catalogue.units import with_labels
from cases.core.text import fold
from cases.desk.models import Dossier

from . import steps
from .counters import behind_any
from .counters import unit_ids as literal_ids
from .freeze import segments
from .satisfaction import satisfaction_by_official
from .steps import NO_HOLDER, StepCounters

# The dossiers an explanation lists (and the dashboard's apology table counts): late in the period, overdue at its end.
LATE_COUNTERS = ("resolved_late", "in_progress_overdue")


def step_figures(period, units, now=None):
    """{(unit id, performer, holder id, holder name): StepCounters} for the period over the units' steps."""
    ids = literal_ids(units)
    parts = segments(period)
    stored = [freeze.pk for _, freeze in parts if freeze is not None and freeze.with_steps]
    frozen = steps.frozen(stored, ids) if stored else {}
    last = len(parts) - 1
    pieces = [
        frozen[freeze.pk]
        if freeze is not None and freeze.with_steps
        else steps.live(part, ids, now, stock=index == last)  # compose keeps the last part's stock only
        for index, (part, freeze) in enumerate(parts)
    ]
    return steps.compose(pieces)


@dataclass
class Person:
    """Who held steps: an account, a name imported without one, or nobody recorded."""

    holder_id: int | None
    holder_name: str
    full_name: str
    username: str

    @property
    def recorded(self):
        return self.holder_id is not None or bool(self.holder_name)

    @property
    def param(self):
        """The dossier list's `nguoi_xu_ly` value for this person ("" for nobody recorded)."""
        if self.holder_id is not None:
            return str(self.holder_id)
        return f"ten:{self.holder_name}" if self.holder_name else "khong"


def people(keys):
    """{(holder id, holder name): Person} for the holders of the keys (one query for the accounts)."""
    ids = {holder_id for holder_id, _ in keys if holder_id is not None}
    accounts = {
        user["pk"]: user
        for user in get_user_model().objects.filter(pk__in=ids).values("pk", "username", "first_name", "last_name")
    }
    found = {}
    for holder_id, holder_name in keys:
        if holder_id is not None:
            user = accounts.get(holder_id, {})
            # As formats.display_name writes a user (first and last name, else the login), from the row's values.
            full = f"{user.get('first_name', '')} {user.get('last_name', '')}".strip() or user.get("username", "")
            found[(holder_id, holder_name)] = Person(holder_id, holder_name, full, user.get("username", ""))
        elif holder_name:
            found[(holder_id, holder_name)] = Person(None, holder_name, holder_name, "")
        else:
            found[(holder_id, holder_name)] = Person(None, "", NO_HOLDER, "")
    return found


@dataclass
class OfficialRow:
    unit: Unit
    person: Person
    counters: StepCounters


@dataclass
class DepartmentRow:
    unit: Unit
    performer: str
    counters: StepCounters

    @property
    def label(self):
        return Performer(self.performer).label


def _units_by_id(units):
    """{id: unit} of the units (labelled), read from a list of units or fetched for a list of ids."""
    if units and isinstance(next(iter(units)), Unit):
        return {unit.pk: unit for unit in units}
    return {unit.pk: unit for unit in with_labels(Unit.objects.filter(pk__in=literal_ids(units)))}


def _per_person(values, units, make):
    """[make(unit, Person, value)] for {(unit id, holder id, holder name): value}, the units' only (one query for the
    accounts, one for the units when given ids)."""
    unit_by_id = _units_by_id(units)
    found = people({(holder_id, name) for _, holder_id, name in values})
    return [
        make(unit_by_id[unit_id], found[(holder_id, name)], value)
        for (unit_id, holder_id, name), value in values.items()
        if unit_id in unit_by_id
    ]


def by_official(figures, units):
    """[OfficialRow] per unit and holder, the units in tree order, then by name; nobody recorded last in a unit."""
    grouped = {}
    for (unit_id, _, holder_id, holder_name), counters in figures.items():
        key = (unit_id, holder_id, holder_name)
        grouped[key] = grouped.get(key, StepCounters()) + counters
    rows = _per_person(grouped, units, OfficialRow)
    rows.sort(
        key=lambda row: (
            row.unit.path, not row.person.recorded, fold(row.person.full_name), row.person.username
        )
    )  # fmt: skip
    return rows


@dataclass
class RatedRow:
    unit: Unit
    person: Person
    satisfaction: object  # reports.figures.satisfaction.Satisfied


def rated_officials(period, units):
    """[RatedRow] of the officials credited with ratings given in the period (reports.figures.satisfaction's rule),
    the most «không hài lòng» first, then the lowest rate: the dashboard's table by official."""
    rows = _per_person(satisfaction_by_official(period, units), units, RatedRow)
    rows.sort(
        key=lambda row: (
            -row.satisfaction.not_satisfied, row.satisfaction.rate, row.unit.path, fold(row.person.full_name)
        )
    )  # fmt: skip
    return rows


def by_department(figures, units):
    """[DepartmentRow] per unit and kind of step (the desk, the specialists, the leader, liên thông)."""
    grouped = {}
    for (unit_id, performer, _, _), counters in figures.items():
        grouped[(unit_id, performer)] = grouped.get((unit_id, performer), StepCounters()) + counters
    unit_by_id = _units_by_id(units)
    order = {value: index for index, value in enumerate(Performer.values)}
    rows = [
        DepartmentRow(unit_by_id[unit_id], performer, counters)
        for (unit_id, performer), counters in grouped.items()
        if unit_id in unit_by_id
    ]
    rows.sort(key=lambda row: (row.unit.path, order.get(row.performer, 99)))
    return rows


def late_most(rows, limit=None):
    """The rows with late or overdue steps, the most first: steps finished late plus steps held overdue, then working
    hours late (ties keep the rows' order)."""
    found = [row for row in rows if row.counters.late or row.counters.overdue]
    found.sort(key=lambda row: (-(row.counters.late + row.counters.overdue), -row.counters.seconds_late))
    return found[:limit] if limit else found


@dataclass
class WaitingRow:
    unit: Unit
    number: int
    name: str
    performer: str
    person: Person
    open: int
    not_taken: int
    overdue: int


def waiting(units, now=None):
    """Where dossiers wait now: [WaitingRow] by unit, step and holder, the units in tree order and steps in order."""
    rows = steps.waiting(literal_ids(units), now)
    unit_by_id = _units_by_id(units)
    found = people({(row["holder_id"], row["holder_name"]) for row in rows})
    result = [
        WaitingRow(
            unit_by_id[row["unit_id"]],
            row["number"],
            row["name"],
            row["performer"],
            found[(row["holder_id"], row["holder_name"])],
            row["open"],
            row["not_taken"],
            row["overdue"],
        )
        for row in rows
        if row["unit_id"] in unit_by_id
    ]
    result.sort(key=lambda row: (row.unit.path, row.number, row.name, not row.person.recorded, row.person.full_name))
    return result


@dataclass
class WaitingGroup:
    """Open steps summed over a grouping of WaitingRow (a unit's step, or an official)."""

    unit: Unit
    name: str  # the step's name, or the official's
    performer: str
    person: Person | None
    open: int = 0
    not_taken: int = 0
    overdue: int = 0


def _grouped(rows, key, make):
    groups = {}
    for row in rows:
        group = groups.get(key(row))
        if group is None:
            group = groups[key(row)] = make(row)
        group.open += row.open
        group.not_taken += row.not_taken
        group.overdue += row.overdue
    return sorted(groups.values(), key=lambda group: (-group.overdue, -group.open, group.unit.path, group.name))


def waiting_by_step(rows):
    """Open steps by unit and step (whoever holds them), the most overdue first."""
    return _grouped(
        rows,
        lambda row: (row.unit.pk, row.name, row.performer),
        lambda row: WaitingGroup(row.unit, row.name, row.performer, None),
    )


def waiting_by_person(rows):
    """Open steps by unit and official (nobody: handed to a department and not taken up), the most overdue first."""
    return _grouped(
        rows,
        lambda row: (row.unit.pk, row.person.holder_id, row.person.holder_name),
        lambda row: WaitingGroup(row.unit, row.person.full_name, "", row.person),
    )


@dataclass
class ResponsibleRow:
    """A step of a unit's late or overdue dossiers that overran: where, who, in how many dossiers, how late."""

    dossier_unit: Unit
    unit: Unit
    name: str
    performer: str
    person: Person
    dossiers: int
    steps: int
    seconds_late: int

    @property
    def hours_late_text(self):
        return StepCounters(seconds_late=self.seconds_late).hours_late_text

    @property
    def place(self):
        label = Performer(self.performer).label
        return label if self.unit.pk == self.dossier_unit.pk else f"{self.unit.name} ({label})"


def responsible(period, units, now=None):
    """[ResponsibleRow] for the units' dossiers resolved late in the period or overdue at its end (the tally's
    counters), the units in tree order and the most late first within each."""
    dossiers = behind_any(Dossier.objects.filter(unit_id__in=literal_ids(units)), period, LATE_COUNTERS)
    found = steps.responsible(dossiers, now)
    unit_ids = {key[0] for key in found} | {key[1] for key in found}
    unit_by_id = {unit.pk: unit for unit in Unit.objects.filter(pk__in=unit_ids)}
    names = people({(key[4], key[5]) for key in found})
    rows = [
        ResponsibleRow(
            unit_by_id[key[0]], unit_by_id[key[1]], key[2], key[3], names[(key[4], key[5])], len(ids), count, seconds
        )
        for key, (ids, count, seconds) in found.items()
    ]
    rows.sort(key=lambda row: (row.dossier_unit.path, -row.seconds_late, -row.dossiers, row.name))
    return rows
