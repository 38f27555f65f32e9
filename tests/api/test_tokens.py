"""API tokens: rotation by their holder, revocation by the registrar or a supervisor, a new token
from the registrar. A token revoked in this process answers 401 at once (not after the 5 s
cache); concurrent rotations of one token give exactly one new valid token (real threads,
SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.responses import NewToken, TokenRevocation
from registry import tokens
from registry.errors import Unauthenticated
from registry.models import ApiToken, Participant
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_bad_input import footprint, written


def me(api: Api, token: str) -> httpx.Response:
    response: httpx.Response = api.http.get("/v1/participants/me", headers=api.auth(token))
    return response


def unauthenticated(response: httpx.Response) -> bool:
    return response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_rotation__the_old_token_is_refused_at_once_and_the_new_one_works(api: Api) -> None:
    holder = api.participant(["holder"])
    assert me(api, holder["token"]).status_code == 200  # now in the 5 s cache
    rotated = api.ok("/v1/tokens/rotation", None, holder["token"])
    NewToken.model_validate(rotated)
    assert rotated["participant"] == holder["id"] and rotated["token"] != holder["token"]
    assert unauthenticated(me(api, holder["token"]))
    assert me(api, rotated["token"]).json()["id"] == holder["id"]
    # The old token cannot rotate again either.
    assert unauthenticated(api.post("/v1/tokens/rotation", None, holder["token"], expect=None))


def test_rotation__revokes_only_the_token_used(api: Api) -> None:
    holder = api.participant(["holder"])
    second = api.ok(f"/v1/participants/{holder['id']}/tokens", None, api.operator)
    NewToken.model_validate(second)
    rotated = api.ok("/v1/tokens/rotation", None, holder["token"])
    assert me(api, second["token"]).status_code == 200
    assert me(api, rotated["token"]).status_code == 200
    assert unauthenticated(me(api, holder["token"]))


def test_rotation__without_a_valid_token_is_401_and_writes_nothing(api: Api, runtime: Runtime) -> None:
    before = footprint(runtime)
    for headers in ({}, {"Authorization": "Bearer th_" + "B" * 43}, {"Authorization": "Basic eDp5"}):
        response = api.http.post("/v1/tokens/rotation", headers=headers)
        assert unauthenticated(response), response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert written(before, footprint(runtime)) == {}


def test_revocation__by_the_registrar_revokes_every_token_and_a_new_one_can_be_issued(
    api: Api, runtime: Runtime
) -> None:
    holder = api.participant(["holder"])
    second = api.ok(f"/v1/participants/{holder['id']}/tokens", None, api.operator)["token"]
    for token in (holder["token"], second):
        assert me(api, token).status_code == 200  # cached
    revoked = api.ok(
        f"/v1/participants/{holder['id']}/token-revocation", {"reason": "laptop stolen"}, api.operator
    )
    TokenRevocation.model_validate(revoked)
    assert (revoked["participant"], revoked["revoked"], revoked["reason"]) == (
        holder["id"],
        2,
        "laptop stolen",
    )
    for token in (holder["token"], second):
        assert unauthenticated(me(api, token))
    # Again: nothing left to revoke, and no error.
    again = api.ok(f"/v1/participants/{holder['id']}/token-revocation", {"reason": "again"}, api.operator)
    assert again["revoked"] == 0
    fresh = api.ok(f"/v1/participants/{holder['id']}/tokens", None, api.operator)
    assert me(api, fresh["token"]).json()["id"] == holder["id"]
    with runtime.db.reading() as session:
        rows = session.execute(
            select(ApiToken.revoked_at.is_(None))
            .join(Participant, Participant.id == ApiToken.participant_id)
            .where(Participant.public_id == holder["id"])
            .order_by(ApiToken.id)
        ).scalars()
        assert list(rows) == [False, False, True]  # kept, revoked, as a record


def test_revocation__by_a_supervisor_is_allowed_by_others_is_403(api: Api, runtime: Runtime) -> None:
    holder = api.participant(["holder"])
    url = f"/v1/participants/{holder['id']}/token-revocation"
    before = footprint(runtime)
    for role in ("holder", "verifier", "exchange", "project_owner"):
        other = api.participant([role])
        response = api.post(url, {"reason": "x"}, other["token"], expect=403)
        assert response.json()["error"]["code"] == "forbidden"
    # The holder itself cannot either (it rotates its own token instead).
    assert api.post(url, {"reason": "x"}, holder["token"], expect=403).json()["error"]["code"] == "forbidden"
    assert me(api, holder["token"]).status_code == 200
    supervisor = api.participant(["supervisor"])
    before = footprint(runtime)
    assert api.ok(url, {"reason": "suspected abuse"}, supervisor["token"])["revoked"] == 1
    assert "api_tokens" in written(before, footprint(runtime))
    assert unauthenticated(me(api, holder["token"]))


def test_revocation__needs_a_reason_and_an_existing_participant(api: Api, runtime: Runtime) -> None:
    holder = api.participant(["holder"])
    before = footprint(runtime)
    url = f"/v1/participants/{holder['id']}/token-revocation"
    blank = api.post(url, {"reason": "   "}, api.operator, expect=None)
    assert blank.status_code in (400, 422) and blank.json()["error"]["code"] in (
        "invalid_request",
        "validation_error",
    )
    missing = api.post(
        "/v1/participants/par_000000000000/token-revocation", {"reason": "x"}, api.operator, expect=404
    )
    assert missing.json()["error"]["code"] == "not_found"
    assert (
        api.post("/v1/participants/par_000000000000/tokens", None, api.operator, expect=404).status_code
        == 404
    )
    assert written(before, footprint(runtime)) == {}
    assert me(api, holder["token"]).status_code == 200


def test_issue__only_the_registrar(api: Api) -> None:
    holder = api.participant(["holder"])
    for role in ("supervisor", "holder"):
        other = api.participant([role])
        refused = api.post(f"/v1/participants/{holder['id']}/tokens", None, other["token"], expect=403)
        assert refused.json()["error"]["code"] == "forbidden"


THREADS = 8


@pytest.mark.timeout(120)
def test_rotation__concurrent_rotations_of_one_token_give_exactly_one_new_token(
    api: Api, runtime: Runtime
) -> None:
    """Through the service (real threads, each its own transaction): one rotation wins, the
    others are refused; the participant then has exactly one valid token, the winner's."""
    holder = api.participant(["holder"])
    barrier = threading.Barrier(THREADS)

    def rotate(_: int) -> tuple[int, Any]:
        barrier.wait()
        response = api.http.post("/v1/tokens/rotation", headers=api.auth(holder["token"]))
        return response.status_code, response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(rotate, range(THREADS)))
    won = [body for status, body in results if status == 201]
    assert len(won) == 1, results
    assert all(body["error"]["code"] == "unauthenticated" for status, body in results if status != 201)
    with runtime.db.reading() as session:
        valid = session.execute(
            select(func.count())
            .select_from(ApiToken)
            .join(Participant, Participant.id == ApiToken.participant_id)
            .where(Participant.public_id == holder["id"], ApiToken.revoked_at.is_(None))
        ).scalar_one()
    assert valid == 1
    assert me(api, won[0]["token"]).status_code == 200


def test_rotate__in_racing_transactions_exactly_one_wins(api: Api, runtime: Runtime) -> None:
    """The service function itself, each thread in its own database transaction."""
    holder = api.participant(["holder"])
    barrier = threading.Barrier(THREADS)

    def rotate(_: int) -> str | BaseException:
        barrier.wait()
        try:
            with runtime.db.transaction() as session:
                return tokens.rotate(session, holder["token"]).token
        except Unauthenticated as err:
            return err

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(rotate, range(THREADS)))
    new = [r for r in results if isinstance(r, str)]
    assert len(new) == 1 and len(results) - 1 == sum(isinstance(r, Unauthenticated) for r in results), results
