import pytest
import time_machine

from cases.actions import ActionRefused
from cases.models import ClockStop, Dossier, DossierEvent
from tests.conftest import vn


@pytest.fixture
def received(units, procedures, cast):
    with time_machine.travel(vn(2024, 2, 7, 10, 0), tick=False):
        return Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Giàng A Páo",
            by=cast["desk_pu_hong"], received_at=vn(2024, 2, 7, 10, 0),
        )


def test_receipt_is_due_after_tet_and_is_recorded(received):
    assert received.due_at == vn(2024, 2, 21, 10, 0)
    assert received.code == "DBD-PH-240207-0001"
    assert list(received.events.values_list("kind", flat=True)) == ["received"]


def test_codes_count_up_per_unit_and_day(received, units, procedures):
    second = Dossier.receive(
        unit=units["pu_hong"], procedure=procedures["land"], applicant_name="Mùa A Chu", received_at=vn(2024, 2, 7, 11)
    )
    assert second.code == "DBD-PH-240207-0002"


def test_supplement_stops_the_clock_and_moves_the_due_time(received, cast):
    officer = cast["desk_pu_hong"]
    with time_machine.travel(vn(2024, 2, 20, 10, 0), tick=False):
        received.request_supplement(by=officer, missing_papers="Bản sao sổ hộ khẩu")
    assert received.state == "bo_sung"
    # Papers arrive the next morning at 10:00: one working day paused (Tue 10:00 → Wed 10:00).
    with time_machine.travel(vn(2024, 2, 21, 10, 0), tick=False):
        received.receive_supplement(by=officer)
    received.refresh_from_db()
    assert received.due_at == vn(2024, 2, 22, 10, 0)
    stop = ClockStop.objects.get(dossier=received)
    assert stop.working_seconds == 8 * 3600
    kinds = list(received.events.values_list("kind", flat=True))
    assert kinds == ["received", "supplement_requested", "supplement_received"]


def test_resolving_before_receipt_is_refused_and_nothing_changes(received, cast):
    with time_machine.travel(vn(2024, 2, 8, 9, 0), tick=False), pytest.raises(ActionRefused) as refused:
        received.resolve(by=cast["desk_pu_hong"], at=vn(2024, 2, 6, 9, 0))
    assert "trước ngày tiếp nhận" in refused.value.messages[0]
    received.refresh_from_db()
    assert received.resolved_at is None
    assert DossierEvent.objects.filter(dossier=received).count() == 1
