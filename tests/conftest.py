"""The fixed cast: Điện Biên province › Điện Biên Đông district › its office and communes, and one user per role.

Pú Hồng and Keo Lôm are communes of the district (seed 000); the district office (Văn phòng HĐND&UBND) and
Phòng Nội vụ see everything under the district; the outsider belongs to Krông Nô.
"""

import os
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from cases.catalogue.models import Performer, Process, ProcessStep
from cases.desk import access, outcome
from cases.models import Channel, Dossier, Field, Level, Membership, OnlineLevel, Procedure, Role, State, Unit, UnitKind
from reports.figures import periods

pytest_plugins = ["tests.workers"]  # real Redis, Celery and database helpers for every test

# Processes the tests start (a Celery worker, manage.py) are development too: the built-in key is allowed there.
os.environ.setdefault("PORTAL_DEV", "1")

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PASSWORD = "mat-khau-thu-nghiem"


def vn(year, month, day, hour=0, minute=0):
    """An aware datetime in Vietnam's time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def make(code, unit, procedure, received, due, resolved=None, ended=None, state=None, channel=Channel.DIRECT, **extra):
    """A dossier as it stands, written directly: the figures' fixtures set every date by hand."""
    if state is None:
        state = State.RESOLVED if resolved else State.PROCESSING
    return Dossier.objects.create(
        code=code,
        unit=unit,
        procedure=procedure,
        applicant_name="Người nộp",
        channel=channel,
        processing_days=procedure.processing_days,
        received_at=received,
        due_at=due,
        resolved_at=resolved,
        ended_at=ended,
        state=state,
        **extra,
    )


def receive(officer, unit, procedure, name, at, **details):
    """A dossier received at the desk by `officer`, as the form does it (Dossier.receive: its code, due time, event)."""
    return Dossier.receive(unit=unit, procedure=procedure, applicant_name=name, received_at=at, by=officer, **details)


class DeadlineCounts(NamedTuple):
    due_today: int
    due_tomorrow: int  # due by the end of the next working day
    overdue: int

    @property
    def total(self):
        return self.due_today + self.due_tomorrow + self.overdue


def deadline_counts(user, now=None):
    """What the Today page and the header badge count for a user (cases.desk.outcome over access.watched_dossiers)."""
    counts = outcome.deadline_counts(access.watched_dossiers(user), outcome.horizons(now))
    return DeadlineCounts(counts[outcome.DUE_TODAY], counts[outcome.DUE_SOON], counts[outcome.OVERDUE])


def pytest_configure(config):
    """The suite reads static files from the source folders: hashed names need `collectstatic` first (make run
    does it; tests/cases/test_startup.py checks the served, hashed files)."""
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}, WHITENOISE_USE_FINDERS=True).enable()


@pytest.fixture(autouse=True, scope="session")
def _services_are_real(django_db_setup, django_db_blocker):
    """In CI the suite must run on PostgreSQL: fail loudly rather than quietly test SQLite."""
    if os.environ.get("CI") == "true":
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", "CI must run the suite on PostgreSQL (DATABASE_URL)"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The production hasher takes ~0,3 s a password on purpose; tests only need a hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def eager(settings):
    """Tasks run where they are sent (in the test's process), so a test sees what they did."""
    settings.CELERY_TASK_ALWAYS_EAGER = True  # Celery reads the Django settings (namespace CELERY) when asked


@pytest.fixture
def units(db):
    province = Unit.objects.create(
        code="DB", name="UBND tỉnh Điện Biên", level=Level.PROVINCE, kind=UnitKind.PEOPLES_COMMITTEE
    )
    district = Unit.objects.create(
        code="DBD",
        name="UBND huyện Điện Biên Đông",
        level=Level.DISTRICT,
        kind=UnitKind.PEOPLES_COMMITTEE,
        parent=province,
        place_name="Điện Biên Đông",
    )
    economy = Unit.objects.create(
        code="DBD-KTHT", name="Phòng Kinh tế - Hạ tầng", level=Level.DISTRICT, kind=UnitKind.OFFICE, parent=district
    )
    pu_hong = Unit.objects.create(
        code="DBD-PH", name="UBND xã Pú Hồng", level=Level.COMMUNE, kind=UnitKind.COMMUNE, parent=district
    )
    keo_lom = Unit.objects.create(
        code="DBD-KL", name="UBND xã Keo Lôm", level=Level.COMMUNE, kind=UnitKind.COMMUNE, parent=district
    )
    phinh_giang = Unit.objects.create(
        code="DBD-PG", name="UBND xã Phình Giàng", level=Level.COMMUNE, kind=UnitKind.COMMUNE, parent=district
    )
    krong_no = Unit.objects.create(
        code="KN", name="UBND huyện Krông Nô", level=Level.DISTRICT, kind=UnitKind.PEOPLES_COMMITTEE
    )
    return {
        "province": province,
        "district": district,
        "economy": economy,
        "pu_hong": pu_hong,
        "keo_lom": keo_lom,
        "phinh_giang": phinh_giang,
        "krong_no": krong_no,
    }


@pytest.fixture
def procedures(db):
    civil = Field.objects.create(name="Hộ tịch")
    land = Field.objects.create(name="Đất đai")
    return {
        "marriage": Procedure.objects.create(
            code="1.000894",
            name="Thủ tục đăng ký kết hôn",
            field=civil,
            processing_days=0,
            online_level=OnlineLevel.PARTIAL,
            level=Level.COMMUNE,
            added_by_hand=True,
        ),
        "guardian": Procedure.objects.create(
            code="1.004837",
            name="Thủ tục đăng ký giám hộ",
            field=civil,
            processing_days=3,
            online_level=OnlineLevel.PARTIAL,
            level=Level.COMMUNE,
        ),
        "land": Procedure.objects.create(
            code="1.003003",
            name="Thủ tục hòa giải tranh chấp đất đai",
            field=land,
            processing_days=5,
            online_level=OnlineLevel.NONE,
            level=Level.COMMUNE,
        ),
    }


def _user(django_user_model, username, unit=None, role=None, **extra):
    user = django_user_model.objects.create_user(username=username, password=PASSWORD, **extra)
    if unit is not None:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def cast(units, django_user_model):
    """One user per role: desk officers of Pú Hồng and Keo Lôm, the district office, Nội vụ, an admin, an outsider."""
    return {
        "desk_pu_hong": _user(django_user_model, "motcua.puhong", units["pu_hong"], Role.DESK, first_name="Lò Văn A"),
        "desk_keo_lom": _user(django_user_model, "motcua.keolom", units["keo_lom"], Role.DESK, first_name="Vàng Thị B"),
        "office": _user(django_user_model, "vanphong.dbd", units["district"], Role.OFFICE),
        "home_affairs": _user(django_user_model, "noivu.dbd", units["district"], Role.HOME_AFFAIRS),
        "admin": _user(django_user_model, "quantri", is_staff=True, is_superuser=True),
        "outsider": _user(django_user_model, "motcua.krongno", units["krong_no"], Role.DESK),
    }


@pytest.fixture
def officials(cast, units, django_user_model):
    """Who performs the steps of an internal process: Pú Hồng's specialist and leader, and a specialist of the
    district's Phòng Kinh tế - Hạ tầng (another unit: liên thông)."""
    return {
        "specialist": _user(
            django_user_model, "chuyenvien.puhong", units["pu_hong"], Role.SPECIALIST, first_name="Quàng Văn Chuyên"
        ),
        "leader": _user(django_user_model, "lanhdao.puhong", units["pu_hong"], Role.LEADER, first_name="Lò Thị Lãnh"),
        "economy": _user(
            django_user_model, "chuyenvien.ktht", units["economy"], Role.SPECIALIST, first_name="Cà Văn Hạ"
        ),
    }


def make_process(procedure, unit, steps):
    """An internal process: steps as (name, performer, unit of a liên thông step or None, hours), numbered in order."""
    process = Process.objects.create(procedure=procedure, unit=unit)
    for number, (name, performer, performer_unit, hours) in enumerate(steps, start=1):
        ProcessStep.objects.create(
            process=process, number=number, name=name, performer=performer, performer_unit=performer_unit, hours=hours
        )
    return process


@pytest.fixture
def linked(procedures, units):
    """Pú Hồng's process of the land procedure (40 working hours) with a step at Phòng Kinh tế - Hạ tầng."""
    return make_process(
        procedures["land"], units["pu_hong"],
        [
            ("Tiếp nhận", Performer.DESK, None, 4),
            ("Thẩm định tại Phòng Kinh tế - Hạ tầng", Performer.OTHER_UNIT, units["economy"], 28),
            ("Lãnh đạo ký", Performer.LEADER, None, 4),
            ("Trả kết quả", Performer.DESK, None, 4),
        ],
    )  # fmt: skip


@pytest.fixture
def five_steps(procedures, units):
    """Pú Hồng's process of the land procedure through all four kinds of performer: the desk receives (4 h), the
    specialists appraise (16 h), Phòng Kinh tế - Hạ tầng gives its opinion (liên thông, 12 h), the leader signs
    (4 h), the desk returns the result (4 h)."""
    return make_process(
        procedures["land"], units["pu_hong"],
        [
            ("Tiếp nhận hồ sơ", Performer.DESK, None, 4),
            ("Thẩm định hồ sơ", Performer.SPECIALIST, None, 16),
            ("Lấy ý kiến Phòng Kinh tế - Hạ tầng", Performer.OTHER_UNIT, units["economy"], 12),
            ("Lãnh đạo ký", Performer.LEADER, None, 4),
            ("Trả kết quả", Performer.DESK, None, 4),
        ],
    )  # fmt: skip


# --- shared dossiers --------------------------------------------------------------------------------------
# Friday 08/03/2024 before the desk opens; the next working day is Monday 11/03.
FRIDAY_MORNING = vn(2024, 3, 8, 6, 45)


def friday_dossiers(units, procedures):
    """Pú Hồng's and Keo Lôm's open dossiers as the desk finds them on Friday 08/03/2024."""
    ph, kl, land = units["pu_hong"], units["keo_lom"], procedures["land"]
    return {
        "today": make("PH-TODAY", ph, land, vn(2024, 3, 1, 10), vn(2024, 3, 8, 10)),
        "monday": make("PH-MONDAY", ph, land, vn(2024, 3, 4, 9), vn(2024, 3, 11, 9)),
        "tuesday": make("PH-TUESDAY", ph, land, vn(2024, 3, 5, 9), vn(2024, 3, 12, 9)),
        "overdue": make("PH-OVERDUE", ph, land, vn(2024, 2, 28, 9), vn(2024, 3, 6, 17)),
        "late": make("PH-LATE", ph, land, vn(2024, 2, 27, 9), vn(2024, 3, 5, 9), resolved=vn(2024, 3, 7, 9)),
        "refused": make(
            "PH-REFUSED",
            ph,
            land,
            vn(2024, 2, 20, 9),
            vn(2024, 2, 27, 9),
            ended=vn(2024, 2, 21, 9),
            state=State.REFUSED,
        ),  # fmt: skip
        "keo_lom": make("KL-OVERDUE", kl, land, vn(2024, 2, 29, 9), vn(2024, 3, 7, 17)),
    }


@pytest.fixture
def friday(units, procedures):
    return friday_dossiers(units, procedures)


# A hand-counted month: March 2024 at Pú Hồng, with Keo Lôm next door.
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
