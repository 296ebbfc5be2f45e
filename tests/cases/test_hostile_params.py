"""Every URL, every role, hostile parameters: never a 500.

The URLs come from the resolver (all of urlpatterns, the admin's included); the parameter names from the filters,
the period and the code (every `GET.get("…")`); the values are generated: NUL, huge and negative integers,
unicode, very long text, markup, impossible dates, and the ids and codes of another unit's records.
"""

import re
import uuid
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from cases.core import jobs
from cases.core.models import JobKind, JobState
from cases.filters import DossierFilter
from cases.followup import explanations
from cases.models import Dossier, Explanation
from reports.figures import periods
from tests.conftest import make, vn

NOW = vn(2024, 3, 8, 10, 0)
ROOT = Path(__file__).resolve().parents[2]
HUGE = "99999999999999999999"


def parameter_names():
    """Every GET parameter a page reads: the dossier filter's fields and those named in the code."""
    names = set()
    form = DossierFilter(queryset=Dossier.objects.none()).form
    for name, field in form.fields.items():
        widget = field.widget
        suffixes = getattr(widget, "suffixes", None)
        names.update(f"{name}_{suffix}" for suffix in suffixes) if suffixes else names.add(name)
    pattern = re.compile(r"""(?:GET|params)(?:\.get|\.getlist)?[(\[]\s*["']([a-z_]+)["']""")
    for folder in ("cases", "reports", "portal"):
        for path in (ROOT / folder).rglob("*.py"):
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


def all_patterns(resolvers=None, prefix=""):
    """(namespaced name, pattern) of every named URL."""
    resolvers = resolvers if resolvers is not None else get_resolver().url_patterns
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from all_patterns(entry.url_patterns, prefix + namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, entry


@pytest.fixture
def world(units, procedures, cast, officials, tmp_path, settings):
    """Records of two units, so every kind of path has an own and another unit's value."""
    settings.MEDIA_ROOT = tmp_path / "media"
    ph, kl, kn = units["pu_hong"], units["keo_lom"], units["krong_no"]
    land = procedures["land"]
    own = make("DBD-PH-240301-0001", ph, land, vn(2024, 3, 1, 8), vn(2024, 3, 6, 8))
    late = make("DBD-PH-240201-0001", ph, land, vn(2024, 2, 1, 8), vn(2024, 2, 8, 8), resolved=vn(2024, 2, 20, 8))
    other = make("KN-240301-0001", kn, land, vn(2024, 3, 1, 8), vn(2024, 3, 6, 8))
    # In the internal process: one step held by Pú Hồng's specialist, one waiting for them (Việc của tôi has rows).
    in_process = []
    for number, moment in enumerate((vn(2024, 3, 4, 8), vn(2024, 3, 5, 8)), start=1):
        with time_machine.travel(moment, tick=False):
            held = Dossier.receive(unit=ph, procedure=land, applicant_name="Giàng A Páo", by=cast["desk_pu_hong"])
            held.hand_over(by=cast["desk_pu_hong"], to_user=officials["specialist"] if number == 1 else None)
            if number == 1:
                held.take_up(by=officials["specialist"])
        in_process.append(held.code)
    make("DBD-KL-240301-0001", kl, land, vn(2024, 3, 1, 8), vn(2024, 3, 6, 8))
    request = explanations.request_explanations(
        office_unit=units["district"],
        period=periods.month(2024, 2),
        deadline=date(2024, 3, 20),
        by=cast["office"],
    )
    job = jobs.create(JobKind.IMPORT_DOSSIERS, cast["desk_keo_lom"], "khac.csv", state=JobState.DONE)
    workbook = jobs.create(JobKind.WORKBOOK, cast["outsider"], "Biểu", state=JobState.DONE)
    export = jobs.create(
        JobKind.EXPORT_DOSSIERS, cast["outsider"], "Danh sách", state=JobState.DONE, output="xuat-ho-so/x.csv",
        params={"format": "csv", "query": [["unit", "x"]], "filename": "ho-so.csv"},
    )  # fmt: skip
    return {
        "codes": [own.code, late.code, other.code, "KHONG-CO", *in_process],
        "ints": [request.pk, Explanation.objects.filter(request=request).first().pk, job.pk, 0, 2**31, int(HUGE)],
        "uuids": [workbook.uid, export.uid, uuid.uuid4()],
        "other_unit": kn,
    }


def paths(name, pattern, world):
    """Concrete paths for a pattern: each converter filled with own and other units' values."""
    converters = getattr(pattern.pattern, "converters", {})
    groups = re.compile(pattern.pattern.regex.pattern).groupindex
    keys = list(groups)
    if not keys:
        try:
            return [reverse(name)]
        except NoReverseMatch:
            return []
    choices = []
    for key in keys:
        kind = type(converters.get(key)).__name__
        if kind == "IntConverter":
            choices.append([str(value) for value in world["ints"]])
        elif kind == "UUIDConverter":
            choices.append([str(value) for value in world["uuids"]])
        elif key == "app_label":
            choices.append(["cases", "reports", "auth"])
        elif key in ("object_id", "pk"):
            choices.append([str(value) for value in world["ints"][:3]] + ["x"])
        elif key == "fmt":
            choices.append(["csv", "xlsx", "docx", "pdf"])
        elif key == "action":
            choices.append(["tra-ket-qua", "khong-co"])
        elif key == "move":
            choices.append(["nhan", "khong-co"])
        else:
            choices.append(world["codes"])
    found = []
    for index in range(max(len(values) for values in choices)):
        kwargs = {key: values[index % len(values)] for key, values in zip(keys, choices, strict=True)}
        try:
            found.append(reverse(name, kwargs=kwargs))
        except NoReverseMatch:
            continue
    return found


@pytest.fixture(autouse=True)
def _frozen():
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


SWEPT = ["\x00", HUGE, "-" + HUGE, "-1", "Đ\u0300\u202e漢字😀\ufeff", "x" * 3000, "<b>'\"%", "2024-02-30"]
PERIOD_KINDS = ["thang", "quy", "nua_nam", "nam", "ky_thong_ke", "khoang"]


def test_no_page_answers_500_to_any_role_with_hostile_parameters(client, cast, officials, world):
    client.raise_request_exception = False
    names = parameter_names()
    assert {"don_vi", "q", "nam", "thang", "code", "page", "received_after"} <= set(names)
    failures, requests = [], 0
    # The API answers keys, not these sessions: schemathesis sweeps it per kind of key (tests/api/test_schemathesis.py).
    patterns = [(name, pattern) for name, pattern in all_patterns() if not name.startswith(("v1:", "api-"))]
    urls = [(name, [*paths(name, pattern, world)]) for name, pattern in patterns]
    assert sum(len(found) for _, found in urls) > 100
    queries = [{}]
    for index, value in enumerate(SWEPT):
        everything = dict.fromkeys(names, value)
        # Each value once in every parameter, and once with a valid kind of period (so that a bad `ky` does not
        # hide what `nam` or `thang` would do).
        queries += [everything, {**everything, "ky": PERIOD_KINDS[index % len(PERIOD_KINDS)]}]
    queries.append({"don_vi": world["other_unit"].code, "procedure": str(world["ints"][0])})
    queries.append(dict.fromkeys(("don_vi", "unit", "user", "procedure", "field"), str(world["other_unit"].pk)))
    people = {**cast, "specialist": officials["specialist"]}
    for role in (None, "desk_pu_hong", "specialist", "office", "home_affairs", "admin", "outsider"):
        client.logout()
        if role:
            client.force_login(people[role])
        for name, found in urls:
            admin = name.startswith("admin:")
            if admin and role != "admin":
                continue  # the admin site sends everyone else to its login page
            for position, url in enumerate(found):
                # Every path with plain and hostile parameters; the admin's with fewer (its views are Django's).
                sent = queries if position == 0 and not admin else queries[:1]
                sent = queries[:5] if admin and position == 0 else sent
                if role == "office" and position == 0 and not admin:
                    # And each parameter alone, so that no other one's refusal hides what it does.
                    sent = sent + [{key: HUGE} for key in names]
                for query in sent:
                    requests += 1
                    response = client.get(url, query)
                    if response.status_code >= 500:
                        failures.append((role, url, str(list(query.items())[-1:])[:60], response.status_code))
    assert requests > 1000
    assert failures == [], "\n".join(map(str, sorted(set(failures))))


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/ho-so/", {"q": "a\x00b"}),
        ("/bao-cao/", {"don_vi": "DBD\x00"}),
        ("/bao-cao/", {"nam": HUGE}),
        ("/bao-cao/", {"ky": "nam", "nam": HUGE}),
        ("/ho-so/", {"received_after": HUGE}),
        ("/ho-so/%00/", {}),
    ],
)
def test_the_reported_inputs_get_a_400_or_a_page_never_a_500(client, cast, world, url, query):
    client.raise_request_exception = False
    client.force_login(cast["office"])
    response = client.get(url, query)
    assert response.status_code in (200, 400, 404)
    if "\x00" in url + "".join(query.values()) or "%00" in url:
        assert response.status_code == 400
