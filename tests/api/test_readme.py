"""README.md's walk-through, run as written against `tanhui serve`."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from chain.localnode import free_port
from tests.api.test_cli_service import TANHUI, run, stop, wait_healthy

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def walkthrough() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- walkthrough:start -->\n```bash\n(.*?)```\n<!-- walkthrough:end -->", text, re.S)
    assert match, "README.md has no walk-through block"
    script = match.group(1)
    assert "/tmp/" not in script, "the walk-through writes no fixed file"
    return script


def test_readme_walkthrough__from_nothing_to_a_verified_certificate(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
    service = subprocess.Popen(
        [*TANHUI, "serve", "--data-dir", str(tmp_path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}", service)
        done = subprocess.run(
            ["bash", "-c", walkthrough()],
            cwd=REPO,
            env={
                **env,
                "API": f"http://127.0.0.1:{port}",
                "TANHUI_DATA_DIR": str(tmp_path),
                "PATH": os.environ["PATH"],
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        # What the walk-through prints, line by line: the methodology's status, the project's,
        # the batch's supply, the transfer's status, the public certificate, then `tanhui verify`.
        methodology, project, supply, transfer, certificate, *verified = done.stdout.splitlines()
        assert methodology == "published"
        assert project == "registered"
        assert json.loads(supply)["issued_kg"] == 950_560
        assert transfer == "confirmed"
        cert = json.loads(certificate)
        assert cert["beneficiary"] == "Chengdu Marathon 2025" and cert["amount_kg"] == 120_500
        assert any("verified on chain" in line for line in verified), done.stdout
        assert verified[-1] == "event id matches chengdu-marathon-2025"

        # The certificate the API gave, checked against the chain alone.
        contracts = health["contracts"]
        assert isinstance(contracts, dict)
        on_chain = run(
            "verify", str(cert["certificate_id"]), "--json",
            "--rpc-url", str(health["rpc_url"]), "--contract", contracts["TanhuiCredits"],
        )  # fmt: skip
        assert on_chain.returncode == 0, on_chain.stderr
        evidence = json.loads(on_chain.stdout)
        assert evidence["verified"] is True
        assert evidence["beneficiary"] == cert["beneficiary"]
        assert evidence["amount_kg"] == cert["amount_kg"] == 120_500
        assert evidence["tx_hash"] == cert["chain"]["tx_hash"]
    finally:
        stop(service)
        subprocess.run(
            [*TANHUI, "chain", "down", "--data-dir", str(tmp_path)], capture_output=True, timeout=60
        )
