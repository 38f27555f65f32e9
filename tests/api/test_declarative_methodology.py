"""An enterprise's own methodology (R3), through HTTP: proposed as a declarative spec, refused
with a stable code for each kind of bad proposal, approved by the committee quorum, published
on chain with its content hash, and used for a project's report and issuance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from registry.methodologies import declarative
from registry.reconcile import reconcile
from registry.runtime import Runtime
from tests.api.conftest import Api

EXAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "methodologies" / "declarative-example.json").read_text()
)
CODE = EXAMPLE["code"]
# The example's worked figures, by hand (docs/methodologies/declarative-example.json):
#   heat = 1,800 m3 x 40 K x 1.14 kWh/(m3 K) = 82,080 kWh; baseline electricity the same (efficiency 1)
#   baseline = 82,080 x 0.5306 = 43,551.648 -> floor 43,551 kg; project = 21,000 x 0.5306 = 11,142.6
#   -> ceiling 11,143 kg; net = 43,551 - 11,143 = 32,408 kg
EXAMPLE_NET_KG = 32_408


def _changed(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(json.dumps(EXAMPLE))
    for path, value in changes.items():
        target = spec
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return spec


BAD_PROPOSALS = [
    # (case, spec, the problem code the answer must carry)
    (
        "unknown variable",
        _changed(steps__0__expression="hot_water_m3 * temperature_rise_k * cp"),
        "unknown_variable",
    ),
    (
        "a step using a later step",
        _changed(steps__0__expression="baseline_electricity_kwh * 1"),
        "unknown_variable",
    ),
    ("division by zero on the worked example", _changed(factors__1__value="0"), "division_by_zero"),
    ("a factor without a source", _changed(factors__2__source="  "), "factor_without_source"),
    ("not its own worked example", _changed(worked_example__net_kg=32_409), "example_not_reproduced"),
    ("code, not a formula", _changed(steps__0__expression="__import__('os').getcwd()"), "bad_expression"),
    ("no reduction", _changed(worked_example__inputs__heat_pump_kwh="90000"), "no_reduction"),
    (
        "an example its checks refuse",
        _changed(worked_example__inputs__heat_pump_kwh="16000"),
        "example_invalid",
    ),
    ("an unknown category", _changed(category="fossil"), "unknown_category"),
    ("not a spec", {"code": CODE}, "bad_spec"),
    (
        "a comment in a formula",
        _changed(steps__3__expression="baseline_electricity_kwh * 2  # x 1"),
        "bad_expression",
    ),
    ("negative leakage", _changed(leakage="0 - 1000"), "negative_leakage"),
]


@pytest.mark.parametrize(("case", "spec", "code"), BAD_PROPOSALS, ids=[c for c, _, _ in BAD_PROPOSALS])
def test_bad_proposal__refused_with_its_code_and_nothing_recorded(
    api: Api, case: str, spec: dict[str, Any], code: str
) -> None:
    owner = api.participant(["project_owner"])
    response = api.post("/v1/methodologies/declarative", {"spec": spec}, owner["token"], expect=422)
    error = response.json()["error"]
    assert error["code"] == "methodology_proposal_invalid", error
    assert code in {p["code"] for p in error["details"]["problems"]}, error
    check = api.ok("/v1/methodologies/declarative/check", {"spec": spec}, owner["token"], expect=200)
    assert check["acceptable"] is False and code in {p["code"] for p in check["problems"]}
    assert check["content_hash"] is None
    assert api.get("/v1/methodologies") == []


def test_proposal__a_catalogue_code_or_a_second_proposal_is_a_conflict(api: Api) -> None:
    owner = api.participant(["project_owner"])
    clash = _changed(code="TH-ES-001")
    # The worked example still reproduces: only the code differs from the example.
    response = api.post("/v1/methodologies/declarative", {"spec": clash}, owner["token"], expect=409)
    assert response.json()["error"]["code"] == "already_exists"
    # The catalogue's code in another version is the catalogue's too.
    response = api.post(
        "/v1/methodologies/declarative",
        {"spec": _changed(code="TH-ES-001", version=2)},
        owner["token"],
        expect=409,
    )
    assert response.json()["error"]["code"] == "already_exists"
    check = api.ok("/v1/methodologies/declarative/check", {"spec": clash}, owner["token"], expect=200)
    assert check["acceptable"] is False and [p["code"] for p in check["problems"]] == ["code_taken"]
    api.ok("/v1/methodologies/declarative", {"spec": EXAMPLE}, owner["token"])
    again = api.post("/v1/methodologies/declarative", {"spec": EXAMPLE}, owner["token"], expect=409)
    assert again.json()["error"]["code"] == "already_exists"
    check = api.ok("/v1/methodologies/declarative/check", {"spec": EXAMPLE}, owner["token"], expect=200)
    assert [p["code"] for p in check["problems"]] == ["code_taken"]


def test_proposal__only_an_enterprise_or_the_registrar_proposes(api: Api) -> None:
    holder = api.participant(["holder"])
    response = api.post("/v1/methodologies/declarative", {"spec": EXAMPLE}, holder["token"], expect=403)
    assert response.json()["error"]["code"] == "forbidden"


def test_declarative__proposed_published_on_chain_and_used_for_an_issuance(
    api: Api, runtime: Runtime
) -> None:
    experts = [api.participant(["committee"]) for _ in range(3)]
    owner = api.participant(["project_owner"])
    verifier = api.participant(["verifier"])

    check = api.ok("/v1/methodologies/declarative/check", {"spec": EXAMPLE}, owner["token"], expect=200)
    expected_hash = "0x" + declarative.spec_content_hash(declarative.parse_spec(EXAMPLE)).hex()
    assert check == {"acceptable": True, "content_hash": expected_hash, "problems": []}

    m = api.ok("/v1/methodologies/declarative", {"spec": EXAMPLE}, owner["token"])
    assert (m["kind"], m["status"], m["chain_status"]) == ("declarative", "proposed", "none")
    assert m["content_hash"] == expected_hash and m["spec"]["code"] == CODE
    assert set(m["input_schema"]["properties"]) == {i["name"] for i in EXAMPLE["inputs"]}

    for expert in experts[:2]:
        m = api.ok(
            f"/v1/methodologies/{m['id']}/reviews",
            {"decision": "approve", "reason": "checked"},
            expert["token"],
        )
    assert (m["status"], m["chain_status"]) == ("published", "published")
    content_hash, status, _ = runtime.tanhui.methodology(keccak(text=CODE), 1)
    assert "0x" + content_hash.hex() == expected_hash and status == 1
    # Anyone reads the spec back and can recompute the hash that is on chain.
    public = api.get(f"/v1/methodologies/{m['id']}")
    assert "0x" + declarative.spec_content_hash(declarative.parse_spec(public["spec"])).hex() == expected_hash

    project = api.registered_project(owner, CODE)
    # Monitoring data the methodology's own checks refuse: a seasonal COP above 5.
    bad = api.post(
        f"/v1/projects/{project['id']}/reports",
        {
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "data": {**EXAMPLE["worked_example"]["inputs"], "heat_pump_kwh": "16000"},
        },
        owner["token"],
        expect=422,
    )
    assert bad.json()["error"]["code"] == "monitoring_data_invalid"
    assert {e["field"] for e in bad.json()["error"]["details"]["errors"]} == {"heat_pump_kwh"}
    report = api.ok(
        f"/v1/projects/{project['id']}/reports",
        {
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "data": EXAMPLE["worked_example"]["inputs"],
        },
        owner["token"],
    )
    assert report["quantification"]["net_kg"] == EXAMPLE_NET_KG
    report = api.ok(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "ok"},
        verifier["token"],
    )
    assert report["status"] == "issued"
    batch = api.get(f"/v1/batches/{report['batch_id']}")
    assert batch["supply"]["issued_kg"] == EXAMPLE_NET_KG
    assert runtime.tanhui.balance_of(owner["address"], report["batch_id"]) == EXAMPLE_NET_KG
    assert reconcile(runtime).ok


# The project types the seed names (R11-R13), each with the methodology that serves it.
PROJECT_TYPES = {
    "coal boiler to electric": "TH-ES-001",
    "rooftop solar": "TH-ES-002",
    "airport electrification": "TH-ES-003",
    "shallow geothermal heat pumps": "TH-ES-004",
    "biomass fuel substitution": "TH-ES-005",
    "waste recycling": "TH-RS-001",
    "building energy-saving retrofit": "TH-RS-002",
    "motor retrofit": "TH-RS-003",
    "lighting retrofit": "TH-RS-004",
    "paperless office": "TH-RS-005",
    "afforestation": "TH-EC-001",
    "soil testing": "TH-EC-002",
    "forest management": "TH-EC-003",
    "Tianfu greenways": "TH-EC-004",
    "western-Sichuan linpan": "TH-EC-005",
    "lakes and wetlands": "TH-EC-006",
    "reduced farm inputs (rice paddy water)": "TH-EC-007",
}


def test_catalogue__every_project_type_with_its_factors_sources(api: Api) -> None:
    catalogue = api.get("/v1/methodologies/catalogue")
    by_code = {entry["code"]: entry for entry in catalogue}
    assert len(by_code) >= 12
    missing = {kind: code for kind, code in PROJECT_TYPES.items() if code not in by_code}
    assert not missing
    for entry in catalogue:
        assert entry["factors"], entry["code"]
        for factor in entry["factors"]:
            assert len(factor["source"].strip()) > 20, (entry["code"], factor["key"])
        assert entry["input_schema"]["properties"], entry["code"]
    assert {e["category"] for e in catalogue} == {"energy-substitution", "resource-saving", "ecological"}


def test_cli__methodology_check_lists_every_problem_or_gives_the_hash(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    runner = CliRunner()
    good = runner.invoke(app, ["methodology", "check", "docs/methodologies/declarative-example.json"])
    expected = "0x" + declarative.spec_content_hash(declarative.parse_spec(EXAMPLE)).hex()
    assert good.exit_code == 0 and expected in good.output, good.output
    bad_spec = _changed(factors__0__source="", steps__0__expression="hot_water_m3.real")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"spec": bad_spec}))
    refused = runner.invoke(app, ["methodology", "check", str(bad)])
    assert refused.exit_code == 1
    assert "factor_without_source at factors[0].source" in refused.output
    assert "bad_expression at steps[0].expression" in refused.output
    missing = runner.invoke(app, ["methodology", "check", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_review__the_proposer_does_not_review_its_own_methodology(api: Api) -> None:
    # A committee member who is also an enterprise proposes; its own approval would count
    # towards the quorum.
    member = api.participant(["committee", "project_owner"])
    others = [api.participant(["committee"]) for _ in range(2)]
    m = api.ok("/v1/methodologies/declarative", {"spec": EXAMPLE}, member["token"])
    refused = api.post(
        f"/v1/methodologies/{m['id']}/reviews",
        {"decision": "approve", "reason": "mine"},
        member["token"],
        expect=403,
    )
    assert refused.json()["error"]["code"] == "forbidden"
    assert api.get(f"/v1/methodologies/{m['id']}")["reviews"] == []
    for other in others:
        m = api.ok(
            f"/v1/methodologies/{m['id']}/reviews", {"decision": "approve", "reason": "ok"}, other["token"]
        )
    assert m["status"] == "published"
