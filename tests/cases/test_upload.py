"""Importing a dossier file in the browser: upload, preview with problems by line, confirm, progress, summary."""

import csv
import io
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from cases import tasks
from cases.core import jobs
from cases.exchange import uploads as imports
from cases.exchange.columns import DOSSIER_KEYS
from cases.models import Dossier, Job, JobState, Membership, Role
from portal.celery import app as celery_app

HEADER = ",".join(DOSSIER_KEYS)
on_commit = None  # django_capture_on_commit_callbacks, set for each test
PH_ROW = "PH-001,1.004837,DBD-PH,04/03/2024 08:00,,,,truc_tiep,Giàng A Páo,0912345678,Bản Pú Hồng,"
PH_ROW_2 = "PH-002,1.003003,DBD-PH,05/03/2024 09:30,,06/03/2024 10:00,,truc_tuyen,Lò Thị Mai,,,"
KL_ROW = "KL-001,1.004837,DBD-KL,04/03/2024 08:00,,,,buu_chinh,Vàng A Dế,,,"
BAD_DATES = "PH-003,1.004837,DBD-PH,05/03/2024 08:00,,02/03/2024,,truc_tiep,Mùa A Chu,,,"
UNKNOWN_PROCEDURE = "PH-004,9.999999,DBD-PH,05/03/2024 08:00,,,,truc_tiep,Sùng A Lử,,,"


def csv_file(*rows, name="ho-so.csv"):
    return SimpleUploadedFile(name, "\n".join([HEADER, *rows]).encode(), content_type="text/csv")


def xlsx_file(*rows, name="ho-so.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(DOSSIER_KEYS))
    for row in rows:
        sheet.append(row.split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """Tests run inside a transaction that never commits: run what waits for the commit, as a real request would."""
    global on_commit
    on_commit = django_capture_on_commit_callbacks


@pytest.fixture
def officer(client, cast, procedures):
    client.force_login(cast["desk_pu_hong"])
    return client


def upload(client, file):
    with on_commit(execute=True):
        return client.post(reverse("cases:import_upload"), {"file": file})


def last_job():
    return Job.objects.latest("pk")


def confirm(client, job, skip_invalid=False):
    data = {"skip_invalid": "on"} if skip_invalid else {}
    with on_commit(execute=True):
        response = client.post(reverse("cases:import_confirm", args=[job.pk]), data)
    return client.get(response["Location"])


# --- who may upload -------------------------------------------------------------------------------------------
def test_the_upload_page_is_for_desk_and_office_staff(client, cast):
    for user, status in ((cast["desk_pu_hong"], 200), (cast["office"], 200), (cast["home_affairs"], 403)):
        client.force_login(user)
        assert client.get(reverse("cases:import_upload")).status_code == status, user
    client.logout()
    assert client.get(reverse("cases:import_upload")).status_code == 302


def test_the_list_offers_the_upload_only_to_those_who_may(client, cast):
    client.force_login(cast["desk_pu_hong"])
    assert "Nhập từ tệp" in client.get(reverse("cases:dossier_list")).content.decode()
    client.force_login(cast["home_affairs"])
    assert "Nhập từ tệp" not in client.get(reverse("cases:dossier_list")).content.decode()


# --- the preview ----------------------------------------------------------------------------------------------------
def test_the_preview_shows_the_problems_by_line_and_writes_nothing(officer):
    response = upload(officer, csv_file(PH_ROW, BAD_DATES, UNKNOWN_PROCEDURE))
    job = last_job()
    assert response.status_code == 302 and response["Location"] == reverse("cases:import_job", args=[job.pk])
    assert job.state == JobState.UPLOADED and job.total == 3 and job.result["refused"] == 2
    assert job.result["problems"] == [
        "dòng 3: ngày có kết quả: 02/03/2024 trước ngày tiếp nhận 05/03/2024 08:00",
        "dòng 4: mã thủ tục: không có thủ tục 9.999999 trong danh mục",
    ]
    page = officer.get(response["Location"])
    html = page.content.decode()
    assert "Lỗi ở 2 dòng" in html
    assert "ngày có kết quả: 02/03/2024 trước ngày tiếp nhận 05/03/2024 08:00" in html
    assert [line for line, _ in page.context["problems"]] == [3, 4]
    # The rows as read, the refused ones marked.
    assert [line for line, _ in page.context["rows"]] == [2, 3, 4]
    assert page.context["rows"][0][1][:3] == ["PH-001", "1.004837", "DBD-PH"]
    assert html.count('class="row-bad"') == 2
    # Said before the click: what the one button does.
    assert "Nhập 1 dòng hợp lệ, bỏ qua 2 dòng lỗi" in html
    assert "nhập 1 dòng hợp lệ</strong> (1 tạo mới, 0 cập nhật) và <strong>bỏ qua 2 dòng lỗi</strong>" in html
    assert Dossier.objects.count() == 0


def test_the_button_offered_for_a_file_with_problems_imports_its_valid_rows(officer, eager):
    upload(officer, csv_file(PH_ROW, BAD_DATES))
    job = last_job()
    html = officer.get(reverse("cases:import_job", args=[job.pk])).content.decode()
    # The form's only button carries the choice: what it posts is what confirm(skip_invalid=True) posts.
    form = re.search(r'<form method="post" action="[^"]*xac-nhan/".*?</form>', html, re.S).group(0)
    assert re.findall(r"<button[^>]*>", form) == [
        '<button type="submit" class="button primary" name="skip_invalid" value="on">'
    ]
    confirm(officer, job, skip_invalid=True)
    assert list(Dossier.objects.values_list("code", flat=True)) == ["PH-001"]


def test_a_post_without_the_buttons_choice_writes_nothing(officer, eager):
    upload(officer, csv_file(PH_ROW, BAD_DATES))
    job = last_job()
    response = confirm(officer, job)
    assert "Tệp có dòng lỗi: hãy bấm nút «Nhập … dòng hợp lệ»" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.UPLOADED
    assert Dossier.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [
        "\n".join([HEADER, BAD_DATES, UNKNOWN_PROCEDURE]).encode(),  # every row refused
        b"ma_ho_so,nguoi_nop\nA,B\n",  # required columns missing: no row could be read
        HEADER.encode(),  # a header and nothing else
    ],
)
def test_nothing_to_import_offers_no_confirmation(officer, eager, content):
    upload(officer, SimpleUploadedFile("ho-so.csv", content))
    job = last_job()
    html = officer.get(reverse("cases:import_job", args=[job.pk])).content.decode()
    assert "xac-nhan/" not in html and "Xác nhận" not in html
    assert "Tải lên tệp đã sửa" in html
    response = confirm(officer, job, skip_invalid=True)
    assert "Tệp không có dòng hợp lệ nào nên không có gì để nhập" in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.UPLOADED and Dossier.objects.count() == 0


def test_an_unreadable_file_is_explained(officer):
    upload(officer, SimpleUploadedFile("ho-so.csv", b"ma_ho_so,nguoi_nop\nA,B\n"))
    job = last_job()
    assert job.result["problems"][0].startswith("dòng 1: mã thủ tục: thiếu cột bắt buộc")
    assert "thiếu cột bắt buộc" in officer.get(reverse("cases:import_job", args=[job.pk])).content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("ho-so.xls", b"\xd0\xcf\x11\xe0", "Tệp .xls (Excel 97-2003) không đọc được"),
        ("ho-so.pdf", b"%PDF-1.4", "Chỉ nhận tệp CSV hoặc XLSX."),
        ("ho-so.xlsx", b"ma_ho_so,ma_thu_tuc\n", "Tệp không phải XLSX thật"),
        ("ho-so.csv", b"PK\x03\x04\x00\x00binary", "Tệp không phải CSV dạng văn bản"),
    ],
)
def test_only_csv_and_xlsx_files_are_accepted(officer, name, content, message):
    response = upload(officer, SimpleUploadedFile(name, content))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_a_file_over_the_size_limit_is_refused(officer, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 100)
    response = upload(officer, csv_file(PH_ROW, PH_ROW_2))
    assert "tối đa 50 MB" in response.content.decode()
    assert not Job.objects.exists()


# --- the scope check ------------------------------------------------------------------------------------------------
def test_a_commune_officer_cannot_import_a_row_for_another_commune(officer, eager):
    upload(officer, csv_file(PH_ROW, KL_ROW))
    job = last_job()
    assert job.result["problems"] == ["dòng 3: mã đơn vị: đơn vị DBD-KL ngoài phạm vi của bạn"]
    confirm(officer, job)
    assert Dossier.objects.count() == 0
    # Skipping the refused row imports Pú Hồng's only.
    confirm(officer, job, skip_invalid=True)
    assert list(Dossier.objects.values_list("code", flat=True)) == ["PH-001"]


def test_a_commune_officer_cannot_take_over_another_communes_dossier_by_its_code(client, cast, procedures, eager):
    client.force_login(cast["desk_keo_lom"])
    upload(client, csv_file(KL_ROW))
    confirm(client, last_job())
    assert Dossier.objects.get(code="KL-001").unit.code == "DBD-KL"
    client.force_login(cast["desk_pu_hong"])
    upload(client, csv_file(KL_ROW.replace("DBD-KL", "DBD-PH")))
    job = last_job()
    # The other unit is not named.
    assert job.result["problems"] == ["dòng 2: mã hồ sơ: KL-001 đã có ở đơn vị ngoài phạm vi của bạn"]
    confirm(client, job, skip_invalid=True)
    assert Dossier.objects.get(code="KL-001").unit.code == "DBD-KL"


def test_the_district_office_imports_rows_for_its_communes(client, cast, procedures, eager):
    client.force_login(cast["office"])
    upload(client, csv_file(PH_ROW, KL_ROW))
    job = last_job()
    assert job.result["problems"] == []
    confirm(client, job)
    assert set(Dossier.objects.values_list("code", "unit__code")) == {("PH-001", "DBD-PH"), ("KL-001", "DBD-KL")}


def test_the_office_cannot_import_for_a_unit_outside_its_district(client, cast, procedures, units):
    client.force_login(cast["office"])
    upload(client, csv_file(KL_ROW.replace("DBD-KL", "KN")))
    assert last_job().result["problems"] == ["dòng 2: mã đơn vị: đơn vị KN ngoài phạm vi của bạn"]


def test_the_command_line_still_imports_for_every_unit(cast, procedures, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "ho-so.csv"
    path.write_text("\n".join([HEADER, PH_ROW, KL_ROW]), encoding="utf-8")
    call_command("import_dossiers", str(path), stdout=io.StringIO())
    assert Dossier.objects.count() == 2


# --- confirm, progress, summary ---------------------------------------------------------------------------------------
def test_confirming_imports_the_file_and_shows_the_summary(officer, eager):
    upload(officer, csv_file(PH_ROW, PH_ROW_2))
    job = last_job()
    assert (job.result["created"], job.result["refused"]) == (2, 0)
    assert "Xác nhận nhập 2 dòng" in officer.get(reverse("cases:import_job", args=[job.pk])).content.decode()
    response = confirm(officer, job)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.finished_at is not None
    assert (job.total, job.processed, job.result["created"], job.result["updated"]) == (2, 2, 2, 0)
    html = response.content.decode()
    assert "Đã nhập xong" in html and "tạo mới" in html
    resolved = Dossier.objects.get(code="PH-002")
    assert resolved.state == "da_co_ket_qua" and resolved.received_by == job.owner
    status = officer.get(reverse("cases:import_job_status", args=[job.pk])).json()
    assert status == {
        "status": "done",
        "status_label": "Hoàn thành",
        "checking": False,
        "sent": True,
        "processed_rows": 2,
        "total_rows": 2,
        "progress": 100,
        "finished": True,
    }


def test_the_same_file_twice_changes_nothing_the_second_time(officer, eager):
    upload(officer, csv_file(PH_ROW, PH_ROW_2))
    confirm(officer, last_job())
    upload(officer, csv_file(PH_ROW, PH_ROW_2))
    second = last_job()
    assert (second.result["created"], second.result["updated"], second.result["unchanged"]) == (0, 0, 2)
    confirm(officer, second)
    second.refresh_from_db()
    assert (second.state, second.result["unchanged"]) == (JobState.DONE, 2)


def test_running_the_task_again_on_a_finished_job_does_nothing(officer, eager):
    upload(officer, csv_file(PH_ROW))
    job = last_job()
    confirm(officer, job)
    job.refresh_from_db()
    finished_at = job.finished_at
    assert tasks.import_dossiers.apply(args=(job.pk,)).get() == "đã xử lý"
    job.refresh_from_db()
    assert (job.finished_at, job.result["created"]) == (finished_at, 1)
    assert Dossier.objects.count() == 1


def test_an_xlsx_file_is_previewed_and_imported(officer, eager):
    upload(officer, xlsx_file(PH_ROW, PH_ROW_2))
    job = last_job()
    page = officer.get(reverse("cases:import_job", args=[job.pk]))
    assert [cells[0] for _, cells in page.context["rows"]] == ["PH-001", "PH-002"]
    confirm(officer, job)
    assert Dossier.objects.count() == 2


def test_a_large_file_is_checked_by_the_task_before_the_preview(officer, eager, monkeypatch):
    monkeypatch.setattr(imports, "SYNC_ROWS", 2)
    upload(officer, csv_file(PH_ROW, PH_ROW_2, BAD_DATES))
    job = last_job()
    assert job.params["stage"] == imports.CHECK
    assert (job.state, job.total, job.result["refused"]) == (JobState.UPLOADED, 3, 1)
    assert Dossier.objects.count() == 0


def test_a_large_file_shows_a_progress_bar_while_it_is_checked(officer, monkeypatch):
    monkeypatch.setattr(imports, "SYNC_ROWS", 2)
    monkeypatch.setattr(tasks.import_dossiers, "apply_async", lambda *args, **kwargs: None)
    upload(officer, csv_file(PH_ROW, PH_ROW_2, BAD_DATES))
    job = last_job()
    html = officer.get(reverse("cases:import_job", args=[job.pk])).content.decode()
    assert "Đang kiểm tra tệp" in html and "<progress" in html and "data-job-status" in html
    status = officer.get(reverse("cases:import_job_status", args=[job.pk])).json()
    assert (status["status"], status["checking"], status["total_rows"], status["finished"]) == (
        "queued",
        True,
        3,
        False,
    )


# --- skipping invalid rows: the loi file ------------------------------------------------------------------------------
def test_skipping_invalid_rows_imports_the_rest_and_offers_the_refused_ones(officer, eager):
    upload(officer, csv_file(PH_ROW, BAD_DATES, PH_ROW_2, UNKNOWN_PROCEDURE))
    job = last_job()
    response = confirm(officer, job, skip_invalid=True)
    job.refresh_from_db()
    assert (job.state, job.result["created"], job.result["refused"]) == (JobState.DONE, 2, 2)
    assert set(Dossier.objects.values_list("code", flat=True)) == {"PH-001", "PH-002"}
    assert "Tải tệp các dòng bị từ chối" in response.content.decode()
    download = officer.get(reverse("cases:import_rejected", args=[job.pk]))
    assert 'filename="ho-so.loi.csv"' in download["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))
    assert [(row["ma_ho_so"], row["loi"]) for row in rows] == [
        ("PH-003", "ngày có kết quả: 02/03/2024 trước ngày tiếp nhận 05/03/2024 08:00"),
        ("PH-004", "mã thủ tục: không có thủ tục 9.999999 trong danh mục"),
    ]


def test_the_loi_file_of_an_xlsx_upload_is_xlsx(officer, eager):
    upload(officer, xlsx_file(PH_ROW, BAD_DATES))
    job = last_job()
    confirm(officer, job, skip_invalid=True)
    download = officer.get(reverse("cases:import_rejected", args=[job.pk]))
    assert 'filename="ho-so.loi.xlsx"' in download["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "loi" and rows[1][0] == "PH-003" and len(rows) == 2


def test_a_job_without_refused_rows_has_no_loi_file(officer, eager):
    upload(officer, csv_file(PH_ROW))
    job = last_job()
    confirm(officer, job)
    assert officer.get(reverse("cases:import_rejected", args=[job.pk])).status_code == 404


# --- whose jobs ------------------------------------------------------------------------------------------------------
def test_another_users_job_does_not_exist_for_them(client, cast, procedures):
    client.force_login(cast["desk_pu_hong"])
    upload(client, csv_file(PH_ROW))
    job = last_job()
    client.force_login(cast["office"])
    for name in ("cases:import_job", "cases:import_job_status", "cases:import_rejected"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    for name in ("cases:import_confirm", "cases:import_retry"):
        assert client.post(reverse(name, args=[job.pk])).status_code == 404, name
    job.refresh_from_db()
    assert job.state == JobState.UPLOADED
    assert "ho-so.csv" not in client.get(reverse("cases:import_upload")).content.decode()
    # An administrator may look at it.
    client.force_login(cast["admin"])
    assert client.get(reverse("cases:import_job", args=[job.pk])).status_code == 200


def test_a_user_comes_back_to_their_recent_jobs(officer):
    upload(officer, csv_file(PH_ROW))
    upload(officer, csv_file(PH_ROW, BAD_DATES, name="thang-3.csv"))
    page = officer.get(reverse("cases:import_upload"))
    assert [job.title for job in page.context["jobs"]] == ["thang-3.csv", "ho-so.csv"]
    assert reverse("cases:import_job", args=[last_job().pk]) in page.content.decode()


# --- the queue is down ----------------------------------------------------------------------------------------------
@pytest.fixture
def broker_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6399/0"  # nothing listens there
    celery_app._after_fork()  # forget connections made with another broker
    yield
    celery_app._after_fork()


def test_when_the_queue_is_down_the_job_waits_and_the_page_says_so(officer, broker_down, settings):
    upload(officer, csv_file(PH_ROW))
    job = last_job()
    started = time.monotonic()
    response = confirm(officer, job)
    took = time.monotonic() - started
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and not jobs.was_sent(job)
    html = response.content.decode()
    assert "Chưa gửi được việc tới hàng đợi xử lý" in html and "Thử lại" in html
    assert took < 10, f"the page waited {took:.1f} s for the broker"  # a bound, not a timing: it must not hang
    assert Dossier.objects.count() == 0
    # Once the queue is back, "Thử lại" sends it.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with on_commit(execute=True):
        officer.post(reverse("cases:import_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert Dossier.objects.filter(code="PH-001").exists()


def test_a_user_with_two_roles_imports_for_both_scopes(client, cast, units, procedures, eager):
    officer = cast["desk_pu_hong"]
    Membership.objects.create(user=officer, unit=units["keo_lom"], role=Role.DESK)
    client.force_login(officer)
    upload(client, csv_file(PH_ROW, KL_ROW))
    assert last_job().result["problems"] == []


def test_a_file_with_very_many_problems_lists_the_first_and_counts_the_rest(officer, monkeypatch):
    monkeypatch.setattr(imports, "KEPT_PROBLEMS", 1)
    upload(officer, csv_file(PH_ROW, BAD_DATES, UNKNOWN_PROCEDURE))
    job = last_job()
    assert job.result["refused"] == 2
    assert job.result["problems"] == [
        "dòng 3: ngày có kết quả: 02/03/2024 trước ngày tiếp nhận 05/03/2024 08:00",
        "… và 1 lỗi khác.",
    ]
    assert "… và 1 lỗi khác." in officer.get(reverse("cases:import_job", args=[job.pk])).content.decode()
