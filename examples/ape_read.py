"""Reads a Tanhui retirement certificate and its batch with Ape, from the ABI artifacts alone.

Run it with the Python of `.venv-ape` (scripts/setup-ape makes it); it needs eth-ape and the ABI
files, not the tanhui package or a compiler:

    .venv-ape/bin/python examples/ape_read.py --rpc-url http://127.0.0.1:8545 \\
        --deployment .tanhui/deployments/31337.json --certificate 1

The deployment is the registry's deployment file (``<data dir>/deployments/<chain id>.json``,
written by ``tanhui deploy``, ``tanhui serve`` and ``tanhui demo``), or the credits contract's
address (``--credits``, as ``tanhui demo --json`` prints under ``contracts``). The ABIs are read
from ``build/contracts`` of the checkout (``--abi-dir`` for another place, such as the
``chain/artifacts`` directory of an installed tanhui wheel). ``--json`` prints the values as the
chain returns them (integers, kilograms, Unix seconds); without it, a readable summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_ABI_DIR = Path(__file__).resolve().parent.parent / "build" / "contracts"
# The order of ITanhuiCredits.RetirementPurpose.
PURPOSES = (
    "event_neutrality",
    "voluntary",
    "compliance",
    "organisation_neutrality",
    "personal_neutrality",
    "other",
)


def load_deployment(addresses: dict[str, str], abi_dir: Path) -> dict[str, Any]:
    """Ape contract instances of a Tanhui deployment, from the ABI artifacts (no compilation):
    ``{"TanhuiCredits": ContractInstance, ...}`` for each name in `addresses`. Call it inside a
    network context (``with networks.parse_network_choice(url):``)."""
    from ape import Contract

    contracts = {}
    for name, address in addresses.items():
        abi = json.loads((abi_dir / f"{name}.abi.json").read_text(encoding="utf-8"))
        contracts[name] = Contract(address, abi=abi)
    return contracts


def _plain(value: Any) -> Any:
    """A value of an Ape call result as JSON: bytes as 0x-hex, numbers as int, the rest as is."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (bool, str)):
        return value
    return int(value)


def _struct(result: Any, abi: list[dict[str, Any]], function: str) -> dict[str, Any]:
    """The struct `function` returned, as a dict keyed by the ABI's field names."""
    (entry,) = [e for e in abi if e.get("type") == "function" and e.get("name") == function]
    fields = [c["name"] for c in entry["outputs"][0]["components"]]
    return {name: _plain(getattr(result, name)) for name in fields}


def read(
    rpc_url: str, credits_address: str, abi_dir: Path, certificate_id: int, batch_id: int | None
) -> dict[str, Any]:
    """The certificate `certificate_id` and a batch (its own unless `batch_id` is given)."""
    from ape import networks
    from ape.logging import logger

    abi = json.loads((abi_dir / "TanhuiCredits.abi.json").read_text(encoding="utf-8"))
    # Ape logs "Connecting to ..." on standard output, which is kept for the answer.
    with logger.at_level("WARNING"), networks.parse_network_choice(rpc_url) as provider:
        credits = load_deployment({"TanhuiCredits": credits_address}, abi_dir)["TanhuiCredits"]
        if not 1 <= certificate_id <= int(credits.certificateCount()):
            raise LookupError(f"certificate {certificate_id} does not exist at {credits_address}")
        certificate = _struct(credits.retirement(certificate_id), abi, "retirement")
        chosen = certificate["batchId"] if batch_id is None else batch_id
        if not 1 <= chosen <= int(credits.batchCount()):
            raise LookupError(f"batch {chosen} does not exist at {credits_address}")
        batch = _struct(credits.batch(chosen), abi, "batch")
        return {
            "chain_id": int(provider.chain_id),
            "credits": credits_address,
            "certificate": {"id": certificate_id, **certificate},
            "batch": {"id": chosen, **batch},
        }


def _date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


def _summary(found: dict[str, Any]) -> str:
    c, b = found["certificate"], found["batch"]
    purpose = PURPOSES[c["purpose"]] if c["purpose"] < len(PURPOSES) else str(c["purpose"])
    amount_kg = c["serialLast"] - c["serialFirst"] + 1
    held_kg = b["issued"] - b["retired"] - b["invalidated"]
    return "\n".join(
        [
            f"certificate {c['id']} (chain {found['chain_id']}, credits contract {found['credits']})",
            f"  holder        {c['holder']}",
            f"  retired       {amount_kg:,} kg CO2e of batch {c['batchId']} "
            f"(serials {c['serialFirst']}-{c['serialLast']}), {purpose}",
            f"  retired at    {_date(c['retiredAt'])}, block {c['blockNumber']}",
            "  consumption   "
            + (
                f"{_date(c['consumptionStart'])} to {_date(c['consumptionEnd'])}"
                if c["consumptionStart"]
                else "(not given)"
            ),
            f"batch {b['id']}",
            f"  project       {b['projectId']}",
            f"  methodology   {b['methodologyId']} version {b['methodologyVersion']}",
            f"  report        {b['reportHash']}, verified by {b['verifier']}",
            # The chain's periodEnd is exclusive: 00:00 UTC of the day after the last.
            f"  period        {_day(b['periodStart'])} to {_day(b['periodEnd'] - 1)} (last day)",
            f"  issued        {b['issued']:,} kg at {_date(b['issuedAt'])}; retired {b['retired']:,} kg, "
            f"invalidated {b['invalidated']:,} kg, held {held_kg:,} kg"
            + (" (frozen)" if b["frozen"] else ""),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpc-url", required=True, metavar="URL", help="the chain's JSON-RPC URL")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--deployment", type=Path, metavar="FILE", help="the registry's deployment file")
    where.add_argument("--credits", metavar="ADDRESS", help="the TanhuiCredits contract's address")
    parser.add_argument(
        "--abi-dir", type=Path, default=DEFAULT_ABI_DIR, metavar="DIR", help="the ABI artifacts"
    )
    parser.add_argument("--certificate", type=int, default=1, metavar="ID", help="certificate id [default 1]")
    parser.add_argument("--batch", type=int, metavar="ID", help="batch id [default: the certificate's]")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)

    from ape.exceptions import ApeException

    try:
        if args.deployment is not None:
            credits = json.loads(args.deployment.read_text(encoding="utf-8"))["contracts"]["TanhuiCredits"]
        else:
            credits = args.credits
        found = read(args.rpc_url, credits, args.abi_dir, args.certificate, args.batch)
    except (OSError, KeyError, ValueError, LookupError, ApeException) as err:
        print(f"ape_read: {err}", file=sys.stderr)
        return 1
    print(json.dumps(found, indent=2) if args.json else _summary(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
