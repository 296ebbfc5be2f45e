"""Vietnamese text helpers."""

import unicodedata


def fold(text):
    """Lower case without diacritics: 'Đăng ký kết hôn' → 'dang ky ket hon'."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
