"""Participants' chain keys.

A participant who brings no key gets one kept in an encrypted eth-account keystore (the
secret comes from settings); one who brings an address keeps its key and signs its own
transfers and retirements. Either way the chain sender of a transfer or retirement is the
holder itself: the operator key can register and issue, but it cannot move anyone's credits.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account

from chain.signers import LocalSigner
from registry.errors import SelfCustody
from registry.models import Participant
from registry.states import Custody

# scrypt with eth-account's defaults takes about a second per key; these parameters (n=2**14)
# keep the keystore standard while costing ~50 ms, since the secret is a long random one.
KDF_ITERATIONS = 2**14


def create_keystore(password: str, iterations: int = KDF_ITERATIONS) -> tuple[str, dict[str, Any]]:
    """A new key: (address, keystore JSON), encrypted with scrypt of cost `iterations` (N)."""
    account = Account.create()
    return account.address, Account.encrypt(account.key, password, kdf="scrypt", iterations=iterations)


def signer_for(participant: Participant, password: str) -> LocalSigner:
    """The participant's signer, decrypted from its keystore (``Outbox.signer_of`` keeps it)."""
    if participant.custody != Custody.KEYSTORE or participant.keystore is None:
        raise SelfCustody(
            f"participant {participant.public_id} holds its own key; it signs its own transactions",
            participant=participant.public_id,
        )
    return LocalSigner(Account.from_key(Account.decrypt(participant.keystore, password)))
