"""The demo: a whole credit lifecycle driven through the service's HTTP API.

A registrar registers a three-member expert committee, a verification body, a project owner
and a buyer; the committee publishes a methodology (2 of 3); the owner submits a coal-boiler
replacement project with its design document, which the registrar approves (registered on
chain); the owner reports a quarter's monitoring data (quantified by the methodology); the
verifier approves (recorded on chain, batch issued); the owner sells part to the buyer, who
retires part of it for a marathon's carbon neutrality and receives a certificate.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from chain.localnode import free_port

BOILER_DATA = {
    "heat_delivered_gj": "12000",
    "electricity_kwh": "3600000",
    "electric_boiler_rated_power_kw": "2000",
    "baseline_efficiency_measured": "0.72",
    "baseline_efficiency_rated": "0.75",
    "replaced_boiler_scrapped": True,
}
DESIGN_DOCUMENT = (
    b"Project design document: replacement of a 4 t/h coal-fired boiler at a Chengdu food plant by a "
    b"2 MW electrode boiler; the coal boiler is dismantled; heat and electricity are metered."
)


class DemoFailed(RuntimeError):
    """A step of the scenario got an unexpected answer from the service."""


@dataclass
class ServiceThread:
    """A uvicorn server running `app` on a free port in a background thread."""

    app: FastAPI
    host: str = "127.0.0.1"

    def __enter__(self) -> str:
        port = free_port(self.host)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=self.host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, name="tanhui-demo-api", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise DemoFailed("the service did not start")
            time.sleep(0.02)
        return f"http://{self.host}:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class Api:
    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=120)

    def post(self, path: str, body: dict[str, Any] | None, token: str) -> dict[str, Any]:
        response = self.http.post(
            path,
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        if response.status_code != 201:
            raise DemoFailed(f"POST {path} answered {response.status_code}: {response.text}")
        data: dict[str, Any] = response.json()
        return data

    def get(self, path: str) -> dict[str, Any]:
        response = self.http.get(path)
        if response.status_code != 200:
            raise DemoFailed(f"GET {path} answered {response.status_code}: {response.text}")
        data: dict[str, Any] = response.json()
        return data


def run_scenario(base_url: str, operator_token: str, log: Any = None) -> dict[str, Any]:
    """Runs the scenario against the service at `base_url`; returns what it produced."""
    say = log or (lambda *_: None)
    api = Api(base_url)

    def participant(name: str, roles: list[str], kind: str = "organisation") -> dict[str, Any]:
        p = api.post("/v1/participants", {"name": name, "kind": kind, "roles": roles}, operator_token)
        say(f"registered {name} ({', '.join(roles)}): {p['id']} {p['address']}")
        return p

    experts = [participant(f"Expert committee member {n}", ["committee"], "person") for n in (1, 2, 3)]
    verifier = participant("Sichuan Low-Carbon Verification Centre", ["verifier"])
    owner = participant("Chengdu Tianfu Food Co.", ["project_owner"])
    buyer = participant("Chengdu Marathon Organising Committee", ["holder"])

    methodology = api.post("/v1/methodologies", {"code": "TH-ES-001", "version": 1}, operator_token)
    for expert, verdict in zip(
        experts[:2], ("Formula and factors checked", "Conservative and applicable"), strict=True
    ):
        methodology = api.post(
            f"/v1/methodologies/{methodology['id']}/reviews",
            {"decision": "approve", "reason": verdict},
            expert["token"],
        )
    say(f"methodology TH-ES-001 v1 {methodology['status']} (content hash {methodology['content_hash']})")

    project = api.post(
        "/v1/projects",
        {
            "name": "Coal boiler to electrode boiler, Tianfu food plant",
            "description": "Replaces a coal-fired steam boiler by an electrode boiler.",
            "location": "Chengdu, Sichuan",
            "methodology": {"code": "TH-ES-001", "version": 1},
        },
        owner["token"],
    )
    api.post(
        f"/v1/projects/{project['id']}/documents",
        {
            "filename": "design-document.txt",
            "content_type": "text/plain",
            "content_base64": base64.b64encode(DESIGN_DOCUMENT).decode(),
        },
        owner["token"],
    )
    api.post(f"/v1/projects/{project['id']}/submit", None, owner["token"])
    project = api.post(
        f"/v1/projects/{project['id']}/reviews",
        {"decision": "approve", "reason": "Eligible and complete"},
        operator_token,
    )
    say(f"project {project['id']} {project['status']}")

    report = api.post(
        f"/v1/projects/{project['id']}/reports",
        {"period_start": "2025-01-01", "period_end": "2025-03-31", "data": BOILER_DATA},
        owner["token"],
    )
    say(f"monitoring report {report['id']}: net reduction {report['quantification']['net_t']} t CO2e")
    report = api.post(
        f"/v1/reports/{report['id']}/verifications",
        {"decision": "approve", "reason": "Meters calibrated; data reconciled with invoices"},
        verifier["token"],
    )
    batch_id = report["batch_id"]
    if batch_id is None:
        raise DemoFailed(f"the verified report was not issued: {report}")
    say(f"batch {batch_id} issued to the owner")

    transfer = api.post(
        "/v1/transfers", {"batch_id": batch_id, "to": buyer["id"], "amount_t": "300.000"}, owner["token"]
    )
    say(f"transferred {transfer['amount_t']} t to the buyer (tx {transfer['operation']['tx_hash']})")
    retirement = api.post(
        "/v1/retirements",
        {
            "batch_id": batch_id,
            "amount_t": "120.500",
            "beneficiary": "Chengdu Marathon 2025",
            "purpose": "event_neutrality",
            "event_id": "chengdu-marathon-2025",
            "jurisdiction": "CN-SC-Chengdu",
            "consumption_start": "2025-10-26",
            "consumption_end": "2025-10-26",
            "note": "Race-day travel, venue and catering footprint",
        },
        buyer["token"],
    )
    certificate = retirement["certificate"]
    say(
        f"retired {certificate['amount_t']} t: certificate {certificate['certificate_id']}, "
        f"serials {certificate['serial_block']}, tx {certificate['chain']['tx_hash']}"
    )
    public = api.get(f"/v1/retirements/{certificate['certificate_id']}")
    if public["chain"]["tx_hash"] != certificate["chain"]["tx_hash"]:
        raise DemoFailed("the public certificate differs from the retirement's")
    return {
        "batch_id": batch_id,
        "certificate_id": certificate["certificate_id"],
        "retirement_tx": certificate["chain"]["tx_hash"],
        "project_id": project["id"],
        "report_id": report["id"],
        "participants": {"owner": owner["id"], "buyer": buyer["id"], "verifier": verifier["id"]},
    }
