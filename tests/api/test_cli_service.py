"""The service's command line end to end, as a user runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.cli._common import count
from chain.localnode import free_port
from chain.paths import ARTIFACTS_DIR, node_tool
from registry.settings import Settings
from tests.chain.test_cli_deploy import signature
from tests.conftest import start_anvil

pytestmark = [pytest.mark.anvil, pytest.mark.slow]

TANHUI = [sys.executable, "-m", "api.cli"]


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*TANHUI, *args], capture_output=True, text=True, timeout=timeout)


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            response = httpx.get(f"{url}/v1/health", timeout=2)
            if response.status_code == 200:
                data: dict[str, object] = response.json()
                return data
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the service did not come up")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)


def test_help__shows_the_bracketed_hints_and_argument_names() -> None:
    serve = run("serve", "--help")
    assert serve.returncode == 0, serve.stderr
    text = " ".join(serve.stdout.split())  # as wrapped to the terminal's width
    assert "[env TANHUI_DATA_DIR; default ./.tanhui]" in text
    assert "[env TANHUI_PORT; default 8000]" in text
    api = run("api", "--help")
    assert api.returncode == 0, api.stderr
    assert "METHOD" in api.stdout and "PATH" in api.stdout
    assert "{method}" not in api.stdout and "{path}" not in api.stdout
    verify = run("verify", "--help")
    assert "ID" in verify.stdout and "{certificate_id}" not in verify.stdout
    assert "--event NAME" in verify.stdout


def test_verify__unreachable_chain_is_one_clear_line() -> None:
    done = run("verify", "1", "--rpc-url", "http://127.0.0.1:1", "--contract", "0x" + "11" * 20)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot reach the chain at http://127.0.0.1:1")
    assert "HTTPConnectionPool" not in lines[0] and "Traceback" not in lines[0]


def test_settings__host_and_port_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().host, Settings().port) == ("127.0.0.1", 8000)
    monkeypatch.setenv("TANHUI_HOST", "0.0.0.0")
    monkeypatch.setenv("TANHUI_PORT", "9123")
    assert (Settings().host, Settings().port) == ("0.0.0.0", 9123)
    for bad in (0, 65536):
        with pytest.raises(ValueError, match="port"):
            Settings(port=bad)
    refused = run("serve", "--port", "70000")
    assert refused.returncode == 1
    assert (
        refused.stderr.strip() == "error: invalid settings: port: Input should be less than or equal to 65535"
    )


def test_count__singular_for_one() -> None:
    assert count(1, "batches") == "1 batch"
    assert count(1, "differences") == "1 difference"
    assert count(1, "holdings") == "1 holding"
    assert count(1, "pending operations") == "1 pending operation"
    assert count(0, "batches") == "0 batches" and count(2, "events") == "2 events"


def test_serve__embedded_defaults_survive_a_restart(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # The port from the environment (TANHUI_PORT), as `scripts/serve` users set it.
    command = [*TANHUI, "serve", "--data-dir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")} | {"TANHUI_PORT": str(port)}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        health = wait_healthy(url, first)
        token = (tmp_path / "operator.token").read_text().strip()
        created = httpx.post(
            f"{url}/v1/participants",
            json={"name": "Persisted Org", "kind": "organisation", "roles": ["holder"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert created.status_code == 201, created.text
        participant = created.json()

        # The same API from the command line: the operator's token is the default.
        me = run("api", "get", "/v1/participants/me", "--url", url, "--data-dir", str(tmp_path))
        assert me.returncode == 0, me.stderr
        assert json.loads(me.stdout)["roles"] == ["holder", "registrar", "supervisor"]
        bad = run(
            "api", "post", "/v1/transfers", "--url", url, "--data-dir", str(tmp_path),
            "--data", '{"batch_id": 1, "to": "nobody", "amount_kg": 0}',
        )  # fmt: skip
        assert bad.returncode == 1 and "422 validation_error" in bad.stderr
        assert bad.stdout == ""
    finally:
        stop(first)
    assert (tmp_path / "tanhui.db").exists() and (tmp_path / "chain" / "state.json").exists()

    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        again = wait_healthy(url, second)
        assert again["contracts"] == health["contracts"]  # the same chain: no second deployment
        found = httpx.get(
            f"{url}/v1/participants/{participant['id']}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert found.status_code == 200 and found.json()["chain_status"] == "active"
    finally:
        stop(second)
        run("chain", "down", "--data-dir", str(tmp_path))


def test_demo_json__certificate_confirmed_by_verify_cast_and_reconcile(tmp_path: Path) -> None:
    node = start_anvil()
    try:
        done = run("demo", "--rpc-url", node.url, "--json", "--data-dir", str(tmp_path))
        assert done.returncode == 0, done.stderr
        demo = json.loads(done.stdout)
        assert demo["rpc_url"] == node.url
        assert demo["data_dir"] == str(tmp_path.resolve())  # the one given
        assert set(demo["contracts"]) == {"TanhuiRegistry", "TanhuiCredits", "TanhuiExchange"}
        credits = demo["contracts"]["TanhuiCredits"]
        cert = str(demo["certificate_id"])

        verified = run("verify", cert, "--rpc-url", node.url, "--contract", credits, "--json")
        assert verified.returncode == 0, verified.stderr
        evidence = json.loads(verified.stdout)
        assert evidence["verified"] is True
        assert evidence["tx_hash"] == demo["retirement_tx"]
        assert evidence["batch_id"] == demo["batch_id"]
        assert evidence["beneficiary"] == "Chengdu Marathon 2025" and evidence["amount_kg"] == 120_500
        # Unix seconds as on chain, and ISO dates next to them.
        assert isinstance(evidence["retired_at"], int)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", evidence["retired_at_iso"])
        assert evidence["consumption_start_iso"] == evidence["consumption_end_iso"] == "2025-10-26"
        assert evidence["batch"]["period_start_iso"] == "2025-01-01"
        assert evidence["batch"]["period_end_iso"] == "2025-03-31"
        assert isinstance(evidence["batch"]["period_end"], int)

        table = run("verify", cert, "--rpc-url", node.url, "--contract", credits)
        assert table.returncode == 0, table.stderr
        rows = table.stdout
        assert "verified on chain" in rows
        assert re.search(rf"retired_at\s+│?\s*{evidence['retired_at_iso']} \(local \d{{4}}-", rows), rows
        assert re.search(r"consumption_start\s+│?\s*2025-10-26", rows), rows
        assert re.search(r"batch\.period_start\s+│?\s*2025-01-01", rows), rows
        assert re.search(r"batch\.period_end\s+│?\s*2025-03-31", rows), rows
        assert "keccak-256 of the event's name" in rows
        assert str(evidence["retired_at"]) not in rows

        matched = run(
            "verify", cert, "--rpc-url", node.url, "--contract", credits, "--event", "chengdu-marathon-2025"
        )
        assert matched.returncode == 0, matched.stderr
        assert matched.stdout.splitlines()[-1] == "event id matches chengdu-marathon-2025"
        other = run("verify", cert, "--rpc-url", node.url, "--contract", credits, "--event", "another-race")
        assert other.returncode == 1
        assert "does not match another-race" in other.stderr

        # A third-party client: Foundry's cast with the ABI artifacts.
        cast = subprocess.run(
            [
                str(node_tool("cast")), "call", credits,
                signature(ARTIFACTS_DIR / "TanhuiCredits.abi.json", "retirement"), cert,
                "--rpc-url", node.url,
            ],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert cast.returncode == 0, cast.stderr
        assert cast.stdout.startswith(
            f"({evidence['holder']}, {demo['batch_id']}, {evidence['block_number']}, 0, 1, 120500"
        )

        missing = run("verify", "999", "--rpc-url", node.url, "--contract", credits)
        assert missing.returncode == 1 and "does not exist" in missing.stderr

        # The expo's neutrality claim: its closing transaction succeeded, and the chain alone
        # supports the claim (R14).
        receipt = subprocess.run(
            [str(node_tool("cast")), "receipt", demo["claim_tx"], "status", "--rpc-url", node.url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert receipt.returncode == 0 and receipt.stdout.split()[0] in ("1", "true", "1 (success)"), (
            receipt.stdout
        )
        claim = run("verify-claim", demo["claim_id"], "--rpc-url", node.url, "--contract", credits, "--json")
        assert claim.returncode == 0, claim.stderr
        facts = json.loads(claim.stdout)
        assert facts["neutral"] is True and facts["close_tx"] == demo["claim_tx"]
        assert facts["retired_kg"] == facts["required_kg"] > facts["footprint_kg"] > 0
        assert sorted(r["purpose"] for r in facts["retirements"]) == [
            "event_neutrality",
            "personal_neutrality",
        ]
        unknown = run("verify-claim", "CL-0000000000", "--rpc-url", node.url, "--contract", credits)
        assert unknown.returncode == 1 and "no retirement and no closing names claim" in unknown.stderr

        # The day's points epoch (R17): its anchoring succeeded, and one citizen's proof holds
        # against the chain alone, and fails with one byte changed.
        anchored = subprocess.run(
            [str(node_tool("cast")), "receipt", demo["points_anchor_tx"], "status", "--rpc-url", node.url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert anchored.returncode == 0 and anchored.stdout.split()[0] in ("1", "true"), anchored.stdout
        proof_file = tmp_path / "proof.json"
        proof_file.write_text(json.dumps(demo["points_proof"]))
        proved = run("points", "verify-proof", str(proof_file), "--rpc-url", node.url)
        assert proved.returncode == 0, proved.stderr
        assert "proved against the chain" in proved.stdout
        changed = dict(demo["points_proof"])
        first = changed["proof"][0] if changed["proof"] else changed["root"]
        flipped = first[:-1] + ("0" if first[-1] != "0" else "1")
        if changed["proof"]:
            changed["proof"] = [flipped, *changed["proof"][1:]]
        else:
            changed["pseudonym"] = changed["pseudonym"][:-1] + (
                "0" if changed["pseudonym"][-1] != "0" else "1"
            )
        proof_file.write_text(json.dumps(changed))
        refused = run("points", "verify-proof", str(proof_file), "--rpc-url", node.url)
        assert refused.returncode == 1 and "does not hold" in refused.stderr

        # The market (R21): the settlement succeeded on chain, and the chain alone shows the trade
        # (its seller, buyer, amount, price and transaction) as the registry's API named it.
        settled = subprocess.run(
            [str(node_tool("cast")), "receipt", demo["trade_tx"], "status", "--rpc-url", node.url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert settled.returncode == 0 and settled.stdout.split()[0] in ("1", "true"), settled.stdout
        trade = run(
            "verify-trade", str(demo["trade_id"]), "--rpc-url", node.url, "--contract", credits, "--json"
        )
        assert trade.returncode == 0, trade.stderr
        on_chain = json.loads(trade.stdout)
        assert on_chain["tx_hash"] == demo["trade_tx"] and on_chain["listing_id"] == demo["listing_id"]
        assert on_chain["seller"] == demo["seller_address"] and on_chain["buyer"] == demo["buyer_address"]
        assert on_chain["amount_kg"] == 40_000 and on_chain["price_fen_per_tonne"] == 6_250  # the resting ask
        assert on_chain["exchange"] == demo["contracts"]["TanhuiExchange"]
        nothing = run("verify-trade", "99", "--rpc-url", node.url, "--contract", credits)
        assert nothing.returncode == 1 and "no trade 99" in nothing.stderr

        # The points economy: the certified restaurant's certificate hash went on chain.
        anchored_scene = subprocess.run(
            [str(node_tool("cast")), "receipt", demo["scene_tx"], "status", "--rpc-url", node.url],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert anchored_scene.returncode == 0 and anchored_scene.stdout.split()[0] in ("1", "true")
        assert demo["item_id"] and demo["voucher_id"] and demo["merchant_id"] and demo["champion"]

        database = demo["database_url"]
        clean = run(
            "reconcile", "--rpc-url", node.url, "--database-url", database, "--data-dir", str(tmp_path)
        )
        assert clean.returncode == 0, clean.stdout + clean.stderr
        # One batch, one claim and one points epoch, counted in the singular.
        summary = (
            r"no differences at block \d+ "
            r"\(1 batch, \d+ holdings?, 4 retirements, 1 claim, 1 points epoch, \d+ points postings, "
            r"1 listing, 1 trade, .*\)\n"
        )
        assert re.fullmatch(summary, clean.stdout)

        # The explorer (#12): a service over the demo's chain and database answers the home page
        # and the certificate's page, naming its beneficiary and transaction; an unknown
        # certificate's page is a 404 page, not a stack trace.
        port = free_port("127.0.0.1")
        url = f"http://127.0.0.1:{port}"
        serving = ["--data-dir", str(tmp_path), "--port", str(port)]
        service = subprocess.Popen(
            [*TANHUI, "serve", "--rpc-url", node.url, "--database-url", database, *serving],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_healthy(url, service)
            home = httpx.get(f"{url}/", timeout=30)
            assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
            page = httpx.get(f"{url}/certificates/{cert}", timeout=30)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
            assert "Chengdu Marathon 2025" in page.text and demo["retirement_tx"] in page.text
            missing = httpx.get(f"{url}/certificates/999999", timeout=30, headers={"Accept": "text/html"})
            assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
            assert "Traceback" not in missing.text
        finally:
            stop(service)

        # Drift is reported and fails the command.
        path = database.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE holdings SET amount_kg = amount_kg + 5 WHERE amount_kg > 0")
        drift = run(
            "reconcile",
            "--rpc-url",
            node.url,
            "--database-url",
            database,
            "--data-dir",
            str(tmp_path),
            "--json",
        )
        assert drift.returncode == 1
        differences = json.loads(drift.stdout)["differences"]
        assert any(d["field"] == "amount_kg" and d["database"] == d["chain"] + 5 for d in differences)
        drift_table = run(
            "reconcile", "--rpc-url", node.url, "--database-url", database, "--data-dir", str(tmp_path)
        )
        assert drift_table.returncode == 1
        n = len(differences)
        assert f"{n} {'difference' if n == 1 else 'differences'} at block" in drift_table.stdout
        shutil.rmtree(Path(path).parent)  # the demo's new database, outside the data directory
    finally:
        node.stop()


def test_demo__one_plain_line_per_step(tmp_path: Path) -> None:
    node = start_anvil()
    try:
        done = run("demo", "--rpc-url", node.url, "--data-dir", str(tmp_path))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert any(
            re.fullmatch(
                r"  registered Chengdu Tianfu Food Co\. \(project_owner\): par_\S+ 0x[0-9a-fA-F]{40}", line
            )
            for line in lines
        ), done.stdout
        assert "(project owner)" not in done.stdout
        assert lines[-1].startswith("certificate ") and f"--rpc-url {node.url}" in lines[-1]
    finally:
        node.stop()


def _service_data_dir(cwd: Path) -> dict[Path, bytes]:
    """A running service's files in `cwd`/.tanhui (the default data directory): its operator
    token and its deployment file. Returns their contents."""
    service = cwd / ".tanhui"
    (service / "deployments").mkdir(parents=True)
    (service / "operator.token").write_text("the-running-service-operator-token\n")
    credits = "0x" + "ab" * 20
    (service / "deployments" / "31337.json").write_text(
        json.dumps(
            {"chain_id": 31337, "contracts": {"TanhuiRegistry": "0x" + "cd" * 20, "TanhuiCredits": credits}}
        )
    )
    return {path: path.read_bytes() for path in service.rglob("*") if path.is_file()}


def _no_tanhui_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TANHUI_")}


def test_demo__leaves_the_default_data_directory_of_a_running_service_alone(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    before = _service_data_dir(cwd)
    node = start_anvil()
    own: Path | None = None
    try:
        done = subprocess.run(
            [*TANHUI, "demo", "--rpc-url", node.url, "--json"],
            cwd=cwd, env=_no_tanhui_env(), capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        after = {path: path.read_bytes() for path in (cwd / ".tanhui").rglob("*") if path.is_file()}
        assert after == before  # the service's operator token and deployment file untouched
        demo = json.loads(done.stdout)
        own = Path(demo["data_dir"])
        assert own.is_absolute() and own.is_dir() and cwd not in own.parents
        # What the demo wrote went to its own directory.
        deployment = json.loads((own / "deployments" / "31337.json").read_text())
        assert deployment["contracts"] == demo["contracts"]
        assert (own / "operator.token").exists()
        assert demo["database_url"] == f"sqlite:///{own / 'demo.db'}"
    finally:
        node.stop()
        if own is not None:
            shutil.rmtree(own, ignore_errors=True)


def test_demo__embedded_chain_in_its_own_directory_stopped_at_the_end(tmp_path: Path) -> None:
    cwd = tmp_path / "work"
    before = _service_data_dir(cwd)
    own: Path | None = None
    try:
        done = subprocess.run(
            [*TANHUI, "demo"], cwd=cwd, env=_no_tanhui_env(), capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        first = re.fullmatch(r"data directory (/\S+)", lines[0])
        assert first, done.stdout
        own = Path(first[1])
        assert cwd not in own.parents
        assert {path: path.read_bytes() for path in (cwd / ".tanhui").rglob("*") if path.is_file()} == before
        # Its chain is stopped (state kept): the last line says how to check the certificate.
        assert run("chain", "status", "--data-dir", str(own)).returncode == 1
        assert (own / "chain" / "state.json").exists()
        hint = re.search(
            r'`tanhui (verify \d+) --rpc-url "\$\(tanhui chain up --data-dir (\S+)\)" --contract (\S+)`',
            lines[-1],
        )
        assert hint and hint[2] == str(own), lines[-1]
        up = run("chain", "up", "--data-dir", str(own), "--port", str(free_port()))
        assert up.returncode == 0, up.stderr
        verified = run(*hint[1].split(), "--rpc-url", up.stdout.strip(), "--contract", hint[3])
        assert verified.returncode == 0, verified.stderr
    finally:
        run("chain", "down", "--data-dir", str(cwd / ".tanhui"))  # had the demo used it
        if own is not None:
            run("chain", "down", "--data-dir", str(own))
            shutil.rmtree(own, ignore_errors=True)
