"""``tanhui points ingest FILE`` (a partner's acts, signed, in batches, with a progress bar) and
``tanhui points verify-proof FILE`` (a citizen's proof against the chain alone)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli._common import AsJson, fail, new_typer, print_json, say, settings_from

points_app = new_typer(help="Public points: a partner's acts in, a citizen's proof checked.")

BATCH = 10_000


def signature(key_hex: str, method: str, path: str, body: bytes) -> str:
    """The partner's signature of a request (X-Tanhui-Signature)."""
    return hmac.new(bytes.fromhex(key_hex), f"{method} {path}\n".encode() + body, hashlib.sha256).hexdigest()


def _records(path: Path) -> list[Any]:
    """JSON lines (one record a line) or a JSON document {"records": [...]} / a list."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", code=2)
    try:
        if text.lstrip().startswith(("{", "[")) and "\n{" not in text.strip():
            document = json.loads(text)
            records = document.get("records") if isinstance(document, dict) else document
        else:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
    except ValueError as e:
        fail(f"{path} is not JSON or JSON lines: {e}", code=2)
    if not isinstance(records, list):
        fail(f'{path}: expected a list of records, or {{"records": [...]}}', code=2)
    return records


@points_app.command("ingest")
def ingest_file(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help='Records as JSON lines, or {"records": [...]}')
    ],
    partner: Annotated[str, typer.Option("--partner", metavar="ID", help="The partner's id (ptn_...)")],
    key: Annotated[
        str,
        typer.Option("--key", metavar="HEX", envvar="TANHUI_PARTNER_KEY", help="The partner's signing key"),
    ],
    url: Annotated[
        str | None, typer.Option("--url", metavar="URL", envvar="TANHUI_API_URL", help="The service")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Send a partner's records in signed batches of 10,000, with a progress bar; prints how many
    were accepted, rejected (by reason) and duplicates. Exits 1 if the service refuses a batch."""
    import httpx
    from rich.progress import Progress

    records = _records(path)
    if url is None:
        settings = settings_from()
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        url = f"http://{host}:{settings.port}"
    try:
        bytes.fromhex(key)
    except ValueError:
        fail("--key is the partner's hex key", code=2)
    totals = {"accepted": 0, "rejected": 0, "duplicate": 0}
    reasons: dict[str, int] = {}
    with httpx.Client(base_url=url.rstrip("/"), timeout=300) as http, Progress(transient=True) as progress:
        task = progress.add_task(f"ingesting {len(records)} records", total=len(records))
        for start in range(0, len(records), BATCH):
            body = json.dumps({"records": records[start : start + BATCH]}).encode()
            headers = {
                "Content-Type": "application/json",
                "X-Tanhui-Partner": partner,
                "X-Tanhui-Signature": signature(key, "POST", "/v1/points/acts", body),
            }
            try:
                response = http.post("/v1/points/acts", content=body, headers=headers)
            except httpx.HTTPError as e:
                fail(f"cannot reach the service at {url}: {e}")
            if response.status_code != 200:
                error = (
                    response.json().get("error", {})
                    if response.headers.get("content-type", "").startswith("application/json")
                    else {}
                )
                fail(f"{response.status_code} {error.get('code', '')}: {error.get('message', response.text)}")
            answer = response.json()
            for k in totals:
                totals[k] += answer[k]
            for result in answer["results"]:
                if result["reason"]:
                    reasons[result["reason"]] = reasons.get(result["reason"], 0) + 1
            progress.advance(task, min(BATCH, len(records) - start))
    if as_json:
        print_json({**totals, "reasons": reasons})
        return
    say(f"{totals['accepted']} accepted, {totals['rejected']} rejected, {totals['duplicate']} duplicates")
    for reason, count in sorted(reasons.items()):
        say(f"  {reason}: {count}")


@points_app.command("verify-proof")
def verify_proof(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The proof (GET /v1/points/proofs/{citizen})")],
    rpc_url: Annotated[
        str,
        typer.Option("--rpc-url", metavar="URL", envvar="TANHUI_RPC_URL", help="The chain's JSON-RPC URL"),
    ],
    contract: Annotated[
        str | None,
        typer.Option("--contract", metavar="ADDRESS", help="TanhuiRegistry [default: the proof's]"),
    ] = None,
) -> None:
    """Check a citizen's points proof from the chain alone: the epoch's anchored root, and the
    leaf (pseudonym, points, grams) with its Merkle proof, both by this program and by the
    contract's verifyPoints. Exit 1 if either says no."""
    from chain.client import ChainClient
    from chain.compiler import compile_contracts
    from chain.contracts import Deployment, Tanhui
    from chain.errors import ChainError
    from chain.points import leaf_hash
    from chain.points import verify as verify_locally

    try:
        proof = json.loads(path.read_text(encoding="utf-8"))
        epoch, points, grams = int(proof["epoch"]), int(proof["points"]), int(proof["grams"])
        pseudonym = bytes.fromhex(str(proof["pseudonym"]).removeprefix("0x"))
        branch = [bytes.fromhex(str(p).removeprefix("0x")) for p in proof["proof"]]
        registry = contract or str(proof["registry"])
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", code=2)
    except (ValueError, KeyError, TypeError) as e:
        fail(f"{path} is not a points proof: {e}", code=2)
    if len(pseudonym) != 32 or any(len(p) != 32 for p in branch):
        fail(f"{path} is not a points proof: hashes are 32 bytes", code=2)
    try:
        client = ChainClient.connect(rpc_url)
        compile_contracts(solc=settings_from().solc)
        from web3 import Web3

        deployment = Deployment(
            chain_id=client.chain_id,
            contracts={
                "TanhuiRegistry": Web3.to_checksum_address(registry),
                "TanhuiCredits": Web3.to_checksum_address(registry),
            },
            block_number=0,
            deployer=Web3.to_checksum_address("0x" + "00" * 20),
            admin_delay=0,
        )
        tanhui = Tanhui(client, deployment)
        anchored = tanhui.points_epoch(epoch)
        on_chain = tanhui.verify_points(epoch, pseudonym, points, grams, branch)
    except ChainError as e:
        fail(str(e))
    except ValueError as e:
        fail(f"{registry} is not a registry address: {e}")
    root = anchored.root
    locally = verify_locally(root, leaf_hash(pseudonym, points, grams), branch)
    if root == bytes(32):
        fail(f"epoch {epoch} is not anchored on chain {client.chain_id} at {registry}")
    if not (locally and on_chain):
        fail(
            f"the proof does not hold for epoch {epoch}: this program says {locally}, the contract {on_chain}"
        )
    who = proof["pseudonym"]
    say(f"epoch {epoch}: {points} points, {grams} g CO2e avoided for {who}: proved against the chain")
