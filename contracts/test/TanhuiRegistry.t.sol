// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";

/// @dev Unit tests of TanhuiRegistry's own functions: participants, methodologies, projects,
/// verified reports, pause and views. Roles and the admin transfer are in TanhuiRegistryAccess.t.sol.
contract TanhuiRegistryTest is Fixture {
    address internal newcomer = address(0xC0FFEE);
    bytes32 internal constant REPORT = keccak256("report-1");
    bytes32 internal constant OTHER_PROJECT = keccak256("project-2");
    bytes32 internal constant DOCS_V2 = keccak256("project design document v2");

    // ----------------------------------------------------------------------------------------
    // registerParticipant
    // ----------------------------------------------------------------------------------------

    function test_registerParticipant__records_an_active_participant_and_emits() public {
        vm.warp(DEPLOYED_AT + 100);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.ParticipantRegistered(newcomer, ITanhuiRegistry.ParticipantKind.Person);
        vm.prank(registrar);
        registry.registerParticipant(newcomer, ITanhuiRegistry.ParticipantKind.Person);

        ITanhuiRegistry.Participant memory p = registry.participant(newcomer);
        vm.assertEq(uint256(p.kind), uint256(ITanhuiRegistry.ParticipantKind.Person), "kind");
        vm.assertEq(uint256(p.status), uint256(ITanhuiRegistry.ParticipantStatus.Active), "status");
        vm.assertEq(p.registeredAt, DEPLOYED_AT + 100, "registeredAt");
        vm.assertTrue(registry.isActiveParticipant(newcomer), "active");
    }

    function test_registerParticipant__organisation_kind_is_kept() public view {
        ITanhuiRegistry.Participant memory p = registry.participant(owner);
        vm.assertEq(uint256(p.kind), uint256(ITanhuiRegistry.ParticipantKind.Organisation), "kind");
        vm.assertEq(p.registeredAt, DEPLOYED_AT, "registeredAt");
    }

    function test_registerParticipant__zero_address_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroAddress.selector);
        vm.prank(registrar);
        registry.registerParticipant(address(0), ITanhuiRegistry.ParticipantKind.Person);
    }

    function test_registerParticipant__kind_none_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidKind.selector, uint8(0)));
        vm.prank(registrar);
        registry.registerParticipant(newcomer, ITanhuiRegistry.ParticipantKind.None);
    }

    function test_registerParticipant__already_registered_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryParticipantExists.selector, buyer));
        vm.prank(registrar);
        registry.registerParticipant(buyer, ITanhuiRegistry.ParticipantKind.Person);
    }

    function test_registerParticipant__suspended_participant_cannot_register_again() public {
        _suspend(buyer);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryParticipantExists.selector, buyer));
        vm.prank(registrar);
        registry.registerParticipant(buyer, ITanhuiRegistry.ParticipantKind.Person);
    }

    function test_registerParticipant__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.registerParticipant(newcomer, ITanhuiRegistry.ParticipantKind.Person);
    }

    function test_registerParticipant__verifier_is_not_a_registrar() public {
        _expectUnauthorized(verifier, TanhuiRoles.REGISTRAR);
        vm.prank(verifier);
        registry.registerParticipant(newcomer, ITanhuiRegistry.ParticipantKind.Person);
    }

    function test_registerParticipant__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.registerParticipant(newcomer, ITanhuiRegistry.ParticipantKind.Person);
    }

    // ----------------------------------------------------------------------------------------
    // setParticipantStatus
    // ----------------------------------------------------------------------------------------

    function test_setParticipantStatus__suspends_and_reinstates() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.ParticipantStatusChanged(buyer, ITanhuiRegistry.ParticipantStatus.Suspended);
        _suspend(buyer);
        vm.assertEq(
            uint256(registry.participant(buyer).status),
            uint256(ITanhuiRegistry.ParticipantStatus.Suspended),
            "suspended"
        );
        vm.assertFalse(registry.isActiveParticipant(buyer), "not active while suspended");

        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.ParticipantStatusChanged(buyer, ITanhuiRegistry.ParticipantStatus.Active);
        vm.prank(registrar);
        registry.setParticipantStatus(buyer, ITanhuiRegistry.ParticipantStatus.Active);
        vm.assertTrue(registry.isActiveParticipant(buyer), "active again");
        vm.assertEq(registry.participant(buyer).registeredAt, DEPLOYED_AT, "registeredAt unchanged");
    }

    function test_setParticipantStatus__unknown_participant_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownParticipant.selector, newcomer));
        vm.prank(registrar);
        registry.setParticipantStatus(newcomer, ITanhuiRegistry.ParticipantStatus.Suspended);
    }

    function test_setParticipantStatus__status_none_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryInvalidParticipantStatus.selector, buyer, ITanhuiRegistry.ParticipantStatus.None
            )
        );
        vm.prank(registrar);
        registry.setParticipantStatus(buyer, ITanhuiRegistry.ParticipantStatus.None);
    }

    function test_setParticipantStatus__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.setParticipantStatus(buyer, ITanhuiRegistry.ParticipantStatus.Suspended);
    }

    function test_setParticipantStatus__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.setParticipantStatus(buyer, ITanhuiRegistry.ParticipantStatus.Suspended);
    }

    // ----------------------------------------------------------------------------------------
    // publishMethodology / deprecateMethodology
    // ----------------------------------------------------------------------------------------

    function test_publishMethodology__records_a_published_version_and_emits() public {
        vm.warp(DEPLOYED_AT + 7);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.MethodologyPublished(METHODOLOGY, 2, keccak256("v2"));
        vm.prank(registrar);
        registry.publishMethodology(METHODOLOGY, 2, keccak256("v2"));

        ITanhuiRegistry.Methodology memory m = registry.methodology(METHODOLOGY, 2);
        vm.assertEq(m.contentHash, keccak256("v2"), "contentHash");
        vm.assertEq(uint256(m.status), uint256(ITanhuiRegistry.MethodologyStatus.Published), "status");
        vm.assertEq(m.publishedAt, DEPLOYED_AT + 7, "publishedAt");
        vm.assertEq(
            uint256(registry.methodology(METHODOLOGY, VERSION).status),
            uint256(ITanhuiRegistry.MethodologyStatus.Published),
            "version 1 untouched"
        );
    }

    function test_publishMethodology__zero_id_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroId.selector);
        vm.prank(registrar);
        registry.publishMethodology(bytes32(0), 1, keccak256("text"));
    }

    function test_publishMethodology__zero_content_hash_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroHash.selector);
        vm.prank(registrar);
        registry.publishMethodology(keccak256("other"), 1, bytes32(0));
    }

    function test_publishMethodology__same_version_twice_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryMethodologyExists.selector, METHODOLOGY, VERSION)
        );
        vm.prank(registrar);
        registry.publishMethodology(METHODOLOGY, VERSION, keccak256("methodology v1 text, edited"));
    }

    function test_publishMethodology__deprecated_version_cannot_be_republished() public {
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryMethodologyExists.selector, METHODOLOGY, VERSION)
        );
        vm.prank(registrar);
        registry.publishMethodology(METHODOLOGY, VERSION, keccak256("methodology v1 text"));
    }

    function test_publishMethodology__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.publishMethodology(METHODOLOGY, 2, keccak256("v2"));
    }

    function test_publishMethodology__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.publishMethodology(METHODOLOGY, 2, keccak256("v2"));
    }

    function test_deprecateMethodology__marks_deprecated_and_emits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.MethodologyDeprecated(METHODOLOGY, VERSION);
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);

        ITanhuiRegistry.Methodology memory m = registry.methodology(METHODOLOGY, VERSION);
        vm.assertEq(uint256(m.status), uint256(ITanhuiRegistry.MethodologyStatus.Deprecated), "status");
        vm.assertEq(m.contentHash, keccak256("methodology v1 text"), "contentHash kept");
        vm.assertEq(
            uint256(registry.project(PROJECT).status),
            uint256(ITanhuiRegistry.ProjectStatus.Registered),
            "existing project keeps its registration"
        );
    }

    function test_deprecateMethodology__unknown_version_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownMethodology.selector, METHODOLOGY, uint32(9))
        );
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, 9);
    }

    function test_deprecateMethodology__twice_reverts() public {
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryMethodologyNotPublished.selector,
                METHODOLOGY,
                VERSION,
                ITanhuiRegistry.MethodologyStatus.Deprecated
            )
        );
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
    }

    function test_deprecateMethodology__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
    }

    function test_deprecateMethodology__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
    }

    // ----------------------------------------------------------------------------------------
    // registerProject
    // ----------------------------------------------------------------------------------------

    function test_registerProject__records_the_project_and_emits() public {
        vm.warp(DEPLOYED_AT + 50);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.ProjectRegistered(OTHER_PROJECT, buyer, METHODOLOGY, VERSION, keccak256("pdd-2"));
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, buyer, METHODOLOGY, VERSION, keccak256("pdd-2"));

        ITanhuiRegistry.Project memory p = registry.project(OTHER_PROJECT);
        vm.assertEq(p.owner, buyer, "owner");
        vm.assertEq(uint256(p.status), uint256(ITanhuiRegistry.ProjectStatus.Registered), "status");
        vm.assertEq(p.methodologyVersion, VERSION, "methodologyVersion");
        vm.assertEq(p.registeredAt, DEPLOYED_AT + 50, "registeredAt");
        vm.assertEq(p.methodologyId, METHODOLOGY, "methodologyId");
        vm.assertEq(p.documentHash, keccak256("pdd-2"), "documentHash");
    }

    function test_registerProject__zero_id_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroId.selector);
        vm.prank(registrar);
        registry.registerProject(bytes32(0), owner, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    function test_registerProject__zero_document_hash_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroHash.selector);
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, owner, METHODOLOGY, VERSION, bytes32(0));
    }

    function test_registerProject__existing_project_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryProjectExists.selector, PROJECT));
        vm.prank(registrar);
        registry.registerProject(PROJECT, buyer, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    function test_registerProject__unregistered_owner_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownParticipant.selector, outsider));
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, outsider, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    function test_registerProject__suspended_owner_reverts() public {
        _suspend(buyer);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryParticipantNotActive.selector,
                buyer,
                ITanhuiRegistry.ParticipantStatus.Suspended
            )
        );
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, buyer, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    function test_registerProject__unknown_methodology_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownMethodology.selector, METHODOLOGY, uint32(2))
        );
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, owner, METHODOLOGY, 2, keccak256("pdd"));
    }

    function test_registerProject__deprecated_methodology_reverts() public {
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryMethodologyNotPublished.selector,
                METHODOLOGY,
                VERSION,
                ITanhuiRegistry.MethodologyStatus.Deprecated
            )
        );
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, owner, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    function test_registerProject__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.registerProject(OTHER_PROJECT, owner, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    function test_registerProject__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, owner, METHODOLOGY, VERSION, keccak256("pdd"));
    }

    // ----------------------------------------------------------------------------------------
    // updateProjectDocuments
    // ----------------------------------------------------------------------------------------

    function test_updateProjectDocuments__anchors_the_new_hash_and_emits() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.ProjectDocumentsUpdated(PROJECT, DOCS_V2);
        vm.prank(registrar);
        registry.updateProjectDocuments(PROJECT, DOCS_V2);
        vm.assertEq(registry.project(PROJECT).documentHash, DOCS_V2, "documentHash");
    }

    function test_updateProjectDocuments__of_a_suspended_project_succeeds() public {
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Suspended);
        vm.prank(registrar);
        registry.updateProjectDocuments(PROJECT, DOCS_V2);
        vm.assertEq(registry.project(PROJECT).documentHash, DOCS_V2, "documentHash");
    }

    function test_updateProjectDocuments__zero_hash_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroHash.selector);
        vm.prank(registrar);
        registry.updateProjectDocuments(PROJECT, bytes32(0));
    }

    function test_updateProjectDocuments__unknown_project_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownProject.selector, OTHER_PROJECT));
        vm.prank(registrar);
        registry.updateProjectDocuments(OTHER_PROJECT, DOCS_V2);
    }

    function test_updateProjectDocuments__closed_project_reverts() public {
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Closed);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryProjectNotRegistered.selector, PROJECT, ITanhuiRegistry.ProjectStatus.Closed
            )
        );
        vm.prank(registrar);
        registry.updateProjectDocuments(PROJECT, DOCS_V2);
    }

    function test_updateProjectDocuments__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.updateProjectDocuments(PROJECT, DOCS_V2);
    }

    function test_updateProjectDocuments__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.updateProjectDocuments(PROJECT, DOCS_V2);
    }

    // ----------------------------------------------------------------------------------------
    // setProjectStatus
    // ----------------------------------------------------------------------------------------

    function test_setProjectStatus__suspends_reinstates_and_closes() public {
        ITanhuiRegistry.ProjectStatus[3] memory steps = [
            ITanhuiRegistry.ProjectStatus.Suspended,
            ITanhuiRegistry.ProjectStatus.Registered,
            ITanhuiRegistry.ProjectStatus.Closed
        ];
        for (uint256 i = 0; i < steps.length; ++i) {
            vm.expectEmit(true, true, true, true, address(registry));
            emit ITanhuiRegistry.ProjectStatusChanged(PROJECT, steps[i]);
            vm.prank(registrar);
            registry.setProjectStatus(PROJECT, steps[i]);
            vm.assertEq(uint256(registry.project(PROJECT).status), uint256(steps[i]), "status");
        }
    }

    function test_setProjectStatus__unknown_project_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownProject.selector, OTHER_PROJECT));
        vm.prank(registrar);
        registry.setProjectStatus(OTHER_PROJECT, ITanhuiRegistry.ProjectStatus.Suspended);
    }

    function test_setProjectStatus__to_none_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryInvalidProjectStatus.selector,
                PROJECT,
                ITanhuiRegistry.ProjectStatus.Registered,
                ITanhuiRegistry.ProjectStatus.None
            )
        );
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.None);
    }

    function test_setProjectStatus__closed_project_stays_closed() public {
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Closed);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryInvalidProjectStatus.selector,
                PROJECT,
                ITanhuiRegistry.ProjectStatus.Closed,
                ITanhuiRegistry.ProjectStatus.Registered
            )
        );
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Registered);
    }

    function test_setProjectStatus__without_registrar_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.REGISTRAR);
        vm.prank(outsider);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Suspended);
    }

    function test_setProjectStatus__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Suspended);
    }

    // ----------------------------------------------------------------------------------------
    // recordVerifiedReport
    // ----------------------------------------------------------------------------------------

    function test_recordVerifiedReport__records_the_report_and_emits() public {
        vm.warp(DEPLOYED_AT + 3600);
        vm.expectEmit(true, true, true, true, address(registry));
        emit ITanhuiRegistry.ReportVerified(REPORT, PROJECT, verifier, JAN_2025, APR_2025, 1_000_000);
        _verify(REPORT, JAN_2025, APR_2025, 1_000_000);

        ITanhuiRegistry.Report memory r = registry.report(REPORT);
        vm.assertEq(r.projectId, PROJECT, "projectId");
        vm.assertEq(r.verifier, verifier, "verifier");
        vm.assertEq(r.periodStart, JAN_2025, "periodStart");
        vm.assertEq(r.periodEnd, APR_2025, "periodEnd");
        vm.assertEq(r.amount, 1_000_000, "amount");
        vm.assertEq(r.methodologyVersion, VERSION, "methodologyVersion");
        vm.assertEq(r.verifiedAt, DEPLOYED_AT + 3600, "verifiedAt");
    }

    function test_recordVerifiedReport__overlapping_reports_are_both_recorded() public {
        // Overlap is checked at issuance, where issued periods live, not here.
        _verify(REPORT, JAN_2025, JUL_2025, 10);
        _verify(keccak256("report-2"), APR_2025, OCT_2025, 20);
        vm.assertEq(registry.report(keccak256("report-2")).amount, 20, "second report recorded");
    }

    function test_recordVerifiedReport__zero_hash_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroHash.selector);
        vm.prank(verifier);
        registry.recordVerifiedReport(bytes32(0), PROJECT, JAN_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__same_hash_twice_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 1);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryReportExists.selector, REPORT));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, APR_2025, JUL_2025, 1);
    }

    function test_recordVerifiedReport__unknown_project_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryUnknownProject.selector, OTHER_PROJECT));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, OTHER_PROJECT, JAN_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__suspended_project_reverts() public {
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Suspended);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryProjectNotRegistered.selector, PROJECT, ITanhuiRegistry.ProjectStatus.Suspended
            )
        );
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__closed_project_reverts() public {
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Closed);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiRegistry.RegistryProjectNotRegistered.selector, PROJECT, ITanhuiRegistry.ProjectStatus.Closed
            )
        );
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__empty_period_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, APR_2025, APR_2025));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, APR_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__reversed_period_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, APR_2025, JAN_2025));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, APR_2025, JAN_2025, 1);
    }

    function testFuzz_recordVerifiedReport__rejects_empty_or_reversed_periods(uint64 start, uint64 end) public {
        end = uint64(bound(end, 0, start));
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, start, end));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, start, end, 1);
    }

    function testFuzz_recordVerifiedReport__keeps_any_valid_period_and_amount(uint64 start, uint64 end, uint64 amount)
        public
    {
        start = uint64(bound(start, PERIOD_FLOOR, block.timestamp - 1));
        end = uint64(bound(end, uint256(start) + 1, block.timestamp));
        amount = uint64(bound(amount, 1, MAX_AMOUNT));
        _verify(REPORT, start, end, amount);
        ITanhuiRegistry.Report memory r = registry.report(REPORT);
        vm.assertEq(r.periodStart, start, "periodStart");
        vm.assertEq(r.periodEnd, end, "periodEnd");
        vm.assertEq(r.amount, amount, "amount");
    }

    function testFuzz_recordVerifiedReport__rejects_periods_before_2000_or_not_yet_over(uint64 start, uint64 end)
        public
    {
        // One bound broken, the other kept; start < end always.
        if (start % 2 == 0) {
            start = uint64(bound(start, 0, PERIOD_FLOOR - 1));
            end = uint64(bound(end, uint256(start) + 1, block.timestamp));
        } else {
            end = uint64(bound(end, block.timestamp + 1, type(uint64).max));
            start = uint64(bound(start, PERIOD_FLOOR, uint256(end) - 1));
        }
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, start, end));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, start, end, 1);
    }

    function test_recordVerifiedReport__period_ending_in_the_future_reverts() public {
        // The review's case: a 2030 period was verified and issued.
        uint64 jan2030 = 1893456000;
        uint64 apr2030 = 1901232000;
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, jan2030, apr2030));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, jan2030, apr2030, 1);
    }

    function test_recordVerifiedReport__period_ending_at_the_maximum_reverts() public {
        // The review's case: an end of 2**64 - 1 would block every later report of the project.
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, JAN_2025, type(uint64).max)
        );
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, type(uint64).max, 1);
    }

    function test_recordVerifiedReport__period_ending_now_is_accepted_one_second_later_is_not() public {
        uint64 now_ = uint64(block.timestamp);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, JAN_2025, now_ + 1));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, now_ + 1, 1);
        _verify(REPORT, JAN_2025, now_, 1);
        vm.assertEq(registry.report(REPORT).periodEnd, now_, "ends now");
    }

    function test_recordVerifiedReport__period_starting_before_2000_reverts() public {
        uint64 floor = registry.PERIOD_FLOOR();
        vm.assertEq(floor, 946684800, "2000-01-01T00:00:00Z");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, floor - 1, JAN_2025));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, floor - 1, JAN_2025, 1);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryInvalidPeriod.selector, uint64(0), JAN_2025));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, 0, JAN_2025, 1);
        _verify(REPORT, floor, floor + 1, 1);
        vm.assertEq(registry.report(REPORT).periodStart, floor, "starts at the floor");
    }

    function test_recordVerifiedReport__amount_above_int64_max_reverts() public {
        uint64 max = registry.MAX_AMOUNT();
        vm.assertEq(max, uint64(type(int64).max), "2**63 - 1");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryAmountTooLarge.selector, max + 1, max));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, max + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiRegistry.RegistryAmountTooLarge.selector, type(uint64).max, max)
        );
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, type(uint64).max);
        _verify(REPORT, JAN_2025, APR_2025, max);
        vm.assertEq(registry.report(REPORT).amount, max, "the maximum is accepted");
    }

    function test_recordVerifiedReport__by_the_project_owner_reverts() public {
        // The owner holds the verifier role (a verification body that also runs projects), but
        // never verifies its own project.
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.VERIFIER, owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiRegistry.RegistryVerifierIsOwner.selector, PROJECT, owner));
        vm.prank(owner);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 1);
        // It may verify another owner's project.
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, buyer, METHODOLOGY, VERSION, DOCS_V2);
        vm.prank(owner);
        registry.recordVerifiedReport(REPORT, OTHER_PROJECT, JAN_2025, APR_2025, 1);
        vm.assertEq(registry.report(REPORT).verifier, owner, "recorded for another project");
    }

    function test_recordVerifiedReport__zero_amount_reverts() public {
        _expectRevert(ITanhuiRegistry.RegistryZeroAmount.selector);
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 0);
    }

    function test_recordVerifiedReport__without_verifier_role_reverts() public {
        _expectUnauthorized(outsider, TanhuiRoles.VERIFIER);
        vm.prank(outsider);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__registrar_is_not_a_verifier() public {
        _expectUnauthorized(registrar, TanhuiRoles.VERIFIER);
        vm.prank(registrar);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 1);
    }

    function test_recordVerifiedReport__while_paused_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, PROJECT, JAN_2025, APR_2025, 1);
    }

    // ----------------------------------------------------------------------------------------
    // pause / unpause
    // ----------------------------------------------------------------------------------------

    function test_pause__stops_state_changes_and_unpause_resumes_them() public {
        vm.expectEmit(true, true, true, true, address(registry));
        emit Pausable.Paused(pauser);
        _pauseRegistry();
        vm.assertTrue(registry.paused(), "paused");

        vm.expectEmit(true, true, true, true, address(registry));
        emit Pausable.Unpaused(pauser);
        vm.prank(pauser);
        registry.unpause();
        vm.assertFalse(registry.paused(), "unpaused");

        vm.prank(registrar);
        registry.registerParticipant(newcomer, ITanhuiRegistry.ParticipantKind.Person);
        vm.assertTrue(registry.isActiveParticipant(newcomer), "state changes resume");
    }

    function test_pause__does_not_pause_the_credits_contract() public {
        _pauseRegistry();
        vm.assertFalse(credits.paused(), "credits keeps running");
    }

    function test_pause__twice_reverts() public {
        _pauseRegistry();
        _expectPaused();
        vm.prank(pauser);
        registry.pause();
    }

    function test_unpause__when_not_paused_reverts() public {
        _expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(pauser);
        registry.unpause();
    }

    function test_pause__without_pauser_role_reverts() public {
        _expectUnauthorized(admin, TanhuiRoles.PAUSER);
        vm.prank(admin);
        registry.pause();
    }

    function test_unpause__without_pauser_role_reverts() public {
        _pauseRegistry();
        _expectUnauthorized(outsider, TanhuiRoles.PAUSER);
        vm.prank(outsider);
        registry.unpause();
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    function test_views__unknown_entries_read_as_zero() public view {
        ITanhuiRegistry.Participant memory p = registry.participant(newcomer);
        vm.assertEq(uint256(p.status), uint256(ITanhuiRegistry.ParticipantStatus.None), "participant status");
        vm.assertEq(p.registeredAt, 0, "participant registeredAt");
        vm.assertFalse(registry.isActiveParticipant(newcomer), "not active");
        vm.assertEq(registry.methodology(keccak256("none"), 1).contentHash, bytes32(0), "methodology");
        vm.assertEq(registry.project(OTHER_PROJECT).owner, address(0), "project");
        vm.assertEq(registry.report(REPORT).verifiedAt, 0, "report");
    }

    function test_roleGetters__return_the_library_identifiers() public view {
        vm.assertEq(registry.REGISTRAR_ROLE(), keccak256("tanhui.role.registrar"), "registrar");
        vm.assertEq(registry.VERIFIER_ROLE(), keccak256("tanhui.role.verifier"), "verifier");
        vm.assertEq(registry.ISSUER_ROLE(), keccak256("tanhui.role.issuer"), "issuer");
        vm.assertEq(registry.EXCHANGE_ROLE(), keccak256("tanhui.role.exchange"), "exchange");
        vm.assertEq(registry.SUPERVISOR_ROLE(), keccak256("tanhui.role.supervisor"), "supervisor");
        vm.assertEq(registry.PAUSER_ROLE(), keccak256("tanhui.role.pauser"), "pauser");
        vm.assertEq(registry.REGISTRAR_ROLE(), TanhuiRoles.REGISTRAR, "library constant");
    }
}
