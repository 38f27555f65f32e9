// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {Fixture} from "./utils/Fixture.sol";

/// @dev Measures the gas of the operations TARGETS.md budgets (see `forge test --gas-report`).
contract GasTest is Fixture {
    function test_gas__issue_and_retire_within_targets() public {
        _verify(keccak256("report-1"), JAN_2025, APR_2025, 1_000_000);
        vm.prank(issuer);
        uint256 batchId = credits.issue(keccak256("report-1"));
        uint256 issueGas = vm.snapshotGasLastCall("issue");
        vm.prank(owner);
        credits.retire(batchId, 250_000, _details("Chengdu Marathon 2025 Organising Committee"));
        uint256 retireGas = vm.snapshotGasLastCall("retire");
        vm.assertLe(issueGas, 250_000, "issuance gas");
        vm.assertLe(retireGas, 110_000, "retirement gas");
    }
}
