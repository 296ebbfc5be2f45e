"""The internal process in the browser (DOMAIN.md, "The process inside a unit"): the dossier page's process panel
and its moves (nhận, chuyển, trả lại), and the performer's own list, Việc của tôi.

Who may make a move is cases.desk.access's question; the moves are the Dossier's (cases.desk.process); a step's
outcome is cases.desk.outcome's, the list's buckets (overdue, due today, hanging) cases.desk.worklist's.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, ExpressionWrapper
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cases.catalogue.calendar import calendar
from cases.catalogue.models import Unit
from cases.core import pager
from cases.desk import access, outcome, worklist
from cases.desk.states import ALLOWED
from cases.forms import HandOverForm, SendBackForm, TakeUpForm

from .acting import act

PAGE_SIZE = 50
SECTION_SIZE = 10


# --- the moves ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Move:
    label: str
    form: type
    method: str  # of cases.desk.process; which states allow it is cases.desk.states.ALLOWED
    may: Callable  # (user, dossier, open step) → bool, from cases.desk.access
    done: str
    danger: bool = False


def _may_take_up(user, dossier, step):
    return access.may_take_up(user, step)


MOVES = {
    "nhan": Move("Nhận hồ sơ", TakeUpForm, "take_up", _may_take_up, "Đã nhận hồ sơ; hạn của bước tính từ lúc này."),
    "chuyen": Move("Chuyển bước tiếp theo", HandOverForm, "hand_over", access.may_move, "Đã chuyển hồ sơ."),
    "tra-lai": Move(
        "Trả lại bước trước", SendBackForm, "send_back", access.may_move, "Đã trả lại hồ sơ về bước trước.", danger=True
    ),
}


def _allowed_moves(user, dossier, step):
    for slug, move in MOVES.items():
        if dossier.state in ALLOWED[move.method] and move.may(user, dossier, step):
            yield slug, move


@dataclass(frozen=True)
class StepRow:
    step: object
    outcome: str
    seconds_late: int


def panel(request, dossier):
    """The dossier page's "Quy trình xử lý": where the dossier is, every step it went through with its outcome, the
    steps still to come, and the moves the user may make (their forms)."""
    work_calendar, now = calendar(), timezone.now()
    steps = list(dossier.steps.select_related("unit", "holder", "handed_by"))
    current = next((step for step in steps if step.finished_at is None), None)
    plan = dossier.process_plan(work_calendar)
    units = Unit.objects.in_bulk({planned.unit_id_for(dossier.unit_id) for planned in plan})
    moves = []
    for slug, move in _allowed_moves(request.user, dossier, current):
        form = move.form(dossier=dossier, step=current, plan=plan, units=units, prefix=slug)
        if form.available:
            moves.append({"slug": slug, "move": move, "form": form})
    rows = [
        StepRow(step, outcome.step_outcome(step, now), outcome.step_seconds_late(step, work_calendar, now))
        for step in steps
    ]
    position = current.number if current else (0 if dossier.is_open and not steps else None)
    upcoming = [
        {"planned": planned, "unit": units.get(planned.unit_id_for(dossier.unit_id))}
        for planned in plan
        if position is not None and planned.number > max(position, 1)
    ]
    return {
        "current": current,
        "current_outcome": rows[steps.index(current)].outcome if current else None,
        "rows": rows,
        "plan_length": len(plan),
        "upcoming": upcoming,
        "in_process": bool(steps),
        "moves": moves,
    }


@require_POST
def step_move(request, code, move):
    # Through readable_by: another unit (liên thông) reaches the dossier only while it holds its step.
    dossier = access.get_dossier_or_404(request.user, code)
    spec = MOVES.get(move)
    if spec is None:
        raise Http404("Không có thao tác này")
    step = dossier.open_step()
    if not spec.may(request.user, dossier, step):
        raise PermissionDenied("Bạn không giữ bước hiện tại của hồ sơ này nên không thực hiện được thao tác này.")
    plan = dossier.process_plan()
    form = spec.form(request.POST, dossier=dossier, step=step, plan=plan, units={}, prefix=move)
    if not form.available:
        messages.error(request, f"{spec.label}: quy trình không còn bước nào để thực hiện thao tác này.")
    elif not form.is_valid():
        errors = dict.fromkeys(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"{spec.label}: {' '.join(errors)}")
    elif act(request, dossier, spec.method, form.arguments()):
        return _after_move(request, dossier, spec)
    return redirect("cases:dossier_detail", code=dossier.code)


def _after_move(request, dossier, spec):
    step, done = dossier.open_step(), spec.done
    if step:
        who = ", ".join(filter(None, (step.unit.name, step.holder_label)))
        done += f" Hồ sơ đang ở bước {step.number}: {step.name} ({who})."
    messages.success(request, done)
    if access.readable_by(request.user).filter(pk=dossier.pk).exists():
        return redirect("cases:dossier_detail", code=dossier.code)
    # Another unit's official handed the dossier back: it is no longer theirs to read.
    messages.info(request, f"Đơn vị của bạn đã chuyển hồ sơ {dossier.code}, không còn giữ hồ sơ này.")
    return redirect("cases:my_steps")


# --- Việc của tôi ---------------------------------------------------------------------------------------
# (bucket, ordering): what waits is listed oldest first; what the user holds, the earliest due first.
ORDER = {
    worklist.TO_TAKE_UP: ("handed_at", "pk"),
    worklist.HELD: ("due_at", "pk"),
    worklist.OVERDUE: ("due_at", "pk"),
    worklist.DUE_TODAY: ("due_at", "pk"),
    worklist.HANGING: ("due_at", "pk"),
}
TONE = {
    worklist.TO_TAKE_UP: "neutral",
    worklist.OVERDUE: "red",
    worklist.DUE_TODAY: "amber",
    worklist.HANGING: "red",
    worklist.HELD: "green",
}
EMPTY = {
    worklist.TO_TAKE_UP: "Không có hồ sơ nào chờ bạn nhận.",
    worklist.HELD: "Bạn không giữ hồ sơ nào.",
    worklist.OVERDUE: "Không có bước nào quá hạn.",
    worklist.DUE_TODAY: "Không có bước nào đến hạn hôm nay.",
    worklist.HANGING: "Không có hồ sơ treo.",
}


def my_steps(request):
    """What the user holds (overdue, due today, hanging), and what waits for them to take up."""
    if not access.may_work_steps(request.user):
        raise PermissionDenied("Trang này dành cho cán bộ, công chức xử lý hồ sơ tại đơn vị.")
    work_calendar = calendar()
    h = outcome.horizons(work_calendar=work_calendar)
    since = worklist.hanging_since(h.now, work_calendar)
    steps = access.held_steps(request.user)
    counts = worklist.counts(steps, h, since)
    request.step_counts = counts  # the header's badge shows the same counts: one query, not two
    conditions = worklist.conditions(h, since)
    # Each row shown says which buckets it is in, by the same conditions the counts use. The rows are chosen first
    # (the open-step indexes, a sort of the ids) and only then joined to what the table shows: a unit's thousands of
    # waiting steps are never all joined to their dossiers.
    shown = steps.model.objects.select_related("dossier__procedure", "dossier__unit", "unit", "handed_by").annotate(
        **{f"is_{name}": ExpressionWrapper(conditions[name], output_field=BooleanField()) for name in conditions},
        last_touched_at=worklist.last_touched_at(),
    )

    def rows(pks):
        found = shown.in_bulk(pks)
        return _with_untouched([found[pk] for pk in pks if pk in found], work_calendar, h.now)

    def first(key):
        return list(steps.filter(conditions[key]).order_by(*ORDER[key]).values_list("pk", flat=True)[:SECTION_SIZE])

    bucket = request.GET.get("xem", "")
    context = {
        "tiles": [
            {"key": key, "label": worklist.LABELS[key], "count": counts[key], "tone": TONE[key]}
            for key in (worklist.TO_TAKE_UP, worklist.OVERDUE, worklist.DUE_TODAY, worklist.HANGING, worklist.HELD)
        ],
        "bucket": bucket if bucket in conditions else "",
        "now": h.now,
        "hanging_seconds": worklist.hanging_seconds(),
        "unit_column": len({m.unit_id for m in access.memberships(request.user)}) > 1,
    }
    if context["bucket"]:
        page = pager.paginate(steps.filter(conditions[bucket]).order_by(*ORDER[bucket]), request.GET, PAGE_SIZE)
        context.update(
            page=page, page_range=page.page_range(), title=worklist.LABELS[bucket], empty=EMPTY[bucket],
            shown=rows([step.pk for step in page.object_list]),
        )  # fmt: skip
    else:
        context["sections"] = [
            {
                "key": key,
                "title": worklist.LABELS[key],
                "count": counts[key],
                "empty": EMPTY[key],
                "rows": rows(first(key)) if counts[key] else [],
            }  # fmt: skip
            for key in (worklist.TO_TAKE_UP, worklist.HELD)
        ]
    return render(request, "cases/my_steps.html", context)


def _with_untouched(steps, work_calendar, now):
    """Each held step with the working time since it was last touched (the rows shown only: a page at most)."""
    steps = list(steps)
    for step in steps:
        touched = max(filter(None, (step.last_touched_at, step.taken_at)), default=None)
        step.untouched_seconds = work_calendar.working_seconds_between(touched, now) if touched else 0
    return steps
