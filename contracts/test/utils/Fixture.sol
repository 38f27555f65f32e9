// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {TestBase} from "./Vm.sol";
import {TanhuiRegistry} from "../../src/TanhuiRegistry.sol";
import {TanhuiCredits} from "../../src/TanhuiCredits.sol";
import {TanhuiRoles} from "../../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";

/// @dev A deployed scheme with one account per role, three participants (`owner`, `buyer` and
/// `exchange`), a published methodology, a registered project and helpers to verify and issue reports.
abstract contract Fixture is TestBase {
    uint48 internal constant ADMIN_DELAY = 1 days;
    /// @dev The wait between scheduling and granting a delayed role (registrar, issuer, ...).
    uint48 internal constant ROLE_GRANT_DELAY = 2 days;

    TanhuiRegistry internal registry;
    TanhuiCredits internal credits;

    address internal admin = address(0xA11CE);
    address internal registrar = address(0x5E61);
    address internal verifier = address(0xBEEF);
    address internal issuer = address(0x155E);
    address internal exchange = address(0xE8C4);
    address internal supervisor = address(0x5E7A);
    address internal pauser = address(0xBA05);
    address internal owner = address(0x0A11);
    address internal buyer = address(0xB0B);
    address internal outsider = address(0xD00D);

    bytes32 internal constant METHODOLOGY = keccak256("coal-boiler-to-electric");
    uint32 internal constant VERSION = 1;
    bytes32 internal constant PROJECT = keccak256("project-1");
    uint64 internal constant JAN_2025 = 1735689600;
    uint64 internal constant MAR_2025 = 1740787200;
    uint64 internal constant APR_2025 = 1743465600;
    uint64 internal constant MAY_2025 = 1746057600;
    uint64 internal constant JUN_2025 = 1748736000;
    uint64 internal constant JUL_2025 = 1751328000;
    uint64 internal constant AUG_2025 = 1754006400;
    uint64 internal constant OCT_2025 = 1759276800;
    uint64 internal constant JAN_2026 = 1767225600;
    /// @dev The registry's bounds: periods start at 2000-01-01 or later; amounts fit an int64.
    uint64 internal constant PERIOD_FLOOR = 946684800;
    uint64 internal constant MAX_AMOUNT = uint64(type(int64).max);
    /// @dev The consumption period of `_details`: [JAN_2025, APR_2025], as the uint40 of the certificate.
    uint40 internal constant CONSUMPTION_START = 1735689600;
    uint40 internal constant CONSUMPTION_END = 1743465600;
    /// @dev The block timestamp at which setUp grants the roles and registers everything
    /// (2026-02-02). The contracts are deployed ROLE_GRANT_DELAY earlier, with no operator, and
    /// the delayed roles are scheduled then, so that each role goes to its own account.
    uint256 internal constant DEPLOYED_AT = 1_770_000_000;

    function setUp() public virtual {
        vm.warp(DEPLOYED_AT - ROLE_GRANT_DELAY);
        registry = new TanhuiRegistry(ADMIN_DELAY, admin, ROLE_GRANT_DELAY, address(0));
        credits = new TanhuiCredits(registry, "https://registry.example/v1/batches/{id}");
        address[5] memory accounts = [registrar, issuer, exchange, supervisor, pauser];
        bytes32[5] memory roles = [
            TanhuiRoles.REGISTRAR, TanhuiRoles.ISSUER, TanhuiRoles.EXCHANGE, TanhuiRoles.SUPERVISOR, TanhuiRoles.PAUSER
        ];
        vm.startPrank(admin);
        for (uint256 i = 0; i < roles.length; ++i) {
            registry.scheduleRoleGrant(roles[i], accounts[i]);
        }
        vm.warp(DEPLOYED_AT);
        for (uint256 i = 0; i < roles.length; ++i) {
            registry.grantRole(roles[i], accounts[i]);
        }
        registry.grantRole(TanhuiRoles.VERIFIER, verifier);
        vm.stopPrank();

        vm.startPrank(registrar);
        registry.registerParticipant(owner, ITanhuiRegistry.ParticipantKind.Organisation);
        registry.registerParticipant(buyer, ITanhuiRegistry.ParticipantKind.Organisation);
        // The exchange settles trades as an approved operator, and operators must be participants.
        registry.registerParticipant(exchange, ITanhuiRegistry.ParticipantKind.Organisation);
        registry.publishMethodology(METHODOLOGY, VERSION, keccak256("methodology v1 text"));
        registry.registerProject(PROJECT, owner, METHODOLOGY, VERSION, keccak256("project design document"));
        vm.stopPrank();
    }

    function _verify(bytes32 reportHash, uint64 start, uint64 end, uint64 amount) internal {
        vm.prank(verifier);
        registry.recordVerifiedReport(reportHash, PROJECT, start, end, amount);
    }

    function _verifyAndIssue(bytes32 reportHash, uint64 start, uint64 end, uint64 amount)
        internal
        returns (uint256 batchId)
    {
        _verify(reportHash, start, end, amount);
        vm.prank(issuer);
        batchId = credits.issue(reportHash);
    }

    /// @dev Grants a delayed role the only way there is: schedule, wait ROLE_GRANT_DELAY, grant.
    /// Moves the clock forward by the delay.
    function _scheduleAndGrant(bytes32 role, address account) internal {
        vm.prank(admin);
        registry.scheduleRoleGrant(role, account);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.prank(admin);
        registry.grantRole(role, account);
    }

    /// @dev Expects the next call to revert for lack of `role` held by `account`.
    function _expectUnauthorized(address account, bytes32 role) internal {
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role));
    }

    /// @dev Expects the next call to revert because the called contract is paused.
    function _expectPaused() internal {
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
    }

    function _expectRevert(bytes4 selector) internal {
        vm.expectRevert(abi.encodeWithSelector(selector));
    }

    function _pauseCredits() internal {
        vm.prank(pauser);
        credits.pause();
    }

    function _pauseRegistry() internal {
        vm.prank(pauser);
        registry.pause();
    }

    function _registerParticipant(address account) internal {
        vm.prank(registrar);
        registry.registerParticipant(account, ITanhuiRegistry.ParticipantKind.Person);
    }

    function _suspend(address account) internal {
        vm.prank(registrar);
        registry.setParticipantStatus(account, ITanhuiRegistry.ParticipantStatus.Suspended);
    }

    function _freezeAccount(address account) internal {
        vm.prank(supervisor);
        credits.setAccountFrozen(account, true, "dispute 2025-17");
    }

    function _freezeBatch(uint256 batchId) internal {
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, true, "verification under review");
    }

    function _transfer(address from, address to, uint256 batchId, uint256 amount) internal {
        vm.prank(from);
        credits.safeTransferFrom(from, to, batchId, amount, "");
    }

    function _retire(address holder, uint256 batchId, uint64 amount) internal returns (uint256 certificateId) {
        vm.prank(holder);
        certificateId = credits.retire(batchId, amount, _details("Chengdu Marathon 2025 Organising Committee"));
    }

    /// @dev Asserts issued == held by `holders` + retired + invalidated for `batchId`.
    function _assertConserved(uint256 batchId, address[] memory holders) internal view {
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        uint256 held;
        for (uint256 i = 0; i < holders.length; ++i) {
            held += credits.balanceOf(holders[i], batchId);
        }
        vm.assertEq(uint256(b.issued), held + b.retired + b.invalidated, "issued == held + retired + invalidated");
    }

    function _details(string memory beneficiary) internal pure returns (ITanhuiCredits.RetirementDetails memory) {
        return ITanhuiCredits.RetirementDetails({
            beneficiary: beneficiary,
            purpose: ITanhuiCredits.RetirementPurpose.EventNeutrality,
            eventId: keccak256("chengdu-marathon-2025"),
            jurisdiction: "CN-SC-Chengdu",
            consumptionStart: CONSUMPTION_START,
            consumptionEnd: CONSUMPTION_END,
            note: "Offsets the marathon's travel and venue footprint"
        });
    }
}
