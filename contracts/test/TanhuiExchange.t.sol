// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Fixture} from "./utils/Fixture.sol";
import {TanhuiCredits} from "../src/TanhuiCredits.sol";
import {TanhuiExchange} from "../src/TanhuiExchange.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiExchange} from "../src/interfaces/ITanhuiExchange.sol";

/// @dev TanhuiExchange: listing into escrow, cancellation, settlement (partial fills, bands, block
/// trades, halts, buy-and-retire), the market rules, the escrow's receiver hooks, and the market's
/// standing in TanhuiCredits (setMarket, implicit operator, retireFor, escrow not invalidated).
contract TanhuiExchangeTest is Fixture {
    string internal constant REASON = "abnormal price movement";
    bytes32 internal constant REF = keccak256("SEEE-2026-000001");
    /// @dev The first second of the next CST trading day after DEPLOYED_AT: 16:00 UTC.
    uint256 internal constant NEXT_DAY_AT = 1_770_048_000;
    uint256 internal batchId;

    function setUp() public override {
        super.setUp();
        batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000_000);
    }

    // ----------------------------------------------------------------------------------------
    // Deployment and the market's standing in TanhuiCredits
    // ----------------------------------------------------------------------------------------

    function test_deploy__views() public view {
        vm.assertEq(address(market.registry()), address(registry), "registry");
        vm.assertEq(address(market.credits()), address(credits), "credits");
        vm.assertEq(credits.market(), address(market), "market set");
        vm.assertEq(market.listingCount(), 0, "no listings");
        vm.assertEq(market.tradeCount(), 0, "no trades");
        vm.assertEq(market.methodologyType(METHODOLOGY), PROJECT_TYPE, "methodology type");
        vm.assertEq(market.CST_OFFSET(), 8 hours, "CST offset");
        vm.assertEq(market.MAX_REASON_BYTES(), 4000, "reason bound");
        vm.assertTrue(market.supportsInterface(type(IERC1155Receiver).interfaceId), "ERC1155Receiver");
        vm.assertTrue(market.supportsInterface(type(IERC165).interfaceId), "ERC165");
        vm.assertFalse(market.supportsInterface(0xffffffff), "not 0xffffffff");
    }

    function test_setMarket__emits_and_sets_once() public {
        TanhuiCredits fresh = new TanhuiCredits(registry, "uri");
        vm.assertEq(fresh.market(), address(0), "none before");
        vm.expectEmit(true, true, true, true, address(fresh));
        emit ITanhuiCredits.MarketSet(address(market));
        vm.prank(admin);
        fresh.setMarket(address(market));
        vm.assertEq(fresh.market(), address(market), "set");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsMarketAlreadySet.selector, address(market)));
        vm.prank(admin);
        fresh.setMarket(address(credits));
    }

    function test_setMarket__twice_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsMarketAlreadySet.selector, address(market)));
        vm.prank(admin);
        credits.setMarket(address(registry));
    }

    function test_setMarket__not_a_contract_reverts() public {
        TanhuiCredits fresh = new TanhuiCredits(registry, "uri");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsNotAContract.selector, outsider));
        vm.prank(admin);
        fresh.setMarket(outsider);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsNotAContract.selector, address(0)));
        vm.prank(admin);
        fresh.setMarket(address(0));
    }

    function test_setMarket__non_admin_reverts() public {
        TanhuiCredits fresh = new TanhuiCredits(registry, "uri");
        address[3] memory callers = [outsider, exchange, supervisor];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectUnauthorized(callers[i], bytes32(0));
            vm.prank(callers[i]);
            fresh.setMarket(address(market));
        }
    }

    function test_isApprovedForAll__true_for_the_market_only() public view {
        vm.assertTrue(credits.isApprovedForAll(owner, address(market)), "owner");
        vm.assertTrue(credits.isApprovedForAll(outsider, address(market)), "even an unregistered holder");
        vm.assertFalse(credits.isApprovedForAll(owner, exchange), "the exchange account is no operator");
        vm.assertFalse(credits.isApprovedForAll(address(market), owner), "nobody operates for the market");
    }

    function test_isApprovedForAll__revoking_the_market_changes_nothing() public {
        vm.prank(owner);
        credits.setApprovalForAll(address(market), false);
        vm.assertTrue(credits.isApprovedForAll(owner, address(market)), "still the market");
    }

    function test_retireFor__anyone_but_the_market_reverts() public {
        _transfer(owner, buyer, batchId, 10);
        address[4] memory callers = [buyer, exchange, owner, admin];
        for (uint256 i = 0; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsOnlyMarket.selector, callers[i]));
            vm.prank(callers[i]);
            credits.retireFor(buyer, batchId, 10, _details("Chengdu"));
        }
        vm.assertEq(credits.balanceOf(buyer, batchId), 10, "nothing retired");
    }

    function test_retireFor__while_paused_reverts_before_the_caller_check() public {
        _pauseCredits();
        _expectPaused();
        vm.prank(outsider);
        credits.retireFor(buyer, batchId, 10, _details("Chengdu"));
    }

    function test_invalidate__escrow_reverts_CreditsEscrowed() public {
        _list(owner, batchId, 500);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsEscrowed.selector, batchId));
        vm.prank(supervisor);
        credits.invalidate(address(market), batchId, 100, REASON);
        // Checked before the balance: even more than escrow holds is refused as escrowed.
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsEscrowed.selector, batchId));
        vm.prank(supervisor);
        credits.invalidate(address(market), batchId, 600, REASON);
        vm.assertEq(credits.balanceOf(address(market), batchId), 500, "escrow untouched");
    }

    function test_invalidate__after_cancellation_works() public {
        uint256 listingId = _list(owner, batchId, 500);
        vm.prank(owner);
        market.cancel(listingId);
        vm.prank(supervisor);
        credits.invalidate(owner, batchId, 1_000_000, REASON);
        vm.assertEq(credits.batch(batchId).invalidated, 1_000_000, "invalidated once back with the seller");
    }

    function test_transfer__holder_cannot_push_to_the_market() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, owner));
        _transfer(owner, address(market), batchId, 10);
    }

    function test_transfer__holder_cannot_batch_push_to_the_market() public {
        uint256[] memory ids = new uint256[](1);
        ids[0] = batchId;
        uint256[] memory values = new uint256[](1);
        values[0] = 10;
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, owner));
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, address(market), ids, values, "");
    }

    function test_hooks__called_directly_revert() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, address(market)));
        vm.prank(outsider);
        market.onERC1155Received(address(market), owner, batchId, 1, "");
        uint256[] memory none = new uint256[](0);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, address(market)));
        vm.prank(address(credits));
        market.onERC1155BatchReceived(address(market), owner, none, none, "");
        // From the credits contract, with the market as operator, from escrow itself: refused too.
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, address(market)));
        vm.prank(address(credits));
        market.onERC1155Received(address(market), address(market), batchId, 1, "");
        vm.prank(address(credits));
        bytes4 answer = market.onERC1155Received(address(market), owner, batchId, 1, "");
        vm.assertEq(
            bytes32(answer), bytes32(IERC1155Receiver.onERC1155Received.selector), "accepts its own pull"
        );
    }

    function test_transfer__nobody_moves_escrow_but_the_market() public {
        _list(owner, batchId, 500);
        vm.expectRevert(
            abi.encodeWithSelector(IERC1155Errors.ERC1155MissingApprovalForAll.selector, exchange, address(market))
        );
        vm.prank(exchange);
        credits.safeTransferFrom(address(market), buyer, batchId, 1, "");
    }

    // ----------------------------------------------------------------------------------------
    // list
    // ----------------------------------------------------------------------------------------

    function test_list__escrows_records_and_emits() public {
        vm.warp(DEPLOYED_AT + 1 hours);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.Listed(1, owner, batchId, PROJECT_TYPE, 300_000);
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(address(market), owner, address(market), batchId, 300_000);
        uint256 listingId = _list(owner, batchId, 300_000);

        vm.assertEq(listingId, 1, "first listing id is 1");
        vm.assertEq(market.listingCount(), 1, "listingCount");
        ITanhuiExchange.Listing memory l = market.listing(listingId);
        vm.assertEq(l.seller, owner, "seller");
        vm.assertEq(l.batchId, batchId, "batchId");
        vm.assertEq(l.projectType, PROJECT_TYPE, "projectType");
        vm.assertEq(uint256(l.state), uint256(ITanhuiExchange.ListingState.Open), "open");
        vm.assertEq(l.amount, 300_000, "amount");
        vm.assertEq(l.remaining, 300_000, "remaining");
        vm.assertEq(l.listedAt, DEPLOYED_AT + 1 hours, "listedAt");
        vm.assertEq(credits.balanceOf(owner, batchId), 700_000, "seller balance");
        vm.assertEq(credits.balanceOf(address(market), batchId), 300_000, "escrow");
        _assertEscrowConserved();

        vm.assertEq(_list(owner, batchId, 1), 2, "ids count up");
        vm.assertEq(credits.balanceOf(address(market), batchId), 300_001, "escrow adds up");
    }

    function test_list__whole_balance() public {
        _list(owner, batchId, 1_000_000);
        vm.assertEq(credits.balanceOf(owner, batchId), 0, "nothing left");
        vm.assertEq(credits.balanceOf(address(market), batchId), 1_000_000, "all in escrow");
    }

    function test_list__zero_amount_reverts() public {
        _expectRevert(ITanhuiExchange.ExchangeZeroAmount.selector);
        _list(owner, batchId, 0);
    }

    function test_list__unknown_batch_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(2)));
        _list(owner, 2, 1);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(0)));
        _list(owner, 0, 1);
    }

    function test_list__no_project_type_reverts() public {
        vm.prank(registrar);
        market.setMethodologyType(METHODOLOGY, 0);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnknownProjectType.selector, METHODOLOGY));
        _list(owner, batchId, 1);
    }

    function test_list__frozen_seller_reverts() public {
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        _list(owner, batchId, 1);
    }

    function test_list__frozen_batch_reverts() public {
        _freezeBatch(batchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId));
        _list(owner, batchId, 1);
    }

    function test_list__unregistered_seller_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        _list(outsider, batchId, 1);
    }

    function test_list__suspended_seller_lists() public {
        _suspend(owner);
        _list(owner, batchId, 10);
        vm.assertEq(credits.balanceOf(address(market), batchId), 10, "a suspended participant still sells");
    }

    function test_list__paused_credits_reverts() public {
        _pauseCredits();
        _expectPaused();
        _list(owner, batchId, 1);
    }

    function test_list__more_than_balance_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC1155Errors.ERC1155InsufficientBalance.selector, owner, uint256(1_000_000), uint256(1_000_001), batchId
            )
        );
        _list(owner, batchId, 1_000_001);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC1155Errors.ERC1155InsufficientBalance.selector, buyer, uint256(0), uint256(1), batchId
            )
        );
        _list(buyer, batchId, 1);
    }

    function test_list__while_halted_is_allowed() public {
        vm.prank(supervisor);
        market.setTypeHalted(PROJECT_TYPE, true, REASON);
        vm.prank(supervisor);
        market.setBatchHalted(batchId, true, REASON);
        uint256 listingId = _list(owner, batchId, 10);
        vm.assertEq(uint256(market.listing(listingId).state), uint256(ITanhuiExchange.ListingState.Open), "open");
    }

    function test_list__failed_listing_leaves_no_trace() public {
        _freezeBatch(batchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId));
        _list(owner, batchId, 1);
        vm.assertEq(market.listingCount(), 0, "no listing");
        vm.assertEq(uint256(market.listing(1).state), uint256(ITanhuiExchange.ListingState.None), "none");
    }

    // ----------------------------------------------------------------------------------------
    // cancel
    // ----------------------------------------------------------------------------------------

    function test_cancel__by_the_seller_returns_and_emits() public {
        uint256 listingId = _list(owner, batchId, 300);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.ListingCancelled(listingId, owner, 300);
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(address(market), address(market), owner, batchId, 300);
        vm.prank(owner);
        market.cancel(listingId);
        ITanhuiExchange.Listing memory l = market.listing(listingId);
        vm.assertEq(uint256(l.state), uint256(ITanhuiExchange.ListingState.Cancelled), "cancelled");
        vm.assertEq(l.remaining, 300, "remaining keeps what was returned");
        vm.assertEq(l.amount, 300, "amount");
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000_000, "back with the seller");
        vm.assertEq(credits.balanceOf(address(market), batchId), 0, "escrow empty");
    }

    function test_cancel__by_the_exchange_and_a_supervisor() public {
        uint256 first = _list(owner, batchId, 300);
        uint256 second = _list(owner, batchId, 200);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.ListingCancelled(first, exchange, 300);
        vm.prank(exchange);
        market.cancel(first);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.ListingCancelled(second, supervisor, 200);
        vm.prank(supervisor);
        market.cancel(second);
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000_000, "both returned to the seller");
    }

    function test_cancel__by_an_outsider_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        address[3] memory callers = [outsider, buyer, issuer];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectUnauthorized(callers[i], TanhuiRoles.EXCHANGE);
            vm.prank(callers[i]);
            market.cancel(listingId);
        }
    }

    function test_cancel__twice_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        vm.prank(owner);
        market.cancel(listingId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, ITanhuiExchange.ListingState.Cancelled
            )
        );
        vm.prank(owner);
        market.cancel(listingId);
    }

    function test_cancel__unknown_listing_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeListingNotOpen.selector, uint256(7), ITanhuiExchange.ListingState.None
            )
        );
        vm.prank(exchange);
        market.cancel(7);
    }

    function test_cancel__after_fill_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _settle(REF, listingId, buyer, 300, 5_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, ITanhuiExchange.ListingState.Filled
            )
        );
        vm.prank(owner);
        market.cancel(listingId);
    }

    function test_cancel__partially_filled_returns_the_rest() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _settle(REF, listingId, buyer, 120, 5_000);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.ListingCancelled(listingId, owner, 180);
        vm.prank(owner);
        market.cancel(listingId);
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000_000 - 120, "rest back");
        vm.assertEq(credits.balanceOf(buyer, batchId), 120, "buyer keeps the fill");
        vm.assertEq(credits.balanceOf(address(market), batchId), 0, "escrow empty");
        vm.assertEq(market.listing(listingId).remaining, 180, "returned");
    }

    function test_cancel__while_halted_works() public {
        uint256 listingId = _list(owner, batchId, 300);
        vm.startPrank(supervisor);
        market.setTypeHalted(PROJECT_TYPE, true, REASON);
        market.setBatchHalted(batchId, true, REASON);
        vm.stopPrank();
        vm.prank(owner);
        market.cancel(listingId);
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000_000, "returned while halted");
    }

    function test_cancel__frozen_seller_reverts_until_unfrozen() public {
        uint256 listingId = _list(owner, batchId, 300);
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        vm.prank(supervisor);
        market.cancel(listingId);
        vm.prank(supervisor);
        credits.setAccountFrozen(owner, false, "dispute settled");
        vm.prank(supervisor);
        market.cancel(listingId);
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000_000, "returned once unfrozen");
    }

    function test_cancel__suspended_seller_reverts_until_active() public {
        uint256 listingId = _list(owner, batchId, 300);
        _suspend(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, owner));
        vm.prank(owner);
        market.cancel(listingId);
        vm.assertEq(uint256(market.listing(listingId).state), uint256(ITanhuiExchange.ListingState.Open), "still open");
    }

    function test_cancel__frozen_batch_or_paused_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _freezeBatch(batchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId));
        vm.prank(owner);
        market.cancel(listingId);
        _pauseCredits();
        _expectPaused();
        vm.prank(owner);
        market.cancel(listingId);
    }

    // ----------------------------------------------------------------------------------------
    // settle
    // ----------------------------------------------------------------------------------------

    function test_settle__delivers_records_and_emits() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.warp(DEPLOYED_AT + 2 hours);
        ITanhuiExchange.Settlement memory s = _settlement(REF, listingId, buyer, 120, 5_000);
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(address(market), address(market), buyer, batchId, 120);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.TradeSettled(1, REF, listingId, buyer, 120, 5_000, false, 0);
        vm.prank(exchange);
        (uint256 tradeId, uint256 certificateId) = market.settle(s, _details("ignored"));

        vm.assertEq(tradeId, 1, "first trade id");
        vm.assertEq(certificateId, 0, "no certificate");
        vm.assertEq(market.tradeCount(), 1, "tradeCount");
        vm.assertEq(market.tradeOf(REF), 1, "tradeOf");
        ITanhuiExchange.Trade memory t = market.trade(tradeId);
        vm.assertEq(t.tradeRef, REF, "tradeRef");
        vm.assertEq(t.listingId, listingId, "listingId");
        vm.assertEq(t.buyer, buyer, "buyer");
        vm.assertEq(t.settledAt, DEPLOYED_AT + 2 hours, "settledAt");
        vm.assertEq(t.amount, 120, "amount");
        vm.assertEq(t.priceFenPerTonne, 5_000, "price");
        vm.assertEq(t.certificateId, 0, "certificateId");
        vm.assertFalse(t.blockTrade, "not a block trade");
        ITanhuiExchange.Listing memory l = market.listing(listingId);
        vm.assertEq(l.remaining, 180, "remaining");
        vm.assertEq(uint256(l.state), uint256(ITanhuiExchange.ListingState.Open), "still open");
        vm.assertEq(credits.balanceOf(buyer, batchId), 120, "buyer");
        vm.assertEq(credits.balanceOf(address(market), batchId), 180, "escrow");
        vm.assertEq(credits.certificateCount(), 0, "nothing retired");
        _assertEscrowConserved();
    }

    function test_settle__partial_fills_then_filled() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _settle(keccak256("t1"), listingId, buyer, 100, 4_000);
        _settle(keccak256("t2"), listingId, buyer, 100, 6_000);
        vm.assertEq(market.listing(listingId).remaining, 100, "100 left");
        _settle(keccak256("t3"), listingId, buyer, 100, 5_000);
        ITanhuiExchange.Listing memory l = market.listing(listingId);
        vm.assertEq(l.remaining, 0, "nothing left");
        vm.assertEq(uint256(l.state), uint256(ITanhuiExchange.ListingState.Filled), "filled");
        vm.assertEq(credits.balanceOf(buyer, batchId), 300, "all delivered");
        vm.assertEq(credits.balanceOf(address(market), batchId), 0, "escrow empty");
        vm.assertEq(market.tradeCount(), 3, "three trades");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, ITanhuiExchange.ListingState.Filled
            )
        );
        _settle(keccak256("t4"), listingId, buyer, 1, 5_000);
    }

    function test_settle__buy_and_retire_certifies_the_buyer() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.roll(777);
        ITanhuiExchange.Settlement memory s = _settlement(REF, listingId, buyer, 120, 5_000);
        s.retire = true;
        ITanhuiCredits.RetirementDetails memory d = _details("Chengdu Marathon 2025 Organising Committee");
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(address(market), address(market), buyer, batchId, 120);
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(address(market), buyer, address(0), batchId, 120);
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.CreditsRetired(1, batchId, buyer, 120, 1, 120, d);
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.TradeSettled(1, REF, listingId, buyer, 120, 5_000, false, 1);
        vm.prank(exchange);
        (uint256 tradeId, uint256 certificateId) = market.settle(s, d);

        vm.assertEq(certificateId, 1, "certificate");
        vm.assertEq(market.trade(tradeId).certificateId, 1, "trade names the certificate");
        ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
        vm.assertEq(r.holder, buyer, "the buyer holds the certificate");
        vm.assertEq(r.batchId, batchId, "batch");
        vm.assertEq(r.serialFirst, 1, "serialFirst");
        vm.assertEq(r.serialLast, 120, "serialLast");
        vm.assertEq(r.blockNumber, 777, "block");
        vm.assertEq(uint256(r.purpose), uint256(d.purpose), "purpose");
        vm.assertEq(r.consumptionStart, CONSUMPTION_START, "consumptionStart");
        vm.assertEq(r.consumptionEnd, CONSUMPTION_END, "consumptionEnd");
        vm.assertEq(credits.balanceOf(buyer, batchId), 0, "retired at once");
        vm.assertEq(credits.batch(batchId).retired, 120, "retired");
        vm.assertEq(credits.eventAccount(d.eventId).retiredKg, 120, "counted for the event");
        _assertEscrowConserved();
    }

    function test_settle__buy_and_retire_with_bad_details_reverts_whole() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        ITanhuiExchange.Settlement memory s = _settlement(REF, listingId, buyer, 120, 5_000);
        s.retire = true;
        _expectRevert(ITanhuiCredits.CreditsEmptyBeneficiary.selector);
        vm.prank(exchange);
        market.settle(s, _details(""));
        vm.assertEq(market.tradeOf(REF), 0, "nothing recorded");
        vm.assertEq(market.listing(listingId).remaining, 300, "nothing taken");
    }

    function test_settle__only_the_exchange_role() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        address[4] memory callers = [owner, buyer, supervisor, issuer];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectUnauthorized(callers[i], TanhuiRoles.EXCHANGE);
            vm.prank(callers[i]);
            market.settle(_settlement(REF, listingId, buyer, 1, 5_000), _details("x"));
        }
    }

    function test_settle__zero_trade_ref_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _expectRevert(ITanhuiExchange.ExchangeZeroTradeRef.selector);
        _settle(bytes32(0), listingId, buyer, 1, 5_000);
    }

    function test_settle__used_trade_ref_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _settle(REF, listingId, buyer, 1, 5_000);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeTradeRefUsed.selector, REF, uint256(1)));
        _settle(REF, listingId, buyer, 1, 5_000);
        // Used once, whatever the listing.
        uint256 other = _list(owner, batchId, 10);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeTradeRefUsed.selector, REF, uint256(1)));
        _settle(REF, other, buyer, 1, 5_000);
    }

    function test_settle__listing_not_open_reverts() public {
        _postBand();
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeListingNotOpen.selector, uint256(1), ITanhuiExchange.ListingState.None
            )
        );
        _settle(REF, 1, buyer, 1, 5_000);
        uint256 listingId = _list(owner, batchId, 300);
        vm.prank(owner);
        market.cancel(listingId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, ITanhuiExchange.ListingState.Cancelled
            )
        );
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__zero_amount_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _expectRevert(ITanhuiExchange.ExchangeZeroAmount.selector);
        _settle(REF, listingId, buyer, 0, 5_000);
    }

    function test_settle__more_than_left_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeAmountExceedsListing.selector, listingId, uint64(300), uint64(301)
            )
        );
        _settle(REF, listingId, buyer, 301, 5_000);
        _settle(REF, listingId, buyer, 200, 5_000);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangeAmountExceedsListing.selector, listingId, uint64(100), uint64(101)
            )
        );
        _settle(keccak256("t2"), listingId, buyer, 101, 5_000);
    }

    function test_settle__buyer_is_seller_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeBuyerIsSeller.selector, owner));
        _settle(REF, listingId, owner, 1, 5_000);
    }

    function test_settle__buyer_unregistered_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        _settle(REF, listingId, outsider, 1, 5_000);
        vm.assertEq(market.tradeOf(REF), 0, "nothing recorded");
    }

    function test_settle__buyer_suspended_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _suspend(buyer);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, buyer));
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__buyer_frozen_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _freezeAccount(buyer);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, buyer));
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    /// @dev A settlement naming the escrow itself as the buyer would take credits off the listing
    /// and leave them in escrow, owned by no listing: the receiver hook refuses it.
    function test_settle__the_escrow_as_buyer_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, address(market)));
        _settle(REF, listingId, address(market), 100, 5_000);
        vm.assertEq(market.listing(listingId).remaining, 300, "nothing taken");
        _assertEscrowConserved();
    }

    function test_settle__seller_frozen_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeSellerFrozen.selector, owner));
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__suspended_seller_still_sells() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _suspend(owner);
        _settle(REF, listingId, buyer, 10, 5_000);
        vm.assertEq(credits.balanceOf(buyer, batchId), 10, "delivered");
    }

    function test_settle__batch_frozen_or_paused_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _freezeBatch(batchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId));
        _settle(REF, listingId, buyer, 1, 5_000);
        _pauseCredits();
        _expectPaused();
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__type_halted_reverts_then_resumes() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.prank(supervisor);
        market.setTypeHalted(PROJECT_TYPE, true, REASON);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiExchange.ExchangeTradingHalted.selector, PROJECT_TYPE, uint256(0))
        );
        _settle(REF, listingId, buyer, 1, 5_000);
        vm.prank(supervisor);
        market.setTypeHalted(PROJECT_TYPE, false, "resumed");
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__batch_halted_reverts_then_resumes() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.prank(supervisor);
        market.setBatchHalted(batchId, true, REASON);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeTradingHalted.selector, PROJECT_TYPE, batchId));
        _settle(REF, listingId, buyer, 1, 5_000);
        vm.prank(supervisor);
        market.setBatchHalted(batchId, false, "resumed");
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__no_band_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeNoBand.selector, PROJECT_TYPE, _today()));
        _settle(REF, listingId, buyer, 1, 5_000);
        // A band of another type or of tomorrow is no band for today.
        _postBand(2, _today(), _band());
        _postBand(PROJECT_TYPE, _today() + 1, _band());
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeNoBand.selector, PROJECT_TYPE, _today()));
        _settle(REF, listingId, buyer, 1, 5_000);
    }

    function test_settle__zero_price_reverts() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _expectRevert(ITanhuiExchange.ExchangeZeroPrice.selector);
        _settle(REF, listingId, buyer, 1, 0);
    }

    function test_settle__price_band_edges() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector, uint64(BAND_LOW - 1), uint64(BAND_LOW), uint64(BAND_HIGH)
            )
        );
        _settle(REF, listingId, buyer, 1, BAND_LOW - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector, uint64(BAND_HIGH + 1), uint64(BAND_LOW), uint64(BAND_HIGH)
            )
        );
        _settle(REF, listingId, buyer, 1, BAND_HIGH + 1);
        _settle(keccak256("low"), listingId, buyer, 1, BAND_LOW);
        _settle(keccak256("high"), listingId, buyer, 1, BAND_HIGH);
        vm.assertEq(market.trade(1).priceFenPerTonne, BAND_LOW, "at low");
        vm.assertEq(market.trade(2).priceFenPerTonne, BAND_HIGH, "at high");
    }

    function test_settle__block_trade_band_from_blockMinKg() public {
        uint256 listingId = _list(owner, batchId, 500_000);
        _postBand();
        // One below blockMinKg: the listed band.
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector, uint64(BLOCK_LOW), uint64(BAND_LOW), uint64(BAND_HIGH)
            )
        );
        _settle(REF, listingId, buyer, BLOCK_MIN_KG - 1, BLOCK_LOW);
        // At blockMinKg: the block band, edges included.
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector,
                uint64(BLOCK_LOW - 1),
                uint64(BLOCK_LOW),
                uint64(BLOCK_HIGH)
            )
        );
        _settle(REF, listingId, buyer, BLOCK_MIN_KG, BLOCK_LOW - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector,
                uint64(BLOCK_HIGH + 1),
                uint64(BLOCK_LOW),
                uint64(BLOCK_HIGH)
            )
        );
        _settle(REF, listingId, buyer, BLOCK_MIN_KG, BLOCK_HIGH + 1);

        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.TradeSettled(1, REF, listingId, buyer, BLOCK_MIN_KG, BLOCK_LOW, true, 0);
        _settle(REF, listingId, buyer, BLOCK_MIN_KG, BLOCK_LOW);
        vm.assertTrue(market.trade(1).blockTrade, "block trade");
        _settle(keccak256("t2"), listingId, buyer, BLOCK_MIN_KG + 1, BLOCK_HIGH);
        vm.assertTrue(market.trade(2).blockTrade, "above blockMinKg too");
        // A block-size trade inside the listed band is a block trade all the same.
        _settle(keccak256("t3"), listingId, buyer, BLOCK_MIN_KG, 5_000);
        vm.assertTrue(market.trade(3).blockTrade, "flagged by size");
        _settle(keccak256("t4"), listingId, buyer, BLOCK_MIN_KG - 1, BAND_HIGH);
        vm.assertFalse(market.trade(4).blockTrade, "below blockMinKg");
    }

    function test_settle__blockMinKg_zero_means_no_block_trades() public {
        uint256 listingId = _list(owner, batchId, 500_000);
        ITanhuiExchange.Band memory b = _band();
        b.blockMinKg = 0;
        _postBand(PROJECT_TYPE, _today(), b);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector, uint64(BLOCK_LOW), uint64(BAND_LOW), uint64(BAND_HIGH)
            )
        );
        _settle(REF, listingId, buyer, 500_000, BLOCK_LOW);
        _settle(REF, listingId, buyer, 500_000, BAND_LOW);
        vm.assertFalse(market.trade(1).blockTrade, "never a block trade");
    }

    function test_settle__trading_day_turns_at_1600_utc() public {
        uint256 listingId = _list(owner, batchId, 300);
        uint32 day = _today();
        _postBand();
        vm.warp(NEXT_DAY_AT - 1);
        vm.assertEq(_today(), day, "15:59:59 UTC is still day D");
        _settle(REF, listingId, buyer, 1, 5_000);
        vm.warp(NEXT_DAY_AT);
        vm.assertEq(_today(), day + 1, "16:00 UTC starts day D + 1");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeNoBand.selector, PROJECT_TYPE, day + 1));
        _settle(keccak256("t2"), listingId, buyer, 1, 5_000);
        _postBand(PROJECT_TYPE, day + 1, _band());
        _settle(keccak256("t2"), listingId, buyer, 1, 5_000);
    }

    function test_tradingDay__cst_days() public view {
        vm.assertEq(market.tradingDay(0), 0, "epoch");
        vm.assertEq(market.tradingDay(16 hours - 1), 0, "1970-01-01 23:59:59 CST");
        vm.assertEq(market.tradingDay(16 hours), 1, "1970-01-02 00:00 CST");
        vm.assertEq(market.tradingDay(NEXT_DAY_AT - 1), 20_486, "2026-02-02 CST");
        vm.assertEq(market.tradingDay(NEXT_DAY_AT), 20_487, "2026-02-03 CST");
    }

    // ----------------------------------------------------------------------------------------
    // postBand, setReferencePrice, setMethodologyType
    // ----------------------------------------------------------------------------------------

    function test_postBand__stores_and_emits() public {
        ITanhuiExchange.Band memory b = _band();
        uint32 day = _today();
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.BandPosted(PROJECT_TYPE, day, b);
        _postBand(PROJECT_TYPE, day, b);
        ITanhuiExchange.Band memory got = market.band(PROJECT_TYPE, day);
        vm.assertEq(got.low, BAND_LOW, "low");
        vm.assertEq(got.high, BAND_HIGH, "high");
        vm.assertEq(got.blockLow, BLOCK_LOW, "blockLow");
        vm.assertEq(got.blockHigh, BLOCK_HIGH, "blockHigh");
        vm.assertEq(got.blockMinKg, BLOCK_MIN_KG, "blockMinKg");
        vm.assertEq(market.band(PROJECT_TYPE, day + 1).low, 0, "no band tomorrow");
    }

    function test_postBand__replaces_and_future_days() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        ITanhuiExchange.Band memory b = _band();
        b.low = 5_500;
        b.high = 5_500;
        _postBand(PROJECT_TYPE, _today(), b);
        vm.assertEq(market.band(PROJECT_TYPE, _today()).low, 5_500, "replaced");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiExchange.ExchangePriceOutOfBand.selector, uint64(5_000), uint64(5_500), uint64(5_500)
            )
        );
        _settle(REF, listingId, buyer, 1, 5_000);
        _settle(REF, listingId, buyer, 1, 5_500);
        _postBand(PROJECT_TYPE, _today() + 30, b);
        vm.assertEq(market.band(PROJECT_TYPE, _today() + 30).high, 5_500, "a future day");
    }

    function test_postBand__roles() public {
        address[4] memory callers = [exchange, supervisor, registrar, outsider];
        for (uint256 i = 0; i < callers.length; ++i) {
            _expectUnauthorized(callers[i], TanhuiRoles.ISSUER);
            vm.prank(callers[i]);
            market.postBand(PROJECT_TYPE, _today(), _band());
        }
    }

    function test_postBand__type_zero_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeInvalidProjectType.selector, uint8(0)));
        _postBand(0, _today(), _band());
    }

    function test_postBand__past_day_reverts() public {
        uint32 today = _today();
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangePastDay.selector, today - 1, today));
        _postBand(PROJECT_TYPE, today - 1, _band());
    }

    function test_postBand__invalid_bands_revert() public {
        ITanhuiExchange.Band[5] memory bad;
        for (uint256 i = 0; i < bad.length; ++i) {
            bad[i] = _band();
        }
        bad[0].low = 0;
        bad[1].high = BAND_LOW - 1;
        bad[2].blockLow = 0;
        bad[3].blockHigh = BLOCK_LOW - 1;
        bad[4].low = 0;
        bad[4].high = 0;
        for (uint256 i = 0; i < bad.length; ++i) {
            _expectRevert(ITanhuiExchange.ExchangeInvalidBand.selector);
            _postBand(PROJECT_TYPE, _today(), bad[i]);
        }
        // low == high and blockLow == blockHigh are bands of one price.
        ITanhuiExchange.Band memory one = ITanhuiExchange.Band(5_000, 5_000, 5_000, 5_000, 0);
        _postBand(PROJECT_TYPE, _today(), one);
    }

    function test_setReferencePrice() public {
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.ReferencePriceSet(PROJECT_TYPE, 5_000);
        vm.prank(issuer);
        market.setReferencePrice(PROJECT_TYPE, 5_000);
        vm.assertEq(market.referencePrice(PROJECT_TYPE), 5_000, "set");
        vm.prank(issuer);
        market.setReferencePrice(PROJECT_TYPE, 5_100);
        vm.assertEq(market.referencePrice(PROJECT_TYPE), 5_100, "replaced");
        vm.assertEq(market.referencePrice(2), 0, "other type");

        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeInvalidProjectType.selector, uint8(0)));
        vm.prank(issuer);
        market.setReferencePrice(0, 5_000);
        _expectRevert(ITanhuiExchange.ExchangeZeroPrice.selector);
        vm.prank(issuer);
        market.setReferencePrice(PROJECT_TYPE, 0);
        _expectUnauthorized(exchange, TanhuiRoles.ISSUER);
        vm.prank(exchange);
        market.setReferencePrice(PROJECT_TYPE, 5_000);
    }

    function test_setMethodologyType() public {
        bytes32 other = keccak256("landfill-gas");
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.MethodologyTypeSet(other, 3);
        vm.prank(registrar);
        market.setMethodologyType(other, 3);
        vm.assertEq(market.methodologyType(other), 3, "set");
        vm.prank(registrar);
        market.setMethodologyType(other, 0);
        vm.assertEq(market.methodologyType(other), 0, "cleared");
        _expectUnauthorized(issuer, TanhuiRoles.REGISTRAR);
        vm.prank(issuer);
        market.setMethodologyType(other, 3);
    }

    function test_setMethodologyType__existing_listing_keeps_its_type() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        vm.prank(registrar);
        market.setMethodologyType(METHODOLOGY, 2);
        vm.assertEq(market.listing(listingId).projectType, PROJECT_TYPE, "type fixed at listing");
        _settle(REF, listingId, buyer, 1, 5_000);
        vm.assertEq(_list(owner, batchId, 1), 2, "listed again");
        vm.assertEq(market.listing(2).projectType, 2, "new type");
    }

    // ----------------------------------------------------------------------------------------
    // halts
    // ----------------------------------------------------------------------------------------

    function test_setTypeHalted__emits_and_toggles() public {
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.TypeHaltSet(PROJECT_TYPE, true, REASON);
        vm.prank(supervisor);
        market.setTypeHalted(PROJECT_TYPE, true, REASON);
        vm.assertTrue(market.isTypeHalted(PROJECT_TYPE), "halted");
        vm.assertFalse(market.isTypeHalted(2), "other type");
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.TypeHaltSet(PROJECT_TYPE, false, "resumed");
        vm.prank(supervisor);
        market.setTypeHalted(PROJECT_TYPE, false, "resumed");
        vm.assertFalse(market.isTypeHalted(PROJECT_TYPE), "resumed");
    }

    function test_setTypeHalted__reverts() public {
        _expectUnauthorized(exchange, TanhuiRoles.SUPERVISOR);
        vm.prank(exchange);
        market.setTypeHalted(PROJECT_TYPE, true, REASON);
        vm.startPrank(supervisor);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeInvalidProjectType.selector, uint8(0)));
        market.setTypeHalted(0, true, REASON);
        _expectRevert(ITanhuiExchange.ExchangeEmptyReason.selector);
        market.setTypeHalted(PROJECT_TYPE, true, "");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeReasonTooLong.selector, uint256(4001), uint256(4000)));
        market.setTypeHalted(PROJECT_TYPE, true, string(new bytes(4001)));
        _expectRevert(ITanhuiExchange.ExchangeHaltUnchanged.selector);
        market.setTypeHalted(PROJECT_TYPE, false, REASON);
        market.setTypeHalted(PROJECT_TYPE, true, string(new bytes(4000)));
        _expectRevert(ITanhuiExchange.ExchangeHaltUnchanged.selector);
        market.setTypeHalted(PROJECT_TYPE, true, REASON);
        vm.stopPrank();
    }

    function test_setBatchHalted__emits_and_toggles() public {
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.BatchHaltSet(batchId, true, REASON);
        vm.prank(supervisor);
        market.setBatchHalted(batchId, true, REASON);
        vm.assertTrue(market.isBatchHalted(batchId), "halted");
        vm.expectEmit(true, true, true, true, address(market));
        emit ITanhuiExchange.BatchHaltSet(batchId, false, "resumed");
        vm.prank(supervisor);
        market.setBatchHalted(batchId, false, "resumed");
        vm.assertFalse(market.isBatchHalted(batchId), "resumed");
    }

    function test_setBatchHalted__reverts() public {
        _expectUnauthorized(issuer, TanhuiRoles.SUPERVISOR);
        vm.prank(issuer);
        market.setBatchHalted(batchId, true, REASON);
        vm.startPrank(supervisor);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(2)));
        market.setBatchHalted(2, true, REASON);
        _expectRevert(ITanhuiExchange.ExchangeEmptyReason.selector);
        market.setBatchHalted(batchId, true, "");
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeReasonTooLong.selector, uint256(4001), uint256(4000)));
        market.setBatchHalted(batchId, true, string(new bytes(4001)));
        _expectRevert(ITanhuiExchange.ExchangeHaltUnchanged.selector);
        market.setBatchHalted(batchId, false, REASON);
        market.setBatchHalted(batchId, true, REASON);
        _expectRevert(ITanhuiExchange.ExchangeHaltUnchanged.selector);
        market.setBatchHalted(batchId, true, REASON);
        vm.stopPrank();
    }

    function test_halt__of_one_batch_leaves_others_trading() public {
        uint256 other = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 1_000);
        uint256 first = _list(owner, batchId, 300);
        uint256 second = _list(owner, other, 300);
        _postBand();
        vm.prank(supervisor);
        market.setBatchHalted(batchId, true, REASON);
        _settle(REF, second, buyer, 10, 5_000);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangeTradingHalted.selector, PROJECT_TYPE, batchId));
        _settle(keccak256("t2"), first, buyer, 10, 5_000);
    }

    /// @dev Freezing the escrow itself (a supervisor's emergency stop) stops every credit leaving or entering it.
    function test_frozen_escrow__nothing_leaves_until_unfrozen() public {
        uint256 listingId = _list(owner, batchId, 300);
        _postBand();
        _freezeAccount(address(market));
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, address(market)));
        vm.prank(owner);
        market.cancel(listingId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, address(market)));
        _settle(REF, listingId, buyer, 1, 5_000);
        // Nothing enters a frozen escrow either.
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, address(market)));
        vm.prank(owner);
        market.list(batchId, 1);
        vm.prank(supervisor);
        credits.setAccountFrozen(address(market), false, "resolved");
        _settle(REF, listingId, buyer, 1, 5_000);
        vm.prank(owner);
        market.cancel(listingId);
        vm.assertEq(credits.balanceOf(address(market), batchId), 0, "escrow empty");
    }

    // ----------------------------------------------------------------------------------------
    // Conservation
    // ----------------------------------------------------------------------------------------

    function test_conservation__issued_is_held_escrowed_retired_invalidated() public {
        _transfer(owner, buyer, batchId, 100_000);
        uint256 l1 = _list(owner, batchId, 300_000);
        uint256 l2 = _list(buyer, batchId, 50_000);
        _postBand();
        _settle(keccak256("t1"), l1, buyer, 1_000, 5_000);
        ITanhuiExchange.Settlement memory s = _settlement(keccak256("t2"), l2, owner, 2_000, 5_000);
        s.retire = true;
        vm.prank(exchange);
        market.settle(s, _details("Owner Ltd"));
        vm.prank(supervisor);
        credits.invalidate(owner, batchId, 7, REASON);
        vm.prank(buyer);
        market.cancel(l2);

        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        uint256 held = credits.balanceOf(owner, batchId) + credits.balanceOf(buyer, batchId);
        uint256 escrowed = credits.balanceOf(address(market), batchId);
        vm.assertEq(escrowed, 299_000, "l1's rest");
        vm.assertEq(b.issued, held + escrowed + b.retired + b.invalidated, "issued == held + escrowed + retired + invalidated");
        _assertEscrowConserved();
    }

    // ----------------------------------------------------------------------------------------
    // Fuzz
    // ----------------------------------------------------------------------------------------

    /// @dev Any sequence of fills of one listing: each succeeds exactly when it fits what is left;
    /// the total filled never exceeds the listing and escrow always holds exactly what is left.
    function testFuzz_partial_fills_never_exceed_the_listing(uint64 listed, uint64[8] memory fills) public {
        listed = uint64(bound(listed, 1, 1_000_000));
        uint256 listingId = _list(owner, batchId, listed);
        ITanhuiExchange.Band memory b = _band();
        b.blockMinKg = 0;
        _postBand(PROJECT_TYPE, _today(), b);
        uint64 left = listed;
        for (uint256 i = 0; i < fills.length; ++i) {
            uint64 amount = uint64(bound(fills[i], 1, uint256(listed) + 1));
            bytes32 ref = keccak256(abi.encode("fill", i));
            if (left == 0) {
                vm.expectRevert(
                    abi.encodeWithSelector(
                        ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, ITanhuiExchange.ListingState.Filled
                    )
                );
            } else if (amount > left) {
                vm.expectRevert(
                    abi.encodeWithSelector(ITanhuiExchange.ExchangeAmountExceedsListing.selector, listingId, left, amount)
                );
            }
            _settle(ref, listingId, buyer, amount, 5_000);
            if (left != 0 && amount <= left) left -= amount;
            ITanhuiExchange.Listing memory l = market.listing(listingId);
            vm.assertEq(l.remaining, left, "remaining");
            vm.assertEq(credits.balanceOf(address(market), batchId), left, "escrow == remaining");
            vm.assertEq(credits.balanceOf(buyer, batchId), listed - left, "delivered == filled");
            vm.assertEq(
                uint256(l.state),
                uint256(left == 0 ? ITanhuiExchange.ListingState.Filled : ITanhuiExchange.ListingState.Open),
                "state"
            );
        }
    }

    /// @dev A price is accepted exactly when the reference model's band rule accepts it.
    function testFuzz_price_acceptance_matches_the_band_rule(
        uint48 low,
        uint48 high,
        uint48 blockLow,
        uint48 blockHigh,
        uint64 blockMinKg,
        uint64 amount,
        uint64 price
    ) public {
        low = uint48(bound(low, 1, 20_000));
        high = uint48(bound(high, low, 20_000));
        blockLow = uint48(bound(blockLow, 1, 20_000));
        blockHigh = uint48(bound(blockHigh, blockLow, 20_000));
        blockMinKg = uint64(bound(blockMinKg, 0, 1_000_000));
        amount = uint64(bound(amount, 1, 1_000_000));
        price = uint64(bound(price, 0, 21_000));
        _postBand(PROJECT_TYPE, _today(), ITanhuiExchange.Band(low, high, blockLow, blockHigh, blockMinKg));
        uint256 listingId = _list(owner, batchId, 1_000_000);

        // The reference model (R22): block trades from blockMinKg (0: none) in the block band.
        bool isBlock = blockMinKg != 0 && amount >= blockMinKg;
        uint64 lo = isBlock ? blockLow : low;
        uint64 hi = isBlock ? blockHigh : high;
        if (price == 0) {
            _expectRevert(ITanhuiExchange.ExchangeZeroPrice.selector);
        } else if (price < lo || price > hi) {
            vm.expectRevert(abi.encodeWithSelector(ITanhuiExchange.ExchangePriceOutOfBand.selector, price, lo, hi));
        }
        _settle(REF, listingId, buyer, amount, price);
        bool accepted = price != 0 && price >= lo && price <= hi;
        vm.assertEq(market.tradeOf(REF) != 0, accepted, "accepted as the model says");
        if (accepted) vm.assertEq(market.trade(1).blockTrade, isBlock, "block flag");
    }

    // ----------------------------------------------------------------------------------------
    // Helpers
    // ----------------------------------------------------------------------------------------

    /// @dev The escrow's balance of `batchId` equals what is left in its open listings.
    function _assertEscrowConserved() internal view {
        uint256 open;
        uint256 count = market.listingCount();
        for (uint256 i = 1; i <= count; ++i) {
            ITanhuiExchange.Listing memory l = market.listing(i);
            if (l.state == ITanhuiExchange.ListingState.Open && l.batchId == batchId) open += l.remaining;
        }
        vm.assertEq(credits.balanceOf(address(market), batchId), open, "escrow == open listings' remaining");
    }
}
