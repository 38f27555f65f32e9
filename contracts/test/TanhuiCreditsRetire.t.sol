// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155} from "@openzeppelin/contracts/token/ERC1155/IERC1155.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Fixture} from "./utils/Fixture.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";

/// @dev Retirement: permanent, by the holder, with a certificate that takes the next block of
/// serials of the batch.
contract TanhuiCreditsRetireTest is Fixture {
    string internal constant BENEFICIARY = "Chengdu Marathon 2025 Organising Committee";
    uint256 internal batchId;

    function setUp() public override {
        super.setUp();
        batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000);
        _transfer(owner, buyer, batchId, 400);
    }

    // ----------------------------------------------------------------------------------------
    // Success
    // ----------------------------------------------------------------------------------------

    function test_retire__burns_records_the_certificate_and_emits() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        vm.warp(DEPLOYED_AT + 2 days);
        vm.roll(4_242);

        vm.expectEmit(true, true, true, true, address(credits));
        emit IERC1155.TransferSingle(owner, owner, address(0), batchId, 250);
        vm.expectEmit(true, true, true, true, address(credits));
        emit ITanhuiCredits.CreditsRetired(1, batchId, owner, 250, 1, 250, details);
        vm.prank(owner);
        uint256 certificateId = credits.retire(batchId, 250, details);

        vm.assertEq(certificateId, 1, "first certificate id is 1");
        vm.assertEq(credits.certificateCount(), 1, "certificateCount");
        vm.assertEq(credits.balanceOf(owner, batchId), 350, "holder balance");
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        vm.assertEq(b.issued, 1_000, "issued unchanged");
        vm.assertEq(b.retired, 250, "retired");
        vm.assertEq(b.invalidated, 0, "invalidated");

        ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
        vm.assertEq(r.holder, owner, "holder");
        vm.assertEq(r.batchId, batchId, "batchId");
        vm.assertEq(r.blockNumber, 4_242, "blockNumber");
        vm.assertEq(uint256(r.purpose), uint256(ITanhuiCredits.RetirementPurpose.EventNeutrality), "purpose");
        vm.assertEq(r.serialFirst, 1, "serialFirst");
        vm.assertEq(r.serialLast, 250, "serialLast");
        vm.assertEq(r.retiredAt, DEPLOYED_AT + 2 days, "retiredAt");
        vm.assertEq(r.consumptionStart, CONSUMPTION_START, "consumptionStart");
        vm.assertEq(r.consumptionEnd, CONSUMPTION_END, "consumptionEnd");

        address[] memory holders = new address[](2);
        holders[0] = owner;
        holders[1] = buyer;
        _assertConserved(batchId, holders);
    }

    function test_retire__serial_blocks_follow_each_other_across_holders() public {
        uint256 c1 = _retire(owner, batchId, 100);
        uint256 c2 = _retire(buyer, batchId, 1);
        uint256 c3 = _retire(owner, batchId, 499);
        uint256 c4 = _retire(buyer, batchId, 399);

        _assertSerials(c1, 1, 100);
        _assertSerials(c2, 101, 101);
        _assertSerials(c3, 102, 600);
        _assertSerials(c4, 601, 999);
        vm.assertEq(credits.batch(batchId).retired, 999, "retired");
        vm.assertEq(credits.certificateCount(), 4, "certificateCount");
        vm.assertEq(credits.retirement(c2).holder, buyer, "c2 holder");
        vm.assertEq(credits.retirement(c3).holder, owner, "c3 holder");
    }

    function test_retire__serials_are_per_batch() public {
        uint256 otherBatch = _verifyAndIssue(keccak256("report-2"), APR_2025, JUL_2025, 50);
        uint256 c1 = _retire(owner, batchId, 10);
        uint256 c2 = _retire(owner, otherBatch, 5);
        uint256 c3 = _retire(owner, batchId, 10);
        _assertSerials(c1, 1, 10);
        _assertSerials(c2, 1, 5);
        _assertSerials(c3, 11, 20);
        vm.assertEq(credits.retirement(c2).batchId, otherBatch, "certificate names its batch");
        vm.assertEq(c3, 3, "certificate ids are global");
    }

    function test_retire__whole_balance_leaves_nothing() public {
        _retire(buyer, batchId, 400);
        vm.assertEq(credits.balanceOf(buyer, batchId), 0, "nothing left");
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, buyer, batchId, uint256(0), uint256(1)
            )
        );
        _retire(buyer, batchId, 1);
    }

    function test_retire__empty_consumption_period_is_accepted() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        details.consumptionStart = 0;
        details.consumptionEnd = 0;
        details.purpose = ITanhuiCredits.RetirementPurpose.Voluntary;
        details.jurisdiction = "";
        details.note = "";
        vm.prank(owner);
        uint256 certificateId = credits.retire(batchId, 1, details);
        ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
        vm.assertEq(r.consumptionStart, 0, "consumptionStart");
        vm.assertEq(r.consumptionEnd, 0, "consumptionEnd");
        vm.assertEq(uint256(r.purpose), uint256(ITanhuiCredits.RetirementPurpose.Voluntary), "purpose");
    }

    function test_retire__single_instant_consumption_period_is_accepted() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        details.consumptionStart = 1_770_000_000;
        details.consumptionEnd = 1_770_000_000;
        vm.prank(owner);
        uint256 certificateId = credits.retire(batchId, 1, details);
        vm.assertEq(credits.retirement(certificateId).consumptionEnd, DEPLOYED_AT, "consumptionEnd");
    }

    function test_retire__by_suspended_participant_succeeds() public {
        // Suspension stops receiving; a suspended holder may still retire what it holds.
        _suspend(buyer);
        uint256 certificateId = _retire(buyer, batchId, 10);
        vm.assertEq(credits.retirement(certificateId).holder, buyer, "retired by the suspended holder");
    }

    function test_retire__works_while_the_registry_is_paused() public {
        _pauseRegistry();
        uint256 certificateId = _retire(owner, batchId, 10);
        vm.assertEq(certificateId, 1, "retired");
    }

    // ----------------------------------------------------------------------------------------
    // Reverts
    // ----------------------------------------------------------------------------------------

    function test_retire__more_than_balance_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, buyer, batchId, uint256(400), uint256(401)
            )
        );
        _retire(buyer, batchId, 401);
        vm.assertEq(credits.batch(batchId).retired, 0, "nothing retired");
        vm.assertEq(credits.certificateCount(), 0, "no certificate");
    }

    function test_retire__by_non_holder_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, outsider, batchId, uint256(0), uint256(1)
            )
        );
        _retire(outsider, batchId, 1);
    }

    function test_retire__unknown_batch_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, owner, uint256(99), uint256(0), uint256(1)
            )
        );
        _retire(owner, 99, 1);
    }

    function test_retire__zero_amount_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsZeroAmount.selector);
        _retire(owner, batchId, 0);
    }

    function test_retire__empty_beneficiary_reverts() public {
        _expectRevert(ITanhuiCredits.CreditsEmptyBeneficiary.selector);
        vm.prank(owner);
        credits.retire(batchId, 1, _details(""));
    }

    function test_retire__beneficiary_longer_than_800_bytes_reverts() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsTextTooLong.selector, "beneficiary", uint256(801), uint256(800)
            )
        );
        vm.prank(owner);
        credits.retire(batchId, 1, _details(_text(801)));
    }

    function test_retire__jurisdiction_longer_than_256_bytes_reverts() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        details.jurisdiction = _text(257);
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsTextTooLong.selector, "jurisdiction", uint256(257), uint256(256)
            )
        );
        vm.prank(owner);
        credits.retire(batchId, 1, details);
    }

    function test_retire__note_longer_than_4000_bytes_reverts() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        details.note = _text(4001);
        vm.expectRevert(
            abi.encodeWithSelector(ITanhuiCredits.CreditsTextTooLong.selector, "note", uint256(4001), uint256(4000))
        );
        vm.prank(owner);
        credits.retire(batchId, 1, details);
    }

    function test_retire__texts_at_their_bounds_are_accepted() public {
        // The API's bounds (200, 64 and 1000 characters) in 4-byte characters fill them exactly.
        ITanhuiCredits.RetirementDetails memory details = _details(_repeat(unicode"🌳", 200));
        details.jurisdiction = _repeat(unicode"🌳", 64);
        details.note = _repeat(unicode"🌳", 1000);
        vm.assertEq(bytes(details.beneficiary).length, credits.MAX_BENEFICIARY_BYTES(), "800 bytes");
        vm.assertEq(bytes(details.jurisdiction).length, credits.MAX_JURISDICTION_BYTES(), "256 bytes");
        vm.assertEq(bytes(details.note).length, credits.MAX_NOTE_BYTES(), "4000 bytes");
        vm.prank(owner);
        uint256 certificateId = credits.retire(batchId, 1, details);
        vm.assertEq(credits.retirement(certificateId).serialLast, 1, "retired");
    }

    function _text(uint256 length) internal pure returns (string memory) {
        bytes memory b = new bytes(length);
        for (uint256 i = 0; i < length; ++i) {
            b[i] = "a";
        }
        return string(b);
    }

    function _repeat(string memory unit, uint256 times) internal pure returns (string memory out) {
        for (uint256 i = 0; i < times; ++i) {
            out = string.concat(out, unit);
        }
    }

    function test_retire__consumption_end_before_start_reverts() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        details.consumptionStart = CONSUMPTION_END;
        details.consumptionEnd = CONSUMPTION_START;
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInvalidConsumptionPeriod.selector, CONSUMPTION_END, CONSUMPTION_START
            )
        );
        vm.prank(owner);
        credits.retire(batchId, 1, details);
    }

    function test_retire__consumption_start_without_end_reverts() public {
        ITanhuiCredits.RetirementDetails memory details = _details(BENEFICIARY);
        details.consumptionStart = CONSUMPTION_START;
        details.consumptionEnd = 0;
        vm.expectRevert(
            abi.encodeWithSelector(
                ITanhuiCredits.CreditsInvalidConsumptionPeriod.selector, CONSUMPTION_START, uint40(0)
            )
        );
        vm.prank(owner);
        credits.retire(batchId, 1, details);
    }

    function test_retire__frozen_account_reverts() public {
        _freezeAccount(owner);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, owner));
        _retire(owner, batchId, 1);
        // An unfrozen holder of the same batch still retires.
        _retire(buyer, batchId, 1);
    }

    function test_retire__frozen_batch_reverts() public {
        _freezeBatch(batchId);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId));
        _retire(buyer, batchId, 1);
    }

    function test_retire__after_batch_unfrozen_succeeds() public {
        _freezeBatch(batchId);
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, false, "review closed");
        uint256 certificateId = _retire(buyer, batchId, 1);
        _assertSerials(certificateId, 1, 1);
    }

    function test_retire__while_paused_reverts() public {
        _pauseCredits();
        _expectPaused();
        _retire(owner, batchId, 1);
    }

    function test_retire__retired_credits_cannot_be_transferred() public {
        _retire(buyer, batchId, 400);
        vm.expectRevert(
            abi.encodeWithSelector(
                IERC1155Errors.ERC1155InsufficientBalance.selector, buyer, uint256(0), uint256(1), batchId
            )
        );
        _transfer(buyer, owner, batchId, 1);
    }

    // ----------------------------------------------------------------------------------------
    // retirement view
    // ----------------------------------------------------------------------------------------

    function test_retirement__unknown_certificate_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownCertificate.selector, uint256(0)));
        credits.retirement(0);
        _retire(owner, batchId, 1);
        vm.expectRevert(abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownCertificate.selector, uint256(2)));
        credits.retirement(2);
    }

    function _assertSerials(uint256 certificateId, uint256 first, uint256 last) internal view {
        ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
        vm.assertEq(r.serialFirst, first, "serialFirst");
        vm.assertEq(r.serialLast, last, "serialLast");
    }
}
