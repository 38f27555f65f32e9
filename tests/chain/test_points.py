"""Points epochs (R17): the pure Merkle helpers of chain.points, and the same trees anchored in
the registry and checked by its verifyPoints, on every backend."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain import errors
from chain.contracts import PointsEpoch
from chain.events import decoder_for
from chain.points import MerkleTree, hash_pair, leaf_hash, process_proof, verify
from tests.conftest import DeployedChain

UINT64_MAX = 2**64 - 1


def _pseudonym(i: int) -> bytes:
    return keccak(text=f"salt-2026:citizen-{i}")


def _citizens(n: int) -> list[tuple[bytes, int, int]]:
    return [(_pseudonym(i), 10 * i + 3, 1_000 * i + 7) for i in range(n)]


def _flip(value: bytes, index: int = 0) -> bytes:
    return value[:index] + bytes([value[index] ^ 0x01]) + value[index + 1 :]


# -- pure helpers -------------------------------------------------------------------------------


def test_leaf_hash__is_the_standard_merkle_tree_leaf_of_bytes32_uint256_uint256() -> None:
    for points, grams in [(0, 0), (1, 2), (UINT64_MAX, UINT64_MAX), (12_345, 2**40)]:
        encoded = encode(["bytes32", "uint256", "uint256"], [_pseudonym(1), points, grams])
        assert leaf_hash(_pseudonym(1), points, grams) == keccak(keccak(encoded))


@pytest.mark.parametrize(
    ("pseudonym", "points", "grams"),
    [(bytes(31), 0, 0), (bytes(33), 0, 0), (bytes(32), -1, 0), (bytes(32), 0, 2**64)],
)
def test_leaf_hash__refuses_what_the_contract_cannot_take(pseudonym: bytes, points: int, grams: int) -> None:
    with pytest.raises(ValueError):
        leaf_hash(pseudonym, points, grams)


def test_tree__shapes_of_small_trees() -> None:
    a, b, c = (leaf_hash(p, x, y) for p, x, y in _citizens(3))
    assert MerkleTree.build([a]).root == a and MerkleTree.build([a]).proof(0) == []
    assert MerkleTree.build([a, b]).root == hash_pair(a, b) == hash_pair(b, a)
    three = MerkleTree.build([a, b, c])
    assert three.root == hash_pair(hash_pair(a, b), c)  # c promoted, not duplicated
    assert three.proof(2) == [hash_pair(a, b)]
    assert three.proof(0) == [b, c]
    with pytest.raises(ValueError):
        MerkleTree.build([])
    with pytest.raises(ValueError):
        MerkleTree.build([a, b[:31]])
    with pytest.raises(IndexError):
        three.proof(3)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 33])
def test_tree__every_proof_verifies_and_no_other_leaf_does(n: int) -> None:
    leaves = [leaf_hash(p, x, y) for p, x, y in _citizens(n)]
    tree = MerkleTree.build(leaves)
    assert tree.leaf_count == n
    for i, leaf in enumerate(leaves):
        proof = tree.proof(i)
        assert verify(tree.root, leaf, proof)
        assert process_proof(leaf, proof) == tree.root
        assert not verify(tree.root, _flip(leaf, 31), proof)
        if proof:
            assert not verify(tree.root, leaf, [_flip(proof[0], 5), *proof[1:]])


# -- on chain -------------------------------------------------------------------------------------


def test_points__fifty_leaves_anchored_and_every_proof_checked_both_ways(deployed: DeployedChain) -> None:
    t = deployed.tanhui
    citizens = _citizens(50)
    tree = MerkleTree.build([leaf_hash(p, x, y) for p, x, y in citizens])
    total_points = sum(x for _, x, _ in citizens)
    total_grams = sum(y for _, _, y in citizens)
    assert t.last_points_epoch() == 0
    assert not t.points_epoch(1).anchored

    receipt = deployed.client.transact(
        t.anchor_points_epoch(1, tree.root, 50, total_points, total_grams), deployed.admin
    )
    # Two new storage slots and the epoch counter from zero: ~97 200 gas for the first epoch.
    assert receipt.gas_used <= 100_000
    epoch = t.points_epoch(1)
    assert epoch == PointsEpoch(
        epoch=1,
        root=tree.root,
        leaf_count=50,
        total_points=total_points,
        total_grams=total_grams,
        anchored_at=deployed.client.block(receipt.block_number)["timestamp"],
        anchored_block=receipt.block_number,
    )
    assert t.last_points_epoch() == 1
    assert not t.points_epoch(1, block=receipt.block_number - 1).anchored

    for i, (pseudonym, points, grams) in enumerate(citizens):
        proof = tree.proof(i)
        assert t.verify_points(1, pseudonym, points, grams, proof)
        assert verify(epoch.root, leaf_hash(pseudonym, points, grams), proof)

    pseudonym, points, grams = citizens[17]
    proof = tree.proof(17)
    bad_proof = [_flip(proof[0], 9), *proof[1:]]
    for args in [
        (pseudonym, points + 1, grams, proof),
        (pseudonym, points, grams - 1, proof),
        (_flip(pseudonym, 31), points, grams, proof),
        (pseudonym, points, grams, bad_proof),
        (pseudonym, points, grams, proof[:-1]),
    ]:
        p, x, y, pr = args
        assert not t.verify_points(1, p, x, y, pr)
        assert not verify(epoch.root, leaf_hash(p, x, y), pr)
    assert not t.verify_points(2, pseudonym, points, grams, proof)  # not anchored: False

    events = decoder_for(deployed.client, deployed.deployment).decode_all(receipt.logs)
    assert [e.name for e in events] == ["PointsEpochAnchored"]
    assert events[0].contract == "TanhuiRegistry"
    assert events[0].args == {
        "epoch": 1,
        "root": tree.root,
        "leafCount": 50,
        "totalPoints": total_points,
        "totalGrams": total_grams,
    }


def test_points__next_day_grows_the_tree_and_the_old_root_stays(deployed: DeployedChain) -> None:
    t = deployed.tanhui
    day1 = MerkleTree.build([leaf_hash(p, x, y) for p, x, y in _citizens(5)])
    deployed.client.transact(t.anchor_points_epoch(1, day1.root, 5, 0, 0), deployed.admin)
    # Cumulative values: day 2 has one more citizen and everyone's points grew.
    day2_citizens = [(p, x + 1, y + 100) for p, x, y in _citizens(6)]
    day2 = MerkleTree.build([leaf_hash(p, x, y) for p, x, y in day2_citizens])
    receipt = deployed.client.transact(t.anchor_points_epoch(2, day2.root, 6, 1, 1), deployed.admin)
    assert receipt.gas_used <= 82_000  # ~80 100: the counter is no longer zero
    assert t.last_points_epoch() == 2
    p, x, y = _citizens(5)[3]
    assert t.verify_points(1, p, x, y, day1.proof(3))
    assert not t.verify_points(2, p, x, y, day1.proof(3))
    assert t.verify_points(2, p, x + 1, y + 100, day2.proof(3))


def test_points__refusals_are_typed(deployed: DeployedChain) -> None:
    t = deployed.tanhui
    root = keccak(text="root")
    with pytest.raises(errors.RegistryPointsEpochNotNext) as skipped:
        deployed.client.transact(t.anchor_points_epoch(2, root, 1, 0, 0), deployed.admin)
    assert skipped.value.arguments == {"epoch": 2, "expected": 1}
    with pytest.raises(errors.RegistryZeroHash):
        deployed.client.transact(t.anchor_points_epoch(1, bytes(32), 1, 0, 0), deployed.admin)
    with pytest.raises(errors.RegistryEmptyPointsEpoch) as empty:
        deployed.client.transact(t.anchor_points_epoch(1, root, 0, 0, 0), deployed.admin)
    assert empty.value.arguments == {"epoch": 1}
    with pytest.raises(errors.RegistryPointsEpochTooLarge) as large:
        deployed.client.transact(t.anchor_points_epoch(1, root, 2**48, 0, 0), deployed.admin)
    assert large.value.arguments == {"leafCount": 2**48, "max": 2**48 - 1}
    outsider = deployed.signers[3]
    with pytest.raises(errors.AccessControlUnauthorizedAccount) as unauthorized:
        deployed.client.transact(t.anchor_points_epoch(1, root, 1, 0, 0), outsider)
    assert unauthorized.value.arguments["account"] == outsider.address

    deployed.client.transact(t.anchor_points_epoch(1, root, 1, 0, 0), deployed.admin)
    with pytest.raises(errors.RegistryPointsEpochNotNext) as again:
        deployed.client.transact(t.anchor_points_epoch(1, root, 1, 0, 0), deployed.admin)
    assert again.value.arguments == {"epoch": 1, "expected": 2}

    for call in t.pause_calls():
        deployed.client.transact(call, deployed.admin)
    with pytest.raises(errors.EnforcedPause):
        deployed.client.transact(t.anchor_points_epoch(2, root, 1, 0, 0), deployed.admin)
    assert t.last_points_epoch() == 1
