// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ITanhuiCredits} from "./interfaces/ITanhuiCredits.sol";
import {ITanhuiRegistry} from "./interfaces/ITanhuiRegistry.sol";
import {TanhuiRoles} from "./TanhuiRoles.sol";

/// @title TanhuiCredits
/// @notice Verified emission reductions as ERC-1155 credits, one token id per issuance batch,
/// one unit per kilogram of CO2e. Only participants registered in {TanhuiRegistry} hold credits;
/// roles are granted there. Every transfer is a non-zero move of an issued batch, from a
/// registered participant, to an active one, by the holder or by an operator that is an active
/// participant or an allowlisted registry contract: nothing else reaches the logs an indexer reads.
///
/// Conservation, per batch: issued == held + escrowed + retired + invalidated, where held is the
/// sum of the participants' balances of the batch's token id and escrowed the market's balance
/// ({setMarket}). Issuance adds to issued and held; a transfer moves held between holders; a
/// listing moves held to escrowed, a cancellation or settlement moves it back to held; a
/// retirement moves held to retired; an invalidation moves held to invalidated.
contract TanhuiCredits is ITanhuiCredits, ERC1155, Pausable {
    /// @dev A batch's own counters, packed in one slot: 3 x 64 + 40 + 8 bits.
    struct BatchState {
        uint64 issued;
        uint64 retired;
        uint64 invalidated;
        uint40 issuedAt;
        bool frozen;
    }

    /// @dev Issued periods of a project. Reports are usually issued in period order, so the
    /// common check is one comparison with `latestEnd`; an earlier gap is checked against every
    /// issued period.
    struct ProjectPeriods {
        uint64 count;
        uint64 latestEnd;
    }

    /// @dev An event's carbon-neutrality account, in two slots: the running total retired against
    /// the event and, once its claim is closed, the claim (64 + 56 + 56 + 40 + 40 bits), then the
    /// footprint's hash. Retirement touches the first slot only.
    struct EventState {
        uint64 retiredKg;
        uint56 footprintKg;
        uint56 requiredKg;
        uint40 closedAt;
        uint40 closedBlock;
        bytes32 footprintHash;
    }

    /// @notice The largest amount a claim may require (and so the largest footprint): 2^56 - 1 kg,
    /// about 72 Gt CO2e, more than the world emits in a year.
    uint64 public constant MAX_CLAIM_KG = type(uint56).max;

    /// @notice The bounds of the texts the contract accepts, in bytes of UTF-8. The registry's
    /// API takes at most 200, 64 and 1000 characters (4 bytes each at most) and reasons of 1000.
    uint256 public constant MAX_BENEFICIARY_BYTES = 800;
    uint256 public constant MAX_JURISDICTION_BYTES = 256;
    uint256 public constant MAX_NOTE_BYTES = 4000;
    uint256 public constant MAX_REASON_BYTES = 4000;

    bytes32 private constant _ADMIN_ROLE = 0x00;
    /// @dev Kept in `_reportBatches` for a withdrawn report: no batch id ever reaches it, and
    /// {issue} learns "issued" and "withdrawn" from one storage read.
    uint256 private constant _WITHDRAWN = type(uint256).max;

    ITanhuiRegistry private immutable _registry;

    /// @dev The next batch id and certificate id. Both start at 1 in the constructor, so the
    /// first issuance and retirement pay a warm update, not a zero-to-nonzero store.
    uint256 private _nextBatchId;
    uint256 private _nextCertificateId;

    mapping(uint256 batchId => bytes32) private _batchReports;
    mapping(uint256 batchId => BatchState) private _batches;
    /// @dev The batch issued against a report, `_WITHDRAWN` for a withdrawn report, or 0.
    mapping(bytes32 reportHash => uint256 batchId) private _reportBatches;
    mapping(bytes32 projectId => ProjectPeriods) private _projectPeriods;
    /// @dev period i of a project, packed as (start << 64) | end.
    mapping(bytes32 projectId => mapping(uint256 index => uint128)) private _issuedPeriods;
    mapping(uint256 certificateId => Retirement) private _retirements;
    mapping(address account => bool) private _frozenAccounts;
    /// @dev Contracts of the scheme (the exchange's escrow) that holders may approve as operators.
    mapping(address account => bool) private _registryContracts;
    mapping(bytes32 eventId => EventState) private _events;
    /// @dev The exchange's escrow contract ({setMarket}), set once: it moves a holder's credits
    /// into escrow when the holder lists them, and out to a buyer or back to the seller.
    address private _market;

    modifier onlyRole(bytes32 role) {
        if (!_registry.hasRole(role, msg.sender)) revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
        _;
    }

    /// @param registry_ the registry holding participants, reports and roles.
    /// @param uri_ the ERC-1155 metadata URI template, e.g. `https://registry.example/v1/batches/{id}`.
    constructor(ITanhuiRegistry registry_, string memory uri_) ERC1155(uri_) {
        _registry = registry_;
        _nextBatchId = 1;
        _nextCertificateId = 1;
    }

    // ----------------------------------------------------------------------------------------
    // Issuance
    // ----------------------------------------------------------------------------------------

    /// @notice Issues the verified reduction of report `reportHash` as a new batch, to the
    /// project's owner. The report's period must not overlap any period already issued for
    /// the project, and each report is issued at most once.
    ///
    /// Requirements:
    /// - the caller has the issuer role; the contract is not paused;
    /// - the report is verified in the registry, was not issued and was not withdrawn;
    /// - the verifier that recorded it still holds the verifier role;
    /// - its project is registered and its owner is an active participant and not frozen;
    /// - the period overlaps no issued period of the project.
    ///
    /// Emits a {CreditsIssued} and then a {TransferSingle} event.
    function issue(bytes32 reportHash) external onlyRole(TanhuiRoles.ISSUER) whenNotPaused returns (uint256 batchId) {
        ITanhuiRegistry.Report memory r = _registry.report(reportHash);
        if (r.verifiedAt == 0) revert CreditsReportNotVerified(reportHash);
        uint256 existing = _reportBatches[reportHash];
        if (existing != 0) {
            if (existing == _WITHDRAWN) revert CreditsReportWithdrawn(reportHash);
            revert CreditsReportAlreadyIssued(reportHash, existing);
        }
        if (!_registry.hasRole(TanhuiRoles.VERIFIER, r.verifier)) {
            revert CreditsVerifierNotActive(reportHash, r.verifier);
        }
        ITanhuiRegistry.Project memory p = _registry.project(r.projectId);
        if (p.status != ITanhuiRegistry.ProjectStatus.Registered) revert CreditsProjectNotRegistered(r.projectId);
        _claimPeriod(r.projectId, r.periodStart, r.periodEnd);

        batchId = _nextBatchId++;
        _batchReports[batchId] = reportHash;
        _batches[batchId] = BatchState({
            issued: r.amount,
            retired: 0,
            invalidated: 0,
            issuedAt: uint40(block.timestamp),
            frozen: false
        });
        _reportBatches[reportHash] = batchId;

        _requireCanReceive(p.owner);
        // Emitted with the batch record, before the mint: the mint calls a contract owner's
        // receiver hook, and anything the hook does with the batch must be logged after it.
        emit CreditsIssued(batchId, r.projectId, reportHash, p.owner, r.amount, r.periodStart, r.periodEnd);
        _mint(p.owner, batchId, r.amount, "");
    }

    /// @notice Withdraws a verified report before issuance, so that it is never issued (the
    /// verification was wrong, or its verifier is under review). Works while paused.
    ///
    /// WARNING: a withdrawn report stays withdrawn; a corrected report is recorded under a new hash.
    ///
    /// Requirements:
    /// - the caller has the supervisor role, or is the report's verifier and still holds the
    ///   verifier role;
    /// - `reason` is not empty and at most `MAX_REASON_BYTES` long;
    /// - the report is verified, not issued and not already withdrawn.
    ///
    /// Emits a {ReportWithdrawn} event.
    function withdrawReport(bytes32 reportHash, string calldata reason) external {
        ITanhuiRegistry.Report memory r = _registry.report(reportHash);
        address caller = _msgSender();
        if (!_registry.hasRole(TanhuiRoles.SUPERVISOR, caller)) {
            if (caller != r.verifier) {
                revert IAccessControl.AccessControlUnauthorizedAccount(caller, TanhuiRoles.SUPERVISOR);
            }
            if (!_registry.hasRole(TanhuiRoles.VERIFIER, caller)) {
                revert IAccessControl.AccessControlUnauthorizedAccount(caller, TanhuiRoles.VERIFIER);
            }
        }
        _checkReason(reason);
        _withdrawReport(reportHash, r.verifiedAt, caller, reason);
    }

    // ----------------------------------------------------------------------------------------
    // Retirement
    // ----------------------------------------------------------------------------------------

    /// @notice Retires `amount` of the caller's credits of batch `batchId` for the purpose and
    /// beneficiary in `details`, and returns the certificate id. The retirement takes the next
    /// `amount` serials of the batch.
    ///
    /// WARNING: retiring credits is permanent. Retired credits cannot be transferred, restored
    /// or retired again.
    ///
    /// Requirements:
    /// - the contract is not paused; the caller and the batch are not frozen;
    /// - `amount` is not zero and at most the caller's balance of the batch;
    /// - the beneficiary is not empty; the beneficiary, jurisdiction and note are at most
    ///   `MAX_BENEFICIARY_BYTES`, `MAX_JURISDICTION_BYTES` and `MAX_NOTE_BYTES` long;
    /// - the consumption period is empty (0, 0) or start <= end;
    /// - when `details.eventId` is not zero, the event's claim is not closed ({closeClaim}); the
    ///   amount is then added to the event's account ({eventAccount}).
    ///
    /// Emits a {CreditsRetired} and a {TransferSingle} event.
    function retire(uint256 batchId, uint64 amount, RetirementDetails calldata details)
        external
        whenNotPaused
        returns (uint256 certificateId)
    {
        return _retire(_msgSender(), batchId, amount, details);
    }

    /// @notice Retires `amount` of `holder`'s credits of batch `batchId` for `holder`, as
    /// {retire} does for its caller: the market's buy-and-retire, in the transaction that delivered
    /// the credits to the buyer. The certificate names `holder`.
    ///
    /// Requirements: the caller is the market ({setMarket}); everything {retire} requires of a holder.
    ///
    /// Emits a {CreditsRetired} and a {TransferSingle} event.
    function retireFor(address holder, uint256 batchId, uint64 amount, RetirementDetails calldata details)
        external
        whenNotPaused
        returns (uint256 certificateId)
    {
        if (_msgSender() != _market) revert CreditsOnlyMarket(_msgSender());
        return _retire(holder, batchId, amount, details);
    }

    function _retire(address holder, uint256 batchId, uint64 amount, RetirementDetails calldata details)
        private
        returns (uint256 certificateId)
    {
        if (amount == 0) revert CreditsZeroAmount();
        uint256 length = bytes(details.beneficiary).length;
        if (length == 0) revert CreditsEmptyBeneficiary();
        if (length > MAX_BENEFICIARY_BYTES) revert CreditsTextTooLong("beneficiary", length, MAX_BENEFICIARY_BYTES);
        length = bytes(details.jurisdiction).length;
        if (length > MAX_JURISDICTION_BYTES) revert CreditsTextTooLong("jurisdiction", length, MAX_JURISDICTION_BYTES);
        length = bytes(details.note).length;
        if (length > MAX_NOTE_BYTES) revert CreditsTextTooLong("note", length, MAX_NOTE_BYTES);
        if (details.consumptionStart > details.consumptionEnd) {
            revert CreditsInvalidConsumptionPeriod(details.consumptionStart, details.consumptionEnd);
        }
        if (_frozenAccounts[holder]) revert CreditsAccountFrozen(holder);
        BatchState storage b = _batches[batchId];
        if (b.frozen) revert CreditsBatchFrozen(batchId);
        uint256 balance = balanceOf(holder, batchId);
        if (balance < amount) revert CreditsInsufficientBalance(holder, batchId, balance, amount);
        if (details.eventId != 0) _addToEvent(details.eventId, amount);

        // One read of the batch's slot: the serial block follows what the batch has retired so far.
        uint64 serialLast = b.retired;
        uint64 serialFirst = serialLast + 1;
        serialLast += amount;
        b.retired = serialLast;
        certificateId = _nextCertificateId++;
        _retirements[certificateId] = Retirement({
            holder: holder,
            // forge-lint: disable-next-line(unsafe-typecast) batch ids count up from 1 and stay far below 2**48
            batchId: uint48(batchId),
            // forge-lint: disable-next-line(unsafe-typecast) block numbers stay below 2**40 for 10**4 years
            blockNumber: uint40(block.number),
            purpose: details.purpose,
            serialFirst: serialFirst,
            serialLast: serialLast,
            // forge-lint: disable-next-line(unsafe-typecast) unix seconds stay below 2**40 until year 36812
            retiredAt: uint40(block.timestamp),
            consumptionStart: details.consumptionStart,
            consumptionEnd: details.consumptionEnd
        });

        _burn(holder, batchId, amount);
        emit CreditsRetired(certificateId, batchId, holder, amount, serialFirst, serialLast, details);
    }

    // ----------------------------------------------------------------------------------------
    // Carbon-neutrality claims (R14)
    // ----------------------------------------------------------------------------------------

    /// @notice Closes the carbon-neutrality claim of event `eventId`: records its verified
    /// footprint `footprintKg`, the amount `requiredKg` required to be neutral (the footprint plus
    /// the claimant's buffer), the footprint's hash and the total retired against the event, which
    /// must cover `requiredKg`. From then on nothing more is retired against the event, and
    /// {eventAccount} shows anyone that the event was carbon neutral.
    ///
    /// Requirements:
    /// - the caller has the issuer role; the contract is not paused;
    /// - `eventId` and `footprintKg` are not zero; `footprintKg <= requiredKg <= MAX_CLAIM_KG`;
    /// - the claim is not already closed;
    /// - the credits retired against the event are at least `requiredKg`.
    ///
    /// Emits a {ClaimClosed} event.
    function closeClaim(bytes32 eventId, uint64 footprintKg, uint64 requiredKg, bytes32 footprintHash)
        external
        onlyRole(TanhuiRoles.ISSUER)
        whenNotPaused
    {
        if (eventId == 0) revert CreditsZeroEventId();
        if (footprintKg == 0) revert CreditsZeroFootprint();
        if (requiredKg < footprintKg) revert CreditsRequiredBelowFootprint(footprintKg, requiredKg);
        if (requiredKg > MAX_CLAIM_KG) revert CreditsClaimTooLarge(requiredKg, MAX_CLAIM_KG);
        EventState storage e = _events[eventId];
        if (e.closedAt != 0) revert CreditsClaimClosed(eventId);
        uint64 retiredKg = e.retiredKg;
        if (retiredKg < requiredKg) revert CreditsClaimNotCovered(eventId, retiredKg, requiredKg);

        // forge-lint: disable-next-line(unsafe-typecast) footprintKg <= requiredKg <= MAX_CLAIM_KG, checked above
        e.footprintKg = uint56(footprintKg);
        // forge-lint: disable-next-line(unsafe-typecast) requiredKg <= MAX_CLAIM_KG, checked above
        e.requiredKg = uint56(requiredKg);
        // forge-lint: disable-next-line(unsafe-typecast) unix seconds stay below 2**40 until year 36812
        e.closedAt = uint40(block.timestamp);
        // forge-lint: disable-next-line(unsafe-typecast) block numbers stay below 2**40 for 10**4 years
        e.closedBlock = uint40(block.number);
        e.footprintHash = footprintHash;
        emit ClaimClosed(eventId, footprintKg, requiredKg, retiredKg, footprintHash);
    }

    // ----------------------------------------------------------------------------------------
    // Supervision (R24)
    // ----------------------------------------------------------------------------------------

    /// @notice Invalidates `amount` of `holder`'s credits of `batchId`, for example after a
    /// verification is found wrong. Works on frozen accounts and batches.
    ///
    /// Requirements:
    /// - the caller has the supervisor role; the contract is not paused;
    /// - `amount` is not zero and at most the holder's balance;
    /// - `reason` is not empty and at most `MAX_REASON_BYTES` long.
    ///
    /// Emits a {CreditsInvalidated} and a {TransferSingle} event.
    function invalidate(address holder, uint256 batchId, uint64 amount, string calldata reason)
        external
        onlyRole(TanhuiRoles.SUPERVISOR)
        whenNotPaused
    {
        if (amount == 0) revert CreditsZeroAmount();
        _checkReason(reason);
        if (holder == _market) revert CreditsEscrowed(batchId);
        uint256 balance = balanceOf(holder, batchId);
        if (balance < amount) revert CreditsInsufficientBalance(holder, batchId, balance, amount);
        _batches[batchId].invalidated += amount;
        _burn(holder, batchId, amount);
        emit CreditsInvalidated(batchId, holder, amount, reason);
    }

    /// @notice Freezes or unfreezes an account: a frozen account neither sends, receives nor
    /// retires credits, nor grants or revokes approvals. Requirements: the caller has the
    /// supervisor role; `reason` is not empty and at most `MAX_REASON_BYTES` long; the state
    /// changes. Emits an {AccountFrozen} or {AccountUnfrozen} event.
    function setAccountFrozen(address account, bool frozen, string calldata reason)
        external
        onlyRole(TanhuiRoles.SUPERVISOR)
    {
        _checkReason(reason);
        if (_frozenAccounts[account] == frozen) {
            if (frozen) revert CreditsAlreadyFrozen();
            revert CreditsNotFrozen();
        }
        _frozenAccounts[account] = frozen;
        if (frozen) emit AccountFrozen(account, reason);
        else emit AccountUnfrozen(account, reason);
    }

    /// @notice Freezes or unfreezes a batch: credits of a frozen batch are neither transferred
    /// nor retired. Requirements: the caller has the supervisor role; `reason` is not empty and at
    /// most `MAX_REASON_BYTES` long; the batch exists; the state changes. Emits a {BatchFrozen}
    /// or {BatchUnfrozen} event.
    function setBatchFrozen(uint256 batchId, bool frozen, string calldata reason)
        external
        onlyRole(TanhuiRoles.SUPERVISOR)
    {
        _checkReason(reason);
        BatchState storage b = _batches[batchId];
        if (b.issuedAt == 0) revert CreditsUnknownBatch(batchId);
        if (b.frozen == frozen) {
            if (frozen) revert CreditsAlreadyFrozen();
            revert CreditsNotFrozen();
        }
        b.frozen = frozen;
        if (frozen) emit BatchFrozen(batchId, reason);
        else emit BatchUnfrozen(batchId, reason);
    }

    // ----------------------------------------------------------------------------------------
    // Approvals
    // ----------------------------------------------------------------------------------------

    /// @notice Approves (`approved`) or revokes `operator` to move all of the caller's credits.
    /// Approvals go only to active, unfrozen participants or to allowlisted registry contracts;
    /// a revocation needs nothing of the operator. Works while paused.
    ///
    /// Requirements:
    /// - the caller is not frozen;
    /// - when approving: the caller is a registered participant (active or suspended), and
    ///   `operator` is not frozen and is an active participant or an allowlisted registry contract.
    ///
    /// Emits an {ApprovalForAll} event.
    function setApprovalForAll(address operator, bool approved) public override {
        address holder = _msgSender();
        if (_frozenAccounts[holder]) revert CreditsAccountFrozen(holder);
        if (approved) {
            if (!_isRegistered(holder)) revert CreditsUnregisteredAccount(holder);
            _requireCanOperate(operator);
        }
        super.setApprovalForAll(operator, approved);
    }

    /// @notice Allowlists (`allowed`) or delists a contract of the scheme, such as the exchange's
    /// escrow: holders may then approve it as an operator, as they approve an active participant.
    /// It receives credits only if it is also an active participant.
    ///
    /// Requirements:
    /// - the caller has the admin role (`DEFAULT_ADMIN_ROLE` in the registry);
    /// - when allowing, `account` has code.
    ///
    /// Emits a {RegistryContractSet} event.
    function setRegistryContract(address account, bool allowed) external onlyRole(_ADMIN_ROLE) {
        if (allowed && account.code.length == 0) revert CreditsNotAContract(account);
        _registryContracts[account] = allowed;
        emit RegistryContractSet(account, allowed);
    }

    /// @notice Names the exchange's escrow contract, once. The market is every holder's operator
    /// ({isApprovedForAll}) without an approval, receives credits without being a participant, and
    /// alone may call {retireFor}; its own rules decide when it moves credits (a holder's listing,
    /// a cancellation, a settlement). Credits it holds are in escrow and cannot be invalidated.
    ///
    /// Requirements: the caller has the admin role; `market` has code; no market was set before.
    ///
    /// Emits a {MarketSet} event.
    function setMarket(address market_) external onlyRole(_ADMIN_ROLE) {
        if (_market != address(0)) revert CreditsMarketAlreadySet(_market);
        if (market_.code.length == 0) revert CreditsNotAContract(market_);
        _market = market_;
        emit MarketSet(market_);
    }

    /// @notice Whether `operator` may move `account`'s credits: an approval, or the market.
    function isApprovedForAll(address account, address operator) public view override returns (bool) {
        return operator == _market || super.isApprovedForAll(account, operator);
    }

    /// @notice The exchange's escrow contract, or the zero address before {setMarket}.
    function market() external view returns (address) {
        return _market;
    }

    // ----------------------------------------------------------------------------------------
    // Pause
    // ----------------------------------------------------------------------------------------

    /// @notice Stops issuance, transfers, retirements and invalidations. Requirements: the caller
    /// has the pauser role.
    function pause() external onlyRole(TanhuiRoles.PAUSER) {
        _pause();
    }

    /// @notice Resumes them. Requirements: the caller has the pauser role.
    function unpause() external onlyRole(TanhuiRoles.PAUSER) {
        _unpause();
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc ITanhuiCredits
    function batch(uint256 batchId) external view returns (Batch memory info) {
        BatchState memory s = _batches[batchId];
        if (s.issuedAt == 0) revert CreditsUnknownBatch(batchId);
        bytes32 reportHash = _batchReports[batchId];
        ITanhuiRegistry.Report memory r = _registry.report(reportHash);
        info = Batch({
            reportHash: reportHash,
            projectId: r.projectId,
            methodologyId: _registry.project(r.projectId).methodologyId,
            methodologyVersion: r.methodologyVersion,
            periodStart: r.periodStart,
            periodEnd: r.periodEnd,
            verifier: r.verifier,
            issuedAt: s.issuedAt,
            issued: s.issued,
            retired: s.retired,
            invalidated: s.invalidated,
            frozen: s.frozen
        });
    }

    /// @inheritdoc ITanhuiCredits
    function retirement(uint256 certificateId) external view returns (Retirement memory r) {
        r = _retirements[certificateId];
        if (r.retiredAt == 0) revert CreditsUnknownCertificate(certificateId);
    }

    /// @inheritdoc ITanhuiCredits
    function eventAccount(bytes32 eventId) external view returns (EventAccount memory account) {
        EventState storage e = _events[eventId];
        account = EventAccount({
            retiredKg: e.retiredKg,
            footprintKg: e.footprintKg,
            requiredKg: e.requiredKg,
            closedAt: e.closedAt,
            closedBlock: e.closedBlock,
            footprintHash: e.footprintHash
        });
    }

    /// @notice The number of batches issued; batch ids run from 1 to this.
    function batchCount() external view returns (uint256) {
        return _nextBatchId - 1;
    }

    /// @notice The number of retirement certificates; certificate ids run from 1 to this.
    function certificateCount() external view returns (uint256) {
        return _nextCertificateId - 1;
    }

    /// @notice The batch issued against `reportHash`, or 0 (never issued, or withdrawn).
    function batchOfReport(bytes32 reportHash) external view returns (uint256) {
        uint256 batchId = _reportBatches[reportHash];
        return batchId == _WITHDRAWN ? 0 : batchId;
    }

    /// @notice Whether `reportHash` was withdrawn with {withdrawReport}.
    function isReportWithdrawn(bytes32 reportHash) external view returns (bool) {
        return _reportBatches[reportHash] == _WITHDRAWN;
    }

    /// @notice Whether `account` is an allowlisted registry contract ({setRegistryContract}).
    function isRegistryContract(address account) external view returns (bool) {
        return _registryContracts[account];
    }

    /// @notice Whether `account` is frozen.
    function isAccountFrozen(address account) external view returns (bool) {
        return _frozenAccounts[account];
    }

    /// @notice The registry this contract takes participants, reports and roles from.
    function registry() external view returns (ITanhuiRegistry) {
        return _registry;
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    /// @dev Transfers between holders (mint and burn are checked by {issue}, {retire} and
    /// {invalidate}), in this order: not paused; the sender not frozen and registered (a suspended
    /// participant still sends what it holds); an operator acting for the sender not frozen and an
    /// active participant or allowlisted registry contract; at least one id, and for each id a
    /// non-zero value of an issued, unfrozen batch; the recipient an active, unfrozen participant.
    function _update(address from, address to, uint256[] memory ids, uint256[] memory values)
        internal
        override
    {
        if (from != address(0) && to != address(0)) {
            _requireNotPaused();
            address escrow = _market;
            if (_frozenAccounts[from]) revert CreditsAccountFrozen(from);
            if (from != escrow && !_isRegistered(from)) revert CreditsUnregisteredAccount(from);
            address operator = _msgSender();
            if (operator != from && operator != escrow) _requireCanOperate(operator);
            uint256 count = ids.length;
            if (count != values.length) revert ERC1155InvalidArrayLength(count, values.length);
            if (count == 0) revert CreditsZeroAmount();
            for (uint256 i = 0; i < count; ++i) {
                uint256 id = ids[i];
                if (values[i] == 0) revert CreditsZeroAmount();
                BatchState storage b = _batches[id];
                if (b.issuedAt == 0) revert CreditsUnknownBatch(id);
                if (b.frozen) revert CreditsBatchFrozen(id);
            }
            // The market receives only what it pulls in itself (its receiver hook refuses the rest).
            if (to != escrow) _requireCanReceive(to);
            else if (_frozenAccounts[escrow]) revert CreditsAccountFrozen(escrow);
        }
        super._update(from, to, ids, values);
    }

    function _withdrawReport(bytes32 reportHash, uint40 verifiedAt, address by, string calldata reason) private {
        if (verifiedAt == 0) revert CreditsReportNotVerified(reportHash);
        uint256 existing = _reportBatches[reportHash];
        if (existing == _WITHDRAWN) revert CreditsReportWithdrawn(reportHash);
        if (existing != 0) revert CreditsReportAlreadyIssued(reportHash, existing);
        _reportBatches[reportHash] = _WITHDRAWN;
        emit ReportWithdrawn(reportHash, by, reason);
    }

    /// @dev Adds a retirement of `amount` to the open account of `eventId`.
    function _addToEvent(bytes32 eventId, uint64 amount) private {
        EventState storage e = _events[eventId];
        if (e.closedAt != 0) revert CreditsClaimClosed(eventId);
        e.retiredKg += amount;
    }

    function _isRegistered(address account) private view returns (bool) {
        return _registry.participant(account).status != ITanhuiRegistry.ParticipantStatus.None;
    }

    function _requireCanOperate(address operator) private view {
        if (_frozenAccounts[operator]) revert CreditsAccountFrozen(operator);
        if (!_registryContracts[operator] && !_registry.isActiveParticipant(operator)) {
            revert CreditsUnregisteredAccount(operator);
        }
    }

    function _checkReason(string calldata reason) private pure {
        uint256 length = bytes(reason).length;
        if (length == 0) revert CreditsEmptyReason();
        if (length > MAX_REASON_BYTES) revert CreditsTextTooLong("reason", length, MAX_REASON_BYTES);
    }

    function _requireCanReceive(address account) private view {
        if (_frozenAccounts[account]) revert CreditsAccountFrozen(account);
        if (!_registry.isActiveParticipant(account)) revert CreditsUnregisteredAccount(account);
    }

    /// @dev Records [start, end) as issued for `projectId`, or reverts if it overlaps an issued period.
    function _claimPeriod(bytes32 projectId, uint64 start, uint64 end) private {
        ProjectPeriods storage pp = _projectPeriods[projectId];
        uint64 count = pp.count;
        if (start < pp.latestEnd) {
            mapping(uint256 => uint128) storage periods = _issuedPeriods[projectId];
            for (uint256 i = 0; i < count; ++i) {
                uint128 packed = periods[i];
                // forge-lint: disable-next-line(unsafe-typecast) a uint128 shifted right by 64 has only 64 bits left
                uint64 issuedStart = uint64(packed >> 64);
                // forge-lint: disable-next-line(unsafe-typecast) the low 64 bits are the end by construction (see below)
                uint64 issuedEnd = uint64(packed);
                if (start < issuedEnd && issuedStart < end) {
                    revert CreditsPeriodOverlaps(projectId, start, end, issuedStart, issuedEnd);
                }
            }
        }
        _issuedPeriods[projectId][count] = (uint128(start) << 64) | uint128(end);
        pp.count = count + 1;
        if (end > pp.latestEnd) pp.latestEnd = end;
    }
}
