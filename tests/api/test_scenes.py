"""Certified low-carbon scenes through HTTP (R2, R5, R9), on SQLite and PostgreSQL: the standards'
catalogue, registering scenes (registrar or association), assessments (association only; bad
answers a 422 checklist_invalid listing every problem; a pass certified on chain, a fail
recorded without a certificate), revocation, the public list, and certified scenes as points
partners (an act at a scene without a certificate in force is rejected)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_utils.crypto import keccak
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select, update

from api.app import create_app
from api.routers import scenes as scenes_router
from api.routers.scenes import AssessmentOut, SceneOut, StandardOut
from registry import scenes as service
from registry.runtime import Runtime, bootstrap
from tests.api.conftest import Api
from tests.api.test_bad_input import refuse
from tests.api.test_points import Partner, citizen, me
from tests.registry.test_scene_standards import EXAMPLES


def scenes_app(runtime: Runtime) -> FastAPI:
    """The app, with the scenes' routes (included here until api/app.py includes them)."""
    app = create_app(runtime, background=False)
    if not any(getattr(route, "path", None) == "/v1/scenes" for route in app.routes):
        app.include_router(scenes_router.router)
    return app


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    token = bootstrap(runtime)
    assert token is not None
    with TestClient(scenes_app(runtime)) as client:
        yield Api(client, token)


RESTAURANT = {
    "name": "Chengdu Hotpot House",
    "kind": "restaurant",
    "address": "1 Chunxi Road, Jinjiang, Chengdu",
}


def answers(code: str = "TH-SC-RES-001") -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[code][0])


def register(api: Api, token: str | None = None, **extra: Any) -> dict[str, Any]:
    scene = api.ok("/v1/scenes", {**RESTAURANT, **extra}, token or api.operator)
    TypeAdapter(SceneOut).validate_python(scene)
    return scene


def certify(api: Api, association: dict[str, Any], scene: dict[str, Any]) -> dict[str, Any]:
    a = api.ok(f"/v1/scenes/{scene['id']}/assessments", {"answers": answers()}, association["token"])
    TypeAdapter(AssessmentOut).validate_python(a)
    return a


def test_standards__listed_publicly(api: Api) -> None:
    standards = api.get("/v1/scene-standards")
    TypeAdapter(list[StandardOut]).validate_python(standards)
    assert {s["code"] for s in standards} == set(EXAMPLES)
    restaurant = next(s for s in standards if s["kind"] == "restaurant")
    assert (
        restaurant["pass_mark"] == "70" and restaurant["checklist_max"] + restaurant["footprint_max"] == 100
    )


def test_register__by_the_registrar_or_the_association_only(api: Api, runtime: Runtime) -> None:
    association = api.participant(["association"])
    operator = api.participant(["merchant"])
    by_registrar = register(api)
    assert by_registrar["status"] == "none" and by_registrar["certificate"] is None
    assert by_registrar["standard"] == "TH-SC-RES-001"
    assert by_registrar["scene_id"] == "0x" + keccak(b"tanhui/scene/" + by_registrar["id"].encode()).hex()
    by_association = register(api, association["token"], operator=operator["id"], latitude="30.657420")
    assert by_association["operator"] == operator["id"] and by_association["latitude"] == "30.657420"
    holder = api.participant(["holder"])
    refuse(
        api, runtime, "POST", "/v1/scenes", json=RESTAURANT, token=None, status=401, code="unauthenticated"
    )
    error = refuse(
        api,
        runtime,
        "POST",
        "/v1/scenes",
        json=RESTAURANT,
        token=holder["token"],
        status=403,
        code="forbidden",
    )
    assert set(error["details"]["needed"]) == {"registrar", "association"}
    refuse(
        api, runtime, "POST", "/v1/scenes", json={**RESTAURANT, "kind": "casino"},
        token=api.operator, status=422, code="validation_error", field="kind",
    )  # fmt: skip
    refuse(
        api, runtime, "POST", "/v1/scenes", json={**RESTAURANT, "operator": "PAR-NOPE"},
        token=api.operator, status=404, code="not_found",
    )  # fmt: skip


def test_assess__a_pass_certifies_the_scene_on_chain(api: Api, runtime: Runtime) -> None:
    association = api.participant(["association"])
    scene = register(api)
    a = certify(api, association, scene)
    assert a["passed"] is True and a["result"]["total"] == "81.27"
    assert a["result"]["footprint"]["intensity"] == "0.914663"
    assert a["assessor"] == association["id"]
    s = a["scene"]
    assert s["status"] == "certified"
    cert = s["certificate"]
    assert (cert["standard"], cert["version"], cert["score"]) == ("TH-SC-RES-001", 1, "81.27")
    valid_from = datetime.fromisoformat(cert["valid_from"])
    valid_until = datetime.fromisoformat(cert["valid_until"])
    assert valid_until.year == valid_from.year + 3
    assert cert["certificate_hash"] == "0x" + service.certificate_hash(cert["document"]).hex()
    assert cert["document"]["standard_hash"].startswith("0x") and cert["document"]["scene"] == scene["id"]
    assert cert["anchor"]["status"] == "confirmed" and cert["anchor"]["tx_hash"].startswith("0x")
    on_chain = runtime.tanhui.scene_certificate(bytes.fromhex(scene["scene_id"][2:]))
    assert on_chain.certificate_hash.hex() == cert["certificate_hash"][2:]
    assert (on_chain.valid_from, on_chain.valid_until) == (
        int(valid_from.timestamp()),
        int(valid_until.timestamp()),
    )
    assert on_chain.in_force(int(valid_from.timestamp()) + 1) and on_chain.revoked_at == 0
    # Public: the list and the scene.
    listed = api.get("/v1/scenes")
    TypeAdapter(list[SceneOut]).validate_python(listed)
    assert [x["id"] for x in listed] == [scene["id"]] and listed[0]["status"] == "certified"
    assert (
        api.get(f"/v1/scenes/{scene['id']}")["certificate"]["anchor"]["tx_hash"] == cert["anchor"]["tx_hash"]
    )
    assert api.get("/v1/scenes?kind=hotel") == []
    # A re-certification replaces the certificate on chain.
    again = certify(api, association, scene)["scene"]["certificate"]
    assert again["id"] != cert["id"]
    replaced = runtime.tanhui.scene_certificate(bytes.fromhex(scene["scene_id"][2:]))
    assert replaced.certificate_hash.hex() == again["certificate_hash"][2:]


def test_assess__a_fail_is_recorded_without_a_certificate(api: Api) -> None:
    association = api.participant(["association"])
    hotel = register(api, kind="hotel", name="Jinjiang Hotel")
    body = {"answers": answers("TH-SC-HOT-001")}
    a = api.ok(f"/v1/scenes/{hotel['id']}/assessments", body, association["token"])
    assert a["passed"] is False and a["result"]["total"] == "60.44"
    assert a["scene"]["status"] == "none" and a["scene"]["certificate"] is None
    assert a["scene"]["last_assessment"]["passed"] is False
    expo = register(api, kind="exhibition", name="Chengdu Expo")
    a = api.ok(
        f"/v1/scenes/{expo['id']}/assessments", {"answers": answers("TH-SC-EXH-001")}, association["token"]
    )
    assert a["passed"] is False and a["result"]["mandatory_unmet"] == ["reusable_booths"]


def test_assess__association_only_and_bad_answers_are_checklist_invalid(api: Api, runtime: Runtime) -> None:
    association = api.participant(["association"])
    scene = register(api)
    path = f"/v1/scenes/{scene['id']}/assessments"
    body = {"answers": answers()}
    refuse(api, runtime, "POST", path, json=body, token=None, status=401, code="unauthenticated")
    for roles in (["registrar"], ["verifier"], ["merchant"]):
        other = api.participant(roles)
        error = refuse(
            api, runtime, "POST", path, json=body, token=other["token"], status=403, code="forbidden"
        )
        assert error["details"]["needed"] == ["association"]
    refuse(api, runtime, "POST", path, json=body, token=api.operator, status=403, code="forbidden")
    bad = answers()
    bad["items"]["food_waste"] = 16
    bad["items"]["energy_metering"] = 5
    del bad["items"]["lighting_hvac"]
    bad["footprint"]["activity"] = "0"
    error = refuse(
        api,
        runtime,
        "POST",
        path,
        json={"answers": bad},
        token=association["token"],
        status=422,
        code="checklist_invalid",
    )
    assert {p["field"] for p in error["details"]["problems"]} == {
        "items.food_waste",
        "items.energy_metering",
        "items.lighting_hvac",
        "footprint.activity",
    }
    refuse(
        api, runtime, "POST", "/v1/scenes/SC-NOPE/assessments", json=body,
        token=association["token"], status=404, code="not_found",
    )  # fmt: skip
    refuse(api, runtime, "GET", "/v1/scenes/SC-NOPE", token=None, status=404, code="not_found")


def test_revocation__ends_the_certificate_on_chain(api: Api, runtime: Runtime) -> None:
    association = api.participant(["association"])
    scene = register(api)
    path = f"/v1/scenes/{scene['id']}/revocation"
    refuse(
        api,
        runtime,
        "POST",
        path,
        json={"reason": "x"},
        token=api.operator,
        status=409,
        code="scene_not_certified",
    )
    certify(api, association, scene)
    s = api.ok(path, {"reason": "failed the spot check"}, association["token"])
    assert s["status"] == "revoked" and s["certificate"]["revoke_reason"] == "failed the spot check"
    assert runtime.tanhui.scene_certificate(bytes.fromhex(scene["scene_id"][2:])).revoked_at > 0
    refuse(
        api,
        runtime,
        "POST",
        path,
        json={"reason": "x"},
        token=api.operator,
        status=409,
        code="scene_not_certified",
    )


def purchase(
    record: str, who: dict[str, Any], scene: str | None, at: datetime, **detail: str
) -> dict[str, Any]:
    return {
        "id": record,
        "citizen": who["id"],
        "scene": "certified_purchase",
        "occurred_at": at.isoformat(),
        "quantity": "86.5",
        "detail": {"scene": scene, **detail} if scene is not None else detail,
    }


def test_points__only_at_a_scene_certified_at_the_acts_time(api: Api, runtime: Runtime) -> None:
    association = api.participant(["association"])
    certified, other = register(api), register(api, name="Uncertified Noodles")
    before = datetime.now(UTC) - timedelta(hours=1)
    certify(api, association, certified)
    partner = Partner(api, "Payment platform", ["certified_purchase"])
    alice = citizen(api)
    after = datetime.now(UTC) + timedelta(seconds=1)
    result = partner.send(
        [
            purchase("p1", alice, certified["id"], after, goods="green_produce"),
            purchase("p2", alice, other["id"], after),
            purchase("p3", alice, certified["id"], before),
            purchase("p4", alice, None, after),
            purchase("p5", alice, "SC-NOPE", after),
            purchase("p6", alice, certified["id"], after, goods="jewellery"),
        ]
    )
    outcomes = {o["id"]: (o["status"], o.get("reason"), o.get("points")) for o in result["results"]}
    # docs/points/certified_purchase.md, "Worked example": 86.5 yuan of green produce -> 865 g -> 86 points.
    assert outcomes["p1"][:2] == ("accepted", None) and outcomes["p1"][2] == 86
    assert outcomes["p2"][:2] == ("rejected", "scene_not_certified")
    assert outcomes["p3"][:2] == ("rejected", "scene_not_certified")  # before the certificate
    assert outcomes["p4"][:2] == ("rejected", "missing_scene")
    assert outcomes["p5"][:2] == ("rejected", "scene_not_certified")
    assert outcomes["p6"][:2] == ("rejected", "unsupported_goods")
    assert me(api, alice)["balance"] == 86
    # Expired: the certificate's validity ended before the act.
    with runtime.db.transaction() as session:
        session.execute(
            update(service.SceneCertificate).values(valid_until=datetime.now(UTC) - timedelta(minutes=1))
        )
    later = datetime.now(UTC)
    assert (
        partner.send([purchase("p7", alice, certified["id"], later)])["results"][0]["reason"]
        == "scene_not_certified"
    )
    # Revoked: acts after the revocation are rejected, the one before it stands.
    with runtime.db.transaction() as session:
        session.execute(
            update(service.SceneCertificate).values(valid_until=datetime.now(UTC) + timedelta(days=1))
        )
    api.ok(f"/v1/scenes/{certified['id']}/revocation", {"reason": "closed"}, association["token"])
    after_revocation = datetime.now(UTC) + timedelta(seconds=1)
    out = partner.send(
        [
            purchase("p8", alice, certified["id"], after_revocation),
            purchase("p9", citizen(api), certified["id"], later),
        ]
    )["results"]
    assert [(o["status"], o.get("reason")) for o in out] == [
        ("rejected", "scene_not_certified"),
        ("accepted", None),
    ]


def test_reconcile__compares_each_anchored_certificate_with_the_chain(api: Api, runtime: Runtime) -> None:
    """Each certified scene's latest certificate agrees with sceneCertificate on chain; a changed
    hash or validity in the database, or a revocation it lost, is a difference naming the scene,
    the field and both values."""
    from registry.reconcile import reconcile

    association = api.participant(["association"])
    first = register(api, association["token"])
    second = register(api, association["token"])
    certify(api, association, first)
    certify(api, association, second)
    certify(api, association, second)  # recertified: only its latest certificate counts
    api.ok(f"/v1/scenes/{second['id']}/revocation", {"reason": "closed"}, association["token"])
    report = reconcile(runtime)
    assert report.ok and report.checked["scene certificates"] == 2, report.differences
    with runtime.db.transaction() as session:
        certs = {
            scene_id: cert
            for scene_id, cert in session.execute(
                select(service.Scene.public_id, service.SceneCertificate)
                .join(service.SceneCertificate, service.SceneCertificate.scene_id == service.Scene.id)
                .order_by(service.SceneCertificate.id)
            ).tuples()
        }  # the latest of each scene
        cert, revoked = certs[first["id"]], certs[second["id"]]
        hash_before, until_before = cert.certificate_hash, cert.valid_until
        cert.certificate_hash = "0x" + "ab" * 32
        cert.valid_until = cert.valid_until + timedelta(days=1)
        revoked.revoked_at = None  # the database lost the revocation the chain has
    differences = sorted(
        ((d["subject"], d["field"], d["database"], d["chain"]) for d in reconcile(runtime).differences),
        key=lambda d: (d[0], d[1]),
    )
    until = int(until_before.replace(tzinfo=until_before.tzinfo or UTC).timestamp())
    assert differences == sorted(
        [
            (f"scene {first['id']}", "certificate_hash", "0x" + "ab" * 32, hash_before),
            (f"scene {first['id']}", "valid_until", until + 86_400, until),
            (f"scene {second['id']}", "revoked", False, True),
        ],
        key=lambda d: (d[0], d[1]),
    )


def test_revocation__after_a_recertification_ends_every_certificate(api: Api, runtime: Runtime) -> None:
    """Certified twice, then revoked: no earlier certificate keeps earning points."""
    association = api.participant(["association"])
    scene = register(api)
    certify(api, association, scene)
    certify(api, association, scene)
    api.ok(f"/v1/scenes/{scene['id']}/revocation", {"reason": "closed"}, association["token"])
    partner = Partner(api, "Payments", ["certified_purchase"])
    alice = citizen(api)
    later = datetime.now(UTC) + timedelta(seconds=1)
    [outcome] = partner.send([purchase("r1", alice, scene["id"], later)])["results"]
    assert (outcome["status"], outcome["reason"]) == ("rejected", "scene_not_certified")


def test_revocation__refused_by_the_chain_leaves_the_certificate_in_force(api: Api, runtime: Runtime) -> None:
    """A revokeScene that never makes it on chain (cancelled in the outbox: it fails) is
    compensated: the certificate stays in force, as on chain, and can be revoked again."""
    association = api.participant(["association"])
    scene = register(api)
    certify(api, association, scene)
    with runtime.db.transaction() as session:
        cert = session.execute(select(service.SceneCertificate)).scalar_one()
        db_scene = service.get(session, scene["id"])
        service.revoke(session, runtime.outbox, service_actor(session, association), db_scene, "spot check")
        op_id = cert.revoke_operation_id
        assert cert.revoked_at is not None and op_id is not None
    runtime.relay.cancel(op_id, "test: the revocation never reaches the chain")
    assert api.get(f"/v1/scenes/{scene['id']}")["status"] == "certified"
    s = api.ok(f"/v1/scenes/{scene['id']}/revocation", {"reason": "again"}, association["token"])
    assert s["status"] == "revoked"
    assert runtime.tanhui.scene_certificate(bytes.fromhex(scene["scene_id"][2:])).revoked_at > 0


def service_actor(session: Any, who: dict[str, Any]) -> Any:
    from registry import participants

    return participants.get(session, who["id"])


def test_assess__exponents_and_foreign_digits_are_checklist_invalid_not_a_500(api: Api) -> None:
    association = api.participant(["association"])
    scene = register(api)
    for activity in ("1E-40", "1E-999999", "1_0", "５"):
        bad = answers()
        bad["footprint"]["activity"] = activity
        r = api.post(
            f"/v1/scenes/{scene['id']}/assessments", {"answers": bad}, association["token"], expect=422
        )
        assert r.json()["error"]["code"] == "checklist_invalid", (activity, r.text)


def test_register__coordinates_out_of_range_are_refused(api: Api, runtime: Runtime) -> None:
    for extra, field in (({"latitude": "90.5"}, "latitude"), ({"longitude": "-180.00000001"}, "longitude")):
        r = api.post("/v1/scenes", {**RESTAURANT, **extra}, api.operator, expect=400)
        assert r.json()["error"]["details"]["field"] == field
    assert api.get("/v1/scenes") == []


def test_reconcile__a_certificates_validity_on_a_server_in_another_time_zone(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stored times are UTC (SQLite hands them back without a zone): a registry whose server
    runs on Beijing time still compares a certificate's validity with the chain's unix seconds
    as UTC, not as local time (eight hours apart)."""
    import time

    from registry.reconcile import reconcile

    association = api.participant(["association"])
    certify(api, association, register(api, association["token"]))
    if not hasattr(time, "tzset"):
        pytest.skip("the process's time zone cannot be changed on this platform")
    monkeypatch.setenv("TZ", "CST-8")  # POSIX: eight hours ahead of UTC, no zone files needed
    time.tzset()
    try:
        assert datetime(2026, 1, 1).timestamp() == datetime(2026, 1, 1, tzinfo=UTC).timestamp() - 8 * 3600
        report = reconcile(runtime)
        assert report.ok and report.checked["scene certificates"] == 1, report.differences
    finally:
        monkeypatch.undo()
        time.tzset()
