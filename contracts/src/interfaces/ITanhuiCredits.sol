// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Tanhui credits: types, errors and events
/// @notice One ERC-1155 token id per issuance batch; one unit is one kilogram of CO2e.
///
/// Conservation, for every batch at every moment:
///     issued == held + retired + invalidated
/// where `held` is the sum of all balances of the batch's token id. Credits enter only by
/// issuance and leave circulation only by retirement (permanent, with a certificate) or by
/// invalidation (a supervisor's correction, with a reason).
interface ITanhuiCredits {
    /// @dev Why credits were retired (R14, R15).
    enum RetirementPurpose {
        EventNeutrality,
        Voluntary,
        Compliance,
        OrganisationNeutrality,
        PersonalNeutrality,
        Other
    }

    /// @dev The structured details of a retirement, given by the holder. The full details are
    /// kept in the {CreditsRetired} event (receipts are consensus data); the certificate stores
    /// the fixed-size fields and the block of that event, so a client fetches it with a one-block
    /// log query.
    struct RetirementDetails {
        string beneficiary;
        RetirementPurpose purpose;
        bytes32 eventId;
        string jurisdiction;
        uint40 consumptionStart;
        uint40 consumptionEnd;
        string note;
    }

    /// @dev The certificate of one retirement, in two storage slots. Serials
    /// [serialFirst, serialLast] are exclusive to it within its batch.
    struct Retirement {
        address holder;
        uint48 batchId;
        uint40 blockNumber;
        RetirementPurpose purpose;
        uint64 serialFirst;
        uint64 serialLast;
        uint40 retiredAt;
        uint40 consumptionStart;
        uint40 consumptionEnd;
    }

    /// @dev Everything known about a batch: its own counters and the verified report it was issued against.
    struct Batch {
        bytes32 reportHash;
        bytes32 projectId;
        bytes32 methodologyId;
        uint32 methodologyVersion;
        uint64 periodStart;
        uint64 periodEnd;
        address verifier;
        uint40 issuedAt;
        uint64 issued;
        uint64 retired;
        uint64 invalidated;
        bool frozen;
    }

    /// @dev An event's carbon-neutrality account (R14): the credits retired against it and, once
    /// its claim is closed, the verified footprint, the amount required to be neutral (footprint
    /// plus the claimant's buffer), and when it was closed. `retiredKg` no longer changes once the
    /// claim is closed. `closedBlock` is the block of the {ClaimClosed} event, so a client fetches
    /// it with a one-block log query. `closedAt` is 0 while the claim is open.
    struct EventAccount {
        uint64 retiredKg;
        uint64 footprintKg;
        uint64 requiredKg;
        uint40 closedAt;
        uint40 closedBlock;
        bytes32 footprintHash;
    }

    error CreditsReportNotVerified(bytes32 reportHash);
    error CreditsReportAlreadyIssued(bytes32 reportHash, uint256 batchId);
    error CreditsProjectNotRegistered(bytes32 projectId);
    error CreditsPeriodOverlaps(bytes32 projectId, uint64 periodStart, uint64 periodEnd, uint64 issuedStart, uint64 issuedEnd);
    error CreditsUnregisteredAccount(address account);
    error CreditsAccountFrozen(address account);
    error CreditsBatchFrozen(uint256 batchId);
    error CreditsUnknownBatch(uint256 batchId);
    error CreditsUnknownCertificate(uint256 certificateId);
    error CreditsZeroAmount();
    error CreditsInsufficientBalance(address holder, uint256 batchId, uint256 balance, uint256 needed);
    error CreditsInvalidConsumptionPeriod(uint40 consumptionStart, uint40 consumptionEnd);
    error CreditsEmptyBeneficiary();
    error CreditsEmptyReason();
    error CreditsNotFrozen();
    error CreditsAlreadyFrozen();
    /// @dev A text argument longer than its bound, in bytes of UTF-8: `field` is "beneficiary",
    /// "jurisdiction", "note" or "reason".
    error CreditsTextTooLong(string field, uint256 length, uint256 max);
    /// @dev The verifier that recorded the report no longer holds the verifier role.
    error CreditsVerifierNotActive(bytes32 reportHash, address verifier);
    /// @dev The report was withdrawn ({withdrawReport}) and can no longer be issued.
    error CreditsReportWithdrawn(bytes32 reportHash);
    /// @dev Only a contract can be allowlisted as a registry contract.
    error CreditsNotAContract(address account);
    /// @dev The event's claim is closed: nothing more is retired against it, and it is not closed again.
    error CreditsClaimClosed(bytes32 eventId);
    /// @dev The credits retired against the event are fewer than the amount required to close its claim.
    error CreditsClaimNotCovered(bytes32 eventId, uint64 retiredKg, uint64 requiredKg);
    /// @dev A claim needs a non-zero event id.
    error CreditsZeroEventId();
    /// @dev A claim needs a non-zero footprint.
    error CreditsZeroFootprint();
    /// @dev The amount required to be neutral is the footprint plus a buffer, never less than the footprint.
    error CreditsRequiredBelowFootprint(uint64 footprintKg, uint64 requiredKg);
    /// @dev The amount required is above `max` (2^56 - 1 kg, about 72 Gt), the bound the account's storage holds.
    error CreditsClaimTooLarge(uint64 requiredKg, uint64 max);
    /// @dev Only the market ({TanhuiCredits-setMarket}) may call this function.
    error CreditsOnlyMarket(address caller);
    /// @dev The market was set already; it is set once.
    error CreditsMarketAlreadySet(address market);
    /// @dev Credits in the market's escrow cannot be invalidated (cancel the listing first).
    error CreditsEscrowed(uint256 batchId);

    event CreditsIssued(
        uint256 indexed batchId,
        bytes32 indexed projectId,
        bytes32 indexed reportHash,
        address recipient,
        uint64 amount,
        uint64 periodStart,
        uint64 periodEnd
    );
    /// @dev Emitted once per retirement, with the full structured details.
    event CreditsRetired(
        uint256 indexed certificateId,
        uint256 indexed batchId,
        address indexed holder,
        uint64 amount,
        uint64 serialFirst,
        uint64 serialLast,
        RetirementDetails details
    );
    event CreditsInvalidated(uint256 indexed batchId, address indexed holder, uint64 amount, string reason);
    event AccountFrozen(address indexed account, string reason);
    event AccountUnfrozen(address indexed account, string reason);
    event BatchFrozen(uint256 indexed batchId, string reason);
    event BatchUnfrozen(uint256 indexed batchId, string reason);
    /// @dev A verified report was withdrawn before issuance, by its verifier or a supervisor.
    event ReportWithdrawn(bytes32 indexed reportHash, address indexed by, string reason);
    /// @dev The admin allowlisted (`allowed`) or delisted a registry contract, which may then be
    /// approved as an operator like an active participant.
    event RegistryContractSet(address indexed account, bool allowed);
    event MarketSet(address indexed market);
    /// @dev The issuer closed the carbon-neutrality claim of `eventId`: `retiredKg` (the credits
    /// retired against it, at least `requiredKg`) cover the verified footprint `footprintKg` plus
    /// the claimant's buffer. No more credits are retired against the event.
    event ClaimClosed(
        bytes32 indexed eventId, uint64 footprintKg, uint64 requiredKg, uint64 retiredKg, bytes32 footprintHash
    );

    function issue(bytes32 reportHash) external returns (uint256 batchId);
    function withdrawReport(bytes32 reportHash, string calldata reason) external;
    function retire(uint256 batchId, uint64 amount, RetirementDetails calldata details)
        external
        returns (uint256 certificateId);
    function retireFor(address holder, uint256 batchId, uint64 amount, RetirementDetails calldata details)
        external
        returns (uint256 certificateId);
    function isAccountFrozen(address account) external view returns (bool);
    function closeClaim(bytes32 eventId, uint64 footprintKg, uint64 requiredKg, bytes32 footprintHash) external;
    function batch(uint256 batchId) external view returns (Batch memory);
    function retirement(uint256 certificateId) external view returns (Retirement memory);
    /// @notice The carbon-neutrality account of `eventId` (all zero for an event nothing was retired against).
    function eventAccount(bytes32 eventId) external view returns (EventAccount memory);
}
