// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";
import {ITanhuiCredits} from "../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiExchange} from "../src/interfaces/ITanhuiExchange.sol";

/// @dev Measures the gas of the operations TARGETS.md budgets (see `forge test --gas-report`).
contract GasTest is Fixture {
    bytes32 internal constant EVENT = keccak256("chengdu-marathon-2025");
    uint256 internal constant LIST_CEILING = 111_000;
    uint256 internal constant SETTLE_CEILING = 167_000;
    uint256 internal constant SETTLE_RETIRE_CEILING = 198_000;

    /// @dev The plain retirement carries no event id: its gas is unchanged by per-event accounts
    /// (one comparison of `details.eventId` with zero).
    function test_gas__issue_and_retire_within_targets() public {
        _verify(keccak256("report-1"), JAN_2025, APR_2025, 1_000_000);
        vm.prank(issuer);
        uint256 batchId = credits.issue(keccak256("report-1"));
        uint256 issueGas = vm.snapshotGasLastCall("issue");
        vm.prank(owner);
        credits.retire(batchId, 250_000, _plainDetails());
        uint256 retireGas = vm.snapshotGasLastCall("retire");
        vm.assertLe(issueGas, 250_000, "issuance gas");
        vm.assertLe(retireGas, 110_000, "retirement gas");
        vm.assertEq(credits.eventAccount(bytes32(0)).retiredKg, 0, "no account for event id 0");
    }

    /// @dev A retirement against an event adds to the event's account: the first one creates the
    /// account (a zero-to-non-zero store), the next ones update it. Then the issuer closes the claim.
    function test_gas__retire_against_an_event_and_close_the_claim() public {
        _verify(keccak256("report-1"), JAN_2025, APR_2025, 1_000_000);
        vm.prank(issuer);
        uint256 batchId = credits.issue(keccak256("report-1"));
        vm.prank(owner);
        credits.retire(batchId, 250_000, _details("Chengdu Marathon 2025 Organising Committee"));
        uint256 firstGas = vm.snapshotGasLastCall("retire_event_first");
        vm.prank(owner);
        credits.retire(batchId, 50_000, _details("Chengdu Marathon 2025 Organising Committee"));
        uint256 nextGas = vm.snapshotGasLastCall("retire_event_next");
        vm.prank(issuer);
        credits.closeClaim(EVENT, 280_000, 300_000, keccak256("footprint report"));
        uint256 closeGas = vm.snapshotGasLastCall("closeClaim");
        vm.assertLe(firstGas, 110_000, "first retirement against an event");
        vm.assertLe(nextGas, 110_000, "next retirement against an event");
        vm.assertLe(closeGas, 60_000, "closeClaim gas");
    }

    /// @dev The exchange: a listing (into escrow), a plain partial settlement and a buy-and-retire
    /// settlement of the same listing. Ceilings are about 10 % above the measured gas.
    function test_gas__list_and_settle() public {
        uint256 batchId = _verifyAndIssue(keccak256("report-1"), JAN_2025, APR_2025, 1_000_000);
        _postBand();
        vm.prank(owner);
        uint256 listingId = market.list(batchId, 300_000);
        uint256 listGas = vm.snapshotGasLastCall("list");

        ITanhuiExchange.Settlement memory s = _settlement(keccak256("trade-1"), listingId, buyer, 50_000, 5_000);
        vm.prank(exchange);
        market.settle(s, _plainDetails());
        uint256 settleGas = vm.snapshotGasLastCall("settle");

        s = _settlement(keccak256("trade-2"), listingId, buyer, 50_000, 5_000);
        s.retire = true;
        vm.prank(exchange);
        market.settle(s, _plainDetails());
        uint256 settleRetireGas = vm.snapshotGasLastCall("settle_and_retire");

        vm.assertLe(listGas, LIST_CEILING, "list gas");
        vm.assertLe(settleGas, SETTLE_CEILING, "settle gas");
        vm.assertLe(settleRetireGas, SETTLE_RETIRE_CEILING, "settle-and-retire gas");
    }

    function _plainDetails() internal pure returns (ITanhuiCredits.RetirementDetails memory d) {
        d = _details("Chengdu Marathon 2025 Organising Committee");
        d.eventId = bytes32(0);
    }
}
