"""The columns of the exchange format (EXCHANGE_FORMAT.md) and how a header row is matched to them.

Headers are the machine keys or their Vietnamese labels, case- and diacritics-insensitive (`Mã hồ sơ`,
`MA HO SO` and `ma_ho_so` are the same column).
"""

import re
from dataclasses import dataclass

from cases.core.text import fold


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple = ()

    @property
    def name(self):
        """The label as it reads inside a sentence: 'Mã hồ sơ' → 'mã hồ sơ'."""
        return self.label[:1].lower() + self.label[1:]


UNIT_COLUMNS = (
    Column("ma_don_vi", "Mã đơn vị", True),
    Column("ten_don_vi", "Tên đơn vị", True),
    Column("cap", "Cấp", True, ("cấp đơn vị",)),
    Column("ma_don_vi_cha", "Mã đơn vị cha", False, ("đơn vị cha",)),
    Column("hieu_luc_tu", "Hiệu lực từ ngày", False, ("hiệu lực từ",)),
    Column("hieu_luc_den", "Hiệu lực đến ngày", False, ("hiệu lực đến",)),
    Column("sap_nhap_vao", "Sáp nhập vào đơn vị", False, ("sáp nhập vào", "mã đơn vị tiếp nhận")),
)

PROCEDURE_COLUMNS = (
    Column("ma_thu_tuc", "Mã thủ tục", True, ("mã TTHC", "mã số")),
    Column("ten_thu_tuc", "Tên thủ tục", True, ("tên TTHC", "tên thủ tục hành chính")),
    Column("linh_vuc", "Lĩnh vực", True),
    Column(
        "thoi_han_ngay",
        "Thời hạn giải quyết (ngày làm việc)",
        True,
        ("thời hạn giải quyết", "thời hạn", "số ngày giải quyết"),
    ),
    Column("muc_do", "Mức độ DVC", True, ("mức độ", "mức độ DVC trực tuyến", "mức độ dịch vụ công")),
    # Beyond the documented five: the national data file carries these, and the catalogue keeps them.
    Column("cap", "Cấp thực hiện", False, ("cấp",)),
    Column("nguon_quyet_dinh", "Nguồn quyết định", False, ("quyết định công bố", "nguồn công bố", "nguồn")),
    Column("them_thu_cong", "Bổ sung thủ công", False, ("thêm thủ công",)),
)

DOSSIER_COLUMNS = (
    Column("ma_ho_so", "Mã hồ sơ", True, ("số hồ sơ",)),
    Column("ma_thu_tuc", "Mã thủ tục", True, ("mã TTHC",)),
    Column("ma_don_vi", "Mã đơn vị", True, ("đơn vị tiếp nhận",)),
    Column("ngay_tiep_nhan", "Ngày tiếp nhận", True, ("ngày nhận",)),
    Column("ngay_hen_tra", "Ngày hẹn trả", False, ("ngày hẹn trả kết quả", "hạn giải quyết")),
    Column("ngay_co_ket_qua", "Ngày có kết quả", False, ("ngày giải quyết",)),
    Column("ngay_tra_ket_qua", "Ngày trả kết quả", False),
    Column("hinh_thuc_nop", "Hình thức nộp", True, ("hình thức",)),
    Column("nguoi_nop", "Người nộp", True, ("tên người nộp", "người nộp hồ sơ", "chủ hồ sơ")),
    Column("so_dien_thoai", "Số điện thoại", False, ("điện thoại", "SĐT")),
    Column("dia_chi", "Địa chỉ", False),
    Column("trang_thai", "Trạng thái", False, ("tình trạng",)),
    Column("so_hoa_ho_so", "Đã số hóa hồ sơ", False, ("số hóa hồ sơ", "đã số hóa thành phần hồ sơ")),
    Column("so_hoa_ket_qua", "Đã số hóa kết quả", False, ("số hóa kết quả",)),
)
DOSSIER_KEYS = tuple(column.key for column in DOSSIER_COLUMNS)

PROCESS_COLUMNS = (
    Column("ma_thu_tuc", "Mã thủ tục", True, ("mã TTHC",)),
    Column("ma_don_vi", "Mã đơn vị", False, ("đơn vị",)),
    Column("buoc", "Bước", True, ("số bước", "thứ tự bước", "STT")),
    Column("ten_buoc", "Tên bước", True, ("nội dung công việc", "tên công việc")),
    Column("thuc_hien", "Bộ phận thực hiện", True, ("thực hiện", "người thực hiện", "đơn vị thực hiện")),
    Column("thoi_gian_gio", "Thời gian (giờ làm việc)", True, ("thời gian", "số giờ", "thời gian thực hiện")),
)
PROCESS_KEYS = tuple(column.key for column in PROCESS_COLUMNS)

DOSSIER_STEP_COLUMNS = (
    Column("ma_ho_so", "Mã hồ sơ", True, ("số hồ sơ",)),
    Column("buoc", "Bước", True, ("số bước",)),
    Column("ten_buoc", "Tên bước", False),
    Column("don_vi_xu_ly", "Đơn vị xử lý", True, ("mã đơn vị xử lý",)),
    Column("nguoi_xu_ly", "Người xử lý", False, ("cán bộ xử lý", "công chức xử lý")),
    Column("nhan_luc", "Nhận lúc", True, ("thời điểm nhận", "ngày nhận")),
    Column("han_xu_ly", "Hạn xử lý", False, ("hạn xử lý bước",)),
    Column("hoan_thanh_luc", "Hoàn thành lúc", False, ("thời điểm hoàn thành", "ngày hoàn thành")),
    Column("ket_qua", "Kết quả", False, ("kết quả xử lý",)),
    Column("ly_do", "Lý do", False, ("lý do trả lại",)),
)
DOSSIER_STEP_KEYS = tuple(column.key for column in DOSSIER_STEP_COLUMNS)


def header_key(text):
    """How a header is compared: no case, no diacritics, spaces and underscores alike, a '(*)' marker dropped."""
    text = re.sub(r"\(\*\)|\*", " ", str(text or ""))
    return fold(text.replace("_", " "))


def value_key(text):
    return fold(str(text).replace("_", " ").replace("-", " "))


def match_columns(headers, columns):
    """{key: column index}, warnings and errors for a header row."""
    lookup = {}
    for column in columns:
        for alias in (column.key, column.label, *column.aliases):
            lookup[header_key(alias)] = column
    index, warnings, errors = {}, [], []
    for position, header in enumerate(headers):
        if not str(header).strip():
            continue
        column = lookup.get(header_key(header))
        if column is None:
            warnings.append(f"dòng 1: cột «{header}» không thuộc định dạng, bỏ qua")
        elif column.key in index:
            errors.append(f"dòng 1: {column.name}: cột có hai lần («{headers[index[column.key]]}» và «{header}»)")
        else:
            index[column.key] = position
    for column in columns:
        if column.required and column.key not in index:
            errors.append(f"dòng 1: {column.name}: thiếu cột bắt buộc (tiêu đề «{column.key}» hoặc «{column.label}»)")
    return index, warnings, errors
