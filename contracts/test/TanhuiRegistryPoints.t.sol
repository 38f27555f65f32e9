// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRegistry} from "../src/TanhuiRegistry.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";

/// @dev Points epochs (R17): anchoring (roles, consecutive epochs, zero root, no leaves, pause),
/// the views, and `verifyPoints` against trees built here the way chain/points.py builds them:
/// leaves in the given order, sorted-pair hashing, and the last node of an odd level promoted
/// unpaired to the next level.
contract TanhuiRegistryPointsTest is Fixture {
    bytes32 internal constant ROOT = keccak256("points root 1");
    bytes32 internal constant ROOT_2 = keccak256("points root 2");

    // ----------------------------------------------------------------------------------------
    // Tree helpers (the reference the Python helpers follow)
    // ----------------------------------------------------------------------------------------

    function _leaf(bytes32 pseudonym, uint64 points, uint64 grams) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(pseudonym, points, grams))));
    }

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    /// @dev The root of `leaves`: pairs hashed sorted, an odd level's last node promoted as is.
    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 i = 0; i < next.length; ++i) {
                next[i] = 2 * i + 1 < level.length ? _hashPair(level[2 * i], level[2 * i + 1]) : level[2 * i];
            }
            level = next;
        }
        return level[0];
    }

    /// @dev The proof of leaf `index`: its sibling on each level that has one.
    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory proof) {
        bytes32[] memory siblings = new bytes32[](64);
        uint256 count;
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            uint256 sibling = index ^ 1;
            if (sibling < level.length) siblings[count++] = level[sibling];
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 i = 0; i < next.length; ++i) {
                next[i] = 2 * i + 1 < level.length ? _hashPair(level[2 * i], level[2 * i + 1]) : level[2 * i];
            }
            level = next;
            index /= 2;
        }
        proof = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            proof[i] = siblings[i];
        }
    }

    function _pseudonym(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("citizen", i));
    }

    /// @dev Five citizens: 10, 20, ... points and 1 000, 2 000, ... grams.
    function _fiveLeaves() internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](5);
        for (uint256 i = 0; i < 5; ++i) {
            // forge-lint: disable-next-line(unsafe-typecast) i < 5
            leaves[i] = _leaf(_pseudonym(i), uint64(10 * (i + 1)), uint64(1000 * (i + 1)));
        }
    }

    function _anchor(uint64 epoch, bytes32 root, uint64 leafCount) internal {
        vm.prank(issuer);
        registry.anchorPointsEpoch(epoch, root, leafCount, 150, 15_000);
    }

    // ----------------------------------------------------------------------------------------
    // anchorPointsEpoch
    // ----------------------------------------------------------------------------------------

    function test_anchor__records_the_epoch_and_emits() public {
        vm.warp(DEPLOYED_AT + 86_400);
        vm.roll(4242);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.PointsEpochAnchored(1, ROOT, 5, 150, 15_000);
        _anchor(1, ROOT, 5);

        ITanhuiRegistry.PointsEpoch memory e = registry.pointsEpoch(1);
        vm.assertEq(e.root, ROOT, "root");
        vm.assertEq(e.leafCount, 5, "leafCount");
        vm.assertEq(e.totalPoints, 150, "totalPoints");
        vm.assertEq(e.totalGrams, 15_000, "totalGrams");
        vm.assertEq(e.anchoredAt, DEPLOYED_AT + 86_400, "anchoredAt");
        vm.assertEq(e.anchoredBlock, 4242, "anchoredBlock");
        vm.assertEq(registry.lastPointsEpoch(), 1, "last");
    }

    function test_anchor__keeps_full_width_values() public {
        uint64 max = type(uint64).max;
        vm.prank(issuer);
        registry.anchorPointsEpoch(1, ROOT, type(uint48).max, max, max);
        ITanhuiRegistry.PointsEpoch memory e = registry.pointsEpoch(1);
        vm.assertEq(e.leafCount, type(uint48).max, "leafCount");
        vm.assertEq(e.totalPoints, max, "totalPoints");
        vm.assertEq(e.totalGrams, max, "totalGrams");
        vm.assertEq(e.anchoredAt, DEPLOYED_AT, "anchoredAt");
    }

    function test_anchor__epochs_are_consecutive_from_one() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochNotNext.selector, 0, 1));
        _anchor(0, ROOT, 5);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochNotNext.selector, 2, 1));
        _anchor(2, ROOT, 5);

        _anchor(1, ROOT, 5);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochNotNext.selector, 1, 2));
        _anchor(1, ROOT_2, 5);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochNotNext.selector, 3, 2));
        _anchor(3, ROOT_2, 5);

        _anchor(2, ROOT_2, 6);
        vm.assertEq(registry.lastPointsEpoch(), 2, "last");
        vm.assertEq(registry.pointsEpoch(1).root, ROOT, "epoch 1 kept");
        vm.assertEq(registry.pointsEpoch(2).root, ROOT_2, "epoch 2");
        vm.assertEq(registry.pointsEpoch(2).leafCount, 6, "epoch 2 leaves");
    }

    function test_anchor__skipping_to_the_largest_epoch_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochNotNext.selector, type(uint64).max, 1)
        );
        _anchor(type(uint64).max, ROOT, 5);
    }

    function test_anchor__zero_root_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroHash.selector);
        _anchor(1, bytes32(0), 5);
    }

    function test_anchor__no_leaves_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryEmptyPointsEpoch.selector, 1));
        _anchor(1, ROOT, 0);
    }

    function test_anchor__more_than_2_48_leaves_reverts() public {
        uint64 max = type(uint48).max;
        vm.assertEq(registry.MAX_POINTS_LEAVES(), max, "bound");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochTooLarge.selector, max + 1, max));
        _anchor(1, ROOT, max + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryPointsEpochTooLarge.selector, type(uint64).max, max)
        );
        _anchor(1, ROOT, type(uint64).max);
        vm.assertEq(registry.lastPointsEpoch(), 0, "nothing anchored");
    }

    function test_anchor__only_the_issuer() public {
        address[4] memory others = [registrar, verifier, supervisor, outsider];
        for (uint256 i = 0; i < others.length; ++i) {
            _expectUnauthorized(others[i], TanhuiRoles.ISSUER);
            vm.prank(others[i]);
            registry.anchorPointsEpoch(1, ROOT, 5, 150, 15_000);
        }
        _expectUnauthorized(admin, TanhuiRoles.ISSUER);
        vm.prank(admin);
        registry.anchorPointsEpoch(1, ROOT, 5, 150, 15_000);
    }

    function test_anchor__revoked_issuer_reverts() public {
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.ISSUER, issuer);
        _expectUnauthorized(issuer, TanhuiRoles.ISSUER);
        _anchor(1, ROOT, 5);
    }

    function test_anchor__constructor_operator_may_anchor() public {
        address operator = address(0x0BE8);
        TanhuiRegistry r = new TanhuiRegistry(ADMIN_DELAY, admin, ROLE_GRANT_DELAY, operator);
        vm.prank(operator);
        r.anchorPointsEpoch(1, ROOT, 1, 0, 0);
        vm.assertEq(r.lastPointsEpoch(), 1, "anchored by the operator");
    }

    function test_anchor__while_paused_reverts_then_works_after_unpause() public {
        _pauseRegistry();
        _expectPaused();
        _anchor(1, ROOT, 5);
        vm.prank(pauser);
        registry.unpause();
        _anchor(1, ROOT, 5);
        vm.assertEq(registry.lastPointsEpoch(), 1, "last");
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    function test_views__before_any_epoch() public view {
        vm.assertEq(registry.lastPointsEpoch(), 0, "last");
        ITanhuiRegistry.PointsEpoch memory e = registry.pointsEpoch(1);
        vm.assertEq(e.root, bytes32(0), "root");
        vm.assertEq(uint256(e.leafCount) + e.totalPoints + e.totalGrams + e.anchoredAt + e.anchoredBlock, 0, "zero");
    }

    // ----------------------------------------------------------------------------------------
    // verifyPoints
    // ----------------------------------------------------------------------------------------

    function test_verify__every_leaf_of_a_five_leaf_tree() public {
        bytes32[] memory leaves = _fiveLeaves();
        _anchor(1, _root(leaves), 5);
        for (uint256 i = 0; i < 5; ++i) {
            bytes32[] memory proof = _proof(leaves, i);
            // forge-lint: disable-next-line(unsafe-typecast) i < 5
            (uint64 points, uint64 grams) = (uint64(10 * (i + 1)), uint64(1000 * (i + 1)));
            vm.assertTrue(registry.verifyPoints(1, _pseudonym(i), points, grams, proof), "leaf verifies");
        }
        // The promoted fifth leaf skips the first two levels: one sibling, the root of the first four.
        vm.assertEq(_proof(leaves, 4).length, 1, "promoted leaf's proof");
        vm.assertEq(_proof(leaves, 0).length, 3, "full proof");
    }

    function test_verify__matches_a_hand_computed_three_leaf_root() public pure {
        bytes32 a = _leaf(_pseudonym(0), 1, 2);
        bytes32 b = _leaf(_pseudonym(1), 3, 4);
        bytes32 c = _leaf(_pseudonym(2), 5, 6);
        bytes32[] memory leaves = new bytes32[](3);
        (leaves[0], leaves[1], leaves[2]) = (a, b, c);
        vm.assertEq(_root(leaves), _hashPair(_hashPair(a, b), c), "root of three");
        // The leaf encoding is OpenZeppelin's StandardMerkleTree leaf of (bytes32, uint256, uint256).
        vm.assertEq(
            a,
            keccak256(bytes.concat(keccak256(abi.encode(_pseudonym(0), uint256(1), uint256(2))))),
            "uint64 encodes as uint256"
        );
    }

    function test_verify__changed_values_proof_or_epoch_fail() public {
        bytes32[] memory leaves = _fiveLeaves();
        _anchor(1, _root(leaves), 5);
        bytes32[] memory other = new bytes32[](2);
        (other[0], other[1]) = (keccak256("x"), keccak256("y"));
        _anchor(2, _root(other), 2);

        bytes32[] memory proof = _proof(leaves, 2);
        bytes32 p = _pseudonym(2);
        vm.assertTrue(registry.verifyPoints(1, p, 30, 3000, proof), "as built");
        vm.assertFalse(registry.verifyPoints(1, p, 31, 3000, proof), "points + 1");
        vm.assertFalse(registry.verifyPoints(1, p, 30, 2999, proof), "grams - 1");
        vm.assertFalse(registry.verifyPoints(1, p, 3000, 30, proof), "points and grams swapped");
        vm.assertFalse(registry.verifyPoints(1, _pseudonym(3), 30, 3000, proof), "other pseudonym");
        vm.assertFalse(registry.verifyPoints(1, p ^ bytes32(uint256(1)), 30, 3000, proof), "pseudonym bit");
        vm.assertFalse(registry.verifyPoints(2, p, 30, 3000, proof), "other epoch");
        vm.assertFalse(registry.verifyPoints(3, p, 30, 3000, proof), "epoch not anchored");
        vm.assertFalse(registry.verifyPoints(0, p, 30, 3000, proof), "epoch 0");
        for (uint256 i = 0; i < proof.length; ++i) {
            bytes32 kept = proof[i];
            proof[i] = kept ^ bytes32(uint256(0xff) << 8 * (i % 32));
            vm.assertFalse(registry.verifyPoints(1, p, 30, 3000, proof), "proof byte changed");
            proof[i] = kept;
        }
        bytes32[] memory shorter = new bytes32[](proof.length - 1);
        for (uint256 i = 0; i < shorter.length; ++i) {
            shorter[i] = proof[i];
        }
        vm.assertFalse(registry.verifyPoints(1, p, 30, 3000, shorter), "proof cut short");
        vm.assertFalse(registry.verifyPoints(1, p, 30, 3000, new bytes32[](0)), "no proof");
        // An inner node is not a leaf: the root's children do not verify as values.
        vm.assertFalse(registry.verifyPoints(1, _root(leaves), 0, 0, new bytes32[](0)), "root as pseudonym");
    }

    function test_verify__single_leaf_tree_has_an_empty_proof() public {
        bytes32 leaf = _leaf(_pseudonym(7), 70, 7000);
        _anchor(1, leaf, 1);
        vm.assertTrue(registry.verifyPoints(1, _pseudonym(7), 70, 7000, new bytes32[](0)), "lone leaf");
        vm.assertFalse(registry.verifyPoints(1, _pseudonym(7), 70, 7001, new bytes32[](0)), "changed");
    }

    function test_verify__unknown_epoch_is_false_even_for_a_zero_leaf_claim() public view {
        vm.assertFalse(registry.verifyPoints(1, bytes32(0), 0, 0, new bytes32[](0)), "nothing anchored");
    }

    function testFuzz_verify__two_leaf_tree(
        bytes32 pa,
        uint64 pointsA,
        uint64 gramsA,
        bytes32 pb,
        uint64 pointsB,
        uint64 gramsB,
        uint64 delta
    ) public {
        vm.assume(delta != 0);
        bytes32 a = _leaf(pa, pointsA, gramsA);
        bytes32 b = _leaf(pb, pointsB, gramsB);
        _anchor(1, _hashPair(a, b), 2);
        _checkLeaf(pa, pointsA, gramsA, b, delta);
        _checkLeaf(pb, pointsB, gramsB, a, delta);
    }

    /// @dev The leaf verifies with its sibling as proof; changed by `delta` anywhere, it does not.
    function _checkLeaf(bytes32 p, uint64 points, uint64 grams, bytes32 sibling, uint64 delta) internal view {
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = sibling;
        vm.assertTrue(registry.verifyPoints(1, p, points, grams, proof), "leaf");
        unchecked {
            vm.assertFalse(registry.verifyPoints(1, p, points + delta, grams, proof), "points");
            vm.assertFalse(registry.verifyPoints(1, p, points, grams + delta, proof), "grams");
        }
        vm.assertFalse(registry.verifyPoints(1, p ^ bytes32(uint256(delta)), points, grams, proof), "pseudonym");
        vm.assertFalse(registry.verifyPoints(2, p, points, grams, proof), "epoch 2 not anchored");
    }
}
