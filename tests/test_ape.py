"""examples/ape_read.py, run with Ape in .venv-ape against a demo's deployment on anvil, prints
the certificate and batch the chain client reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chain import ChainClient, Deployment, Tanhui
from chain.localnode import AnvilProcess
from chain.paths import REPO_ROOT
from tests.conftest import start_anvil

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

APE_PYTHON = REPO_ROOT / ".venv-ape" / "bin" / "python"
EXAMPLE = REPO_ROOT / "examples" / "ape_read.py"


@dataclass
class Demo:
    node: AnvilProcess
    summary: dict[str, Any]
    deployment_file: Path
    ape_home: Path


@pytest.fixture(scope="module")
def ape_python() -> Path:
    """.venv-ape, made by scripts/setup-ape (a no-op once done; scripts/test runs it first)."""
    done = subprocess.run(
        [str(REPO_ROOT / "scripts" / "setup-ape")], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr
    return APE_PYTHON


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    data_dir = tmp_path_factory.mktemp("demo")
    node = start_anvil()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "api.cli",
                "demo",
                "--rpc-url",
                node.url,
                "--json",
                "--data-dir",
                str(data_dir),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        deployment_file = data_dir / "deployments" / f"{summary['chain_id']}.json"
        yield Demo(node, summary, deployment_file, tmp_path_factory.mktemp("ape-data"))
    finally:
        node.stop()


def run_example(ape_python: Path, demo: Demo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ape_python), str(EXAMPLE), "--rpc-url", demo.node.url, *args],
        # Ape keeps its settings and caches in APE_DATA_FOLDER (~/.ape otherwise).
        env={**os.environ, "APE_DATA_FOLDER": str(demo.ape_home)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ape_read__certificate_and_batch_equal_what_the_chain_client_reads(
    ape_python: Path, demo: Demo
) -> None:
    done = run_example(ape_python, demo, "--deployment", str(demo.deployment_file), "--json")
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)

    deployment = Deployment.load(demo.deployment_file)
    tanhui = Tanhui(ChainClient.connect(demo.node.url), deployment)
    certificate_id = demo.summary["certificate_id"]
    record = tanhui.retirement(certificate_id)
    batch = tanhui.batch(record.batch_id)
    assert printed["chain_id"] == deployment.chain_id
    assert printed["credits"] == deployment.credits
    assert printed["certificate"] == {
        "id": certificate_id,
        "holder": record.holder,
        "batchId": record.batch_id,
        "blockNumber": record.block_number,
        "purpose": int(record.purpose),
        "serialFirst": record.serial_first,
        "serialLast": record.serial_last,
        "retiredAt": record.retired_at,
        "consumptionStart": record.consumption_start,
        "consumptionEnd": record.consumption_end,
    }
    assert printed["certificate"]["serialLast"] - printed["certificate"]["serialFirst"] + 1 == 120_500
    assert printed["batch"] == {
        "id": demo.summary["batch_id"],
        "reportHash": "0x" + batch.report_hash.hex(),
        "projectId": "0x" + batch.project_id.hex(),
        "methodologyId": "0x" + batch.methodology_id.hex(),
        "methodologyVersion": batch.methodology_version,
        "periodStart": batch.period_start,
        "periodEnd": batch.period_end,
        "verifier": batch.verifier,
        "issuedAt": batch.issued_at,
        "issued": batch.issued,
        "retired": batch.retired,
        "invalidated": batch.invalidated,
        "frozen": batch.frozen,
    }


def test_ape_read__summary_by_credits_address(ape_python: Path, demo: Demo) -> None:
    credits = demo.summary["contracts"]["TanhuiCredits"]
    done = run_example(
        ape_python, demo, "--credits", credits, "--certificate", str(demo.summary["certificate_id"])
    )
    assert done.returncode == 0, done.stderr
    record = Tanhui(ChainClient.connect(demo.node.url), Deployment.load(demo.deployment_file)).retirement(
        demo.summary["certificate_id"]
    )
    assert f"holder        {record.holder}" in done.stdout
    assert f"retired       120,500 kg CO2e of batch {record.batch_id}" in done.stdout
    assert "event_neutrality" in done.stdout  # the demo retires for the marathon
    assert "period        2025-01-01 to 2025-03-31 (last day)" in done.stdout


def test_ape_read__unknown_certificate_exits_1(ape_python: Path, demo: Demo) -> None:
    done = run_example(ape_python, demo, "--deployment", str(demo.deployment_file), "--certificate", "9999")
    assert done.returncode == 1
    assert "certificate 9999 does not exist" in done.stderr
    assert done.stdout == ""
