// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155MetadataURI} from "@openzeppelin/contracts/token/ERC1155/extensions/IERC1155MetadataURI.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Fixture} from "./utils/Fixture.sol";
import {TanhuiRoles} from "../src/TanhuiRoles.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";

/// @dev The supervisor's powers (invalidate, freeze accounts and batches), the pause, and the
/// remaining views of TanhuiCredits.
contract TanhuiCreditsSupervisionTest is Fixture {
    string internal constant REASON = "verification found overstated";
    uint256 internal batchId;

    function setUp() public override {
        super.setUp();
        batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000);
        _transfer(owner, buyer, batchId, 400);
    }

    // ----------------------------------------------------------------------------------------
    // invalidate
    // ----------------------------------------------------------------------------------------

    function test_invalidate__burns_counts_and_emits() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(supervisor, buyer, address(0), batchId, 150);
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.CreditsInvalidated(batchId, buyer, 150, REASON);
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 150, REASON);

        vm.assertEq(credits.balanceOf(buyer, batchId), 250, "holder balance");
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, 1_000, "issued unchanged");
        vm.assertEq(b.retired, 0, "retired unchanged");
        vm.assertEq(b.invalidated, 150, "invalidated");
        vm.assertEq(credits.certificateCount(), 0, "no certificate");
    }

    function test_invalidate__keeps_conservation_with_retirements() public {
        _retire(owner, batchId, 100);
        vm.prank(supervisor);
        credits.invalidate(owner, batchId, 500, REASON);
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 300, REASON);
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.retired, 100, "retired");
        vm.assertEq(b.invalidated, 800, "invalidated accumulates");
        vm.assertEq(credits.balanceOf(owner, batchId), 0, "owner emptied");
        address[] memory holders = new address[](2);
        holders[0] = owner;
        holders[1] = buyer;
        _assertConserved(batchId, holders);

        // Invalidation takes no serials: the next retirement continues right after 100.
        uint256 certificateId = _retire(buyer, batchId, 100);
        ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
        vm.assertEq(r.serialFirst, 101, "serialFirst");
        vm.assertEq(r.serialLast, 200, "serialLast");
        _assertConserved(batchId, holders);
    }

    function test_invalidate__works_on_frozen_account_and_batch() public {
        _freezeAccount(buyer);
        _freezeBatch(batchId);
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 400, REASON);
        vm.assertEq(credits.balanceOf(buyer, batchId), 0, "invalidated while frozen");
        vm.assertEq(credits.batch(batchId).invalidated, 400, "invalidated");
    }

    function test_invalidate__of_unregistered_holder_balance_is_impossible() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, outsider, batchId, uint256(0), uint256(1)
            )
        );
        vm.prank(supervisor);
        credits.invalidate(outsider, batchId, 1, REASON);
    }

    function test_invalidate__more_than_balance_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, buyer, batchId, uint256(400), uint256(401)
            )
        );
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 401, REASON);
    }

    function test_invalidate__unknown_batch_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, buyer, uint256(7), uint256(0), uint256(1)
            )
        );
        vm.prank(supervisor);
        credits.invalidate(buyer, 7, 1, REASON);
    }

    function test_invalidate__zero_amount_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 0, REASON);
    }

    function test_invalidate__empty_reason_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsEmptyReason.selector);
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 1, "");
    }

    function test_invalidate__reason_longer_than_4000_bytes_reverts() public {
        _expectReasonTooLong();
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 1, string(new bytes(4001)));
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 1, string(new bytes(4000)));
        vm.assertEq(credits.batch(batchId).invalidated, 1, "4000 bytes accepted");
    }

    function test_invalidate__without_supervisor_role_reverts() public {
        _expectUnauthorized(issuer, TanhuiRoles.SUPERVISOR);
        vm.prank(issuer);
        credits.invalidate(buyer, batchId, 1, REASON);
    }

    function test_invalidate__by_the_holder_reverts() public {
        _expectUnauthorized(buyer, TanhuiRoles.SUPERVISOR);
        vm.prank(buyer);
        credits.invalidate(buyer, batchId, 1, REASON);
    }

    function test_invalidate__while_paused_reverts() public {
        _pauseCredits();
        _expectPaused();
        vm.prank(supervisor);
        credits.invalidate(buyer, batchId, 1, REASON);
    }

    // ----------------------------------------------------------------------------------------
    // setAccountFrozen
    // ----------------------------------------------------------------------------------------

    function test_setAccountFrozen__freezes_and_unfreezes_with_events() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.AccountFrozen(buyer, "dispute 2025-17");
        _freezeAccount(buyer);
        vm.assertTrue(credits.isAccountFrozen(buyer), "frozen");

        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.AccountUnfrozen(buyer, "dispute resolved");
        vm.prank(supervisor);
        credits.setAccountFrozen(buyer, false, "dispute resolved");
        vm.assertFalse(credits.isAccountFrozen(buyer), "unfrozen");
    }

    function test_setAccountFrozen__of_unregistered_account_succeeds() public {
        // An account can be frozen before it is registered (e.g. flagged during onboarding).
        _freezeAccount(outsider);
        vm.assertTrue(credits.isAccountFrozen(outsider), "frozen");
    }

    function test_setAccountFrozen__twice_reverts() public {
        _freezeAccount(buyer);
        _expectRevert(ITanhuiCredits.CreditsAlreadyFrozen.selector);
        vm.prank(supervisor);
        credits.setAccountFrozen(buyer, true, "again");
    }

    function test_setAccountFrozen__unfreezing_an_unfrozen_account_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsNotFrozen.selector);
        vm.prank(supervisor);
        credits.setAccountFrozen(buyer, false, "nothing to lift");
    }

    function test_setAccountFrozen__empty_reason_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsEmptyReason.selector);
        vm.prank(supervisor);
        credits.setAccountFrozen(buyer, true, "");
    }

    function test_setAccountFrozen__reason_longer_than_4000_bytes_reverts() public {
        _expectReasonTooLong();
        vm.prank(supervisor);
        credits.setAccountFrozen(owner, true, string(new bytes(4001)));
        vm.prank(supervisor);
        credits.setAccountFrozen(owner, true, string(new bytes(4000)));
        _expectReasonTooLong();
        vm.prank(supervisor);
        credits.setAccountFrozen(owner, false, string(new bytes(4001)));
        vm.assertTrue(credits.isAccountFrozen(owner), "still frozen");
    }

    function test_setAccountFrozen__without_supervisor_role_reverts() public {
        _expectUnauthorized(pauser, TanhuiRoles.SUPERVISOR);
        vm.prank(pauser);
        credits.setAccountFrozen(buyer, true, "dispute");
    }

    function test_setAccountFrozen__works_while_paused() public {
        // Intended: freezing is the supervisor's emergency tool and stays available during a pause.
        _pauseCredits();
        _freezeAccount(buyer);
        vm.assertTrue(credits.isAccountFrozen(buyer), "frozen while paused");
    }

    // ----------------------------------------------------------------------------------------
    // setBatchFrozen
    // ----------------------------------------------------------------------------------------

    function test_setBatchFrozen__freezes_and_unfreezes_with_events() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.BatchFrozen(batchId, "verification under review");
        _freezeBatch(batchId);
        vm.assertTrue(credits.batch(batchId).frozen, "frozen");

        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.BatchUnfrozen(batchId, "review closed");
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, false, "review closed");
        vm.assertFalse(credits.batch(batchId).frozen, "unfrozen");
    }

    function test_setBatchFrozen__unknown_batch_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(2)));
        vm.prank(supervisor);
        credits.setBatchFrozen(2, true, "review");
    }

    function test_setBatchFrozen__twice_reverts() public {
        _freezeBatch(batchId);
        _expectRevert(ITanhuiCredits.CreditsAlreadyFrozen.selector);
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, true, "again");
    }

    function test_setBatchFrozen__unfreezing_an_unfrozen_batch_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsNotFrozen.selector);
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, false, "nothing to lift");
    }

    function test_setBatchFrozen__empty_reason_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsEmptyReason.selector);
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, true, "");
    }

    function test_setBatchFrozen__reason_longer_than_4000_bytes_reverts() public {
        _expectReasonTooLong();
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, true, string(new bytes(4001)));
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, true, string(new bytes(4000)));
        _expectReasonTooLong();
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, false, string(new bytes(4001)));
        vm.assertTrue(credits.batch(batchId).frozen, "still frozen");
    }

    function _expectReasonTooLong() internal {
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiCredits.CreditsTextTooLong.selector, "reason", uint256(4001), uint256(4000))
        );
    }

    function test_setBatchFrozen__without_supervisor_role_reverts() public {
        _expectUnauthorized(owner, TanhuiRoles.SUPERVISOR);
        vm.prank(owner);
        credits.setBatchFrozen(batchId, true, "review");
    }

    function test_setBatchFrozen__works_while_paused() public {
        _pauseCredits();
        _freezeBatch(batchId);
        vm.assertTrue(credits.batch(batchId).frozen, "frozen while paused");
    }

    function test_setBatchFrozen__keeps_the_batch_counters() public {
        _retire(owner, batchId, 10);
        _freezeBatch(batchId);
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, 1_000, "issued");
        vm.assertEq(b.retired, 10, "retired");
        vm.assertEq(credits.balanceOf(owner, batchId), 590, "balances untouched");
    }

    // ----------------------------------------------------------------------------------------
    // pause / unpause
    // ----------------------------------------------------------------------------------------

    function test_pause__emits_and_unpause_resumes() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit Pausable.Paused(pauser);
        _pauseCredits();
        vm.assertTrue(credits.paused(), "paused");
        vm.assertFalse(registry.paused(), "registry keeps running");

        vm.expectEmit(true, true, true, true, address(credits));
        emit Pausable.Unpaused(pauser);
        vm.prank(pauser);
        credits.unpause();
        vm.assertFalse(credits.paused(), "unpaused");
        _retire(owner, batchId, 1);
    }

    function test_pause__keeps_views_and_approvals_available() public {
        _pauseCredits();
        vm.assertEq(credits.balanceOf(owner, batchId), 600, "balanceOf");
        vm.assertEq(credits.batch(batchId).issued, 1_000, "batch");
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        vm.assertTrue(credits.isApprovedForAll(owner, exchange), "approval is no transfer");
        vm.prank(owner);
        credits.setApprovalForAll(exchange, false);
        vm.assertFalse(credits.isApprovedForAll(owner, exchange), "nor is revocation");
    }

    function test_pause__twice_reverts() public {
        _pauseCredits();
        _expectPaused();
        vm.prank(pauser);
        credits.pause();
    }

    function test_unpause__when_not_paused_reverts() public {
        _expectRevert(Pausable.ExpectedPause.selector);
        vm.prank(pauser);
        credits.unpause();
    }

    function test_pause__without_pauser_role_reverts() public {
        _expectUnauthorized(supervisor, TanhuiRoles.PAUSER);
        vm.prank(supervisor);
        credits.pause();
    }

    function test_unpause__without_pauser_role_reverts() public {
        _pauseCredits();
        _expectUnauthorized(admin, TanhuiRoles.PAUSER);
        vm.prank(admin);
        credits.unpause();
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    function test_views__registry_uri_and_interfaces() public view {
        vm.assertEq(address(credits.registry()), address(registry), "registry");
        vm.assertEq(credits.uri(batchId), "https://registry.example/v1/batches/{id}", "uri template");
        vm.assertTrue(credits.supportsInterface(type(IERC1155).interfaceId), "IERC1155");
        vm.assertTrue(credits.supportsInterface(type(IERC1155MetadataURI).interfaceId), "IERC1155MetadataURI");
        vm.assertTrue(credits.supportsInterface(type(IERC165).interfaceId), "IERC165");
        vm.assertFalse(credits.supportsInterface(0xffffffff), "not 0xffffffff");
    }

    function test_views__counts_start_at_zero() public {
        Fixture.setUp();
        vm.assertEq(credits.batchCount(), 0, "batchCount");
        vm.assertEq(credits.certificateCount(), 0, "certificateCount");
        vm.assertFalse(credits.isAccountFrozen(owner), "not frozen");
        vm.assertFalse(credits.isRegistryContract(address(registry)), "no registry contract");
        vm.assertEq(credits.MAX_REASON_BYTES(), 4000, "reason bound");
    }
}
