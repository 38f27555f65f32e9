// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {Fixture} from "./utils/Fixture.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiRegistry} from "../src/interfaces/ITanhuiRegistry.sol";

/// @dev A contract that takes ERC-1155 credits (a custody wallet, say).
contract AcceptingWallet is IERC1155Receiver {
    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
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

/// @dev A contract that does not implement the ERC-1155 receiver hooks.
contract NotAWallet {}

/// @dev The exchange's settlement contract: moves a seller's credits as an approved operator.
contract Escrow {
    function settle(IERC1155 credits, address seller, address buyer, uint256 id, uint256 amount) external {
        credits.safeTransferFrom(seller, buyer, id, amount, "");
    }
}

/// @dev Transfers between holders (ERC-1155 safeTransferFrom / safeBatchTransferFrom): only to
/// active, unfrozen participants, never from a frozen account or of a frozen batch, never while paused.
contract TanhuiCreditsTransferTest is Fixture {
    uint256 internal batchId;
    uint256 internal secondBatchId;

    function setUp() public override {
        super.setUp();
        batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000);
        secondBatchId = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 500);
    }

    function _ids() internal view returns (uint256[] memory ids) {
        ids = new uint256[](2);
        ids[0] = batchId;
        ids[1] = secondBatchId;
    }

    function _values(uint256 a, uint256 b) internal pure returns (uint256[] memory values) {
        values = new uint256[](2);
        values[0] = a;
        values[1] = b;
    }

    // ----------------------------------------------------------------------------------------
    // Success
    // ----------------------------------------------------------------------------------------

    function test_safeTransferFrom__moves_credits_between_participants() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(owner, owner, buyer, batchId, 300);
        _transfer(owner, buyer, batchId, 300);

        vm.assertEq(credits.balanceOf(owner, batchId), 700, "sender balance");
        vm.assertEq(credits.balanceOf(buyer, batchId), 300, "recipient balance");
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, 1_000, "issued unchanged");
        vm.assertEq(b.retired, 0, "retired unchanged");
        address[] memory holders = new address[](2);
        holders[0] = owner;
        holders[1] = buyer;
        _assertConserved(batchId, holders);
    }

    function test_safeTransferFrom__whole_balance_and_back() public {
        _transfer(owner, buyer, batchId, 1_000);
        _transfer(buyer, owner, batchId, 1_000);
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000, "back with the owner");
        vm.assertEq(credits.balanceOf(buyer, batchId), 0, "buyer empty");
    }

    function test_safeTransferFrom__by_approved_operator_succeeds() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.ApprovalForAll(owner, exchange, true);
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        vm.assertTrue(credits.isApprovedForAll(owner, exchange), "approved");

        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(exchange, owner, buyer, batchId, 250);
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 250, "");
        vm.assertEq(credits.balanceOf(buyer, batchId), 250, "settled by the exchange");
    }

    function test_safeTransferFrom__from_a_suspended_participant_succeeds() public {
        // Suspension stops receiving, not sending: a suspended holder can still sell out.
        _suspend(owner);
        _transfer(owner, buyer, batchId, 100);
        vm.assertEq(credits.balanceOf(buyer, batchId), 100, "sent");
    }

    function test_safeTransferFrom__to_a_registered_wallet_contract_succeeds() public {
        AcceptingWallet wallet = new AcceptingWallet();
        _registerParticipant(address(wallet));
        _transfer(owner, address(wallet), batchId, 10);
        vm.assertEq(credits.balanceOf(address(wallet), batchId), 10, "wallet holds");
    }

    function test_safeTransferFrom__to_self_keeps_the_balance() public {
        _transfer(owner, owner, batchId, 400);
        vm.assertEq(credits.balanceOf(owner, batchId), 1_000, "unchanged");
    }

    function test_safeBatchTransferFrom__moves_several_batches() public {
        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferBatch(owner, owner, buyer, _ids(), _values(100, 50));
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, _ids(), _values(100, 50), "");

        address[] memory accounts = new address[](2);
        accounts[0] = buyer;
        accounts[1] = buyer;
        uint256[] memory balances = credits.balanceOfBatch(accounts, _ids());
        vm.assertEq(balances[0], 100, "batch 1 moved");
        vm.assertEq(balances[1], 50, "batch 2 moved");
        vm.assertEq(credits.balanceOf(owner, batchId), 900, "batch 1 left");
        vm.assertEq(credits.balanceOf(owner, secondBatchId), 450, "batch 2 left");
    }

    // ----------------------------------------------------------------------------------------
    // Recipient checks
    // ----------------------------------------------------------------------------------------

    function test_safeTransferFrom__to_unregistered_account_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        _transfer(owner, outsider, batchId, 1);
    }

    function test_safeTransferFrom__of_zero_to_unregistered_account_reverts() public {
        // A zero value is refused before the recipient is looked at.
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        _transfer(owner, outsider, batchId, 0);
    }

    function test_safeTransferFrom__to_suspended_participant_reverts() public {
        _suspend(buyer);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, buyer));
        _transfer(owner, buyer, batchId, 1);
    }

    function test_safeTransferFrom__to_reinstated_participant_succeeds() public {
        _suspend(buyer);
        vm.prank(registrar);
        registry.setParticipantStatus(buyer, ITanhuiRegistry.ParticipantStatus.Active);
        _transfer(owner, buyer, batchId, 1);
        vm.assertEq(credits.balanceOf(buyer, batchId), 1, "received after reinstatement");
    }

    function test_safeTransferFrom__to_frozen_account_reverts() public {
        _freezeAccount(buyer);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, buyer));
        _transfer(owner, buyer, batchId, 1);
    }

    function test_safeTransferFrom__to_zero_address_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IERC1155Errors.ERC1155InvalidReceiver.selector, address(0)));
        _transfer(owner, address(0), batchId, 1);
    }

    function test_safeTransferFrom__to_registered_contract_without_hooks_reverts() public {
        NotAWallet notAWallet = new NotAWallet();
        _registerParticipant(address(notAWallet));
        vm.expectRevert(abi.encodeWithSelector(IERC1155Errors.ERC1155InvalidReceiver.selector, address(notAWallet)));
        _transfer(owner, address(notAWallet), batchId, 1);
    }

    function test_safeBatchTransferFrom__to_unregistered_account_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, outsider, _ids(), _values(1, 1), "");
    }

    // ----------------------------------------------------------------------------------------
    // Sender, batch and pause checks
    // ----------------------------------------------------------------------------------------

    function test_safeTransferFrom__from_frozen_account_reverts() public {
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        _transfer(owner, buyer, batchId, 1);
    }

    function test_safeTransferFrom__from_frozen_account_by_operator_reverts() public {
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 1, "");
    }

    function test_safeTransferFrom__by_frozen_operator_for_unfrozen_holder_reverts() public {
        // A frozen account does nothing, not even as another holder's approved operator.
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        _freezeAccount(exchange);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, exchange));
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 1, "");
        vm.assertEq(credits.balanceOf(buyer, batchId), 0, "nothing moved");
    }

    function test_safeTransferFrom__after_unfreeze_succeeds() public {
        _freezeAccount(owner);
        vm.prank(supervisor);
        credits.setAccountFrozen(owner, false, "dispute resolved");
        _transfer(owner, buyer, batchId, 1);
        vm.assertEq(credits.balanceOf(buyer, batchId), 1, "moves again");
    }

    function test_safeTransferFrom__of_frozen_batch_reverts() public {
        _freezeBatch(batchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId));
        _transfer(owner, buyer, batchId, 1);
        // Other batches still move.
        _transfer(owner, buyer, secondBatchId, 1);
        vm.assertEq(credits.balanceOf(buyer, secondBatchId), 1, "unfrozen batch moves");
    }

    function test_safeBatchTransferFrom__with_one_frozen_batch_reverts() public {
        _freezeBatch(secondBatchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, secondBatchId));
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, _ids(), _values(1, 1), "");
        vm.assertEq(credits.balanceOf(buyer, batchId), 0, "nothing moved");
    }

    function test_safeTransferFrom__while_paused_reverts() public {
        _pauseCredits();
        _expectPaused();
        _transfer(owner, buyer, batchId, 1);
    }

    function test_safeBatchTransferFrom__while_paused_reverts() public {
        _pauseCredits();
        _expectPaused();
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, _ids(), _values(1, 1), "");
    }

    function test_safeTransferFrom__after_unpause_succeeds() public {
        _pauseCredits();
        vm.prank(pauser);
        credits.unpause();
        _transfer(owner, buyer, batchId, 1);
        vm.assertEq(credits.balanceOf(buyer, batchId), 1, "moves again");
    }

    function test_safeTransferFrom__more_than_balance_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC1155Errors.ERC1155InsufficientBalance.selector, owner, uint256(1_000), uint256(1_001), batchId
            )
        );
        _transfer(owner, buyer, batchId, 1_001);
    }

    function test_safeTransferFrom__without_approval_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IERC1155Errors.ERC1155MissingApprovalForAll.selector, exchange, owner));
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 1, "");
    }

    function test_safeTransferFrom__after_approval_revoked_reverts() public {
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        vm.prank(owner);
        credits.setApprovalForAll(exchange, false);
        vm.assertFalse(credits.isApprovedForAll(owner, exchange), "revoked");
        vm.expectRevert(abi.encodeWithSelector(IERC1155Errors.ERC1155MissingApprovalForAll.selector, exchange, owner));
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 1, "");
    }

    function test_safeBatchTransferFrom__mismatched_arrays_revert() public {
        uint256[] memory oneValue = new uint256[](1);
        oneValue[0] = 1;
        vm.expectRevert(
            abi.encodeWithSelector(IERC1155Errors.ERC1155InvalidArrayLength.selector, uint256(2), uint256(1))
        );
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, _ids(), oneValue, "");
    }

    function test_balanceOfBatch__mismatched_arrays_revert() public {
        address[] memory accounts = new address[](1);
        accounts[0] = owner;
        vm.expectRevert(
            abi.encodeWithSelector(IERC1155Errors.ERC1155InvalidArrayLength.selector, uint256(2), uint256(1))
        );
        credits.balanceOfBatch(accounts, _ids());
    }

    // ----------------------------------------------------------------------------------------
    // What reaches the indexer: zero values, unissued ids, unregistered senders
    // ----------------------------------------------------------------------------------------

    function test_safeTransferFrom__by_unregistered_account_of_unissued_id_and_zero_reverts() public {
        // The review's case: it used to succeed and log a TransferSingle for a batch that never existed.
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        vm.prank(outsider);
        credits.safeTransferFrom(outsider, owner, 2 ** 255, 0, "");
    }

    function test_safeTransferFrom__from_unregistered_account_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        _transfer(outsider, buyer, batchId, 1);
    }

    function test_safeTransferFrom__of_zero_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        _transfer(owner, buyer, batchId, 0);
    }

    function test_safeTransferFrom__of_zero_by_a_suspended_participant_reverts() public {
        _suspend(owner);
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        _transfer(owner, buyer, batchId, 0);
    }

    function test_safeTransferFrom__of_unissued_batch_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(3)));
        _transfer(owner, buyer, 3, 1);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(0)));
        _transfer(owner, buyer, 0, 1);
    }

    function test_safeBatchTransferFrom__with_one_zero_value_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, _ids(), _values(1, 0), "");
    }

    function test_safeBatchTransferFrom__with_one_unissued_id_reverts() public {
        uint256[] memory ids = _ids();
        ids[1] = 2 ** 200;
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, uint256(2 ** 200)));
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, ids, _values(1, 1), "");
    }

    function test_safeBatchTransferFrom__of_nothing_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        vm.prank(owner);
        credits.safeBatchTransferFrom(owner, buyer, new uint256[](0), new uint256[](0), "");
    }

    function test_safeBatchTransferFrom__from_unregistered_account_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        vm.prank(outsider);
        credits.safeBatchTransferFrom(outsider, buyer, _ids(), _values(1, 1), "");
    }

    // ----------------------------------------------------------------------------------------
    // Approvals: only to active, unfrozen participants or allowlisted registry contracts
    // ----------------------------------------------------------------------------------------

    function test_setApprovalForAll__to_zero_address_reverts() public {
        // Approving checks the operator first: the zero address is no participant.
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, address(0)));
        vm.prank(owner);
        credits.setApprovalForAll(address(0), true);
        // Revoking asks nothing of the operator; OpenZeppelin refuses the zero address.
        vm.expectRevert(abi.encodeWithSelector(IERC1155Errors.ERC1155InvalidOperator.selector, address(0)));
        vm.prank(owner);
        credits.setApprovalForAll(address(0), false);
    }

    function test_setApprovalForAll__to_unregistered_account_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        vm.prank(owner);
        credits.setApprovalForAll(outsider, true);
        vm.assertFalse(credits.isApprovedForAll(owner, outsider), "not approved");
    }

    function test_setApprovalForAll__to_suspended_participant_reverts() public {
        _suspend(exchange);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, exchange));
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
    }

    function test_setApprovalForAll__to_frozen_account_reverts() public {
        _freezeAccount(exchange);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, exchange));
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
    }

    function test_setApprovalForAll__by_unregistered_account_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, outsider));
        vm.prank(outsider);
        credits.setApprovalForAll(exchange, true);
    }

    function test_setApprovalForAll__by_suspended_participant_succeeds() public {
        // A suspended holder may still sell out, so it may still approve the exchange.
        _suspend(owner);
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 5, "");
        vm.assertEq(credits.balanceOf(buyer, batchId), 5, "sold by the exchange");
    }

    function test_setApprovalForAll__by_frozen_account_reverts_even_to_revoke_and_while_paused() public {
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        _freezeAccount(owner);
        for (uint256 i = 0; i < 2; ++i) {
            if (i == 1) _pauseCredits();
            vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
            vm.prank(owner);
            credits.setApprovalForAll(buyer, true);
            vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
            vm.prank(owner);
            credits.setApprovalForAll(exchange, false);
        }
        vm.assertTrue(credits.isApprovedForAll(owner, exchange), "a frozen account changes nothing");
    }

    function test_setApprovalForAll__revoking_works_whatever_the_operator_became() public {
        vm.startPrank(owner);
        credits.setApprovalForAll(exchange, true);
        credits.setApprovalForAll(buyer, true);
        vm.stopPrank();
        _suspend(exchange);
        _freezeAccount(buyer);
        _pauseCredits();
        vm.startPrank(owner);
        credits.setApprovalForAll(exchange, false);
        credits.setApprovalForAll(buyer, false);
        // Revoking what was never granted is allowed too, even by an unregistered account.
        credits.setApprovalForAll(outsider, false);
        vm.stopPrank();
        vm.prank(outsider);
        credits.setApprovalForAll(owner, false);
        vm.assertFalse(credits.isApprovedForAll(owner, exchange), "exchange revoked");
        vm.assertFalse(credits.isApprovedForAll(owner, buyer), "buyer revoked");
    }

    function test_safeTransferFrom__by_operator_suspended_after_approval_reverts() public {
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        _suspend(exchange);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, exchange));
        vm.prank(exchange);
        credits.safeTransferFrom(owner, buyer, batchId, 1, "");
    }

    function test_safeBatchTransferFrom__by_operator_suspended_after_approval_reverts() public {
        vm.prank(owner);
        credits.setApprovalForAll(exchange, true);
        _suspend(exchange);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, exchange));
        vm.prank(exchange);
        credits.safeBatchTransferFrom(owner, buyer, _ids(), _values(1, 1), "");
    }

    // ----------------------------------------------------------------------------------------
    // Registry contracts (the exchange's escrow)
    // ----------------------------------------------------------------------------------------

    function test_setRegistryContract__allowlisted_contract_can_be_approved_and_settle() public {
        Escrow escrow = new Escrow();
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.RegistryContractSet(address(escrow), true);
        vm.prank(admin);
        credits.setRegistryContract(address(escrow), true);
        vm.assertTrue(credits.isRegistryContract(address(escrow)), "allowlisted");

        vm.prank(owner);
        credits.setApprovalForAll(address(escrow), true);
        escrow.settle(credits, owner, buyer, batchId, 30);
        vm.assertEq(credits.balanceOf(buyer, batchId), 30, "settled by the escrow");

        // Delisted, it moves nothing more, though the holder's approval stays.
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.RegistryContractSet(address(escrow), false);
        vm.prank(admin);
        credits.setRegistryContract(address(escrow), false);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, address(escrow)));
        escrow.settle(credits, owner, buyer, batchId, 1);
    }

    function test_setApprovalForAll__to_contract_not_allowlisted_reverts() public {
        Escrow escrow = new Escrow();
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, address(escrow)));
        vm.prank(owner);
        credits.setApprovalForAll(address(escrow), true);
    }

    function test_setApprovalForAll__to_frozen_registry_contract_reverts() public {
        Escrow escrow = new Escrow();
        vm.prank(admin);
        credits.setRegistryContract(address(escrow), true);
        _freezeAccount(address(escrow));
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, address(escrow)));
        vm.prank(owner);
        credits.setApprovalForAll(address(escrow), true);
    }

    function test_setRegistryContract__of_an_account_without_code_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsNotAContract.selector, outsider));
        vm.prank(admin);
        credits.setRegistryContract(outsider, true);
    }

    function test_setRegistryContract__without_admin_role_reverts() public {
        Escrow escrow = new Escrow();
        _expectUnauthorized(supervisor, bytes32(0));
        vm.prank(supervisor);
        credits.setRegistryContract(address(escrow), true);
    }
}
