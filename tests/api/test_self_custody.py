"""Self-custody: a participant that keeps its own key drafts, signs (here, or with `tanhui
wallet sign`) and submits its own transactions; the registry checks them, records them in the
outbox and relays them like its own, and never holds the key. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlalchemy import func, select
from typer.testing import CliRunner

from api.cli import app as cli
from chain.client import SignedTransaction
from chain.signers import LocalSigner
from registry import submissions
from registry.errors import NonceUnexpected, TransactionPending
from registry.models import Base, ChainOperation, Participant
from registry.runtime import Runtime
from tests.api.conftest import Api
from tests.api.test_concurrency import slow_reads
from tests.api.test_hostile_chain import fund


def holder_with(
    api: Api, runtime: Runtime, kg: int
) -> tuple[LocalSigner, dict[str, Any], int, dict[str, Any]]:
    """A self-custody holder with `kg` of a new batch: (its key, the participant, batch, owner)."""
    batch_id, owner, _ = api.issued_batch()
    signer = LocalSigner(Account.create())
    fund(runtime, signer.address)
    holder = api.participant(["holder"], address=signer.address)
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": kg}, owner["token"])
    return signer, holder, batch_id, owner


def signed(api: Api, signer: LocalSigner, token: str, body: dict[str, Any]) -> str:
    draft = api.post("/v1/transactions/drafts", body, token, expect=200).json()
    assert draft["sender"] == signer.address
    tx = {k: v for k, v in draft["transaction"].items() if k != "from"}
    return "0x" + signer.sign(tx).hex()


def submit(api: Api, token: str, raw: str, expect: int = 201) -> dict[str, Any]:
    body: dict[str, Any] = api.post("/v1/transactions", {"raw": raw}, token, expect=expect).json()
    return body


def operations(runtime: Runtime) -> int:
    with runtime.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(ChainOperation)).scalar_one())


def holding(api: Api, participant_id: str, batch_id: int) -> int:
    p = api.get(f"/v1/participants/{participant_id}", api.operator)
    return sum(h["amount_kg"] for h in p["holdings"] if h["batch_id"] == batch_id)


def test_a_holder_transfers_retires_lists_and_cancels_with_its_own_key(api: Api, runtime: Runtime) -> None:
    signer, holder, batch_id, _ = holder_with(api, runtime, 100)
    token = holder["token"]
    friend = api.participant(["holder"])

    sent = submit(
        api,
        token,
        signed(
            api,
            signer,
            token,
            {"action": "transfer", "batch_id": batch_id, "to": friend["id"], "amount_kg": 10},
        ),
    )
    assert sent["action"] == "transfer" and sent["status"] == "confirmed", sent
    assert sent["sender"] == signer.address and sent["credit_request"]["amount_kg"] == 10
    assert holding(api, friend["id"], batch_id) == 10 and holding(api, holder["id"], batch_id) == 90

    retired = submit(
        api,
        token,
        signed(
            api,
            signer,
            token,
            {
                "action": "retire",
                "batch_id": batch_id,
                "amount_t": "0.005",
                "beneficiary": "Tianfu Marathon",
                "purpose": "event_neutrality",
                "event_id": "marathon-2026",
            },
        ),
    )
    certificate = retired["credit_request"]["certificate"]
    on_chain = runtime.tanhui.retirement(certificate["certificate_id"])
    assert on_chain.holder == signer.address and on_chain.serial_last - on_chain.serial_first + 1 == 5
    assert certificate["beneficiary"] == "Tianfu Marathon"

    listed = submit(
        api, token, signed(api, signer, token, {"action": "list", "batch_id": batch_id, "amount_kg": 20})
    )
    listing_id = listed["listing_id"]
    assert listed["status"] == "confirmed" and listing_id is not None, listed
    assert runtime.tanhui.listing(listing_id).seller == signer.address
    assert holding(api, holder["id"], batch_id) == 65

    cancelled = submit(
        api, token, signed(api, signer, token, {"action": "cancel_listing", "listing_id": listing_id})
    )
    assert cancelled["status"] == "confirmed" and cancelled["listing_id"] == listing_id
    assert api.get(f"/v1/listings/{listing_id}")["state"] == "cancelled"
    assert holding(api, holder["id"], batch_id) == 85
    assert api.get(f"/v1/transactions/{cancelled['id']}", token)["tx_hash"] == cancelled["tx_hash"]

    # The registry never held the key: it is nowhere in the database.
    key = signer.account.key.hex().removeprefix("0x")
    with runtime.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert key not in str(tuple(row)).lower(), f"the key is in {table.name}"


def test_the_same_transaction_submitted_twice_is_recorded_once(api: Api, runtime: Runtime) -> None:
    signer, holder, batch_id, _ = holder_with(api, runtime, 50)
    raw = signed(api, signer, holder["token"], {"action": "list", "batch_id": batch_id, "amount_kg": 5})
    first = submit(api, holder["token"], raw)
    before = operations(runtime)
    again = submit(api, holder["token"], raw)
    assert again["id"] == first["id"] and operations(runtime) == before


def refusal(api: Api, token: str, raw: str, status: int, code: str) -> dict[str, Any]:
    response = api.post("/v1/transactions", {"raw": raw}, token, expect=status)
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code, error
    return error


def test_refusals__typed_and_nothing_recorded(api: Api, runtime: Runtime) -> None:
    signer, holder, batch_id, owner = holder_with(api, runtime, 30)
    token = holder["token"]
    friend = api.participant(["holder"])
    draft = api.post(
        "/v1/transactions/drafts",
        {"action": "transfer", "batch_id": batch_id, "to": friend["id"], "amount_kg": 5},
        token,
        expect=200,
    ).json()
    tx = {k: v for k, v in draft["transaction"].items() if k != "from"}
    before = operations(runtime)

    # A nonce other than the one expected next, named in the answer.
    error = refusal(
        api, token, "0x" + signer.sign({**tx, "nonce": tx["nonce"] + 1}).hex(), 409, "nonce_unexpected"
    )
    assert error["details"]["expected"] == tx["nonce"]
    # Another chain; a value; a function holders may not call; another holder's credits.
    refusal(
        api, token, "0x" + signer.sign({**tx, "chainId": tx["chainId"] + 1}).hex(), 400, "transaction_invalid"
    )
    refusal(api, token, "0x" + signer.sign({**tx, "value": 1}).hex(), 400, "transaction_invalid")
    approve = runtime.tanhui.credits.encode_abi("setApprovalForAll", args=[friend["address"], True])
    refusal(api, token, "0x" + signer.sign({**tx, "data": approve}).hex(), 400, "transaction_invalid")
    theft = runtime.tanhui.transfer(owner["address"], signer.address, batch_id, 1)
    refusal(
        api,
        token,
        "0x" + signer.sign({**tx, "data": "0x" + theft.data.hex()}).hex(),
        400,
        "transaction_invalid",
    )
    # The call the draft makes, with bytes after it that the contract would ignore (not the call
    # the registry checked): the answer says where the transaction to sign comes from.
    extra = tx["data"] + "00" * 32
    odd = refusal(api, token, "0x" + signer.sign({**tx, "data": extra}).hex(), 400, "transaction_invalid")
    assert odd["message"].endswith("sign the draft the registry gives (POST /v1/transactions/drafts)"), odd
    # Too little gas for the call: the answer says how much it needs (what a wallet signs again with).
    low = refusal(api, token, "0x" + signer.sign({**tx, "gas": 21_000}).hex(), 400, "transaction_invalid")
    assert low["details"]["needed_gas"] > 21_000, low
    assert (
        low["message"] == f"a gas limit of 21000 is below the {low['details']['needed_gas']} the call needs"
    )
    # More than the holder can spend (checked as for any holder), and nothing of it written.
    too_much = runtime.tanhui.transfer(signer.address, friend["address"], batch_id, 31)
    refusal(
        api,
        token,
        "0x" + signer.sign({**tx, "data": "0x" + too_much.data.hex()}).hex(),
        409,
        "insufficient_balance",
    )
    # Not a transaction at all; signed by a key other than the participant's.
    refusal(api, token, "0x" + "ab" * 40, 400, "transaction_invalid")
    stranger = LocalSigner(Account.create())
    refusal(api, token, "0x" + stranger.sign(tx).hex(), 403, "forbidden")
    # A participant whose key the registry keeps submits nothing: it has its own routes.
    refusal(api, friend["token"], "0x" + signer.sign(tx).hex(), 403, "forbidden")
    api.post(
        "/v1/transactions/drafts",
        {"action": "list", "batch_id": batch_id, "amount_kg": 1},
        friend["token"],
        expect=403,
    )
    assert operations(runtime) == before

    # The draft itself still goes through.
    assert submit(api, token, "0x" + signer.sign(tx).hex())["status"] == "confirmed"


def test_concurrent_submissions_with_one_nonce__one_is_recorded(api: Api, runtime: Runtime) -> None:
    """The account's counter row is locked while a submission is checked: two transactions
    signed with the same nonce cannot both be recorded."""
    signer, holder, batch_id, _ = holder_with(api, runtime, 40)
    # A first one, so that the account's counter row exists (creating it serialises by itself).
    submit(
        api,
        holder["token"],
        signed(api, signer, holder["token"], {"action": "list", "batch_id": batch_id, "amount_kg": 1}),
    )
    tx = api.post(
        "/v1/transactions/drafts",
        {"action": "list", "batch_id": batch_id, "amount_kg": 1},
        holder["token"],
        expect=200,
    ).json()["transaction"]
    tx.pop("from")
    raws = []
    for kg in (2, 3, 4, 5):
        call = runtime.tanhui.list_credits(batch_id, kg)
        raws.append("0x" + signer.sign({**tx, "data": "0x" + call.data.hex()}).hex())
    with runtime.db.transaction() as session:
        me = session.execute(select(Participant).where(Participant.address == signer.address)).scalar_one()
        session.expunge(me)
    barrier = threading.Barrier(len(raws))
    outcomes: list[Any] = [None] * len(raws)

    def go(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = submissions.submit_command(
                runtime.commands, runtime.outbox, me, raws[i], idempotency=None
            )
        except Exception as err:
            outcomes[i] = err

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(raws))]
    with slow_reads(runtime, "chain_accounts"):
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(accepted) == 1, outcomes
    # Behind the first: still being relayed (pending), or its nonce is taken.
    assert all(isinstance(o, (NonceUnexpected, TransactionPending)) for o in refused), outcomes
    with runtime.db.transaction() as session:
        rows = (
            session.execute(select(ChainOperation).where(ChainOperation.sender == signer.address))
            .scalars()
            .all()
        )
        assert len(rows) == 2


def test_wallet_cli__new_and_sign_keep_the_key_in_the_holders_file(
    api: Api, runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TANHUI_WALLET_PASSWORD", "correct horse battery staple")
    keystore = tmp_path / "wallet" / "key.json"
    runner = CliRunner()
    made = runner.invoke(
        cli, ["wallet", "new", "--keystore", str(keystore), "--kdf-iterations", "1024", "--json"]
    )
    assert made.exit_code == 0, made.output
    address = json.loads(made.stdout)["address"]
    assert oct(keystore.stat().st_mode & 0o777) == "0o600"
    assert (
        runner.invoke(cli, ["wallet", "new", "--keystore", str(keystore)]).exit_code != 0
    )  # never overwritten
    shown = runner.invoke(cli, ["wallet", "address", "--keystore", str(keystore)])
    assert shown.stdout.strip() == address

    fund(runtime, address)
    batch_id, owner, _ = api.issued_batch()
    holder = api.participant(["holder"], address=address)
    api.ok("/v1/transfers", {"batch_id": batch_id, "to": holder["id"], "amount_kg": 12}, owner["token"])
    draft = api.post(
        "/v1/transactions/drafts",
        {
            "action": "retire",
            "batch_id": batch_id,
            "amount_kg": 2,
            "beneficiary": "Ms Li",
            "purpose": "personal_neutrality",
        },
        holder["token"],
        expect=200,
    ).json()
    draft_file = tmp_path / "draft.json"
    draft_file.write_text(json.dumps(draft))
    result = runner.invoke(cli, ["wallet", "sign", str(draft_file), "--keystore", str(keystore)])
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    retired = submit(api, holder["token"], raw)
    assert retired["credit_request"]["certificate"]["beneficiary"] == "Ms Li"

    # A wrong password, and a draft for another account, are refused with a message.
    monkeypatch.setenv("TANHUI_WALLET_PASSWORD", "wrong")
    bad = runner.invoke(cli, ["wallet", "sign", str(draft_file), "--keystore", str(keystore)])
    assert bad.exit_code != 0 and "cannot decrypt" in bad.output
    monkeypatch.setenv("TANHUI_WALLET_PASSWORD", "correct horse battery staple")
    other = dict(draft, transaction={**draft["transaction"], "from": owner["address"]})
    draft_file.write_text(json.dumps(other))
    bad = runner.invoke(cli, ["wallet", "sign", str(draft_file), "--keystore", str(keystore)])
    assert bad.exit_code != 0 and "keystore's key" in bad.output

    # The key is in the holder's file only: not in the registry's database nor its data directory.
    key = (
        Account.decrypt(json.loads(keystore.read_text()), "correct horse battery staple")
        .hex()
        .removeprefix("0x")
    )
    with runtime.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert key not in str(tuple(row)).lower(), f"the key is in {table.name}"
    for path in runtime.settings.data_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert key.encode() not in path.read_bytes().lower(), path


def draft_tx(api: Api, token: str, body: dict[str, Any]) -> dict[str, Any]:
    tx: dict[str, Any] = api.post("/v1/transactions/drafts", body, token, expect=200).json()["transaction"]
    tx.pop("from")
    return tx


def test_refusals__transaction_types_that_do_more_than_the_call(api: Api, runtime: Runtime) -> None:
    """A blob transaction, and an EIP-7702 one whose authorisations would set the code of other
    accounts beside the call the registry checked, are refused; types 0 (EIP-155), 1, 2 are not."""
    signer, holder, batch_id, _ = holder_with(api, runtime, 10)
    token = holder["token"]
    tx = draft_tx(api, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1})
    blob = {**tx, "type": 3, "maxFeePerBlobGas": 10**9, "blobVersionedHashes": [b"\x01" + bytes(31)]}
    refusal(
        api,
        token,
        "0x" + bytes(signer.account.sign_transaction(blob).raw_transaction).hex(),
        400,
        "transaction_invalid",
    )
    other = Account.create()
    auth = other.sign_authorization({"chainId": 0, "address": "0x" + "22" * 20, "nonce": 0})
    delegation = {**tx, "type": 4, "authorizationList": [auth]}
    error = refusal(
        api,
        token,
        "0x" + bytes(signer.account.sign_transaction(delegation).raw_transaction).hex(),
        400,
        "transaction_invalid",
    )
    assert "type 4" in error["message"]
    assert not runtime.client.has_code(other.address)
    legacy = {k: v for k, v in tx.items() if k not in ("maxFeePerGas", "maxPriorityFeePerGas")}
    legacy["gasPrice"] = tx.get("maxFeePerGas", tx.get("gasPrice"))
    # A legacy price the holder cannot pay for is refused as a fee cap is (nothing recorded).
    costly = "0x" + signer.sign({**legacy, "gasPrice": 10**20}).hex()
    assert "cannot pay" in refusal(api, token, costly, 400, "transaction_invalid")["message"]
    assert submit(api, token, "0x" + signer.sign(legacy).hex())["status"] == "confirmed"


@pytest.mark.parametrize(
    "raw",
    [
        "0x02c0",  # a typed envelope with no fields
        "0x02" + "c3" + "010203",  # typed, the wrong fields
        "0xf8",  # a truncated list
        "0x" + "00" * 64,
    ],
)
def test_refusals__undecodable_bytes_are_typed(api: Api, runtime: Runtime, raw: str) -> None:
    _, holder, _, _ = holder_with_key(api, runtime)
    refusal(api, holder["token"], raw, 400, "transaction_invalid")


def holder_with_key(api: Api, runtime: Runtime) -> tuple[LocalSigner, dict[str, Any], None, None]:
    signer = LocalSigner(Account.create())
    return signer, api.participant(["holder"], address=signer.address), None, None


def test_refusals__a_signature_off_the_curve_and_odd_call_data_are_typed(api: Api, runtime: Runtime) -> None:
    import rlp  # type: ignore[import-untyped]

    signer, holder, batch_id, _ = holder_with(api, runtime, 10)
    token = holder["token"]
    good = signed(api, signer, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1})
    fields = rlp.decode(bytes.fromhex(good[4:]))
    for r_value in range(1, 12):  # r values that are mostly not the x of a curve point
        fields[-2] = r_value.to_bytes(1, "big")
        response = api.post(
            "/v1/transactions", {"raw": "0x02" + rlp.encode(fields).hex()}, token, expect=None
        )
        assert response.status_code in (400, 403), response.text
    tx = draft_tx(api, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1})
    retire = runtime.tanhui.retire(batch_id, 1, _details())
    # A string whose length word does not fit an index; consumption bounds no calendar has.
    broken = retire.data[:4] + retire.data[4:].replace(
        (224).to_bytes(32, "big"), (2**255).to_bytes(32, "big"), 1
    )
    refusal(
        api, token, "0x" + signer.sign({**tx, "data": "0x" + broken.hex()}).hex(), 400, "transaction_invalid"
    )
    far = runtime.tanhui.retire(batch_id, 1, _details(consumption=(2**40 - 1, 2**40 - 1)))
    refusal(
        api,
        token,
        "0x" + signer.sign({**tx, "data": "0x" + far.data.hex()}).hex(),
        400,
        "transaction_invalid",
    )


def _details(consumption: tuple[int, int] = (0, 0)) -> Any:
    from chain.contracts import RetirementDetails, RetirementPurpose

    return RetirementDetails(
        beneficiary="x",
        purpose=RetirementPurpose.VOLUNTARY,
        consumption_start=consumption[0],
        consumption_end=consumption[1],
    )


def test_one_transaction_at_a_time__a_refused_one_fails_at_once_and_frees_its_nonce(
    api: Api, runtime: Runtime
) -> None:
    """A fee the holder cannot pay is refused at submission; a transaction the node refuses when
    sent fails at once (nothing waits behind it); while one is being relayed, the next waits; a
    refused transaction that is mined later all the same is confirmed then."""
    signer, holder, batch_id, _ = holder_with(api, runtime, 10)
    token = holder["token"]
    friend = api.participant(["holder"])
    tx = draft_tx(
        api, token, {"action": "transfer", "batch_id": batch_id, "to": friend["id"], "amount_kg": 4}
    )
    fee = "maxFeePerGas" if "maxFeePerGas" in tx else "gasPrice"
    refusal(api, token, "0x" + signer.sign({**tx, fee: 10**20}).hex(), 400, "transaction_invalid")
    refusal(api, token, "0x" + signer.sign({**tx, "gas": 10**9}).hex(), 400, "transaction_invalid")

    # Recorded; the relay has not sent it yet.
    raw = "0x" + signer.sign(tx).hex()
    op_id = recorded_unsent(runtime, signer, raw)
    # While it is pending, the holder's next one waits.
    waiting = api.post(
        "/v1/transactions/drafts", {"action": "list", "batch_id": batch_id, "amount_kg": 1}, token, expect=409
    )
    assert waiting.json()["error"]["code"] == "transaction_pending"
    # The operator gives it up (`tanhui relay --cancel`): no node has it, so it fails, its credits
    # are spendable again and its nonce is free: the next draft takes it.
    runtime.relay.cancel(op_id, "the holder asked")
    assert api.get(f"/v1/transactions/{op_id}", token)["status"] == "failed"
    following = draft_tx(api, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1})
    assert following["nonce"] == tx["nonce"]

    # The holder broadcasts the cancelled transaction itself: the chain mines it after all, and
    # the registry confirms it (its request says what the chain did) at the holder's next one.
    runtime.client.wait(runtime.client.send(SignedTransaction.from_raw(raw)))
    submit(api, token, signed(api, signer, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1}))
    again = api.get(f"/v1/transactions/{op_id}", token)
    assert again["status"] == "confirmed" and again["credit_request"]["status"] == "confirmed", again
    assert holding(api, friend["id"], batch_id) == 4

    # Recorded, and its nonce taken by a transaction the holder sent past the registry: it fails
    # at once (the registry cannot sign it again), and nothing waits behind it.
    tx = draft_tx(
        api, token, {"action": "transfer", "batch_id": batch_id, "to": friend["id"], "amount_kg": 2}
    )
    op_id = recorded_unsent(runtime, signer, "0x" + signer.sign(tx).hex())
    runtime.client.wait(
        runtime.client.send(
            runtime.client.nonce_filler(signer, nonce=tx["nonce"], fees=runtime.client.fee_fields())
        )
    )
    runtime.relay.resume()
    refused = api.get(f"/v1/transactions/{op_id}", token)
    assert refused["status"] == "failed" and refused["operation"]["error"]["code"] == "NonceTaken", refused
    assert holding(api, friend["id"], batch_id) == 4
    assert (
        draft_tx(api, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1})["nonce"]
        == tx["nonce"] + 1
    )


def recorded_unsent(runtime: Runtime, signer: LocalSigner, raw: str) -> int:
    """Submits `raw` with the relay held back: the operation is recorded, not sent."""
    with runtime.db.transaction() as session:
        me = session.execute(select(Participant).where(Participant.address == signer.address)).scalar_one()
        session.expunge(me)
    original = runtime.relay.process_all
    runtime.relay.process_all = lambda *a, **k: None  # type: ignore[method-assign]
    try:
        answer = submissions.submit_command(runtime.commands, runtime.outbox, me, raw, idempotency=None)
    finally:
        runtime.relay.process_all = original  # type: ignore[method-assign]
    assert answer.body["status"] == "pending", answer.body
    return int(answer.body["id"])


def test_draft_with__a_use_case_that_sends_nothing_is_refused_not_drafted_empty() -> None:
    """Every action a holder drafts sends a transaction; were one to send none, the holder must
    get a typed refusal rather than an empty transaction to sign."""
    from registry.errors import TransactionInvalid
    from registry.outbox import draft_with

    with pytest.raises(TransactionInvalid, match="makes no transaction for its holder to sign"):
        draft_with(lambda: None)


def test_refusals__a_gas_limit_up_to_the_blocks_is_taken_above_it_refused(api: Api, runtime: Runtime) -> None:
    """A limit above the block's could never be mined (refused, nothing recorded); the block's
    own limit can."""
    signer, holder, batch_id, _ = holder_with(api, runtime, 10)
    token = holder["token"]
    tx = draft_tx(api, token, {"action": "list", "batch_id": batch_id, "amount_kg": 1})
    limit = runtime.client.block("latest")["gasLimit"]
    above = refusal(
        api, token, "0x" + signer.sign({**tx, "gas": limit + 1}).hex(), 400, "transaction_invalid"
    )
    assert f"above the block's {limit}" in above["message"]
    assert submit(api, token, "0x" + signer.sign({**tx, "gas": limit}).hex())["status"] == "confirmed"
