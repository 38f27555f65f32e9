// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {Vm} from "./utils/Vm.sol";
import {TanhuiCredits} from "../src/TanhuiCredits.sol";
import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";

/// @dev A project owner that is a contract and retires whatever it receives, from inside the
/// ERC-1155 receiver hook that issuance calls.
contract RetireOnReceipt is IERC1155Receiver {
    TanhuiCredits internal immutable _credits;

    constructor(TanhuiCredits credits_) {
        _credits = credits_;
    }

    function onERC1155Received(address, address from, uint256 id, uint256 value, bytes calldata)
        external
        returns (bytes4)
    {
        if (from == address(0)) {
            ITanhuiCredits.RetirementDetails memory details;
            details.beneficiary = "retired on receipt";
            // forge-lint: disable-next-line(unsafe-typecast) issued amounts are uint64
            _credits.retire(id, uint64(value), details);
        }
        return IERC1155Receiver.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId;
    }
}

/// @dev Issuance: one batch per verified report, to the project's owner, never twice for a
/// report and never for a period that overlaps one already issued for the project.
contract TanhuiCreditsIssueTest is Fixture {
    bytes32 internal constant REPORT = keccak256("report-1");
    bytes32 internal constant OTHER_PROJECT = keccak256("project-2");

    // ----------------------------------------------------------------------------------------
    // Success
    // ----------------------------------------------------------------------------------------

    function test_issue__mints_the_verified_amount_to_the_owner_and_emits() public {
        _verify(REPORT, JAN_2025, APR_2025, 1_000_000);
        vm.warp(DEPLOYED_AT + 1 days);

        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.CreditsIssued(1, PROJECT, REPORT, owner, 1_000_000, JAN_2025, APR_2025);
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(issuer, address(0), owner, 1, 1_000_000);
        vm.prank(issuer);
        uint256 batchId = credits.issue(REPORT);

        vm.assertEq(batchId, 1, "first batch id is 1");
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000_000, "owner balance");
        vm.assertEq(credits.batchCount(), 1, "batchCount");
        vm.assertEq(credits.batchOfReport(REPORT), 1, "batchOfReport");

        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.reportHash, REPORT, "reportHash");
        vm.assertEq(b.projectId, PROJECT, "projectId");
        vm.assertEq(b.methodologyId, METHODOLOGY, "methodologyId");
        vm.assertEq(b.methodologyVersion, VERSION, "methodologyVersion");
        vm.assertEq(b.periodStart, JAN_2025, "periodStart");
        vm.assertEq(b.periodEnd, APR_2025, "periodEnd");
        vm.assertEq(b.verifier, verifier, "verifier");
        vm.assertEq(b.issuedAt, DEPLOYED_AT + 1 days, "issuedAt");
        vm.assertEq(b.issued, 1_000_000, "issued");
        vm.assertEq(b.retired, 0, "retired");
        vm.assertEq(b.invalidated, 0, "invalidated");
        vm.assertFalse(b.frozen, "frozen");
    }

    function test_issue__batch_ids_count_up() public {
        uint256 first = _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        uint256 second = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 20);
        vm.assertEq(first, 1, "first");
        vm.assertEq(second, 2, "second");
        vm.assertEq(credits.batchCount(), 2, "batchCount");
        vm.assertEq(credits.balanceOf(owner, 1), 10, "batch 1 balance");
        vm.assertEq(credits.balanceOf(owner, 2), 20, "batch 2 balance");
        vm.assertEq(credits.batchOfReport(keccak256("report-2")), 2, "batchOfReport");
    }

    function test_issue__after_methodology_deprecated_succeeds() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(registrar);
        registry.deprecateMethodology(METHODOLOGY, VERSION);
        vm.prank(issuer);
        uint256 batchId = credits.issue(REPORT);
        vm.assertEq(credits.balanceOf(owner, batchId), 10, "issued");
    }

    function test_issue__works_while_the_registry_is_paused() public {
        // The two contracts pause separately; the registry's pause freezes its records only.
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _pauseRegistry();
        vm.prank(issuer);
        uint256 batchId = credits.issue(REPORT);
        vm.assertEq(credits.balanceOf(owner, batchId), 10, "issued");
    }

    function test_issue__goes_to_the_project_owner_not_the_issuer() public {
        _registerParticipant(issuer);
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        vm.assertEq(credits.balanceOf(issuer, 1), 0, "issuer holds nothing");
        vm.assertEq(credits.balanceOf(owner, 1), 10, "owner holds the batch");
    }

    // ----------------------------------------------------------------------------------------
    // Reverts
    // ----------------------------------------------------------------------------------------

    function test_issue__without_issuer_role_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _expectUnauthorized(outsider, TanhuiRoles.ISSUER);
        vm.prank(outsider);
        credits.issue(REPORT);
    }

    function test_issue__by_verifier_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _expectUnauthorized(verifier, TanhuiRoles.ISSUER);
        vm.prank(verifier);
        credits.issue(REPORT);
    }

    function test_issue__by_project_owner_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _expectUnauthorized(owner, TanhuiRoles.ISSUER);
        vm.prank(owner);
        credits.issue(REPORT);
    }

    function test_issue__while_paused_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _pauseCredits();
        _expectPaused();
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__unverified_report_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportNotVerified.selector, REPORT));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__reused_report_hash_reverts() public {
        uint256 batchId = _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportAlreadyIssued.selector, REPORT, batchId));
        vm.prank(issuer);
        credits.issue(REPORT);
        vm.assertEq(credits.batchCount(), 1, "no second batch");
        vm.assertEq(credits.balanceOf(owner, 1), 10, "no extra credits");
    }

    function test_issue__reused_report_hash_names_the_batch_it_was_issued_as() public {
        _verifyAndIssue(keccak256("report-0"), JUL_2025, OCT_2025, 5);
        uint256 batchId = _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        vm.assertEq(batchId, 2, "second batch");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportAlreadyIssued.selector, REPORT, uint256(2)));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__report_of_a_verifier_that_lost_the_role_reverts() public {
        // The review's case: the verifier's accreditation is withdrawn between record and issuance.
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.VERIFIER, verifier);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsVerifierNotActive.selector, REPORT, verifier));
        vm.prank(issuer);
        credits.issue(REPORT);

        // Accredited again, its reports are issuable again.
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.VERIFIER, verifier);
        vm.prank(issuer);
        vm.assertEq(credits.issue(REPORT), 1, "issued once the verifier holds the role again");
    }

    function test_issue__report_of_a_verifier_that_renounced_the_role_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(verifier);
        registry.renounceRole(TanhuiRoles.VERIFIER, verifier);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsVerifierNotActive.selector, REPORT, verifier));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__withdrawn_report_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "sampling error found");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportWithdrawn.selector, REPORT));
        vm.prank(issuer);
        credits.issue(REPORT);
        vm.assertEq(credits.batchCount(), 0, "no batch");
    }

    function test_issue__suspended_project_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Suspended);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsProjectNotRegistered.selector, PROJECT));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__closed_project_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(registrar);
        registry.setProjectStatus(PROJECT, ITanhuiRegistry.ProjectStatus.Closed);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsProjectNotRegistered.selector, PROJECT));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__suspended_owner_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _suspend(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, owner));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__frozen_owner_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        vm.prank(issuer);
        credits.issue(REPORT);
    }

    function test_issue__failed_issuance_claims_no_period() public {
        // A reverted issuance must not leave its period behind as "issued".
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        vm.prank(issuer);
        credits.issue(REPORT);

        vm.prank(supervisor);
        credits.setAccountFrozen(owner, false, "dispute resolved");
        vm.prank(issuer);
        uint256 batchId = credits.issue(REPORT);
        vm.assertEq(batchId, 1, "batch 1: the failed attempt used no id");
    }

    // ----------------------------------------------------------------------------------------
    // Periods
    // ----------------------------------------------------------------------------------------

    function test_issue__period_starting_before_latest_end_reverts() public {
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        _verify(keccak256("report-2"), MAR_2025, JUN_2025, 10);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, MAR_2025, JUN_2025, JAN_2025, APR_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__same_period_under_another_report_reverts() public {
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        _verify(keccak256("report-2"), JAN_2025, APR_2025, 10);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, JAN_2025, APR_2025, JAN_2025, APR_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__period_enclosing_an_issued_one_reverts() public {
        _verifyAndIssue(REPORT, APR_2025, JUL_2025, 10);
        _verify(keccak256("report-2"), JAN_2025, OCT_2025, 10);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, JAN_2025, OCT_2025, APR_2025, JUL_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__period_inside_an_issued_one_reverts() public {
        _verifyAndIssue(REPORT, JAN_2025, OCT_2025, 10);
        _verify(keccak256("report-2"), APR_2025, JUL_2025, 10);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, APR_2025, JUL_2025, JAN_2025, OCT_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__adjacent_period_is_accepted() public {
        // Periods are half-open: [Jan, Apr) and [Apr, Jul) share no second.
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        uint256 batchId = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 20);
        vm.assertEq(credits.balanceOf(owner, batchId), 20, "second period issued");
    }

    function test_issue__one_second_of_overlap_reverts() public {
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        _verify(keccak256("report-2"), APR_2025 - 1, JUL_2025, 10);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, APR_2025 - 1, JUL_2025, JAN_2025, APR_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__back_filling_a_gap_between_issued_periods_is_accepted() public {
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        _verifyAndIssue(keccak256("report-3"), JUL_2025, OCT_2025, 30);
        // [Apr, Jul) starts before the latest end (Oct) but overlaps neither issued period.
        uint256 batchId = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 20);
        vm.assertEq(batchId, 3, "third batch");
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.periodStart, APR_2025, "periodStart");
        vm.assertEq(b.periodEnd, JUL_2025, "periodEnd");
        vm.assertEq(credits.balanceOf(owner, batchId), 20, "balance");

        // Once filled, the gap is taken: any period inside [Jan, Oct) now overlaps.
        _verify(keccak256("report-4"), MAY_2025, JUN_2025, 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, MAY_2025, JUN_2025, APR_2025, JUL_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-4"));
    }

    function test_issue__back_filling_part_of_a_gap_is_accepted() public {
        _verifyAndIssue(REPORT, JAN_2025, MAR_2025, 10);
        _verifyAndIssue(keccak256("report-3"), AUG_2025, OCT_2025, 30);
        _verifyAndIssue(keccak256("report-2"), APR_2025, MAY_2025, 20);
        uint256 batchId = _verifyAndIssue(keccak256("report-4"), JUN_2025, AUG_2025, 40);
        vm.assertEq(credits.balanceOf(owner, batchId), 40, "second back-fill, touching the later period");
    }

    function test_issue__back_fill_overlapping_the_later_period_reverts() public {
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        _verifyAndIssue(keccak256("report-3"), JUL_2025, OCT_2025, 30);
        _verify(keccak256("report-2"), MAY_2025, AUG_2025, 20);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, MAY_2025, AUG_2025, JUL_2025, OCT_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__back_fill_overlapping_the_earlier_period_reverts() public {
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        _verifyAndIssue(keccak256("report-3"), JUL_2025, OCT_2025, 30);
        _verify(keccak256("report-2"), MAR_2025, JUN_2025, 20);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, MAR_2025, JUN_2025, JAN_2025, APR_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-2"));
    }

    function test_issue__period_before_every_issued_one_is_accepted() public {
        _verifyAndIssue(REPORT, JUL_2025, OCT_2025, 30);
        uint256 batchId = _verifyAndIssue(keccak256("report-2"), JAN_2025, APR_2025, 10);
        vm.assertEq(credits.balanceOf(owner, batchId), 10, "earlier period issued");
        // ... and a period after the latest end still takes the fast path.
        uint256 later = _verifyAndIssue(keccak256("report-3"), OCT_2025, JAN_2026, 5);
        vm.assertEq(credits.balanceOf(owner, later), 5, "later period issued");
    }

    function test_issue__back_fill_does_not_lower_the_latest_end() public {
        // After [Jul, Oct) and then the earlier [Jan, Apr), a period starting at or after Apr
        // must still be checked against [Jul, Oct): the latest end stays Oct.
        _verifyAndIssue(REPORT, JUL_2025, OCT_2025, 30);
        _verifyAndIssue(keccak256("report-2"), JAN_2025, APR_2025, 10);
        _verify(keccak256("report-3"), MAY_2025, AUG_2025, 20);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, MAY_2025, AUG_2025, JUL_2025, OCT_2025
            )
        );
        vm.prank(issuer);
        credits.issue(keccak256("report-3"));
    }

    function test_issue__same_period_of_another_project_is_accepted() public {
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, buyer, METHODOLOGY, VERSION, keccak256("pdd-2"));
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(verifier);
        registry.recordVerifiedReport(keccak256("report-2"), OTHER_PROJECT, JAN_2025, APR_2025, 20);
        vm.prank(issuer);
        uint256 batchId = credits.issue(keccak256("report-2"));
        vm.assertEq(credits.balanceOf(buyer, batchId), 20, "other project's owner receives");
        vm.assertEq(credits.batch(batchId).projectId, OTHER_PROJECT, "projectId");
    }

    // ----------------------------------------------------------------------------------------
    // Re-entry from the receiver hook
    // ----------------------------------------------------------------------------------------

    /// @dev Minting to a contract calls its ERC-1155 hook, from which a registered owner
    /// contract can act on the new batch. The batch is fully recorded and {CreditsIssued} is
    /// emitted before the mint, so the state is consistent and a retirement from the hook is
    /// logged after the issuance (an indexer reading logs in order sees the batch first).
    function test_issue__owner_contract_retiring_in_the_hook_logs_retirement_after_issuance() public {
        RetireOnReceipt ownerContract = new RetireOnReceipt(credits);
        _registerParticipant(address(ownerContract));
        vm.prank(registrar);
        registry.registerProject(OTHER_PROJECT, address(ownerContract), METHODOLOGY, VERSION, keccak256("pdd-2"));
        vm.prank(verifier);
        registry.recordVerifiedReport(REPORT, OTHER_PROJECT, JAN_2025, APR_2025, 500);

        vm.recordLogs();
        vm.prank(issuer);
        uint256 batchId = credits.issue(REPORT);
        Vm.Log[] memory logs = vm.getRecordedLogs();

        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, 500, "issued");
        vm.assertEq(b.retired, 500, "retired from inside the hook");
        vm.assertEq(credits.balanceOf(address(ownerContract), batchId), 0, "nothing held");
        ITanhuiCredits.Retirement memory r = credits.retirement(1);
        vm.assertEq(r.serialFirst, 1, "serialFirst");
        vm.assertEq(r.serialLast, 500, "serialLast");

        uint256 retiredAt = type(uint256).max;
        uint256 issuedAt = type(uint256).max;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] == ITanhuiCredits.CreditsRetired.selector) retiredAt = i;
            if (logs[i].topics[0] == ITanhuiCredits.CreditsIssued.selector) issuedAt = i;
        }
        vm.assertLt(retiredAt, logs.length, "CreditsRetired logged");
        vm.assertLt(issuedAt, retiredAt, "CreditsIssued is logged before CreditsRetired");
    }

    // ----------------------------------------------------------------------------------------
    // withdrawReport
    // ----------------------------------------------------------------------------------------

    function test_withdrawReport__by_its_verifier_emits_and_marks_the_report() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.ReportWithdrawn(REPORT, verifier, "sampling error found");
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "sampling error found");
        vm.assertTrue(credits.isReportWithdrawn(REPORT), "withdrawn");
        vm.assertEq(credits.batchOfReport(REPORT), 0, "no batch");
        vm.assertFalse(credits.isReportWithdrawn(keccak256("other")), "others are not");
    }

    function test_withdrawReport__by_a_supervisor_succeeds() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.ReportWithdrawn(REPORT, supervisor, "verifier under review");
        vm.prank(supervisor);
        credits.withdrawReport(REPORT, "verifier under review");
        vm.assertTrue(credits.isReportWithdrawn(REPORT), "withdrawn");
    }

    function test_withdrawReport__works_while_paused() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _pauseCredits();
        _pauseRegistry();
        vm.prank(supervisor);
        credits.withdrawReport(REPORT, "verifier under review");
        vm.assertTrue(credits.isReportWithdrawn(REPORT), "withdrawn while paused");
    }

    function test_withdrawReport__frees_the_period_for_a_corrected_report() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "amount overstated");
        uint256 batchId = _verifyAndIssue(keccak256("report-1-corrected"), JAN_2025, APR_2025, 8);
        vm.assertEq(credits.batch(batchId).issued, 8, "the corrected report is issued for the period");
    }

    function test_withdrawReport__by_another_verifier_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        address otherVerifier = address(0x0BE2);
        vm.prank(admin);
        registry.grantRole(TanhuiRoles.VERIFIER, otherVerifier);
        _expectUnauthorized(otherVerifier, TanhuiRoles.SUPERVISOR);
        vm.prank(otherVerifier);
        credits.withdrawReport(REPORT, "not mine");
    }

    function test_withdrawReport__by_outsider_or_issuer_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        address[3] memory callers = [outsider, issuer, owner];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectUnauthorized(callers[i], TanhuiRoles.SUPERVISOR);
            vm.prank(callers[i]);
            credits.withdrawReport(REPORT, "no");
        }
    }

    function test_withdrawReport__by_its_verifier_after_losing_the_role_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.VERIFIER, verifier);
        _expectUnauthorized(verifier, TanhuiRoles.VERIFIER);
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "too late");
    }

    function test_withdrawReport__of_unverified_report_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportNotVerified.selector, REPORT));
        vm.prank(supervisor);
        credits.withdrawReport(REPORT, "never verified");
        // For anyone but a supervisor, an unknown report has no verifier to match.
        _expectUnauthorized(verifier, TanhuiRoles.SUPERVISOR);
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "never verified");
    }

    function test_withdrawReport__of_issued_report_reverts() public {
        uint256 batchId = _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportAlreadyIssued.selector, REPORT, batchId));
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "too late: invalidate instead");
        vm.assertFalse(credits.isReportWithdrawn(REPORT), "not withdrawn");
    }

    function test_withdrawReport__twice_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "sampling error found");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsReportWithdrawn.selector, REPORT));
        vm.prank(supervisor);
        credits.withdrawReport(REPORT, "again");
    }

    function test_withdrawReport__empty_reason_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        _expectRevert(ITanhuiCredits.CreditsEmptyReason.selector);
        vm.prank(verifier);
        credits.withdrawReport(REPORT, "");
    }

    function test_withdrawReport__reason_longer_than_4000_bytes_reverts() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiCredits.CreditsTextTooLong.selector, "reason", uint256(4001), uint256(4000))
        );
        vm.prank(verifier);
        credits.withdrawReport(REPORT, string(new bytes(4001)));
        vm.prank(verifier);
        credits.withdrawReport(REPORT, string(new bytes(4000)));
        vm.assertTrue(credits.isReportWithdrawn(REPORT), "4000 bytes accepted");
    }

    // ----------------------------------------------------------------------------------------
    // batch view
    // ----------------------------------------------------------------------------------------

    function test_batch__unknown_id_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(0)));
        credits.batch(0);
        _verifyAndIssue(REPORT, JAN_2025, APR_2025, 10);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(2)));
        credits.batch(2);
    }

    function test_batchOfReport__unissued_report_is_zero() public {
        _verify(REPORT, JAN_2025, APR_2025, 10);
        vm.assertEq(credits.batchOfReport(REPORT), 0, "not issued");
        vm.assertEq(credits.batchCount(), 0, "no batch");
    }
}
