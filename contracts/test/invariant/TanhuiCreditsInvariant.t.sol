// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {CreditsHandler} from "./CreditsHandler.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";

/// @dev Invariants of TanhuiCredits under random sequences of issue / transfer (by holders and
/// operators, with zero values and unissued ids) / approve / withdraw report / retire /
/// invalidate / freeze / unfreeze / pause / suspend driven by {CreditsHandler}.
///
/// Actors: the owners of two projects, two more registered holders (one starts suspended) and
/// two accounts that are never registered. The handler never reverts (it predicts each outcome
/// and records mismatches), so the runner fails on any revert: a revert is a handler bug.
///
/// forge-config: default.invariant.fail-on-revert = true
contract TanhuiCreditsInvariantTest is Fixture {
    bytes32 internal constant SECOND_PROJECT = keccak256("project-2");

    CreditsHandler internal handler;
    address[] internal _unregistered;

    function setUp() public override {
        super.setUp();
        address holder = address(0xC1);
        address suspended = address(0xC2);
        address stranger = address(0xC3);
        _registerParticipant(holder);
        _registerParticipant(suspended);
        _suspend(suspended);
        vm.prank(registrar);
        registry.registerProject(SECOND_PROJECT, buyer, METHODOLOGY, VERSION, keccak256("pdd-2"));

        address[] memory actorList = new address[](6);
        actorList[0] = owner;
        actorList[1] = buyer;
        actorList[2] = holder;
        actorList[3] = suspended;
        actorList[4] = outsider;
        actorList[5] = stranger;
        _unregistered.push(outsider);
        _unregistered.push(stranger);

        bytes32[] memory projectList = new bytes32[](2);
        projectList[0] = PROJECT;
        projectList[1] = SECOND_PROJECT;

        handler = new CreditsHandler(
            registry, credits, [verifier, issuer, supervisor, pauser, registrar], actorList, projectList
        );
        // Start every run with credits in circulation: two issued batches per project.
        handler.issue(0, 0, 9, 400_000);
        handler.issue(0, 20, 9, 300_000);
        handler.issue(1, 5, 9, 200_000);
        handler.issue(1, 40, 9, 100_000);
        vm.assertEq(handler.mismatches(), 0, "setUp issuance as modelled");
        vm.assertEq(credits.batchCount(), 4, "four batches to start with");

        // The handler drives registry and credits with the role accounts' pranks; nothing else is fuzzed.
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](15);
        selectors[0] = CreditsHandler.issue.selector;
        selectors[1] = CreditsHandler.reissue.selector;
        selectors[2] = CreditsHandler.transfer.selector;
        selectors[3] = CreditsHandler.transferBatch.selector;
        selectors[4] = CreditsHandler.retire.selector;
        selectors[5] = CreditsHandler.invalidate.selector;
        selectors[6] = CreditsHandler.freezeAccount.selector;
        selectors[7] = CreditsHandler.unfreezeAccount.selector;
        selectors[8] = CreditsHandler.freezeBatch.selector;
        selectors[9] = CreditsHandler.unfreezeBatch.selector;
        selectors[10] = CreditsHandler.togglePause.selector;
        selectors[11] = CreditsHandler.toggleSuspension.selector;
        selectors[12] = CreditsHandler.transferByOperator.selector;
        selectors[13] = CreditsHandler.approve.selector;
        selectors[14] = CreditsHandler.withdrawReport.selector;
        targetSelector(address(handler), selectors);
    }

    /// @dev Every call did what the model predicted: success, or the exact error with its arguments.
    function invariant_calls_match_the_model() public view {
        vm.assertEq(handler.mismatches(), 0, handler.firstMismatch());
        vm.assertEq(credits.batchCount(), handler.ghostBatchCount(), "batch count");
        vm.assertEq(credits.certificateCount(), handler.ghostCertificateCount(), "certificate count");
        vm.assertEq(credits.paused(), handler.ghostPaused(), "paused");
    }

    /// @dev (a) Conservation per batch: issued == sum of all actors' balances + retired + invalidated,
    /// and every counter and balance equals the model's.
    function invariant_conservation_per_batch() public view {
        address[] memory actorList = handler.actors();
        uint256 count = credits.batchCount();
        for (uint256 b = 1; b <= count; ++b) {
            ITanhuiCredits.Batch memory info = credits.batch(b);
            uint256 held;
            for (uint256 i = 0; i < actorList.length; ++i) {
                uint256 balance = credits.balanceOf(actorList[i], b);
                vm.assertEq(balance, handler.ghostBalance(actorList[i], b), "balance matches the model");
                held += balance;
            }
            vm.assertEq(
                uint256(info.issued), held + info.retired + info.invalidated, "issued == held + retired + invalidated"
            );
            vm.assertEq(info.issued, handler.ghostIssued(b), "issued matches the model");
            vm.assertEq(info.retired, handler.ghostRetired(b), "retired matches the model");
            vm.assertEq(info.invalidated, handler.ghostInvalidated(b), "invalidated matches the model");
            vm.assertEq(info.frozen, handler.ghostBatchFrozen(b), "frozen flag matches the model");
        }
    }

    /// @dev (b) Within each batch the certificates' serial blocks never overlap and together
    /// cover exactly [1, retired].
    function invariant_serial_blocks_partition_the_retired_credits() public view {
        uint256 batches = credits.batchCount();
        uint256 certificates = credits.certificateCount();
        ITanhuiCredits.Retirement[] memory all = new ITanhuiCredits.Retirement[](certificates);
        for (uint256 c = 1; c <= certificates; ++c) {
            all[c - 1] = credits.retirement(c);
        }
        for (uint256 b = 1; b <= batches; ++b) {
            uint256 retired = credits.batch(b).retired;
            uint256 covered;
            for (uint256 i = 0; i < all.length; ++i) {
                if (all[i].batchId != b) continue;
                vm.assertGe(all[i].serialFirst, 1, "serials start at 1");
                vm.assertLe(all[i].serialFirst, all[i].serialLast, "non-empty block");
                vm.assertLe(all[i].serialLast, retired, "block within [1, retired]");
                covered += uint256(all[i].serialLast) - all[i].serialFirst + 1;
                for (uint256 j = i + 1; j < all.length; ++j) {
                    if (all[j].batchId != b) continue;
                    vm.assertTrue(
                        all[i].serialLast < all[j].serialFirst || all[j].serialLast < all[i].serialFirst,
                        "serial blocks of one batch never overlap"
                    );
                }
            }
            // Disjoint blocks inside [1, retired] whose sizes add up to retired cover it exactly.
            vm.assertEq(covered, retired, "serial blocks cover exactly [1, retired]");
        }
    }

    /// @dev (c) A batch's retired amount never decreases.
    function invariant_retired_never_decreases() public view {
        vm.assertFalse(handler.ghostRetiredDecreased(), "retired went down after some action");
        uint256 count = credits.batchCount();
        for (uint256 b = 1; b <= count; ++b) {
            vm.assertGe(credits.batch(b).retired, handler.ghostRetiredHighWater(b), "retired below its high-water mark");
        }
    }

    /// @dev (d) Only registered accounts ever hold credits.
    function invariant_only_registered_accounts_hold_credits() public view {
        address[] memory actorList = handler.actors();
        uint256 count = credits.batchCount();
        for (uint256 b = 1; b <= count; ++b) {
            for (uint256 i = 0; i < _unregistered.length; ++i) {
                vm.assertEq(credits.balanceOf(_unregistered[i], b), 0, "an unregistered account holds credits");
            }
            for (uint256 i = 0; i < actorList.length; ++i) {
                if (credits.balanceOf(actorList[i], b) == 0) continue;
                vm.assertTrue(
                    registry.participant(actorList[i]).status != ITanhuiRegistry.ParticipantStatus.None,
                    "a holder is not registered"
                );
            }
        }
    }

    /// @dev (f) Approvals equal the model's, and only ever went to active participants: an
    /// approval standing for an operator that is now suspended moves nothing (the model checks it).
    function invariant_approvals_match_the_model() public view {
        address[] memory actorList = handler.actors();
        for (uint256 i = 0; i < actorList.length; ++i) {
            for (uint256 j = 0; j < actorList.length; ++j) {
                bool approved = credits.isApprovedForAll(actorList[i], actorList[j]);
                vm.assertEq(approved, handler.ghostApproved(actorList[i], actorList[j]), "approval matches the model");
                if (approved) {
                    vm.assertTrue(
                        registry.participant(actorList[j]).status != ITanhuiRegistry.ParticipantStatus.None,
                        "an unregistered account is an operator"
                    );
                }
            }
        }
        for (uint256 i = 0; i < _unregistered.length; ++i) {
            for (uint256 j = 0; j < actorList.length; ++j) {
                vm.assertFalse(
                    credits.isApprovedForAll(_unregistered[i], actorList[j]), "an unregistered account approved"
                );
            }
        }
    }

    /// @dev (g) A withdrawn report is never issued, and no issued report is marked withdrawn.
    function invariant_withdrawn_reports_are_never_issued() public view {
        bytes32[] memory withdrawn = handler.withdrawnReports();
        for (uint256 i = 0; i < withdrawn.length; ++i) {
            vm.assertTrue(credits.isReportWithdrawn(withdrawn[i]), "withdrawn");
            vm.assertEq(credits.batchOfReport(withdrawn[i]), 0, "a withdrawn report has a batch");
        }
        uint256 count = credits.batchCount();
        for (uint256 b = 1; b <= count; ++b) {
            vm.assertFalse(credits.isReportWithdrawn(credits.batch(b).reportHash), "an issued report is withdrawn");
        }
    }

    /// @dev (e) No two issued batches of one project have overlapping periods.
    function invariant_issued_periods_of_a_project_never_overlap() public view {
        uint256 count = credits.batchCount();
        ITanhuiCredits.Batch[] memory batches = new ITanhuiCredits.Batch[](count);
        for (uint256 b = 1; b <= count; ++b) {
            batches[b - 1] = credits.batch(b);
        }
        for (uint256 i = 0; i < count; ++i) {
            for (uint256 j = i + 1; j < count; ++j) {
                if (batches[i].projectId != batches[j].projectId) continue;
                vm.assertTrue(
                    batches[i].periodEnd <= batches[j].periodStart || batches[j].periodEnd <= batches[i].periodStart,
                    "two batches of one project overlap"
                );
            }
        }
        vm.assertEq(
            handler.issuedPeriodCount(PROJECT) + handler.issuedPeriodCount(SECOND_PROJECT), count, "periods per batch"
        );
    }
}
