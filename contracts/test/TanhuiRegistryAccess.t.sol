// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {
    IAccessControlDefaultAdminRules
} from "@openzeppelin/contracts/access/extensions/IAccessControlDefaultAdminRules.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRegistry} from "../src/TanhuiRegistry.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";

/// @dev Roles held in the registry and the two-step, delayed transfer of the admin role
/// (OpenZeppelin AccessControlDefaultAdminRules), as the scheme uses them.
contract TanhuiRegistryAccessTest is Fixture {
    bytes32 internal constant ADMIN_ROLE = bytes32(0);
    address internal newAdmin = address(0xAD2);

    // ----------------------------------------------------------------------------------------
    // Construction and role grants
    // ----------------------------------------------------------------------------------------

    function test_constructor__zero_admin_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, address(0)
            )
        );
        new TanhuiRegistry(ADMIN_DELAY, address(0), ROLE_GRANT_DELAY, address(0));
    }

    function test_constructor__sets_admin_and_delay() public view {
        vm.assertEq(registry.defaultAdmin(), admin, "defaultAdmin");
        vm.assertEq(registry.owner(), admin, "owner (ERC-5313)");
        vm.assertTrue(registry.hasRole(ADMIN_ROLE, admin), "admin holds the admin role");
        vm.assertEq(registry.defaultAdminDelay(), ADMIN_DELAY, "delay");
        vm.assertFalse(registry.paused(), "not paused");
        vm.assertTrue(registry.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        vm.assertTrue(
            registry.supportsInterface(type(IAccessControlDefaultAdminRules).interfaceId),
            "IAccessControlDefaultAdminRules"
        );
        vm.assertTrue(registry.supportsInterface(type(IERC165).interfaceId), "IERC165");
        vm.assertFalse(registry.supportsInterface(0xffffffff), "not 0xffffffff");
    }

    function test_grantRole__by_admin_after_the_schedule_grants_and_emits() public {
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, newAdmin);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleGranted(TanhuiRoles.ISSUER, newAdmin, admin);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.ISSUER, newAdmin);
        vm.assertTrue(registry.hasRole(TanhuiRoles.ISSUER, newAdmin), "granted");
        vm.assertEq(registry.getRoleAdmin(TanhuiRoles.ISSUER), ADMIN_ROLE, "role admin is the default admin");
    }

    function test_grantRole__of_verifier_is_immediate() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleGranted(TanhuiRoles.VERIFIER, newAdmin, admin);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.VERIFIER, newAdmin);
        vm.assertTrue(registry.hasRole(TanhuiRoles.VERIFIER, newAdmin), "granted at once");
    }

    function test_grantRole__without_admin_role_reverts() public {
        _expectUnauthorized(registrar, ADMIN_ROLE);
        vm.prank(registrar);
        registry.grantRole(TanhuiRoles.ISSUER, outsider);
    }

    function test_grantRole__of_the_admin_role_reverts() public {
        _expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(admin);
        registry.grantRole(ADMIN_ROLE, newAdmin);
    }

    function test_grantRole__works_while_paused() public {
        // Pausing stops the scheme's records, not role administration: the admin can still
        // replace a compromised pauser while paused.
        _pauseRegistry();
        _scheduleAndGrant(TanhuiRoles.PAUSER, newAdmin);
        vm.assertTrue(registry.hasRole(TanhuiRoles.PAUSER, newAdmin), "granted while paused");
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.PAUSER, pauser);
        vm.assertFalse(registry.hasRole(TanhuiRoles.PAUSER, pauser), "revoked while paused");
    }

    function test_revokeRole__takes_effect_in_the_credits_contract() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleRevoked(TanhuiRoles.ISSUER, issuer, admin);
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.ISSUER, issuer);
        vm.assertFalse(registry.hasRole(TanhuiRoles.ISSUER, issuer), "revoked");

        _verify(keccak256("report-1"), JAN_2025, APR_2025, 1);
        _expectUnauthorized(issuer, TanhuiRoles.ISSUER);
        vm.prank(issuer);
        credits.issue(keccak256("report-1"));
    }

    function test_revokeRole__without_admin_role_reverts() public {
        _expectUnauthorized(outsider, ADMIN_ROLE);
        vm.prank(outsider);
        registry.revokeRole(TanhuiRoles.ISSUER, issuer);
    }

    function test_revokeRole__of_the_admin_role_reverts() public {
        _expectRevert(IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminRules.selector);
        vm.prank(admin);
        registry.revokeRole(ADMIN_ROLE, admin);
    }

    function test_renounceRole__by_holder_drops_the_role() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleRevoked(TanhuiRoles.VERIFIER, verifier, verifier);
        vm.prank(verifier);
        registry.renounceRole(TanhuiRoles.VERIFIER, verifier);
        vm.assertFalse(registry.hasRole(TanhuiRoles.VERIFIER, verifier), "renounced");
    }

    function test_renounceRole__for_another_account_reverts() public {
        _expectRevert(IAccessControl.AccessControlBadConfirmation.selector);
        vm.prank(outsider);
        registry.renounceRole(TanhuiRoles.VERIFIER, verifier);
    }

    function test_renounceRole__of_admin_without_schedule_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, uint48(0)
            )
        );
        vm.prank(admin);
        registry.renounceRole(ADMIN_ROLE, admin);
    }

    function test_renounceRole__of_admin_after_scheduled_transfer_to_zero_succeeds() public {
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(address(0));
        uint48 schedule = uint48(block.timestamp) + ADMIN_DELAY;

        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule
            )
        );
        vm.prank(admin);
        registry.renounceRole(ADMIN_ROLE, admin);

        vm.warp(uint256(schedule) + 1);
        vm.prank(admin);
        registry.renounceRole(ADMIN_ROLE, admin);
        vm.assertEq(registry.defaultAdmin(), address(0), "no admin left");
        vm.assertFalse(registry.hasRole(ADMIN_ROLE, admin), "role dropped");
    }

    // ----------------------------------------------------------------------------------------
    // Two-step admin transfer
    // ----------------------------------------------------------------------------------------

    function test_adminTransfer__two_steps_after_the_delay_moves_the_admin_role() public {
        uint48 schedule = uint48(block.timestamp) + ADMIN_DELAY;
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControlDefaultAdminRules.DefaultAdminTransferScheduled(newAdmin, schedule);
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        (address pending, uint48 pendingSchedule) = registry.pendingDefaultAdmin();
        vm.assertEq(pending, newAdmin, "pending admin");
        vm.assertEq(pendingSchedule, schedule, "schedule");
        vm.assertEq(registry.defaultAdmin(), admin, "old admin still in charge");

        vm.warp(uint256(schedule) + 1);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleRevoked(ADMIN_ROLE, admin, newAdmin);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleGranted(ADMIN_ROLE, newAdmin, newAdmin);
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();

        vm.assertEq(registry.defaultAdmin(), newAdmin, "new admin");
        vm.assertTrue(registry.hasRole(ADMIN_ROLE, newAdmin), "new admin holds the role");
        vm.assertFalse(registry.hasRole(ADMIN_ROLE, admin), "old admin lost it");
        (pending, pendingSchedule) = registry.pendingDefaultAdmin();
        vm.assertEq(pending, address(0), "nothing pending");
        vm.assertEq(pendingSchedule, 0, "no schedule");

        // The new admin administers roles; the old one no longer can.
        vm.prank(newAdmin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, outsider);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.prank(newAdmin);
        registry.grantRole(TanhuiRoles.ISSUER, outsider);
        vm.assertTrue(registry.hasRole(TanhuiRoles.ISSUER, outsider), "granted by the new admin");
        _expectUnauthorized(admin, ADMIN_ROLE);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.ISSUER, admin);
    }

    function test_acceptDefaultAdminTransfer__before_the_delay_reverts() public {
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        uint48 schedule = uint48(block.timestamp) + ADMIN_DELAY;

        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule
            )
        );
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();

        // The schedule must have passed, not merely been reached.
        vm.warp(schedule);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControlDefaultAdminRules.AccessControlEnforcedDefaultAdminDelay.selector, schedule
            )
        );
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();
        vm.assertEq(registry.defaultAdmin(), admin, "admin unchanged");
    }

    function test_acceptDefaultAdminTransfer__by_another_account_reverts() public {
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        vm.warp(block.timestamp + ADMIN_DELAY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, outsider)
        );
        vm.prank(outsider);
        registry.acceptDefaultAdminTransfer();
    }

    function test_acceptDefaultAdminTransfer__without_a_pending_transfer_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, newAdmin)
        );
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();
    }

    function test_beginDefaultAdminTransfer__without_admin_role_reverts() public {
        _expectUnauthorized(outsider, ADMIN_ROLE);
        vm.prank(outsider);
        registry.beginDefaultAdminTransfer(outsider);
    }

    function test_beginDefaultAdminTransfer__again_replaces_the_pending_admin() public {
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControlDefaultAdminRules.DefaultAdminTransferCanceled();
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(outsider);
        (address pending,) = registry.pendingDefaultAdmin();
        vm.assertEq(pending, outsider, "replaced");
    }

    function test_cancelDefaultAdminTransfer__clears_the_pending_admin() public {
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(newAdmin);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControlDefaultAdminRules.DefaultAdminTransferCanceled();
        vm.prank(admin);
        registry.cancelDefaultAdminTransfer();

        vm.warp(block.timestamp + ADMIN_DELAY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControlDefaultAdminRules.AccessControlInvalidDefaultAdmin.selector, newAdmin)
        );
        vm.prank(newAdmin);
        registry.acceptDefaultAdminTransfer();
    }

    function test_cancelDefaultAdminTransfer__without_admin_role_reverts() public {
        _expectUnauthorized(newAdmin, ADMIN_ROLE);
        vm.prank(newAdmin);
        registry.cancelDefaultAdminTransfer();
    }

    // ----------------------------------------------------------------------------------------
    // Admin delay changes
    // ----------------------------------------------------------------------------------------

    function test_changeDefaultAdminDelay__increase_takes_effect_after_the_new_delay() public {
        uint48 newDelay = 3 days;
        uint48 effect = uint48(block.timestamp) + newDelay;
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControlDefaultAdminRules.DefaultAdminDelayChangeScheduled(newDelay, effect);
        vm.prank(admin);
        registry.changeDefaultAdminDelay(newDelay);

        (uint48 pendingDelay, uint48 schedule) = registry.pendingDefaultAdminDelay();
        vm.assertEq(pendingDelay, newDelay, "pending delay");
        vm.assertEq(schedule, effect, "effect schedule");
        vm.assertEq(registry.defaultAdminDelay(), ADMIN_DELAY, "old delay until then");
        vm.assertEq(registry.defaultAdminDelayIncreaseWait(), 5 days, "increase wait cap");

        vm.warp(uint256(effect) + 1);
        vm.assertEq(registry.defaultAdminDelay(), newDelay, "new delay");
    }

    function test_changeDefaultAdminDelay__decrease_waits_the_difference() public {
        uint48 newDelay = 1 hours;
        uint48 effect = uint48(block.timestamp) + (ADMIN_DELAY - newDelay);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControlDefaultAdminRules.DefaultAdminDelayChangeScheduled(newDelay, effect);
        vm.prank(admin);
        registry.changeDefaultAdminDelay(newDelay);
    }

    function test_rollbackDefaultAdminDelay__cancels_a_pending_change() public {
        vm.prank(admin);
        registry.changeDefaultAdminDelay(3 days);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControlDefaultAdminRules.DefaultAdminDelayChangeCanceled();
        vm.prank(admin);
        registry.rollbackDefaultAdminDelay();
        (uint48 pendingDelay, uint48 schedule) = registry.pendingDefaultAdminDelay();
        vm.assertEq(pendingDelay, 0, "no pending delay");
        vm.assertEq(schedule, 0, "no schedule");
        vm.warp(block.timestamp + 10 days);
        vm.assertEq(registry.defaultAdminDelay(), ADMIN_DELAY, "delay unchanged");
    }

    function test_changeDefaultAdminDelay__without_admin_role_reverts() public {
        _expectUnauthorized(outsider, ADMIN_ROLE);
        vm.prank(outsider);
        registry.changeDefaultAdminDelay(0);
    }

    function test_rollbackDefaultAdminDelay__without_admin_role_reverts() public {
        _expectUnauthorized(pauser, ADMIN_ROLE);
        vm.prank(pauser);
        registry.rollbackDefaultAdminDelay();
    }

    // ----------------------------------------------------------------------------------------
    // Constructor: the first operator
    // ----------------------------------------------------------------------------------------

    function test_constructor__grants_the_operational_roles_to_the_operator_at_once() public {
        TanhuiRegistry fresh = new TanhuiRegistry(ADMIN_DELAY, admin, ROLE_GRANT_DELAY, registrar);
        bytes32[5] memory delayed = _delayedRoles();
        for (uint256 i = 0; i < delayed.length; ++i) {
            vm.assertTrue(fresh.hasRole(delayed[i], registrar), "operator holds the role");
            vm.assertFalse(fresh.hasRole(delayed[i], admin), "the admin does not");
        }
        vm.assertFalse(fresh.hasRole(TanhuiRoles.VERIFIER, registrar), "no verifier role");
        vm.assertFalse(fresh.hasRole(ADMIN_ROLE, registrar), "no admin role");
        vm.assertEq(fresh.roleGrantDelay(), ROLE_GRANT_DELAY, "roleGrantDelay");
        vm.assertEq(fresh.defaultAdminDelay(), ADMIN_DELAY, "admin delay is separate");
    }

    function test_constructor__operator_may_be_the_admin() public {
        TanhuiRegistry fresh = new TanhuiRegistry(ADMIN_DELAY, admin, 0, admin);
        vm.assertTrue(fresh.hasRole(ADMIN_ROLE, admin), "admin");
        vm.assertTrue(fresh.hasRole(TanhuiRoles.ISSUER, admin), "issuer");
        vm.assertTrue(fresh.hasRole(TanhuiRoles.SUPERVISOR, admin), "supervisor");
        vm.assertEq(fresh.roleGrantDelay(), 0, "no delay");
        // ... but it can never verify.
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryConflictingRoles.selector, admin, ADMIN_ROLE, TanhuiRoles.VERIFIER
            )
        );
        vm.prank(admin);
        fresh.grantRole(TanhuiRoles.VERIFIER, admin);
    }

    function test_constructor__zero_operator_grants_no_role() public {
        TanhuiRegistry fresh = new TanhuiRegistry(ADMIN_DELAY, admin, ROLE_GRANT_DELAY, address(0));
        bytes32[5] memory delayed = _delayedRoles();
        for (uint256 i = 0; i < delayed.length; ++i) {
            vm.assertFalse(fresh.hasRole(delayed[i], address(0)), "nothing granted to zero");
            vm.assertFalse(fresh.hasRole(delayed[i], admin), "nothing granted to the admin");
        }
    }

    // ----------------------------------------------------------------------------------------
    // Delayed role grants: schedule, wait, grant
    // ----------------------------------------------------------------------------------------

    function test_grantRole__of_a_delayed_role_without_schedule_reverts() public {
        bytes32[5] memory delayed = _delayedRoles();
        for (uint256 i = 0; i < delayed.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ITanhuiRegistry.RegistryRoleGrantNotReady.selector, delayed[i], newAdmin, uint48(0)
                )
            );
            vm.prank(admin);
            registry.grantRole(delayed[i], newAdmin);
        }
    }

    function test_grantRole__admin_cannot_make_itself_supervisor_and_invalidate_in_one_block() public {
        // The review's case: grant supervisor to oneself, then invalidate a holder's credits at once.
        uint256 batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.SUPERVISOR, admin, uint48(0)
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.SUPERVISOR, admin);
        _expectUnauthorized(admin, TanhuiRoles.SUPERVISOR);
        vm.prank(admin);
        credits.invalidate(owner, batchId, 1_000, "seized");
    }

    function test_scheduleRoleGrant__emits_and_grants_only_from_readyAt() public {
        uint48 readyAt = uint48(block.timestamp) + ROLE_GRANT_DELAY;
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.RoleGrantScheduled(TanhuiRoles.SUPERVISOR, newAdmin, readyAt);
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.SUPERVISOR, newAdmin);
        vm.assertEq(registry.roleGrantReadyAt(TanhuiRoles.SUPERVISOR, newAdmin), readyAt, "readyAt");

        vm.warp(uint256(readyAt) - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.SUPERVISOR, newAdmin, readyAt
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.SUPERVISOR, newAdmin);

        vm.warp(readyAt);
        vm.expectEmit(true, true, true, true, address(registry));
        emit IAccessControl.RoleGranted(TanhuiRoles.SUPERVISOR, newAdmin, admin);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.SUPERVISOR, newAdmin);
        vm.assertTrue(registry.hasRole(TanhuiRoles.SUPERVISOR, newAdmin), "granted");
        vm.assertEq(registry.roleGrantReadyAt(TanhuiRoles.SUPERVISOR, newAdmin), 0, "schedule consumed");
    }

    function test_grantRole__consumes_the_schedule() public {
        _scheduleAndGrant(TanhuiRoles.ISSUER, newAdmin);
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.ISSUER, newAdmin);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.ISSUER, newAdmin, uint48(0)
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.ISSUER, newAdmin);
    }

    function test_scheduleRoleGrant__is_per_role_and_account() public {
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, newAdmin);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.REGISTRAR, newAdmin, uint48(0)
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.REGISTRAR, newAdmin);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.ISSUER, outsider, uint48(0)
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.ISSUER, outsider);
    }

    function test_scheduleRoleGrant__again_restarts_the_wait() public {
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.PAUSER, newAdmin);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY - 1);
        uint48 readyAt = uint48(block.timestamp) + ROLE_GRANT_DELAY;
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.RoleGrantScheduled(TanhuiRoles.PAUSER, newAdmin, readyAt);
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.PAUSER, newAdmin);
        vm.warp(block.timestamp + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.PAUSER, newAdmin, readyAt
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.PAUSER, newAdmin);
    }

    function test_scheduleRoleGrant__with_zero_delay_grants_in_the_same_block() public {
        TanhuiRegistry fresh = new TanhuiRegistry(ADMIN_DELAY, admin, 0, address(0));
        vm.startPrank(admin);
        fresh.scheduleRoleGrant(TanhuiRoles.EXCHANGE, newAdmin);
        fresh.grantRole(TanhuiRoles.EXCHANGE, newAdmin);
        vm.stopPrank();
        vm.assertTrue(fresh.hasRole(TanhuiRoles.EXCHANGE, newAdmin), "granted");
    }

    function test_scheduleRoleGrant__of_a_role_granted_at_once_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryRoleGrantNotDelayed.selector, TanhuiRoles.VERIFIER)
        );
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.VERIFIER, newAdmin);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryRoleGrantNotDelayed.selector, ADMIN_ROLE));
        vm.prank(admin);
        registry.scheduleRoleGrant(ADMIN_ROLE, newAdmin);
    }

    function test_scheduleRoleGrant__to_zero_address_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroAddress.selector);
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, address(0));
    }

    function test_scheduleRoleGrant__without_admin_role_reverts() public {
        _expectUnauthorized(registrar, ADMIN_ROLE);
        vm.prank(registrar);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, registrar);
    }

    function test_cancelRoleGrant__emits_and_the_grant_is_refused() public {
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, newAdmin);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.RoleGrantCancelled(TanhuiRoles.ISSUER, newAdmin);
        vm.prank(admin);
        registry.cancelRoleGrant(TanhuiRoles.ISSUER, newAdmin);
        vm.assertEq(registry.roleGrantReadyAt(TanhuiRoles.ISSUER, newAdmin), 0, "no schedule");

        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotReady.selector, TanhuiRoles.ISSUER, newAdmin, uint48(0)
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.ISSUER, newAdmin);
    }

    function test_cancelRoleGrant__without_schedule_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryRoleGrantNotScheduled.selector, TanhuiRoles.ISSUER, newAdmin
            )
        );
        vm.prank(admin);
        registry.cancelRoleGrant(TanhuiRoles.ISSUER, newAdmin);
    }

    function test_cancelRoleGrant__without_admin_role_reverts() public {
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, newAdmin);
        _expectUnauthorized(newAdmin, ADMIN_ROLE);
        vm.prank(newAdmin);
        registry.cancelRoleGrant(TanhuiRoles.ISSUER, newAdmin);
    }

    // ----------------------------------------------------------------------------------------
    // Separation of duties: the verifier role excludes the admin, registrar and issuer roles
    // ----------------------------------------------------------------------------------------

    function test_grantRole__verifier_to_admin_registrar_or_issuer_reverts() public {
        address[3] memory accounts = [admin, registrar, issuer];
        bytes32[3] memory held = [ADMIN_ROLE, TanhuiRoles.REGISTRAR, TanhuiRoles.ISSUER];
        for (uint256 i = 0; i < accounts.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ITanhuiRegistry.RegistryConflictingRoles.selector, accounts[i], held[i], TanhuiRoles.VERIFIER
                )
            );
            vm.prank(admin);
            registry.grantRole(TanhuiRoles.VERIFIER, accounts[i]);
        }
    }

    function test_grantRole__verifier_to_supervisor_pauser_or_exchange_succeeds() public {
        address[3] memory accounts = [supervisor, pauser, exchange];
        for (uint256 i = 0; i < accounts.length; ++i) {
            vm.prank(admin);
            registry.grantRole(TanhuiRoles.VERIFIER, accounts[i]);
            vm.assertTrue(registry.hasRole(TanhuiRoles.VERIFIER, accounts[i]), "no conflict");
        }
    }

    function test_scheduleRoleGrant__registrar_or_issuer_to_a_verifier_reverts() public {
        bytes32[2] memory wanted = [TanhuiRoles.REGISTRAR, TanhuiRoles.ISSUER];
        for (uint256 i = 0; i < wanted.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ITanhuiRegistry.RegistryConflictingRoles.selector, verifier, TanhuiRoles.VERIFIER, wanted[i]
                )
            );
            vm.prank(admin);
            registry.scheduleRoleGrant(wanted[i], verifier);
        }
    }

    function test_grantRole__issuer_to_an_account_that_became_verifier_after_the_schedule_reverts() public {
        vm.prank(admin);
        registry.scheduleRoleGrant(TanhuiRoles.ISSUER, newAdmin);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.VERIFIER, newAdmin);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryConflictingRoles.selector, newAdmin, TanhuiRoles.VERIFIER, TanhuiRoles.ISSUER
            )
        );
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.ISSUER, newAdmin);
    }

    function test_grantRole__verifier_after_losing_the_issuer_role_succeeds() public {
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.ISSUER, issuer);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.VERIFIER, issuer);
        vm.assertTrue(registry.hasRole(TanhuiRoles.VERIFIER, issuer), "a former issuer may verify");
    }

    function test_acceptDefaultAdminTransfer__by_a_verifier_reverts() public {
        vm.prank(admin);
        registry.beginDefaultAdminTransfer(verifier);
        vm.warp(block.timestamp + ADMIN_DELAY + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryConflictingRoles.selector, verifier, TanhuiRoles.VERIFIER, ADMIN_ROLE
            )
        );
        vm.prank(verifier);
        registry.acceptDefaultAdminTransfer();
        vm.assertEq(registry.defaultAdmin(), admin, "admin unchanged");
    }

    function _delayedRoles() internal pure returns (bytes32[5] memory) {
        return [
            TanhuiRoles.REGISTRAR, TanhuiRoles.ISSUER, TanhuiRoles.SUPERVISOR, TanhuiRoles.PAUSER, TanhuiRoles.EXCHANGE
        ];
    }

    // ----------------------------------------------------------------------------------------
    // Every registry role is distinct
    // ----------------------------------------------------------------------------------------

    function test_roles__each_account_holds_only_its_own_role() public view {
        address[6] memory accounts = [registrar, verifier, issuer, exchange, supervisor, pauser];
        bytes32[6] memory roles = [
            TanhuiRoles.REGISTRAR,
            TanhuiRoles.VERIFIER,
            TanhuiRoles.ISSUER,
            TanhuiRoles.EXCHANGE,
            TanhuiRoles.SUPERVISOR,
            TanhuiRoles.PAUSER
        ];
        for (uint256 i = 0; i < accounts.length; ++i) {
            vm.assertFalse(registry.hasRole(ADMIN_ROLE, accounts[i]), "no operator is admin");
            for (uint256 j = 0; j < roles.length; ++j) {
                vm.assertEq(registry.hasRole(roles[j], accounts[i]), i == j, "role matrix");
            }
        }
        vm.assertFalse(registry.hasRole(TanhuiRoles.REGISTRAR, admin), "the admin holds no operating role");
        vm.assertFalse(registry.isActiveParticipant(admin), "the admin is no participant");
    }

    function test_roles__participants_hold_no_role() public view {
        address[3] memory accounts = [owner, buyer, outsider];
        for (uint256 i = 0; i < accounts.length; ++i) {
            vm.assertFalse(registry.hasRole(TanhuiRoles.ISSUER, accounts[i]), "no issuer");
            vm.assertFalse(registry.hasRole(TanhuiRoles.SUPERVISOR, accounts[i]), "no supervisor");
        }
        vm.assertEq(
            uint256(registry.participant(outsider).status),
            uint256(ITanhuiRegistry.ParticipantStatus.None),
            "outsider unregistered"
        );
    }
}
