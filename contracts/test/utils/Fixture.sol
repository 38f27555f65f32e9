// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./Vm.sol";
import {TanhuiRegistry} from "../../src/TanhuiRegistry.sol";
import {TanhuiCredits} from "../../src/TanhuiCredits.sol";
import {TanhuiRoles} from "../../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";

/// @dev A deployed scheme with one account per role, a published methodology, a registered
/// project and helpers to verify and issue reports.
abstract contract Fixture is TestBase {
    uint48 internal constant ADMIN_DELAY = 1 days;

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
    uint64 internal constant APR_2025 = 1743465600;
    uint64 internal constant JUL_2025 = 1751328000;

    function setUp() public virtual {
        vm.warp(1_760_000_000);
        registry = new TanhuiRegistry(ADMIN_DELAY, admin);
        credits = new TanhuiCredits(registry, "https://registry.example/v1/batches/{id}");
        vm.startPrank(admin);
        registry.grantRole(TanhuiRoles.REGISTRAR, registrar);
        registry.grantRole(TanhuiRoles.VERIFIER, verifier);
        registry.grantRole(TanhuiRoles.ISSUER, issuer);
        registry.grantRole(TanhuiRoles.EXCHANGE, exchange);
        registry.grantRole(TanhuiRoles.SUPERVISOR, supervisor);
        registry.grantRole(TanhuiRoles.PAUSER, pauser);
        vm.stopPrank();

        vm.startPrank(registrar);
        registry.registerParticipant(owner, ITanhuiRegistry.ParticipantKind.Organisation);
        registry.registerParticipant(buyer, ITanhuiRegistry.ParticipantKind.Organisation);
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

    function _details(string memory beneficiary) internal pure returns (ITanhuiCredits.RetirementDetails memory) {
        return ITanhuiCredits.RetirementDetails({
            beneficiary: beneficiary,
            purpose: ITanhuiCredits.RetirementPurpose.EventNeutrality,
            eventId: keccak256("chengdu-marathon-2025"),
            jurisdiction: "CN-SC-Chengdu",
            consumptionStart: uint40(JAN_2025),
            consumptionEnd: uint40(APR_2025),
            note: "Offsets the marathon's travel and venue footprint"
        });
    }
}
