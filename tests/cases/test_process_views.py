"""The internal process in the browser: the dossier page's "Quy trình xử lý", the moves (nhận, chuyển, trả lại) as
forms, and the performer's own list, Việc của tôi, with its count in the header.

Pú Hồng's land procedure (5 working days, 40 hours) follows the five steps of tests/conftest.py `five_steps`: the
desk (4 h), the specialists (16 h), Phòng Kinh tế - Hạ tầng (liên thông, 12 h), the leader (4 h), the desk (4 h).
Office hours 07:00–11:30 and 13:30–17:00.
"""

import pytest
import time_machine
from django.urls import reverse

from cases.catalogue.calendar import calendar
from cases.desk import access, outcome, worklist
from cases.desk.timeline import lines
from cases.models import Dossier, DossierEvent, DossierStep
from tests.conftest import make, vn

MONDAY = vn(2024, 3, 4, 9, 0)


def at(moment):
    return time_machine.travel(moment, tick=False)


def receive(units, procedures, cast, name="Giàng A Páo", moment=MONDAY):
    with at(moment):
        return Dossier.receive(
            unit=units["pu_hong"], procedure=procedures["land"], applicant_name=name, by=cast["desk_pu_hong"],
            received_at=moment,
        )  # fmt: skip


@pytest.fixture
def dossier(five_steps, units, procedures, cast):
    return receive(units, procedures, cast)


@pytest.fixture
def appraised(dossier, cast, officials):
    """Handed to the specialist by name and taken up on Monday 10:00 (due Wednesday 10:00)."""
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"], to_user=officials["specialist"])
        dossier.take_up(by=officials["specialist"])
    return dossier


def move(client, dossier, slug, **data):
    return client.post(
        reverse("cases:step_move", args=[dossier.code, slug]), {f"{slug}-{k}": v for k, v in data.items()}
    )


def page(client, dossier):
    return client.get(f"/ho-so/{dossier.code}/")


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def slugs(response):
    return [item["slug"] for item in response.context["process"]["moves"]]


def steps_of(dossier):
    return list(DossierStep.objects.filter(dossier=dossier).order_by("handed_at", "id"))


# --- the moves in the browser ------------------------------------------------------------------------------------
def test_the_desk_hands_the_dossier_to_a_named_specialist_who_takes_it_up(client, dossier, cast, officials):
    desk, specialist = cast["desk_pu_hong"], officials["specialist"]
    client.force_login(desk)
    with at(vn(2024, 3, 4, 10, 0)):
        response = page(client, dossier)
        assert slugs(response) == ["chuyen"]  # step 1 is the first: nothing to send back to
        form = response.context["process"]["moves"][0]["form"]
        # The next step's officials only: Pú Hồng's specialists, not its desk, leader or another unit's.
        assert list(form.fields["to_user"].queryset) == [specialist]
        html = response.content.decode()
        assert "Sang bước 2: <strong>Thẩm định hồ sơ</strong>" in html
        assert "Bộ phận chuyên môn, UBND xã Pú Hồng · 16 giờ làm việc" in html
        response = move(client, dossier, "chuyen", number=2, to_user=specialist.pk)
    assert response.status_code == 302 and response["Location"] == f"/ho-so/{dossier.code}/"
    step = dossier.open_step()
    assert (step.number, step.holder, step.taken_at, step.due_at) == (2, specialist, None, None)
    with at(vn(2024, 3, 4, 10, 5)):
        response = page(client, dossier)
    assert messages_of(response) == [
        "Đã chuyển hồ sơ. Hồ sơ đang ở bước 2: Thẩm định hồ sơ (UBND xã Pú Hồng, Quàng Văn Chuyên)."
    ]
    assert slugs(response) == []
    assert 'Quàng Văn Chuyên <span class="muted">(chưa nhận)</span>' in response.content.decode()

    client.force_login(officials["leader"])
    assert slugs(page(client, dossier)) == []  # named for the specialist: only they take it up
    client.force_login(specialist)
    with at(vn(2024, 3, 4, 13, 30)):
        assert slugs(page(client, dossier)) == ["nhan"]
        response = move(client, dossier, "nhan")
        assert response.status_code == 302
        response = page(client, dossier)
    step.refresh_from_db()
    dossier.refresh_from_db()
    # Monday 13:30 + 16 working hours: 3,5 h on Monday, 8 on Tuesday, 4,5 on Wednesday morning.
    assert (step.taken_at, step.due_at) == (vn(2024, 3, 4, 13, 30), vn(2024, 3, 6, 11, 30))
    assert dossier.handler == specialist
    assert messages_of(response) == [
        "Đã nhận hồ sơ; hạn của bước tính từ lúc này. Hồ sơ đang ở bước 2: Thẩm định hồ sơ (UBND xã Pú Hồng, "
        "Quàng Văn Chuyên)."
    ]
    assert slugs(response) == ["chuyen", "tra-lai"]
    send_back = response.context["process"]["moves"][1]["form"]
    assert send_back.fields["number"].choices == [(1, "Bước 1: Tiếp nhận hồ sơ")]


def test_the_page_shows_where_the_dossier_is_and_each_steps_outcome(client, appraised, cast, officials):
    dossier, desk, specialist = appraised, cast["desk_pu_hong"], officials["specialist"]
    with at(vn(2024, 3, 5, 9, 0)):
        dossier.send_back(by=specialist, number=1, reason="Thiếu trích lục bản đồ địa chính")
    with at(vn(2024, 3, 5, 10, 0)):
        dossier.take_up(by=desk)  # due Tuesday 15:00
    with at(vn(2024, 3, 5, 14, 0)):
        dossier.hand_over(by=desk, to_user=specialist)
        dossier.take_up(by=specialist)  # due Thursday 14:00
    with at(vn(2024, 3, 8, 9, 0)):
        dossier.hand_over(by=specialist)  # Friday 09:00: 5 working hours late
    client.force_login(desk)
    with at(vn(2024, 3, 8, 10, 0)):
        response = page(client, dossier)
    panel = response.context["process"]
    assert [(row.step.number, row.outcome, row.seconds_late) for row in panel["rows"]] == [
        (1, outcome.ON_TIME, 0),  # handed on at 10:00 on its due day
        (2, outcome.EARLY, 0),  # sent back on Tuesday, due Wednesday
        (1, outcome.ON_TIME, 0),
        (2, outcome.LATE, 5 * 3600),  # Thursday 14:00 → Friday 09:00: 3 h + 2 h
        (3, outcome.STEP_WAITING, 0),
    ]
    assert [item["planned"].number for item in panel["upcoming"]] == [4, 5]
    html = response.content.decode()
    for text in (
        "Bước 3/5: Lấy ý kiến Phòng Kinh tế - Hạ tầng",
        "Phòng Kinh tế - Hạ tầng (liên thông)",
        "Chưa có: chờ Phòng Kinh tế - Hạ tầng nhận",
        "chuyển đến lúc 08/03/2024 09:00",
        "tính từ khi nhận, 12 giờ làm việc",
        '<span class="badge badge-red">Trễ hạn</span>',
        '<span class="badge badge-green">Trước hạn</span>',
        '<span class="badge badge-amber">Chờ nhận</span>',
        "5 giờ",
        "Thiếu trích lục bản đồ địa chính",
        "07/03/2024 14:00",  # step 2's due time, dd/mm/yyyy HH:MM
        "Chưa đến · 4 giờ làm việc",
    ):
        assert text in html, text
    sentences = [line.sentence for line in lines(dossier.events.select_related("by"))]
    assert sentences[1:4] == [
        "Chuyển hồ sơ từ bước 1 «Tiếp nhận hồ sơ» (UBND xã Pú Hồng, Lò Văn A) sang bước 2 «Thẩm định hồ sơ» "
        "(UBND xã Pú Hồng, Quàng Văn Chuyên).",
        "Nhận xử lý bước 2 «Thẩm định hồ sơ»; hạn của bước 06/03/2024 10:00.",
        "Trả lại hồ sơ từ bước 2 «Thẩm định hồ sơ» (UBND xã Pú Hồng, Quàng Văn Chuyên) về bước 1 «Tiếp nhận hồ sơ» "
        "(UBND xã Pú Hồng, Lò Văn A).",
    ]


def test_sending_back_needs_a_reason_and_an_earlier_step(client, appraised, cast, officials):
    dossier = appraised
    client.force_login(officials["specialist"])
    events = DossierEvent.objects.filter(dossier=dossier).count()
    with at(vn(2024, 3, 4, 11, 0)):
        response = move(client, dossier, "tra-lai", number=1, reason="  ")
        assert messages_of(page(client, dossier)) == ["Trả lại bước trước: Cần ghi lý do trả lại."]
        move(client, dossier, "tra-lai", number=3, reason="Nhầm bước")
        assert messages_of(page(client, dossier)) == [
            "Trả lại bước trước: Hồ sơ đã chuyển bước khác từ lúc bạn mở trang: hãy xem lại quy trình xử lý bên dưới."
        ]
        assert DossierEvent.objects.filter(dossier=dossier).count() == events
        response = move(client, dossier, "tra-lai", number=1, reason="Thiếu bản sao sổ đỏ")
    assert response.status_code == 302
    sent = steps_of(dossier)[1]
    assert (sent.end, sent.reason, sent.finished_at) == ("tra_lai", "Thiếu bản sao sổ đỏ", vn(2024, 3, 4, 11, 0))
    back = dossier.open_step()
    assert (back.number, back.holder) == (1, cast["desk_pu_hong"])


def test_a_hand_over_that_skips_a_step_or_names_someone_else_writes_nothing(client, appraised, cast, officials):
    dossier = appraised
    client.force_login(officials["specialist"])
    before = [(step.pk, step.finished_at) for step in steps_of(dossier)]
    with at(vn(2024, 3, 4, 11, 0)):
        move(client, dossier, "chuyen", number=4)  # past the other unit's opinion, straight to the leader
        move(client, dossier, "chuyen", number=3, to_user=cast["desk_keo_lom"].pk)
        response = page(client, dossier)
    assert messages_of(response) == [
        "Chuyển bước tiếp theo: Hồ sơ đã chuyển bước khác từ lúc bạn mở trang: hãy xem lại quy trình xử lý bên dưới.",
        "Chuyển bước tiếp theo: Người được chọn không thực hiện bước tiếp theo này.",
    ]
    assert [(step.pk, step.finished_at) for step in steps_of(dossier)] == before


def test_a_dossier_the_others_took_up_meanwhile_is_refused_in_vietnamese(client, dossier, cast, officials, units):
    """Two specialists open the same waiting step; the second click finds it taken: 403, nothing written."""
    colleague = officials["leader"]
    colleague.memberships.create(unit=units["pu_hong"], role="specialist")
    with at(vn(2024, 3, 4, 10, 0)):
        dossier.hand_over(by=cast["desk_pu_hong"])
        dossier.take_up(by=officials["specialist"])
    client.force_login(colleague)
    response = move(client, dossier, "nhan")
    assert response.status_code == 403
    assert "Bạn không giữ bước hiện tại của hồ sơ này" in response.content.decode()


# --- assignment (Phân công) and dossiers outside the process ------------------------------------------------------
def test_assignment_is_only_for_dossiers_outside_the_process(client, dossier, units, procedures, cast, officials):
    desk = cast["desk_pu_hong"]
    client.force_login(desk)
    with at(vn(2024, 3, 4, 10, 0)):
        assert "phan-cong" not in [item["slug"] for item in page(client, dossier).context["actions"]]
        client.post(reverse("cases:dossier_action", args=[dossier.code, "phan-cong"]), {"phan-cong-handler": desk.pk})
        response = page(client, dossier)
    assert messages_of(response) == [
        "Phân công xử lý: hồ sơ đi theo quy trình nội bộ, hãy chuyển bước cho công chức xử lý."
    ]
    dossier.refresh_from_db()
    assert dossier.handler is None and not dossier.events.filter(kind="assigned").exists()

    # An imported dossier, older than the process: no step yet. The desk may name its handler (a specialist too)
    # or hand it into the process.
    imported = make("DBD-PH-IMPORT-1", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 8), vn(2024, 3, 8, 8))
    with at(vn(2024, 3, 4, 10, 0)):
        response = page(client, imported)
        actions = {item["slug"]: item for item in response.context["actions"]}
        assert set(actions["phan-cong"]["form"].fields["handler"].queryset) == {desk, officials["specialist"],
                                                                                officials["leader"]}  # fmt: skip
        assert slugs(response) == ["chuyen"]
        assert "Hồ sơ chưa đi theo quy trình nội bộ" in response.content.decode()
        move(client, imported, "chuyen", number=2, to_user=officials["specialist"].pk)
    assert imported.open_step().number == 2


# --- Việc của tôi -------------------------------------------------------------------------------------------------
NOW = vn(2024, 3, 13, 10, 0)  # Wednesday


@pytest.fixture
def worklist_of_the_specialist(five_steps, units, procedures, cast, officials):
    """The specialist's steps seen on Wednesday 13/03/2024 10:00 (16 working hours before: Monday 10:00)."""
    desk, specialist = cast["desk_pu_hong"], officials["specialist"]

    def held(name, taken, touched=None):
        dossier = receive(units, procedures, cast, name, taken)
        with at(taken):
            dossier.hand_over(by=desk, to_user=specialist)
            dossier.take_up(by=specialist)
        if touched:
            with at(touched):
                dossier.pause(by=desk, reason="Chờ xác minh")
                dossier.resume(by=desk)
        return dossier

    found = {
        # Taken Monday 09:00, due Wednesday 09:00 (16 h): overdue; untouched 17 working hours: hanging.
        "overdue_hanging": held("Sùng A Dình", vn(2024, 3, 11, 9, 0)),
        # Taken Monday 10:00, exactly 16 working hours ago: hanging; due at 10:00 sharp, not before now: due today.
        "hanging_at_the_limit": held("Vàng A Sùng", vn(2024, 3, 11, 10, 0)),
        # Taken Monday 10:30, touched Tuesday 15:00: neither hanging nor overdue; due Wednesday 10:30: due today.
        "due_today": held("Giàng Thị Pà", vn(2024, 3, 11, 10, 30), touched=vn(2024, 3, 12, 15, 0)),
        # Taken Tuesday 08:00: within its time, untouched 10 working hours only.
        "fresh": held("Lò Văn Piếng", vn(2024, 3, 12, 8, 0)),
    }
    # Handed to Pú Hồng's specialists without a name: waits for any of them.
    waiting = receive(units, procedures, cast, "Mùa A Sử", vn(2024, 3, 12, 9, 0))
    with at(vn(2024, 3, 12, 9, 30)):
        waiting.hand_over(by=desk)
    found["waiting"] = waiting
    # A supplement awaited is the applicant's time: not hanging, however long.
    waiting_papers = held("Chá A Dế", vn(2024, 3, 11, 8, 0))
    with at(vn(2024, 3, 11, 8, 30)):
        waiting_papers.request_supplement(by=desk, missing_papers="Bản sao sổ đỏ")
    found["supplement"] = waiting_papers
    return found


def test_my_list_shows_what_waits_for_me_and_what_i_hold_by_deadline_and_hanging(
    client, worklist_of_the_specialist, officials
):
    found = worklist_of_the_specialist
    client.force_login(officials["specialist"])
    with at(NOW):
        response = client.get("/viec-cua-toi/")
        tiles = {tile["key"]: tile["count"] for tile in response.context["tiles"]}
        assert tiles == {"cho_nhan": 1, "qua_han": 2, "hom_nay": 2, "treo": 2, "dang_giu": 5}
        sections = {
            section["key"]: [step.dossier for step in section["rows"]] for section in response.context["sections"]
        }
        assert sections["cho_nhan"] == [found["waiting"]]
        assert set(sections["dang_giu"]) == {
            found[key] for key in ("overdue_hanging", "hanging_at_the_limit", "due_today", "fresh", "supplement")
        }
        html = response.content.decode()
        assert "Chờ bộ phận chuyên môn nhận" in html
        assert "16 giờ làm việc không có thao tác nào" in html
        assert "nhận 11/03/2024 09:00; chưa có thao tác 17 giờ làm việc" in html
        hanging = client.get("/viec-cua-toi/", {"xem": "treo"}).context["shown"]
        assert {step.dossier for step in hanging} == {found["overdue_hanging"], found["hanging_at_the_limit"]}
        overdue = client.get("/viec-cua-toi/", {"xem": "qua_han"}).context["shown"]
        # The step whose dossier awaits papers keeps its due time until they come (then it moves): overdue meanwhile,
        # as the dossier is, and said so.
        assert [step.dossier for step in overdue] == [found["supplement"], found["overdue_hanging"]]
        assert (
            '<span class="badge badge-grey">Chờ bổ sung</span>'
            in client.get("/viec-cua-toi/", {"xem": "qua_han"}).content.decode()
        )
        today = client.get("/viec-cua-toi/", {"xem": "hom_nay"}).context["shown"]
        assert [step.dossier for step in today] == [found["hanging_at_the_limit"], found["due_today"]]


def test_hanging_is_untouched_for_the_setting_in_working_hours(worklist_of_the_specialist, officials, settings):
    """The SQL rule agrees with the calendar's working_seconds_between, row by row, for several settings."""
    work_calendar = calendar()
    steps = access.held_steps(officials["specialist"]).filter(taken_at__isnull=False)
    for hours in (1, 7.5, 16, 17, 40):
        settings.STEP_HANGING_AFTER_HOURS = hours
        since = worklist.hanging_since(NOW, work_calendar)
        hanging = set(steps.filter(worklist.hanging_q(since)).values_list("pk", flat=True))
        expected = set()
        for step in steps.select_related("dossier").annotate(touched=worklist.last_touched_at()):
            untouched = work_calendar.working_seconds_between(max(step.touched, step.taken_at), NOW)
            if untouched >= hours * 3600 and not step.dossier.clock_stopped:
                expected.add(step.pk)
        assert hanging == expected, hours


def test_the_header_counts_my_steps_overdue_or_due_today_and_those_waiting(
    client, worklist_of_the_specialist, officials, cast, django_assert_num_queries
):
    specialist = officials["specialist"]
    steps, h = access.held_steps(specialist), outcome.horizons(now=NOW)  # the user's units: read once per request
    with django_assert_num_queries(1):
        counts = worklist.counts(steps, h)
    assert counts == {"cho_nhan": 1, "qua_han": 2, "hom_nay": 2}
    client.force_login(specialist)
    with at(NOW):
        html = client.get("/ho-so/").content.decode()
    assert 'title="2 việc quá hạn, 2 việc đến hạn hôm nay">4<' in html
    assert 'title="1 hồ sơ chờ nhận">1<' in html
    # Who works no step has no such list, and no query is spent on it.
    client.force_login(cast["office"])
    assert "Việc của tôi" not in client.get("/ho-so/").content.decode()
    assert client.get("/viec-cua-toi/").status_code == 403


def test_my_list_reads_a_fixed_number_of_queries_however_many_steps(
    client, five_steps, units, procedures, cast, officials, django_assert_max_num_queries
):
    desk, specialist = cast["desk_pu_hong"], officials["specialist"]
    client.force_login(specialist)

    def hand_more(count):
        for index in range(count):
            dossier = receive(units, procedures, cast, f"Người nộp {index}", vn(2024, 3, 11, 8, 0))
            with at(vn(2024, 3, 11, 8, 10)):
                dossier.hand_over(by=desk, to_user=specialist if index % 2 else None)
                if index % 3:
                    dossier.take_up(by=specialist)

    hand_more(3)
    with at(NOW), django_assert_max_num_queries(30) as few:
        client.get("/viec-cua-toi/")
        client.get("/viec-cua-toi/", {"xem": "dang_giu"})
    hand_more(25)
    with at(NOW), django_assert_max_num_queries(30) as many:
        client.get("/viec-cua-toi/")
        client.get("/viec-cua-toi/", {"xem": "dang_giu"})
    assert len(many.captured_queries) == len(few.captured_queries)
