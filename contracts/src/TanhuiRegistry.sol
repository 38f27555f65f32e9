// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITanhuiRegistry} from "./interfaces/ITanhuiRegistry.sol";
import {TanhuiRoles} from "./TanhuiRoles.sol";

/// @title TanhuiRegistry
/// @notice The permissioned anchor of the scheme: participants, published methodologies,
/// registered projects and verified monitoring reports. It also holds every role grant of the
/// scheme; {TanhuiCredits} checks its roles here.
///
/// Who can do what, and how fast:
/// - the admin role changes hands in two steps with a delay ({AccessControlDefaultAdminRules});
/// - the powerful operational roles (registrar, issuer, supervisor, pauser, exchange) are granted
///   only after an announced delay: {scheduleRoleGrant}, then {grantRole} once {roleGrantDelay}
///   seconds have passed; the constructor grants them to the first operator without delay;
/// - the verifier role is granted at once (verification bodies are accredited continually), but
///   never to an account holding the admin, registrar or issuer role, nor those to a verifier;
/// - revoking any role takes effect at once: it only removes power.
contract TanhuiRegistry is ITanhuiRegistry, AccessControlDefaultAdminRules, Pausable {
    /// @notice The earliest start of a reporting period: 2000-01-01T00:00:00Z.
    uint64 public constant PERIOD_FLOOR = 946684800;
    /// @notice The largest amount a report may record: 2**63 - 1 kg, so every balance, supply and
    /// serial of a batch fits a signed 64-bit database column.
    uint64 public constant MAX_AMOUNT = uint64(type(int64).max);
    /// @notice The most leaves a points epoch may have: 2**48 - 1, so an epoch fits two slots.
    uint64 public constant MAX_POINTS_LEAVES = type(uint48).max;
    /// @notice The longest reason a scene certificate may be revoked with, in bytes.
    uint256 public constant MAX_REASON_BYTES = 4000;

    uint48 private immutable _roleGrantDelay;

    mapping(address account => Participant) private _participants;
    mapping(bytes32 methodologyId => mapping(uint32 version => Methodology)) private _methodologies;
    mapping(bytes32 projectId => Project) private _projects;
    mapping(bytes32 reportHash => Report) private _reports;
    mapping(bytes32 role => mapping(address account => uint48 readyAt)) private _roleGrantSchedules;
    mapping(uint64 epoch => PointsEpoch) private _pointsEpochs;
    uint64 private _lastPointsEpoch;
    mapping(bytes32 sceneId => SceneCertificate) private _sceneCertificates;

    /// @param adminDelay seconds a new admin must wait before accepting the role (and the
    ///        minimum schedule of a change of this delay).
    /// @param admin the first holder of `DEFAULT_ADMIN_ROLE`.
    /// @param roleGrantDelay_ seconds between the announcement of a grant of a delayed role
    ///        ({scheduleRoleGrant}) and the earliest {grantRole} that completes it. Fixed for the
    ///        life of the contract.
    /// @param operator the first holder of the registrar, issuer, supervisor, pauser and exchange
    ///        roles, granted here without delay (it may be `admin`); `address(0)` grants none.
    constructor(uint48 adminDelay, address admin, uint48 roleGrantDelay_, address operator)
        AccessControlDefaultAdminRules(adminDelay, admin)
    {
        _roleGrantDelay = roleGrantDelay_;
        if (operator != address(0)) {
            _grantRole(TanhuiRoles.REGISTRAR, operator);
            _grantRole(TanhuiRoles.ISSUER, operator);
            _grantRole(TanhuiRoles.SUPERVISOR, operator);
            _grantRole(TanhuiRoles.PAUSER, operator);
            _grantRole(TanhuiRoles.EXCHANGE, operator);
        }
    }

    // ----------------------------------------------------------------------------------------
    // Role grants
    // ----------------------------------------------------------------------------------------

    /// @notice Announces the grant of a delayed role (registrar, issuer, supervisor, pauser or
    /// exchange) to `account`; {grantRole} completes it from `block.timestamp + roleGrantDelay()`.
    /// Scheduling again restarts the wait.
    ///
    /// Requirements:
    /// - the caller has the role's admin role (the admin);
    /// - `role` is a delayed role; `account` is not the zero address;
    /// - `account` does not hold a role that excludes `role` (a verifier gets neither registrar
    ///   nor issuer).
    ///
    /// Emits a {RoleGrantScheduled} event.
    function scheduleRoleGrant(bytes32 role, address account) external onlyRole(getRoleAdmin(role)) {
        if (!_isDelayedRole(role)) revert RegistryRoleGrantNotDelayed(role);
        if (account == address(0)) revert RegistryZeroAddress();
        _checkRoleConflicts(role, account);
        uint48 readyAt = uint48(block.timestamp) + _roleGrantDelay;
        _roleGrantSchedules[role][account] = readyAt;
        emit RoleGrantScheduled(role, account, readyAt);
    }

    /// @notice Withdraws a scheduled grant before it is completed.
    ///
    /// Requirements:
    /// - the caller has the role's admin role (the admin);
    /// - a grant of `role` to `account` is scheduled.
    ///
    /// Emits a {RoleGrantCancelled} event.
    function cancelRoleGrant(bytes32 role, address account) external onlyRole(getRoleAdmin(role)) {
        if (_roleGrantSchedules[role][account] == 0) revert RegistryRoleGrantNotScheduled(role, account);
        delete _roleGrantSchedules[role][account];
        emit RoleGrantCancelled(role, account);
    }

    /// @notice Grants `role` to `account`. A delayed role (registrar, issuer, supervisor, pauser,
    /// exchange) needs a grant scheduled with {scheduleRoleGrant} whose time has come; the
    /// schedule is consumed. Other roles (the verifier) are granted at once.
    ///
    /// Requirements:
    /// - the caller has the role's admin role (the admin); `role` is not `DEFAULT_ADMIN_ROLE`;
    /// - for a delayed role, a schedule for (`role`, `account`) with `readyAt <= block.timestamp`;
    /// - `account` does not hold a role that excludes `role` (see {RegistryConflictingRoles}).
    ///
    /// Emits a {RoleGranted} event if `account` did not hold the role.
    function grantRole(bytes32 role, address account)
        public
        override(AccessControlDefaultAdminRules, IAccessControl)
        onlyRole(getRoleAdmin(role))
    {
        if (_isDelayedRole(role)) {
            uint48 readyAt = _roleGrantSchedules[role][account];
            // forge-lint: disable-next-line(block-timestamp) delays are days; seconds of drift do not matter
            if (readyAt == 0 || readyAt > block.timestamp) revert RegistryRoleGrantNotReady(role, account, readyAt);
            delete _roleGrantSchedules[role][account];
        }
        super.grantRole(role, account);
    }

    // ----------------------------------------------------------------------------------------
    // Participants
    // ----------------------------------------------------------------------------------------

    /// @notice Registers `account` as a participant allowed to hold and receive credits.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - `account` is not the zero address and is not yet registered; `kind` is not None.
    ///
    /// Emits a {ParticipantRegistered} event.
    function registerParticipant(address account, ParticipantKind kind)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        if (account == address(0)) revert RegistryZeroAddress();
        if (kind == ParticipantKind.None) revert RegistryInvalidKind(uint8(kind));
        if (_participants[account].status != ParticipantStatus.None) revert RegistryParticipantExists(account);
        _participants[account] = Participant({kind: kind, status: ParticipantStatus.Active, registeredAt: uint40(block.timestamp)});
        emit ParticipantRegistered(account, kind);
    }

    /// @notice Suspends or reinstates a participant. A suspended participant cannot receive
    /// credits, own new projects or be a project's owner at issuance.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - `account` is registered and `status` is Active or Suspended.
    ///
    /// Emits a {ParticipantStatusChanged} event.
    function setParticipantStatus(address account, ParticipantStatus status)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        Participant storage p = _participants[account];
        if (p.status == ParticipantStatus.None) revert RegistryUnknownParticipant(account);
        if (status == ParticipantStatus.None) revert RegistryInvalidParticipantStatus(account, status);
        p.status = status;
        emit ParticipantStatusChanged(account, status);
    }

    // ----------------------------------------------------------------------------------------
    // Methodologies
    // ----------------------------------------------------------------------------------------

    /// @notice Publishes version `version` of a methodology after the expert committee passed it
    /// (R4). Only a published methodology can be used by a newly registered project.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - the id and the content hash are not zero; this version was never published.
    ///
    /// Emits a {MethodologyPublished} event.
    function publishMethodology(bytes32 methodologyId, uint32 version, bytes32 contentHash)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        if (methodologyId == bytes32(0)) revert RegistryZeroId();
        if (contentHash == bytes32(0)) revert RegistryZeroHash();
        Methodology storage m = _methodologies[methodologyId][version];
        if (m.status != MethodologyStatus.None) revert RegistryMethodologyExists(methodologyId, version);
        m.contentHash = contentHash;
        m.status = MethodologyStatus.Published;
        m.publishedAt = uint40(block.timestamp);
        emit MethodologyPublished(methodologyId, version, contentHash);
    }

    /// @notice Deprecates a published methodology version: no new project may use it. Projects
    /// already registered under it keep their registration.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused; the version is published.
    ///
    /// Emits a {MethodologyDeprecated} event.
    function deprecateMethodology(bytes32 methodologyId, uint32 version)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        Methodology storage m = _methodologies[methodologyId][version];
        if (m.status != MethodologyStatus.Published) {
            if (m.status == MethodologyStatus.None) revert RegistryUnknownMethodology(methodologyId, version);
            revert RegistryMethodologyNotPublished(methodologyId, version, m.status);
        }
        m.status = MethodologyStatus.Deprecated;
        emit MethodologyDeprecated(methodologyId, version);
    }

    // ----------------------------------------------------------------------------------------
    // Projects
    // ----------------------------------------------------------------------------------------

    /// @notice Registers a reviewed project under a published methodology version.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - `projectId` and `documentHash` are not zero and the project is new;
    /// - `owner` is an active participant; the methodology version is published.
    ///
    /// Emits a {ProjectRegistered} event.
    function registerProject(
        bytes32 projectId,
        address owner,
        bytes32 methodologyId,
        uint32 methodologyVersion,
        bytes32 documentHash
    ) external onlyRole(TanhuiRoles.REGISTRAR) whenNotPaused {
        if (projectId == bytes32(0)) revert RegistryZeroId();
        if (documentHash == bytes32(0)) revert RegistryZeroHash();
        if (_projects[projectId].status != ProjectStatus.None) revert RegistryProjectExists(projectId);
        _requireActive(owner);
        MethodologyStatus mStatus = _methodologies[methodologyId][methodologyVersion].status;
        if (mStatus != MethodologyStatus.Published) {
            if (mStatus == MethodologyStatus.None) revert RegistryUnknownMethodology(methodologyId, methodologyVersion);
            revert RegistryMethodologyNotPublished(methodologyId, methodologyVersion, mStatus);
        }
        _projects[projectId] = Project({
            owner: owner,
            status: ProjectStatus.Registered,
            methodologyVersion: methodologyVersion,
            registeredAt: uint40(block.timestamp),
            methodologyId: methodologyId,
            documentHash: documentHash
        });
        emit ProjectRegistered(projectId, owner, methodologyId, methodologyVersion, documentHash);
    }

    /// @notice Anchors a new hash of a project's documents (an amended design document).
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - the project exists and is not closed; `documentHash` is not zero.
    ///
    /// Emits a {ProjectDocumentsUpdated} event.
    function updateProjectDocuments(bytes32 projectId, bytes32 documentHash)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        if (documentHash == bytes32(0)) revert RegistryZeroHash();
        Project storage p = _projects[projectId];
        if (p.status == ProjectStatus.None) revert RegistryUnknownProject(projectId);
        if (p.status == ProjectStatus.Closed) revert RegistryProjectNotRegistered(projectId, p.status);
        p.documentHash = documentHash;
        emit ProjectDocumentsUpdated(projectId, documentHash);
    }

    /// @notice Suspends, reinstates or closes a project. A closed project stays closed.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - the project exists and is not closed; `status` is not None.
    ///
    /// Emits a {ProjectStatusChanged} event.
    function setProjectStatus(bytes32 projectId, ProjectStatus status)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        Project storage p = _projects[projectId];
        if (p.status == ProjectStatus.None) revert RegistryUnknownProject(projectId);
        if (p.status == ProjectStatus.Closed || status == ProjectStatus.None) {
            revert RegistryInvalidProjectStatus(projectId, p.status, status);
        }
        p.status = status;
        emit ProjectStatusChanged(projectId, status);
    }

    // ----------------------------------------------------------------------------------------
    // Monitoring reports
    // ----------------------------------------------------------------------------------------

    /// @notice Records a verified monitoring report: the verifier's statement that the project
    /// reduced `amount` kg CO2e over [periodStart, periodEnd). A report hash is recorded once.
    /// Whether the period overlaps an issued one is checked at issuance, where issued periods live.
    ///
    /// Requirements:
    /// - the caller has the verifier role; the registry is not paused;
    /// - `reportHash` is not zero and was never recorded; the project is registered;
    /// - the caller is not the project's owner;
    /// - `PERIOD_FLOOR <= periodStart < periodEnd <= block.timestamp`: the period is over;
    /// - `amount` is not zero and at most `MAX_AMOUNT` (2**63 - 1).
    ///
    /// Emits a {ReportVerified} event.
    function recordVerifiedReport(bytes32 reportHash, bytes32 projectId, uint64 periodStart, uint64 periodEnd, uint64 amount)
        external
        onlyRole(TanhuiRoles.VERIFIER)
        whenNotPaused
    {
        if (reportHash == bytes32(0)) revert RegistryZeroHash();
        if (_reports[reportHash].verifiedAt != 0) revert RegistryReportExists(reportHash);
        Project storage p = _projects[projectId];
        if (p.status != ProjectStatus.Registered) {
            if (p.status == ProjectStatus.None) revert RegistryUnknownProject(projectId);
            revert RegistryProjectNotRegistered(projectId, p.status);
        }
        if (p.owner == msg.sender) revert RegistryVerifierIsOwner(projectId, msg.sender);
        // forge-lint: disable-next-line(block-timestamp) "the period is over" tolerates a validator's seconds of drift
        if (periodStart >= periodEnd || periodStart < PERIOD_FLOOR || periodEnd > block.timestamp) {
            revert RegistryInvalidPeriod(periodStart, periodEnd);
        }
        if (amount == 0) revert RegistryZeroAmount();
        if (amount > MAX_AMOUNT) revert RegistryAmountTooLarge(amount, MAX_AMOUNT);
        _reports[reportHash] = Report({
            projectId: projectId,
            verifier: msg.sender,
            periodStart: periodStart,
            periodEnd: periodEnd,
            amount: amount,
            methodologyVersion: p.methodologyVersion,
            verifiedAt: uint40(block.timestamp)
        });
        emit ReportVerified(reportHash, projectId, msg.sender, periodStart, periodEnd, amount);
    }

    // ----------------------------------------------------------------------------------------
    // Points epochs (R17)
    // ----------------------------------------------------------------------------------------

    /// @notice Anchors the root of a day's points tree: a Merkle tree over every citizen's
    /// cumulative points and grams of CO2e avoided, one leaf per salted pseudonym (see
    /// {verifyPoints} for the leaf encoding). The totals are the sums over the leaves, as the
    /// operator states them; the contract cannot check them.
    ///
    /// Requirements:
    /// - the caller has the issuer role; the registry is not paused;
    /// - `epoch` is the last anchored epoch + 1 (the first is 1);
    /// - `root` is not zero; `leafCount` is not zero and at most `MAX_POINTS_LEAVES` (2**48 - 1).
    ///
    /// Emits a {PointsEpochAnchored} event.
    function anchorPointsEpoch(uint64 epoch, bytes32 root, uint64 leafCount, uint64 totalPoints, uint64 totalGrams)
        external
        onlyRole(TanhuiRoles.ISSUER)
        whenNotPaused
    {
        uint64 expected = _lastPointsEpoch + 1;
        if (epoch != expected) revert RegistryPointsEpochNotNext(epoch, expected);
        if (root == bytes32(0)) revert RegistryZeroHash();
        if (leafCount == 0) revert RegistryEmptyPointsEpoch(epoch);
        if (leafCount > MAX_POINTS_LEAVES) revert RegistryPointsEpochTooLarge(leafCount, MAX_POINTS_LEAVES);
        _lastPointsEpoch = epoch;
        _pointsEpochs[epoch] = PointsEpoch({
            root: root,
            // forge-lint: disable-next-line(unsafe-typecast) leafCount <= MAX_POINTS_LEAVES, checked above
            leafCount: uint48(leafCount),
            totalPoints: totalPoints,
            totalGrams: totalGrams,
            anchoredAt: uint40(block.timestamp),
            anchoredBlock: uint40(block.number)
        });
        emit PointsEpochAnchored(epoch, root, leafCount, totalPoints, totalGrams);
    }

    // ----------------------------------------------------------------------------------------
    // Certified low-carbon scenes (R2, R5, R9)
    // ----------------------------------------------------------------------------------------

    /// @notice Anchors the certificate of a low-carbon scene (a restaurant, supermarket, scenic
    /// spot, hotel or exhibition assessed against a Tanhui scene standard). The association's
    /// assessment is checked off chain; the registry's operator signs. A re-certification
    /// replaces the scene's certificate, revoked or not.
    ///
    /// Requirements:
    /// - the caller has the registrar role; the registry is not paused;
    /// - `sceneId` and `certificateHash` are not zero; `validFrom < validUntil`.
    ///
    /// Emits a {SceneCertified} event.
    function certifyScene(bytes32 sceneId, bytes32 certificateHash, uint40 validFrom, uint40 validUntil)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        if (sceneId == bytes32(0)) revert RegistryZeroId();
        if (certificateHash == bytes32(0)) revert RegistryZeroHash();
        if (validFrom >= validUntil) revert RegistryInvalidValidity(validFrom, validUntil);
        _sceneCertificates[sceneId] = SceneCertificate({
            certificateHash: certificateHash,
            validFrom: validFrom,
            validUntil: validUntil,
            certifiedAt: uint40(block.timestamp),
            revokedAt: 0
        });
        emit SceneCertified(sceneId, certificateHash, validFrom, validUntil);
    }

    /// @notice Revokes a scene's certificate in force.
    ///
    /// Requirements: the caller has the registrar role; the registry is not paused; the scene
    /// has a certificate not yet revoked; `reason` is 1 to `MAX_REASON_BYTES` bytes.
    ///
    /// Emits a {SceneRevoked} event.
    function revokeScene(bytes32 sceneId, string calldata reason)
        external
        onlyRole(TanhuiRoles.REGISTRAR)
        whenNotPaused
    {
        SceneCertificate storage certificate = _sceneCertificates[sceneId];
        if (certificate.certificateHash == bytes32(0) || certificate.revokedAt != 0) {
            revert RegistrySceneNotCertified(sceneId);
        }
        uint256 length = bytes(reason).length;
        if (length == 0 || length > MAX_REASON_BYTES) revert RegistryInvalidReason(length, MAX_REASON_BYTES);
        certificate.revokedAt = uint40(block.timestamp);
        emit SceneRevoked(sceneId, certificate.certificateHash, reason);
    }

    // ----------------------------------------------------------------------------------------
    // Pause
    // ----------------------------------------------------------------------------------------

    /// @notice Stops every state change of the registry. Requirements: the caller has the pauser role.
    function pause() external onlyRole(TanhuiRoles.PAUSER) {
        _pause();
    }

    /// @notice Resumes state changes. Requirements: the caller has the pauser role.
    function unpause() external onlyRole(TanhuiRoles.PAUSER) {
        _unpause();
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @inheritdoc ITanhuiRegistry
    function isActiveParticipant(address account) external view returns (bool) {
        return _participants[account].status == ParticipantStatus.Active;
    }

    /// @inheritdoc ITanhuiRegistry
    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    /// @inheritdoc ITanhuiRegistry
    function methodology(bytes32 methodologyId, uint32 version) external view returns (Methodology memory) {
        return _methodologies[methodologyId][version];
    }

    /// @inheritdoc ITanhuiRegistry
    function project(bytes32 projectId) external view returns (Project memory) {
        return _projects[projectId];
    }

    /// @inheritdoc ITanhuiRegistry
    function report(bytes32 reportHash) external view returns (Report memory) {
        return _reports[reportHash];
    }

    /// @inheritdoc ITanhuiRegistry
    function pointsEpoch(uint64 epoch) external view returns (PointsEpoch memory) {
        return _pointsEpochs[epoch];
    }

    /// @inheritdoc ITanhuiRegistry
    function lastPointsEpoch() external view returns (uint64) {
        return _lastPointsEpoch;
    }

    /// @inheritdoc ITanhuiRegistry
    function sceneCertificate(bytes32 sceneId) external view returns (SceneCertificate memory) {
        return _sceneCertificates[sceneId];
    }

    /// @inheritdoc ITanhuiRegistry
    /// @dev The leaf is OpenZeppelin's StandardMerkleTree leaf of (bytes32, uint256, uint256):
    /// `keccak256(bytes.concat(keccak256(abi.encode(pseudonym, points, grams))))` (`abi.encode`
    /// pads each uint64 to 32 bytes, as a uint256), hashed up with sorted pairs
    /// ({MerkleProof-verify}). Hashing the leaf twice keeps a 64-byte inner node from passing
    /// as a leaf. An epoch not anchored has a zero root, which no proof reaches: false.
    function verifyPoints(uint64 epoch, bytes32 pseudonym, uint64 points, uint64 grams, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _pointsEpochs[epoch].root;
        if (root == bytes32(0)) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(pseudonym, points, grams))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice Seconds between {scheduleRoleGrant} and the earliest {grantRole} of a delayed role.
    function roleGrantDelay() external view returns (uint48) {
        return _roleGrantDelay;
    }

    /// @notice When a scheduled grant of `role` to `account` can be completed, or 0 if none is scheduled.
    function roleGrantReadyAt(bytes32 role, address account) external view returns (uint48) {
        return _roleGrantSchedules[role][account];
    }

    /// @notice The role identifiers, for clients that do not hash the names themselves.
    function REGISTRAR_ROLE() external pure returns (bytes32) {
        return TanhuiRoles.REGISTRAR;
    }

    function VERIFIER_ROLE() external pure returns (bytes32) {
        return TanhuiRoles.VERIFIER;
    }

    function ISSUER_ROLE() external pure returns (bytes32) {
        return TanhuiRoles.ISSUER;
    }

    function EXCHANGE_ROLE() external pure returns (bytes32) {
        return TanhuiRoles.EXCHANGE;
    }

    function SUPERVISOR_ROLE() external pure returns (bytes32) {
        return TanhuiRoles.SUPERVISOR;
    }

    function PAUSER_ROLE() external pure returns (bytes32) {
        return TanhuiRoles.PAUSER;
    }

    /// @dev Every role grant passes here (constructor, {grantRole}, the admin transfer): the
    /// verifier role and the admin, registrar and issuer roles exclude each other.
    function _grantRole(bytes32 role, address account) internal override returns (bool) {
        _checkRoleConflicts(role, account);
        return super._grantRole(role, account);
    }

    function _checkRoleConflicts(bytes32 role, address account) private view {
        if (role == TanhuiRoles.VERIFIER) {
            if (hasRole(DEFAULT_ADMIN_ROLE, account)) {
                revert RegistryConflictingRoles(account, DEFAULT_ADMIN_ROLE, role);
            }
            if (hasRole(TanhuiRoles.REGISTRAR, account)) {
                revert RegistryConflictingRoles(account, TanhuiRoles.REGISTRAR, role);
            }
            if (hasRole(TanhuiRoles.ISSUER, account)) {
                revert RegistryConflictingRoles(account, TanhuiRoles.ISSUER, role);
            }
        } else if (role == DEFAULT_ADMIN_ROLE || role == TanhuiRoles.REGISTRAR || role == TanhuiRoles.ISSUER) {
            if (hasRole(TanhuiRoles.VERIFIER, account)) {
                revert RegistryConflictingRoles(account, TanhuiRoles.VERIFIER, role);
            }
        }
    }

    /// @dev The roles granted only after {scheduleRoleGrant} and {roleGrantDelay}.
    function _isDelayedRole(bytes32 role) private pure returns (bool) {
        return role == TanhuiRoles.REGISTRAR || role == TanhuiRoles.ISSUER || role == TanhuiRoles.SUPERVISOR
            || role == TanhuiRoles.PAUSER || role == TanhuiRoles.EXCHANGE;
    }

    function _requireActive(address account) private view {
        ParticipantStatus status = _participants[account].status;
        if (status != ParticipantStatus.Active) {
            if (status == ParticipantStatus.None) revert RegistryUnknownParticipant(account);
            revert RegistryParticipantNotActive(account, status);
        }
    }
}
