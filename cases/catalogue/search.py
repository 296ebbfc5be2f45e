"""Finding a procedure by what the officer types: code or name, with or without diacritics, best match first.

"khai sinh" must offer "Đăng ký khai sinh" before a land procedure that merely contains "khai thác" and
"phát sinh": a code, then the words as a phrase, then every word whole, then words found inside longer ones.
Within a rank the shorter name (the general procedure rather than a combined one) comes first.
"""

import re

from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Length

from cases.core.text import fold

from .models import Procedure

# Ranks, best first.
CODE, PHRASE, PHRASE_INSIDE, WORDS, INSIDE = range(5)


def _whole(text):
    """A regular expression (PostgreSQL's and Python's alike) for `text` between non-alphanumerics."""
    return rf"(^|[^a-z0-9]){re.escape(text)}([^a-z0-9]|$)"


def rank_q(typed):
    """(filter, rank expression) for the folded words of `typed`; None when nothing was typed."""
    phrase = fold(typed)
    words = phrase.split()
    if not words:
        return None
    every_word = Q()
    every_whole_word = Q()
    for word in words:
        every_word &= Q(search_name__contains=word)
        every_whole_word &= Q(search_name__regex=_whole(word))
    rank = Case(
        When(code__istartswith=typed.strip(), then=Value(CODE)),
        When(search_name__regex=_whole(phrase), then=Value(PHRASE)),
        When(search_name__contains=phrase, then=Value(PHRASE_INSIDE)),
        When(every_whole_word, then=Value(WORDS)),
        default=Value(INSIDE),
        output_field=IntegerField(),
    )
    return every_word, rank


def ranked(procedures, typed):
    """`procedures` (a queryset) matching every typed word, the most relevant first; None when nothing was typed."""
    found = rank_q(typed)
    if found is None:
        return None
    condition, rank = found
    matching = procedures.filter(condition).annotate(rank=rank, name_length=Length("name"))
    return matching.order_by("rank", "name_length", "code")


def search_procedures(typed, limit):
    """Active procedures matching every typed word, the most relevant first (at most `limit`)."""
    found = ranked(Procedure.objects.filter(active=True).select_related("field"), typed)
    return [] if found is None else list(found[:limit])
