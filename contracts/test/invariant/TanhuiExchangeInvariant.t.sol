// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "../utils/Fixture.sol";
import {ExchangeHandler} from "./ExchangeHandler.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiExchange} from "../../src/interfaces/ITanhuiExchange.sol";

/// @dev Invariants of TanhuiExchange with TanhuiCredits under random sequences of list / cancel /
/// settle (with and without buy-and-retire) / halt / post band / advance the clock / retire /
/// invalidate / freeze / suspend / pause driven by {ExchangeHandler}.
///
/// Actors: the project owner, two more registered holders and one account never registered;
/// three batches, spread among the registered actors. The handler never reverts (it predicts each
/// outcome and records mismatches), so the runner fails on any revert: a revert is a handler bug.
///
/// forge-config: default.invariant.fail-on-revert = true
contract TanhuiExchangeInvariantTest is Fixture {
    ExchangeHandler internal handler;
    uint256 internal constant BATCHES = 3;

    function setUp() public override {
        super.setUp();
        address holder = address(0xC1);
        _registerParticipant(holder);
        _verifyAndIssue(keccak256("report-1"), JAN_2025, MAR_2025, 400_000);
        _verifyAndIssue(keccak256("report-2"), MAR_2025, MAY_2025, 300_000);
        _verifyAndIssue(keccak256("report-3"), MAY_2025, JUL_2025, 200_000);
        for (uint256 b = 1; b <= BATCHES; ++b) {
            _transfer(owner, buyer, b, 50_000);
            _transfer(owner, holder, b, 30_000);
        }

        address[] memory actorList = new address[](4);
        actorList[0] = owner;
        actorList[1] = buyer;
        actorList[2] = holder;
        actorList[3] = outsider;
        handler = new ExchangeHandler(
            registry, credits, market, [exchange, issuer, supervisor, pauser, registrar], actorList, BATCHES
        );
        // Start with a band for today and a listing of each batch.
        handler.postBand(1);
        for (uint256 b = 0; b < BATCHES; ++b) {
            handler.list(1, b, 8 * 1_000 + 1);
        }
        vm.assertEq(handler.mismatches(), 0, "setUp as modelled");

        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = ExchangeHandler.list.selector;
        selectors[1] = ExchangeHandler.cancel.selector;
        selectors[2] = ExchangeHandler.settle.selector;
        selectors[3] = ExchangeHandler.settle.selector;
        selectors[4] = ExchangeHandler.haltType.selector;
        selectors[5] = ExchangeHandler.haltBatch.selector;
        selectors[6] = ExchangeHandler.postBand.selector;
        selectors[7] = ExchangeHandler.advanceTime.selector;
        selectors[8] = ExchangeHandler.retire.selector;
        selectors[9] = ExchangeHandler.invalidate.selector;
        selectors[10] = ExchangeHandler.toggleFrozen.selector;
        selectors[11] = ExchangeHandler.toggleSuspension.selector;
        selectors[12] = ExchangeHandler.togglePause.selector;
        targetSelector(address(handler), selectors);
    }

    /// @dev Every call did what the model predicted, and the counters equal the model's.
    function invariant_exchange_calls_match_the_model() public view {
        vm.assertEq(handler.mismatches(), 0, handler.firstMismatch());
        vm.assertEq(market.listingCount(), handler.ghostListingCount(), "listing count");
        vm.assertEq(market.tradeCount(), handler.ghostTradeCount(), "trade count");
    }

    /// @dev Per batch: issued == participants' balances + escrow + retired + invalidated; the
    /// escrow's balance == the remaining of the batch's open listings == listed in − cancelled out
    /// − settled out (listed credits leave escrow only by cancellation or settlement).
    function invariant_escrow_conservation_per_batch() public view {
        address[] memory actorList = handler.actors();
        for (uint256 b = 1; b <= BATCHES; ++b) {
            ITanhuiCredits.Batch memory info = credits.batch(b);
            uint256 held;
            for (uint256 i = 0; i < actorList.length; ++i) {
                held += credits.balanceOf(actorList[i], b);
            }
            uint256 escrowed = credits.balanceOf(address(market), b);
            vm.assertEq(
                uint256(info.issued),
                held + escrowed + info.retired + info.invalidated,
                "issued == held + escrowed + retired + invalidated"
            );
            uint256 open;
            uint256 count = market.listingCount();
            for (uint256 id = 1; id <= count; ++id) {
                ITanhuiExchange.Listing memory l = market.listing(id);
                if (l.batchId == b && l.state == ITanhuiExchange.ListingState.Open) open += l.remaining;
            }
            vm.assertEq(escrowed, open, "escrow == remaining of open listings");
            vm.assertEq(
                escrowed + handler.ghostCancelledOut(b) + handler.ghostSettledOut(b),
                handler.ghostListedIn(b),
                "escrow == listed - cancelled - settled"
            );
        }
    }

    /// @dev Each trade reference settled once: trade i is the one its reference names, and
    /// references of different trades differ.
    function invariant_each_trade_ref_settles_once() public view {
        uint256 count = market.tradeCount();
        bytes32[] memory refs = handler.refs();
        vm.assertEq(refs.length, count, "one reference per trade");
        for (uint256 t = 1; t <= count; ++t) {
            bytes32 ref = market.trade(t).tradeRef;
            vm.assertEq(ref, refs[t - 1], "the trade's reference");
            vm.assertEq(market.tradeOf(ref), t, "the reference names this trade");
            vm.assertNotEq(uint256(ref), 0, "no zero reference");
        }
    }

    /// @dev A listing's remaining never increases, never exceeds its amount, and a filled listing has none left.
    function invariant_listing_remaining_never_increases() public view {
        vm.assertFalse(handler.ghostRemainingIncreased(), "a listing's remaining went up");
        uint256 count = market.listingCount();
        for (uint256 id = 1; id <= count; ++id) {
            ITanhuiExchange.Listing memory l = market.listing(id);
            vm.assertLe(l.remaining, l.amount, "remaining <= amount");
            if (l.state == ITanhuiExchange.ListingState.Filled) vm.assertEq(l.remaining, 0, "filled means empty");
            if (l.state == ITanhuiExchange.ListingState.Open) vm.assertGt(l.remaining, 0, "open means something left");
        }
    }
}
