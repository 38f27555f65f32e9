"""A node's refusal of a transaction is typed: the nonce was taken, the fees are too low, or the
sender cannot pay. Run on chains that charge gas: the in-process EVM and an anvil started with
a base fee."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from eth_account import Account

from chain import ChainClient
from chain.client import _refusal_class
from chain.errors import FeeTooLow, InsufficientFunds, NonceTaken, TransactionRefused
from chain.localnode import spawn_anvil
from chain.signers import LocalSigner

pytestmark = pytest.mark.anvil

BASE_FEE = 1_000_000_000  # 1 gwei


@pytest.fixture(scope="module", params=["in-process", "anvil"])
def client(request: pytest.FixtureRequest) -> Iterator[ChainClient]:
    if request.param == "in-process":
        yield ChainClient.in_process()
        return
    node = spawn_anvil("--block-base-fee-per-gas", str(BASE_FEE))
    try:
        yield ChainClient.connect(node.url)
    finally:
        node.stop()


def test_send__nonce_used_by_a_mined_transaction_is_nonce_taken(client: ChainClient) -> None:
    sender, other = client.dev_signers()[:2]
    first = client.prepare(None, sender, to=other.address, value=1, gas=21_000)
    client.wait(client.send(first))
    rival = client.prepare(None, sender, to=other.address, value=2, gas=21_000, nonce=first.nonce)
    with pytest.raises(NonceTaken) as caught:
        client.send(rival)
    assert caught.value.tx_hash == rival.tx_hash
    assert client.send(first) == first.tx_hash  # the mined one itself is no refusal


def test_send__fee_below_the_base_fee_is_fee_too_low_and_the_nonce_stays_free(client: ChainClient) -> None:
    sender, other = client.dev_signers()[2:4]
    base_fee = client.block()["baseFeePerGas"]
    assert base_fee is not None and base_fee > 1
    nonce = client.next_nonce(sender.address)
    cheap = {"maxFeePerGas": base_fee // 2, "maxPriorityFeePerGas": 0}
    refused = client.prepare(None, sender, to=other.address, value=1, gas=21_000, nonce=nonce, fees=cheap)
    with pytest.raises(FeeTooLow) as caught:
        client.send(refused)
    assert not isinstance(caught.value, NonceTaken)
    assert client.next_nonce(sender.address) == nonce
    again = client.resign(refused, sender, nonce=nonce, fees=client.fee_fields())
    assert client.wait(client.send(again)).tx_hash == again.tx_hash
    assert client.next_nonce(sender.address) == nonce + 1


def test_send__sender_without_funds_is_insufficient_funds(client: ChainClient) -> None:
    poor = LocalSigner(Account.create())
    fees = client.fee_fields()
    assert client.balance(poor.address) == 0 and max(fees.values()) > 0
    signed = client.prepare(None, poor, to=client.dev_signers()[0].address, gas=21_000, fees=fees)
    with pytest.raises(InsufficientFunds) as caught:
        client.send(signed)
    assert "the node refused the transaction" in str(caught.value)
    assert client.next_nonce(poor.address) == 0


def test_send__in_process_nonce_gap_is_a_plain_refusal() -> None:
    """eth-tester refuses a nonce ahead of the account's ("expected 0, but got 5"): that nonce
    was not used, so it must not read as NonceTaken."""
    client = ChainClient.in_process()
    sender, other = client.dev_signers()[:2]
    ahead = client.prepare(None, sender, to=other.address, gas=21_000, nonce=5)
    with pytest.raises(TransactionRefused) as caught:
        client.send(ahead)
    assert type(caught.value) is TransactionRefused


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("nonce too low", NonceTaken),  # geth, anvil
        ("Nonce too low", NonceTaken),  # Besu
        ("nonce too low: next nonce 4, tx nonce 3", NonceTaken),  # geth 1.13+
        ("Invalid transaction nonce: Expected 3, but got 2", NonceTaken),  # eth-tester
        ("Invalid transaction nonce: Expected 3, but got 5", TransactionRefused),
        ("nonce too high", TransactionRefused),
        ("transaction underpriced", FeeTooLow),
        ("replacement transaction underpriced", FeeTooLow),
        ("max fee per gas less than block base fee", FeeTooLow),
        ("Transaction fee cap exceeded", FeeTooLow),  # Besu
        ("Gas price below configured minimum gas price", FeeTooLow),  # Besu
        ("insufficient funds for gas * price + value", InsufficientFunds),
        ("Upfront cost exceeds account balance", InsufficientFunds),  # Besu
        ("intrinsic gas too low", TransactionRefused),
    ],
)
def test_refusal_class__node_messages(message: str, expected: type[TransactionRefused]) -> None:
    """Messages of nodes the suite does not run (geth, Besu) are classified the same way."""
    assert _refusal_class(message) is expected
