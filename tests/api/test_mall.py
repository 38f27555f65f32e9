"""The merchant alliance's mall through HTTP, on SQLite and PostgreSQL: approved merchants list
items (public), citizens redeem with their own token for a one-time voucher, 50 concurrent
redemptions stop exactly at the balance and at the stock, a voucher is confirmed once and at its
own merchant, expiry refunds, and the monthly statement equals the confirmed vouchers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select

import registry.mall as service
from api.app import create_app
from api.routers import mall as mall_router
from api.routers.mall import ItemOut, RedemptionOut, StatementOut, VoucherOut
from registry.mall import CST
from registry.models import Citizen
from registry.points import ledger
from registry.runtime import Runtime, bootstrap
from tests.api.conftest import Api
from tests.api.test_bad_input import footprint, written
from tests.api.test_points import METRO_POINTS, Partner, balance_law, citizen, me, ride
from tests.registry.test_mall import at_once


def mall_app(runtime: Runtime) -> FastAPI:
    """The app, with the mall's routes (included here until api/app.py includes them)."""
    app = create_app(runtime, background=False)
    if not any(getattr(route, "path", None) == "/v1/mall/items" for route in app.routes):
        app.include_router(mall_router.router)
    return app


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    token = bootstrap(runtime)
    assert token is not None
    with TestClient(mall_app(runtime)) as client:
        yield Api(client, token)


def merchant(api: Api, name: str = "Jinli Tea House") -> dict[str, Any]:
    m = api.participant(["merchant"])
    approved = api.ok("/v1/mall/merchants", {"participant_id": m["id"], "display_name": name}, api.operator)
    assert approved["status"] == "approved" and approved["participant_id"] == m["id"]
    return m


def item(
    api: Api, seller: dict[str, Any], price: int, stock: int, name: str = "Bamboo cup"
) -> dict[str, Any]:
    body = {"name": name, "description": "Reusable", "points_price": price, "stock": stock}
    return api.ok("/v1/mall/items", body, seller["token"])


def citizens_with_rides(api: Api, count: int, rides: int = 1) -> list[dict[str, Any]]:
    """`count` citizens, each with `rides` metro rides (58 points each) on distinct days."""
    metro = Partner(api, "Chengdu Metro", ["metro"])
    people = [citizen(api) for _ in range(count)]
    base = datetime.now(UTC) - timedelta(hours=2)
    metro.send(
        [
            ride(f"r{i}-{d}", p, at=base - timedelta(days=d))
            for i, p in enumerate(people)
            for d in range(rides)
        ]
    )
    return people


def redeem(api: Api, who: dict[str, Any], item_id: Any, expect: int = 201) -> Any:
    return api.post("/v1/mall/redemptions", {"item_id": item_id}, who["token"], expect=expect).json()


def confirm(api: Api, seller: dict[str, Any], code: str, expect: int = 200) -> Any:
    response = api.http.post(
        "/v1/mall/vouchers/confirm", json={"code": code}, headers=api.auth(seller["token"])
    )
    assert response.status_code == expect, response.text
    return response.json()


def citizen_id(runtime: Runtime, who: dict[str, Any]) -> int:
    with runtime.db.reading() as session:
        return int(session.execute(select(Citizen.id).where(Citizen.public_id == who["id"])).scalar_one())


def code_of(answer: Any) -> str:
    return str(answer["error"]["code"])


# -- concurrency, through HTTP -------------------------------------------------------------------


def test_redemptions__fifty_at_once_leave_exactly_ten_vouchers(api: Api, runtime: Runtime) -> None:
    seller = merchant(api)
    items = [item(api, seller, price=11, stock=100)["id"] for _ in range(5)]
    [alice] = citizens_with_rides(api, 1, rides=2)
    assert me(api, alice)["balance"] == 2 * METRO_POINTS == 116  # covers ten of 11 points

    def go(i: int) -> int:
        response = api.http.post(
            "/v1/mall/redemptions", json={"item_id": items[i % 5]}, headers=api.auth(alice["token"])
        )
        return response.status_code if response.status_code == 201 else -int(response.status_code)

    statuses = at_once(50, go)
    assert (statuses.count(201), statuses.count(-409)) == (10, 40), statuses
    assert me(api, alice)["balance"] == 116 - 10 * 11
    vouchers = api.get("/v1/mall/vouchers", alice["token"])
    assert len(vouchers) == 10 and {v["status"] for v in vouchers} == {"issued"}
    assert sum(i["stock"] for i in api.get("/v1/mall/items")) == 500 - 10
    balance_law(runtime)


def test_redemptions__fifty_citizens_at_once_get_a_stock_of_three(api: Api, runtime: Runtime) -> None:
    seller = merchant(api)
    cup = item(api, seller, price=10, stock=3)["id"]
    people = citizens_with_rides(api, 50)

    def go(i: int) -> Any:
        response = api.http.post(
            "/v1/mall/redemptions", json={"item_id": cup}, headers=api.auth(people[i]["token"])
        )
        return response.status_code, response.json()

    outcomes = at_once(50, go)
    codes = [o[1]["error"]["code"] for o in outcomes if isinstance(o, tuple) and o[0] == 409]
    assert sum(1 for o in outcomes if isinstance(o, tuple) and o[0] == 201) == 3, outcomes[:3]
    assert codes == ["out_of_stock"] * 47
    assert api.get(f"/v1/mall/items/{cup}")["stock"] == 0
    assert sum(me(api, p)["balance"] for p in people) == 50 * METRO_POINTS - 3 * 10
    balance_law(runtime)


# -- the walk: list, redeem, confirm, expire, statement -------------------------------------------


def test_mall__listing_is_public_and_only_approved_merchants_list(api: Api, runtime: Runtime) -> None:
    pending = api.participant(["merchant"])
    body = {"name": "Cup", "points_price": 10, "stock": 1}
    holder = api.participant(["holder"])
    before = footprint(runtime)
    refused = api.post("/v1/mall/items", body, pending["token"], expect=403).json()
    assert code_of(refused) == "merchant_not_approved"
    assert code_of(api.post("/v1/mall/items", body, holder["token"], expect=403).json()) == "forbidden"
    not_merchant = api.post(
        "/v1/mall/merchants", {"participant_id": holder["id"], "display_name": "H"}, api.operator, expect=409
    ).json()
    assert code_of(not_merchant) == "not_a_merchant"
    by_holder = api.post(
        "/v1/mall/merchants",
        {"participant_id": pending["id"], "display_name": "P"},
        holder["token"],
        expect=403,
    )
    assert code_of(by_holder.json()) == "forbidden"
    for bad in (
        {**body, "points_price": 0},
        {**body, "stock": -1},
        {**body, "points_price": "10"},
        {"name": "x"},
    ):
        seller_answer = api.post("/v1/mall/items", bad, pending["token"], expect=422).json()
        assert code_of(seller_answer) == "validation_error"
    assert not written(before, footprint(runtime))

    seller = merchant(api, "Jinli Tea House")
    again = api.post(
        "/v1/mall/merchants",
        {"participant_id": seller["id"], "display_name": "Again"},
        api.operator,
        expect=409,
    )
    assert code_of(again.json()) == "merchant_already_approved"
    cup = item(api, seller, price=25, stock=4)
    TypeAdapter(ItemOut).validate_python(cup)
    assert (cup["merchant"], cup["points_price"], cup["stock"], cup["active"]) == (
        "Jinli Tea House",
        25,
        4,
        True,
    )
    assert api.get("/v1/mall/items") == [cup]  # no token: public
    assert api.get(f"/v1/mall/items/{cup['id']}") == cup
    assert code_of(api.get("/v1/mall/items/999999", expect=404)) == "item_not_found"
    assert [m["display_name"] for m in api.get("/v1/mall/merchants")] == ["Jinli Tea House"]

    changed = api.http.patch(
        f"/v1/mall/items/{cup['id']}",
        json={"points_price": 30, "stock": 9},
        headers=api.auth(seller["token"]),
    )
    assert changed.status_code == 200 and (changed.json()["points_price"], changed.json()["stock"]) == (30, 9)
    other = merchant(api, "Kuanzhai Books")
    foreign = api.http.patch(
        f"/v1/mall/items/{cup['id']}", json={"stock": 0}, headers=api.auth(other["token"])
    )
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "item_not_found")
    withdrawn = api.http.patch(
        f"/v1/mall/items/{cup['id']}", json={"active": False}, headers=api.auth(seller["token"])
    )
    assert withdrawn.status_code == 200
    assert api.get("/v1/mall/items") == []


def test_redemption__needs_a_citizen_token_and_refuses_beyond_balance_or_stock(
    api: Api, runtime: Runtime
) -> None:
    seller = merchant(api)
    cup = item(api, seller, price=50, stock=1)["id"]
    dear = item(api, seller, price=METRO_POINTS + 1, stock=5)["id"]
    alice, bob = citizens_with_rides(api, 2)
    before = footprint(runtime)
    assert (
        code_of(api.post("/v1/mall/redemptions", {"item_id": cup}, None, expect=401).json())
        == "unauthenticated"
    )
    # a participant's token is not a citizen's
    assert api.post("/v1/mall/redemptions", {"item_id": cup}, seller["token"], expect=401).status_code == 401
    assert code_of(redeem(api, alice, dear, expect=409)) == "insufficient_points"
    assert code_of(redeem(api, alice, 999999, expect=404)) == "item_not_found"
    assert code_of(redeem(api, alice, "1", expect=422)) == "validation_error"
    assert not written(before, footprint(runtime))

    done = redeem(api, alice, cup)
    TypeAdapter(RedemptionOut).validate_python(done)
    assert (done["balance"], done["points"], done["status"], done["item"]) == (
        METRO_POINTS - 50,
        50,
        "issued",
        "Bamboo cup",
    )
    before = footprint(runtime)
    assert code_of(redeem(api, bob, cup, expect=409)) == "out_of_stock"
    assert not written(before, footprint(runtime))
    assert me(api, bob)["balance"] == METRO_POINTS
    # the citizen sees its voucher, never its code again
    [voucher] = api.get("/v1/mall/vouchers", alice["token"])
    TypeAdapter(VoucherOut).validate_python(voucher)
    assert "code" not in voucher and voucher["id"] == done["id"]
    assert api.get("/v1/mall/vouchers", bob["token"]) == []
    assert me(api, alice)["history"][0]["kind"] == "redeem"


def test_vouchers__confirmed_once_at_their_own_merchant(api: Api, runtime: Runtime) -> None:
    tea, books = merchant(api, "Tea"), merchant(api, "Books")
    cup = item(api, tea, price=20, stock=5)["id"]
    [alice] = citizens_with_rides(api, 1)
    done = redeem(api, alice, cup)
    before = footprint(runtime)
    assert code_of(confirm(api, books, done["code"], expect=404)) == "voucher_not_found"
    assert code_of(confirm(api, tea, "ZZZZZZZZZZZZ", expect=404)) == "voucher_not_found"
    assert code_of(confirm(api, alice, done["code"], expect=401)) == "unauthenticated"  # a citizen's token
    assert not written(before, footprint(runtime))
    confirmed = confirm(api, tea, done["code"].lower())
    assert confirmed["status"] == "confirmed" and confirmed["confirmed_at"]
    before = footprint(runtime)
    assert code_of(confirm(api, tea, done["code"], expect=409)) == "voucher_already_confirmed"
    assert not written(before, footprint(runtime))
    assert api.get("/v1/mall/vouchers", alice["token"])[0]["status"] == "confirmed"
    with runtime.db.reading() as session:
        assert ledger.account_points(session, ledger.voucher_account(done["id"])) == 0
        assert ledger.account_points(session, ledger.merchant_account(confirmed["merchant_id"])) == 20
    balance_law(runtime)


def test_vouchers__expire_and_the_points_come_back(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    tea = merchant(api)
    cup = item(api, tea, price=20, stock=5)["id"]
    [alice] = citizens_with_rides(api, 1)
    kept = redeem(api, alice, cup)
    monkeypatch.setattr(service, "VOUCHER_VALIDITY", timedelta(0))  # expires as it is issued
    lapsed = redeem(api, alice, cup)
    assert me(api, alice)["balance"] == METRO_POINTS - 40
    before = footprint(runtime)
    assert code_of(confirm(api, tea, lapsed["code"], expect=409)) == "voucher_expired"
    assert not written(before, footprint(runtime))

    assert code_of(api.post("/v1/mall/vouchers/expiry", None, tea["token"], expect=403).json()) == "forbidden"
    expired = api.post("/v1/mall/vouchers/expiry", None, api.operator, expect=200).json()["expired"]
    assert [v["id"] for v in expired] == [lapsed["id"]] and expired[0]["status"] == "expired"
    assert api.post("/v1/mall/vouchers/expiry", None, api.operator, expect=200).json() == {"expired": []}
    with runtime.db.reading() as session:
        assert ledger.balance(session, citizen_id(runtime, alice)).points == METRO_POINTS - 20
    assert code_of(confirm(api, tea, lapsed["code"], expect=409)) == "voucher_expired"
    assert {v["id"]: v["status"] for v in api.get("/v1/mall/vouchers", alice["token"])} == {
        kept["id"]: "issued",
        lapsed["id"]: "expired",
    }
    assert confirm(api, tea, kept["code"])["status"] == "confirmed"
    balance_law(runtime)


def test_statement__equals_the_confirmed_vouchers(api: Api, runtime: Runtime) -> None:
    tea, books = merchant(api, "Tea"), merchant(api, "Books")
    cup = item(api, tea, price=7, stock=10, name="Cup")["id"]
    pot = item(api, tea, price=11, stock=10, name="Pot")["id"]
    book = item(api, books, price=5, stock=10)["id"]
    [alice] = citizens_with_rides(api, 1)
    confirmed = []
    for item_id in (cup, pot, cup):
        confirmed.append(confirm(api, tea, redeem(api, alice, item_id)["code"]))
    redeem(api, alice, pot)  # issued, not confirmed: not on the statement
    confirm(api, books, redeem(api, alice, book)["code"])  # another merchant's

    month = datetime.now(UTC).astimezone(CST).strftime("%Y-%m")
    statement = api.get(f"/v1/mall/statements/{month}", tea["token"])
    TypeAdapter(StatementOut).validate_python(statement)
    assert [(v["voucher_id"], v["item"], v["points"], v["confirmed_at"]) for v in statement["vouchers"]] == [
        (c["id"], c["item"], c["points"], c["confirmed_at"]) for c in confirmed
    ]
    assert (statement["count"], statement["total_points"], statement["timezone"]) == (3, 25, "+08:00")
    with runtime.db.reading() as session:
        assert ledger.account_points(session, ledger.merchant_account(statement["merchant_id"])) == 25
    assert api.get("/v1/mall/statements/2020-01", tea["token"])["vouchers"] == []
    assert code_of(api.get("/v1/mall/statements/2026-13", tea["token"], expect=422)) == "validation_error"
    assert code_of(api.get(f"/v1/mall/statements/{month}", alice["token"], expect=401)) == "unauthenticated"
    assert api.get(f"/v1/mall/statements/{month}", books["token"])["total_points"] == 5


def test_points_me__shows_a_voucher_refund(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    tea = merchant(api)
    cup = item(api, tea, price=20, stock=5)["id"]
    [alice] = citizens_with_rides(api, 1)
    monkeypatch.setattr(service, "VOUCHER_VALIDITY", timedelta(0))
    redeem(api, alice, cup)
    api.post("/v1/mall/vouchers/expiry", None, api.operator, expect=200)
    mine = me(api, alice)
    assert (mine["balance"], mine["history"][0]["kind"]) == (METRO_POINTS, "refund")
