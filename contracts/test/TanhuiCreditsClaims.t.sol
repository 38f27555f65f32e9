// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";

/// @dev Carbon-neutrality claims (R14): per-event totals of the credits retired against an event,
/// and the issuer's closing of the event's claim once they cover its verified footprint.
contract TanhuiCreditsClaimsTest is Fixture {
    bytes32 internal constant EVENT = keccak256("chengdu-marathon-2025");
    bytes32 internal constant OTHER_EVENT = keccak256("shanghai-expo-2026");
    bytes32 internal constant FOOTPRINT_HASH = keccak256("marathon footprint report v3");
    uint256 internal batchId;
    uint256 internal otherBatch;

    function setUp() public override {
        super.setUp();
        batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000);
        otherBatch = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 500);
        _transfer(owner, buyer, batchId, 400);
        _transfer(owner, buyer, otherBatch, 100);
    }

    // ----------------------------------------------------------------------------------------
    // Per-event totals
    // ----------------------------------------------------------------------------------------

    function test_eventAccount__unknown_event_is_all_zero() public view {
        ITanhuiCredits.EventAccount memory a = credits.eventAccount(EVENT);
        vm.assertEq(a.retiredKg, 0, "retiredKg");
        vm.assertEq(a.footprintKg, 0, "footprintKg");
        vm.assertEq(a.requiredKg, 0, "requiredKg");
        vm.assertEq(a.closedAt, 0, "closedAt");
        vm.assertEq(a.closedBlock, 0, "closedBlock");
        vm.assertEq(a.footprintHash, bytes32(0), "footprintHash");
    }

    function test_retire__totals_accumulate_across_holders_and_batches() public {
        _retireFor(owner, batchId, 100, EVENT);
        _retireFor(buyer, batchId, 40, EVENT);
        _retireFor(owner, otherBatch, 7, EVENT);
        _retireFor(buyer, otherBatch, 3, EVENT);
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, 150, "sum over holders and batches");
        vm.assertEq(credits.eventAccount(OTHER_EVENT).retiredKg, 0, "other event untouched");
        vm.assertEq(credits.eventAccount(EVENT).closedAt, 0, "still open");
    }

    function test_retire__events_are_kept_apart() public {
        _retireFor(owner, batchId, 100, EVENT);
        _retireFor(owner, batchId, 25, OTHER_EVENT);
        _retireFor(buyer, otherBatch, 5, OTHER_EVENT);
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, 100, "event");
        vm.assertEq(credits.eventAccount(OTHER_EVENT).retiredKg, 30, "other event");
    }

    function test_retire__zero_event_id_counts_for_no_event() public {
        _retireFor(owner, batchId, 100, bytes32(0));
        _retireFor(buyer, batchId, 50, bytes32(0));
        vm.assertEq(credits.eventAccount(bytes32(0)).retiredKg, 0, "no account for event id 0");
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, 0, "nor for any other event");
        vm.assertEq(credits.batch(batchId).retired, 150, "the retirements themselves happened");
    }

    function test_retire__a_reverted_retirement_adds_nothing() public {
        _retireFor(owner, batchId, 100, EVENT);
        ITanhuiCredits.RetirementDetails memory details = _eventDetails(EVENT);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, buyer, batchId, uint256(400), uint256(401)
            )
        );
        vm.prank(buyer);
        credits.retire(batchId, 401, details);
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, 100, "unchanged");
    }

    // ----------------------------------------------------------------------------------------
    // Closing a claim
    // ----------------------------------------------------------------------------------------

    function test_closeClaim__exactly_covered_records_and_emits() public {
        _retireFor(owner, batchId, 100, EVENT);
        _retireFor(buyer, otherBatch, 20, EVENT);
        vm.warp(DEPLOYED_AT + 3 days);
        vm.roll(7_777);

        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.ClaimClosed(EVENT, 110, 120, 120, FOOTPRINT_HASH);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 110, 120, FOOTPRINT_HASH);

        ITanhuiCredits.EventAccount memory a = credits.eventAccount(EVENT);
        vm.assertEq(a.retiredKg, 120, "retiredKg");
        vm.assertEq(a.footprintKg, 110, "footprintKg");
        vm.assertEq(a.requiredKg, 120, "requiredKg");
        vm.assertEq(a.closedAt, DEPLOYED_AT + 3 days, "closedAt");
        vm.assertEq(a.closedBlock, 7_777, "closedBlock");
        vm.assertEq(a.footprintHash, FOOTPRINT_HASH, "footprintHash");
    }

    function test_closeClaim__more_than_covered_keeps_the_retired_total() public {
        _retireFor(owner, batchId, 300, EVENT);
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.ClaimClosed(EVENT, 200, 200, 300, FOOTPRINT_HASH);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 200, 200, FOOTPRINT_HASH);
        ITanhuiCredits.EventAccount memory a = credits.eventAccount(EVENT);
        vm.assertEq(a.retiredKg, 300, "retiredKg");
        vm.assertEq(a.footprintKg, 200, "footprintKg");
        vm.assertEq(a.requiredKg, 200, "requiredKg equals the footprint without a buffer");
    }

    function test_closeClaim__short_by_one_kg_reverts() public {
        _retireFor(owner, batchId, 100, EVENT);
        _retireFor(buyer, batchId, 19, EVENT);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiCredits.CreditsClaimNotCovered.selector, EVENT, uint64(119), uint64(120))
        );
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 120, FOOTPRINT_HASH);
        vm.assertEq(credits.eventAccount(EVENT).closedAt, 0, "still open");
        // One more kilogram and it closes.
        _retireFor(buyer, batchId, 1, EVENT);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 120, FOOTPRINT_HASH);
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, 120, "retiredKg");
    }

    function test_closeClaim__nothing_retired_is_not_covered() public {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiCredits.CreditsClaimNotCovered.selector, EVENT, uint64(0), uint64(1))
        );
        vm.prank(issuer);
        credits.closeClaim(EVENT, 1, 1, FOOTPRINT_HASH);
    }

    function test_closeClaim__required_below_footprint_reverts() public {
        _retireFor(owner, batchId, 500, EVENT);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsRequiredBelowFootprint.selector, uint64(200), uint64(199)
            )
        );
        vm.prank(issuer);
        credits.closeClaim(EVENT, 200, 199, FOOTPRINT_HASH);
    }

    function test_closeClaim__zero_footprint_reverts() public {
        _retireFor(owner, batchId, 500, EVENT);
        _expectRevert(ITanhuiCredits.CreditsZeroFootprint.selector);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 0, 100, FOOTPRINT_HASH);
    }

    function test_closeClaim__zero_event_id_reverts() public {
        _retireFor(owner, batchId, 500, bytes32(0));
        _expectRevert(ITanhuiCredits.CreditsZeroEventId.selector);
        vm.prank(issuer);
        credits.closeClaim(bytes32(0), 100, 100, FOOTPRINT_HASH);
    }

    function test_closeClaim__required_above_the_storage_bound_reverts() public {
        uint64 max = credits.MAX_CLAIM_KG();
        vm.assertEq(max, type(uint56).max, "MAX_CLAIM_KG");
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiCredits.CreditsClaimTooLarge.selector, max + 1, max)
        );
        vm.prank(issuer);
        credits.closeClaim(EVENT, 1, max + 1, FOOTPRINT_HASH);
    }

    function test_closeClaim__twice_reverts() public {
        _retireFor(owner, batchId, 500, EVENT);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 400, 450, FOOTPRINT_HASH);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsClaimClosed.selector, EVENT));
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 100, keccak256("a smaller footprint"));
        ITanhuiCredits.EventAccount memory a = credits.eventAccount(EVENT);
        vm.assertEq(a.footprintKg, 400, "first closing stands");
        vm.assertEq(a.footprintHash, FOOTPRINT_HASH, "first hash stands");
    }

    function test_retire__against_a_closed_event_reverts() public {
        _retireFor(owner, batchId, 500, EVENT);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 500, 500, FOOTPRINT_HASH);

        ITanhuiCredits.RetirementDetails memory details = _eventDetails(EVENT);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsClaimClosed.selector, EVENT));
        vm.prank(buyer);
        credits.retire(batchId, 1, details);
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, 500, "retiredKg frozen at closing");
        vm.assertEq(credits.balanceOf(buyer, batchId), 400, "nothing burnt");

        // Other events and plain retirements go on.
        _retireFor(buyer, batchId, 1, OTHER_EVENT);
        _retireFor(buyer, batchId, 1, bytes32(0));
        vm.assertEq(credits.eventAccount(OTHER_EVENT).retiredKg, 1, "other event");
    }

    function test_closeClaim__only_the_issuer() public {
        _retireFor(owner, batchId, 500, EVENT);
        address[5] memory callers = [owner, supervisor, registrar, admin, verifier];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectUnauthorized(callers[i], TanhuiRoles.ISSUER);
            vm.prank(callers[i]);
            credits.closeClaim(EVENT, 100, 100, FOOTPRINT_HASH);
        }
        // An issuer whose role was revoked no longer closes claims.
        vm.prank(admin);
        registry.revokeRole(TanhuiRoles.ISSUER, issuer);
        _expectUnauthorized(issuer, TanhuiRoles.ISSUER);
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 100, FOOTPRINT_HASH);
    }

    function test_closeClaim__not_while_paused() public {
        _retireFor(owner, batchId, 500, EVENT);
        _pauseCredits();
        _expectPaused();
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 100, FOOTPRINT_HASH);
        vm.prank(pauser);
        credits.unpause();
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 100, FOOTPRINT_HASH);
        vm.assertGt(credits.eventAccount(EVENT).closedAt, 0, "closed after unpausing");
    }

    function test_closeClaim__works_while_the_registry_is_paused() public {
        _retireFor(owner, batchId, 500, EVENT);
        _pauseRegistry();
        vm.prank(issuer);
        credits.closeClaim(EVENT, 100, 100, FOOTPRINT_HASH);
        vm.assertGt(credits.eventAccount(EVENT).closedAt, 0, "closed");
    }

    // ----------------------------------------------------------------------------------------
    // Fuzz
    // ----------------------------------------------------------------------------------------

    /// @dev Up to eight retirements by either holder from either batch, each against EVENT,
    /// OTHER_EVENT or no event: each event's total is the sum of the amounts retired against it.
    function testFuzz_retire__event_total_is_the_sum_retired_against_it(uint256[8] memory seeds) public {
        uint256 totalEvent;
        uint256 totalOther;
        for (uint256 i = 0; i < seeds.length; ++i) {
            address holder = seeds[i] & 1 == 0 ? owner : buyer;
            uint256 id = (seeds[i] >> 1) & 1 == 0 ? batchId : otherBatch;
            uint256 which = bound((seeds[i] >> 2) & 0xff, 0, 2);
            bytes32 eventId = which == 0 ? EVENT : which == 1 ? OTHER_EVENT : bytes32(0);
            uint256 balance = credits.balanceOf(holder, id);
            if (balance == 0) continue;
            // forge-lint: disable-next-line(unsafe-typecast) bounded by a balance of at most 1 000
            uint64 amount = uint64(bound(seeds[i] >> 16, 1, balance));
            _retireFor(holder, id, amount, eventId);
            if (which == 0) totalEvent += amount;
            else if (which == 1) totalOther += amount;
        }
        vm.assertEq(credits.eventAccount(EVENT).retiredKg, totalEvent, "event total");
        vm.assertEq(credits.eventAccount(OTHER_EVENT).retiredKg, totalOther, "other event total");
        vm.assertEq(credits.eventAccount(bytes32(0)).retiredKg, 0, "no account for event id 0");
    }

    /// @dev A claim closes exactly when the total covers the required amount.
    function testFuzz_closeClaim__closes_exactly_when_covered(uint64 retired, uint64 footprint, uint64 buffer)
        public
    {
        retired = uint64(bound(retired, 1, 1_000));
        footprint = uint64(bound(footprint, 1, 1_200));
        buffer = uint64(bound(buffer, 0, 200));
        uint64 required = footprint + buffer;
        _retireFor(owner, batchId, retired > 600 ? 600 : retired, EVENT);
        if (retired > 600) _retireFor(buyer, batchId, retired - 600, EVENT);
        if (retired < required) {
            vm.expectRevert(
                abi.encodeWithSelector(ITanhuiCredits.CreditsClaimNotCovered.selector, EVENT, retired, required)
            );
        }
        vm.prank(issuer);
        credits.closeClaim(EVENT, footprint, required, FOOTPRINT_HASH);
        vm.assertEq(credits.eventAccount(EVENT).closedAt != 0, retired >= required, "closed iff covered");
    }

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------

    function _eventDetails(bytes32 eventId) internal pure returns (ITanhuiCredits.RetirementDetails memory d) {
        d = _details("Chengdu Marathon 2025 Organising Committee");
        d.eventId = eventId;
    }

    function _retireFor(address holder, uint256 id, uint64 amount, bytes32 eventId) internal {
        ITanhuiCredits.RetirementDetails memory details = _eventDetails(eventId);
        vm.prank(holder);
        credits.retire(id, amount, details);
    }
}
