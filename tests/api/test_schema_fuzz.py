"""Schema fuzzing: Schemathesis generates requests from the service's own OpenAPI document —
valid ones and deliberately broken ones — and no answer may be a server error. Bounded: a few
dozen cases per operation and mode, with the operator's token so protected routes are reached."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from api.app import create_app
from registry.runtime import Runtime, bootstrap

# Cases per operation and mode: enough to reach every parameter's edges, few enough for seconds.
EXAMPLES = 15


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite only: the fuzzing is about the API's handling of input, which is the same on both
    databases (PostgreSQL runs every bad-input test of test_bad_input.py)."""
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_openapi__no_request_is_a_server_error(runtime: Runtime, mode: GenerationMode) -> None:
    token = bootstrap(runtime)
    app = create_app(runtime, background=False)
    with TestClient(app):  # the app's startup
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30  # every route of the API is fuzzed
        headers = {"Authorization": f"Bearer {token}"}
        failures: list[str] = []
        for operation in operations:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
            )
            def fuzz(case: schemathesis.Case) -> None:
                case.call_and_validate(
                    headers={**headers, **(case.headers or {})}, checks=[not_a_server_error]
                )

            try:
                fuzz()
            except Unsatisfiable:
                # Nothing to break: an operation with no parameters and no body has no negative
                # case, nor one whose only parameters are optional headers of any text (a
                # partner's signature headers: the service checks them, the schema cannot).
                any_text = [{"type": "string"}, {"type": "null"}]
                free = [
                    p
                    for p in operation.iter_parameters()
                    if not (
                        p.definition.get("in") == "header"
                        and not p.definition.get("required")
                        and p.definition.get("schema", {}).get("anyOf") == any_text
                    )
                ]
                assert mode == GenerationMode.NEGATIVE and not free, operation.label
            except Exception as err:  # collect every operation's failure, not only the first
                failures.append(f"{operation.label}: {err}")
        assert not failures, "\n\n".join(failures)
