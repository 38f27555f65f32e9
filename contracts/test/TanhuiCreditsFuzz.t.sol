// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Fixture} from "./utils/Fixture.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";

/// @dev Property tests over fuzzed amounts, periods and sequences of retirements.
contract TanhuiCreditsFuzzTest is Fixture {
    uint64 internal constant DAY = 1 days;

    // ----------------------------------------------------------------------------------------
    // Issuance
    // ----------------------------------------------------------------------------------------

    function testFuzz_issue__mints_exactly_the_verified_amount(uint64 amount, uint64 start, uint64 length) public {
        amount = uint64(bound(amount, 1, MAX_AMOUNT));
        start = uint64(bound(start, PERIOD_FLOOR, block.timestamp - 1));
        length = uint64(bound(length, 1, block.timestamp - start));
        uint256 batchId = _verifyAndIssue(keccak256("report"), start, start + length, amount);

        vm.assertEq(credits.balanceOf(owner, batchId), amount, "balance");
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, amount, "issued");
        vm.assertEq(b.periodStart, start, "periodStart");
        vm.assertEq(b.periodEnd, start + length, "periodEnd");
        vm.assertEq(b.retired + b.invalidated, 0, "nothing out of circulation");
    }

    /// @dev Up to six reports on a 30-day grid, issued in fuzzed order: each is accepted exactly
    /// when it overlaps no period issued before it, and a rejection names the first such period.
    function testFuzz_issue__accepts_exactly_the_periods_that_overlap_nothing_issued(uint256[6] memory seeds) public {
        uint64[6] memory starts;
        uint64[6] memory ends;
        uint256 accepted;
        for (uint256 i = 0; i < seeds.length; ++i) {
            uint64 s = JAN_2025 + uint64(bound(seeds[i] & 0xffff, 0, 29)) * DAY;
            uint64 e = s + uint64(bound(seeds[i] >> 16, 1, 8)) * DAY;
            bytes32 reportHash = keccak256(abi.encode("report", i));
            _verify(reportHash, s, e, 1_000);

            (bool overlaps, uint64 hitStart, uint64 hitEnd) = _firstOverlap(starts, ends, accepted, s, e);
            if (overlaps) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        ITanhuiCredits.CreditsPeriodOverlaps.selector, PROJECT, s, e, hitStart, hitEnd
                    )
                );
                vm.prank(issuer);
                credits.issue(reportHash);
            } else {
                vm.prank(issuer);
                uint256 batchId = credits.issue(reportHash);
                starts[accepted] = s;
                ends[accepted] = e;
                ++accepted;
                vm.assertEq(batchId, accepted, "batch ids count accepted reports");
            }
        }
        vm.assertEq(credits.batchCount(), accepted, "batchCount");
        // Whatever was accepted is pairwise disjoint.
        for (uint256 i = 1; i <= accepted; ++i) {
            ITanhuiCredits.Batch memory a = credits.batch(i);
            for (uint256 j = i + 1; j <= accepted; ++j) {
                ITanhuiCredits.Batch memory b = credits.batch(j);
                vm.assertTrue(a.periodEnd <= b.periodStart || b.periodEnd <= a.periodStart, "disjoint periods");
            }
        }
    }

    function _firstOverlap(uint64[6] memory starts, uint64[6] memory ends, uint256 count, uint64 s, uint64 e)
        internal
        pure
        returns (bool, uint64, uint64)
    {
        for (uint256 k = 0; k < count; ++k) {
            if (s < ends[k] && starts[k] < e) return (true, starts[k], ends[k]);
        }
        return (false, 0, 0);
    }

    // ----------------------------------------------------------------------------------------
    // Retirement
    // ----------------------------------------------------------------------------------------

    /// @dev A fuzzed sequence of retirements by two holders: each certificate takes the next
    /// `amount` serials, so the blocks are contiguous, exclusive and cover exactly [1, retired].
    function testFuzz_retire__serial_blocks_are_contiguous_and_exclusive(uint64 issued, uint64[10] memory seeds)
        public
    {
        issued = uint64(bound(issued, 2, MAX_AMOUNT));
        uint256 batchId = _verifyAndIssue(keccak256("report"), JAN_2025, APR_2025, issued);
        _transfer(owner, buyer, batchId, issued / 2);

        uint256 nextSerial = 1;
        uint256 certificates;
        for (uint256 i = 0; i < seeds.length; ++i) {
            address holder = seeds[i] % 2 == 0 ? owner : buyer;
            uint256 balance = credits.balanceOf(holder, batchId);
            if (balance == 0) continue;
            // Mostly small retirements; now and then the whole balance.
            uint64 amount = uint64(seeds[i] % 7 == 0 ? balance : bound(seeds[i] >> 8, 1, balance));
            uint256 certificateId = _retire(holder, batchId, amount);
            ++certificates;

            ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
            vm.assertEq(certificateId, certificates, "certificate ids count up");
            vm.assertEq(r.serialFirst, nextSerial, "block starts right after the previous one");
            vm.assertEq(uint256(r.serialLast) - r.serialFirst + 1, amount, "block size is the amount");
            vm.assertEq(r.holder, holder, "holder");
            vm.assertEq(credits.balanceOf(holder, batchId), balance - amount, "balance burnt");
            nextSerial = uint256(r.serialLast) + 1;
        }

        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.retired, nextSerial - 1, "the blocks cover exactly [1, retired]");
        vm.assertEq(
            uint256(b.issued),
            credits.balanceOf(owner, batchId) + credits.balanceOf(buyer, batchId) + b.retired,
            "conservation"
        );
        // Re-read every certificate: earlier blocks are never rewritten.
        uint256 expectedFirst = 1;
        for (uint256 c = 1; c <= certificates; ++c) {
            ITanhuiCredits.Retirement memory r = credits.retirement(c);
            vm.assertEq(r.serialFirst, expectedFirst, "stored blocks stay contiguous");
            expectedFirst = uint256(r.serialLast) + 1;
        }
    }

    function testFuzz_retire__more_than_balance_reverts(uint64 issued, uint64 excess) public {
        issued = uint64(bound(issued, 1, MAX_AMOUNT));
        excess = uint64(bound(excess, 1, type(uint64).max - issued));
        uint256 batchId = _verifyAndIssue(keccak256("report"), JAN_2025, APR_2025, issued);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector,
                owner,
                batchId,
                uint256(issued),
                uint256(issued) + excess
            )
        );
        _retire(owner, batchId, issued + excess);
    }

    // ----------------------------------------------------------------------------------------
    // Conservation
    // ----------------------------------------------------------------------------------------

    function testFuzz_transfer_retire_invalidate__conserve_the_batch(
        uint64 issued,
        uint64 moved,
        uint64 retiredByBuyer,
        uint64 invalidated
    ) public {
        issued = uint64(bound(issued, 3, MAX_AMOUNT));
        moved = uint64(bound(moved, 1, issued - 1));
        retiredByBuyer = uint64(bound(retiredByBuyer, 1, moved));
        invalidated = uint64(bound(invalidated, 1, issued - moved));

        uint256 batchId = _verifyAndIssue(keccak256("report"), JAN_2025, APR_2025, issued);
        _transfer(owner, buyer, batchId, moved);
        _retire(buyer, batchId, retiredByBuyer);
        vm.prank(supervisor);
        credits.invalidate(owner, batchId, invalidated, "overstated");

        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, issued, "issued");
        vm.assertEq(b.retired, retiredByBuyer, "retired");
        vm.assertEq(b.invalidated, invalidated, "invalidated");
        vm.assertEq(credits.balanceOf(owner, batchId), uint256(issued) - moved - invalidated, "owner");
        vm.assertEq(credits.balanceOf(buyer, batchId), uint256(moved) - retiredByBuyer, "buyer");
        address[] memory holders = new address[](2);
        holders[0] = owner;
        holders[1] = buyer;
        _assertConserved(batchId, holders);
    }

    function testFuzz_transfer__to_an_unregistered_account_always_reverts(address to, uint64 amount) public {
        vm.assume(to != address(0) && to != owner && to != buyer);
        uint256 batchId = _verifyAndIssue(keccak256("report"), JAN_2025, APR_2025, 1_000);
        amount = uint64(bound(amount, 1, 1_000));
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, to));
        _transfer(owner, to, batchId, amount);
    }

    /// @dev Random senders, ids and values: a transfer succeeds only from a registered sender,
    /// of an issued batch, for a non-zero value within the balance; anything else reverts with
    /// the first failed check's exact error, and no balance moves.
    function testFuzz_safeTransferFrom__succeeds_only_for_issued_id_non_zero_value_and_registered_sender(
        uint256 senderSeed,
        address stranger,
        uint256 idSeed,
        uint256 value
    ) public {
        address suspended = address(0x5005);
        _registerParticipant(suspended);
        uint256 batchId = _verifyAndIssue(keccak256("report"), JAN_2025, APR_2025, 1_000);
        _transfer(owner, buyer, batchId, 300);
        _transfer(owner, suspended, batchId, 200);
        _suspend(suspended);

        address[4] memory senders = [owner, buyer, suspended, stranger];
        address from = senders[senderSeed % 4];
        vm.assume(from != address(0) && from != address(vm));
        // The issued batch half the time; otherwise the next id or any id at all.
        uint256 id = idSeed % 2 == 0 ? batchId : (idSeed % 4 == 1 ? batchId + 1 : idSeed >> 2);
        // Zero, within the balance, or just above it; now and then anything.
        if (value % 8 != 7) value = bound(value, 0, credits.balanceOf(from, id) + 1);
        _checkTransfer(from, from == owner ? buyer : owner, id, value, id == batchId);
    }

    function _checkTransfer(address from, address to, uint256 id, uint256 value, bool issued) internal {
        uint256 balance = credits.balanceOf(from, id);
        bool registered = registry.participant(from).status != ITanhuiRegistry.ParticipantStatus.None;
        bytes memory expected;
        if (!registered) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, from);
        } else if (value == 0) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsZeroAmount.selector);
        } else if (!issued) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, id);
        } else if (value > balance) {
            expected =
                abi.encodeWithSelector(IERC1155Errors.ERC1155InsufficientBalance.selector, from, balance, value, id);
        }

        uint256 toBefore = credits.balanceOf(to, id);
        vm.prank(from);
        (bool ok, bytes memory returned) =
            address(credits).call(abi.encodeCall(credits.safeTransferFrom, (from, to, id, value, "")));
        vm.assertEq(ok, registered && value != 0 && issued && value <= balance, "the rule");
        if (ok) {
            vm.assertEq(credits.balanceOf(to, id), toBefore + value, "received");
        } else {
            vm.assertEq(returned, expected, "the first failed check's error");
            vm.assertEq(credits.balanceOf(from, id), balance, "nothing moved");
            vm.assertEq(credits.balanceOf(to, id), toBefore, "nothing received");
        }
    }
}
