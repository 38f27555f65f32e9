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

    function issue(bytes32 reportHash) external returns (uint256 batchId);
    function withdrawReport(bytes32 reportHash, string calldata reason) external;
    function retire(uint256 batchId, uint64 amount, RetirementDetails calldata details)
        external
        returns (uint256 certificateId);
    function batch(uint256 batchId) external view returns (Batch memory);
    function retirement(uint256 certificateId) external view returns (Retirement memory);
}
