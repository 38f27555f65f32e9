// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ITanhuiCredits} from "./interfaces/ITanhuiCredits.sol";
import {ITanhuiExchange} from "./interfaces/ITanhuiExchange.sol";
import {ITanhuiRegistry} from "./interfaces/ITanhuiRegistry.sol";
import {TanhuiRoles} from "./TanhuiRoles.sol";

/// @title TanhuiExchange
/// @notice The escrow and settlement of the environmental exchange (R21-R24). A holder lists
/// credits of a batch: they move into this contract's escrow and leave it only when the listing
/// is cancelled (back to the seller) or settled (to the buyer, who may retire them in the same
/// transaction). Only the exchange settles, once per trade reference, within the price band the
/// registry posted for the credits' project type and the trading day, and never while trading of
/// the type or the batch is halted by a supervisor.
///
/// Escrow, per batch: the contract's balance of the batch == the sum of what is left in the
/// batch's open listings. With the credits contract's own law this gives, per batch,
/// issued == held + escrowed + retired + invalidated.
///
/// Trading days are calendar days of China Standard Time (UTC+8), numbered from 1970-01-01.
contract TanhuiExchange is ITanhuiExchange, IERC1155Receiver, ReentrancyGuardTransient {
    /// @notice The offset of China Standard Time from UTC, in seconds.
    uint256 public constant CST_OFFSET = 8 hours;
    /// @notice The bound of a halt's reason, in bytes of UTF-8.
    uint256 public constant MAX_REASON_BYTES = 4000;

    bytes32 private constant _ADMIN_ROLE = 0x00;

    ITanhuiRegistry private immutable _registry;
    ITanhuiCredits private immutable _credits;

    uint256 private _nextListingId;
    uint256 private _nextTradeId;
    mapping(uint256 listingId => Listing) private _listings;
    mapping(uint256 tradeId => Trade) private _trades;
    mapping(bytes32 tradeRef => uint256 tradeId) private _tradeIds;
    mapping(uint8 projectType => mapping(uint32 day => Band)) private _bands;
    mapping(uint8 projectType => uint64 priceFenPerTonne) private _referencePrices;
    mapping(bytes32 methodologyId => uint8 projectType) private _methodologyTypes;
    mapping(uint8 projectType => bool) private _typeHalted;
    mapping(uint256 batchId => bool) private _batchHalted;

    modifier onlyRole(bytes32 role) {
        if (!_registry.hasRole(role, msg.sender)) revert IAccessControl.AccessControlUnauthorizedAccount(msg.sender, role);
        _;
    }

    /// @param registry_ the registry holding participants and roles.
    /// @param credits_ the credits contract; its admin names this contract its market.
    constructor(ITanhuiRegistry registry_, ITanhuiCredits credits_) {
        _registry = registry_;
        _credits = credits_;
        _nextListingId = 1;
        _nextTradeId = 1;
    }

    // ----------------------------------------------------------------------------------------
    // Listings
    // ----------------------------------------------------------------------------------------

    /// @notice Lists `amount` of the caller's credits of batch `batchId` for sale: they move into
    /// escrow. The listing takes the project type of the batch's methodology.
    ///
    /// Requirements:
    /// - `amount` is not zero; the batch's methodology has a project type ({setMethodologyType});
    /// - everything the credits contract requires of a transfer from the caller: not paused, the
    ///   caller registered and not frozen, the batch not frozen, `amount` within the balance.
    ///
    /// Emits a {Listed} event, then the credits contract's {TransferSingle} into escrow.
    function list(uint256 batchId, uint64 amount) external nonReentrant returns (uint256 listingId) {
        if (amount == 0) revert ExchangeZeroAmount();
        bytes32 methodologyId = _credits.batch(batchId).methodologyId;
        uint8 projectType = _methodologyTypes[methodologyId];
        if (projectType == 0) revert ExchangeUnknownProjectType(methodologyId);
        address seller = msg.sender;
        listingId = _nextListingId++;
        _listings[listingId] = Listing({
            seller: seller,
            // forge-lint: disable-next-line(unsafe-typecast) batch ids count up from 1 and stay far below 2**48
            batchId: uint48(batchId),
            projectType: projectType,
            state: ListingState.Open,
            amount: amount,
            remaining: amount,
            // forge-lint: disable-next-line(unsafe-typecast) unix seconds stay below 2**40 until year 36812
            listedAt: uint40(block.timestamp)
        });
        emit Listed(listingId, seller, batchId, projectType, amount);
        _credits_().safeTransferFrom(seller, address(this), batchId, amount, "");
    }

    /// @notice Cancels an open listing: what is left of it goes back to the seller. Works while
    /// trading is halted.
    ///
    /// Requirements:
    /// - the caller is the seller, the exchange (an expired order) or a supervisor;
    /// - the listing is open;
    /// - the credits contract accepts the return: not paused, the seller active and not frozen,
    ///   the batch not frozen.
    ///
    /// Emits a {ListingCancelled} event, then the credits contract's {TransferSingle}.
    function cancel(uint256 listingId) external nonReentrant {
        Listing storage l = _listings[listingId];
        if (l.state != ListingState.Open) revert ExchangeListingNotOpen(listingId, l.state);
        address caller = msg.sender;
        address seller = l.seller;
        if (
            caller != seller && !_registry.hasRole(TanhuiRoles.EXCHANGE, caller)
                && !_registry.hasRole(TanhuiRoles.SUPERVISOR, caller)
        ) {
            revert IAccessControl.AccessControlUnauthorizedAccount(caller, TanhuiRoles.EXCHANGE);
        }
        l.state = ListingState.Cancelled;
        uint64 returned = l.remaining;
        emit ListingCancelled(listingId, caller, returned);
        _credits_().safeTransferFrom(address(this), seller, l.batchId, returned, "");
    }

    // ----------------------------------------------------------------------------------------
    // Settlement
    // ----------------------------------------------------------------------------------------

    /// @notice Settles the exchange's trade `s.tradeRef`: `s.amount` of listing `s.listingId`
    /// goes from escrow to `s.buyer` at `s.priceFenPerTonne`; with `s.retire`, the buyer retires
    /// them at once for `details` (buy-and-retire) and gets the certificate. `details` is ignored
    /// without `s.retire`.
    ///
    /// Requirements:
    /// - the caller has the exchange role;
    /// - `s.tradeRef` is not zero and was never settled;
    /// - the listing is open and has at least `s.amount` (not zero) left;
    /// - the buyer is not the seller; the seller is not frozen;
    /// - trading of the listing's project type and of its batch is not halted;
    /// - a band is posted for the project type and today; the price is within it: the block-trade
    ///   band when `s.amount` reaches the band's `blockMinKg`, else the listed-trade band;
    /// - what the credits contract requires of the delivery (not paused, the buyer an active,
    ///   unfrozen participant, the batch not frozen) and of the retirement.
    ///
    /// Emits the credits contract's {TransferSingle} (and, with `s.retire`, {CreditsRetired} and
    /// {TransferSingle}), then {TradeSettled}.
    function settle(Settlement calldata s, ITanhuiCredits.RetirementDetails calldata details)
        external
        onlyRole(TanhuiRoles.EXCHANGE)
        nonReentrant
        returns (uint256 tradeId, uint256 certificateId)
    {
        uint256 batchId;
        bool blockTrade;
        (tradeId, batchId, blockTrade) = _accept(s);
        _credits_().safeTransferFrom(address(this), s.buyer, batchId, s.amount, "");
        if (s.retire) {
            certificateId = _credits.retireFor(s.buyer, batchId, s.amount, details);
            // forge-lint: disable-next-line(unsafe-typecast) certificate ids count up from 1 and stay far below 2**64
            _trades[tradeId].certificateId = uint64(certificateId);
        }
        emit TradeSettled(
            tradeId, s.tradeRef, s.listingId, s.buyer, s.amount, s.priceFenPerTonne, blockTrade, certificateId
        );
    }

    // ----------------------------------------------------------------------------------------
    // Market rules (R22-R24)
    // ----------------------------------------------------------------------------------------

    /// @notice Posts the price band of `projectType` for trading day `day` (replacing one posted
    /// before). Requirements: the caller has the issuer role (the registry computes the bands);
    /// `projectType` is not zero; `day` is not before today; `0 < low <= high` and
    /// `0 < blockLow <= blockHigh`. Emits a {BandPosted} event.
    function postBand(uint8 projectType, uint32 day, Band calldata newBand) external onlyRole(TanhuiRoles.ISSUER) {
        if (projectType == 0) revert ExchangeInvalidProjectType(projectType);
        uint32 today = tradingDay(block.timestamp);
        if (day < today) revert ExchangePastDay(day, today);
        if (
            newBand.low == 0 || newBand.low > newBand.high || newBand.blockLow == 0
                || newBand.blockLow > newBand.blockHigh
        ) {
            revert ExchangeInvalidBand();
        }
        _bands[projectType][day] = newBand;
        emit BandPosted(projectType, day, newBand);
    }

    /// @notice Sets the reference price of `projectType` (R22), the previous close of a day with no
    /// trades. Requirements: the caller has the issuer role; `projectType` and the price are not
    /// zero. Emits a {ReferencePriceSet} event.
    function setReferencePrice(uint8 projectType, uint64 priceFenPerTonne) external onlyRole(TanhuiRoles.ISSUER) {
        if (projectType == 0) revert ExchangeInvalidProjectType(projectType);
        if (priceFenPerTonne == 0) revert ExchangeZeroPrice();
        _referencePrices[projectType] = priceFenPerTonne;
        emit ReferencePriceSet(projectType, priceFenPerTonne);
    }

    /// @notice Gives the credits of methodology `methodologyId` their project type (0: none, and
    /// they can no longer be listed). Requirements: the caller has the registrar role. Emits a
    /// {MethodologyTypeSet} event.
    function setMethodologyType(bytes32 methodologyId, uint8 projectType) external onlyRole(TanhuiRoles.REGISTRAR) {
        _methodologyTypes[methodologyId] = projectType;
        emit MethodologyTypeSet(methodologyId, projectType);
    }

    /// @notice Halts (`halted`) or resumes trading of `projectType` (R24): settlements of its
    /// listings revert while halted; listings can still be made and cancelled. Requirements: the
    /// caller has the supervisor role; `projectType` is not zero; `reason` is not empty and at most
    /// `MAX_REASON_BYTES` long; the state changes. Emits a {TypeHaltSet} event.
    function setTypeHalted(uint8 projectType, bool halted, string calldata reason)
        external
        onlyRole(TanhuiRoles.SUPERVISOR)
    {
        if (projectType == 0) revert ExchangeInvalidProjectType(projectType);
        _checkReason(reason);
        if (_typeHalted[projectType] == halted) revert ExchangeHaltUnchanged();
        _typeHalted[projectType] = halted;
        emit TypeHaltSet(projectType, halted, reason);
    }

    /// @notice Halts (`halted`) or resumes trading of batch `batchId`, as {setTypeHalted} does for
    /// a project type. Requirements: the caller has the supervisor role; the batch exists; `reason`
    /// is not empty and at most `MAX_REASON_BYTES` long; the state changes. Emits a {BatchHaltSet}.
    function setBatchHalted(uint256 batchId, bool halted, string calldata reason)
        external
        onlyRole(TanhuiRoles.SUPERVISOR)
    {
        _credits.batch(batchId);
        _checkReason(reason);
        if (_batchHalted[batchId] == halted) revert ExchangeHaltUnchanged();
        _batchHalted[batchId] = halted;
        emit BatchHaltSet(batchId, halted, reason);
    }

    // ----------------------------------------------------------------------------------------
    // Escrow
    // ----------------------------------------------------------------------------------------

    /// @notice Accepts only the credits this contract pulls into escrow itself ({list}): from a
    /// holder, never from escrow (a settlement naming this contract as buyer would strand them).
    function onERC1155Received(address operator, address from, uint256, uint256, bytes calldata)
        external
        view
        returns (bytes4)
    {
        if (msg.sender != address(_credits) || operator != address(this) || from == address(this)) {
            revert ExchangeUnexpectedTransfer(operator);
        }
        return IERC1155Receiver.onERC1155Received.selector;
    }

    /// @notice Refuses every batch transfer: escrow takes one batch per listing.
    function onERC1155BatchReceived(address operator, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        revert ExchangeUnexpectedTransfer(operator);
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC1155Receiver).interfaceId || interfaceId == type(IERC165).interfaceId;
    }

    // ----------------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------------

    /// @notice The trading day (days since 1970-01-01 in China Standard Time) of unix time `timestamp`.
    function tradingDay(uint256 timestamp) public pure returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) days since 1970 stay below 2**32 for 11 million years
        return uint32((timestamp + CST_OFFSET) / 1 days);
    }

    function listing(uint256 listingId) external view returns (Listing memory) {
        return _listings[listingId];
    }

    function trade(uint256 tradeId) external view returns (Trade memory) {
        return _trades[tradeId];
    }

    /// @notice The trade settled under `tradeRef`, or 0.
    function tradeOf(bytes32 tradeRef) external view returns (uint256) {
        return _tradeIds[tradeRef];
    }

    /// @notice The band of `projectType` on trading day `day` (all zero: none posted).
    function band(uint8 projectType, uint32 day) external view returns (Band memory) {
        return _bands[projectType][day];
    }

    function referencePrice(uint8 projectType) external view returns (uint64) {
        return _referencePrices[projectType];
    }

    function methodologyType(bytes32 methodologyId) external view returns (uint8) {
        return _methodologyTypes[methodologyId];
    }

    function isTypeHalted(uint8 projectType) external view returns (bool) {
        return _typeHalted[projectType];
    }

    function isBatchHalted(uint256 batchId) external view returns (bool) {
        return _batchHalted[batchId];
    }

    /// @notice The number of listings; listing ids run from 1 to this.
    function listingCount() external view returns (uint256) {
        return _nextListingId - 1;
    }

    /// @notice The number of trades; trade ids run from 1 to this.
    function tradeCount() external view returns (uint256) {
        return _nextTradeId - 1;
    }

    function registry() external view returns (ITanhuiRegistry) {
        return _registry;
    }

    function credits() external view returns (ITanhuiCredits) {
        return _credits;
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    /// @dev Reverts unless `price` is within today's band of `projectType`; returns whether the
    /// trade is a block trade.
    function _checkPrice(uint8 projectType, uint64 amount, uint64 price) private view returns (bool blockTrade) {
        if (price == 0) revert ExchangeZeroPrice();
        uint32 day = tradingDay(block.timestamp);
        Band memory b = _bands[projectType][day];
        if (b.low == 0) revert ExchangeNoBand(projectType, day);
        blockTrade = b.blockMinKg != 0 && amount >= b.blockMinKg;
        (uint64 low, uint64 high) = blockTrade ? (b.blockLow, b.blockHigh) : (b.low, b.high);
        if (price < low || price > high) revert ExchangePriceOutOfBand(price, low, high);
    }

    /// @dev The checks and effects of {settle}: records the trade and takes it from the listing.
    function _accept(Settlement calldata s) private returns (uint256 tradeId, uint256 batchId, bool blockTrade) {
        if (s.tradeRef == 0) revert ExchangeZeroTradeRef();
        uint256 existing = _tradeIds[s.tradeRef];
        if (existing != 0) revert ExchangeTradeRefUsed(s.tradeRef, existing);
        Listing storage l = _listings[s.listingId];
        if (l.state != ListingState.Open) revert ExchangeListingNotOpen(s.listingId, l.state);
        if (s.amount == 0) revert ExchangeZeroAmount();
        uint64 remaining = l.remaining;
        if (s.amount > remaining) revert ExchangeAmountExceedsListing(s.listingId, remaining, s.amount);
        address seller = l.seller;
        if (s.buyer == seller) revert ExchangeBuyerIsSeller(s.buyer);
        if (_credits.isAccountFrozen(seller)) revert ExchangeSellerFrozen(seller);
        uint8 projectType = l.projectType;
        batchId = l.batchId;
        if (_typeHalted[projectType]) revert ExchangeTradingHalted(projectType, 0);
        if (_batchHalted[batchId]) revert ExchangeTradingHalted(projectType, batchId);
        blockTrade = _checkPrice(projectType, s.amount, s.priceFenPerTonne);

        remaining -= s.amount;
        l.remaining = remaining;
        if (remaining == 0) l.state = ListingState.Filled;
        tradeId = _nextTradeId++;
        _tradeIds[s.tradeRef] = tradeId;
        Trade storage t = _trades[tradeId];
        t.tradeRef = s.tradeRef;
        // forge-lint: disable-next-line(unsafe-typecast) listing ids count up from 1 and stay far below 2**48
        t.listingId = uint48(s.listingId);
        t.buyer = s.buyer;
        // forge-lint: disable-next-line(unsafe-typecast) unix seconds stay below 2**40 until year 36812
        t.settledAt = uint40(block.timestamp);
        t.amount = s.amount;
        t.priceFenPerTonne = s.priceFenPerTonne;
        t.blockTrade = blockTrade;

    }

    function _checkReason(string calldata reason) private pure {
        uint256 length = bytes(reason).length;
        if (length == 0) revert ExchangeEmptyReason();
        if (length > MAX_REASON_BYTES) revert ExchangeReasonTooLong(length, MAX_REASON_BYTES);
    }

    function _credits_() private view returns (IERC1155Like) {
        return IERC1155Like(address(_credits));
    }
}

/// @dev The ERC-1155 transfer the escrow uses.
interface IERC1155Like {
    function safeTransferFrom(address from, address to, uint256 id, uint256 value, bytes calldata data) external;
}
