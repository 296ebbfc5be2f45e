"""Demo dossiers: deterministic, realistic, fast to write (`seed_demo`, `bench/seed.py`).

The same count, seed and as-of moment give the same rows on an empty database. What the letters in the seeds
describe is reproduced unit by unit: busy and quiet communes; a few units mostly online, many barely, some not at
all (seed 003's communes at 0%, Đắk Sôr in seed 002); most units 95–99% on time, a few below the 95% target, one
or two clearly bad (the land registry branch, Đắk Sôr); dossiers left hanging at the natural resources office.
Due times come from the working-time calendar, loaded once. Rows go in by COPY on PostgreSQL and by
bulk_create elsewhere, in batches, inside one transaction.
"""

import heapq
import math
import random
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock

from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone

from cases.catalogue.calendar import calendar as load_calendar
from cases.catalogue.models import Level, OnlineLevel, Procedure, Unit, UnitKind
from cases.core.copy import analyze_after, bulk_insert
from cases.core.formats import number, percent
from cases.core.text import fold
from cases.desk.models import ClockStop, Dossier, DossierEvent, DossierStep, Membership
from cases.desk.process import left_by
from cases.desk.states import EVENT_FIELDS, Channel, EventKind, PauseKind, Role, State, payload
from reports.figures.counters import rate

from .steps import StepMaker

# --- people and places ------------------------------------------------------------------------------
KINH_FAMILY = (
    ("Nguyễn", 30), ("Trần", 10), ("Lê", 8), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Phan", 3), ("Đặng", 3),
    ("Bùi", 3), ("Đỗ", 3), ("Hồ", 2), ("Ngô", 2), ("Dương", 2), ("Lý", 1), ("Trịnh", 1), ("Đinh", 1), ("Hà", 1),
    ("Lương", 1), ("Mai", 1), ("Tạ", 1),
)  # fmt: skip
KINH_MIDDLE = {
    "m": ("Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Xuân", "Ngọc", "Đình", "Mạnh", "Tiến"),
    "f": ("Thị", "Thị", "Thị", "Thị", "Thu", "Ngọc", "Thanh", "Minh", "Hồng", "Phương", "Thùy", "Kim"),
}
KINH_GIVEN = {
    "m": (
        "Anh", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Huy", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn",
        "Thắng", "Thành", "Trung", "Tuấn", "Việt", "Hiếu", "Tùng", "Lâm", "Tài", "Hoàng", "Kiên", "Toàn", "Vinh",
    ),
    "f": (
        "Anh", "Chi", "Dung", "Hà", "Hạnh", "Hằng", "Hoa", "Huyền", "Hương", "Lan", "Linh", "Loan", "Mai", "Nga",
        "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Tuyết", "Vân", "Yến", "Thu", "Hiền", "Nhàn",
    ),
}  # fmt: skip
# H'Mông: men "<clan> A <name>" (Giàng A Páo), women "<clan> Thị <name>" (Vàng Thị Mỷ).
HMONG_FAMILY = ("Giàng", "Vàng", "Sùng", "Mùa", "Lầu", "Thào", "Hạng", "Lý", "Cứ", "Chá", "Tráng", "Sình", "Vừ", "Hờ")
HMONG_GIVEN = {
    "m": ("Páo", "Chứ", "Dế", "Sử", "Lử", "Tủa", "Pó", "Chơ", "Dính", "Súa", "Cở", "Say", "Sếnh", "Chua", "Khua",
          "Nhè", "Tếnh", "Lồng", "Phừ", "Xà", "Chía", "Thề"),
    "f": ("Mỷ", "Dua", "Pà", "Chở", "Ly", "Dợ", "Sua", "Mai", "Súa", "Nhìa", "Chu", "Máy", "Dở", "Xua", "Dia", "Say"),
}  # fmt: skip
THAI_FAMILY = ("Lò", "Lò", "Lường", "Quàng", "Cà", "Tòng", "Điêu", "Vì", "Lưu", "Cầm", "Bạc", "Lèo")
THAI_GIVEN = {
    "m": ("Khăm", "Ơn", "Phanh", "Xôm", "Ban", "Thoong", "Muôn", "Pọm", "Chăn", "Bun", "Inh", "Panh", "Sáng", "Hom",
          "Tính", "Duẩn", "Chiến", "Hiêng"),
    "f": ("Hương", "Ỏn", "Xuân", "Kim", "Phương", "Ban", "Ính", "Thoa", "Lả", "Hiên", "Thiêm", "Lún", "Pọm", "Ón"),
}  # fmt: skip
# Thái and Mường of western Thanh Hóa: their own family names with the usual middle and given names.
THANH_MINORITY_FAMILY = ("Lò", "Lang", "Vi", "Hà", "Lương", "Ngân", "Lục", "Cầm", "Bùi", "Quách", "Đinh", "Phạm")
# Ê Đê of the Central Highlands: "Y <name> <clan>" for men, "H'<name> <clan>" for women.
EDE_FAMILY = ("Niê", "Êban", "Mlô", "Ksơr", "Byă", "Adrơng", "Êya", "Buôn Yă")
EDE_GIVEN = {
    "m": ("Moan", "Bhiêr", "Kông", "Thinh", "Nguôn", "Sơn", "Huê", "Bluin", "Khuê", "Djhang"),
    "f": ("Hen", "Nhi", "Dung", "Mai", "Linh", "Loan", "Juin", "Zawut", "Bliu", "Ni"),
}
TAY_NUNG_FAMILY = ("Hoàng", "Nông", "Lục", "Triệu", "Lăng", "Ma", "Vi", "Nông", "Lương")
COMPANIES = (
    "Công ty TNHH Xây dựng Thành Đạt", "Công ty TNHH MTV Thương mại Hoàng Long", "Công ty CP Đầu tư Phú An",
    "Hợp tác xã Nông nghiệp Tân Tiến", "Công ty TNHH Vận tải Bình Minh", "Công ty CP Xây lắp Điện Sơn Hà",
    "Doanh nghiệp tư nhân Minh Phát", "Hợp tác xã Dịch vụ Nông nghiệp Đoàn Kết", "Công ty TNHH Gỗ Việt Hưng",
    "Công ty CP Thủy điện Nậm Ngam", "Công ty TNHH Cà phê Đắk Mil", "Công ty TNHH Sản xuất và Thương mại An Phú",
)  # fmt: skip
PHONE_PREFIXES = (
    "086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039", "088", "091", "094", "083",
    "084", "085", "081", "082", "070", "076", "077", "078", "079", "089", "090", "093", "056", "058",
)  # fmt: skip
HAMLETS = {
    "dien_bien": ("Bản", (
        "Huổi Sông", "Pá Vời", "Háng Tầu", "Tà Dê", "Pú Nhất", "Sư Lư", "Phì Cao", "Trống Giông", "Huổi Tao",
        "Nậm Ngám", "Tìa Ghềnh", "Ca Dính", "Xá Nhè", "Pu Cai", "Chua Ta", "Trung Phìn", "Háng Lìa", "Pá Pao",
        "Suối Lư", "Pá Vạt", "Co Cượm", "Mường Tỉnh", "Nà Phát", "Huổi Hoa",
    )),
    "tay_nguyen": ("Thôn", (
        "Nam Tân", "Quảng Hà", "Đắk Hoa", "Nam Dao", "Thanh Thái", "Nam Thạnh", "Đắk Rền", "Nam Xuân", "Quảng Tân",
        "Đắk Sơn", "Buôn Choáh", "Bon Broih", "Buôn Ja Răh", "Bon Phi Mur",
    )),
    "thanh_hoa": ("Thôn", (
        "Tân Hòa", "Đồng Mươn", "Xuân Thành", "Thanh Tân", "Đồng Quan", "Cốc", "Hợp Thành", "Làng Lửa", "Làng Sống",
        "Làng Khong", "Đồng Lách", "Tân Thắng", "Quyết Thắng", "Cao Sơn",
    )),
    "kinh": ("Thôn", (
        "Đông", "Đoài", "Trung", "Thượng", "Nhân Hòa", "Bần", "Lỗ Xá", "Yên Tập", "Phan Bôi", "Dị Sử", "Nguyễn Xá",
        "Lực Điền", "Ngọc Lập", "Tân Phong",
    )),
}  # fmt: skip
# Who lives where: (weight, naming style).
REGION_PEOPLE = {
    "dien_bien": ((55, "hmong"), (25, "thai"), (20, "kinh")),
    "tay_nguyen": ((60, "kinh"), (20, "ede"), (20, "tay_nung")),
    "thanh_hoa": ((50, "kinh"), (50, "thanh_minority")),
    "kinh": ((100, "kinh"),),
}
REGION_KEYS = (
    ("dien bien", "dien_bien"), ("krong", "tay_nguyen"), ("dak ", "tay_nguyen"), ("dak nong", "tay_nguyen"),
    ("nhu xuan", "thanh_hoa"), ("thanh hoa", "thanh_hoa"),
)  # fmt: skip

# --- how units behave (DOMAIN.md, the seeds) -----------------------------------------------------------
ZERO_ONLINE_COMMUNES = (
    "cat van", "xuan binh", "xuan hoa", "hoa quy", "cat tan", "tan binh", "thuong ninh", "thanh phong", "thanh xuan",
    "thanh hoa", "dak sor",
)  # fmt: skip
HIGH_ONLINE_COMMUNES = ("yen cat", "thanh son", "thanh lam")
MID_ONLINE_COMMUNES = ("bai tranh", "thanh quan", "binh luong")
TINY_ONLINE_COMMUNES = ("duc xuyen",)
# Seed 000's communes, where the demo desk accounts log in.
DEMO_STAGE = ("pu hong", "keo lom", "phinh giang")
BAD_ON_TIME = ("dang ky dat dai", "vpdkdd", "dak sor")
HANGING = ("tai nguyen va moi truong", "tn&mt", "tnmt")
# An office handles the procedures of its own fields (folded name fragments → folded field fragments).
OFFICE_FIELDS = (
    (("tu phap",), ("ho tich", "chung thuc", "cong chung", "luat su", "tro giup phap ly", "nuoi con nuoi",
                    "hoa giai", "thi hanh an", "quoc tich")),
    (("dang ky dat dai", "tai nguyen", "moi truong"), ("dat dai", "bien phap bao dam", "tai nguyen", "moi truong")),
    (("lao dong", "xa hoi"), ("bao tro", "nguoi co cong", "lao dong", "viec lam", "bhxh", "tre em", "cai nghien")),
    (("kinh te", "ha tang", "xay dung", "quan ly do thi", "cong thuong"), (
        "xay dung", "kien truc", "bat dong san", "quy hoach", "ha tang", "duong bo", "nha o", "cong trinh")),
    (("tai chinh", "ke hoach", "dau tu"), ("doanh nghiep", "dau tu", "hop tac xa", "kinh te hop tac", "thue")),
    (("noi vu",), ("thi dua", "khen thuong", "ton giao", "noi vu", "cong chuc", "van thu")),
    (("nong nghiep",), ("thu y", "trong trot", "chan nuoi", "lam nghiep", "thuy loi", "thuy san", "nong thon")),
    (("cong an",), ("xuat nhap canh", "can cuoc", "cu tru", "phong chay", "con dau", "vu khi", "an ninh",
                    "phuong tien giao thong", "dinh danh")),
    (("van hoa", "thong tin"), ("van hoa", "the thao", "du lich", "gia dinh", "bao chi", "xuat ban")),
    (("giao duc",), ("giao duc", "dao tao")),
    (("y te",), ("y te", "duoc", "kham benh")),
)  # fmt: skip
# At a commune desk certification and civil status dominate.
COMMUNE_FIELD_WEIGHTS = (("chung thuc", 6), ("ho tich", 5), ("cu tru", 3), ("dat dai", 2), ("bao tro", 2),
                         ("bhxh", 1.5), ("thue", 0.5))  # fmt: skip
PAPERS = (
    ("ho tich", "Tờ khai theo mẫu; Giấy tờ tùy thân; Giấy tờ chứng minh nơi cư trú"),
    ("chung thuc", "Bản chính giấy tờ; Bản sao cần chứng thực"),
    ("dat dai", "Đơn đăng ký biến động đất đai; Giấy chứng nhận quyền sử dụng đất (bản gốc); Hợp đồng chuyển nhượng"),
    ("xay dung", "Đơn đề nghị cấp giấy phép xây dựng; Bản vẽ thiết kế; Giấy tờ về quyền sử dụng đất"),
    ("doanh nghiep", "Giấy đề nghị đăng ký; Điều lệ; Danh sách thành viên; Bản sao giấy tờ pháp lý"),
    ("bao tro", "Tờ khai đề nghị trợ giúp xã hội; Bản sao giấy khai sinh; Giấy xác nhận khuyết tật"),
)
DEFAULT_PAPERS = "Đơn đề nghị; Bản sao giấy tờ tùy thân; Các giấy tờ khác theo quy định"
MISSING_PAPERS = (
    "Bản sao Giấy khai sinh", "Bản sao Căn cước công dân của người được ủy quyền", "Giấy xác nhận tình trạng hôn nhân",
    "Sơ đồ thửa đất có xác nhận của trưởng thôn, bản", "Văn bản ủy quyền có chứng thực",
    "Bản chính Giấy chứng nhận quyền sử dụng đất", "Tờ khai bổ sung thông tin còn thiếu chữ ký",
)  # fmt: skip
SUPPLEMENT_REASON = "Hồ sơ chưa đầy đủ thành phần theo quy định"
PAUSE_REASONS = (
    "Chờ kết quả xác minh của cơ quan liên quan", "Chờ ý kiến thẩm định của phòng chuyên môn",
    "Tạm dừng theo đề nghị của người nộp hồ sơ",
)  # fmt: skip
REFUSE_REASONS = (
    "Hồ sơ không thuộc thẩm quyền giải quyết của đơn vị",
    "Thông tin kê khai không khớp với Cơ sở dữ liệu quốc gia về dân cư",
    "Không đủ điều kiện giải quyết theo quy định",
)
LAPSED_SUPPLEMENT = "Người nộp không bổ sung hồ sơ trong thời hạn đã hẹn"
WITHDRAW_REASONS = (
    "Người nộp xin rút hồ sơ để hoàn thiện thêm giấy tờ", "Người nộp không còn nhu cầu giải quyết",
    "Nộp nhầm thủ tục, xin rút để nộp lại",
)  # fmt: skip
# More before Tết and at the end of the year, fewer in the Tết month.
MONTH_FACTOR = {1: 1.15, 2: 0.8, 3: 1.05, 4: 1.0, 5: 0.95, 6: 1.0, 7: 1.0, 8: 1.05, 9: 0.95, 10: 1.05, 11: 1.05,
                12: 1.2}  # fmt: skip
WEEKDAY_FACTOR = (1.25, 1.1, 1.0, 1.0, 0.9, 0.6, 0.6)  # a worked Saturday or Sunday is quieter


class NothingToSeed(Exception):
    """No unit can receive dossiers in the window (no units, no procedures, or all outside their validity)."""


@dataclass
class Profile:
    """How one unit behaves in the demo."""

    unit: Unit
    weight: float
    online: float  # share of online-capable dossiers submitted online, at the end of the window
    postal: float
    on_time: float
    hanging: float  # share of late dossiers left hanging for weeks or months
    refuse: float
    withdraw: float
    supplement: float
    pause: float
    returned: float
    papers_digitized: float
    result_digitized: float
    company: float
    procedures: list = field(default_factory=list)
    procedure_cw: list = field(default_factory=list)
    desk_users: list = field(default_factory=list)
    people: tuple = ()
    localities: list = field(default_factory=list)  # (hamlet prefix, hamlets, "xã …, huyện …, tỉnh …")
    window: tuple = (0, 0)  # day indexes [first, last) of the generator's day table


@dataclass
class Summary:
    dossiers: int = 0
    units: int = 0
    events: int = 0
    clock_stops: int = 0
    steps: int = 0
    steps_late: int = 0  # finished after their due time, or still held past it
    sent_back: int = 0  # dossiers sent back to an earlier step
    states: Counter = field(default_factory=Counter)
    channels: Counter = field(default_factory=Counter)
    early_or_on_time: int = 0
    late: int = 0
    open_overdue: int = 0
    start: datetime = None
    as_of: datetime = None
    seconds: float = 0.0
    method: str = ""
    skipped: bool = False

    @property
    def resolved(self):
        return self.early_or_on_time + self.late


KINH_ONLY = ((100, "kinh"),)


def person_name(rng, people):
    """A name as people of the place are named: `people` is a region's (weight, naming style) list."""
    style = rng.choices([s for _, s in people], [w for w, _ in people])[0]
    sex = "m" if rng.random() < 0.55 else "f"
    if style == "hmong":
        return f"{rng.choice(HMONG_FAMILY)} {'A' if sex == 'm' else 'Thị'} {rng.choice(HMONG_GIVEN[sex])}"
    if style == "thai":
        return f"{rng.choice(THAI_FAMILY)} {'Văn' if sex == 'm' else 'Thị'} {rng.choice(THAI_GIVEN[sex])}"
    if style == "ede":
        given = rng.choice(EDE_GIVEN[sex])
        return f"Y {given} {rng.choice(EDE_FAMILY)}" if sex == "m" else f"H'{given} {rng.choice(EDE_FAMILY)}"
    family = {"kinh": None, "tay_nung": TAY_NUNG_FAMILY, "thanh_minority": THANH_MINORITY_FAMILY}.get(style)
    if family is None:
        family_name = rng.choices([f for f, _ in KINH_FAMILY], [w for _, w in KINH_FAMILY])[0]
    else:
        family_name = rng.choice(family)
    return f"{family_name} {rng.choice(KINH_MIDDLE[sex])} {rng.choice(KINH_GIVEN[sex])}"


def _pct(part, whole):
    return percent(rate(part, whole))


def summary_text(s):
    """The Vietnamese summary the command prints."""
    if s.skipped:
        return "Cơ sở dữ liệu đã có hồ sơ: không tạo thêm hồ sơ mẫu (--if-empty)."
    states = s.states
    received = max(s.dossiers, 1)
    lines = [
        f"Đã tạo {number(s.dossiers)} hồ sơ mẫu tại {number(s.units)} đơn vị, tiếp nhận từ {s.start:%d/%m/%Y} "
        f"đến trước {s.as_of:%H:%M %d/%m/%Y}.",
        f"  Hình thức nộp: trực tuyến {_pct(s.channels[Channel.ONLINE], received)}, trực tiếp "
        f"{_pct(s.channels[Channel.DIRECT], received)}, bưu chính {_pct(s.channels[Channel.POSTAL], received)}.",
        f"  Đã có kết quả {number(s.resolved)} hồ sơ (đúng hạn và trước hạn {_pct(s.early_or_on_time, s.resolved)}, "
        f"quá hạn {number(s.late)}); đã trả kết quả {number(states[State.RETURNED])}.",
        f"  Đang giải quyết {number(states[State.PROCESSING] + states[State.SUPPLEMENT] + states[State.PAUSED])} hồ sơ "
        f"(quá hạn {number(s.open_overdue)}; chờ bổ sung {number(states[State.SUPPLEMENT])}; "
        f"tạm dừng {number(states[State.PAUSED])}); từ chối {number(states[State.REFUSED])}; "
        f"rút {number(states[State.WITHDRAWN])}.",
        f"  Diễn biến hồ sơ: {number(s.events)}; lần dừng tính thời hạn: {number(s.clock_stops)}.",
        f"  Bước xử lý theo quy trình nội bộ: {number(s.steps)} (quá hạn bước {number(s.steps_late)}); "
        f"{number(s.sent_back)} hồ sơ bị trả lại bước trước.",
        f"  Thời gian: {number(s.seconds, 1)} giây ({number(s.dossiers / s.seconds if s.seconds else 0)} hồ sơ/giây, "
        f"ghi bằng {s.method}).",
    ]
    return "\n".join(lines)


def _months_before(day, months):
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _has(text, fragments):
    return any(fragment in text for fragment in fragments)


def _ends_with_place(folded_name, places):
    return any(folded_name == place or folded_name.endswith(" " + place) for place in places)


def _locality_name(unit):
    """'UBND xã Pú Hồng' → 'xã Pú Hồng'; other names are kept."""
    name = unit.name.strip()
    return name[5:] if name.upper().startswith("UBND ") else name


class Generator:
    """Builds the rows; `run` writes them. Everything random comes from `random.Random` seeded per unit."""

    def __init__(self, count, seed=1, as_of=None, months=24, batch_size=5000, method=None, progress=None):
        self.count = count
        self.seed = seed
        self.months = months
        self.batch_size = batch_size
        self.progress = progress
        self.wc = load_calendar()
        self.tz = self.wc.tz
        if as_of is None:
            as_of = datetime.now(self.tz).date()
        if isinstance(as_of, datetime):
            self.as_of = as_of.astimezone(self.tz) if as_of.tzinfo else as_of.replace(tzinfo=self.tz)
        else:
            self.as_of = datetime.combine(as_of, clock.min, self.tz)
        self.start_day = _months_before(self.as_of.date(), months)
        self.start = datetime.combine(self.start_day, clock.min, self.tz)
        self.method = method or ("copy" if connection.vendor == "postgresql" else "bulk_create")
        self.wds = self.wc.working_day_seconds
        self.office_spans = [
            (start, (end.hour * 3600 + end.minute * 60) - (start.hour * 3600 + start.minute * 60))
            for start, end in self.wc.office_hours
        ]
        total = sum(length for _, length in self.office_spans)
        self.morning_share = min(1.0, 1.3 * self.office_spans[0][1] / total) if len(self.office_spans) > 1 else 1.0
        self.papers = {}

    # --- catalogue and units ------------------------------------------------------------------------------
    def _day_table(self):
        last = self.as_of.date() if self.as_of.time() > clock.min else self.as_of.date() - timedelta(days=1)
        days, direct = [], [0.0]
        day = self.start_day
        while day <= last:
            weight = WEEKDAY_FACTOR[day.weekday()] * MONTH_FACTOR[day.month] if self.wc.is_working_day(day) else 0.0
            days.append(day)
            direct.append(direct[-1] + weight)
            day += timedelta(days=1)
        self.days, self.direct_cw = days, direct

    def _region(self, unit, units_by_id):
        ids = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
        names = [fold(units_by_id[pk].name) for pk in ids if pk in units_by_id] + [fold(unit.name)]
        text = " ".join(names) + " "
        for fragment, region in REGION_KEYS:
            if fragment in text:
                return region
        return "kinh"

    @staticmethod
    def _place(unit, units_by_id):
        """'xã Pú Hồng, huyện Điện Biên Đông, tỉnh Điện Biên' from the unit and the committees above it."""
        ids = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
        chain = [units_by_id[pk] for pk in reversed(ids) if pk in units_by_id] or [unit]
        parts = [
            _locality_name(u)
            for u in chain
            if (u is chain[0] and u.level == Level.COMMUNE)
            or u.kind == UnitKind.PEOPLES_COMMITTEE
            or u.name.upper().startswith("UBND ")
        ]
        return ", ".join(parts)

    def _localities(self, unit, units_by_id, rng, region):
        """Where applicants live: the commune itself, or for an office the communes under its parent."""
        if unit.level == Level.COMMUNE:
            communes = [unit]
        else:
            parent = units_by_id.get(unit.parent_id)
            prefix_path = parent.path if parent else unit.path
            communes = sorted(
                (u for u in units_by_id.values() if u.level == Level.COMMUNE and u.path.startswith(prefix_path)),
                key=lambda u: u.code,
            )
            communes = rng.sample(communes, min(12, len(communes))) if communes else [unit]
        prefix, hamlets = HAMLETS[region]
        result = []
        for commune in communes:
            place = self._place(commune, units_by_id) if commune.level == Level.COMMUNE else ""
            if not place:
                place = self._place(units_by_id.get(unit.parent_id) or unit, units_by_id)
            if fold(commune.name).startswith(("ubnd thi tran", "ubnd phuong")):
                result.append(("Tổ dân phố", [str(n) for n in range(1, rng.randint(6, 14))], place))
            else:
                result.append((prefix, rng.sample(hamlets, min(len(hamlets), rng.randint(4, 8))), place))
        return result

    def _procedures_for(self, unit, by_level, rng):
        commune = unit.level == Level.COMMUNE
        pool = by_level["xa"] if commune else by_level["other"]
        pool = pool or by_level["all"]
        folded_name = fold(unit.name)
        if not commune:
            for unit_keys, field_keys in OFFICE_FIELDS:
                if _has(folded_name, unit_keys):
                    matched = [p for p in pool if _has(fold(p.field.name), field_keys)]
                    if matched:
                        pool = matched
                    break
        chosen = sorted(rng.sample(pool, min(len(pool), rng.randint(8, 30))), key=lambda p: p.code)
        weights = []
        for procedure in chosen:
            weight = rng.lognormvariate(0, 1.0)
            if commune:
                folded_field = fold(procedure.field.name)
                for fragment, boost in COMMUNE_FIELD_WEIGHTS:
                    if fragment in folded_field:
                        weight *= boost
                        break
            weights.append(weight)
        cw, total = [], 0.0
        for weight in weights:
            total += weight
            cw.append(total)
        return chosen, cw

    def _profile(self, unit, units_by_id, children, by_level, desk_users):
        rng = random.Random(f"{self.seed}:profile:{unit.code}")
        name = fold(unit.name)
        commune = unit.level == Level.COMMUNE
        has_children = bool(children.get(unit.pk))
        weight = rng.lognormvariate(0, 0.75 if commune else 0.9)
        if unit.kind == UnitKind.PEOPLES_COMMITTEE and has_children:
            weight *= 0.08  # a district or province committee receives few dossiers itself
        if _has(name, ("dang ky dat dai", "vpdkdd")):
            weight *= 2.5  # the land registry is the busiest desk of a district
        if commune and _ends_with_place(name, DEMO_STAGE):
            weight = max(weight, rng.uniform(1.8, 2.6))  # the demo logins work here: not a quiet commune
        # Online: a few units mostly online, many low, some none at all.
        draw = rng.random()
        if draw < 0.12:
            online = 0.0
        elif draw < 0.24:
            online = rng.uniform(0.72, 0.92)
        elif draw < 0.45:
            online = rng.uniform(0.3, 0.6)
        else:
            online = rng.uniform(0.03, 0.25)
        if commune and _ends_with_place(name, ZERO_ONLINE_COMMUNES):
            online = 0.0
        elif commune and _ends_with_place(name, HIGH_ONLINE_COMMUNES):
            online = rng.uniform(0.75, 0.9)
        elif commune and _ends_with_place(name, MID_ONLINE_COMMUNES):
            online = rng.uniform(0.35, 0.5)
        elif commune and _ends_with_place(name, TINY_ONLINE_COMMUNES):
            online = 0.004
        elif "noi vu" in name:
            online = rng.uniform(0.5, 0.75)
        # On time: most 95–99%, a few just under the 95% target, one or two clearly bad.
        draw = rng.random()
        if draw < 0.05:
            on_time = rng.uniform(0.8, 0.88)
        elif draw < 0.2:
            on_time = rng.uniform(0.915, 0.949)
        else:
            on_time = rng.uniform(0.955, 0.995)
        if _has(name, BAD_ON_TIME):
            on_time = rng.uniform(0.8, 0.86)
        elif _has(name, HANGING):
            on_time = rng.uniform(0.88, 0.93)
        procedures, cw = self._procedures_for(unit, by_level, rng)
        region = self._region(unit, units_by_id)
        return Profile(
            unit=unit,
            weight=weight,
            online=online,
            postal=rng.uniform(0.0, 0.006 if commune else 0.03),
            on_time=on_time,
            hanging=0.7 if _has(name, HANGING) else 0.08,
            refuse=rng.uniform(0.004, 0.012),
            withdraw=rng.uniform(0.002, 0.006),
            supplement=rng.uniform(0.01, 0.05),
            pause=rng.uniform(0.002, 0.008),
            returned=rng.uniform(0.88, 0.98),
            papers_digitized=rng.uniform(0.7, 0.99),
            result_digitized=rng.uniform(0.3, 0.5) if "lao dong" in name else rng.uniform(0.6, 0.97),
            company=0.01 if commune else rng.uniform(0.03, 0.15),
            procedures=procedures,
            procedure_cw=cw,
            desk_users=desk_users.get(unit.pk, []),
            people=REGION_PEOPLE[region],
            localities=self._localities(unit, units_by_id, rng, region),
        )

    def profiles(self):
        """One profile per unit that receives dossiers, with its share of the count."""
        self._day_table()
        units = list(Unit.objects.order_by("code"))
        units_by_id = {u.pk: u for u in units}
        children = defaultdict(list)
        for unit in units:
            children[unit.parent_id].append(unit)
        procedures = list(Procedure.objects.filter(active=True).select_related("field").order_by("code"))
        by_level = {
            "xa": [p for p in procedures if p.level == Level.COMMUNE],
            "other": [p for p in procedures if p.level in (Level.DISTRICT, Level.PROVINCE)],
            "all": procedures,
        }
        desk_users = defaultdict(list)
        for unit_id, user_id in (
            Membership.objects.filter(role=Role.DESK).order_by("user_id").values_list("unit_id", "user_id")
        ):
            desk_users[unit_id].append(user_id)
        receiving = [u for u in units if u.parent_id] or units
        result = []
        for unit in receiving:
            first = unit.valid_from if unit.valid_from and unit.valid_from > self.start_day else self.start_day
            lo = bisect_right(self.days, first - timedelta(days=1))
            hi = len(self.days) if unit.valid_to is None else bisect_right(self.days, unit.valid_to)
            if hi <= lo or self.direct_cw[hi] == self.direct_cw[lo] or not procedures:
                continue
            profile = self._profile(unit, units_by_id, children, by_level, desk_users)
            profile.window = (lo, hi)
            profile.weight *= (self.direct_cw[hi] - self.direct_cw[lo]) / (self.direct_cw[-1] or 1)
            result.append(profile)
        return result

    @staticmethod
    def allocate(count, profiles):
        """Split `count` by weight, largest remainders first (deterministic)."""
        total = sum(p.weight for p in profiles) or 1
        exact = [count * p.weight / total for p in profiles]
        shares = [math.floor(x) for x in exact]
        order = sorted(range(len(profiles)), key=lambda i: (-(exact[i] - shares[i]), profiles[i].unit.code))
        for i in order[: count - sum(shares)]:
            shares[i] += 1
        return shares

    # --- one unit's dossiers ------------------------------------------------------------------------------------
    def _pick_day(self, rng, lo, hi):
        """A day of the window [lo, hi), working days only, busier on Mondays and before Tết."""
        cw = self.direct_cw
        x = cw[lo] + rng.random() * (cw[hi] - cw[lo])
        return min(max(bisect_right(cw, x, lo + 1, hi + 1) - 1, lo), hi - 1)

    def _office_moment(self, rng, day):
        """A moment inside office hours; mornings are busier."""
        first = rng.random() < self.morning_share
        start, length = self.office_spans[0] if first else rng.choice(self.office_spans[1:] or self.office_spans)
        return datetime.combine(day, start, self.tz) + timedelta(seconds=rng.randrange(max(length - 60, 1)))

    def _received(self, rng, profile, online_capable):
        """Channel and moment of receipt; online submissions also come in the evening and at weekends."""
        lo, hi = profile.window
        for _ in range(10):
            index = self._pick_day(rng, lo, hi)
            day = self.days[index]
            trend = 0.75 + 0.4 * index / len(self.days)  # online grows over the months
            if online_capable and rng.random() < min(profile.online * trend, 0.97):
                channel = Channel.ONLINE
                if rng.random() < 0.3:
                    shift = rng.choice((0, 0, 0, 1, 2))
                    if index + shift < hi:
                        day = self.days[index + shift]
                    if shift and not self.wc.is_working_day(day):
                        moment = datetime.combine(day, clock(7), self.tz) + timedelta(seconds=rng.randrange(15 * 3600))
                    else:
                        moment = datetime.combine(day, clock(17), self.tz) + timedelta(seconds=rng.randrange(5 * 3600))
                else:
                    moment = self._office_moment(rng, day)
            else:
                channel = Channel.POSTAL if rng.random() < profile.postal else Channel.DIRECT
                moment = self._office_moment(rng, day)
            if moment < self.as_of:
                return channel, moment
        return channel, self.as_of - timedelta(minutes=1)

    def _applicant(self, rng, profile, procedure):
        name = rng.choice(COMPANIES) if rng.random() < profile.company else person_name(rng, profile.people)
        phone = "" if rng.random() < 0.05 else f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**7):07d}"
        prefix, hamlets, place = rng.choice(profile.localities)
        address = f"{prefix} {rng.choice(hamlets)}, {place}" if place else f"{prefix} {rng.choice(hamlets)}"
        return name, phone, address

    def unit_rows(self, profile, count, first_id, taken):
        """Yield (dossier row, events, clock stops, steps) for one unit, in order of receipt."""
        rng = random.Random(f"{self.seed}:{profile.unit.code}")
        # The steps draw from their own stream: the dossiers stay what they were before steps were drawn.
        steps_rng = random.Random(f"{self.seed}:steps:{profile.unit.code}")
        procs, cw = profile.procedures, profile.procedure_cw
        drafts = []
        for _ in range(count):
            procedure = procs[bisect_right(cw, rng.random() * cw[-1])]
            channel, received_at = self._received(rng, profile, procedure.online_level != OnlineLevel.NONE)
            drafts.append((received_at, procedure, channel))
        drafts.sort(key=lambda d: (d[0], d[1].code))
        sequence = Counter()
        code_prefix = profile.unit.code
        for offset, (received_at, procedure, channel) in enumerate(drafts):
            day_key = received_at.strftime("%y%m%d")
            sequence[day_key] += 1
            number = sequence[day_key] + taken.get(f"{code_prefix}-{day_key}-", 0)
            code = f"{code_prefix}-{day_key}-{number:04d}"
            row, events, stops = self._dossier(rng, profile, first_id + offset, code, procedure, channel, received_at)
            steps = self.step_maker.steps(steps_rng, row, stops, procedure)
            holding, handler = left_by(steps)
            row["holding_unit_id"] = holding
            if handler is not None:
                row["handler_id"] = handler
            yield row, events, stops, steps

    def _dossier(self, rng, p, pk, code, procedure, channel, received_at):
        wc, wds, as_of = self.wc, self.wds, self.as_of

        def add(moment, seconds):
            return wc.add_working_time(moment, int(seconds))  # whole seconds, as a desk would record them

        days = procedure.processing_days
        due = wc.due_at(received_at, days, procedure.same_day_cutoff)
        staff = p.desk_users
        handler = rng.choice(staff) if staff else None
        receiver = handler if len(staff) < 2 or rng.random() < 0.7 else rng.choice(staff)
        name, phone, address = self._applicant(rng, p, procedure)
        papers = self.papers.get(procedure.pk)
        if papers is None:
            folded_field = fold(procedure.field.name)
            papers = self.papers[procedure.pk] = next((t for k, t in PAPERS if k in folded_field), DEFAULT_PAPERS)
        row = {
            "id": pk, "code": code, "procedure_id": procedure.pk, "unit_id": p.unit.pk, "applicant_name": name,
            "applicant_phone": phone, "applicant_address": address, "channel": channel, "papers": papers,
            "processing_days": days, "received_at": received_at, "due_at": due, "due_at_given": False,
            "resolved_at": None, "returned_at": None, "ended_at": None, "state": State.PROCESSING,
            "clock_stopped_at": None, "overdue_since": None, "received_by_id": receiver, "handler_id": handler,
            "papers_digitized": rng.random() < p.papers_digitized, "result_digitized": False,
            "created_at": received_at, "updated_at": received_at,
        }  # fmt: skip
        events = []
        _step(row, events, EventKind.RECEIVED, received_at, receiver)
        stops = []
        total = max(wc.working_seconds_between(received_at, due), 60)
        start = received_at
        draw = rng.random()
        end_kind = None
        if draw < p.refuse + p.withdraw:
            end_kind = State.REFUSED if draw < p.refuse else State.WITHDRAWN
            ended = add(received_at, total * rng.uniform(0.05, 0.6))
            if ended < as_of:
                reason = rng.choice(REFUSE_REASONS if end_kind == State.REFUSED else WITHDRAW_REASONS)
                return self._end(row, events, stops, end_kind, ended, handler, reason)
        elif draw < p.refuse + p.withdraw + p.supplement + p.pause and days > 0:
            kind = PauseKind.SUPPLEMENT if draw < p.refuse + p.withdraw + p.supplement else PauseKind.PAUSE
            stopped = add(received_at, total * rng.uniform(0.1, 0.7))
            if stopped < as_of:
                missing = rng.choice(MISSING_PAPERS) if kind == PauseKind.SUPPLEMENT else ""
                reason = SUPPLEMENT_REASON if kind == PauseKind.SUPPLEMENT else rng.choice(PAUSE_REASONS)
                stop = {"dossier_id": pk, "kind": kind, "started_at": stopped, "ended_at": None, "reason": reason,
                        "missing_papers": missing, "working_seconds": None, "by_id": handler}  # fmt: skip
                stops.append(stop)
                requested = EventKind.SUPPLEMENT_REQUESTED if kind == PauseKind.SUPPLEMENT else EventKind.PAUSED
                _step(row, events, requested, stopped, handler, missing or reason, state=kind, clock_stopped_at=stopped)
                if kind == PauseKind.SUPPLEMENT and rng.random() < 0.12:
                    # The papers never came: after the time given the dossier is refused.
                    lapsed = add(stopped, wds * rng.randint(10, 25))
                    if lapsed < as_of:
                        return self._end(row, events, stops, State.REFUSED, lapsed, handler, LAPSED_SUPPLEMENT)
                    return _finished(row, events, stops)
                resumed = add(stopped, wds * rng.uniform(0.3, rng.choice((2, 5, 10))))
                if resumed >= as_of:
                    return _finished(row, events, stops)
                new_due = wc.due_after_stop(
                    due, stopped, resumed, received_at, days, same_day_cutoff=procedure.same_day_cutoff
                )
                stop["ended_at"] = resumed
                stop["working_seconds"] = wc.working_seconds_between(stopped, resumed)
                restarted = EventKind.SUPPLEMENT_RECEIVED if kind == PauseKind.SUPPLEMENT else EventKind.RESUMED
                _step(row, events, restarted, resumed, handler, state=State.PROCESSING, due_at=new_due,
                      clock_stopped_at=None)  # fmt: skip
                due = new_due
                start = resumed
        # The result: on time for most, late for the unit's share, some late ones left hanging.
        if rng.random() < p.on_time:
            remaining = wc.working_seconds_between(start, due)
            resolved = add(start, max(remaining * (0.1 + 0.9 * rng.random() ** 0.6), 60))
            if resolved > due:
                resolved = due
        else:
            if rng.random() < p.hanging:
                delay = wds * rng.uniform(30, 250) if p.hanging > 0.5 else wds * rng.uniform(15, 90)
            else:
                delay = wds * (1 + rng.random() * rng.choice((1, 2, 4, 8)))
            resolved = add(due, delay)
        if due < as_of and resolved > due:
            _step(row, events, EventKind.OVERDUE, due, None, overdue_since=due)
        if resolved >= as_of:
            return _finished(row, events, stops)
        row["result_digitized"] = rng.random() < p.result_digitized
        _step(row, events, EventKind.RESOLVED, resolved, handler, state=State.RESOLVED, resolved_at=resolved)
        if rng.random() < p.returned:
            if channel == Channel.ONLINE and rng.random() < 0.5:
                returned = resolved + timedelta(seconds=rng.randint(60, 5400))  # sent back electronically
            else:
                wait = wds * rng.random() ** 2 * (6 if channel == Channel.POSTAL else 3)
                returned = add(resolved, wait)
            if returned < as_of:
                _step(row, events, EventKind.RETURNED, returned, receiver, state=State.RETURNED, returned_at=returned)
        return _finished(row, events, stops)

    def _end(self, row, events, stops, state, at, by, reason):
        for stop in stops:
            if stop["ended_at"] is None:
                stop["ended_at"] = at
                stop["working_seconds"] = self.wc.working_seconds_between(stop["started_at"], at)
        kind = EventKind.REFUSED if state == State.REFUSED else EventKind.WITHDRAWN
        _step(row, events, kind, at, by, reason, state=state, ended_at=at, clock_stopped_at=None)
        return _finished(row, events, stops)

    # --- writing ------------------------------------------------------------------------------------------------
    def run(self, if_empty=False):
        summary = Summary(start=self.start, as_of=self.as_of, method=self.method)
        began = time.perf_counter()
        if if_empty and Dossier.objects.exists():
            summary.skipped = True
            return summary
        profiles = self.profiles()
        if not profiles:
            raise NothingToSeed(
                "Không có đơn vị nào tiếp nhận hồ sơ trong khoảng thời gian này (hoặc chưa có thủ tục)."
            )
        shares = self.allocate(self.count, profiles)
        people = {profile.unit.pk: profile.people for profile in profiles}
        self.step_maker = StepMaker(
            self.wc, self.as_of, self.seed, lambda rng, unit_id: person_name(rng, people.get(unit_id, KINH_ONLY))
        )
        writer = _Writer(self.batch_size, self.method)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Ids are handed out here (events point at them), so nobody else may insert dossiers meanwhile.
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {Dossier._meta.db_table} IN EXCLUSIVE MODE")
            next_id = (Dossier.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
            first_id = next_id
            taken = self._taken_codes() if next_id > 1 else {}
            streams = []
            for profile, share in zip(profiles, shares, strict=True):
                if not share:
                    continue
                summary.units += 1
                streams.append(self.unit_rows(profile, share, next_id, taken))
                next_id += share
            # Written in order of receipt across all units, as a live system fills its table: a month's dossiers
            # lie together on disk, which is what the reports' index ranges rely on.
            for row, events, stops, steps in heapq.merge(*streams, key=lambda item: item[0]["received_at"]):
                self._count(summary, row, events, stops, steps)
                writer.add(row, events, stops, steps)
                if self.progress and summary.dossiers % 100_000 == 0:
                    self.progress(summary.dossiers, time.perf_counter() - began)
            writer.flush()
            writer.finish(first_id, next_id - 1)
        # Fresh planner statistics, so the dashboards' first queries on the new rows are planned well; and a VACUUM
        # where autovacuum is off (cases.core.copy.vacuum).
        analyze_after(summary.dossiers, Dossier, DossierEvent, ClockStop, DossierStep)
        summary.seconds = time.perf_counter() - began
        return summary

    def _taken_codes(self):
        """The highest sequence already used per '<unit>-<yymmdd>-' prefix, so new codes never collide."""
        taken = {}
        codes = Dossier.objects.filter(received_at__gte=self.start - timedelta(days=1)).values_list("code", flat=True)
        for code in codes.iterator(chunk_size=20_000):
            prefix, _, number = code.rpartition("-")
            if number.isdigit():
                key = f"{prefix}-"
                taken[key] = max(taken.get(key, 0), int(number))
        return taken

    def _count(self, s, row, events, stops, steps):
        s.dossiers += 1
        s.events += len(events)
        s.steps += len(steps)
        s.steps_late += sum(
            1 for step in steps if step["due_at"] and (step["finished_at"] or self.as_of) > step["due_at"]
        )
        s.sent_back += any(step["end"] == "tra_lai" for step in steps)
        s.clock_stops += len(stops)
        s.states[row["state"]] += 1
        s.channels[row["channel"]] += 1
        resolved = row["resolved_at"]
        if resolved is not None:
            if resolved.astimezone(self.tz).date() > row["due_at"].astimezone(self.tz).date():
                s.late += 1
            else:
                s.early_or_on_time += 1
        elif row["ended_at"] is None and row["due_at"] < self.as_of:
            s.open_overdue += 1


def _step(row, events, kind, at, by, reason="", **changes):
    """One step of a demo dossier's life: its columns change and its event records them as the desk would
    (cases/desk/states.payload: the same fields, the same writing)."""
    first = kind in (EventKind.RECEIVED, EventKind.IMPORTED)
    before = None if first else {name: row[name] for name in EVENT_FIELDS[kind]}
    row.update(changes)
    old, new = payload(kind, before, row)
    events.append((kind, at, by, old, new, reason))


def _finished(row, events, stops):
    row["updated_at"] = max(event[1] for event in events)
    return row, events, stops


def _late(step, as_of):
    return step["due_at"] is not None and (step["finished_at"] or as_of) > step["due_at"]


def _event_row(dossier_id, event):
    kind, at, by, before, after, reason = event
    return {"dossier_id": dossier_id, "kind": kind, "at": at, "recorded_at": at, "by_id": by, "before": before,
            "after": after, "reason": reason}  # fmt: skip


class _Writer:
    """Rows in batches through the portal's one bulk writer (cases/core/copy.py): COPY on PostgreSQL,
    bulk_create elsewhere (or where `method` says so, for comparison)."""

    def __init__(self, batch_size, method):
        self.batch_size = batch_size
        self.use_copy = method == "copy"
        self.dossiers, self.events, self.stops, self.steps = [], [], [], []

    def add(self, row, events, stops, steps):
        self.dossiers.append(row)
        self.events.extend(_event_row(row["id"], e) for e in sorted(events, key=lambda e: e[1]))
        self.stops.extend(stops)
        self.steps.extend(steps)
        if len(self.dossiers) >= self.batch_size:
            self.flush()

    def flush(self):
        now = timezone.now()
        for model, rows in (
            (Dossier, self.dossiers), (DossierEvent, self.events), (ClockStop, self.stops), (DossierStep, self.steps)
        ):  # fmt: skip
            if rows:
                bulk_insert(model, rows, now, need_ids=False, use_copy=self.use_copy)
        self.dossiers, self.events, self.stops, self.steps = [], [], [], []

    def finish(self, first_id, last_id):
        if not self.use_copy:
            # bulk_create sets auto_now fields to now; a dossier was created when received, changed at its last step.
            last_step = DossierEvent.objects.filter(dossier=OuterRef("pk")).order_by("-at").values("at")[:1]
            Dossier.objects.filter(id__range=(first_id, last_id)).update(
                created_at=F("received_at"), updated_at=Subquery(last_step)
            )
        _reset_sequences()


def _reset_sequences():
    """Ids were given explicitly: move the dossier id sequence past them."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [Dossier])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def seed(count, seed=1, as_of=None, months=24, if_empty=False, batch_size=5000, method=None, progress=None):
    """Write `count` demo dossiers; returns a Summary (see `summary_text`)."""
    generator = Generator(count, seed=seed, as_of=as_of, months=months, batch_size=batch_size, method=method,
                          progress=progress)  # fmt: skip
    return generator.run(if_empty=if_empty)
