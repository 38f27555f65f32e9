// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ITanhuiRegistry} from "./interfaces/ITanhuiRegistry.sol";
import {TanhuiRoles} from "./TanhuiRoles.sol";

/// @title TanhuiRegistry
/// @notice The permissioned anchor of the scheme: participants, published methodologies,
/// registered projects and verified monitoring reports. It also holds every role grant of the
/// scheme; {TanhuiCredits} checks its roles here.
///
/// The admin role changes hands in two steps with a delay ({AccessControlDefaultAdminRules}).
contract TanhuiRegistry is ITanhuiRegistry, AccessControlDefaultAdminRules, Pausable {
    mapping(address account => Participant) private _participants;
    mapping(bytes32 methodologyId => mapping(uint32 version => Methodology)) private _methodologies;
    mapping(bytes32 projectId => Project) private _projects;
    mapping(bytes32 reportHash => Report) private _reports;

    /// @param adminDelay seconds a new admin must wait before accepting the role (and the
    ///        minimum schedule of a change of this delay).
    /// @param admin the first holder of `DEFAULT_ADMIN_ROLE`.
    constructor(uint48 adminDelay, address admin) AccessControlDefaultAdminRules(adminDelay, admin) {}

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
    /// - the project is registered; `reportHash` is not zero and was never recorded;
    /// - `periodStart < periodEnd`; `amount` is not zero.
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
        if (periodStart >= periodEnd) revert RegistryInvalidPeriod(periodStart, periodEnd);
        if (amount == 0) revert RegistryZeroAmount();
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

    function _requireActive(address account) private view {
        ParticipantStatus status = _participants[account].status;
        if (status != ParticipantStatus.Active) {
            if (status == ParticipantStatus.None) revert RegistryUnknownParticipant(account);
            revert RegistryParticipantNotActive(account, status);
        }
    }
}
