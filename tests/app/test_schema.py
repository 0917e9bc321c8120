"""The API against its own OpenAPI document (schemathesis): generated requests, a few per
operation, as the admin, find no 5xx and no answer that the document does not describe.

Bounded: ``max_examples`` per operation, DuckDB alone, no shrinking. Two operations are left
out because a random call could lock the admin out of the rest of the run (revoking a token,
demoting or deactivating a user); the access tests cover them.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks
from tests.app.conftest import Server

MAX_EXAMPLES = 8


@pytest.fixture(scope="module")
def backend() -> str:
    return "duckdb"


def test_the_api_keeps_to_its_schema(server: Server) -> None:
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", server.client.app).exclude(
        method="DELETE", path="/api/v1/tokens/{token_id}").exclude(
        method="PATCH", path="/api/v1/users/{username}")
    problems: dict[str, str] = {}
    tried = 0
    for found in api.get_all_operations():
        operation = found.ok()
        tried += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers=server.headers("admin"),
                checks=[checks.not_a_server_error, checks.response_schema_conformance,
                        checks.content_type_conformance])

        try:
            call()
        except Exception as exc:  # noqa: BLE001 - every operation's failure is listed
            problems[operation.label] = f"{type(exc).__name__}: {str(exc)[-1500:]}"
    assert tried >= 20
    assert not problems, "\n\n".join(f"{k}:\n{v}" for k, v in problems.items())
