// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {TestBase} from "./Vm.sol";
import {TanhuiRegistry} from "../../src/TanhuiRegistry.sol";
import {TanhuiCredits} from "../../src/TanhuiCredits.sol";
import {TanhuiExchange} from "../../src/TanhuiExchange.sol";
import {TanhuiRoles} from "../../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiExchange} from "../../src/interfaces/ITanhuiExchange.sol";

/// @dev A deployed scheme with one account per role, three participants (`owner`, `buyer` and
/// `exchange`), a published methodology of project type `PROJECT_TYPE`, a registered project, the
/// exchange's escrow (`market`, named the credits' market) and helpers to verify and issue
/// reports, list, post bands and settle.
abstract contract Fixture is TestBase {
    uint48 internal constant ADMIN_DELAY = 1 days;
    /// @dev The wait between scheduling and granting a delayed role (registrar, issuer, ...).
    uint48 internal constant ROLE_GRANT_DELAY = 2 days;

    TanhuiRegistry internal registry;
    TanhuiCredits internal credits;
    /// @dev The exchange's escrow and settlement contract; `exchange` is the account with the exchange role.
    TanhuiExchange internal market;

    address internal admin = address(0xA11CE);
    address internal registrar = address(0x5E61);
    address internal verifier = address(0xBEEF);
    address internal issuer = address(0x155E);
    address internal exchange = address(0xE8C4);
    address internal supervisor = address(0x5E7A);
    address internal pauser = address(0xBA05);
    address internal owner = address(0x0A11);
    address internal buyer = address(0xB0B);
    address internal outsider = address(0xD00D);

    bytes32 internal constant METHODOLOGY = keccak256("coal-boiler-to-electric");
    uint32 internal constant VERSION = 1;
    bytes32 internal constant PROJECT = keccak256("project-1");
    uint64 internal constant JAN_2025 = 1735689600;
    uint64 internal constant MAR_2025 = 1740787200;
    uint64 internal constant APR_2025 = 1743465600;
    uint64 internal constant MAY_2025 = 1746057600;
    uint64 internal constant JUN_2025 = 1748736000;
    uint64 internal constant JUL_2025 = 1751328000;
    uint64 internal constant AUG_2025 = 1754006400;
    uint64 internal constant OCT_2025 = 1759276800;
    uint64 internal constant JAN_2026 = 1767225600;
    /// @dev The registry's bounds: periods start at 2000-01-01 or later; amounts fit an int64.
    uint64 internal constant PERIOD_FLOOR = 946684800;
    uint64 internal constant MAX_AMOUNT = uint64(type(int64).max);
    /// @dev The consumption period of `_details`: [JAN_2025, APR_2025], as the uint40 of the certificate.
    uint40 internal constant CONSUMPTION_START = 1735689600;
    uint40 internal constant CONSUMPTION_END = 1743465600;
    /// @dev The block timestamp at which setUp grants the roles and registers everything
    /// (2026-02-02). The contracts are deployed ROLE_GRANT_DELAY earlier, with no operator, and
    /// the delayed roles are scheduled then, so that each role goes to its own account.
    uint256 internal constant DEPLOYED_AT = 1_770_000_000;
    /// @dev The project type of METHODOLOGY on the exchange, and the band `_postBand` posts (fen per tonne).
    uint8 internal constant PROJECT_TYPE = 1;
    uint48 internal constant BAND_LOW = 4_000;
    uint48 internal constant BAND_HIGH = 6_000;
    uint48 internal constant BLOCK_LOW = 3_000;
    uint48 internal constant BLOCK_HIGH = 7_000;
    uint64 internal constant BLOCK_MIN_KG = 100_000;

    function setUp() public virtual {
        vm.warp(DEPLOYED_AT - ROLE_GRANT_DELAY);
        registry = new TanhuiRegistry(ADMIN_DELAY, admin, ROLE_GRANT_DELAY, address(0));
        credits = new TanhuiCredits(registry, "https://registry.example/v1/batches/{id}");
        market = new TanhuiExchange(registry, credits);
        address[5] memory accounts = [registrar, issuer, exchange, supervisor, pauser];
        bytes32[5] memory roles = [
            TanhuiRoles.REGISTRAR, TanhuiRoles.ISSUER, TanhuiRoles.EXCHANGE, TanhuiRoles.SUPERVISOR, TanhuiRoles.PAUSER
        ];
        vm.startPrank(admin);
        for (uint256 i = 0; i < roles.length; ++i) {
            registry.scheduleRoleGrant(roles[i], accounts[i]);
        }
        vm.warp(DEPLOYED_AT);
        for (uint256 i = 0; i < roles.length; ++i) {
            registry.grantRole(roles[i], accounts[i]);
        }
        registry.grantRole(TanhuiRoles.VERIFIER, verifier);
        credits.setMarket(address(market));
        vm.stopPrank();

        vm.startPrank(registrar);
        registry.registerParticipant(owner, ITanhuiRegistry.ParticipantKind.Organisation);
        registry.registerParticipant(buyer, ITanhuiRegistry.ParticipantKind.Organisation);
        // The exchange settles trades as an approved operator, and operators must be participants.
        registry.registerParticipant(exchange, ITanhuiRegistry.ParticipantKind.Organisation);
        registry.publishMethodology(METHODOLOGY, VERSION, keccak256("methodology v1 text"));
        registry.registerProject(PROJECT, owner, METHODOLOGY, VERSION, keccak256("project design document"));
        market.setMethodologyType(METHODOLOGY, PROJECT_TYPE);
        vm.stopPrank();
    }

    function _verify(bytes32 reportHash, uint64 start, uint64 end, uint64 amount) internal {
        vm.prank(verifier);
        registry.recordVerifiedReport(reportHash, PROJECT, start, end, amount);
    }

    function _verifyAndIssue(bytes32 reportHash, uint64 start, uint64 end, uint64 amount)
        internal
        returns (uint256 batchId)
    {
        _verify(reportHash, start, end, amount);
        vm.prank(issuer);
        batchId = credits.issue(reportHash);
    }

    /// @dev Grants a delayed role the only way there is: schedule, wait ROLE_GRANT_DELAY, grant.
    /// Moves the clock forward by the delay.
    function _scheduleAndGrant(bytes32 role, address account) internal {
        vm.prank(admin);
        registry.scheduleRoleGrant(role, account);
        vm.warp(block.timestamp + ROLE_GRANT_DELAY);
        vm.prank(admin);
        registry.grantRole(role, account);
    }

    /// @dev Expects the next call to revert for lack of `role` held by `account`.
    function _expectUnauthorized(address account, bytes32 role) internal {
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, account, role));
    }

    /// @dev Expects the next call to revert because the called contract is paused.
    function _expectPaused() internal {
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
    }

    function _expectRevert(bytes4 selector) internal {
        vm.expectRevert(abi.encodeWithSelector(selector));
    }

    function _pauseCredits() internal {
        vm.prank(pauser);
        credits.pause();
    }

    function _pauseRegistry() internal {
        vm.prank(pauser);
        registry.pause();
    }

    function _registerParticipant(address account) internal {
        vm.prank(registrar);
        registry.registerParticipant(account, ITanhuiRegistry.ParticipantKind.Person);
    }

    function _suspend(address account) internal {
        vm.prank(registrar);
        registry.setParticipantStatus(account, ITanhuiRegistry.ParticipantStatus.Suspended);
    }

    function _freezeAccount(address account) internal {
        vm.prank(supervisor);
        credits.setAccountFrozen(account, true, "dispute 2025-17");
    }

    function _freezeBatch(uint256 batchId) internal {
        vm.prank(supervisor);
        credits.setBatchFrozen(batchId, true, "verification under review");
    }

    function _transfer(address from, address to, uint256 batchId, uint256 amount) internal {
        vm.prank(from);
        credits.safeTransferFrom(from, to, batchId, amount, "");
    }

    function _retire(address holder, uint256 batchId, uint64 amount) internal returns (uint256 certificateId) {
        vm.prank(holder);
        certificateId = credits.retire(batchId, amount, _details("Chengdu Marathon 2025 Organising Committee"));
    }

    /// @dev Asserts issued == held by `holders` + retired + invalidated for `batchId`.
    function _assertConserved(uint256 batchId, address[] memory holders) internal view {
        ITanhuiCredits.Batch memory b = credits.batch(batchId);
        uint256 held;
        for (uint256 i = 0; i < holders.length; ++i) {
            held += credits.balanceOf(holders[i], batchId);
        }
        vm.assertEq(uint256(b.issued), held + b.retired + b.invalidated, "issued == held + retired + invalidated");
    }

    // ----------------------------------------------------------------------------------------
    // Exchange
    // ----------------------------------------------------------------------------------------

    /// @dev Lists `amount` of `seller`'s credits of `batchId` on the exchange.
    function _list(address seller, uint256 batchId, uint64 amount) internal returns (uint256 listingId) {
        vm.prank(seller);
        listingId = market.list(batchId, amount);
    }

    /// @dev The fixture's band: [BAND_LOW, BAND_HIGH], block trades from BLOCK_MIN_KG in [BLOCK_LOW, BLOCK_HIGH].
    function _band() internal pure returns (ITanhuiExchange.Band memory) {
        return ITanhuiExchange.Band({
            low: BAND_LOW, high: BAND_HIGH, blockLow: BLOCK_LOW, blockHigh: BLOCK_HIGH, blockMinKg: BLOCK_MIN_KG
        });
    }

    /// @dev Posts the fixture's band of PROJECT_TYPE for today's trading day.
    function _postBand() internal {
        _postBand(PROJECT_TYPE, _today(), _band());
    }

    function _postBand(uint8 projectType, uint32 day, ITanhuiExchange.Band memory b) internal {
        vm.prank(issuer);
        market.postBand(projectType, day, b);
    }

    /// @dev Today's trading day (China Standard Time), computed here (no call, so it can sit
    /// between a `vm.prank`/`vm.expectRevert` and the call it is meant for).
    function _today() internal view returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) days since 1970 stay below 2**32
        return uint32((block.timestamp + 8 hours) / 1 days);
    }

    function _settlement(bytes32 tradeRef, uint256 listingId, address buyer_, uint64 amount, uint64 price)
        internal
        pure
        returns (ITanhuiExchange.Settlement memory)
    {
        return ITanhuiExchange.Settlement({
            tradeRef: tradeRef,
            listingId: listingId,
            buyer: buyer_,
            amount: amount,
            priceFenPerTonne: price,
            retire: false
        });
    }

    /// @dev Settles a plain trade (no retirement) as the exchange.
    function _settle(bytes32 tradeRef, uint256 listingId, address buyer_, uint64 amount, uint64 price)
        internal
        returns (uint256 tradeId)
    {
        vm.prank(exchange);
        (tradeId,) = market.settle(_settlement(tradeRef, listingId, buyer_, amount, price), _details("unused"));
    }

    function _details(string memory beneficiary) internal pure returns (ITanhuiCredits.RetirementDetails memory) {
        return ITanhuiCredits.RetirementDetails({
            beneficiary: beneficiary,
            purpose: ITanhuiCredits.RetirementPurpose.EventNeutrality,
            eventId: keccak256("chengdu-marathon-2025"),
            jurisdiction: "CN-SC-Chengdu",
            consumptionStart: CONSUMPTION_START,
            consumptionEnd: CONSUMPTION_END,
            note: "Offsets the marathon's travel and venue footprint"
        });
    }
}
