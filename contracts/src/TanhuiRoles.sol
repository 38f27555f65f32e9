// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Tanhui roles
/// @notice The role identifiers of the scheme. The registry contract holds every grant; the
/// credits contract asks it. The admin (`DEFAULT_ADMIN_ROLE`, 0x00) grants and revokes them:
/// the verifier at once, the others only after an announced delay
/// ({TanhuiRegistry-scheduleRoleGrant}); revocation is immediate. The verifier role excludes the
/// admin, registrar and issuer roles.
library TanhuiRoles {
    /// @dev Registers participants (organisations and people) and projects; publishes methodologies.
    bytes32 internal constant REGISTRAR = keccak256("tanhui.role.registrar");
    /// @dev Records verified monitoring reports (the third-party verification body).
    bytes32 internal constant VERIFIER = keccak256("tanhui.role.verifier");
    /// @dev Issues credits against verified reports.
    bytes32 internal constant ISSUER = keccak256("tanhui.role.issuer");
    /// @dev Settles exchange trades (the environmental exchange).
    bytes32 internal constant EXCHANGE = keccak256("tanhui.role.exchange");
    /// @dev Freezes accounts and batches during disputes; invalidates credits with a reason.
    bytes32 internal constant SUPERVISOR = keccak256("tanhui.role.supervisor");
    /// @dev Pauses and unpauses every state change of the scheme.
    bytes32 internal constant PAUSER = keccak256("tanhui.role.pauser");
}
