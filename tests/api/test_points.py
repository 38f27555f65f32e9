"""Public points through HTTP, on SQLite and PostgreSQL: signed partner batches, every record
accepted or rejected with its reason, duplicates counted once, caps, fraud rules, the ledger's
balance law, expiry, and the daily epoch anchored on chain with a proof each citizen can check."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from chain.points import leaf_hash
from chain.points import verify as verify_proof
from registry.models import LedgerPosting, PointsAct
from registry.points import ledger
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_bad_input import footprint, written

# docs/points/metro.md, "Worked example": 12.5 km x 46.7 g = 583.75 -> 583 g -> 58 points.
METRO_KM, METRO_POINTS, METRO_GRAMS = "12.5", 58, 583
METRO_DAILY_CAP = 280


class Partner:
    def __init__(self, api: Api, name: str, scenes: list[str]) -> None:
        self.api = api
        body = api.ok("/v1/points/partners", {"name": name, "scenes": scenes}, api.operator)
        self.id, self.key = body["id"], bytes.fromhex(body["key"])

    def headers(self, method: str, path: str, body: bytes, *, key: bytes | None = None) -> dict[str, str]:
        signed = hmac.new(key or self.key, f"{method} {path}\n".encode() + body, hashlib.sha256).hexdigest()
        return {"Content-Type": "application/json", "X-Tanhui-Partner": self.id, "X-Tanhui-Signature": signed}

    def send(self, records: list[dict[str, Any]], *, expect: int = 200, key: bytes | None = None) -> Any:
        body = json.dumps({"records": records}).encode()
        response = self.api.http.post(
            "/v1/points/acts", content=body, headers=self.headers("POST", "/v1/points/acts", body, key=key)
        )
        assert response.status_code == expect, response.text
        return response.json()


def ride(
    record: str, citizen: dict[str, Any], *, km: str = METRO_KM, at: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    when = at or datetime.now(UTC) - timedelta(hours=2)
    return {
        "id": record,
        "citizen": citizen["id"],
        "scene": "metro",
        "occurred_at": when.isoformat(),
        "quantity": km,
        **extra,
    }


def citizen(api: Api) -> dict[str, Any]:
    return api.ok("/v1/points/citizens", None, api.operator)


def me(api: Api, who: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = api.get("/v1/points/me", who["token"])
    return data


def balance_law(runtime: Runtime) -> None:
    with runtime.db.transaction() as session:
        assert ledger.unbalanced_transactions(session) == []


def test_batch__valued_counted_once_and_in_the_ledger(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice, bob = citizen(api), citizen(api)
    base = datetime.now(UTC) - timedelta(hours=3)
    records = [
        ride(f"r{i}", who, at=base + timedelta(minutes=i)) for i, who in enumerate([alice, bob, alice])
    ]
    answer = metro.send(records)
    assert (answer["accepted"], answer["rejected"], answer["duplicate"]) == (3, 0, 0)
    assert [r["points"] for r in answer["results"]] == [METRO_POINTS] * 3
    assert [r["grams"] for r in answer["results"]] == [METRO_GRAMS] * 3
    assert (me(api, alice)["balance"], me(api, bob)["balance"]) == (2 * METRO_POINTS, METRO_POINTS)
    assert me(api, alice)["grams"] == 2 * METRO_GRAMS and len(me(api, alice)["history"]) == 2

    # The same batch again: every record a duplicate, nothing written.
    before = footprint(runtime)
    again = metro.send(records)
    assert (again["accepted"], again["duplicate"]) == (0, 3)
    assert not written(before, footprint(runtime))
    balance_law(runtime)


def test_batch__unsigned_wrongly_signed_or_too_large_is_refused_and_stores_nothing(
    api: Api, runtime: Runtime
) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice = citizen(api)
    body = json.dumps({"records": [ride("x", alice)]}).encode()
    before = footprint(runtime)
    unsigned = api.http.post("/v1/points/acts", content=body, headers={"Content-Type": "application/json"})
    assert (unsigned.status_code, unsigned.json()["error"]["code"]) == (401, "bad_signature")
    wrong = metro.send([ride("x", alice)], expect=401, key=b"\x00" * 32)
    assert wrong["error"]["code"] == "bad_signature"
    headers = metro.headers("POST", "/v1/points/acts", body)
    tampered = api.http.post("/v1/points/acts", content=body.replace(b"12.5", b"99.5"), headers=headers)
    assert tampered.status_code == 401
    too_many = metro.send([ride(f"n{i}", alice) for i in range(10_001)], expect=413)
    assert too_many["error"]["code"] == "batch_too_large"
    assert not written(before, footprint(runtime))


def test_records__each_rejected_with_its_reason(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice = citizen(api)
    now = datetime.now(UTC)
    cases = {
        "unknown_scene": {**ride("a", alice), "scene": "teleport"},
        "scene_not_allowed": {**ride("b", alice), "scene": "bus"},
        "unknown_citizen": {**ride("c", alice), "citizen": "ctz_000000000000"},
        "future_time": ride("d", alice, at=now + timedelta(hours=2)),
        "too_old": ride("e", alice, at=now - timedelta(days=400)),
        "bad_time": {**ride("f", alice), "occurred_at": "yesterday"},
        "non_positive_quantity": ride("g", alice, km="-3"),
        "impossible_distance": ride("h", alice, km="500"),
        "bad_quantity": ride("i", alice, km="a lot"),
    }
    answer = metro.send(list(cases.values()))
    assert answer["accepted"] == 0
    assert [r["reason"] for r in answer["results"]] == list(cases)
    rejections = metro.api.http.get(
        "/v1/points/rejections", headers=metro.headers("GET", "/v1/points/rejections", b"")
    )
    assert rejections.status_code == 200
    assert sorted(r["reason"] for r in rejections.json()) == sorted(cases)
    assert me(api, alice)["balance"] == 0
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(LedgerPosting)).scalar_one() == 0


def test_caps_and_fraud_rules(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    bikes = Partner(api, "Tianfu Bikes", ["metro", "bike_share"])
    alice = citizen(api)
    base = (datetime.now(UTC) - timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    # Five rides of 58 points reach the metro's daily cap of 280: the fifth is cut to 48, the
    # sixth refused.
    answer = metro.send([ride(f"c{i}", alice, at=base + timedelta(minutes=10 * i)) for i in range(6)])
    assert [r["points"] for r in answer["results"]] == [58, 58, 58, 58, METRO_DAILY_CAP - 4 * 58, 0]
    assert answer["results"][5]["reason"] == "cap_reached"
    assert me(api, alice)["balance"] == METRO_DAILY_CAP
    # The same ride reported by another partner counts once.
    again = bikes.send([ride("other-id", alice, at=base)])
    assert again["results"][0]["reason"] == "duplicate_trip"
    # One device reporting for more than 20 acts in a minute: a burst.
    people = [citizen(api) for _ in range(22)]
    burst = metro.send(
        [ride(f"d{i}", p, at=base + timedelta(hours=3), device="phone-1") for i, p in enumerate(people)]
    )
    assert [r["reason"] for r in burst["results"]].count("device_burst") == 2
    balance_law(runtime)


def test_expiry_epoch_anchored_and_proof_checked_against_the_chain(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice, bob = citizen(api), citizen(api)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    old = datetime.now(UTC) - timedelta(days=40)
    runtime.settings.points_validity_days = 30  # what alice earned 40 days ago has expired
    metro.send([ride("old", alice, at=old)])
    runtime.settings.points_validity_days = 730
    metro.send(
        [ride("new", alice, at=old + timedelta(days=38)), ride("bob", bob, at=old + timedelta(days=38))]
    )
    assert me(api, alice)["balance"] == 2 * METRO_POINTS

    epoch = api.ok("/v1/points/epochs", {"day": str(yesterday)}, api.operator)
    assert (epoch["epoch"], epoch["leaf_count"]) == (1, 2)
    assert epoch["anchor"]["status"] == "confirmed"
    assert me(api, alice)["balance"] == METRO_POINTS  # the old ride's points expired
    assert me(api, alice)["history"][0]["kind"] == "expire"
    assert epoch["total_points"] == 2 * METRO_POINTS and epoch["total_grams"] == 3 * METRO_GRAMS
    on_chain = runtime.tanhui.points_epoch(1)
    assert "0x" + on_chain.root.hex() == epoch["root"] and on_chain.leaf_count == 2

    proof = api.get(f"/v1/points/proofs/{alice['id']}", alice["token"])
    assert (proof["points"], proof["grams"], proof["epoch"]) == (METRO_POINTS, 2 * METRO_GRAMS, 1)
    branch = [bytes.fromhex(p[2:]) for p in proof["proof"]]
    pseudonym = bytes.fromhex(proof["pseudonym"][2:])
    assert runtime.tanhui.verify_points(1, pseudonym, proof["points"], proof["grams"], branch)
    assert verify_proof(on_chain.root, leaf_hash(pseudonym, proof["points"], proof["grams"]), branch)
    assert not runtime.tanhui.verify_points(1, pseudonym, proof["points"] + 1, proof["grams"], branch)
    # Another citizen's proof is not one's own to read.
    other = api.get(f"/v1/points/proofs/{bob['id']}", alice["token"], expect=403)
    assert other["error"]["code"] == "forbidden"
    # A day closes once.
    again = api.post("/v1/points/epochs", {"day": str(yesterday)}, api.operator, expect=409)
    assert again.json()["error"]["code"] == "invalid_state"
    balance_law(runtime)


def test_account__closed_by_the_citizen_keeps_its_ledger(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice = citizen(api)
    metro.send([ride("a", alice)])
    closed = api.ok("/v1/points/me/close", None, alice["token"], expect=200)
    assert closed["balance"] == METRO_POINTS
    assert api.get("/v1/points/me", alice["token"], expect=401)["error"]["code"] == "unauthenticated"
    late = metro.send([ride("b", alice, at=datetime.now(UTC) - timedelta(minutes=30))])
    assert late["results"][0]["reason"] == "unknown_citizen"
    with runtime.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(PointsAct)).scalar_one() == 2


@pytest.mark.parametrize("role", ["holder", "verifier"])
def test_registering_partners_and_citizens_is_the_registrars(api: Api, role: str) -> None:
    other = api.participant([role])
    refused = api.post("/v1/points/partners", {"name": "x", "scenes": ["metro"]}, other["token"], expect=403)
    assert refused.json()["error"]["code"] == "forbidden"
    assert api.post("/v1/points/citizens", None, other["token"], expect=403).status_code == 403


def test_reconcile__names_a_points_epoch_that_differs_from_the_chain(api: Api, runtime: Runtime) -> None:
    from registry.models import PointsEpoch
    from registry.reconcile import reconcile

    metro = Partner(api, "Chengdu Metro", ["metro"])
    metro.send([ride("a", citizen(api))])
    for days_ago in (2, 1):  # two epochs anchored
        day = (datetime.now(UTC) - timedelta(days=days_ago)).date()
        api.ok("/v1/points/epochs", {"day": str(day)}, api.operator)
    assert reconcile(runtime).ok
    for field, change in (
        ("root", "0x" + "ab" * 32),
        ("leaf_count", 7),
        ("total_points", 1),
        ("total_grams", 1),
    ):
        with runtime.db.transaction() as session:
            epoch = session.get(PointsEpoch, 1)
            assert epoch is not None
            before = getattr(epoch, field)
            setattr(epoch, field, change)
        try:
            named = [(d["subject"], d["field"]) for d in reconcile(runtime).differences]
        finally:
            with runtime.db.transaction() as session:
                setattr(session.get(PointsEpoch, 1), field, before)
        assert ("points epoch 1", field) in named, named
    # The chain anchored an epoch the registry holds as failed (e.g. a restored database): the
    # registry's last is the first, the chain's the second.
    from registry.models import ChainOperation

    with runtime.db.transaction() as session:
        epoch = session.get(PointsEpoch, 2)
        assert epoch is not None
        operation = session.get(ChainOperation, epoch.operation_id)
        assert operation is not None
        operation.status = "failed"  # type: ignore[assignment]
    found = [
        (d["database"], d["chain"])
        for d in reconcile(runtime).differences
        if (d["subject"], d["field"]) == ("points epochs", "last anchored")
    ]
    assert found == [(1, 2)]
    with runtime.db.transaction() as session:
        epoch = session.get(PointsEpoch, 2)
        assert epoch is not None
        operation = session.get(ChainOperation, epoch.operation_id)
        assert operation is not None
        operation.status = "confirmed"  # type: ignore[assignment]
    assert reconcile(runtime).ok


def test_caps__hold_under_concurrent_batches_naming_one_citizen(api: Api, runtime: Runtime) -> None:
    # Two partners' batches for one citizen at the same time, each reaching the daily cap alone:
    # the citizen's row lock makes the second read what the first wrote (without it, on
    # PostgreSQL, both read nothing earned yet and the citizen gets twice the cap).
    import threading

    from registry.models import PointsPartner
    from registry.points import ingest

    partners = [Partner(api, f"Metro {i}", ["metro"]) for i in range(2)]
    alice = citizen(api)
    base = (datetime.now(UTC) - timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    batches = [
        [ride(f"p{n}-{i}", alice, at=base + timedelta(minutes=10 * i + n * 300)) for i in range(6)]
        for n in range(2)
    ]
    ingested, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            if n == 1:
                ingested.wait(10)  # the first batch is written, not committed yet
            with runtime.db.transaction() as session:
                partner = session.execute(
                    select(PointsPartner).where(PointsPartner.public_id == partners[n].id)
                ).scalar_one()
                ingest.ingest(session, partner, batches[n])
                if n == 0:
                    ingested.set()
                    release.wait(10)  # hold the transaction open while the second batch comes
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    assert ingested.wait(10)
    threads[1].join(0.5)  # with the lock the second batch waits for the first to commit
    release.set()
    for t in threads:
        t.join()
    assert not errors, errors
    assert me(api, alice)["balance"] == METRO_DAILY_CAP
    balance_law(runtime)


def test_hostile_batches__answered_with_a_code_never_a_server_error(api: Api, runtime: Runtime) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice = citizen(api)
    body = json.dumps({"records": [ride("x", alice)]}).encode()
    odd = api.http.post(
        "/v1/points/acts",
        content=body,
        headers={
            **metro.headers("POST", "/v1/points/acts", body),
            "X-Tanhui-Signature": ("é" * 64).encode("latin-1"),
        },
    )
    assert (odd.status_code, odd.json()["error"]["code"]) == (401, "bad_signature")
    deep = b"[" * 100_000 + b"]" * 100_000
    nested = api.http.post(
        "/v1/points/acts", content=deep, headers=metro.headers("POST", "/v1/points/acts", deep)
    )
    assert (nested.status_code, nested.json()["error"]["code"]) == (400, "invalid_request")
    extremes = metro.send(
        [
            {**ride("y", alice), "occurred_at": "0001-01-01T00:00:00+01:00"},
            {**ride("z", alice), "occurred_at": "9999-12-31T23:59:00-01:00"},
            {**ride(5, alice), "id": None},  # an id that is not text
        ]
    )
    assert [r["reason"] for r in extremes["results"]] == ["bad_time", "bad_time", "bad_record"]


def test_batch__a_rejected_record_sent_again_corrected_is_accepted(api: Api) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    alice = citizen(api)
    first = metro.send([ride("fix-me", alice, km="900")])
    assert first["results"][0]["reason"] == "impossible_distance"
    again = metro.send([{**ride("fix-me", alice), "quantity": json_number(METRO_KM)}])
    assert (again["results"][0]["status"], again["results"][0]["points"]) == ("accepted", METRO_POINTS)
    assert metro.send([ride("fix-me", alice)])["results"][0]["status"] == "duplicate"


def json_number(value: str) -> float:
    return float(value)


def test_device_burst__split_over_batches_is_still_a_burst(api: Api) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    people = [citizen(api) for _ in range(24)]
    at = (datetime.now(UTC) - timedelta(hours=5)).replace(second=0, microsecond=0)
    first = metro.send([ride(f"a{i}", p, at=at, device="gate-1") for i, p in enumerate(people[:12])])
    second = metro.send([ride(f"b{i}", p, at=at, device="gate-1") for i, p in enumerate(people[12:])])
    assert first["accepted"] == 12
    assert [r["reason"] for r in second["results"]].count("device_burst") == 4


def test_epoch__an_anchoring_the_chain_refuses_is_a_409_and_the_day_closes_again(
    api: Api, runtime: Runtime
) -> None:
    metro = Partner(api, "Chengdu Metro", ["metro"])
    metro.send([ride("a", citizen(api))])
    day = str((datetime.now(UTC) - timedelta(days=1)).date())
    pause_registry = runtime.tanhui.pause_calls()[0]
    runtime.client.transact(pause_registry, runtime.operator)
    try:
        refused = api.post("/v1/points/epochs", {"day": day}, api.operator, expect=409)
        assert refused.json()["error"]["code"] == "chain_rejected"
    finally:
        runtime.client.transact(runtime.tanhui.unpause_calls()[0], runtime.operator)
        runtime.indexer.sync()
    epoch = api.ok("/v1/points/epochs", {"day": day}, api.operator)
    assert (epoch["epoch"], epoch["anchor"]["status"]) == (1, "confirmed")
    assert runtime.tanhui.points_epoch(1).leaf_count == 1


def test_deeply_nested_json__is_refused_not_a_crash_of_the_service(api: Api) -> None:
    # py-evm raises Python's recursion limit to 100,000 when imported; parsing JSON nested that
    # deep then overflowed the C stack and killed the process, before any token was checked.
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    response = api.http.post("/v1/participants", content=deep, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert api.http.get("/v1/health").status_code == 200


def test_monthly_cap__counts_what_the_month_earned_on_later_days(api: Api) -> None:
    # household_electricity (docs/points/household_electricity.md): 3,000 points a month. An act
    # reported first for the 20th uses the month up; one reported next for the 5th of the same
    # month finds it used (its day is earlier, the month is the same).
    utility = Partner(api, "State Grid Chengdu", ["household_electricity"])
    home = citizen(api)
    month = (datetime.now(UTC) - timedelta(days=45)).replace(hour=12, minute=0, second=0, microsecond=0)

    def saving(record: str, day: int) -> dict[str, Any]:
        return {
            "id": record,
            "citizen": home["id"],
            "scene": "household_electricity",
            "occurred_at": month.replace(day=day).isoformat(),
            "quantity": "200",
            "detail": {"baseline_kwh": "400"},
        }

    late = utility.send([saving("m20", 20)])
    assert (late["results"][0]["status"], late["results"][0]["points"]) == ("accepted", 3000)
    early = utility.send([saving("m05", 5)])
    assert early["results"][0]["reason"] == "cap_reached"


def test_ingest__a_record_dated_at_the_calendars_end_is_rejected_not_a_500(api: Api) -> None:
    """A record of year 9999 is rejected for its time; the batch's other records are taken."""
    metro = Partner(api, "Metro far future", ["metro"])
    rider = citizen(api)
    far = ride("far-1", rider)
    far["occurred_at"] = "9999-12-31T12:00:00Z"
    result = metro.send([far, ride("near-1", rider)])
    assert result["accepted"] == 1 and result["rejected"] == 1, result


def test_reconcile__names_an_unbalanced_transaction_every_dangling_reference_and_a_wrong_earning(
    api: Api, runtime: Runtime
) -> None:
    """The points tables have no foreign keys (migration 0015): reconcile checks the ledger's law,
    the references and each earning against its act set-wise, and names each break with its row
    and field."""
    from sqlalchemy import update

    from registry.models import Citizen, PointsPartner
    from registry.reconcile import reconcile

    metro = Partner(api, "Chengdu Metro", ["metro"])
    metro.send([ride("a", citizen(api))])
    other = citizen(api)  # another citizen, with no points
    assert reconcile(runtime).ok
    with runtime.db.transaction() as session:
        act = session.execute(select(PointsAct)).scalar_one()
        mine = session.execute(
            select(LedgerPosting).where(LedgerPosting.act_id == act.id, LedgerPosting.citizen_id.is_not(None))
        ).scalar_one()
        act_id, posting_id, txn, citizen_id = act.id, mine.id, mine.txn, mine.citizen_id
        partner_id, points = act.partner_id, act.points
        other_id = session.execute(select(Citizen.id).where(Citizen.public_id == other["id"])).scalar_one()
        last_citizen = session.execute(select(func.max(Citizen.id))).scalar_one()
        last_partner = session.execute(select(func.max(PointsPartner.id))).scalar_one()
    assert points == METRO_POINTS and citizen_id != other_id

    def named_after(change: Any, undo: Any) -> list[tuple[str, str, Any, Any]]:
        with runtime.db.transaction() as session:
            session.execute(change)
        try:
            differences = reconcile(runtime).differences
            return [(d["subject"], d["field"], d["database"], d["chain"]) for d in differences]
        finally:
            with runtime.db.transaction() as session:
                session.execute(undo)

    ghost, ghost_partner = last_citizen + 100, last_partner + 100
    posting, act_row = f"points posting {posting_id}", f"points act {act_id}"
    earned = "points earned in the ledger"
    by_posting = update(LedgerPosting).where(LedgerPosting.id == posting_id)
    by_act = update(PointsAct).where(PointsAct.id == act_id)
    plus_one, minus_one = LedgerPosting.points + 1, LedgerPosting.points - 1
    for change, undo, expected in (
        # the law: a transaction sums to zero (and the act's earning no longer matches it)
        (by_posting.values(points=plus_one), by_posting.values(points=minus_one), [
            (f"ledger transaction {txn}", "sum of postings (points, grams)", [1, 0], [0, 0]),
            (act_row, earned, points + 1, points),
        ]),
        (by_posting.values(grams=LedgerPosting.grams - 5), by_posting.values(grams=LedgerPosting.grams + 5), [
            (f"ledger transaction {txn}", "sum of postings (points, grams)", [0, -5], [0, 0]),
        ]),
        # references to rows that do not exist
        (by_posting.values(citizen_id=ghost), by_posting.values(citizen_id=citizen_id), [
            (posting, "citizen_id", ghost, f"no citizens row {ghost}"),
            (posting, "citizen_id", ghost, citizen_id),
        ]),
        (by_posting.values(act_id=act_id + 100), by_posting.values(act_id=act_id), [
            (posting, "act_id", act_id + 100, f"no points_acts row {act_id + 100}"),
            (act_row, earned, 0, points),
        ]),
        (by_act.values(citizen_id=ghost), by_act.values(citizen_id=citizen_id), [
            (act_row, "citizen_id", ghost, f"no citizens row {ghost}"),
            (posting, "citizen_id", citizen_id, ghost),
        ]),
        (by_act.values(partner_id=ghost_partner), by_act.values(partner_id=partner_id), [
            (act_row, "partner_id", ghost_partner, f"no points_partners row {ghost_partner}"),
        ]),
        # an earning that disagrees with its act: another (real) citizen, a rejected act, points
        (by_posting.values(citizen_id=other_id), by_posting.values(citizen_id=citizen_id), [
            (posting, "citizen_id", other_id, citizen_id),
        ]),
        (by_act.values(status="rejected"), by_act.values(status="accepted"), [
            (posting, "act's status", "rejected", "accepted (an earning's act)"),
        ]),
        (by_act.values(points=PointsAct.points + 1), by_act.values(points=PointsAct.points - 1), [
            (act_row, earned, points, points + 1),
        ]),
        # points credited for an act that earned none (e.g. capped to nothing)
        (by_act.values(points=0), by_act.values(points=points), [(act_row, earned, points, 0)]),
    ):  # fmt: skip
        assert named_after(change, undo) == expected
    assert reconcile(runtime).ok
