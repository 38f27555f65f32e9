// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ITanhuiCredits} from "./ITanhuiCredits.sol";

/// @title Tanhui exchange: types, errors and events
/// @notice The escrow and settlement side of the environmental exchange (R21-R24). Holders list
/// credits (they move into escrow); the exchange settles trades against listings within the
/// trading day's price band of the credits' project type, and never while trading is halted.
interface ITanhuiExchange {
    enum ListingState {
        None,
        Open,
        Cancelled,
        Filled
    }

    /// @dev A listing, in two slots: seller, batch, project type and state; then the amount
    /// listed, what is left of it (what is in escrow while open; what was returned once cancelled)
    /// and when it was listed.
    struct Listing {
        address seller;
        uint48 batchId;
        uint8 projectType;
        ListingState state;
        uint64 amount;
        uint64 remaining;
        uint40 listedAt;
    }

    /// @dev A settled trade, in three slots. `priceFenPerTonne` is the price in fen (0.01 yuan)
    /// per tonne; `amount` in kilograms; `certificateId` is the buy-and-retire certificate, or 0.
    struct Trade {
        bytes32 tradeRef;
        uint48 listingId;
        address buyer;
        uint40 settledAt;
        uint64 amount;
        uint64 priceFenPerTonne;
        uint64 certificateId;
        bool blockTrade;
    }

    /// @dev The price band of one project type on one trading day, in fen per tonne, in one slot:
    /// the band for listed trades, the wider band for block trades, and the size from which a trade
    /// is a block trade (0: no block trades).
    struct Band {
        uint48 low;
        uint48 high;
        uint48 blockLow;
        uint48 blockHigh;
        uint64 blockMinKg;
    }

    /// @dev A settlement instruction of the exchange.
    struct Settlement {
        bytes32 tradeRef;
        uint256 listingId;
        address buyer;
        uint64 amount;
        uint64 priceFenPerTonne;
        bool retire;
    }

    error ExchangeZeroAmount();
    error ExchangeZeroPrice();
    error ExchangeZeroTradeRef();
    error ExchangeInvalidProjectType(uint8 projectType);
    error ExchangeUnknownProjectType(bytes32 methodologyId);
    error ExchangeListingNotOpen(uint256 listingId, ListingState state);
    error ExchangeAmountExceedsListing(uint256 listingId, uint64 remaining, uint64 amount);
    error ExchangeBuyerIsSeller(address buyer);
    error ExchangeSellerFrozen(address seller);
    error ExchangeTradeRefUsed(bytes32 tradeRef, uint256 tradeId);
    error ExchangeTradingHalted(uint8 projectType, uint256 batchId);
    error ExchangeNoBand(uint8 projectType, uint32 day);
    error ExchangePriceOutOfBand(uint64 priceFenPerTonne, uint64 low, uint64 high);
    error ExchangeInvalidBand();
    error ExchangePastDay(uint32 day, uint32 today);
    error ExchangeHaltUnchanged();
    error ExchangeEmptyReason();
    error ExchangeReasonTooLong(uint256 length, uint256 max);
    error ExchangeUnexpectedTransfer(address operator);

    event Listed(
        uint256 indexed listingId, address indexed seller, uint256 indexed batchId, uint8 projectType, uint64 amount
    );
    event ListingCancelled(uint256 indexed listingId, address indexed by, uint64 returned);
    event TradeSettled(
        uint256 indexed tradeId,
        bytes32 indexed tradeRef,
        uint256 indexed listingId,
        address buyer,
        uint64 amount,
        uint64 priceFenPerTonne,
        bool blockTrade,
        uint256 certificateId
    );
    event BandPosted(uint8 indexed projectType, uint32 indexed day, Band band);
    event ReferencePriceSet(uint8 indexed projectType, uint64 priceFenPerTonne);
    event MethodologyTypeSet(bytes32 indexed methodologyId, uint8 projectType);
    event TypeHaltSet(uint8 indexed projectType, bool halted, string reason);
    event BatchHaltSet(uint256 indexed batchId, bool halted, string reason);

    function list(uint256 batchId, uint64 amount) external returns (uint256 listingId);
    function cancel(uint256 listingId) external;
    function settle(Settlement calldata s, ITanhuiCredits.RetirementDetails calldata details)
        external
        returns (uint256 tradeId, uint256 certificateId);
    function listing(uint256 listingId) external view returns (Listing memory);
    function trade(uint256 tradeId) external view returns (Trade memory);
}
