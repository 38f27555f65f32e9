"""Carbon-neutrality claims (R14, R15) through HTTP, on SQLite and PostgreSQL: every subject
kind's path from registration to a closing on chain, the attendee who offsets their own trip,
the refusals (each with its code and nothing written), the certificate, and the claim checked
from the chain alone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from chain.claims import ClaimNotFound, verify_claim
from registry.models import ChainOperation, Claim, Retirement
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_bad_input import footprint, written
from tests.registry.footprint_cases import th_fp_evt_001, th_fp_per_001

EVENT_ACTIVITY = th_fp_evt_001.EXAMPLE_RAW
# docs/footprints/TH-FP-EVT-001.md, "Worked example": the expo's footprint, and with a 5 % buffer
# the credits to retire: 564,498 x 1.05 = 592,722.9 -> 592,723 kg (rounded up).
EVENT_FOOTPRINT_KG = 564_498
EVENT_REQUIRED_KG = 592_723
TRIP = th_fp_per_001.EXAMPLE_RAW  # docs/footprints/TH-FP-PER-001.md: 613 kg
TRIP_KG = 613

# A small activity for each of the other subjects (their worked examples exceed one test batch).
SMALL = {
    "organisation": (
        "TH-FP-ORG-001",
        {
            "purchased_electricity_kwh": "20000",
            "purchased_heat_gj": "0",
            "natural_gas_m3": "500",
            "diesel_litres": "0",
        },
    ),
    "fleet": (
        "TH-FP-ORG-001",
        {
            "purchased_electricity_kwh": "0",
            "purchased_heat_gj": "0",
            "natural_gas_m3": "0",
            "diesel_litres": "0",
            "fleet": [{"vehicle_class": "light_truck_diesel", "vehicles": 2, "vehicle_km": "8000"}],
        },
    ),
    "scene": (
        "TH-FP-ORG-001",
        {
            "purchased_electricity_kwh": "12000",
            "purchased_heat_gj": "0",
            "natural_gas_m3": "0",
            "diesel_litres": "0",
        },
    ),
    "route": (
        "TH-FP-AIR-001",
        {
            "great_circle_distance_km": "217",
            "load_factor": "0.75",
            "turboprop": {"flights": 10, "seats_per_flight": 60},
        },
    ),
    "person": ("TH-FP-PER-001", TRIP),
}


def claim_body(
    kind: str, code: str, *, buffer_pct: str = "0", start: str = "2025-09-12", end: str = "2025-09-14"
) -> dict[str, Any]:
    return {
        "kind": kind,
        "subject": f"A {kind} in Chengdu",
        "period_start": start,
        "period_end": end,
        "footprint_methodology": {"code": code, "version": 1},
        "buffer_pct": buffer_pct,
    }


def retire_against(
    api: Api, holder: dict[str, Any], batch_id: int, claim_id: str, kg: int, purpose: str
) -> dict[str, Any]:
    return api.ok(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": kg,
            "beneficiary": claim_id,
            "purpose": purpose,
            "event_id": claim_id,
        },
        holder["token"],
    )


def test_event__footprint_verified_offset_by_organiser_and_attendee_closed_on_chain(
    api: Api, runtime: Runtime
) -> None:
    batch_id, owner, verifier = api.issued_batch()
    organiser = api.participant(["event_organiser", "holder"])
    attendee = api.participant(["holder"], kind="person")
    api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": organiser["id"], "amount_kg": 600_000}, owner["token"]
    )
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": attendee["id"], "amount_kg": 1_000}, owner["token"])

    claim = api.ok("/v1/claims", claim_body("event", "TH-FP-EVT-001", buffer_pct="5"), organiser["token"])
    assert (claim["status"], claim["footprint"]["total_kg"], claim["required_kg"]) == (
        "registered",
        None,
        None,
    )
    claim = api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": EVENT_ACTIVITY}, organiser["token"])
    assert (claim["status"], claim["footprint"]["total_kg"]) == ("footprinted", EVENT_FOOTPRINT_KG)
    assert claim["required_kg"] == EVENT_REQUIRED_KG and claim["buffer_pct"] == "5"
    assert set(claim["footprint"]["by_source"]) == {
        "travel",
        "venue energy",
        "accommodation",
        "catering",
        "materials and waste",
    }

    # Verifying one's own footprint is refused; a verifier verifies it.
    self_check = api.post(
        f"/v1/claims/{claim['id']}/verifications",
        {"decision": "approve", "reason": "mine"},
        organiser["token"],
        expect=403,
    )
    assert self_check.json()["error"]["code"] == "forbidden"
    claim = api.ok(
        f"/v1/claims/{claim['id']}/verifications",
        {"decision": "approve", "reason": "checked"},
        verifier["token"],
    )
    assert claim["status"] == "verified" and claim["verification"]["verifier"] == verifier["id"]

    # The attendee works out their own trip without a token and offsets it against the event.
    trip = api.ok(
        "/v1/footprints/calculate",
        {
            "footprint_methodology": {"code": "TH-FP-PER-001", "version": 1},
            "period_start": "2025-09-12",
            "period_end": "2025-09-14",
            "activity": TRIP,
        },
        None,
        expect=200,
    )
    assert trip["total_kg"] == TRIP_KG
    retire_against(api, attendee, batch_id, claim["id"], trip["total_kg"], "personal_neutrality")

    # Not covered yet: refused with its code, nothing written, nothing sent.
    retire_against(api, organiser, batch_id, claim["id"], 500_000, "event_neutrality")
    before = footprint(runtime)
    refused = api.post(f"/v1/claims/{claim['id']}/close", None, organiser["token"], expect=409)
    error = refused.json()["error"]
    assert error["code"] == "not_covered"
    assert (error["details"]["retired_kg"], error["details"]["required_kg"]) == (
        500_000 + TRIP_KG,
        EVENT_REQUIRED_KG,
    )
    assert not written(before, footprint(runtime))

    rest = EVENT_REQUIRED_KG - 500_000 - TRIP_KG
    retire_against(api, organiser, batch_id, claim["id"], rest, "event_neutrality")
    claim = api.ok(f"/v1/claims/{claim['id']}/close", None, organiser["token"])
    assert claim["status"] == "neutral" and claim["covered"] is True
    assert claim["retired_kg"] == EVENT_REQUIRED_KG and claim["people_offsetting"] == 1
    assert claim["chain"]["retired_kg_at_close"] == EVENT_REQUIRED_KG and claim["chain"]["close_tx"]

    # The chain alone says so.
    account = runtime.tanhui.event_account(bytes.fromhex(claim["chain"]["event_id"][2:]))
    assert (account.footprint_kg, account.required_kg, account.retired_kg) == (
        EVENT_FOOTPRINT_KG,
        EVENT_REQUIRED_KG,
        EVENT_REQUIRED_KG,
    )
    assert "0x" + account.footprint_hash.hex() == claim["footprint"]["hash"]
    evidence = verify_claim(runtime.client, runtime.deployment.credits, claim["id"])
    assert evidence.neutral and evidence.close_tx == claim["chain"]["close_tx"]
    assert sorted(r.amount_kg for r in evidence.retirements) == sorted([TRIP_KG, 500_000, rest])
    with pytest.raises(ClaimNotFound):
        verify_claim(runtime.client, runtime.deployment.credits, "CL-NOSUCHCLAIM")

    # Closed: no more retirements against it, and no second closing.
    late = api.post(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_kg": 1,
            "beneficiary": "late",
            "purpose": "event_neutrality",
            "event_id": claim["id"],
        },
        attendee["token"],
        expect=409,
    )
    assert late.json()["error"]["code"] == "claim_closed"
    again = api.post(f"/v1/claims/{claim['id']}/close", None, organiser["token"], expect=409)
    assert again.json()["error"]["code"] == "invalid_state"

    # The certificate, as a page and a PDF, with the chain evidence.
    page = api.http.get(f"/v1/claims/{claim['id']}/certificate")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert claim["chain"]["close_tx"] in page.text and "564.498 t CO2e" in page.text and "<svg" in page.text
    pdf = api.http.get(f"/v1/claims/{claim['id']}/certificate.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2_000
    assert reconcile(runtime).ok


@pytest.mark.parametrize("kind", sorted(SMALL))
def test_each_subject__registered_footprinted_verified_offset_and_closed(
    api: Api, runtime: Runtime, kind: str
) -> None:
    batch_id, owner, verifier = api.issued_batch()
    claimant = api.participant(["holder"], kind="person" if kind == "person" else "organisation")
    api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": claimant["id"], "amount_kg": 100_000}, owner["token"]
    )
    code, activity = SMALL[kind]
    claim = api.ok("/v1/claims", claim_body(kind, code), claimant["token"])
    claim = api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, claimant["token"])
    calculated = api.ok(
        "/v1/footprints/calculate",
        {
            "footprint_methodology": {"code": code, "version": 1},
            "period_start": "2025-09-12",
            "period_end": "2025-09-14",
            "activity": activity,
        },
        None,
        expect=200,
    )
    assert 0 < claim["footprint"]["total_kg"] == calculated["total_kg"] == claim["required_kg"] < 100_000
    api.ok(
        f"/v1/claims/{claim['id']}/verifications", {"decision": "approve", "reason": "ok"}, verifier["token"]
    )
    purpose = "personal_neutrality" if kind == "person" else "organisation_neutrality"
    retire_against(api, claimant, batch_id, claim["id"], claim["required_kg"], purpose)
    claim = api.ok(f"/v1/claims/{claim['id']}/close", None, claimant["token"])
    assert claim["status"] == "neutral"
    assert runtime.tanhui.event_account(bytes.fromhex(claim["chain"]["event_id"][2:])).closed_at > 0
    assert [c["id"] for c in api.get("/v1/claims") if c["kind"] == kind] == [claim["id"]]
    assert reconcile(runtime).ok


def test_refusals__each_with_its_code_and_nothing_written(api: Api, runtime: Runtime) -> None:
    organiser = api.participant(["event_organiser"])
    company = api.participant(["holder"])
    person = api.participant(["holder"], kind="person")
    verifier = api.participant(["verifier"])
    cases: list[tuple[str, str, dict[str, Any] | None, str, int, str]] = [
        # (path, token, body, what, status, code)
        (
            "/v1/claims",
            company["token"],
            claim_body("event", "TH-FP-EVT-001"),
            "an event without the role",
            403,
            "forbidden",
        ),
        (
            "/v1/claims",
            person["token"],
            claim_body("fleet", "TH-FP-ORG-001"),
            "a person's fleet",
            403,
            "forbidden",
        ),
        (
            "/v1/claims",
            company["token"],
            claim_body("person", "TH-FP-PER-001"),
            "an organisation as a person",
            403,
            "forbidden",
        ),
        (
            "/v1/claims",
            organiser["token"],
            claim_body("event", "TH-FP-AIR-001"),
            "a methodology for another subject",
            400,
            "invalid_request",
        ),
        (
            "/v1/claims",
            organiser["token"],
            claim_body("event", "TH-FP-XXX-001"),
            "an unknown methodology",
            400,
            "invalid_request",
        ),
        (
            "/v1/claims",
            organiser["token"],
            claim_body("event", "TH-FP-EVT-001", buffer_pct="101"),
            "a buffer over 100 %",
            422,
            "validation_error",
        ),
        (
            "/v1/claims",
            organiser["token"],
            claim_body("event", "TH-FP-EVT-001", start="2025-09-14", end="2025-09-12"),
            "a period backwards",
            400,
            "invalid_request",
        ),
    ]
    for path, token, body, what, status, code in cases:
        before = footprint(runtime)
        response = api.post(path, body, token, expect=None)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), what
        assert not written(before, footprint(runtime)), what

    claim = api.ok("/v1/claims", claim_body("event", "TH-FP-EVT-001"), organiser["token"])
    impossible = [
        (
            "a 50,000 km coach ride",
            {
                **EVENT_ACTIVITY,
                "travel": [{**EVENT_ACTIVITY["travel"][0], "mode": "coach", "one_way_km": "50000"}],
            },
        ),
        ("negative electricity", {**EVENT_ACTIVITY, "electricity_kwh": "-5"}),
        ("an unknown field", {**EVENT_ACTIVITY, "fireworks": "1"}),
    ]
    for what, activity in impossible:
        before = footprint(runtime)
        response = api.post(
            f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, organiser["token"], expect=422
        )
        assert response.json()["error"]["code"] == "activity_data_invalid", what
        assert not written(before, footprint(runtime)), what
    # Another participant cannot give the claim its footprint, nor close it.
    other = api.post(
        f"/v1/claims/{claim['id']}/footprint", {"activity": EVENT_ACTIVITY}, company["token"], expect=403
    )
    assert other.json()["error"]["code"] == "forbidden"
    # Nothing to verify yet; closing before verification.
    early = api.post(
        f"/v1/claims/{claim['id']}/verifications",
        {"decision": "approve", "reason": "x"},
        verifier["token"],
        expect=409,
    )
    assert early.json()["error"]["code"] == "invalid_state"
    not_verified = api.post(f"/v1/claims/{claim['id']}/close", None, organiser["token"], expect=409)
    assert not_verified.json()["error"]["code"] == "invalid_state"
    # A rejected footprint comes back for a new one.
    api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": EVENT_ACTIVITY}, organiser["token"])
    rejected = api.ok(
        f"/v1/claims/{claim['id']}/verifications",
        {"decision": "reject", "reason": "no invoices"},
        verifier["token"],
    )
    assert rejected["status"] == "footprint_rejected"
    assert (
        api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": EVENT_ACTIVITY}, organiser["token"])[
            "status"
        ]
        == "footprinted"
    )
    # The public calculator refuses an impossible trip too, with no token.
    bus = api.post(
        "/v1/footprints/calculate",
        {
            "footprint_methodology": {"code": "TH-FP-PER-001", "version": 1},
            "period_start": "2025-09-12",
            "period_end": "2025-09-12",
            "activity": {"legs": [{"mode": "bus", "distance_km": "50000"}], "hotel_nights": 0, "meals": 0},
        },
        None,
        expect=422,
    )
    assert bus.json()["error"]["code"] == "activity_data_invalid"
    # No certificate for a claim that is not neutral.
    assert api.http.get(f"/v1/claims/{claim['id']}/certificate").status_code == 409
    with runtime.db.transaction() as session:
        assert (
            session.execute(
                select(func.count()).select_from(ChainOperation).where(ChainOperation.kind == "close_claim")
            ).scalar_one()
            == 0
        )
        assert session.execute(select(func.count()).select_from(Retirement)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Claim)).scalar_one() == 1


def _verified(
    api: Api, kind: str = "organisation"
) -> tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A batch and a claimant holding 100 t of it, with a verified claim: (batch, owner, claimant, claim)."""
    batch_id, owner, verifier = api.issued_batch()
    claimant = api.participant(["holder"])
    api.ok(
        "/v1/transfers", {"batch_id": batch_id, "to": claimant["id"], "amount_kg": 100_000}, owner["token"]
    )
    code, activity = SMALL[kind]
    claim = api.ok("/v1/claims", claim_body(kind, code), claimant["token"])
    claim = api.ok(f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, claimant["token"])
    # Once given, the footprint is what the verifier sees until it decides: no swap meanwhile.
    swap = api.post(
        f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, claimant["token"], expect=409
    )
    assert swap.json()["error"]["code"] == "invalid_state"
    claim = api.ok(
        f"/v1/claims/{claim['id']}/verifications", {"decision": "approve", "reason": "ok"}, verifier["token"]
    )
    return batch_id, owner, claimant, claim


def test_claim__a_period_not_over_takes_no_footprint(api: Api, runtime: Runtime) -> None:
    company = api.participant(["holder"])
    code, activity = SMALL["organisation"]
    claim = api.ok(
        "/v1/claims", claim_body("organisation", code, start="2099-01-01", end="2099-12-31"), company["token"]
    )
    before = footprint(runtime)
    early = api.post(
        f"/v1/claims/{claim['id']}/footprint", {"activity": activity}, company["token"], expect=400
    )
    assert (early.json()["error"]["code"], early.json()["error"]["details"]["field"]) == (
        "invalid_request",
        "period_end",
    )
    assert not written(before, footprint(runtime))


def test_close__while_the_credits_are_paused_is_refused_before_the_chain(api: Api, runtime: Runtime) -> None:
    from tests.api.test_withdrawal import pause_credits

    batch_id, _, claimant, claim = _verified(api)
    retire_against(api, claimant, batch_id, claim["id"], claim["required_kg"], "organisation_neutrality")
    pause_credits(runtime, True)
    try:
        before = footprint(runtime)
        paused = api.post(f"/v1/claims/{claim['id']}/close", None, claimant["token"], expect=409)
        assert paused.json()["error"]["code"] == "paused"
        assert not written(before, footprint(runtime))
    finally:
        pause_credits(runtime, False)
    assert api.ok(f"/v1/claims/{claim['id']}/close", None, claimant["token"])["status"] == "neutral"


def test_claim__a_chain_that_loses_its_closing_closes_it_again(api: Api, runtime: Runtime) -> None:
    batch_id, _, claimant, claim = _verified(api)
    before = runtime.client.dev.snapshot()
    retire_against(api, claimant, batch_id, claim["id"], claim["required_kg"], "organisation_neutrality")
    closed = api.ok(f"/v1/claims/{claim['id']}/close", None, claimant["token"])
    assert closed["status"] == "neutral"
    runtime.client.dev.revert(before)  # the chain loses the retirement and the closing
    runtime.indexer.check_chain()
    lost = api.get(f"/v1/claims/{claim['id']}")
    assert (lost["status"], lost["chain"]["close_tx"], lost["retired_kg"]) == ("closing", None, 0)
    assert api.http.get(f"/v1/claims/{claim['id']}/certificate").status_code == 409
    runtime.relay.resume()  # resends the retirement, then the closing
    again = api.get(f"/v1/claims/{claim['id']}")
    assert again["status"] == "neutral" and again["retired_kg"] == claim["required_kg"]
    assert runtime.tanhui.event_account(bytes.fromhex(again["chain"]["event_id"][2:])).closed_at > 0
    assert reconcile(runtime).ok
