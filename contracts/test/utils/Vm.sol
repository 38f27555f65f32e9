// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @dev The Foundry cheatcodes these tests use, declared here so the tests need no library
/// beyond OpenZeppelin. Foundry answers them at the fixed cheatcode address. Signatures are
/// Foundry's own (`forge-std/Vm.sol`); add a declaration here before using a new cheatcode.
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    // Environment
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function label(address account, string calldata newLabel) external;
    function addr(uint256 privateKey) external pure returns (address);
    function assume(bool condition) external pure;

    // Expectations
    function expectRevert() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);

    // Gas
    function snapshotGasLastCall(string calldata name) external returns (uint256 gasUsed);

    // Assertions
    function assertTrue(bool condition, string calldata message) external pure;
    function assertFalse(bool condition, string calldata message) external pure;
    function assertEq(uint256 left, uint256 right, string calldata message) external pure;
    function assertEq(address left, address right, string calldata message) external pure;
    function assertEq(bytes32 left, bytes32 right, string calldata message) external pure;
    function assertEq(bool left, bool right, string calldata message) external pure;
    function assertEq(string calldata left, string calldata right, string calldata message) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata message) external pure;
    function assertNotEq(uint256 left, uint256 right, string calldata message) external pure;
    function assertLt(uint256 left, uint256 right, string calldata message) external pure;
    function assertGt(uint256 left, uint256 right, string calldata message) external pure;
    function assertLe(uint256 left, uint256 right, string calldata message) external pure;
    function assertGe(uint256 left, uint256 right, string calldata message) external pure;
}

/// @dev Base of every test contract: the cheatcodes, a bounded-input helper and the
/// invariant-target hooks that forge reads by selector (`targetContracts()`, `targetSelectors()`).
abstract contract TestBase {
    /// @dev The shape forge expects from `targetSelectors()`: `(address, bytes4[])[]`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address[] private _targets;
    FuzzSelector[] private _targetSelectors;

    /// @dev Maps `x` into [min, max] (inclusive), so fuzzed inputs stay meaningful.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        require(min <= max, "bound: min > max");
        if (x >= min && x <= max) return x;
        uint256 size = max - min;
        if (size == type(uint256).max) return x;
        return min + (x % (size + 1));
    }

    function targetContract(address target) internal {
        _targets.push(target);
    }

    /// @dev Restricts the invariant runner to `selectors` of `target`.
    function targetSelector(address target, bytes4[] memory selectors) internal {
        _targetSelectors.push(FuzzSelector({addr: target, selectors: selectors}));
    }

    /// @dev Read by forge's invariant runner: the contracts whose functions it calls.
    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    /// @dev Read by forge's invariant runner: the functions it may call on each target.
    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }
}
