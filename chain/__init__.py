"""The chain layer: compiling, deploying and talking to the Tanhui contracts on any EVM backend.

The backends (the in-process EVM, anvil, any JSON-RPC node such as a Besu QBFT network) differ
only in how the :class:`ChainClient` is constructed.
"""

from chain.client import ChainClient, Receipt, SignedTransaction
from chain.contracts import (
    ContractCall,
    Deployment,
    RetirementDetails,
    RetirementPurpose,
    Tanhui,
    role_id,
)
from chain.errors import ChainError, ContractRevert

__all__ = [
    "ChainClient",
    "ChainError",
    "ContractCall",
    "ContractRevert",
    "Deployment",
    "Receipt",
    "RetirementDetails",
    "RetirementPurpose",
    "SignedTransaction",
    "Tanhui",
    "role_id",
]
