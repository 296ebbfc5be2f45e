"""Demo data (seed_demo) and demo logins (demo_accounts)."""

import re
from datetime import date, datetime, time, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from cases.catalogue.calendar import calendar
from cases.models import (
    ClockStop,
    Dossier,
    DossierEvent,
    DossierStep,
    Level,
    Membership,
    OnlineLevel,
    Performer,
    Procedure,
    Process,
    ProcessStep,
    Role,
    State,
    Unit,
    UnitKind,
)
from demo import generator as demo
from tests.conftest import VN

AS_OF = date(2026, 3, 2)
AS_OF_MOMENT = datetime.combine(AS_OF, time.min, VN)
SNAPSHOT_FIELDS = (
    "code", "unit__code", "procedure__code", "applicant_name", "applicant_phone", "applicant_address", "channel",
    "received_at", "due_at", "resolved_at", "returned_at", "ended_at", "state", "clock_stopped_at", "overdue_since",
    "handler__username", "papers_digitized", "result_digitized", "created_at", "updated_at",
)  # fmt: skip


@pytest.fixture
def world(units, procedures, cast):
    """The cast's units plus two named in the letters: the land registry branch and Cát Vân (0% online)."""
    district = units["district"]
    extra = {
        "registry": Unit.objects.create(
            code="DBD-VPDK", name="Chi nhánh Văn phòng đăng ký đất đai huyện Điện Biên Đông", level=Level.DISTRICT,
            kind=UnitKind.BRANCH, parent=district,
        ),
        "cat_van": Unit.objects.create(
            code="DBD-CV", name="UBND xã Cát Vân", level=Level.COMMUNE, kind=UnitKind.COMMUNE, parent=district
        ),
    }  # fmt: skip
    return {**units, **extra}


def snapshot():
    return list(Dossier.objects.order_by("code").values_list(*SNAPSHOT_FIELDS))


def wipe():
    DossierStep.objects.all().delete()
    DossierEvent.objects.all().delete()
    ClockStop.objects.all().delete()
    Dossier.objects.all().delete()


def test_same_seed_and_as_of_give_the_same_dossiers(world):
    demo.seed(300, seed=7, as_of=AS_OF)
    first = snapshot()
    events = list(DossierEvent.objects.order_by("dossier__code", "at", "id").values_list("dossier__code", "kind", "at"))
    wipe()
    demo.seed(300, seed=7, as_of=AS_OF)
    assert snapshot() == first
    assert len(first) == 300
    assert events == list(
        DossierEvent.objects.order_by("dossier__code", "at", "id").values_list("dossier__code", "kind", "at")
    )
    wipe()
    demo.seed(300, seed=8, as_of=AS_OF)
    assert snapshot() != first


def test_demo_dossiers_keep_the_rules_of_the_desk(world, cast):
    demo.seed(300, seed=3, as_of=AS_OF)
    wc = calendar()
    desk_users = {}
    for unit_id, user_id in Membership.objects.filter(role=Role.DESK).values_list("unit_id", "user_id"):
        desk_users.setdefault(unit_id, set()).add(user_id)
    received_events = dict(DossierEvent.objects.filter(kind="received").values_list("dossier_id", "at"))
    assert DossierEvent.objects.filter(kind="received").count() == 300
    stops = {}
    for stop in ClockStop.objects.order_by("started_at"):
        stops.setdefault(stop.dossier_id, []).append(stop)
    restarts = set(
        DossierEvent.objects.filter(kind__in=["supplement_received", "resumed"]).values_list("dossier_id", "at")
    )
    without_stops = 0
    for d in Dossier.objects.select_related("procedure", "unit"):
        # The calendar's rule at receipt, moved by each stop of the clock that ended with a restart.
        expected = wc.due_at(d.received_at, d.procedure.processing_days, d.procedure.same_day_cutoff)
        for stop in stops.get(d.pk, []):
            if (d.pk, stop.ended_at) in restarts:
                assert stop.working_seconds == wc.working_seconds_between(stop.started_at, stop.ended_at)
                expected = wc.due_after_stop(expected, stop.started_at, stop.ended_at, d.received_at, d.processing_days)
        assert d.due_at == expected, d.code
        without_stops += d.pk not in stops
        assert d.processing_days == d.procedure.processing_days
        assert re.fullmatch(rf"{re.escape(d.unit.code)}-\d{{6}}-\d{{4}}", d.code)
        assert d.code.split("-")[-2] == f"{d.received_at.astimezone(VN):%y%m%d}"
        assert received_events[d.pk] == d.received_at
        moments = [d.received_at, d.resolved_at, d.returned_at, d.ended_at, d.clock_stopped_at]
        assert all(m < AS_OF_MOMENT for m in moments if m is not None), d.code
        if d.resolved_at:
            assert d.resolved_at >= d.received_at
        if d.returned_at:
            assert d.returned_at >= d.resolved_at
        if d.state in (State.REFUSED, State.WITHDRAWN):
            assert d.ended_at is not None and d.resolved_at is None
        if d.channel == "truc_tuyen":
            assert d.procedure.online_level != OnlineLevel.NONE, d.code
        if d.handler_id is not None:
            # A desk officer, or the specialist who took up the dossier's handling step.
            specialists = set(d.steps.filter(performer="chuyen_mon").values_list("holder_id", flat=True))
            assert d.handler_id in desk_users[d.unit_id] | specialists
        elif d.unit_id in desk_users:
            pytest.fail(f"{d.code} has no handler although its unit has desk officers")
        assert re.fullmatch(r"0\d{9}", d.applicant_phone) or d.applicant_phone == ""
        assert d.applicant_name and d.applicant_address
    assert without_stops > 250
    assert not DossierEvent.objects.filter(at__gte=AS_OF_MOMENT).exists()
    # Pú Hồng's applicants live in Pú Hồng.
    addresses = Dossier.objects.filter(unit=world["pu_hong"]).values_list("applicant_address", flat=True)
    assert addresses and all("xã Pú Hồng, huyện Điện Biên Đông, tỉnh Điện Biên" in a for a in addresses)


def test_demo_has_late_overdue_carried_over_refused_and_paused_dossiers(world):
    demo.seed(3000, seed=1, as_of=AS_OF, months=6)
    tz = VN
    resolved = Dossier.objects.filter(resolved_at__isnull=False)
    late = [d for d in resolved if d.resolved_at.astimezone(tz).date() > d.due_at.astimezone(tz).date()]
    assert 0.01 * resolved.count() < len(late) < 0.15 * resolved.count()
    open_overdue = Dossier.objects.filter(resolved_at__isnull=True, ended_at__isnull=True, due_at__lt=AS_OF_MOMENT)
    assert open_overdue.exists()
    assert all(d.overdue_since == d.due_at for d in open_overdue.filter(state=State.PROCESSING))
    february = datetime(2026, 2, 1, tzinfo=VN)
    carried_over = Dossier.objects.filter(received_at__lt=february).exclude(resolved_at__lt=february)
    assert carried_over.exclude(state__in=[State.REFUSED, State.WITHDRAWN]).exists()
    refused_or_withdrawn = Dossier.objects.filter(state__in=[State.REFUSED, State.WITHDRAWN]).count()
    assert 0.005 * 3000 < refused_or_withdrawn < 0.04 * 3000
    assert ClockStop.objects.filter(kind="bo_sung", ended_at__isnull=False, working_seconds__gt=0).exists()
    assert DossierEvent.objects.filter(kind="supplement_received").exists()
    assert Dossier.objects.filter(state=State.RETURNED).count() > Dossier.objects.filter(state=State.RESOLVED).count()
    # Seed 003: Cát Vân has no online dossier; elsewhere some are online.
    assert not Dossier.objects.filter(unit=world["cat_van"], channel="truc_tuyen").exists()
    assert Dossier.objects.filter(unit=world["cat_van"]).exists()
    assert Dossier.objects.filter(channel="truc_tuyen").exists()
    # Seed 002: the land registry branch is clearly below the 95% target.
    branch = [d for d in resolved if d.unit_id == world["registry"].pk]
    branch_late = sum(1 for d in branch if d.resolved_at.astimezone(tz).date() > d.due_at.astimezone(tz).date())
    assert len(branch) > 100 and branch_late / len(branch) > 0.1
    # The root unit (the province) receives nothing itself.
    assert not Dossier.objects.filter(unit=world["province"]).exists()


def test_seed_demo_command_prints_a_vietnamese_summary_and_if_empty_keeps_existing_data(world, capsys):
    call_command("seed_demo", "--dossiers", "120", "--seed", "2", "--as-of", "02/03/2026", "--if-empty")
    out = capsys.readouterr().out
    assert "Đã tạo 120 hồ sơ mẫu" in out
    assert "trước 00:00 02/03/2026" in out
    codes = set(Dossier.objects.values_list("code", flat=True))
    call_command("seed_demo", "--dossiers", "500", "--if-empty")
    assert "đã có hồ sơ" in capsys.readouterr().out
    assert set(Dossier.objects.values_list("code", flat=True)) == codes


def test_seeding_again_without_if_empty_adds_dossiers_with_new_codes(world):
    demo.seed(100, seed=1, as_of=AS_OF)
    demo.seed(100, seed=1, as_of=AS_OF)
    assert Dossier.objects.count() == 200
    assert Dossier.objects.values("code").distinct().count() == 200
    newest = Dossier.objects.create(
        code="DBD-PH-260301-9999", unit=world["pu_hong"], procedure=Dossier.objects.first().procedure,
        applicant_name="Mùa A Chu", processing_days=3, received_at=AS_OF_MOMENT, due_at=AS_OF_MOMENT,
    )  # fmt: skip
    assert newest.pk > max(Dossier.objects.exclude(pk=newest.pk).values_list("pk", flat=True))


def test_seed_demo_refuses_without_units_or_a_future_as_of(db):
    with pytest.raises(CommandError, match="load_fixtures"):
        call_command("seed_demo", "--dossiers", "10")
    with pytest.raises(CommandError, match="tương lai"):
        call_command("seed_demo", "--dossiers", "10", "--as-of", "01/01/2999")
    with pytest.raises(CommandError, match="không hợp lệ"):
        call_command("seed_demo", "--dossiers", "10", "--as-of", "31/02/2026")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_copy_and_bulk_create_write_the_same_rows(world):
    demo.seed(200, seed=5, as_of=AS_OF, method="copy")
    by_copy = snapshot()
    events = DossierEvent.objects.count()
    wipe()
    demo.seed(200, seed=5, as_of=AS_OF, method="bulk_create")
    assert snapshot() == by_copy
    assert DossierEvent.objects.count() == events


def test_demo_accounts_give_one_login_per_role_and_can_run_twice(units, capsys):
    call_command("demo_accounts")
    out = capsys.readouterr().out
    assert "motcua@2026" in out and "TRÌNH DIỄN" in out
    logins = ("motcua.puhong", "chuyenvien.puhong", "lanhdao.puhong", "motcua.keolom", "vanphong.dbd", "noivu.dbd",
              "quantri")  # fmt: skip
    for username in logins:
        assert username in out
    assert "Công chức chuyên môn" in out and "Lãnh đạo đơn vị" in out
    call_command("demo_accounts")
    users = get_user_model().objects
    assert users.filter(username__in=logins).count() == 7
    roles = set(Membership.objects.values_list("user__username", "unit__code", "role"))
    assert roles == {
        ("motcua.puhong", "DBD-PH", Role.DESK),
        ("chuyenvien.puhong", "DBD-PH", Role.SPECIALIST),
        ("lanhdao.puhong", "DBD-PH", Role.LEADER),
        ("motcua.keolom", "DBD-KL", Role.DESK),
        ("vanphong.dbd", "DBD", Role.OFFICE),
        ("noivu.dbd", "DBD", Role.HOME_AFFAIRS),
    }
    admin = users.get(username="quantri")
    assert admin.is_superuser and admin.is_staff
    desk = users.get(username="motcua.puhong")
    assert desk.check_password("motcua@2026") and not desk.is_staff
    assert desk.get_full_name() == "Giàng A Sử"
    assert users.get(username="chuyenvien.puhong").get_full_name() == "Quàng Thị Hoa"
    assert users.get(username="lanhdao.puhong").get_full_name() == "Mùa A Tủa"


def test_demo_accounts_take_over_the_unassigned_demo_dossiers_of_their_commune(units, procedures):
    demo.seed(200, seed=1, as_of=AS_OF)
    assert not Dossier.objects.filter(handler__isnull=False).exists()
    call_command("demo_accounts")
    pu_hong = Dossier.objects.filter(unit=units["pu_hong"])
    assert pu_hong.exists()
    assert set(pu_hong.values_list("handler__username", flat=True)) == {"motcua.puhong"}
    assert not Dossier.objects.filter(unit=units["phinh_giang"], handler__isnull=False).exists()


def test_demo_accounts_say_which_units_are_missing(db):
    with pytest.raises(CommandError, match="DBD-PH"):
        call_command("demo_accounts")
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_the_demo_reports_across_the_2025_reform_old_units_before_it_and_merged_communes_after():
    call_command("load_fixtures", stdout=StringIO())
    call_command("demo_accounts", stdout=StringIO())
    demo.seed(2000, seed=1, as_of=date(2025, 12, 1), months=12)
    reform = datetime.combine(date(2025, 7, 1), time.min, VN)
    rows = Dossier.objects.values_list("unit__code", "unit__valid_from", "unit__valid_to", "received_at")
    for code, valid_from, valid_to, received_at in rows:
        day = received_at.astimezone(VN).date()
        assert (valid_from is None or valid_from <= day) and (valid_to is None or day <= valid_to), code
    pu_hong = Dossier.objects.filter(unit__code__in=["DBD-PH", "DB-PUHONG"])
    assert pu_hong.filter(unit__code="DBD-PH", received_at__lt=reform).exists()
    assert pu_hong.filter(unit__code="DB-PUHONG", received_at__gte=reform).exists()
    # After the reform the address has no district; the officer of Pú Hồng moved to the merged commune's desk.
    address = Dossier.objects.filter(unit__code="DB-PUHONG").values_list("applicant_address", flat=True).first()
    assert address.endswith("xã Pú Hồng, tỉnh Điện Biên")
    held = set(Membership.objects.filter(user__username="motcua.puhong").values_list("unit__code", "role"))
    assert held == {("DBD-PH", Role.DESK), ("DB-PUHONG", Role.DESK)}
    # The handler is the specialist who took up the handling step; the desk officer where none did yet.
    assert set(pu_hong.values_list("handler__username", flat=True)) == {"motcua.puhong", "chuyenvien.puhong"}
    assert (
        not pu_hong.filter(handler__username="motcua.puhong", steps__performer="chuyen_mon")
        .exclude(steps__taken_at=None)
        .exists()
    )


def test_demo_dossiers_go_through_their_process_as_the_moves_and_the_exchange_format_have_it(world, cast, tmp_path):
    """Pú Hồng's land dossiers pass by the district's economy office; Pú Hồng has a specialist with an account."""
    specialist = get_user_model().objects.create_user(username="chuyenvien.puhong", first_name="Quàng Văn Chuyên")
    Membership.objects.create(user=specialist, unit=world["pu_hong"], role=Role.SPECIALIST)
    process = Process.objects.create(procedure=Procedure.objects.get(code="1.003003"), unit=world["pu_hong"])
    for number, name, performer, unit, hours in (
        (1, "Tiếp nhận hồ sơ", Performer.DESK, None, 2),
        (2, "Xác minh thực địa", Performer.SPECIALIST, None, 14),
        (3, "Thẩm định của phòng", Performer.OTHER_UNIT, world["economy"], 16),
        (4, "Ký duyệt", Performer.LEADER, None, 6),
        (5, "Trả kết quả", Performer.DESK, None, 2),
    ):  # fmt: skip
        ProcessStep.objects.create(
            process=process, number=number, name=name, performer=performer, performer_unit=unit, hours=hours
        )
    summary = demo.seed(3000, seed=1, as_of=AS_OF, months=6)
    assert summary.steps == DossierStep.objects.count() > 3 * 3000

    open_steps = DossierStep.objects.filter(finished_at__isnull=True)
    for d in Dossier.objects.prefetch_related("steps"):
        steps = list(d.steps.all())
        first, held = steps[0], [s for s in steps if s.finished_at is None]
        assert (first.number, first.taken_at, first.holder_id) == (1, d.received_at, d.received_by_id), d.code
        assert d.holding_unit_id == (held[0].unit_id if held else None), d.code
        if d.state in (State.RETURNED, State.REFUSED, State.WITHDRAWN):
            assert not held and steps[-1].end == "ket_thuc", d.code
    # Most steps on time, the late ones mostly at the specialist's; some sent back with a reason.
    late = DossierStep.objects.filter(finished_at__gt=F("due_at"))
    assert 0 < late.count() < 0.1 * DossierStep.objects.count()
    assert late.filter(performer="chuyen_mon").count() > late.exclude(performer="chuyen_mon").count()
    assert DossierStep.objects.filter(end="tra_lai").exclude(reason="").exists()
    # Open dossiers sit at a step: results waiting at the desk, dossiers held by the specialist, some long untouched.
    assert open_steps.filter(taken_at__isnull=True, performer="mot_cua").exists()
    assert open_steps.filter(performer="chuyen_mon", taken_at__lt=AS_OF_MOMENT - timedelta(days=14)).exists()
    # Pú Hồng's specialist holds its handling steps and is the handler; the economy office takes its liên thông step.
    pu_hong = DossierStep.objects.filter(dossier__unit=world["pu_hong"], performer="chuyen_mon")
    assert set(pu_hong.exclude(taken_at=None).values_list("holder", flat=True)) == {specialist.pk}
    assert Dossier.objects.filter(unit=world["pu_hong"], handler=specialist).exists()
    assert DossierStep.objects.filter(performer="lien_thong", unit=world["economy"]).exists()
    # The officials of units without accounts are named people.
    assert DossierStep.objects.filter(dossier__unit=world["keo_lom"], performer="chuyen_mon").exclude(holder_name="")

    # The history as a file: the importer reads it back as it is.
    call_command("export_dossier_steps", str(tmp_path / "buoc.csv"), stdout=StringIO())
    out = StringIO()
    call_command("import_dossier_steps", str(tmp_path / "buoc.csv"), "--dry-run", stdout=out)
    assert f"không đổi {demo.number(summary.steps)}, bị từ chối 0" in out.getvalue()
