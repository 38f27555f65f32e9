// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {TestBase} from "../utils/Vm.sol";
import {TanhuiRegistry} from "../../src/TanhuiRegistry.sol";
import {TanhuiCredits} from "../../src/TanhuiCredits.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";

/// @dev Drives random issue / transfer / retire / invalidate / freeze / unfreeze / pause /
/// suspend calls among a fixed set of actors, and keeps a model of what the contracts should do.
///
/// Every call to TanhuiCredits goes through try/catch, so the handler itself never reverts (its
/// registry calls are always valid; the invariant test fails on any revert). Before each call it
/// predicts the outcome from its model (success, or the exact custom error with its arguments,
/// in the order the contract checks them); a different outcome is counted in `mismatches`,
/// which an invariant requires to stay 0. On success the ghost state (balances, counters,
/// issued periods, certificates) is updated, so the invariants can compare it with the contracts.
contract CreditsHandler is TestBase {
    struct Period {
        uint64 start;
        uint64 end;
    }

    uint64 internal constant DAY = 1 days;
    uint64 internal constant GRID_START = 1735689600; // 2025-01-01
    uint256 internal constant MAX_AMOUNT = 1_000_000;

    TanhuiRegistry public immutable registry;
    TanhuiCredits public immutable credits;
    address internal immutable _verifier;
    address internal immutable _issuer;
    address internal immutable _supervisor;
    address internal immutable _pauser;
    address internal immutable _registrar;

    address[] internal _actors;
    bytes32[] internal _projects;
    mapping(bytes32 projectId => address) internal _projectOwner;

    // ---- model ----
    mapping(address account => bool) public ghostRegistered;
    mapping(address account => bool) public ghostActive;
    mapping(address account => bool) public ghostAccountFrozen;
    mapping(uint256 batchId => bool) public ghostBatchFrozen;
    bool public ghostPaused;

    uint256 public ghostBatchCount;
    mapping(uint256 batchId => bytes32) public ghostBatchProject;
    mapping(uint256 batchId => bytes32) public ghostBatchReport;
    mapping(uint256 batchId => uint256) public ghostIssued;
    mapping(uint256 batchId => uint256) public ghostRetired;
    mapping(uint256 batchId => uint256) public ghostInvalidated;
    mapping(address account => mapping(uint256 batchId => uint256)) public ghostBalance;
    mapping(bytes32 projectId => Period[]) internal _issuedPeriods;

    uint256 public ghostCertificateCount;
    /// @dev The largest `retired` observed per batch, refreshed for the batches each action touches.
    mapping(uint256 batchId => uint256) public ghostRetiredHighWater;
    bool public ghostRetiredDecreased;

    uint256 public mismatches;
    string public firstMismatch;
    uint256 internal _reportNonce;

    /// @dev How many calls of each action succeeded and reverted as predicted (for tuning).
    mapping(string action => uint256) public succeeded;
    mapping(string action => uint256) public rejected;
    mapping(string action => mapping(bytes4 error => uint256)) public rejectedWith;

    constructor(
        TanhuiRegistry registry_,
        TanhuiCredits credits_,
        address[5] memory operators, // verifier, issuer, supervisor, pauser, registrar
        address[] memory actors_,
        bytes32[] memory projects_
    ) {
        registry = registry_;
        credits = credits_;
        _verifier = operators[0];
        _issuer = operators[1];
        _supervisor = operators[2];
        _pauser = operators[3];
        _registrar = operators[4];
        for (uint256 i = 0; i < actors_.length; ++i) {
            address a = actors_[i];
            _actors.push(a);
            ITanhuiRegistry.ParticipantStatus status = registry_.participant(a).status;
            ghostRegistered[a] = status != ITanhuiRegistry.ParticipantStatus.None;
            ghostActive[a] = status == ITanhuiRegistry.ParticipantStatus.Active;
        }
        for (uint256 i = 0; i < projects_.length; ++i) {
            _projects.push(projects_[i]);
            _projectOwner[projects_[i]] = registry_.project(projects_[i]).owner;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Actions (the invariant runner calls these)
    // ----------------------------------------------------------------------------------------

    /// @dev Verifies a report for a random project over a random period on a 60-day grid and issues it.
    function issue(uint256 projectSeed, uint256 startSeed, uint256 lengthSeed, uint256 amountSeed) external {
        bytes32 projectId = _projects[projectSeed % _projects.length];
        uint64 start = GRID_START + uint64(bound(startSeed, 0, 59)) * DAY;
        uint64 end = start + uint64(bound(lengthSeed, 1, 10)) * DAY;
        uint64 amount = uint64(bound(amountSeed, 1, MAX_AMOUNT));
        bytes32 reportHash = keccak256(abi.encode("invariant-report", ++_reportNonce));
        vm.prank(_verifier);
        registry.recordVerifiedReport(reportHash, projectId, start, end, amount);

        address projectOwner = _projectOwner[projectId];
        bytes memory expected;
        if (ghostPaused) {
            expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        } else {
            (bool overlaps, Period memory hit) = _firstOverlap(projectId, start, end);
            if (overlaps) {
                expected = abi.encodeWithSelector(
                    ITanhuiCredits.CreditsPeriodOverlaps.selector, projectId, start, end, hit.start, hit.end
                );
            } else {
                expected = _receiveError(projectOwner);
            }
        }

        vm.prank(_issuer);
        try credits.issue(reportHash) returns (uint256 batchId) {
            if (_expectSuccess("issue", expected)) {
                if (batchId != ghostBatchCount + 1) _mismatch("issue: batch id is not the next one");
                ghostBatchCount = batchId;
                ghostBatchProject[batchId] = projectId;
                ghostBatchReport[batchId] = reportHash;
                ghostIssued[batchId] = amount;
                ghostBalance[projectOwner][batchId] += amount;
                _issuedPeriods[projectId].push(Period(start, end));
            }
        } catch (bytes memory reason) {
            _expectFailure("issue", expected, reason);
        }
        _observe(credits.batchCount());
    }

    /// @dev Issues an already issued report again: always refused.
    function reissue(uint256 batchSeed) external {
        if (ghostBatchCount == 0) return;
        uint256 batchId = _pickBatch(batchSeed);
        bytes32 reportHash = ghostBatchReport[batchId];
        bytes memory expected = ghostPaused
            ? abi.encodeWithSelector(Pausable.EnforcedPause.selector)
            : abi.encodeWithSelector(ITanhuiCredits.CreditsReportAlreadyIssued.selector, reportHash, batchId);
        vm.prank(_issuer);
        try credits.issue(reportHash) returns (uint256) {
            _mismatch("reissue: a report was issued twice");
        } catch (bytes memory reason) {
            _expectFailure("reissue", expected, reason);
        }
        _observe(batchId);
    }

    function transfer(uint256 fromSeed, uint256 toSeed, uint256 batchSeed, uint256 amountSeed) external {
        if (ghostBatchCount == 0) return;
        (address from, uint256 batchId) = _pickPosition(fromSeed, batchSeed);
        address to = _actors[toSeed % _actors.length];
        uint256 balance = ghostBalance[from][batchId];
        uint256 amount = _pickAmount(amountSeed, balance);

        uint256[] memory ids = new uint256[](1);
        ids[0] = batchId;
        uint256[] memory values = new uint256[](1);
        values[0] = amount;
        bytes memory expected = _transferError(from, to, ids, values);

        vm.prank(from);
        try credits.safeTransferFrom(from, to, batchId, amount, "") {
            if (_expectSuccess("transfer", expected)) {
                ghostBalance[from][batchId] -= amount;
                ghostBalance[to][batchId] += amount;
            }
        } catch (bytes memory reason) {
            _expectFailure("transfer", expected, reason);
        }
        _observe(batchId);
    }

    function transferBatch(uint256 fromSeed, uint256 toSeed, uint256 batchSeed, uint256 amountSeed) external {
        if (ghostBatchCount == 0) return;
        (address from, uint256 firstId) = _pickPosition(fromSeed, batchSeed);
        address to = _actors[toSeed % _actors.length];
        uint256[] memory ids = new uint256[](2);
        ids[0] = firstId;
        ids[1] = _pickBatch(batchSeed >> 128);
        uint256[] memory values = new uint256[](2);
        values[0] = _pickAmount(amountSeed, ghostBalance[from][ids[0]]);
        // The second id is any batch; with no balance of it, move none (ERC-1155 allows zero values).
        uint256 secondBalance = ghostBalance[from][ids[1]];
        values[1] = secondBalance == 0 ? 0 : _pickAmount(amountSeed >> 128, secondBalance);
        bytes memory expected = _transferError(from, to, ids, values);

        vm.prank(from);
        try credits.safeBatchTransferFrom(from, to, ids, values, "") {
            if (_expectSuccess("transferBatch", expected)) {
                for (uint256 i = 0; i < ids.length; ++i) {
                    ghostBalance[from][ids[i]] -= values[i];
                    ghostBalance[to][ids[i]] += values[i];
                }
            }
        } catch (bytes memory reason) {
            _expectFailure("transferBatch", expected, reason);
        }
        _observe(ids[0]);
        _observe(ids[1]);
    }

    function retire(uint256 holderSeed, uint256 batchSeed, uint256 amountSeed) external {
        if (ghostBatchCount == 0) return;
        (address holder, uint256 batchId) = _pickPosition(holderSeed, batchSeed);
        uint256 balance = ghostBalance[holder][batchId];
        uint64 amount = uint64(amountSeed % 16 == 0 ? 0 : _pickAmount(amountSeed >> 4, balance));

        bytes memory expected;
        if (ghostPaused) {
            expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        } else if (amount == 0) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsZeroAmount.selector);
        } else if (ghostAccountFrozen[holder]) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, holder);
        } else if (ghostBatchFrozen[batchId]) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, batchId);
        } else if (balance < amount) {
            expected = abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, holder, batchId, balance, uint256(amount)
            );
        }

        vm.prank(holder);
        try credits.retire(batchId, amount, _retirementDetails()) returns (uint256 certificateId) {
            if (_expectSuccess("retire", expected)) {
                if (certificateId != ghostCertificateCount + 1) {
                    _mismatch("retire: certificate id is not the next one");
                }
                ITanhuiCredits.Retirement memory r = credits.retirement(certificateId);
                if (r.serialFirst != ghostRetired[batchId] + 1 || r.serialLast != ghostRetired[batchId] + amount) {
                    _mismatch("retire: serial block is not the next one of the batch");
                }
                if (r.holder != holder || r.batchId != batchId) {
                    _mismatch("retire: certificate names the wrong holder/batch");
                }
                ghostCertificateCount = certificateId;
                ghostRetired[batchId] += amount;
                ghostBalance[holder][batchId] -= amount;
            }
        } catch (bytes memory reason) {
            _expectFailure("retire", expected, reason);
        }
        _observe(batchId);
    }

    function invalidate(uint256 holderSeed, uint256 batchSeed, uint256 amountSeed) external {
        if (ghostBatchCount == 0) return;
        (address holder, uint256 batchId) = _pickPosition(holderSeed, batchSeed);
        uint256 balance = ghostBalance[holder][batchId];
        uint64 amount = uint64(amountSeed % 16 == 0 ? 0 : _pickAmount(amountSeed >> 4, balance));

        bytes memory expected;
        if (ghostPaused) {
            expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        } else if (amount == 0) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsZeroAmount.selector);
        } else if (balance < amount) {
            expected = abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, holder, batchId, balance, uint256(amount)
            );
        }

        vm.prank(_supervisor);
        try credits.invalidate(holder, batchId, amount, "invariant run: correction") {
            if (_expectSuccess("invalidate", expected)) {
                ghostInvalidated[batchId] += amount;
                ghostBalance[holder][batchId] -= amount;
            }
        } catch (bytes memory reason) {
            _expectFailure("invalidate", expected, reason);
        }
        _observe(batchId);
    }

    /// @dev Freezes a random actor (sometimes one already frozen: refused).
    function freezeAccount(uint256 actorSeed) external {
        _setAccountFrozen(_actors[actorSeed % _actors.length], true);
    }

    /// @dev Unfreezes a frozen actor when there is one (else a random one: refused), so that
    /// freezes do not pile up and stall the run.
    function unfreezeAccount(uint256 actorSeed) external {
        address account = _actors[actorSeed % _actors.length];
        for (uint256 i = 0; i < _actors.length && actorSeed % 8 != 0; ++i) {
            address a = _actors[(actorSeed % _actors.length + i) % _actors.length];
            if (ghostAccountFrozen[a]) {
                account = a;
                break;
            }
        }
        _setAccountFrozen(account, false);
    }

    function freezeBatch(uint256 batchSeed) external {
        _setBatchFrozen(_pickBatchOrUnknown(batchSeed), true);
    }

    /// @dev Unfreezes a frozen batch when there is one, like {unfreezeAccount}.
    function unfreezeBatch(uint256 batchSeed) external {
        uint256 batchId = _pickBatchOrUnknown(batchSeed);
        for (uint256 i = 0; i < ghostBatchCount && batchSeed % 8 != 0; ++i) {
            uint256 b = 1 + (batchSeed % ghostBatchCount + i) % ghostBatchCount;
            if (ghostBatchFrozen[b]) {
                batchId = b;
                break;
            }
        }
        _setBatchFrozen(batchId, false);
    }

    /// @dev Pauses now and then (1 call in 8); unpauses whenever paused, so runs stay mostly live.
    function togglePause(uint256 seed) external {
        if (ghostPaused) {
            vm.prank(_pauser);
            try credits.unpause() {
                ghostPaused = false;
                ++succeeded["unpause"];
            } catch (bytes memory reason) {
                _expectFailure("unpause", "", reason);
            }
        } else if (seed % 8 == 0) {
            vm.prank(_pauser);
            try credits.pause() {
                ghostPaused = true;
                ++succeeded["pause"];
            } catch (bytes memory reason) {
                _expectFailure("pause", "", reason);
            }
        }
    }

    /// @dev Suspends or reinstates a registered actor in the registry (never unregisters).
    function toggleSuspension(uint256 actorSeed) external {
        address account = _actors[actorSeed % _actors.length];
        if (!ghostRegistered[account]) return;
        ITanhuiRegistry.ParticipantStatus next = ghostActive[account]
            ? ITanhuiRegistry.ParticipantStatus.Suspended
            : ITanhuiRegistry.ParticipantStatus.Active;
        vm.prank(_registrar);
        registry.setParticipantStatus(account, next);
        ghostActive[account] = next == ITanhuiRegistry.ParticipantStatus.Active;
        ++succeeded["toggleSuspension"];
    }

    // ----------------------------------------------------------------------------------------
    // Views for the invariants
    // ----------------------------------------------------------------------------------------

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function projects() external view returns (bytes32[] memory) {
        return _projects;
    }

    function issuedPeriodCount(bytes32 projectId) external view returns (uint256) {
        return _issuedPeriods[projectId].length;
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    function _setAccountFrozen(address account, bool frozen) internal {
        bytes memory expected;
        if (ghostAccountFrozen[account] == frozen) {
            expected = abi.encodeWithSelector(
                frozen ? ITanhuiCredits.CreditsAlreadyFrozen.selector : ITanhuiCredits.CreditsNotFrozen.selector
            );
        }
        vm.prank(_supervisor);
        try credits.setAccountFrozen(account, frozen, "invariant run: dispute") {
            if (_expectSuccess("setAccountFrozen", expected)) ghostAccountFrozen[account] = frozen;
        } catch (bytes memory reason) {
            _expectFailure("setAccountFrozen", expected, reason);
        }
    }

    /// @dev An issued batch, or one call in eight (and always before any issuance) the id after
    /// the last one, which does not exist.
    function _pickBatchOrUnknown(uint256 seed) internal view returns (uint256) {
        return ghostBatchCount == 0 || seed % 8 == 0 ? ghostBatchCount + 1 : _pickBatch(seed >> 3);
    }

    function _setBatchFrozen(uint256 batchId, bool frozen) internal {
        bytes memory expected;
        if (batchId > ghostBatchCount) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, batchId);
        } else if (ghostBatchFrozen[batchId] == frozen) {
            expected = abi.encodeWithSelector(
                frozen ? ITanhuiCredits.CreditsAlreadyFrozen.selector : ITanhuiCredits.CreditsNotFrozen.selector
            );
        }
        vm.prank(_supervisor);
        try credits.setBatchFrozen(batchId, frozen, "invariant run: review") {
            if (_expectSuccess("setBatchFrozen", expected)) ghostBatchFrozen[batchId] = frozen;
        } catch (bytes memory reason) {
            _expectFailure("setBatchFrozen", expected, reason);
        }
        if (batchId <= ghostBatchCount) _observe(batchId);
    }

    /// @dev The error a holder-to-holder transfer must fail with, in the order TanhuiCredits._update
    /// and then ERC1155._update check; empty when it must succeed.
    function _transferError(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        view
        returns (bytes memory)
    {
        if (ghostPaused) return abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        if (ghostAccountFrozen[from]) {
            return abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, from);
        }
        for (uint256 i = 0; i < ids.length; ++i) {
            if (ghostBatchFrozen[ids[i]]) {
                return abi.encodeWithSelector(ITanhuiCredits.CreditsBatchFrozen.selector, ids[i]);
            }
        }
        bytes memory receiveError = _receiveError(to);
        if (receiveError.length != 0) return receiveError;
        // ERC1155 moves id by id, so a repeated id sees the balance its first move left
        // (unless the credits came straight back: a transfer to oneself).
        for (uint256 i = 0; i < ids.length; ++i) {
            uint256 available = ghostBalance[from][ids[i]];
            for (uint256 j = 0; j < i; ++j) {
                if (ids[j] == ids[i] && from != to) available -= values[j];
            }
            if (available < values[i]) {
                return abi.encodeWithSelector(
                    IERC1155Errors.ERC1155InsufficientBalance.selector, from, available, values[i], ids[i]
                );
            }
        }
        return "";
    }

    function _receiveError(address to) internal view returns (bytes memory) {
        if (ghostAccountFrozen[to]) return abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, to);
        if (!ghostActive[to]) return abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, to);
        return "";
    }

    /// @dev The first issued period of `projectId` (in issue order, as the contract scans) that
    /// overlaps [start, end).
    function _firstOverlap(bytes32 projectId, uint64 start, uint64 end) internal view returns (bool, Period memory) {
        Period[] storage periods = _issuedPeriods[projectId];
        for (uint256 i = 0; i < periods.length; ++i) {
            if (start < periods[i].end && periods[i].start < end) return (true, periods[i]);
        }
        return (false, Period(0, 0));
    }

    /// @dev Three times in four, a (holder, batch) with a balance, searched from the seeds;
    /// otherwise, or when nobody holds anything, any actor and batch.
    function _pickPosition(uint256 actorSeed, uint256 batchSeed) internal view returns (address, uint256) {
        address anyActor = _actors[actorSeed % _actors.length];
        uint256 anyBatch = _pickBatch(batchSeed);
        if (actorSeed % 4 == 0) return (anyActor, anyBatch);
        for (uint256 i = 0; i < _actors.length; ++i) {
            address a = _actors[(actorSeed % _actors.length + i) % _actors.length];
            for (uint256 j = 0; j < ghostBatchCount; ++j) {
                uint256 b = 1 + (batchSeed % ghostBatchCount + j) % ghostBatchCount;
                if (ghostBalance[a][b] != 0) return (a, b);
            }
        }
        return (anyActor, anyBatch);
    }

    function _pickBatch(uint256 seed) internal view returns (uint256) {
        return 1 + (seed % ghostBatchCount);
    }

    /// @dev Within the balance, except one time in eight: one more than the balance.
    function _pickAmount(uint256 seed, uint256 balance) internal pure returns (uint256) {
        if (balance == 0 || seed % 8 == 0) return balance + 1;
        return bound(seed >> 3, 1, balance);
    }

    function _retirementDetails() internal pure returns (ITanhuiCredits.RetirementDetails memory) {
        return ITanhuiCredits.RetirementDetails({
            beneficiary: "Invariant Run Ltd",
            purpose: ITanhuiCredits.RetirementPurpose.OrganisationNeutrality,
            eventId: bytes32(0),
            jurisdiction: "CN-SC",
            consumptionStart: 0,
            consumptionEnd: 0,
            note: ""
        });
    }

    /// @dev After an action, for each batch it touched: the retired counter never went down.
    /// Batches an action does not touch keep their high-water mark, which
    /// {invariant_retired_never_decreases} compares with every batch after every call.
    function _observe(uint256 batchId) internal {
        if (batchId == 0) return;
        uint256 retired = credits.batch(batchId).retired;
        if (retired < ghostRetiredHighWater[batchId]) ghostRetiredDecreased = true;
        else ghostRetiredHighWater[batchId] = retired;
    }

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
