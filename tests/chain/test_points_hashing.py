"""The batch leaf hashing of chain.points (``leaf_hashes``, what an epoch of a million citizens
uses) against the one-leaf reference ``leaf_hash`` and the ABI encoding, and the tree built by
the tight loop against a tree folded pair by pair with ``hash_pair``."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain.points import MerkleTree, hash_pair, leaf_hash, leaf_hashes, verify

UINT64_MAX = 2**64 - 1


def _leaves(n: int) -> list[tuple[bytes, int, int]]:
    return [(keccak(text=f"hashing-{i}"), (i * 7919) % (UINT64_MAX + 1), i * 3) for i in range(n)]


def test_leaf_hashes__each_is_leaf_hash_and_the_abi_encoding() -> None:
    leaves = [*_leaves(50), (bytes(32), 0, 0), (b"\xff" * 32, UINT64_MAX, UINT64_MAX)]
    hashes = leaf_hashes(leaves)
    assert hashes == [leaf_hash(p, pts, g) for p, pts, g in leaves]
    for (p, pts, g), h in zip(leaves, hashes, strict=True):
        assert h == keccak(keccak(encode(["bytes32", "uint256", "uint256"], [p, pts, g])))


@pytest.mark.parametrize(
    "bad",
    [(bytes(31), 0, 0), (bytes(33), 0, 0), (bytes(32), -1, 0), (bytes(32), 0, 2**64)],
)
def test_leaf_hashes__refuses_what_leaf_hash_refuses(bad: tuple[bytes, int, int]) -> None:
    with pytest.raises(ValueError):
        leaf_hashes([*_leaves(3), bad])


def _reference_root(level: list[bytes]) -> bytes:
    """The tree the module docstring describes, folded with hash_pair; odd nodes promoted."""
    while len(level) > 1:
        nxt = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 33, 1000])
def test_tree__root_and_proofs_match_the_reference_fold(n: int) -> None:
    hashes = leaf_hashes(_leaves(n))
    tree = MerkleTree.build(hashes)
    assert tree.root == _reference_root(hashes)
    for i in {0, n // 2, n - 1}:
        assert verify(tree.root, hashes[i], tree.proof(i))


def test_tree__a_known_root_does_not_change() -> None:
    """Pinned: the root of these 1,000 leaves, computed before the loops were tightened."""
    assert MerkleTree.build(leaf_hashes(_leaves(1000))).root.hex() == ROOT_1000


ROOT_1000 = "3f28236610cd550e0c1e3df059dc1723e3d2cabb54ddf57aa3a70d4bf054c387"
