"""API clients of the fixed cast (tests/conftest.py): each with its key, as another system would hold it."""

from typing import NamedTuple

import pytest
from rest_framework.test import APIClient

from api.clients import create_client


class Caller(NamedTuple):
    client: object  # api.models.ApiClient
    key: str
    http: APIClient


def caller(**fields):
    client, key = create_client(**fields)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return Caller(client, key, http)


@pytest.fixture
def api(units):
    """The provincial portal (whole province, every scope), Pú Hồng's kiosk (read only), Keo Lôm's app (receive and
    act), and a system of Krông Nô (another district)."""
    return {
        "province": caller(name="Cổng DVC tỉnh Điện Biên", unit=units["province"], may_receive=True, may_act=True),
        "pu_hong_reader": caller(name="Ki-ốt xã Pú Hồng", unit=units["pu_hong"]),
        "keo_lom": caller(name="Ứng dụng xã Keo Lôm", unit=units["keo_lom"], may_receive=True, may_act=True),
        "krong_no": caller(name="Phần mềm Krông Nô", unit=units["krong_no"], may_receive=True, may_act=True),
    }
