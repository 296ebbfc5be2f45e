"""The fixed cast: Điện Biên province › Điện Biên Đông district › its office and communes, and one user per role.

Pú Hồng and Keo Lôm are communes of the district (seed 000); the district office (Văn phòng HĐND&UBND) and
Phòng Nội vụ see everything under the district; the outsider belongs to Krông Nô.
"""

import os
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from cases.desk import access, outcome
from cases.models import Channel, Dossier, Field, Level, Membership, OnlineLevel, Procedure, Role, State, Unit, UnitKind

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
