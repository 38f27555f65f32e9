// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {TestBase} from "./Vm.sol";

/// @notice What the invariant handlers share: each call's outcome is compared with what the
/// handler's model predicted (success, or the exact error with its arguments); a different
/// outcome is counted in `mismatches` (the first one described in `firstMismatch`), and the
/// predicted outcomes are counted per action (for tuning the handlers' mixes).
abstract contract ModelHandler is TestBase {
    uint256 public mismatches;
    string public firstMismatch;

    /// @dev How many calls of each action succeeded and reverted as predicted.
    mapping(string action => uint256) public succeeded;
    mapping(string action => uint256) public rejected;
    mapping(string action => mapping(bytes4 error => uint256)) public rejectedWith;

    function _expectSuccess(string memory action, bytes memory expected) internal returns (bool) {
        if (expected.length != 0) {
            _mismatch(string.concat(action, ": succeeded where the model expected a revert"));
            return false;
        }
        ++succeeded[action];
        return true;
    }

    function _expectFailure(string memory action, bytes memory expected, bytes memory actual) internal {
        if (expected.length == 0) {
            _mismatch(string.concat(action, ": reverted where the model expected success"));
        } else if (keccak256(expected) != keccak256(actual)) {
            _mismatch(string.concat(action, ": reverted with another error or other arguments than expected"));
        } else {
            ++rejected[action];
            // forge-lint: disable-next-line(unsafe-typecast) keeps the selector: the first 4 bytes of the error data
            ++rejectedWith[action][bytes4(actual)];
        }
    }

    function _mismatch(string memory what) internal {
        if (mismatches == 0) firstMismatch = what;
        ++mismatches;
    }
}
