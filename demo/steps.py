"""The steps of a demo dossier's internal process (DOMAIN.md, "The process inside a unit"), drawn to agree with the
dossier's life the generator drew: received, maybe stopped for papers, resolved (or still open, or refused), returned.

The dossier's working time from receipt to result is shared among the steps of its process (cases.catalogue.
processes: a unit's own, the default, or the built-in one), each a little faster or slower than its share; a late
dossier lost its time at one step — mostly the specialist's, sometimes the other unit's (liên thông) or the
leader's; a few dossiers are sent back once; an open dossier sits at the step it has reached (an overdue one taken
up long ago and untouched: "treo hồ sơ"); a refused or withdrawn one ends at the step it was at. Steps are written
as the moves write them (cases.desk.process): handed over when the one before finished, due their share of working
time after take-up, moved by a stop of the clock, the holding unit and handler left as the moves leave them.
Holders are the unit's officials with an account (Membership roles desk, specialist, leader), else people without
one (holder_name), named per unit.
"""

import random
from collections import defaultdict
from datetime import timedelta

from django.conf import settings

from cases.catalogue.models import Performer
from cases.catalogue.processes import Plans
from cases.desk.models import Membership
from cases.desk.states import PauseKind, Role, StepEnd

SENT_BACK = 0.05  # share of dossiers sent back once to an earlier step
SEND_BACK_REASONS = {
    Performer.DESK: ("Hồ sơ cần kiểm tra lại thành phần trước khi chuyển",),
    Performer.SPECIALIST: (
        "Hồ sơ thiếu thành phần, đề nghị Bộ phận Một cửa hướng dẫn người nộp bổ sung",
        "Thông tin trên tờ khai không khớp với giấy tờ kèm theo",
    ),
    Performer.LEADER: (
        "Kết quả thẩm định chưa đủ căn cứ, đề nghị thẩm định lại",
        "Dự thảo văn bản còn sai sót, đề nghị chỉnh sửa trước khi trình ký",
    ),
    Performer.OTHER_UNIT: ("Hồ sơ chưa đủ căn cứ để cập nhật, đề nghị xã xác minh lại thực địa",),
}
ROLE_OF = {Performer.DESK: Role.DESK, Performer.SPECIALIST: Role.SPECIALIST, Performer.LEADER: Role.LEADER}
# People without an account, per unit and role, when the unit has no official with that role.
NAMED = {Role.DESK: 2, Role.SPECIALIST: 3, Role.LEADER: 2}


class StepMaker:
    """Steps for the dossiers of one run: the processes and the officials read once."""

    def __init__(self, wc, as_of, seed, name_for):
        """`name_for(rng, unit_id)`: the name of someone working at the unit (the generator's naming by region)."""
        self.wc, self.as_of, self.seed = wc, as_of, seed
        self.wds = wc.working_day_seconds
        self.plans = Plans(self.wds)
        self.plan_of = {}
        self.name_for = name_for
        self.accounts = defaultdict(list)
        for unit_id, role, user_id in (
            Membership.objects.filter(active=True, role__in=list(NAMED))
            .order_by("unit_id", "role", "user_id")
            .values_list("unit_id", "role", "user_id")
        ):
            self.accounts[(unit_id, role)].append(user_id)
        self.holders = {}
        self.restart = settings.SUPPLEMENT_CLOCK == "restart"

    def plan(self, procedure, unit_id):
        key = (procedure.pk, unit_id)
        if key not in self.plan_of:
            self.plan_of[key] = self.plans.plan(procedure, unit_id)
        return self.plan_of[key]

    def officials(self, unit_id, role):
        """[(user id, name)] who may hold a step of `role` at the unit: its accounts, else named people."""
        key = (unit_id, role)
        if key not in self.holders:
            found = [(user_id, "") for user_id in self.accounts.get(key, ())]
            if not found:
                rng = random.Random(f"{self.seed}:officials:{unit_id}:{role}")
                found = [(None, self.name_for(rng, unit_id)) for _ in range(NAMED[role])]
            self.holders[key] = found
        return self.holders[key]

    # --- one dossier ------------------------------------------------------------------------------------------------
    def steps(self, rng, row, stops, procedure):
        """The dossier's steps as rows {attname: value}, in order."""
        wc, plan = self.wc, self.plan(procedure, row["unit_id"])
        received, resolved, returned, ended = (
            row[k] for k in ("received_at", "resolved_at", "returned_at", "ended_at")
        )
        closing = plan[-1] if len(plan) > 1 and plan[-1].performer == Performer.DESK else None
        work = list(plan[:-1] if closing else plan)
        visits, sender = work, None
        if len(work) > 1 and rng.random() < SENT_BACK:
            sender = rng.randrange(1, len(work))
            visits = work[: sender + 1] + work[sender - 1 :]
        clock = _Clock(wc, received, stops[0] if stops else None)
        cut = ended if ended is not None else self.as_of
        span = clock.position(resolved) if resolved is not None else self._projected(rng, clock, row, cut)
        spans, waits = self._shares(rng, visits, span)

        rows, position, handed, by = [], 0, received, row["received_by_id"]
        chosen = {}
        for index, planned in enumerate(visits):
            unit_id = planned.unit_id_for(row["unit_id"])
            gap = 0 if index == 0 else min(spans[index] / 2, self._gap(rng)) + waits[index]
            taken = received if index == 0 else clock.moment(position + gap)
            position += spans[index]
            finished = resolved if resolved is not None and index == len(visits) - 1 else clock.moment(position)
            end = StepEnd.SENT_BACK if index == sender else StepEnd.HANDED_ON
            if taken is None or taken >= cut:
                taken = None
            if finished is None or finished >= cut or taken is None:
                finished, end = (cut, StepEnd.CLOSED) if ended is not None else (None, "")
            holder_id, holder_name = (None, "") if taken is None else self._holder(rng, chosen, planned, unit_id, row)
            rows.append(
                self._row(
                    row, planned, unit_id, holder_id, holder_name, handed, by, taken, finished, end, clock,
                    rng.choice(SEND_BACK_REASONS[planned.performer]) if end == StepEnd.SENT_BACK else "",
                )
            )  # fmt: skip
            if finished is None or end == StepEnd.CLOSED:
                return rows
            handed, by = finished, holder_id
            if handed >= cut:
                return rows
        if closing is not None and resolved is not None:
            # The result waits at the desk for the applicant; the officer takes it up as they come (online: at once).
            unit_id = closing.unit_id_for(row["unit_id"])
            taken = finished = None
            end = ""
            if returned is not None:
                taken = max(handed, returned - timedelta(seconds=rng.randrange(60, 900)))
                finished, end = returned, StepEnd.CLOSED
            holder_id, holder_name = (None, "") if taken is None else self._holder(rng, chosen, closing, unit_id, row)
            rows.append(
                self._row(row, closing, unit_id, holder_id, holder_name, handed, by, taken, finished, end, clock, "")
            )
        return rows

    def _projected(self, rng, clock, row, cut):
        """Where the work of an unresolved dossier would end, in working seconds after receipt: past the cut, so
        that it sits at a step; late (past its due time) when the dossier is overdue already."""
        wds, due = self.wds, clock.position(row["due_at"])
        now = clock.position(cut)
        if row["ended_at"] is not None:
            return max(due * rng.uniform(0.5, 1.1), now + wds * rng.uniform(0.05, 0.5))
        if row["due_at"] < self.as_of:
            return max(now, due) + wds * rng.uniform(0.5, 15)
        return max(due * rng.uniform(0.7, 1.0), now + wds * rng.uniform(0.05, 1))

    def _shares(self, rng, visits, span):
        """Each visit's working seconds, adding up to `span`, and the part of it the dossier waited to be taken up.

        The desk's and the leader's steps go quickly, mostly within their share; the specialist's (or the longest)
        step takes the rest: within its share mostly, the time left over waiting before it was taken up. A late
        dossier overran at one step: the specialist's mostly, now and then the other unit's or the leader's.
        """
        planned = sum(step.seconds for step in visits)
        late = span > planned > 0
        culprit = self._culprit(rng, visits) if late else self._longest(visits)
        scale = 1 if late or not planned else span / planned
        spans = [step.seconds * scale * rng.uniform(0.3, 1.05) for step in visits]
        waits = [0] * len(visits)
        spans[culprit] = 0
        rest = span - sum(spans)
        if rest < 0:  # the quick steps alone would take longer than the dossier did: all share it
            total = sum(spans) or 1
            return [part * span / total for part in spans], waits
        spans[culprit] = rest
        if not late and culprit > 0:
            worked = min(rest, visits[culprit].seconds * rng.uniform(0.5, 1.03))
            waits[culprit] = rest - worked
        return spans, waits

    @staticmethod
    def _longest(visits):
        specialists = [i for i, step in enumerate(visits) if step.performer == Performer.SPECIALIST]
        return specialists[-1] if specialists else max(range(len(visits)), key=lambda i: visits[i].seconds)

    def _culprit(self, rng, visits):
        """The step a late dossier lost its time at: the other unit's or the leader's now and then, mostly the
        specialist's."""
        performers = [step.performer for step in visits]
        draw = rng.random()
        for performer, chance in ((Performer.OTHER_UNIT, 0.3), (Performer.LEADER, 0.12)):
            if performer in performers and draw < chance:
                return max(i for i, p in enumerate(performers) if p == performer)
        return self._longest(visits)

    def _gap(self, rng):
        """From hand-over to take-up, in working seconds: minutes mostly, sometimes most of a day."""
        return rng.uniform(60, 1800) if rng.random() < 0.85 else rng.uniform(1800, self.wds * 0.75)

    def _holder(self, rng, chosen, planned, unit_id, row):
        """The official of a step: the receiving officer at the desk, one specialist and one leader per dossier."""
        role = ROLE_OF.get(planned.performer, Role.SPECIALIST)
        if role == Role.DESK and row["received_by_id"] is not None and unit_id == row["unit_id"]:
            return row["received_by_id"], ""
        key = (unit_id, role)
        if key not in chosen:
            chosen[key] = rng.choice(self.officials(unit_id, role))
        return chosen[key]

    def _row(self, row, planned, unit_id, holder_id, holder_name, handed, by, taken, finished, end, clock, reason):
        due = None
        if taken is not None:
            due = self.wc.add_working_time(taken, planned.seconds)
            stop = clock.stop
            # A stop of the clock while the step was held moves its due time as it moves the dossier's.
            held = (
                stop is not None
                and taken <= stop["started_at"]
                and (finished or stop["started_at"]) >= stop["started_at"]
            )
            if held and stop["ended_at"] is not None:
                if self.restart and stop["kind"] == PauseKind.SUPPLEMENT:
                    due = self.wc.add_working_time(stop["ended_at"], planned.seconds)
                else:
                    paused = self.wc.working_seconds_between(stop["started_at"], stop["ended_at"])
                    due = self.wc.add_working_time(due, paused)
        return {
            "dossier_id": row["id"], "number": planned.number, "name": planned.name, "performer": planned.performer,
            "unit_id": unit_id, "holder_id": holder_id, "holder_name": holder_name, "handed_at": handed,
            "handed_by_id": by, "taken_at": taken, "seconds": planned.seconds, "due_at": due, "finished_at": finished,
            "end": end, "reason": reason,
        }  # fmt: skip


class _Clock:
    """A dossier's working time since receipt, not counting a stop of the clock: position ↔ moment."""

    def __init__(self, wc, received, stop):
        self.wc, self.received, self.stop = wc, received, stop
        self.stopped = wc.working_seconds_between(received, stop["started_at"]) if stop else None

    def position(self, moment):
        stop = self.stop
        if stop is not None and moment > stop["started_at"]:
            if stop["ended_at"] is None or moment <= stop["ended_at"]:
                return self.stopped
            return self.stopped + self.wc.working_seconds_between(stop["ended_at"], moment)
        return self.wc.working_seconds_between(self.received, moment)

    def moment(self, position):
        """None for a moment the clock has not reached: it still stands still."""
        stop = self.stop
        if stop is not None and position > self.stopped:
            if stop["ended_at"] is None:
                return None
            return self.wc.add_working_time(stop["ended_at"], int(position - self.stopped))
        return self.wc.add_working_time(self.received, int(position))
