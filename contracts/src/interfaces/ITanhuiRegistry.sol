// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @title Tanhui registry: types, errors and events
/// @notice The registry anchors who may take part, which methodologies are published, which
/// projects are registered and which monitoring reports have been verified. Credits are issued by
/// {ITanhuiCredits} only against what is recorded here.
interface ITanhuiRegistry is IAccessControl {
    enum ParticipantKind {
        None,
        Organisation,
        Person
    }

    enum ParticipantStatus {
        None,
        Active,
        Suspended
    }

    enum MethodologyStatus {
        None,
        Published,
        Deprecated
    }

    enum ProjectStatus {
        None,
        Registered,
        Suspended,
        Closed
    }

    struct Participant {
        ParticipantKind kind;
        ParticipantStatus status;
        uint40 registeredAt;
    }

    struct Methodology {
        bytes32 contentHash;
        MethodologyStatus status;
        uint40 publishedAt;
    }

    struct Project {
        address owner;
        ProjectStatus status;
        uint32 methodologyVersion;
        uint40 registeredAt;
        bytes32 methodologyId;
        bytes32 documentHash;
    }

    /// @dev A verified monitoring report. The period is half-open, [periodStart, periodEnd), in
    /// unix seconds; `amount` is the verified net reduction in kilograms of CO2e.
    struct Report {
        bytes32 projectId;
        address verifier;
        uint64 periodStart;
        uint64 periodEnd;
        uint64 amount;
        uint32 methodologyVersion;
        uint40 verifiedAt;
    }

    /// @dev A day's points epoch (R17): the root of the Merkle tree over every citizen's
    /// cumulative points and grams of CO2e avoided, leaves keyed by a salted pseudonym, with the
    /// tree's leaf count and totals, and when (unix seconds) and in which block it was anchored.
    /// Two storage slots: `root`; then `leafCount` (48 bits: at most 2**48 - 1 leaves),
    /// `totalPoints` and `totalGrams` (64 each), `anchoredAt` and `anchoredBlock` (40 each).
    /// All zero for an epoch not anchored.
    struct PointsEpoch {
        bytes32 root;
        uint48 leafCount;
        uint64 totalPoints;
        uint64 totalGrams;
        uint40 anchoredAt;
        uint40 anchoredBlock;
    }

    /// @dev A certified low-carbon scene's certificate (R2, R5, R9): the keccak-256 of the
    /// registry's canonical JSON of the certificate, its validity `[validFrom, validUntil)` (unix
    /// seconds), when it was anchored and, if it was revoked, when (0 otherwise). Two slots.
    /// All zero for a scene never certified.
    struct SceneCertificate {
        bytes32 certificateHash;
        uint40 validFrom;
        uint40 validUntil;
        uint40 certifiedAt;
        uint40 revokedAt;
    }

    error RegistryZeroAddress();
    error RegistryZeroId();
    error RegistryZeroHash();
    error RegistryZeroAmount();
    error RegistryInvalidKind(uint8 kind);
    error RegistryInvalidParticipantStatus(address account, ParticipantStatus status);
    error RegistryParticipantExists(address account);
    error RegistryUnknownParticipant(address account);
    error RegistryParticipantNotActive(address account, ParticipantStatus status);
    error RegistryMethodologyExists(bytes32 methodologyId, uint32 version);
    error RegistryUnknownMethodology(bytes32 methodologyId, uint32 version);
    error RegistryMethodologyNotPublished(bytes32 methodologyId, uint32 version, MethodologyStatus status);
    error RegistryProjectExists(bytes32 projectId);
    error RegistryUnknownProject(bytes32 projectId);
    error RegistryProjectNotRegistered(bytes32 projectId, ProjectStatus status);
    error RegistryInvalidProjectStatus(bytes32 projectId, ProjectStatus from, ProjectStatus to);
    error RegistryReportExists(bytes32 reportHash);
    /// @dev The period is empty or reversed, starts before {PERIOD_FLOOR} (2000-01-01) or ends
    /// after the current block's timestamp.
    error RegistryInvalidPeriod(uint64 periodStart, uint64 periodEnd);
    /// @dev A report's amount above `max` (2**63 - 1), the largest a signed 64-bit column holds.
    error RegistryAmountTooLarge(uint64 amount, uint64 max);
    /// @dev The verifier of a report is the owner of its project (separation of duties).
    error RegistryVerifierIsOwner(bytes32 projectId, address verifier);
    /// @dev A delayed role is granted without a schedule that is ready (`readyAt` 0: none).
    error RegistryRoleGrantNotReady(bytes32 role, address account, uint48 readyAt);
    /// @dev A grant of `role` cannot be scheduled: only the delayed roles are.
    error RegistryRoleGrantNotDelayed(bytes32 role);
    /// @dev No grant of `role` to `account` is scheduled.
    error RegistryRoleGrantNotScheduled(bytes32 role, address account);
    /// @dev `account` holds role `held`, which excludes role `wanted` (separation of duties).
    error RegistryConflictingRoles(address account, bytes32 held, bytes32 wanted);
    /// @dev Points epochs are anchored one after the other from 1: `epoch` is not `expected`
    /// (the last anchored epoch + 1).
    error RegistryPointsEpochNotNext(uint64 epoch, uint64 expected);
    /// @dev A points epoch with no leaves.
    error RegistryEmptyPointsEpoch(uint64 epoch);
    /// @dev A points epoch of more than `max` (2**48 - 1) leaves, the bound that keeps an epoch in two slots.
    error RegistryPointsEpochTooLarge(uint64 leafCount, uint64 max);
    /// @dev A scene certificate whose validity is empty or reversed (`validFrom >= validUntil`).
    error RegistryInvalidValidity(uint40 validFrom, uint40 validUntil);
    /// @dev `sceneId` holds no certificate in force (never certified, or revoked).
    error RegistrySceneNotCertified(bytes32 sceneId);
    /// @dev A revocation reason that is empty or longer than `max` (4000) bytes.
    error RegistryInvalidReason(uint256 length, uint256 max);

    event ParticipantRegistered(address indexed account, ParticipantKind kind);
    event ParticipantStatusChanged(address indexed account, ParticipantStatus status);
    event MethodologyPublished(bytes32 indexed methodologyId, uint32 indexed version, bytes32 contentHash);
    event MethodologyDeprecated(bytes32 indexed methodologyId, uint32 indexed version);
    event ProjectRegistered(
        bytes32 indexed projectId,
        address indexed owner,
        bytes32 methodologyId,
        uint32 methodologyVersion,
        bytes32 documentHash
    );
    event ProjectDocumentsUpdated(bytes32 indexed projectId, bytes32 documentHash);
    event ProjectStatusChanged(bytes32 indexed projectId, ProjectStatus status);
    event ReportVerified(
        bytes32 indexed reportHash,
        bytes32 indexed projectId,
        address indexed verifier,
        uint64 periodStart,
        uint64 periodEnd,
        uint64 amount
    );

    /// @dev A grant of a delayed role to `account` was announced; {grantRole} may complete it from `readyAt`.
    event RoleGrantScheduled(bytes32 indexed role, address indexed account, uint48 readyAt);
    /// @dev A scheduled grant was withdrawn before it was completed.
    event RoleGrantCancelled(bytes32 indexed role, address indexed account);
    /// @dev The root of points epoch `epoch` was anchored (R17).
    event PointsEpochAnchored(
        uint64 indexed epoch, bytes32 root, uint64 leafCount, uint64 totalPoints, uint64 totalGrams
    );
    /// @dev Scene `sceneId` was certified, or re-certified (the certificate replaces the last).
    event SceneCertified(bytes32 indexed sceneId, bytes32 certificateHash, uint40 validFrom, uint40 validUntil);
    /// @dev The certificate `certificateHash` of scene `sceneId` was revoked.
    event SceneRevoked(bytes32 indexed sceneId, bytes32 certificateHash, string reason);

    function isActiveParticipant(address account) external view returns (bool);
    function participant(address account) external view returns (Participant memory);
    function methodology(bytes32 methodologyId, uint32 version) external view returns (Methodology memory);
    function project(bytes32 projectId) external view returns (Project memory);
    function report(bytes32 reportHash) external view returns (Report memory);

    /// @notice Points epoch `epoch` as anchored; all zero if it was not.
    function pointsEpoch(uint64 epoch) external view returns (PointsEpoch memory);
    /// @notice The last anchored points epoch; 0 before the first.
    function lastPointsEpoch() external view returns (uint64);
    /// @notice Whether `proof` shows that the tree of points epoch `epoch` holds the leaf
    /// (`pseudonym`, `points`, `grams`); false for an epoch not anchored.
    function verifyPoints(uint64 epoch, bytes32 pseudonym, uint64 points, uint64 grams, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice Scene `sceneId`'s last certificate (revoked or not); all zero if it has none.
    function sceneCertificate(bytes32 sceneId) external view returns (SceneCertificate memory);
}
