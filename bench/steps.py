"""Time the step figures on a large database: Nội vụ's officials sheet and "where dossiers wait" for a district year.

    createdb -h 127.0.0.1 -U postgres -T portal_bench1m portal_h13r_bench      # a copy: this script writes steps
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_h13r_bench PORTAL_DEV=1 .venv/bin/python manage.py migrate
    DATABASE_URL=… PORTAL_DEV=1 .venv/bin/python bench/steps.py generate      # ≈ 4 steps a dossier, one INSERT…SELECT
    DATABASE_URL=… PORTAL_DEV=1 .venv/bin/python bench/steps.py freeze        # the closed months again, with steps
    DATABASE_URL=… PORTAL_DEV=1 .venv/bin/python bench/steps.py measure --unit DBD --repeat 15
        # default period 01/07/2024–30/06/2025: the district's last year before the 2025 reform abolished it

`generate` gives every dossier the steps of a four-step process (the desk receives 10% of the time, a specialist
handles 75%, the leader signs 5%, the desk returns 10%) with its officials (a desk officer, three specialists, a
leader per unit, made here): each step took its share of the dossier's own span times a weight, so a step whose
weight is above the dossier's average and a dossier near or past its due time give late steps (one desk in seven
is slow); 6% of the resolved ones were sent back by the leader to the specialist; open dossiers stop at their
current step; refused and withdrawn ones end at the specialist's step, half of them before anyone took it up; one
return in ten waited for the applicant past its share. Due times are the step's share of the dossier's planned
span in wall-clock time (not the working calendar: the figures only compare and sum what is stored).

`measure` times, alternately in one run, what the portal does and the bare SQL that answers the same question:
- the officials sheet's rows (reports.figures.officials: frozen months + the running month live, then rows per
  official), and the same with every month live; bare SQL: one GROUP BY over the year's steps of the scope;
- where dossiers wait (the open steps by unit, step and holder, grouped as the dashboard shows them); bare SQL: the
  GROUP BY over the open-step index;
- the whole dashboard request and the appraisal workbook (both sheets) through Django's test client, for context.
Nothing here asserts a time.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.http import urlencode  # noqa: E402

from cases.models import Membership, Role, Unit  # noqa: E402
from reports.figures import periods  # noqa: E402
from reports.figures.counters import report_units  # noqa: E402
from reports.figures.freeze import freeze, segments  # noqa: E402
from reports.figures.officials import by_official, step_figures, waiting, waiting_by_person, waiting_by_step  # noqa: E402
from reports.models import Freeze, FreezeKind  # noqa: E402

OFFICIALS = [("mc", "Cán bộ Một cửa", "desk"), ("cv1", "Chuyên viên 1", "specialist"),
             ("cv2", "Chuyên viên 2", "specialist"), ("cv3", "Chuyên viên 3", "specialist"),
             ("ld", "Lãnh đạo", "leader")]  # fmt: skip

USERS = """
INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
SELECT '!', false, 'bench.' || lower(u.code) || '.' || o.suffix, o.label || ' ' || u.code, '', '', false, true, now()
FROM cases_unit u CROSS JOIN (VALUES {values}) AS o(suffix, label, role)
WHERE u.id IN (SELECT DISTINCT unit_id FROM cases_dossier)
ON CONFLICT (username) DO NOTHING;
INSERT INTO cases_membership (user_id, unit_id, role, active)
SELECT a.id, u.id, o.role, true
FROM cases_unit u CROSS JOIN (VALUES {values}) AS o(suffix, label, role)
JOIN auth_user a ON a.username = 'bench.' || lower(u.code) || '.' || o.suffix
ON CONFLICT (user_id, unit_id, role) DO NOTHING;
"""

# One row per step of each dossier. seq: 1 receive, 2 handle, 3 sign (sent back), 4 handle again, 5 sign, 6 return.
STEPS = """
INSERT INTO cases_dossierstep (dossier_id, number, name, performer, unit_id, holder_id, holder_name, handed_at,
                               handed_by_id, taken_at, seconds, due_at, finished_at, "end", reason)
WITH people AS (
    SELECT m.unit_id, max(a.id) FILTER (WHERE a.username LIKE '%.mc') AS desk,
           max(a.id) FILTER (WHERE a.username LIKE '%.cv1') AS cv1,
           max(a.id) FILTER (WHERE a.username LIKE '%.cv2') AS cv2,
           max(a.id) FILTER (WHERE a.username LIKE '%.cv3') AS cv3,
           max(a.id) FILTER (WHERE a.username LIKE '%.ld') AS leader
    FROM cases_membership m JOIN auth_user a ON a.id = m.user_id WHERE a.username LIKE 'bench.%' GROUP BY m.unit_id
), base AS (
    SELECT d.id, d.unit_id, d.received_at, d.resolved_at, d.returned_at,
           d.due_at - d.received_at AS planned,
           COALESCE(d.resolved_at, d.ended_at, now()) - d.received_at AS span,
           CASE WHEN d.resolved_at IS NOT NULL THEN 'resolved' WHEN d.ended_at IS NOT NULL THEN 'ended'
                ELSE 'open' END AS kind,
           abs(hashint8(d.id)) % 1000 AS r, greatest(d.processing_days, 1) * 28800 AS total_seconds,
           p.desk, p.leader,
           CASE abs(hashint8(d.id)) % 3 WHEN 0 THEN p.cv1 WHEN 1 THEN p.cv2 ELSE p.cv3 END AS specialist
    FROM cases_dossier d JOIN people p ON p.unit_id = d.unit_id
), weighted AS (
    -- How long each step took: its share of the plan times a weight, scaled to the dossier's own span; a step is late
    -- when its weight is well above the dossier's average (one desk in seven is slow).
    SELECT b.*,
           CASE WHEN b.r % 7 = 0 THEN 3.0 ELSE 0.2 + (b.r % 9) / 10.0 END AS w1,
           0.8 + ((b.r / 10) % 5) / 10.0 AS w2,
           0.3 + ((b.r / 100) % 8) / 10.0 AS w3
    FROM base b
), shaped AS (
    SELECT w.*,
           0.1 * w.w1 / (0.1 * w.w1 + 0.75 * w.w2 + 0.05 * w.w3) AS a1,
           (0.1 * w.w1 + 0.75 * w.w2) / (0.1 * w.w1 + 0.75 * w.w2 + 0.05 * w.w3) AS a12,
           w.kind = 'resolved' AND w.r % 100 < 6 AS sent_back,
           CASE WHEN w.r % 10 = 0 THEN 1 WHEN w.r % 10 < 8 THEN 2 ELSE 5 END AS at_seq
    FROM weighted w
), rows AS (
    SELECT s.*, t.seq, t.number, t.name, t.performer, t.share,
           CASE t.seq WHEN 1 THEN 0 WHEN 2 THEN s.a1 WHEN 3 THEN s.a1 + (s.a12 - s.a1) * 0.7
                      WHEN 4 THEN s.a1 + (s.a12 - s.a1) * 0.8 WHEN 5 THEN s.a12 END AS f0,
           CASE t.seq WHEN 1 THEN s.a1 WHEN 2 THEN s.a1 + (s.a12 - s.a1) * CASE WHEN s.sent_back THEN 0.7 ELSE 1 END
                      WHEN 3 THEN s.a1 + (s.a12 - s.a1) * 0.8 WHEN 4 THEN s.a12 WHEN 5 THEN 1 END AS f1
    FROM shaped s
    JOIN (VALUES (1, 1, 'Tiếp nhận, chuyển hồ sơ', 'mot_cua', 0.1),
                 (2, 2, 'Thẩm định, giải quyết hồ sơ', 'chuyen_mon', 0.75),
                 (3, 3, 'Lãnh đạo phê duyệt', 'lanh_dao', 0.05),
                 (4, 2, 'Thẩm định, giải quyết hồ sơ', 'chuyen_mon', 0.75),
                 (5, 3, 'Lãnh đạo phê duyệt', 'lanh_dao', 0.05),
                 (6, 4, 'Trả kết quả', 'mot_cua', 0.1))
         AS t(seq, number, name, performer, share)
      ON (t.seq IN (1, 2, 5))
      OR (t.seq IN (3, 4) AND s.sent_back)
      OR (t.seq = 6 AND s.kind = 'resolved')
    WHERE NOT (s.kind = 'ended' AND t.seq > 2) AND NOT (s.kind = 'open' AND t.seq > s.at_seq)
), timed AS (
    SELECT r.*,
           CASE WHEN r.seq = 6 THEN r.resolved_at ELSE r.received_at + r.span * r.f0 END AS handed,
           CASE WHEN r.seq = 6 THEN r.returned_at
                WHEN r.kind = 'open' AND r.seq = r.at_seq THEN NULL
                WHEN r.kind = 'ended' AND r.seq = 2 THEN r.received_at + r.span
                ELSE r.received_at + r.span * r.f1 END AS finished,
           r.kind = 'ended' AND r.seq = 2 AND r.r % 2 = 0 AS untaken
    FROM rows r
), held AS (
    SELECT t.*,
           CASE WHEN t.untaken THEN NULL WHEN t.seq IN (1, 6) THEN t.handed
                ELSE t.handed + least(t.span * 0.005, interval '1 hour') END AS taken,
           CASE t.number WHEN 1 THEN t.desk WHEN 2 THEN t.specialist WHEN 3 THEN t.leader ELSE t.desk END AS holder
    FROM timed t
)
SELECT h.id, h.number, h.name, h.performer, h.unit_id, CASE WHEN h.untaken THEN NULL ELSE h.holder END, '',
       h.handed, CASE h.seq WHEN 1 THEN h.desk WHEN 2 THEN h.desk WHEN 3 THEN h.leader WHEN 4 THEN h.leader
                            WHEN 5 THEN h.specialist ELSE h.leader END,
       h.taken, round(h.total_seconds * h.share),
       h.taken + CASE WHEN h.seq = 6 AND h.finished IS NOT NULL AND h.r % 10 < 9
                      THEN greatest(h.planned * h.share, h.finished - h.taken) ELSE h.planned * h.share END,
       CASE WHEN h.finished IS NOT NULL THEN greatest(h.finished, h.taken, h.handed) END,
       CASE WHEN h.finished IS NULL THEN '' WHEN h.seq = 3 THEN 'tra_lai'
            WHEN h.seq = 6 OR (h.kind = 'ended' AND h.seq = 2) THEN 'ket_thuc' ELSE 'chuyen' END,
       CASE WHEN h.seq = 3 THEN 'Đề nghị làm rõ ý kiến thẩm định' ELSE '' END
FROM held h
"""


def generate():
    values = ", ".join(f"('{suffix}', '{label}', '{role}')" for suffix, label, role in OFFICIALS)
    with connection.cursor() as cursor:
        began = time.perf_counter()
        cursor.execute("DELETE FROM reports_frozensteps; DELETE FROM cases_dossierstep;")
        # A copy made for the bench: the rows point at dossiers and users that exist; skip the 12M deferred checks.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(USERS.format(values=values))
        print(f"cán bộ: {time.perf_counter() - began:.1f} s")
        began = time.perf_counter()
        cursor.execute(STEPS)
        print(f"{cursor.rowcount:,} bước: {time.perf_counter() - began:.1f} s (một INSERT…SELECT)")
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(
            "UPDATE cases_dossier d SET holding_unit_id = s.unit_id FROM cases_dossierstep s"
            " WHERE s.dossier_id = d.id AND s.finished_at IS NULL"
        )
        cursor.execute("ANALYZE cases_dossierstep; ANALYZE cases_dossier; ANALYZE auth_user; ANALYZE cases_membership")
        cursor.execute(
            "SELECT count(*), count(DISTINCT dossier_id), count(*) FILTER (WHERE finished_at > due_at),"
            " count(*) FILTER (WHERE \"end\" = 'tra_lai'), count(*) FILTER (WHERE finished_at IS NULL)"
            " FROM cases_dossierstep"
        )
        total, dossiers, late, back, open_ = cursor.fetchone()
    print(f"{total:,} bước của {dossiers:,} hồ sơ ({total / dossiers:.2f}/hồ sơ): {late:,} trễ hạn, {back:,} trả lại,"
          f" {open_:,} đang mở")  # fmt: skip


def refreeze():
    """Freeze every closed month again, now with its steps (the freezes of portal_bench1m predate them)."""
    began = time.perf_counter()
    today = timezone.localdate()
    months = Freeze.objects.filter(kind=FreezeKind.MONTH, current=True).order_by("start")
    for found in months:
        month = periods.month(found.start.year, found.start.month)
        if month.end < today:
            freeze(month, reason="Chốt lại kèm số liệu các bước xử lý (bench/steps.py)")
    print(f"chốt lại {months.count()} tháng kèm các bước: {time.perf_counter() - began:.1f} s")


def timed(function, repeat):
    function()  # warm
    runs = []
    for _ in range(repeat):
        began = time.perf_counter()
        function()
        runs.append((time.perf_counter() - began) * 1000)
    return statistics.median(runs), max(runs)


def bare(sql, params):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return run


OFFICIALS_SQL = """
SELECT unit_id, holder_id, holder_name, count(*),
       count(*) FILTER (WHERE due_at IS NOT NULL
                        AND (finished_at AT TIME ZONE %s)::date < (due_at AT TIME ZONE %s)::date),
       count(*) FILTER (WHERE finished_at > due_at), count(*) FILTER (WHERE "end" = 'tra_lai')
FROM cases_dossierstep WHERE unit_id = ANY(%s) AND finished_at >= %s AND finished_at < %s
GROUP BY 1, 2, 3
"""
WAITING_SQL = """
SELECT unit_id, number, name, holder_id, holder_name, count(*), count(*) FILTER (WHERE taken_at IS NULL),
       count(*) FILTER (WHERE due_at < now())
FROM cases_dossierstep WHERE finished_at IS NULL AND unit_id = ANY(%s) GROUP BY 1, 2, 3, 4, 5
"""


def office_user(unit):
    user, _ = get_user_model().objects.get_or_create(username=f"bench.office.{unit.code.lower()}")
    Membership.objects.get_or_create(user=user, unit=unit, role=Role.OFFICE)
    Membership.objects.get_or_create(user=user, unit=unit, role=Role.HOME_AFFAIRS)
    return user


def measure(code, first, last, repeat):
    settings.ALLOWED_HOSTS = ["*"]
    settings.APPRAISAL_ASYNC_UNITS = 10_000  # the workbook built in the request, to be timed
    # Pages name their static files without `collectstatic` having run for this checkout (as the tests do).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    unit = Unit.objects.get(code=code)
    units = list(report_units(unit))
    ids = [u.pk for u in units]
    today = timezone.localdate()
    period = periods.date_range(first, last).up_to(today)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT dossier_id) FROM cases_dossierstep"
            " WHERE unit_id = ANY(%s) AND finished_at >= %s AND finished_at < %s",
            [ids, period.start_at, period.end_at],
        )
        steps_in_scope, dossiers_in_scope = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM cases_dossierstep")
        (all_steps,) = cursor.fetchone()
    rows = by_official(step_figures(period, units), units)
    print(
        f"{unit.name}, {period.range_text}: {len(units)} đơn vị, {steps_in_scope:,} bước hoàn thành của"
        f" {dossiers_in_scope:,} hồ sơ (cả cơ sở dữ liệu: {all_steps:,} bước); bảng cán bộ {len(rows)} dòng"
    )
    parts = segments(period)
    frozen = sum(1 for _, found in parts if found is not None and found.with_steps)
    live_days = sum((part.end - part.start).days + 1 for part, found in parts if found is None)
    tz = settings.TIME_ZONE
    officials_bare = bare(OFFICIALS_SQL, [tz, tz, ids, period.start_at, period.end_at])
    waiting_bare = bare(WAITING_SQL, [ids])

    def officials():
        return by_official(step_figures(period, units), units)

    def where():
        found = waiting(units)
        return waiting_by_step(found), waiting_by_person(found)

    results = []
    for label, portal, sql in (
        (f"bảng cán bộ ({frozen} tháng đã chốt, {live_days} ngày tính trực tiếp)", officials, officials_bare),
        ("hồ sơ đang chờ ở đâu", where, waiting_bare),
    ):
        mine, mine_worst = timed(portal, repeat)
        theirs, theirs_worst = timed(sql, repeat)
        results.append((label, mine, mine_worst, theirs))
    with transaction.atomic():
        Freeze.objects.update(current=False)
        mine, mine_worst = timed(officials, max(3, repeat // 3))
        theirs, _ = timed(officials_bare, max(3, repeat // 3))
        results.append(("bảng cán bộ, mọi tháng tính trực tiếp", mine, mine_worst, theirs))
        transaction.set_rollback(True)
    print(f"{'':58} {'cổng: trung vị (chậm nhất)':>28} {'SQL trần':>10} {'tỉ lệ':>7}")
    for label, mine, worst, theirs in results:
        print(f"{label:58} {mine:>16.0f} ms ({worst:.0f}) {theirs:>8.0f} ms {mine / theirs:>6.1f}×")
    client = Client()
    client.force_login(office_user(unit))
    query = {"ky": "khoang", "tu": f"{period.start:%d/%m/%Y}", "den": f"{period.end:%d/%m/%Y}", "don_vi": code}
    picked = urlencode(query)
    median, worst = timed(lambda: client.get(f"/bao-cao/?{picked}"), max(3, repeat // 3))
    print(f"{'trang Báo cáo (cả trang, kèm các bảng bước)':58} {median:>16.0f} ms ({worst:.0f})")
    form = {**query, "bieu": "danh-gia"}
    median, worst = timed(lambda: client.post("/bao-cao/noi-vu/", form), max(3, repeat // 5))
    print(f"{'bảng đánh giá, xếp loại (XLSX, cả hai trang)':58} {median:>16.0f} ms ({worst:.0f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["generate", "freeze", "measure"])
    parser.add_argument("--unit", default="DBD")
    parser.add_argument("--from", dest="first", default="01/07/2024", help="dd/mm/yyyy: the period's first day")
    parser.add_argument("--to", dest="last", default="30/06/2025", help="dd/mm/yyyy: its last day")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    if args.action == "generate":
        generate()
    elif args.action == "freeze":
        refreeze()
    else:
        measure(args.unit, periods.parse_day(args.first), periods.parse_day(args.last), args.repeat)


if __name__ == "__main__":
    main()
