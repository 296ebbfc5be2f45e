"""An office's list read one unit at a time and merged (cases.core.pager): the same dossiers in the same order as
one plain ORDER BY over all its units, on every page, forwards and back, whatever the sort, with ties (issue 12)."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.core import pager
from cases.desk import access
from cases.desk.models import Dossier
from cases.views import desk as desk_views
from tests.conftest import make, vn

NAMES = ["Nguyễn Văn An", "Lò Thị Bình", "Nguyễn Thị Cúc"]
SORTS = {
    # the list's sort parameter → the plain ORDER BY that answers it
    "": ("-received_at", "-pk"),
    "received_at": ("received_at", "pk"),
    "-received_at": ("-received_at", "-pk"),
    "due_at": ("due_at", "pk"),
    "-due_at": ("-due_at", "-pk"),
    "code": ("code",),
    "-code": ("-code",),
    "applicant": ("applicant_name", "pk"),
    "-applicant": ("-applicant_name", "-pk"),
}


@pytest.fixture
def spread(units, procedures, monkeypatch):
    """Thirty dossiers over four of the district's units, three a page, a count that stops at seven: three received
    times, two due times and three names for thirty dossiers, so most of a page's neighbours tie on the sort; codes
    begin with the unit's code, so by code each unit's dossiers follow one another."""
    monkeypatch.setattr(desk_views, "PAGE_SIZE", 3)
    monkeypatch.setattr(pager, "COUNT_CAP", 7)
    spread_over = [units["pu_hong"], units["keo_lom"], units["district"], units["phinh_giang"]]
    for number in range(30):
        dossier = make(
            f"{spread_over[number % 4].code}-{(number * 7) % 30:02d}",  # code order is not id order
            spread_over[number % 4],
            procedures["land"],
            vn(2024, 3, 1 + number % 3, 9),
            vn(2024, 3, 20 + number % 2, 17),
        )
        Dossier.objects.filter(pk=dossier.pk).update(applicant_name=NAMES[number % 3])


def plain(user, order, **filters):
    """The codes in the order one ORDER BY over the user's whole scope gives."""
    return list(access.visible_to(user).filter(**filters).order_by(*order).values_list("code", flat=True))


def link(response, rel):
    found = re.search(rf'href="([^"]+)" rel="{rel}"', response.content.decode())
    return html.unescape(found.group(1)) if found else None


def shown(response):
    return [dossier.code for dossier in response.context["page"].object_list]


def walk(client, url, response, rel):
    """Follow the `rel` links from a page to the end; the codes of every page, in the list's order."""
    pages = [shown(response)]
    while (following := link(response, rel)) is not None:
        response = client.get(url + following)
        pages.append(shown(response))
    return pages if rel == "next" else pages[::-1]


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_of_an_office_list_shows_each_dossier_once_in_order(client, cast, spread, sort):
    """Pages 1–3 by number (OFFSET), past the count by keyset, back again one page at a time, and the last page."""
    client.force_login(cast["office"])
    url = reverse("cases:dossier_list")
    expected = plain(cast["office"], SORTS[sort])
    assert len(expected) == 30
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url, {"sort": sort} if sort else {})
    assert any("UNION ALL" in query["sql"] for query in queries.captured_queries)  # the merge, not a plain walk
    forwards = walk(client, url, first, "next")
    assert sum(forwards, []) == expected
    assert [len(page) for page in forwards] == [3] * 10
    last = client.get(url + link(first, "last"))
    assert shown(last) == expected[-3:]
    assert sum(walk(client, url, last, "prev"), []) == expected


def test_a_page_chosen_by_number_is_the_slice_of_the_plain_order(client, cast, spread, monkeypatch):
    monkeypatch.setattr(pager, "COUNT_CAP", 100)
    client.force_login(cast["office"])
    url = reverse("cases:dossier_list")
    expected = plain(cast["office"], SORTS["-due_at"])
    for number in (1, 4, 7, 10):
        response = client.get(url, {"sort": "-due_at", "page": number})
        assert shown(response) == expected[(number - 1) * 3 : number * 3]
    assert response.context["page"].num_pages == 10


@pytest.mark.parametrize("cap", [100, 4])
@pytest.mark.parametrize("sort", ["", "due_at", "-due_at", "-applicant"])
@pytest.mark.parametrize("who", ["office", "admin", "desk_pu_hong"])
def test_a_search_pages_like_the_plain_order(client, cast, spread, monkeypatch, cap, sort, who):
    """A name typed without diacritics: matches within the count's cap are gathered and sorted at once (cap 100);
    more are read in index order, for an office unit by unit and merged (cap 4); either way the plain order,
    forwards and back, for an office (with its district chosen), the administrator and a desk."""
    monkeypatch.setattr(pager, "COUNT_CAP", cap)
    client.force_login(cast[who])
    url = reverse("cases:dossier_list")
    expected = plain(cast[who], SORTS[sort], applicant_folded__contains="nguyen")
    assert len(expected) > 3
    params = {"applicant": "nguyen", "sort": sort}
    if who == "office":
        params["unit"] = cast["office"].memberships.get().unit_id  # a second `unit_id IN (…)`, the same units
    first = client.get(url, params)
    pages = walk(client, url, first, "next")
    assert sum(pages, []) == expected
    assert sum(walk(client, url, client.get(url + link(first, "last")), "prev"), []) == expected


def test_the_unit_filter_narrows_the_merge(client, cast, spread, units):
    client.force_login(cast["office"])
    response = client.get(reverse("cases:dossier_list"), {"unit": units["pu_hong"].pk, "sort": "code"})
    assert shown(response) == plain(cast["office"], SORTS["code"], unit=units["pu_hong"])[:3]
    assert response.context["page"].count == 8  # past the cap of 7: "hơn 7"


@pytest.fixture
def three_months(units, procedures, monkeypatch):
    """Forty-eight dossiers over four of the district's units, received from mid-February to mid-April 2024 and due
    one to twenty days later: March's first dossiers are due after February's last ones, some of February's fall due
    in March and some of March's in April, due times tie across units, three a page, a count that stops at seven."""
    monkeypatch.setattr(desk_views, "PAGE_SIZE", 3)
    monkeypatch.setattr(pager, "COUNT_CAP", 7)
    spread_over = [units["pu_hong"], units["keo_lom"], units["district"], units["phinh_giang"]]
    for number in range(48):
        received = vn(2024, 2, 15, 8) + timedelta(days=number * 60 // 48, hours=number % 3)
        make(
            f"{spread_over[number % 4].code}-{received:%y%m%d}-{number:02d}",  # the demo's codes: unit, day, number
            spread_over[number % 4],
            procedures["land"],
            received,
            (received + timedelta(days=1 + (number * 7) % 20)).replace(hour=17),
        )


MARCH = {"received_after": "01/03/2024", "received_before": "31/03/2024"}


@pytest.mark.parametrize("cap", [100, 7])
@pytest.mark.parametrize("sort", ["due_at", "-due_at", "code", ""])
def test_a_month_of_receipt_pages_in_due_order_like_the_plain_order(client, cast, three_months, monkeypatch, cap, sort):
    """The dossiers received in March, sorted by due date (or otherwise): March's and only March's, each once, in the
    plain order on every page forwards and back, whether they fit in the count (gathered) or not (merged per unit)."""
    monkeypatch.setattr(pager, "COUNT_CAP", cap)
    client.force_login(cast["office"])
    url = reverse("cases:dossier_list")
    expected = plain(cast["office"], SORTS[sort], received_at__gte=vn(2024, 3, 1), received_at__lt=vn(2024, 4, 1))
    assert 15 <= len(expected) < 48
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url, {**MARCH, "sort": sort})
    assert first.context["page"].count == min(len(expected), cap + 1)
    # Past the cap and sorted by anything but the receipt: each unit's March read whole and sorted, then merged.
    windowed = any("OFFSET 0) AS w" in query["sql"] for query in queries.captured_queries)
    assert windowed == (cap == 7 and sort != "")
    assert sum(walk(client, url, first, "next"), []) == expected
    assert sum(walk(client, url, client.get(url + link(first, "last")), "prev"), []) == expected
