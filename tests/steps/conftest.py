"""Step histories of March 2024 at Pú Hồng (and one at Keo Lôm), taken through the real moves, counted by hand.

Office hours 07:00–11:30 and 13:30–17:00. The land procedure (5 working days) and the same-day marriage procedure
follow the built-in process: the desk receives (land 4 h, marriage 1 h), the specialists handle (32 h, 6 h), the
desk returns (4 h, 1 h). The officials: the desk officer Lò Văn A, the specialist Quàng Văn Chuyên; Nguyễn Văn Nhập
held imported steps without an account.

What March holds, step by step (early / on time / late by working hours):
- A: desk → handed Mon 04/03 10:00, due 15:00: on time. Specialist took it up Tue 05/03 08:00, due Mon 11/03 08:00,
  handed on 09:00: late 1 h. Desk took up the return Mon 11/03 10:00 (due 16:00), returned 14:00: on time.
- B: desk handed Mon 04/03 09:30 (due 15:00): on time. The specialist took it up 09:30 (due Fri 08/03 09:30), sent it
  back Wed 06/03 10:00: early, sent back. The desk took it up again 10:30 (due 16:30), handed on Thu 07/03 08:00:
  late 1,5 h. The specialist took it up Thu 07/03 08:00, due Wed 13/03 08:00, and still holds it: overdue.
- D: received Tue 12/03 14:00, the desk's step due Wed 08:00, handed Tue 14:30: early. Handed to the specialists
  without a name; refused Wed 13/03 09:00 before anyone took it up: a step of nobody, on time (no due time).
- E1, E2 (imported): Nguyễn Văn Nhập, due Thu 14/03 10:00, finished 12:00: late 1,5 h (the lunch break is not
  working time); due Mon 18/03 17:00, finished Fri 15/03 16:00: early.
- G (same day): the desk's step due Fri 29/03 09:00, handed 08:30: on time. The specialist took it up 09:00, due
  17:00, handed on Mon 01/04 08:00: overdue at the end of March, late 1 h in April.
- F (Keo Lôm): the desk handed it Mon 04/03 10:00 (due 15:00): on time; not taken up since.

March at Pú Hồng: the desk 6 handled (early 1, on time 4, late 1; 1,5 h); the specialist 2 (early 1, late 1; 1 h;
sent back 1; overdue at the end 2); Nhập 2 (early 1, late 1; 1,5 h); nobody 1 (on time).
"""

import lxml.html
import pytest
import time_machine

from cases.desk.states import RatingSource, Satisfaction
from cases.models import Dossier, DossierStep, Membership, Performer, Rating, Role, State
from tests.conftest import make, vn

NOW = vn(2024, 4, 10, 9, 0)


def at(moment):
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def officials(cast, units, django_user_model):
    def official(username, unit, role, name):
        user = django_user_model.objects.create_user(username=username, first_name=name)
        Membership.objects.create(user=user, unit=unit, role=role)
        return user

    return {
        "specialist": official("chuyenvien.puhong", units["pu_hong"], Role.SPECIALIST, "Quàng Văn Chuyên"),
        "leader": official("lanhdao.puhong", units["pu_hong"], Role.LEADER, "Lò Thị Lãnh"),
    }


def _receive(unit, procedure, by, moment, name="Giàng A Páo"):
    with at(moment):
        return Dossier.receive(unit=unit, procedure=procedure, applicant_name=name, by=by, received_at=moment)


def _imported_step(dossier, holder_name, taken, due, finished):
    return DossierStep.objects.create(
        dossier=dossier, number=2, name="Thẩm định, giải quyết hồ sơ", performer=Performer.SPECIALIST,
        unit=dossier.unit, holder_name=holder_name, handed_at=taken, taken_at=taken, seconds=7200, due_at=due,
        finished_at=finished, end="chuyen",
    )  # fmt: skip


@pytest.fixture
def stepped(units, procedures, cast, officials):
    """The dossiers above, by letter, as they stand on NOW (Wednesday 10/04/2024 09:00)."""
    desk, specialist = cast["desk_pu_hong"], officials["specialist"]
    ph, land, marriage = units["pu_hong"], procedures["land"], procedures["marriage"]

    a = _receive(ph, land, desk, vn(2024, 3, 4, 9, 0), "Lò Văn Một")
    with at(vn(2024, 3, 4, 10, 0)):
        a.hand_over(by=desk)
    with at(vn(2024, 3, 5, 8, 0)):
        a.take_up(by=specialist)
    with at(vn(2024, 3, 11, 9, 0)):
        a.hand_over(by=specialist)
    with at(vn(2024, 3, 11, 10, 0)):
        a.take_up(by=desk)
    with at(vn(2024, 3, 11, 13, 0)):
        a.resolve(by=desk)
    with at(vn(2024, 3, 11, 14, 0)):
        a.return_result(by=desk)

    b = _receive(ph, land, desk, vn(2024, 3, 4, 9, 0), "Lò Văn Hai")
    with at(vn(2024, 3, 4, 9, 30)):
        b.hand_over(by=desk, to_user=specialist)
        b.take_up(by=specialist)
    with at(vn(2024, 3, 6, 10, 0)):
        b.send_back(by=specialist, number=1, reason="Thiếu trích lục bản đồ địa chính")
    with at(vn(2024, 3, 6, 10, 30)):
        b.take_up(by=desk)
    with at(vn(2024, 3, 7, 8, 0)):
        b.hand_over(by=desk, to_user=specialist)
        b.take_up(by=specialist)

    d = _receive(ph, land, desk, vn(2024, 3, 12, 14, 0), "Lò Văn Bốn")
    with at(vn(2024, 3, 12, 14, 30)):
        d.hand_over(by=desk)
    with at(vn(2024, 3, 13, 9, 0)):
        d.refuse(by=desk, reason="Đất đang có tranh chấp tại Tòa án")

    e1 = make("PH-NHAP-1", ph, land, vn(2024, 3, 13, 8), vn(2024, 3, 20, 8))
    _imported_step(e1, "Nguyễn Văn Nhập", vn(2024, 3, 14, 8), vn(2024, 3, 14, 10), vn(2024, 3, 14, 12))
    e2 = make("PH-NHAP-2", ph, land, vn(2024, 3, 13, 8), vn(2024, 3, 20, 8))
    _imported_step(e2, "Nguyễn Văn Nhập", vn(2024, 3, 15, 8), vn(2024, 3, 18, 17), vn(2024, 3, 15, 16))

    g = _receive(ph, marriage, desk, vn(2024, 3, 29, 8, 0), "Lò Văn Bảy")
    with at(vn(2024, 3, 29, 8, 30)):
        g.hand_over(by=desk, to_user=specialist)
    with at(vn(2024, 3, 29, 9, 0)):
        g.take_up(by=specialist)
    with at(vn(2024, 4, 1, 8, 0)):
        g.hand_over(by=specialist)

    f = _receive(units["keo_lom"], land, cast["desk_keo_lom"], vn(2024, 3, 4, 9, 0), "Vàng A Sáu")
    with at(vn(2024, 3, 4, 10, 0)):
        f.hand_over(by=cast["desk_keo_lom"])
    assert d.state == State.REFUSED
    return {"A": a, "B": b, "D": d, "E1": e1, "E2": e2, "G": g, "F": f}


@pytest.fixture
def rated(stepped):
    """March's ratings: A very satisfied, E1 satisfied, E2 and D not satisfied."""
    for letter, level, day in (
        ("A", Satisfaction.VERY_SATISFIED, 12),
        ("E1", Satisfaction.SATISFIED, 20),
        ("E2", Satisfaction.NOT_SATISFIED, 21),
        ("D", Satisfaction.NOT_SATISFIED, 22),
    ):
        Rating.objects.create(
            dossier=stepped[letter], level=level, source=RatingSource.PAPER, rated_at=vn(2024, 3, day, 9)
        )
    return stepped


@pytest.fixture
def now():
    with at(NOW):
        yield NOW


def seen(response):
    """A page's words as a reader sees them: tags and SVG dropped, spaces squeezed."""
    tree = lxml.html.fromstring(response.content.decode())
    for svg in tree.xpath("//svg"):
        svg.drop_tree()
    return _words(tree)


def table_rows(response, table_class):
    """[[cell text, …], …] of the body rows of the page's table with that class."""
    tree = lxml.html.fromstring(response.content.decode())
    (table,) = tree.xpath(f"//table[contains(concat(' ', @class, ' '), ' {table_class} ')]")
    return [[_words(cell) for cell in row.xpath("./td|./th")] for row in table.xpath("./tbody/tr")]


def _words(element):
    # Each piece of text on its own: two cells side by side read as two words, not one.
    return " ".join(" ".join(element.itertext()).split())
