"""`tanhui deploy` against an anvil started separately, checked by Foundry's `cast` using only
the printed addresses and the ABI artifacts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from chain import ChainClient, Deployment, Tanhui
from chain.abi import canonical_type
from chain.contracts import ParticipantKind
from chain.localnode import AnvilProcess, spawn_anvil
from chain.paths import ARTIFACTS_DIR, node_tool
from tests.chain.scenario import APR, JAN, details

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

TANHUI = [sys.executable, "-m", "api.cli"]


def cast(*args: str) -> str:
    done = subprocess.run([str(node_tool("cast")), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def signature(abi_file: Path, name: str) -> str:
    """`name(inputs)(outputs)` built from an ABI artifact, the way a third party would."""
    abi: list[dict[str, Any]] = json.loads(abi_file.read_text())
    (fn,) = [item for item in abi if item.get("type") == "function" and item["name"] == name]
    inputs = ",".join(canonical_type(i) for i in fn["inputs"])
    outputs = ",".join(canonical_type(o) for o in fn["outputs"])
    return f"{name}({inputs})({outputs})"


def test_deploy_json__cast_reads_roles_batch_and_retirement(tmp_path: Path) -> None:
    node: AnvilProcess = spawn_anvil()
    try:
        done = subprocess.run(
            [*TANHUI, "deploy", "--rpc-url", node.url, "--json", "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        printed = json.loads(done.stdout)
        assert printed["chain_id"] == 31337
        registry, credits = printed["contracts"]["TanhuiRegistry"], printed["contracts"]["TanhuiCredits"]
        admin = printed["admin"]
        assert (tmp_path / "deployments" / "31337.json").exists()

        registry_abi = ARTIFACTS_DIR / "TanhuiRegistry.abi.json"
        credits_abi = ARTIFACTS_DIR / "TanhuiCredits.abi.json"
        rpc = ["--rpc-url", node.url]
        registrar_role = cast("call", registry, signature(registry_abi, "REGISTRAR_ROLE"), *rpc)
        assert registrar_role == "0x" + keccak(text="tanhui.role.registrar").hex()
        assert (
            cast("call", registry, signature(registry_abi, "hasRole"), registrar_role, admin, *rpc) == "true"
        )
        outsider = "0x000000000000000000000000000000000000dEaD"
        assert (
            cast("call", registry, signature(registry_abi, "hasRole"), registrar_role, outsider, *rpc)
            == "false"
        )

        # Issue a batch and retire part of it through the chain layer.
        client = ChainClient.connect(node.url)
        tanhui = Tanhui(client, Deployment.load(tmp_path / "deployments" / "31337.json"))
        operator, owner, verifier = client.dev_signers()[:3]
        methodology, project, report = keccak(text="m"), keccak(text="p"), keccak(text="r")
        # The operator holds every operator role but never the verifier role: a verification
        # body's own account records the report.
        for fn, signer in (
            (tanhui.register_participant(owner.address, ParticipantKind.ORGANISATION), operator),
            (tanhui.publish_methodology(methodology, 1, keccak(text="content")), operator),
            (tanhui.register_project(project, owner.address, methodology, 1, keccak(text="pdd")), operator),
            (tanhui.grant_role("verifier", verifier.address), operator),
            (tanhui.record_verified_report(report, project, JAN, APR, 12_345), verifier),
            (tanhui.issue(report), operator),
        ):
            client.transact(fn, signer)
        retired = client.transact(tanhui.retire(1, 2_345, details()), owner)

        batch = cast("call", credits, signature(credits_abi, "batch"), "1", *rpc)
        assert batch.startswith("(0x" + report.hex() + ", 0x" + project.hex())
        assert "12345 [1.234e4], 2345, 0, false)" in batch  # issued, retired, invalidated, frozen
        cert = cast("call", credits, signature(credits_abi, "retirement"), "1", *rpc)
        assert cert.startswith(
            f"({owner.address}, 1, {retired.block_number}, 0, 1, 2345, "
        )  # holder, batch, block, purpose, serials
        balance = cast("call", credits, signature(credits_abi, "balanceOf"), owner.address, "1", *rpc)
        assert balance.split()[0] == "10000"
    finally:
        node.stop()


def test_deploy__unreachable_node_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [*TANHUI, "deploy", "--rpc-url", "http://127.0.0.1:9", "--json", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "cannot reach the chain" in done.stderr
    assert done.stdout == ""


# anvil's second development account (its well-known test key, funded by anvil itself).
ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ANVIL_ADDRESS_1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_deploy__operator_key_from_environment_or_keystore(tmp_path: Path) -> None:
    import os

    from eth_account import Account

    keystore = tmp_path / "operator.json"
    keystore.write_text(json.dumps(Account.encrypt(ANVIL_KEY_1, "correct horse")))
    node = spawn_anvil()
    try:
        base = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}
        for extra in (
            {"TANHUI_OPERATOR_KEY": ANVIL_KEY_1},
            {"TANHUI_OPERATOR_KEYSTORE": str(keystore), "TANHUI_OPERATOR_KEYSTORE_PASSWORD": "correct horse"},
        ):
            done = subprocess.run(
                [*TANHUI, "deploy", "--rpc-url", node.url, "--json", "--data-dir", str(tmp_path)],
                capture_output=True, text=True, timeout=300, env={**base, **extra},
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["admin"] == ANVIL_ADDRESS_1
        wrong_password = {"TANHUI_OPERATOR_KEYSTORE_PASSWORD": "wrong"}
        wrong = subprocess.run(
            [*TANHUI, "deploy", "--rpc-url", node.url, "--json", "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=300,
            env={**base, "TANHUI_OPERATOR_KEYSTORE": str(keystore), **wrong_password},
        )  # fmt: skip
        assert wrong.returncode == 1 and "cannot decrypt keystore" in wrong.stderr
    finally:
        node.stop()
