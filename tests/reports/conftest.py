"""A hand-counted month: March 2024 at Pú Hồng, with Keo Lôm next door."""

import pytest

from cases.models import Channel, State
from reports.figures import periods
from tests.conftest import make, vn

ONLINE, DIRECT, POSTAL = Channel.ONLINE, Channel.DIRECT, Channel.POSTAL


@pytest.fixture
def march(units, procedures):
    ph, kl = units["pu_hong"], units["keo_lom"]
    land, guardian, marriage = procedures["land"], procedures["guardian"], procedures["marriage"]
    # Resolved before March: outside the period entirely.
    make("1", ph, land, vn(2024, 2, 15, 10), vn(2024, 2, 22, 10), resolved=vn(2024, 2, 20, 9))
    # Carried over, resolved on its due day in March: on time.
    make("2", ph, land, vn(2024, 2, 26, 9), vn(2024, 3, 4, 9), resolved=vn(2024, 3, 4, 15))
    # Carried over and still open at the end, due long before: overdue.
    make("3", ph, land, vn(2024, 2, 28, 9), vn(2024, 3, 6, 9))
    # Online, resolved the day before it was due: early.
    make("4", ph, guardian, vn(2024, 3, 1, 8), vn(2024, 3, 6, 8), resolved=vn(2024, 3, 5, 16), channel=ONLINE)
    # Online on the evening of the last day: in the period; open, due after the last day.
    make("5", ph, guardian, vn(2024, 3, 31, 20), vn(2024, 4, 3, 17), channel=ONLINE)
    # Just after midnight: the next period.
    make("5b", ph, guardian, vn(2024, 4, 1, 0, 10), vn(2024, 4, 4, 7), channel=ONLINE)
    # By post, resolved two days after its due day: late.
    make("6", ph, land, vn(2024, 3, 11, 8), vn(2024, 3, 18, 8), resolved=vn(2024, 3, 20, 10), channel=POSTAL)
    # Open, due after the last day: within deadline.
    make("7", ph, land, vn(2024, 3, 25, 8), vn(2024, 4, 1, 8))
    # Same-day procedure left open: overdue at the period's end.
    make("8", ph, marriage, vn(2024, 3, 29, 8), vn(2024, 3, 29, 17))
    # Refused in March: received, but neither resolved nor open.
    make("9", ph, land, vn(2024, 3, 12, 8), vn(2024, 3, 19, 8), ended=vn(2024, 3, 13, 9), state=State.REFUSED)
    # Received in February, withdrawn in March: carried over, then neither.
    make("10", ph, land, vn(2024, 2, 20, 8), vn(2024, 2, 27, 8), ended=vn(2024, 3, 10, 9), state=State.WITHDRAWN)
    # Waiting for supplementary papers: open, its due time moved past the period.
    make("11", ph, land, vn(2024, 3, 4, 8), vn(2024, 4, 10, 8), state=State.SUPPLEMENT)
    # Resolved only in April: open at the end of March, and overdue then.
    make("13", ph, land, vn(2024, 3, 10, 8), vn(2024, 3, 15, 8), resolved=vn(2024, 4, 2, 9))
    # Another commune.
    make("12", kl, guardian, vn(2024, 3, 5, 8), vn(2024, 3, 8, 8), resolved=vn(2024, 3, 6, 8), channel=ONLINE)
    return periods.month(2024, 3)
