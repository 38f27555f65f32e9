"""Merkle trees of the daily points epochs (R17): pure helpers, no I/O.

Each day the registry builds a tree over every citizen's *cumulative* points and grams of CO2e
avoided, one leaf per salted pseudonym (32 bytes), and anchors its root with
``TanhuiRegistry.anchorPointsEpoch``; anyone holding their leaf's values and proof checks them
with ``verifyPoints`` (or :func:`verify` here, against the anchored root).

Encoding, identical to the contract's:

- **leaf**: OpenZeppelin's StandardMerkleTree leaf of ``(bytes32, uint256, uint256)``:
  ``keccak256(keccak256(abi.encode(pseudonym, points, grams)))``. Solidity's ``abi.encode`` pads
  the contract's ``uint64`` values to 32 bytes, exactly as ``uint256``; the leaf is hashed twice
  so that no 64-byte inner node can pass for a leaf.
- **inner node**: ``keccak256(min(a, b) ++ max(a, b))`` — sorted pairs, OpenZeppelin
  ``MerkleProof``'s commutative hashing, so a proof is just the list of siblings, bottom up.
- **odd levels**: the last node of a level with an odd count is *promoted* unpaired to the next
  level (not duplicated): its proof has no sibling for that level. OZ's ``verify`` folds
  whatever siblings it is given, so a shorter proof is fine; and unlike duplication, a tree of
  *n* leaves never has the root of the tree of *n* + 1 leaves with the last one repeated.
- **order**: leaves stay in the order given (no sorting); ``proof(i)`` is the proof of the
  *i*-th leaf given.

The levels are kept as plain lists of 32-byte ``bytes``; one keccak per inner node. A million
leaves hash in about 1.5 s and their tree builds in under 1 s (2 cores): the loops below call
the C keccak directly (no wrapper per node) and pack a leaf's words with one ``struct`` call.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

UINT64_MAX = 2**64 - 1


def _pycryptodome_keccak() -> Callable[[bytes], bytes]:
    from Crypto.Hash import keccak as _keccak_module

    def keccak256(data: bytes) -> bytes:
        return _keccak_module.new(data=data, digest_bits=256).digest()

    return keccak256


def _fast_keccak() -> tuple[Callable[[bytes], bytes], Callable[[bytes], Any]]:
    """keccak256 from safe-pysha3 (installed with py-evm; ~6x faster per call here than
    pycryptodome), else from pycryptodome (eth-hash's backend); and the constructor of its hash
    objects (``new(data).digest()``), for the loops that hash a whole level."""
    try:
        from sha3 import keccak_256  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - safe-pysha3 ships with py-evm
        from Crypto.Hash import keccak as _keccak_module

        def new(data: bytes) -> Any:
            return _keccak_module.new(data=data, digest_bits=256)

        return _pycryptodome_keccak(), new

    def keccak256(data: bytes) -> bytes:
        return bytes(keccak_256(data).digest())

    return keccak256, keccak_256


keccak256, _new = _fast_keccak()
#: abi.encode(bytes32, uint256, uint256) of a uint64 pair: the pseudonym, then each value
#: right-aligned in its 32-byte word (``struct.error`` outside ``[0, 2**64 - 1]``).
_LEAF_WORDS = struct.Struct(">32s24xQ24xQ").pack


def leaf_hash(pseudonym: bytes, points: int, grams: int) -> bytes:
    """The leaf of one citizen: ``keccak256(keccak256(abi.encode(pseudonym, points, grams)))``
    with ``pseudonym`` 32 bytes and ``points``, ``grams`` in ``[0, 2**64 - 1]`` (the contract's
    ``uint64``). The encoding is ``eth_abi.encode(["bytes32", "uint256", "uint256"], ...)``,
    written out: three big-endian 32-byte words."""
    if len(pseudonym) != 32:
        raise ValueError(f"a pseudonym is 32 bytes, not {len(pseudonym)}")
    if not 0 <= points <= UINT64_MAX or not 0 <= grams <= UINT64_MAX:
        raise ValueError(f"points and grams are uint64: {points}, {grams}")
    encoded = bytes(pseudonym) + points.to_bytes(32, "big") + grams.to_bytes(32, "big")
    return keccak256(keccak256(encoded))


def leaf_hashes(leaves: Iterable[tuple[bytes, int, int]]) -> list[bytes]:
    """:func:`leaf_hash` of each ``(pseudonym, points, grams)``, in order, with the same checks
    (``ValueError``), in one tight loop: what an epoch of a million citizens hashes."""
    new = _new
    pack = _LEAF_WORDS
    try:
        hashes = [
            new(new(pack(p, pts, g)).digest()).digest() if len(p) == 32 else b"" for p, pts, g in leaves
        ]
    except struct.error as err:  # a value outside uint64 (or not an integer)
        raise ValueError(f"points and grams are uint64: {err}") from err
    if b"" in hashes:
        raise ValueError(f"a pseudonym is 32 bytes (leaf {hashes.index(b'')})")
    return hashes


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: the keccak of the two children, the smaller first."""
    return keccak256(a + b if a < b else b + a)


def _next_level(level: list[bytes]) -> list[bytes]:
    new = _new
    pairs = iter(level)
    nxt = [new(a + b if a < b else b + a).digest() for a, b in zip(pairs, pairs, strict=False)]
    if len(level) % 2:
        nxt.append(level[-1])  # promoted unpaired
    return nxt


@dataclass(frozen=True)
class MerkleTree:
    """A built tree: ``levels[0]`` the leaves as given, ``levels[-1] == [root]``."""

    levels: tuple[list[bytes], ...]

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        """The tree over `leaves` (32-byte leaf hashes, e.g. from :func:`leaf_hash`), in order."""
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        level = list(leaves)
        if set(map(len, level)) != {32}:
            i = next(i for i, leaf in enumerate(level) if len(leaf) != 32)
            raise ValueError(f"leaf {i} is {len(level[i])} bytes, not 32")
        levels = [level]
        while len(level) > 1:
            level = _next_level(level)
            levels.append(level)
        return cls(tuple(levels))

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def leaf_count(self) -> int:
        return len(self.levels[0])

    def proof(self, index: int) -> list[bytes]:
        """The siblings of leaf `index` from the bottom up, skipping levels where the node is
        promoted unpaired; empty for a one-leaf tree."""
        if not 0 <= index < self.leaf_count:
            raise IndexError(f"leaf {index} of a tree of {self.leaf_count}")
        proof: list[bytes] = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index //= 2
        return proof


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` leads to from `leaf` (OZ ``MerkleProof.processProof``)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` leads from `leaf` to `root`, as OZ ``MerkleProof.verify`` decides."""
    return process_proof(leaf, proof) == root
