"""python manage.py demo_accounts: one demo login per role (idempotent)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cases.catalogue.models import Unit
from cases.core.formats import day, number
from cases.desk.models import Dossier, Membership
from cases.desk.states import Role

DEMO_PASSWORD = "motcua@2026"

# username, unit code (None: no unit), role (None: superuser only), family and middle name, given name.
# Django shows get_full_name() as "first last", so first_name holds "họ và tên đệm" and last_name "tên":
# the receipt then reads "Giàng A Sử", in Vietnamese order.
ACCOUNTS = (
    ("motcua.puhong", "DBD-PH", Role.DESK, "Giàng A", "Sử"),
    # Who performs Pú Hồng's internal process after the desk: a specialist (công chức chuyên môn) and the leader.
    ("chuyenvien.puhong", "DBD-PH", Role.SPECIALIST, "Quàng Thị", "Hoa"),
    ("lanhdao.puhong", "DBD-PH", Role.LEADER, "Mùa A", "Tủa"),
    ("motcua.keolom", "DBD-KL", Role.DESK, "Vàng Thị", "Mai"),
    ("vanphong.dbd", "DBD", Role.OFFICE, "Nguyễn Văn", "Thắng"),
    ("noivu.dbd", "DBD", Role.HOME_AFFAIRS, "Lò Thị", "Hương"),
    ("quantri", None, None, "Trần Minh", "Đức"),
)


class Command(BaseCommand):
    help = "Tạo (hoặc cập nhật) các tài khoản trình diễn, mỗi vai trò một tài khoản, cùng mật khẩu trình diễn."

    def handle(self, *args, **options):
        codes = sorted({code for _, code, *_ in ACCOUNTS if code})
        units = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in units]
        if missing:
            raise CommandError(f"Chưa có đơn vị {', '.join(missing)}. Hãy chạy «python manage.py load_fixtures» trước.")
        users = get_user_model()
        rows = []
        # One hash for all (the password is printed anyway); hashing is the slow part of this command.
        password_hash = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            for username, code, role, family, given in ACCOUNTS:
                user, created = users.objects.get_or_create(username=username)
                user.first_name, user.last_name = family, given
                user.is_active = True
                user.is_staff = user.is_superuser = role is None
                user.password = password_hash
                user.save()
                unit = units.get(code)
                label = role.label if role else "Quản trị hệ thống (superuser)"
                rows.append((username, label, unit, created))
                # The unit's successors after a merger (the 2025 reform): the officer moved with the work.
                for held in _with_successors(unit):
                    Membership.objects.get_or_create(user=user, unit=held, role=role)
                    if held != unit:
                        rows.append((username, f"{label}, từ {day(held.valid_from)}" if held.valid_from else label,
                                     held, False))  # fmt: skip
            assigned = self._give_unassigned_dossiers()

        write_logins(self.stdout.write, self.style.WARNING, [(u, label, unit) for u, label, unit, _ in rows])
        created = sum(1 for *_, was_created in rows if was_created)
        accounts = len(ACCOUNTS)
        self.stdout.write(f"Tạo mới {created} tài khoản, cập nhật {accounts - created} tài khoản.")
        for username, unit, count in assigned:
            self.stdout.write(f"Giao {number(count)} hồ sơ chưa có người xử lý của {unit.name} cho {username}.")

    @staticmethod
    def _give_unassigned_dossiers():
        """Demo dossiers seeded before these accounts existed get a desk officer, so per-official figures show."""
        assigned = []
        for username, code, role, *_ in ACCOUNTS:
            if role != Role.DESK:
                continue
            user = get_user_model().objects.get(username=username)
            for unit in _with_successors(Unit.objects.get(code=code)):
                unit_dossiers = Dossier.objects.filter(unit=unit)
                count = unit_dossiers.filter(handler__isnull=True).update(handler=user)
                unit_dossiers.filter(received_by__isnull=True).update(received_by=user)
                if count:
                    assigned.append((username, unit, count))
        return assigned


def _with_successors(unit):
    """The unit and the units it was merged into, in order (none when there is no unit)."""
    chain = []
    while unit is not None and unit not in chain:
        chain.append(unit)
        unit = unit.merged_into
    return chain


def write_logins(write, warn, rows):
    """The demo logins as a table, after a warning: [(username, role label, unit or None)]."""
    write(warn(
        f"CẢNH BÁO: đây là các tài khoản TRÌNH DIỄN, dùng chung mật khẩu «{DEMO_PASSWORD}». "
        "Không dùng trên máy chủ thật; hãy xóa hoặc đổi mật khẩu trước khi đưa vào sử dụng."
    ))  # fmt: skip
    header = ("Tên đăng nhập", "Mật khẩu", "Vai trò", "Đơn vị")
    table = [header] + [
        (username, DEMO_PASSWORD, label, f"{unit.name} ({unit.code})" if unit else "—")
        for username, label, unit in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            write("  ".join("-" * width for width in widths))


def demo_login_rows():
    """The demo accounts as they stand in the database (those deleted since are left out), one row per unit."""
    names = [account[0] for account in ACCOUNTS]
    memberships = {}
    for m in Membership.objects.filter(user__username__in=names).select_related("user", "unit").order_by("unit__path"):
        memberships.setdefault(m.user.username, []).append(m)
    users = set(get_user_model().objects.filter(username__in=names).values_list("username", flat=True))
    rows = []
    for username, _code, role, *_ in ACCOUNTS:
        if username in users:
            label = role.label if role else "Quản trị hệ thống (superuser)"
            held = memberships.get(username) or [None]
            rows += [(username, label, membership.unit if membership else None) for membership in held]
    return rows
