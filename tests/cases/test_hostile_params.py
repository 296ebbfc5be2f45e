"""Every URL, every role, hostile parameters: never a 500.

The URLs come from the resolver (all of urlpatterns, the admin's included); the parameter names from the filters,
the period and the code (every `GET.get("…")`); the values are generated: NUL, huge and negative integers,
unicode, very long text, markup, impossible dates, and the ids and codes of another unit's records.
"""

import re
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.cache import cache
from django.http import QueryDict
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


@contextmanager
def names_read():
    """The names of the parameters a request looked up (get, getlist, [] or in), for the one-at-a-time pass."""
    read = set()
    originals = {method: getattr(QueryDict, method) for method in ("get", "getlist", "__getitem__", "__contains__")}

    def recording(original):
        def look_up(self, key, *args, **kwargs):
            read.add(key)
            return original(self, key, *args, **kwargs)

        return look_up

    for method, original in originals.items():
        setattr(QueryDict, method, recording(original))
    try:
        yield read
    finally:
        for method, original in originals.items():
            setattr(QueryDict, method, original)


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
    failures, requests, singles = [], 0, 0
    # The API answers keys, not these sessions: schemathesis sweeps it per kind of key (tests/api/test_schemathesis.py).
    patterns = [(name, pattern) for name, pattern in all_patterns() if not name.startswith(("v1:", "api-"))]
    urls = [(name, [*paths(name, pattern, world)]) for name, pattern in patterns]
    assert sum(len(found) for _, found in urls) > 100
    # Each value once in every parameter, and once with a valid kind of period (so that a bad `ky` does not hide
    # what `nam` or `thang` would do); then another unit's code and ids.
    everything = [dict.fromkeys(names, value) for value in SWEPT]
    with_period = [{**query, "ky": PERIOD_KINDS[i % len(PERIOD_KINDS)]} for i, query in enumerate(everything)]
    other_unit = [
        {"don_vi": world["other_unit"].code, "procedure": str(world["ints"][0])},
        dict.fromkeys(("don_vi", "unit", "user", "procedure", "field"), str(world["other_unit"].pk)),
    ]
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
                requests += 1
                with names_read() as read:
                    plain = client.get(url)
                if plain.status_code >= 500:
                    failures.append((role, url, "", plain.status_code))
                if plain.status_code != 200 or position > 0:
                    # A page that turns a role away (login, 403, 404) does so before it reads a parameter: the
                    # roles it lets in carry the hostile ones. A pattern's other paths: plain only.
                    continue
                # Hostile parameters on the first path; the admin's fewer (its views are Django's). The periods
                # steer the reports, which the office and Nội vụ read: the other roles take each value once.
                if admin:
                    sent = [*everything[:2], *with_period[:2]]
                elif role in ("office", "home_affairs"):
                    sent = [*everything, *with_period, *other_unit]
                else:
                    sent = [*everything, *other_unit]
                if role == "office" and not admin:
                    # And each parameter the page looked up alone, so that no other one's refusal hides what it does.
                    alone = [{key: HUGE} for key in sorted(read)]
                    singles += len(alone)
                    sent = sent + alone
                for query in sent:
                    requests += 1
                    response = client.get(url, query)
                    if response.status_code >= 500:
                        failures.append((role, url, str(list(query.items())[-1:])[:60], response.status_code))
    assert requests > 1000
    assert singles > 50
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
