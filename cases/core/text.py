"""Vietnamese text helpers: fold() in Python and Fold, the same folding done by the database."""

import unicodedata

from django.db.models import CharField, Func


def strip_marks(text):
    """Without diacritics, case and spacing kept: 'Hồ sơ Đăng ký' → 'Ho so Dang ky' (an SMS in GSM letters)."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text):
    """Lower case without diacritics: 'Đăng ký kết hôn' → 'dang ky ket hon'."""
    return " ".join(strip_marks(text).lower().split())


# fold() in SQL, built only from IMMUTABLE functions so that it can define a generated column: đ → d, NFD, drop
# the combining marks (U+0300–U+036F: every Vietnamese tone and vowel mark), collapse the spaces, lower case.
# Same result as fold() for Latin-script names, which is what the name rule (cases.core.contact) lets in.
_FOLD_POSTGRESQL = (
    "lower(btrim(regexp_replace(regexp_replace(normalize(translate(%(expressions)s, 'đĐ', 'dD'), NFD),"
    " '[\u0300-\u036f]', '', 'g'), '[[:space:]\u00a0\u2000-\u200b\u3000]+', ' ', 'g')))"
)
SQLITE_FOLD = "portal_fold"  # fold() itself, registered on each SQLite connection (cases.apps)


class Fold(Func):
    """The folded form of a text column (a generated column's expression; searches compare fold(typed) to it)."""

    function = SQLITE_FOLD
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=_FOLD_POSTGRESQL, **extra_context)
