"""Fixtures the reports' tests share."""

import pytest

from cases.desk.states import RatingSource, Satisfaction
from cases.models import Dossier, Rating
from tests.conftest import vn


@pytest.fixture
def scored(march, units):
    """Pú Hồng: papers digitised for 4 and 6 (received in March) and 3 (February: not counted), result for 4;
    ratings: 2 very satisfied, 4 satisfied, 6 not satisfied in March, 13 rated in April (not counted)."""
    by_code = {d.code: d for d in Dossier.objects.all()}
    Dossier.objects.filter(code__in=["3", "4", "6"]).update(papers_digitized=True)
    Dossier.objects.filter(code="4").update(result_digitized=True)
    for code, level, day in (
        ("2", Satisfaction.VERY_SATISFIED, 5),
        ("4", Satisfaction.SATISFIED, 6),
        ("6", Satisfaction.NOT_SATISFIED, 21),
    ):
        Rating.objects.create(
            dossier=by_code[code], level=level, source=RatingSource.LOOKUP, rated_at=vn(2024, 3, day, 10)
        )
    Rating.objects.create(
        dossier=by_code["13"], level=Satisfaction.NOT_SATISFIED, source=RatingSource.PAPER, rated_at=vn(2024, 4, 3)
    )
    return march
