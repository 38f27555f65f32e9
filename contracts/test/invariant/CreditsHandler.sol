// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ModelHandler} from "../utils/ModelHandler.sol";
import {TanhuiRegistry} from "../../src/TanhuiRegistry.sol";
import {TanhuiCredits} from "../../src/TanhuiCredits.sol";
import {TanhuiRoles} from "../../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";

/// @dev Drives random issue / transfer (by holders and by approved operators, including zero
/// values and unissued ids) / approve / withdraw report / retire / invalidate / freeze / unfreeze
/// / pause / suspend calls among a fixed set of actors, and keeps a model of what the contracts
/// should do.
///
/// Every call to TanhuiCredits goes through try/catch, so the handler itself never reverts (its
/// registry calls are always valid; the invariant test fails on any revert). Before each call it
/// predicts the outcome from its model (success, or the exact custom error with its arguments,
/// in the order the contract checks them); a different outcome is counted in `mismatches`,
/// which an invariant requires to stay 0. On success the ghost state (balances, counters,
/// issued periods, certificates) is updated, so the invariants can compare it with the contracts.
contract CreditsHandler is ModelHandler {
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
    mapping(address holder => mapping(address operator => bool)) public ghostApproved;
    bytes32[] internal _withdrawnReports;

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

    uint256 internal _reportNonce;

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

    /// @dev A holder's transfer; one call in 16 moves zero, one in 16 names an unissued id.
    function transfer(uint256 fromSeed, uint256 toSeed, uint256 batchSeed, uint256 amountSeed) external {
        if (ghostBatchCount == 0) return;
        (address from, uint256 batchId) = _pickPosition(fromSeed, batchSeed);
        _transferSingle("transfer", from, from, toSeed, _maybeUnissued(batchId, batchSeed), amountSeed);
    }

    /// @dev An operator's transfer of another actor's credits: half the time an operator the
    /// holder approved (if any), else any actor (usually refused for want of approval).
    function transferByOperator(
        uint256 operatorSeed,
        uint256 fromSeed,
        uint256 toSeed,
        uint256 batchSeed,
        uint256 amountSeed
    ) external {
        if (ghostBatchCount == 0) return;
        (address from, uint256 batchId) = _pickPosition(fromSeed, batchSeed);
        address operator = _actors[operatorSeed % _actors.length];
        for (uint256 i = 0; i < _actors.length && operatorSeed % 2 == 0; ++i) {
            address a = _actors[(operatorSeed / 2 + i) % _actors.length];
            if (a != from && ghostApproved[from][a]) {
                operator = a;
                break;
            }
        }
        _transferSingle("transferByOperator", operator, from, toSeed, _maybeUnissued(batchId, batchSeed), amountSeed);
    }

    /// @dev Two ids, the second any batch (a zero value when the sender holds none of it, which
    /// is refused), now and then an unissued one; one call in 32 moves nothing at all (empty arrays).
    function transferBatch(uint256 fromSeed, uint256 toSeed, uint256 batchSeed, uint256 amountSeed) external {
        if (ghostBatchCount == 0) return;
        (address from, uint256 firstId) = _pickPosition(fromSeed, batchSeed);
        address to = _actors[toSeed % _actors.length];
        uint256 size = amountSeed % 32 == 31 ? 0 : 2;
        uint256[] memory ids = new uint256[](size);
        uint256[] memory values = new uint256[](size);
        if (size == 2) {
            ids[0] = firstId;
            ids[1] = _maybeUnissued(_pickBatch(batchSeed >> 128), batchSeed >> 64);
            uint256 firstBalance = ghostBalance[from][ids[0]];
            values[0] = _pickAmount(amountSeed, firstBalance);
            uint256 secondBalance = ghostBalance[from][ids[1]];
            if (secondBalance == 0 && _isIssued(ids[1]) && (amountSeed >> 64) % 4 != 0 && values[0] < firstBalance) {
                // Mostly the first batch again (ERC-1155 allows a repeated id), so that batches move.
                ids[1] = ids[0];
                secondBalance = firstBalance - values[0];
            }
            values[1] = secondBalance == 0 ? 0 : _pickAmount(amountSeed >> 128, secondBalance);
        }
        bytes memory expected = _transferError(from, from, to, ids, values);

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
        if (size == 2) {
            _observe(ids[0]);
            if (_isIssued(ids[1])) _observe(ids[1]);
        }
    }

    /// @dev Approves or revokes an operator, by and to any actor: registered or not, active or
    /// suspended, frozen or not.
    function approve(uint256 holderSeed, uint256 operatorSeed, bool approved) external {
        // Half the time each side is one the approval can succeed with, when there is one.
        address holder = _pickActor(holderSeed, true);
        address operator = _pickActor(operatorSeed, false);
        bytes memory expected;
        if (ghostAccountFrozen[holder]) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, holder);
        } else if (approved) {
            if (!ghostRegistered[holder]) {
                expected = abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, holder);
            } else if (ghostAccountFrozen[operator]) {
                expected = abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, operator);
            } else if (!ghostActive[operator]) {
                expected = abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, operator);
            }
        }
        string memory action = approved ? "approve" : "revoke";
        vm.prank(holder);
        try credits.setApprovalForAll(operator, approved) {
            if (_expectSuccess(action, expected)) ghostApproved[holder][operator] = approved;
        } catch (bytes memory reason) {
            _expectFailure(action, expected, reason);
        }
    }

    /// @dev Withdraws a report: mostly a new one (by its verifier, a supervisor, or an actor who
    /// may not), which then cannot be issued; sometimes one already issued or already withdrawn.
    function withdrawReport(uint256 projectSeed, uint256 startSeed, uint256 callerSeed) external {
        bytes32 reportHash;
        address caller = callerSeed % 3 == 0 ? _verifier : _supervisor;
        bytes memory expected;
        uint256 kind = callerSeed % 8;
        if (kind == 0 && ghostBatchCount != 0) {
            uint256 batchId = _pickBatch(callerSeed >> 3);
            reportHash = ghostBatchReport[batchId];
            caller = _supervisor;
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsReportAlreadyIssued.selector, reportHash, batchId);
        } else if (kind == 1 && _withdrawnReports.length != 0) {
            reportHash = _withdrawnReports[(callerSeed >> 3) % _withdrawnReports.length];
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsReportWithdrawn.selector, reportHash);
        } else {
            bytes32 projectId = _projects[projectSeed % _projects.length];
            uint64 start = GRID_START + uint64(bound(startSeed, 0, 59)) * DAY;
            reportHash = keccak256(abi.encode("invariant-report", ++_reportNonce));
            vm.prank(_verifier);
            registry.recordVerifiedReport(reportHash, projectId, start, start + DAY, 1_000);
            if (kind == 2) {
                caller = _actors[(callerSeed >> 3) % _actors.length];
                expected = abi.encodeWithSelector(
                    IAccessControl.AccessControlUnauthorizedAccount.selector, caller, TanhuiRoles.SUPERVISOR
                );
            }
        }

        vm.prank(caller);
        try credits.withdrawReport(reportHash, "invariant run: withdrawn") {
            if (_expectSuccess("withdrawReport", expected)) _withdrawnReports.push(reportHash);
        } catch (bytes memory reason) {
            _expectFailure("withdrawReport", expected, reason);
        }

        if (credits.isReportWithdrawn(reportHash)) {
            // A withdrawn report is never issued.
            expected = ghostPaused
                ? abi.encodeWithSelector(Pausable.EnforcedPause.selector)
                : abi.encodeWithSelector(ITanhuiCredits.CreditsReportWithdrawn.selector, reportHash);
            vm.prank(_issuer);
            try credits.issue(reportHash) returns (uint256) {
                _mismatch("withdrawReport: a withdrawn report was issued");
            } catch (bytes memory reason) {
                _expectFailure("issueWithdrawn", expected, reason);
            }
        }
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

    function withdrawnReports() external view returns (bytes32[] memory) {
        return _withdrawnReports;
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

    /// @dev One id moved by `operator` (the holder itself or not) through safeTransferFrom.
    function _transferSingle(
        string memory action,
        address operator,
        address from,
        uint256 toSeed,
        uint256 batchId,
        uint256 amountSeed
    ) internal {
        address to = _actors[toSeed % _actors.length];
        uint256 amount = amountSeed % 16 == 15 ? 0 : _pickAmount(amountSeed, ghostBalance[from][batchId]);
        uint256[] memory ids = new uint256[](1);
        ids[0] = batchId;
        uint256[] memory values = new uint256[](1);
        values[0] = amount;
        bytes memory expected = _transferError(operator, from, to, ids, values);

        vm.prank(operator);
        try credits.safeTransferFrom(from, to, batchId, amount, "") {
            if (_expectSuccess(action, expected)) {
                ghostBalance[from][batchId] -= amount;
                ghostBalance[to][batchId] += amount;
            }
        } catch (bytes memory reason) {
            _expectFailure(action, expected, reason);
        }
        if (_isIssued(batchId)) _observe(batchId);
    }

    /// @dev Any actor; or, for even seeds, the first from the seed on that is unfrozen and
    /// registered (`asHolder`) or active (as an operator), if any.
    function _pickActor(uint256 seed, bool asHolder) internal view returns (address) {
        uint256 n = _actors.length;
        address any = _actors[(seed >> 1) % n];
        if (seed % 2 == 1) return any;
        for (uint256 i = 0; i < n; ++i) {
            address a = _actors[((seed >> 1) + i) % n];
            if (!ghostAccountFrozen[a] && (asHolder ? ghostRegistered[a] : ghostActive[a])) return a;
        }
        return any;
    }

    /// @dev `batchId`, or one call in 16 an id never issued: 0, the next one, or a huge one.
    function _maybeUnissued(uint256 batchId, uint256 seed) internal view returns (uint256) {
        if (seed % 16 != 15) return batchId;
        uint256 pick = (seed >> 4) % 3;
        if (pick == 0) return 0;
        if (pick == 1) return ghostBatchCount + 1;
        return (seed >> 4) | (1 << 255);
    }

    function _isIssued(uint256 id) internal view returns (bool) {
        return id != 0 && id <= ghostBatchCount;
    }

    /// @dev The error a transfer by `operator` must fail with, in the order ERC1155 (approval),
    /// TanhuiCredits._update and then ERC1155._update check; empty when it must succeed.
    function _transferError(
        address operator,
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values
    ) internal view returns (bytes memory) {
        if (operator != from && !ghostApproved[from][operator]) {
            return abi.encodeWithSelector(IERC1155Errors.ERC1155MissingApprovalForAll.selector, operator, from);
        }
        if (ghostPaused) return abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        if (ghostAccountFrozen[from]) {
            return abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, from);
        }
        if (!ghostRegistered[from]) {
            return abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, from);
        }
        if (operator != from) {
            if (ghostAccountFrozen[operator]) {
                return abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, operator);
            }
            if (!ghostActive[operator]) {
                return abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, operator);
            }
        }
        if (ids.length == 0) return abi.encodeWithSelector(ITanhuiCredits.CreditsZeroAmount.selector);
        for (uint256 i = 0; i < ids.length; ++i) {
            if (values[i] == 0) return abi.encodeWithSelector(ITanhuiCredits.CreditsZeroAmount.selector);
            if (!_isIssued(ids[i])) return abi.encodeWithSelector(ITanhuiCredits.CreditsUnknownBatch.selector, ids[i]);
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
}
