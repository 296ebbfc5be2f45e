"""Follow-up pages as their users see them: the header badge, the apology letter (Mẫu 04), the dashboard's apology
figures and explanations (giải trình) through their permissions."""

import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.desk import outcome
from cases.followup import apologies, digests
from cases.models import Apology, Dossier, Explanation, ExplanationRequest
from reports.figures import periods
from tests.conftest import deadline_counts, make, vn

FRIDAY = vn(2024, 3, 8, 10, 0)
APRIL = vn(2024, 4, 10, 9, 0)
MARCH = {"don_vi": "DBD", "ky": "thang", "nam": "2024", "thang": "3"}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # the deadline horizons keep the next working day in the cache; each test has its own calendar and clock.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def as_user(client, user):
    client.force_login(user)
    return client


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def messages_of(response):
    return [str(message) for message in response.context["messages"]] if response.context else []


# --- the header badge -------------------------------------------------------------------------------------
@pytest.fixture
def friday(units, procedures):
    ph, land = units["pu_hong"], procedures["land"]
    make("PH-OVERDUE", ph, land, vn(2024, 2, 28, 9), vn(2024, 3, 6, 17))
    make("PH-OVERDUE-2", ph, land, vn(2024, 2, 27, 9), vn(2024, 3, 5, 17))
    make("PH-TODAY", ph, land, vn(2024, 3, 1, 15), vn(2024, 3, 8, 15))
    make("PH-MONDAY", ph, land, vn(2024, 3, 4, 9), vn(2024, 3, 11, 9))
    make("PH-LATER", ph, land, vn(2024, 3, 6, 9), vn(2024, 3, 13, 9))
    make("KL-OVERDUE", units["keo_lom"], land, vn(2024, 2, 28, 9), vn(2024, 3, 6, 17))
    with time_machine.travel(FRIDAY, tick=False):
        yield


def badge(response):
    page = response.content.decode()
    found = re.search(r'<p class="desk-badge".*?</p>', page, re.S)
    if not found:
        return None
    return {
        tone: (int(count), href.replace("&amp;", "&"))
        for href, tone, count in re.findall(
            r'<a href="([^"]+)" class="desk-count desk-count-(\w+)"[^>]*><span class="desk-count-value">(\d+)',
            found.group(0),
        )
    }


def test_a_desk_officer_sees_overdue_due_today_and_due_next_working_day_in_the_header(client, cast, friday):
    shown = badge(as_user(client, cast["desk_pu_hong"]).get(reverse("cases:today")))

    assert {tone: count for tone, (count, _) in shown.items()} == {"red": 2, "amber": 1, "green": 1}
    assert (shown["red"][0], shown["amber"][0], shown["green"][0]) == (
        deadline_counts(cast["desk_pu_hong"]).overdue,
        deadline_counts(cast["desk_pu_hong"]).due_today,
        deadline_counts(cast["desk_pu_hong"]).due_tomorrow,
    )
    # Each count opens the list of exactly those dossiers.
    listed = {tone: {d.code for d in client.get(url).context["page"].object_list} for tone, (_, url) in shown.items()}
    assert listed == {"red": {"PH-OVERDUE", "PH-OVERDUE-2"}, "amber": {"PH-TODAY"}, "green": {"PH-MONDAY"}}


def test_another_communes_officer_sees_only_their_own_desks_counts(client, cast, friday):
    shown = badge(as_user(client, cast["desk_keo_lom"]).get(reverse("cases:today")))

    assert {tone: count for tone, (count, _) in shown.items()} == {"red": 1, "amber": 0, "green": 0}


def test_the_office_and_home_affairs_badge_counts_what_their_today_page_shows(client, cast, friday):
    for user in (cast["home_affairs"], cast["office"]):
        response = as_user(client, user).get(reverse("cases:today"))
        assert response.status_code == 200
        sections = {section["key"]: section["count"] for section in response.context["sections"]}
        shown = {tone: count for tone, (count, _) in badge(response).items()}
        assert shown == {"red": sections["overdue"], "amber": sections["today"], "green": sections["soon"]}
        assert shown == {"red": 3, "amber": 1, "green": 1}  # every commune of the district


def test_the_today_page_the_badge_and_the_morning_digest_agree(client, cast, units, friday):
    officer = cast["desk_pu_hong"]
    response = as_user(client, officer).get(reverse("cases:today"))
    sections = {section["key"]: section["count"] for section in response.context["sections"]}
    shown = {tone: count for tone, (count, _) in badge(response).items()}
    (digest,) = digests.unit_digests([units["pu_hong"]], outcome.horizons()).values()
    mailed = {"overdue": len(digest.overdue), "today": len(digest.due_today), "soon": len(digest.due_tomorrow)}

    assert mailed == {"overdue": sections["overdue"], "today": sections["today"], "soon": sections["soon"]}
    assert shown == {"red": mailed["overdue"], "amber": mailed["today"], "green": mailed["soon"]}
    assert mailed == {"overdue": 2, "today": 1, "soon": 1}


# Session, user, memberships, then the page's own: the list counts, shows the badge, fills three filter selects and
# reads one page of dossiers; Today counts once (the badge reuses it), reads each of its three sections once and asks
# whether the user sees several units (its unit column). Who works steps of the internal process (the desk) has one
# more: the count beside "Việc của tôi" in the header (one aggregate over the open-step indexes).
LIST_PAGE_QUERIES = {"cases:dossier_list": 9, "cases:today": 8}
STEP_BADGE_QUERIES = {"desk_pu_hong": 1, "office": 0}
# An office's list picks its page's ids unit by unit, merged (cases.core.pager), then reads those rows: one more.
OFFICE_LIST_MERGE = {("office", "cases:dossier_list"): 1}


@pytest.mark.parametrize("page", sorted(LIST_PAGE_QUERIES))
@pytest.mark.parametrize("role", ["desk_pu_hong", "office"])
def test_the_list_pages_read_a_fixed_number_of_queries(
    client, cast, units, procedures, friday, page, role, django_assert_num_queries
):
    browser = as_user(client, cast[role])
    browser.get(reverse(page))  # the first page of the day reads the working-time calendar into the cache
    queries = LIST_PAGE_QUERIES[page] + STEP_BADGE_QUERIES[role] + OFFICE_LIST_MERGE.get((role, page), 0)
    with django_assert_num_queries(queries):
        browser.get(reverse(page))
    for number in range(12):  # more dossiers, overdue and due today, at two units: still the same queries
        unit = units["pu_hong"] if number % 2 else units["keo_lom"]
        make(f"MORE-{number}", unit, procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 7 + number % 2, 17))
    with django_assert_num_queries(queries):
        browser.get(reverse(page))


# --- apologies (Mẫu 04) -------------------------------------------------------------------------------
@pytest.fixture
def late(units, procedures, friday):
    return Dossier.objects.get(code="PH-OVERDUE")


def issue(client, dossier, reason="Chờ ý kiến của Phòng Tài nguyên và Môi trường", new_due_at="12/03/2024 10:00"):
    return client.post(
        reverse("cases:apology_issue", args=[dossier.code]), {"reason": reason, "new_due_at": new_due_at}, follow=True
    )


def test_the_desk_issues_the_apology_once_from_the_dossier_page(client, cast, late):
    officer = as_user(client, cast["desk_pu_hong"])
    page = officer.get(reverse("cases:dossier_detail", args=[late.code])).content.decode()
    assert reverse("cases:apology_issue", args=[late.code]) in page
    assert "Lập phiếu xin lỗi" in page

    response = issue(officer, late)

    apology = Apology.objects.get(dossier=late)
    assert (apology.new_due_at, apology.previous_due_at, apology.issued_by) == (
        vn(2024, 3, 12, 10),
        vn(2024, 3, 6, 17),
        cast["desk_pu_hong"],
    )
    assert "Đã lập phiếu xin lỗi" in " ".join(messages_of(response))
    page = response.content.decode()
    assert reverse("cases:form_04", args=[late.code]) in page
    assert reverse("cases:apology_issue", args=[late.code]) not in page

    again = issue(officer, late, new_due_at="14/03/2024 10:00")

    assert Apology.objects.filter(dossier=late).count() == 1
    assert Apology.objects.get(dossier=late).new_due_at == vn(2024, 3, 12, 10)
    assert any("chỉ được hẹn lại một lần" in message for message in messages_of(again))


def test_the_printed_apology_names_the_applicant_the_old_and_new_return_times(client, cast, late, procedures):
    officer = as_user(client, cast["desk_pu_hong"])
    issue(officer, late)

    page = officer.get(reverse("cases:form_04", args=[late.code])).content.decode()

    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in page
    assert "Mẫu số 04" in page
    assert "UBND XÃ PÚ HỒNG" in page and "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ" in page
    assert "Kính gửi: Ông/Bà <strong>Người nộp</strong>" in page
    assert "PH-OVERDUE" in page and procedures["land"].name in page
    assert "17 giờ 00 phút, ngày 06 tháng 03 năm 2024" in page  # the original due time
    assert "10 giờ 00 phút, ngày 12 tháng 03 năm 2024" in page  # the new one
    assert "Chờ ý kiến của Phòng Tài nguyên và Môi trường" in page
    assert "xin lỗi Ông/Bà" in page


def test_the_apology_is_read_by_those_who_see_the_dossier_only(client, cast, late):
    issue(as_user(client, cast["desk_pu_hong"]), late)
    url = reverse("cases:form_04", args=[late.code])

    assert as_user(client, cast["office"]).get(url).status_code == 200
    assert as_user(client, cast["desk_keo_lom"]).get(url).status_code == 404
    assert as_user(client, cast["outsider"]).get(url).status_code == 404


def test_another_commune_and_the_office_cannot_issue_an_apology(client, cast, late):
    for user in (cast["desk_keo_lom"], cast["office"]):
        response = as_user(client, user).post(
            reverse("cases:apology_issue", args=[late.code]), {"reason": "Lý do", "new_due_at": "12/03/2024 10:00"}
        )
        assert response.status_code == 404
    assert not Apology.objects.exists()
    # The office reads the dossier but gets no form.
    page = client.get(reverse("cases:dossier_detail", args=[late.code])).content.decode()
    assert "chưa có phiếu xin lỗi" in page
    assert reverse("cases:apology_issue", args=[late.code]) not in page


def test_an_apology_foreseen_before_the_due_time_is_issued_without_a_warning(client, cast, friday):
    # Decree 61/2018, Art. 18: the apology goes out before the due time, when the delay is foreseen.
    within = Dossier.objects.get(code="PH-MONDAY")  # due Monday 11/03/2024 09:00; now is Friday 08/03 10:00
    officer = as_user(client, cast["desk_pu_hong"])
    page = officer.get(reverse("cases:dossier_detail", args=[within.code])).content.decode()
    response = issue(officer, within, new_due_at="14/03/2024 10:00")

    assert reverse("cases:apology_issue", args=[within.code]) in page
    assert "trước khi hết hạn" in page
    assert Apology.objects.get(dossier=within).new_due_at == vn(2024, 3, 14, 10)
    assert "Đã lập phiếu xin lỗi" in " ".join(messages_of(response))
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert within.events.get(kind="apology").warning == ""
    assert officer.get(reverse("cases:form_04", args=[within.code])).status_code == 200


def test_an_apology_after_the_due_time_warns_the_officer_and_the_timeline_keeps_it(client, cast, late):
    officer = as_user(client, cast["desk_pu_hong"])
    response = issue(officer, late)  # due Wednesday 06/03/2024 17:00, issued Friday 08/03 10:00

    warning = (
        "Phiếu xin lỗi lập lúc 10:00 08/03/2024, sau thời điểm hẹn trả 17:00 06/03/2024: Nghị định 61/2018/NĐ-CP,"
        " Điều 18 yêu cầu gửi phiếu xin lỗi và hẹn lại ngày trả trước khi hết hạn giải quyết."
    )
    assert Apology.objects.filter(dossier=late).exists()  # a warning, not a refusal
    shown = {m.level_tag: str(m) for m in response.context["messages"]}
    assert shown["warning"] == warning
    assert f'<li class="message message-warning">{warning}</li>' in response.content.decode()
    assert late.events.get(kind="apology").warning == warning
    # The dossier's timeline keeps it for whoever opens the dossier later.
    page = as_user(client, cast["office"]).get(reverse("cases:dossier_detail", args=[late.code])).content.decode()
    assert f'<p class="event-warning" role="note"><strong>Cảnh báo:</strong> {warning}</p>' in page


def test_no_apology_for_a_dossier_resolved_on_time_and_no_form_04_without_one(client, cast, units, procedures, friday):
    on_time = make(
        "PH-ON-TIME", units["pu_hong"], procedures["land"], vn(2024, 3, 4, 9), vn(2024, 3, 11, 9),
        resolved=vn(2024, 3, 7, 9),
    )  # fmt: skip
    officer = as_user(client, cast["desk_pu_hong"])

    page = officer.get(reverse("cases:dossier_detail", args=[on_time.code])).content.decode()
    response = issue(officer, on_time, new_due_at="14/03/2024 10:00")

    assert reverse("cases:apology_issue", args=[on_time.code]) not in page
    assert any("không giải quyết quá hạn" in message for message in messages_of(response))
    assert not Apology.objects.exists()
    assert officer.get(reverse("cases:form_04", args=[on_time.code])).status_code == 404


def test_a_wrong_new_return_date_is_explained_and_nothing_is_written(client, cast, late):
    officer = as_user(client, cast["desk_pu_hong"])

    unreadable = issue(officer, late, new_due_at="12/3/24 chiều")
    before_old_date = issue(officer, late, new_due_at="01/03/2024 10:00")
    no_reason = issue(officer, late, reason=" ")

    assert any("Ngày hẹn trả kết quả mới" in message for message in messages_of(unreadable))
    assert any("phải sau ngày hẹn trả cũ" in message for message in messages_of(before_old_date))
    assert any("Lý do chậm trả kết quả" in message for message in messages_of(no_reason))
    assert not Apology.objects.exists()
    assert officer.get(reverse("cases:apology_issue", args=[late.code])).status_code == 405


# --- the dashboard's apology figures ----------------------------------------------------------------------
@pytest.mark.usefixtures("march")
def test_the_dashboard_shows_per_unit_late_dossiers_with_and_without_an_apology(client, cast, units):
    with time_machine.travel(APRIL, tick=False):
        resolved_late = Dossier.objects.get(code="6")
        resolved_late.issue_apology(by=cast["desk_pu_hong"], reason="Chậm xác minh", new_due_at=vn(2024, 4, 12, 9))

        response = as_user(client, cast["office"]).get(reverse("reports:index"), MARCH)

        expected = apologies.apology_counts(periods.month(2024, 3), [units[k].pk for k in units])
    rows = {row["unit"].pk: (row["late"], row["apologised"]) for row in response.context["apology_rows"]}
    assert rows == expected == {units["pu_hong"].pk: (4, 1)}
    page = response.content.decode()
    assert "Xin lỗi người dân (Nghị định 61/2018, Điều 18)" in page
    assert '<tr><th scope="row">UBND xã Pú Hồng</th><td>4</td><td>1</td><td class="bad">3</td></tr>' in page


# --- explanations -----------------------------------------------------------------------------------------
@pytest.fixture
def march_late(request, units, procedures):
    """March 2024 (tests/conftest.py) plus one late dossier at Phình Giàng: two units to name."""
    period = request.getfixturevalue("march")
    make(
        "PG-LATE",
        units["phinh_giang"],
        procedures["guardian"],
        vn(2024, 3, 4, 8),
        vn(2024, 3, 7, 8),
        resolved=vn(2024, 3, 12, 9),
    )
    with time_machine.travel(APRIL, tick=False):
        yield period


def ask(client, chosen, deadline="18/04/2024", **extra):
    data = {**MARCH, "deadline": deadline, "reference": "123/UBND-VP", "note": "Đề nghị giải trình.", **extra}
    data["don_vi_chon"] = [str(pk) for pk in chosen]
    return client.post(reverse("cases:explanation_request_new"), data)


def test_the_office_previews_and_names_exactly_the_units_with_late_or_overdue_dossiers(client, cast, units, march_late):
    office = as_user(client, cast["office"])

    preview = office.get(reverse("cases:explanation_request_new"), MARCH)

    assert [row.unit for row in preview.context["named"]] == [units["pu_hong"], units["phinh_giang"]]
    page = preview.content.decode()
    assert page.count('name="don_vi_chon"') == 2 and page.count("checked") >= 2

    response = ask(office, [units["pu_hong"].pk, units["phinh_giang"].pk])

    created = ExplanationRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:explanation_request", args=[created.pk])
    assert (created.period_start.isoformat(), created.period_end.isoformat(), created.deadline.isoformat()) == (
        "2024-03-01",
        "2024-03-31",
        "2024-04-18",
    )
    named = {e.unit.code: (e.late_count, e.overdue_count) for e in created.explanations.select_related("unit")}
    assert named == {"DBD-PH": (1, 3), "DBD-PG": (1, 0)}


def test_a_unit_the_office_unticks_is_not_asked(client, cast, units, march_late):
    ask(as_user(client, cast["office"]), [units["phinh_giang"].pk])

    assert list(Explanation.objects.values_list("unit__code", flat=True)) == ["DBD-PG"]


def test_a_request_with_no_unit_ticked_or_a_past_deadline_is_refused(client, cast, units, march_late):
    office = as_user(client, cast["office"])

    none_ticked = ask(office, [])
    past = ask(office, [units["pu_hong"].pk], deadline="09/04/2024")

    assert "Chọn ít nhất một đơn vị cần giải trình." in none_ticked.content.decode()
    assert "Hạn gửi giải trình 09/04/2024 đã qua." in past.content.decode()
    assert not ExplanationRequest.objects.exists()


def test_a_commune_officer_cannot_ask_for_explanations(client, cast, march_late):
    officer = as_user(client, cast["desk_pu_hong"])

    assert officer.get(reverse("cases:explanation_request_new"), MARCH).status_code == 404
    assert ask(officer, [1]).status_code == 404
    assert not ExplanationRequest.objects.exists()


@pytest.fixture
def asked(client, cast, units, march_late):
    ask(as_user(client, cast["office"]), [units["pu_hong"].pk, units["phinh_giang"].pk])
    client.logout()
    request = ExplanationRequest.objects.get()
    return {e.unit.code: e for e in request.explanations.select_related("unit", "request")}


def answer(client, explanation, text="Do thiếu cán bộ địa chính.", attachment=None):
    data = {"text": text}
    if attachment is not None:
        data["attachment"] = attachment
    return client.post(reverse("cases:explanation", args=[explanation.pk]), data)


def test_the_unit_sees_what_it_owes_answers_with_a_pdf_and_then_reads_its_answer(client, cast, asked, _media):
    officer = as_user(client, cast["desk_pu_hong"])
    mine = asked["DBD-PH"]

    listing = officer.get(reverse("cases:explanations"))
    assert [e.pk for e in listing.context["owed"]] == [mine.pk]
    assert "Giải trình cần gửi" in listing.content.decode()

    response = answer(officer, mine, attachment=SimpleUploadedFile("giai-trinh.pdf", PDF, "application/pdf"))

    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.answered_at, mine.answered_by, mine.text) == (
        APRIL,
        cast["desk_pu_hong"],
        "Do thiếu cán bộ địa chính.",
    )
    (stored,) = stored_files(_media)
    assert stored.read_bytes() == PDF and stored.name == "giai-trinh.pdf"
    page = officer.get(reverse("cases:explanation", args=[mine.pk])).content.decode()
    assert "Do thiếu cán bộ địa chính." in page
    assert "<textarea" not in page and reverse("cases:explanation_attachment", args=[mine.pk]) in page
    # Answered once: a second answer changes nothing.
    answer(officer, mine, text="Sửa lại")
    mine.refresh_from_db()
    assert mine.text == "Do thiếu cán bộ địa chính."


def test_another_commune_and_an_outsider_cannot_see_or_answer_pu_hongs_explanation(client, cast, asked):
    mine = asked["DBD-PH"]
    for user in (cast["desk_keo_lom"], cast["outsider"], cast["desk_pu_hong"]):
        other = asked["DBD-PG"] if user == cast["desk_pu_hong"] else mine
        as_user(client, user)
        assert client.get(reverse("cases:explanation", args=[other.pk])).status_code == 404
        assert answer(client, other).status_code == 404
        assert client.get(reverse("cases:explanation_request", args=[mine.request_id])).status_code == 404
    assert not Explanation.objects.filter(answered_at__isnull=False).exists()


def test_the_office_reads_but_does_not_answer_a_units_explanation(client, cast, asked):
    office = as_user(client, cast["office"])

    assert office.get(reverse("cases:explanation", args=[asked["DBD-PH"].pk])).status_code == 200
    assert answer(office, asked["DBD-PH"]).status_code == 404
    assert not Explanation.objects.filter(answered_at__isnull=False).exists()


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("giai-trinh.pdf", PDF + b"0" * (10 * 1024 * 1024), "vượt quá giới hạn 10 MB"),
        ("giai-trinh.exe", b"MZ\x90\x00", "chỉ nhận tệp PDF, DOC, DOCX, JPG, PNG"),
        ("giai-trinh.pdf", b"<html><script>alert(1)</script>", "không phải tệp PDF hợp lệ"),
    ],
)
def test_a_wrong_attachment_is_refused_next_to_the_field_and_nothing_is_written(
    client, cast, asked, _media, name, content, error
):
    officer = as_user(client, cast["desk_pu_hong"])

    response = answer(officer, asked["DBD-PH"], attachment=SimpleUploadedFile(name, content))

    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors["attachment"])
    page = response.content.decode()
    assert re.search(r'<div class="field has-error">\s*<label for="id_attachment">.*?' + re.escape(error), page, re.S)
    explanation = Explanation.objects.get(pk=asked["DBD-PH"].pk)
    assert (explanation.answered_at, explanation.text, explanation.attachment.name) == (None, "", "")
    assert stored_files(_media) == []


def test_the_office_follows_who_answered_who_has_not_and_who_is_past_the_deadline(client, cast, asked):
    as_user(client, cast["desk_pu_hong"])
    answer(client, asked["DBD-PH"], attachment=SimpleUploadedFile("gt.pdf", PDF))
    office = as_user(client, cast["office"])
    url = reverse("cases:explanation_request", args=[asked["DBD-PH"].request_id])

    before = office.get(url)
    with time_machine.travel(vn(2024, 4, 19, 8), tick=False):
        office = as_user(client, cast["office"])  # days later: a new session (idle ones end after 30 minutes)
        after = office.get(url)
        printed = office.get(reverse("cases:explanation_request_print", args=[asked["DBD-PH"].request_id]))

    def counts(response):
        status = response.context["status"]
        return (
            [e.unit.code for e in status.answered],
            [e.unit.code for e in status.waiting],
            [e.unit.code for e in status.past_deadline],
        )

    assert counts(before) == (["DBD-PH"], ["DBD-PG"], [])
    assert counts(after) == (["DBD-PH"], [], ["DBD-PG"])
    assert 'class="row-past"' not in before.content.decode()
    page = after.content.decode()
    assert re.search(r'<tr class="row-past">\s*<td><a [^>]+>UBND xã Phình Giàng</a>', page)
    assert "Quá hạn, chưa giải trình" in page
    assert reverse("cases:explanation_attachment", args=[asked["DBD-PH"].pk]) in page
    assert printed.status_code == 200
    assert "TÌNH HÌNH GIẢI TRÌNH HỒ SƠ QUÁ HẠN" in printed.content.decode()
    assert "1 đơn vị quá hạn chưa giải trình" in printed.content.decode()
    listing = office.get(reverse("cases:explanations")).context["requests"]
    assert [(r.answered_count, r.unit_count) for r in listing] == [(1, 2)]


def test_the_attachment_is_served_to_the_office_and_the_unit_only(client, cast, asked):
    as_user(client, cast["desk_pu_hong"])
    answer(client, asked["DBD-PH"], attachment=SimpleUploadedFile("giai-trinh.pdf", PDF))
    url = reverse("cases:explanation_attachment", args=[asked["DBD-PH"].pk])

    for user in (cast["office"], cast["desk_pu_hong"], cast["home_affairs"]):
        response = as_user(client, user).get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"] == 'attachment; filename="giai-trinh.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
    for user in (cast["desk_keo_lom"], cast["outsider"]):
        assert as_user(client, user).get(url).status_code == 404
    client.logout()
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    # No answer without a file, no file: 404, not an error.
    as_user(client, cast["office"])
    assert client.get(reverse("cases:explanation_attachment", args=[asked["DBD-PG"].pk])).status_code == 404


def test_the_timeline_shows_the_apology_as_a_new_return_date(client, cast, units, procedures):
    from cases.desk import timeline
    from cases.models import Dossier

    with time_machine.travel(vn(2024, 3, 8, 9), tick=False):
        dossier = Dossier.receive(
            unit=units["pu_hong"],
            procedure=procedures["guardian"],
            applicant_name="Lò Thị Dung",
            received_at=vn(2024, 3, 1, 8),
        )
        dossier.issue_apology(by=cast["desk_pu_hong"], reason="Chờ xác minh", new_due_at=vn(2024, 3, 13, 17))
    sentence = timeline.sentence(dossier.events.get(kind="apology"))
    # Still at the desk's first step, long past its due time: that step caused the delay (the apology records it).
    assert sentence == (
        "Lập phiếu xin lỗi và hẹn lại ngày trả kết quả: từ 06/03/2024 08:00 sang 13/03/2024 17:00."
        " Bước gây chậm: bước 1."
    )
