"""Schemathesis against the API's own OpenAPI schema, in process (WSGI), for each kind of client: a read-only key, a
key that receives and acts, and no key. Every generated request (valid and invalid ones) must get an answer that is
not a server error, with a status code and a body the schema declares.

Kept small (a few examples per operation and client, derandomised) so that it runs in every `make test`.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck
from hypothesis import settings as examples
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import make, vn

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# The fuzzing phase only (a few examples per operation and client, valid and invalid ones): the coverage phase tries
# every boundary of every parameter, thousands of requests for the list's two dozen filters, minutes for the suite.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}})
# The schema as /api/schema/ serves it (the same generator), read without a request.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True), config=CONFIG)
schema.app = WSGIHandler()


@pytest.fixture
def wsgi(settings):
    """Django's own handler, as a server runs it, inside the test's transaction: like Django's test client, it must
    not close the connection at the end of each request (it would end the transaction)."""
    settings.ALLOWED_HOSTS = ["localhost"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def callers(api, procedures, units):
    """The three kinds of client, and a dossier of each commune for the operations to find."""
    make("DBD-PH-240301-0001", units["pu_hong"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 8, 9))
    make("DBD-KL-240301-0001", units["keo_lom"], procedures["land"], vn(2024, 3, 1, 9), vn(2024, 3, 8, 9))
    return {
        "read_only": {"Authorization": f"Api-Key {api['pu_hong_reader'].key}"},
        "receive_and_act": {"Authorization": f"Api-Key {api['keo_lom'].key}"},
        "no_key": {},
    }


@pytest.mark.parametrize("who", ["read_only", "receive_and_act", "no_key"])
@schema.parametrize()
@examples(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_conforms_to_the_schema(case, who, callers, wsgi):
    case.call_and_validate(headers=callers[who], checks=CHECKS)
