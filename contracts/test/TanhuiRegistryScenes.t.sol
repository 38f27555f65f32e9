// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRegistry} from "../src/TanhuiRegistry.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";

/// @dev Certified low-carbon scenes (R2, R5, R9): `certifyScene` (fields, event, replacement,
/// zero id and hash, empty and reversed validity, roles, pause), `revokeScene` (fields, event,
/// never certified, twice, empty and 4001-byte reasons, roles, pause, re-certification after
/// revocation), the view, and a fuzz test over validities.
contract TanhuiRegistryScenesTest is Fixture {
    bytes32 internal constant SCENE = keccak256("scene 1");
    bytes32 internal constant CERT = keccak256("certificate 1");
    bytes32 internal constant CERT_2 = keccak256("certificate 2");
    uint40 internal constant FROM = 1_767_225_600; // 2026-01-01
    uint40 internal constant UNTIL = 1_861_920_000; // 2029-01-01

    function _certify(bytes32 sceneId, bytes32 hash, uint40 from, uint40 until) internal {
        vm.prank(registrar);
        registry.certifyScene(sceneId, hash, from, until);
    }

    function _revoke(bytes32 sceneId, string memory reason) internal {
        vm.prank(registrar);
        registry.revokeScene(sceneId, reason);
    }

    function _text(uint256 length) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            b[i] = "x";
        }
        return string(b);
    }

    // ----------------------------------------------------------------------------------------
    // certifyScene
    // ----------------------------------------------------------------------------------------

    function test_certify__records_the_certificate_and_emits() public {
        vm.warp(DEPLOYED_AT + 100);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.SceneCertified(SCENE, CERT, FROM, UNTIL);
        _certify(SCENE, CERT, FROM, UNTIL);

        ITanhuiRegistry.SceneCertificate memory c = registry.sceneCertificate(SCENE);
        vm.assertEq(c.certificateHash, CERT, "hash");
        vm.assertEq(c.validFrom, FROM, "validFrom");
        vm.assertEq(c.validUntil, UNTIL, "validUntil");
        vm.assertEq(c.certifiedAt, DEPLOYED_AT + 100, "certifiedAt");
        vm.assertEq(c.revokedAt, 0, "revokedAt");
    }

    function test_certify__recertification_replaces_the_certificate() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        vm.warp(DEPLOYED_AT + 5);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.SceneCertified(SCENE, CERT_2, UNTIL, UNTIL + 1);
        _certify(SCENE, CERT_2, UNTIL, UNTIL + 1);
        ITanhuiRegistry.SceneCertificate memory c = registry.sceneCertificate(SCENE);
        vm.assertEq(c.certificateHash, CERT_2, "hash replaced");
        vm.assertEq(c.validFrom, UNTIL, "validFrom replaced");
        vm.assertEq(c.validUntil, UNTIL + 1, "validUntil replaced");
        vm.assertEq(c.certifiedAt, DEPLOYED_AT + 5, "certifiedAt replaced");
    }

    function test_certify__scenes_are_kept_apart() public {
        bytes32 other = keccak256("scene 2");
        _certify(SCENE, CERT, FROM, UNTIL);
        _certify(other, CERT_2, FROM, FROM + 1);
        vm.assertEq(registry.sceneCertificate(SCENE).certificateHash, CERT, "scene 1");
        vm.assertEq(registry.sceneCertificate(other).certificateHash, CERT_2, "scene 2");
        vm.assertEq(registry.sceneCertificate(other).validUntil, FROM + 1, "scene 2 until");
    }

    function test_certify__full_width_validity() public {
        _certify(SCENE, CERT, 0, type(uint40).max);
        vm.assertEq(registry.sceneCertificate(SCENE).validUntil, type(uint40).max, "until");
        vm.assertEq(registry.sceneCertificate(SCENE).validFrom, 0, "from");
    }

    function test_certify__zero_scene_id_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroId.selector);
        _certify(bytes32(0), CERT, FROM, UNTIL);
    }

    function test_certify__zero_hash_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroHash.selector);
        _certify(SCENE, bytes32(0), FROM, UNTIL);
    }

    function test_certify__empty_validity_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidValidity.selector, FROM, FROM));
        _certify(SCENE, CERT, FROM, FROM);
    }

    function test_certify__reversed_validity_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidValidity.selector, UNTIL, FROM));
        _certify(SCENE, CERT, UNTIL, FROM);
    }

    function test_certify__only_the_registrar() public {
        address[4] memory others = [outsider, issuer, verifier, admin];
        for (uint256 i = 0; i < others.length; ++i) {
            _expectUnauthorized(others[i], TanhuiRoles.REGISTRAR);
            vm.prank(others[i]);
            registry.certifyScene(SCENE, CERT, FROM, UNTIL);
        }
        vm.assertEq(registry.sceneCertificate(SCENE).certificateHash, bytes32(0), "nothing recorded");
    }

    function test_certify__revoked_registrar_reverts() public {
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.REGISTRAR, registrar);
        _expectUnauthorized(registrar, TanhuiRoles.REGISTRAR);
        _certify(SCENE, CERT, FROM, UNTIL);
    }

    function test_certify__constructor_operator_may_certify() public {
        address operator = address(0x0BE8);
        TanhuiRegistry r = new TanhuiRegistry(ADMIN_DELAY, admin, ROLE_GRANT_DELAY, operator);
        vm.prank(operator);
        r.certifyScene(SCENE, CERT, FROM, UNTIL);
        vm.assertEq(r.sceneCertificate(SCENE).certificateHash, CERT, "certified by the operator");
    }

    function test_certify__paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        _certify(SCENE, CERT, FROM, UNTIL);
    }

    // ----------------------------------------------------------------------------------------
    // revokeScene
    // ----------------------------------------------------------------------------------------

    function test_revoke__marks_the_certificate_and_emits() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        vm.warp(DEPLOYED_AT + 77);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.SceneRevoked(SCENE, CERT, "failed re-inspection");
        _revoke(SCENE, "failed re-inspection");
        ITanhuiRegistry.SceneCertificate memory c = registry.sceneCertificate(SCENE);
        vm.assertEq(c.revokedAt, DEPLOYED_AT + 77, "revokedAt");
        vm.assertEq(c.certificateHash, CERT, "hash kept");
        vm.assertEq(c.validUntil, UNTIL, "validity kept");
    }

    function test_revoke__never_certified_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistrySceneNotCertified.selector, SCENE));
        _revoke(SCENE, "no");
    }

    function test_revoke__twice_reverts() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        _revoke(SCENE, "once");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistrySceneNotCertified.selector, SCENE));
        _revoke(SCENE, "twice");
    }

    function test_revoke__then_recertify() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        _revoke(SCENE, "once");
        _certify(SCENE, CERT_2, FROM, UNTIL);
        ITanhuiRegistry.SceneCertificate memory c = registry.sceneCertificate(SCENE);
        vm.assertEq(c.revokedAt, 0, "in force again");
        vm.assertEq(c.certificateHash, CERT_2, "new hash");
        _revoke(SCENE, "again");
    }

    function test_revoke__empty_reason_reverts() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidReason.selector, 0, 4000));
        _revoke(SCENE, "");
    }

    function test_revoke__reason_bounds() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidReason.selector, 4001, 4000));
        _revoke(SCENE, _text(4001));
        _revoke(SCENE, _text(4000));
        vm.assertGt(registry.sceneCertificate(SCENE).revokedAt, 0, "4000 bytes accepted");
    }

    function test_revoke__only_the_registrar() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.revokeScene(SCENE, "x");
        vm.assertEq(registry.sceneCertificate(SCENE).revokedAt, 0, "not revoked");
    }

    function test_revoke__paused_reverts() public {
        _certify(SCENE, CERT, FROM, UNTIL);
        _pauseRegistry();
        _expectPaused();
        _revoke(SCENE, "x");
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    function test_view__unknown_scene_is_all_zero() public view {
        ITanhuiRegistry.SceneCertificate memory c = registry.sceneCertificate(SCENE);
        vm.assertEq(c.certificateHash, bytes32(0), "hash");
        vm.assertEq(c.validFrom, 0, "from");
        vm.assertEq(c.validUntil, 0, "until");
        vm.assertEq(c.certifiedAt, 0, "certifiedAt");
        vm.assertEq(c.revokedAt, 0, "revokedAt");
        vm.assertEq(registry.MAX_REASON_BYTES(), 4000, "max reason");
    }

    // ----------------------------------------------------------------------------------------
    // Fuzz
    // ----------------------------------------------------------------------------------------

    /// @dev Any non-zero id and hash: certified exactly when validFrom < validUntil, and the view
    /// returns what was given.
    function testFuzz_certify__validity(bytes32 sceneId, bytes32 hash, uint40 from, uint40 until) public {
        vm.assume(sceneId != bytes32(0) && hash != bytes32(0));
        if (from >= until) {
            vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidValidity.selector, from, until));
            _certify(sceneId, hash, from, until);
            vm.assertEq(registry.sceneCertificate(sceneId).certificateHash, bytes32(0), "nothing recorded");
        } else {
            _certify(sceneId, hash, from, until);
            ITanhuiRegistry.SceneCertificate memory c = registry.sceneCertificate(sceneId);
            vm.assertEq(c.certificateHash, hash, "hash");
            vm.assertEq(c.validFrom, from, "from");
            vm.assertEq(c.validUntil, until, "until");
        }
    }
}
