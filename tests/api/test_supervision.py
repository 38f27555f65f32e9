"""Supervision through HTTP (R24): freeze, invalidate, pause — and what they stop."""

from __future__ import annotations

from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api


def test_supervision__frozen_account_cannot_move_credits_until_unfrozen(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    supervisor = api.participant(["supervisor"])
    done = api.ok(
        f"/v1/supervision/accounts/{owner['id']}/freeze", {"reason": "dispute 2025-07"}, supervisor["token"]
    )
    assert [f["participant"] for f in done["frozen_accounts"]] == [owner["id"]]
    assert runtime.tanhui.is_account_frozen(owner["address"])

    refused = api.post(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}, owner["token"], expect=409
    )
    assert refused.json()["error"]["code"] == "frozen"
    refused = api.post(
        "/v1/retirements", {"batch_id": batch_id, "amount_kg": 1, "beneficiary": "x", "purpose": "voluntary"},
        owner["token"], expect=409,
    )  # fmt: skip
    assert refused.json()["error"]["code"] == "frozen"
    again = api.post(
        f"/v1/supervision/accounts/{owner['id']}/freeze", {"reason": "twice"}, supervisor["token"], expect=409
    )
    assert again.json()["error"]["code"] == "invalid_state"

    api.ok(f"/v1/supervision/accounts/{owner['id']}/unfreeze", {"reason": "settled"}, supervisor["token"])
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}, owner["token"])


def test_supervision__frozen_batch_is_invalidated_and_stays_conserved(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    supervisor = api.participant(["supervisor"])
    api.ok(
        f"/v1/supervision/batches/{batch_id}/freeze",
        {"reason": "verification under review"},
        supervisor["token"],
    )
    assert api.get(f"/v1/batches/{batch_id}")["frozen"] is True
    refused = api.post(
        "/v1/retirements", {"batch_id": batch_id, "amount_kg": 1, "beneficiary": "x", "purpose": "voluntary"},
        owner["token"], expect=409,
    )  # fmt: skip
    assert refused.json()["error"]["code"] == "frozen"

    too_much = api.post(
        "/v1/supervision/invalidations",
        {"batch_id": batch_id, "holder": owner["id"], "amount_kg": 10**9, "reason": "overstated"},
        supervisor["token"], expect=409,
    )  # fmt: skip
    assert too_much.json()["error"]["code"] == "insufficient_balance"
    api.ok(
        "/v1/supervision/invalidations",
        {
            "batch_id": batch_id,
            "holder": owner["id"],
            "amount_t": "50.000",
            "reason": "meter overstated 50 t",
        },
        supervisor["token"],
    )
    supply = api.get(f"/v1/batches/{batch_id}")["supply"]
    assert supply["invalidated_kg"] == 50_000
    assert supply["held_kg"] == supply["issued_kg"] - 50_000
    assert runtime.tanhui.batch(batch_id).invalidated == 50_000
    result = reconcile(runtime)
    assert result.ok, result.differences


def test_supervision__pause_stops_every_change_until_unpaused(api: Api, runtime: Runtime) -> None:
    batch_id, owner, _ = api.issued_batch()
    buyer = api.participant(["holder"])
    supervisor = api.participant(["supervisor"])
    done = api.ok("/v1/supervision/pause", {"reason": "incident"}, supervisor["token"])
    assert done["paused"] == {"registry": True, "credits": True}
    assert runtime.tanhui.is_paused()

    refused = api.post(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}, owner["token"], expect=409
    )
    assert refused.json()["error"]["code"] == "paused"
    refused = api.post(
        "/v1/participants", {"name": "late", "kind": "person", "roles": ["holder"]}, api.operator, expect=409
    )
    assert refused.json()["error"]["code"] == "paused"

    api.ok("/v1/supervision/unpause", {"reason": "resolved"}, supervisor["token"])
    assert not runtime.tanhui.is_paused()
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_kg": 1}, owner["token"])
