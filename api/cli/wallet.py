"""``tanhui wallet ...``: a participant's own key, kept where the participant keeps it (an
encrypted eth-account keystore), never in the registry.

The holder asks the service for the unsigned transaction of what it wants to do
(``POST /v1/transactions/drafts``, or ``tanhui wallet draft``), signs it here (``tanhui wallet
sign``, which needs no network), and submits the raw transaction (``POST /v1/transactions``, or
``sign --submit``). Only this process ever decrypts the key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account import Account
from hexbytes import HexBytes
from web3 import Web3

from api.cli._common import AsJson, DataDir, fail, new_typer, note, print_json, say
from api.cli.client import service_request
from chain.compiler import load_artifact
from chain.errors import CompileError, NoSigner
from chain.signers import LocalSigner

wallet_app = new_typer(help="A participant's own key (self-custody): create it, draft, sign and submit.")

#: eth-account's own default scrypt cost: about a second per decryption, on purpose.
DEFAULT_KDF_ITERATIONS = 2**18

Keystore = Annotated[
    Path, typer.Option("--keystore", metavar="FILE", help="The encrypted key file (eth-account keystore)")
]
PasswordFile = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        metavar="FILE",
        help="Read the keystore's password from FILE [default: TANHUI_WALLET_PASSWORD, else ask]",
    ),
]
Url = Annotated[
    str | None,
    typer.Option(
        "--url", metavar="URL", envvar="TANHUI_API_URL", help="The service [default: TANHUI_HOST:TANHUI_PORT]"
    ),
]
Token = Annotated[
    str | None,
    typer.Option("--token", metavar="TOKEN", envvar="TANHUI_TOKEN", help="The participant's API token"),
]


def _password(password_file: Path | None, *, confirm: bool = False) -> str:
    if password_file is not None:
        try:
            password = password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as err:
            fail(f"cannot read the password file {password_file}: {err}")
    elif os.environ.get("TANHUI_WALLET_PASSWORD"):
        password = os.environ["TANHUI_WALLET_PASSWORD"]
    else:
        password = typer.prompt("keystore password", hide_input=True, confirmation_prompt=confirm)
    if not password:
        fail("the keystore password is empty")
    return password


def _signer(keystore: Path, password_file: Path | None) -> LocalSigner:
    password = _password(password_file)
    try:
        return LocalSigner.from_keystore(keystore, password)
    except NoSigner as err:
        fail(str(err))
    except Exception as err:  # a file that is not a keystore: whatever eth-account raises
        fail(f"{keystore} is not a keystore this wallet can read: {type(err).__name__}: {err}")


@wallet_app.command("new")
def new(
    keystore: Keystore,
    password_file: PasswordFile = None,
    kdf_iterations: Annotated[
        int,
        typer.Option(
            "--kdf-iterations",
            envvar="TANHUI_KEYSTORE_KDF_ITERATIONS",
            help="The keystore's scrypt cost N (a power of two)",
        ),
    ] = DEFAULT_KDF_ITERATIONS,
    as_json: AsJson = False,
) -> None:
    """Creates a key in a new encrypted keystore file and prints its address (register it with
    the registry as the participant's "address")."""
    if keystore.exists():
        fail(f"{keystore} exists: a wallet is never overwritten")
    if kdf_iterations < 2 or kdf_iterations & (kdf_iterations - 1):
        fail(f"--kdf-iterations must be a power of two, not {kdf_iterations}")
    password = _password(password_file, confirm=True)
    account = Account.create()
    data = Account.encrypt(account.key, password, kdf="scrypt", iterations=kdf_iterations)
    try:
        keystore.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(keystore, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"{keystore} exists: a wallet is never overwritten")
    except OSError as err:
        fail(f"cannot create {keystore}: {err}")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    if as_json:
        print_json({"address": account.address, "keystore": str(keystore)})
    else:
        say(f"new key {account.address} in {keystore} (keep the file and its password safe)")


@wallet_app.command("address")
def address(keystore: Keystore) -> None:
    """The address of a keystore (read without the password)."""
    try:
        data = json.loads(keystore.read_text(encoding="utf-8"))
        typer.echo(Web3.to_checksum_address("0x" + str(data["address"]).removeprefix("0x")))
    except (OSError, ValueError, KeyError, TypeError) as err:
        fail(f"{keystore} is not a keystore: {err}")


def _shown(value: Any) -> str:
    """An argument as a holder reads it: bytes as 0x-hex, structs field by field."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value)


def describe_call(tx: dict[str, Any]) -> str:
    """What a draft's data calls, decoded with the Tanhui contracts' ABIs (the holder sees what
    it signs): refuses data that calls none of their functions."""
    try:
        data = bytes(HexBytes(str(tx["data"])))
    except (ValueError, TypeError) as err:
        fail(f"the draft's data is not hex: {err}")
    for name in ("TanhuiCredits", "TanhuiExchange", "TanhuiRegistry"):
        try:
            abi = load_artifact(name).abi
        except CompileError:
            fail("the contracts' ABIs are missing (compile them with `tanhui deploy` or scripts/setup)")
        try:
            function, args = Web3().eth.contract(abi=abi).decode_function_input(data)
        except Exception:  # not a function of this contract: try the next
            continue
        shown = ", ".join(f"{k}={_shown(v)}" for k, v in args.items())
        return (
            f"{name}.{function.fn_name}({shown}) at {tx.get('to')}, chain {tx.get('chainId')}, "
            f"nonce {tx.get('nonce')}, gas {tx.get('gas')}"
        )
    fail("the draft calls no function of the Tanhui contracts: it is not signed")


def _draft_body(action: str, values: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {"action": action}
    body.update({k: v for k, v in values.items() if v is not None})
    return body


@wallet_app.command("draft")
def draft(
    action: Annotated[str, typer.Argument(help="transfer, retire, list or cancel_listing")],
    batch: Annotated[int | None, typer.Option("--batch", metavar="ID", help="The batch")] = None,
    kg: Annotated[int | None, typer.Option("--kg", help="Amount in kilograms")] = None,
    tonnes: Annotated[str | None, typer.Option("--t", help="Amount in tonnes (e.g. 1.5)")] = None,
    to: Annotated[
        str | None, typer.Option("--to", metavar="PARTICIPANT", help="A transfer's recipient")
    ] = None,
    beneficiary: Annotated[
        str | None, typer.Option("--beneficiary", help="A retirement's beneficiary")
    ] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="A retirement's purpose")] = None,
    listing: Annotated[
        int | None, typer.Option("--listing", metavar="ID", help="The listing to cancel")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write the draft to FILE")
    ] = None,
    url: Url = None,
    token: Token = None,
    data_dir: DataDir = None,
) -> None:
    """Asks the service for the unsigned transaction of an action (no key needed)."""
    body = _draft_body(
        action,
        {
            "batch_id": batch,
            "amount_kg": kg,
            "amount_t": tonnes,
            "to": to,
            "beneficiary": beneficiary,
            "purpose": purpose,
            "listing_id": listing,
        },
    )
    answer = service_request("post", "/v1/transactions/drafts", body, url=url, token=token, data_dir=data_dir)
    if output is not None:
        output.write_text(json.dumps(answer, indent=2) + "\n", encoding="utf-8")
        say(f"draft of {answer['function']} written to {output}: sign it with `tanhui wallet sign {output}`")
    else:
        print_json(answer)


@wallet_app.command("sign")
def sign(
    draft_file: Annotated[
        Path, typer.Argument(metavar="DRAFT", help="A draft (JSON) from `tanhui wallet draft`")
    ],
    keystore: Keystore,
    password_file: PasswordFile = None,
    submit: Annotated[
        bool, typer.Option("--submit", help="Submit the signed transaction to the service")
    ] = False,
    url: Url = None,
    token: Token = None,
    data_dir: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Signs a draft with the keystore's key (offline) and prints the raw transaction; with
    --submit, sends it to the service (POST /v1/transactions) and prints what it answers."""
    try:
        loaded = json.loads(draft_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        fail(f"cannot read the draft {draft_file}: {err}")
    tx = loaded.get("transaction", loaded) if isinstance(loaded, dict) else None
    required = {"chainId", "to", "data", "nonce", "gas"}
    if not isinstance(tx, dict) or not required <= tx.keys():
        fail(f"{draft_file} is not a draft: it needs the fields {', '.join(sorted(required))}")
    if tx.get("value", 0) not in (0, "0", "0x0"):
        fail("the draft sends ether: a Tanhui transaction never does; it is not signed")
    note(f"signing: {describe_call(tx)}")
    signer = _signer(keystore, password_file)
    sender = tx.get("from")
    if sender is not None:
        if not isinstance(sender, str) or not Web3.is_address(sender):
            fail(f"the draft's sender {sender!r} is not an address")
        if Web3.to_checksum_address(sender) != signer.address:
            fail(f"the draft is for {sender}, but the keystore's key is {signer.address}")
    fields = {k: v for k, v in tx.items() if k != "from"}
    try:
        raw = "0x" + signer.sign(fields).hex()
    except Exception as err:  # fields eth-account cannot sign: whatever it raises
        fail(f"cannot sign the draft: {type(err).__name__}: {err}")
    if not submit:
        if as_json:
            print_json({"raw": raw})
        else:
            typer.echo(raw)
        return
    answer = service_request(
        "post", "/v1/transactions", {"raw": raw}, url=url, token=token, data_dir=data_dir
    )
    if as_json:
        print_json(answer)
    else:
        say(
            f"submitted: {answer['action']} {answer['tx_hash']} is {answer['status']} "
            f"(operation {answer['id']})"
        )
