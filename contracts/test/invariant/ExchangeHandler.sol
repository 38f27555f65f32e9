// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC1155Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ModelHandler} from "../utils/ModelHandler.sol";
import {TanhuiRegistry} from "../../src/TanhuiRegistry.sol";
import {TanhuiCredits} from "../../src/TanhuiCredits.sol";
import {TanhuiExchange} from "../../src/TanhuiExchange.sol";
import {TanhuiRoles} from "../../src/TanhuiRoles.sol";
import {ITanhuiRegistry} from "../../src/interfaces/ITanhuiRegistry.sol";
import {ITanhuiCredits} from "../../src/interfaces/ITanhuiCredits.sol";
import {ITanhuiExchange} from "../../src/interfaces/ITanhuiExchange.sol";

/// @dev Drives random list / cancel (by the seller, the exchange, a supervisor or an outsider) /
/// settle (with and without buy-and-retire; zero, reused and fresh trade references; the escrow or
/// the seller as buyer; prices in and out of the band, block trades) / halt and resume (type and
/// batch) / post band / advance the clock across trading days / retire / invalidate (the escrow
/// too) / freeze / unfreeze / suspend / pause, among three registered actors and one never
/// registered, with the credits' batches all of project type 1.
///
/// As {CreditsHandler}: every call to the exchange and the credits goes through try/catch and is
/// predicted first (success, or the exact error with its arguments, in the order the contracts
/// check); a different outcome counts in `mismatches`. On success the ghost state (listings'
/// remaining, escrow flows, trade references) is updated for the invariants.
contract ExchangeHandler is ModelHandler {
    uint8 internal constant TYPE = 1;
    uint64 internal constant BLOCK_MIN_KG = 5_000;

    TanhuiRegistry public immutable registry;
    TanhuiCredits public immutable credits;
    TanhuiExchange public immutable market;
    address internal immutable _exchange;
    address internal immutable _issuer;
    address internal immutable _supervisor;
    address internal immutable _pauser;
    address internal immutable _registrar;

    address[] internal _actors;
    uint256 public batchCount;

    // ---- model ----
    mapping(address account => bool) public ghostRegistered;
    mapping(address account => bool) public ghostActive;
    mapping(address account => bool) public ghostFrozen;
    bool public ghostPaused;
    bool public ghostTypeHalted;
    mapping(uint256 batchId => bool) public ghostBatchHalted;
    mapping(uint32 day => ITanhuiExchange.Band) internal _bands;

    uint256 public ghostListingCount;
    mapping(uint256 listingId => address) public ghostSeller;
    mapping(uint256 listingId => uint256) public ghostBatch;
    mapping(uint256 listingId => uint64) public ghostRemaining;
    mapping(uint256 listingId => ITanhuiExchange.ListingState) public ghostState;
    bool public ghostRemainingIncreased;
    mapping(uint256 listingId => bool) internal _observed;
    mapping(uint256 listingId => uint64) internal _lastRemaining;

    /// @dev Escrow flows per batch: in by listing, out by cancellation and by settlement.
    mapping(uint256 batchId => uint256) public ghostListedIn;
    mapping(uint256 batchId => uint256) public ghostCancelledOut;
    mapping(uint256 batchId => uint256) public ghostSettledOut;

    uint256 public ghostTradeCount;
    bytes32[] internal _refs;
    uint256 internal _refNonce;


    constructor(
        TanhuiRegistry registry_,
        TanhuiCredits credits_,
        TanhuiExchange market_,
        address[5] memory operators, // exchange, issuer, supervisor, pauser, registrar
        address[] memory actors_,
        uint256 batchCount_
    ) {
        registry = registry_;
        credits = credits_;
        market = market_;
        _exchange = operators[0];
        _issuer = operators[1];
        _supervisor = operators[2];
        _pauser = operators[3];
        _registrar = operators[4];
        batchCount = batchCount_;
        for (uint256 i = 0; i < actors_.length; ++i) {
            address a = actors_[i];
            _actors.push(a);
            ITanhuiRegistry.ParticipantStatus status = registry_.participant(a).status;
            ghostRegistered[a] = status != ITanhuiRegistry.ParticipantStatus.None;
            ghostActive[a] = status == ITanhuiRegistry.ParticipantStatus.Active;
        }
    }

    // ----------------------------------------------------------------------------------------
    // Actions
    // ----------------------------------------------------------------------------------------

    /// @dev A holder lists some of what it holds (one call in 16 zero, one in 8 more than it holds).
    function list(uint256 actorSeed, uint256 batchSeed, uint256 amountSeed) external {
        (address seller, uint256 batchId) = _pickPosition(actorSeed, batchSeed);
        uint256 balance = credits.balanceOf(seller, batchId);
        uint64 amount = uint64(amountSeed % 16 == 0 ? 0 : _pickAmount(amountSeed >> 4, balance));
        bytes memory expected;
        if (amount == 0) {
            expected = abi.encodeWithSelector(ITanhuiExchange.ExchangeZeroAmount.selector);
        } else if (ghostPaused) {
            expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        } else if (ghostFrozen[seller]) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, seller);
        } else if (!ghostRegistered[seller]) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, seller);
        } else if (balance < amount) {
            expected = abi.encodeWithSelector(
                IERC1155Errors.ERC1155InsufficientBalance.selector, seller, balance, uint256(amount), batchId
            );
        }
        vm.prank(seller);
        try market.list(batchId, amount) returns (uint256 listingId) {
            if (_expectSuccess("list", expected)) {
                if (listingId != ghostListingCount + 1) _mismatch("list: listing id is not the next one");
                ghostListingCount = listingId;
                ghostSeller[listingId] = seller;
                ghostBatch[listingId] = batchId;
                ghostRemaining[listingId] = amount;
                ghostState[listingId] = ITanhuiExchange.ListingState.Open;
                ghostListedIn[batchId] += amount;
            }
        } catch (bytes memory reason) {
            _expectFailure("list", expected, reason);
        }
        _observe();
    }

    /// @dev Cancels a listing (mostly an open one) by its seller, the exchange, a supervisor or an outsider.
    function cancel(uint256 listingSeed, uint256 callerSeed) external {
        // Half the calls do nothing, so that listings stay open for settlement.
        if ((callerSeed >> 128) % 2 == 0) return;
        uint256 listingId = _pickListing(listingSeed);
        address seller = ghostSeller[listingId];
        uint256 kind = callerSeed % 8;
        address caller = kind < 4 ? seller : kind < 6 ? _exchange : kind == 6 ? _supervisor : _actors[(callerSeed >> 3) % _actors.length];
        ITanhuiExchange.ListingState state = ghostState[listingId];
        bytes memory expected;
        if (state != ITanhuiExchange.ListingState.Open) {
            expected = abi.encodeWithSelector(ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, state);
        } else if (caller != seller && caller != _exchange && caller != _supervisor) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, TanhuiRoles.EXCHANGE
            );
        } else if (ghostPaused) {
            expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        } else {
            expected = _receiveError(seller);
        }
        vm.prank(caller);
        try market.cancel(listingId) {
            if (_expectSuccess("cancel", expected)) {
                ghostState[listingId] = ITanhuiExchange.ListingState.Cancelled;
                ghostCancelledOut[ghostBatch[listingId]] += ghostRemaining[listingId];
            }
        } catch (bytes memory reason) {
            _expectFailure("cancel", expected, reason);
        }
        _observe();
    }

    /// @dev Settles against a listing (mostly an open one): a fresh reference (one in 16 reused,
    /// one in 32 zero), an amount within what is left (one in 8 more, one in 16 zero), a buyer
    /// among the actors (now and then the seller or the escrow itself), a price around the band.
    function settle(uint256 listingSeed, uint256 buyerSeed, uint256 amountSeed, uint256 priceSeed, bool andRetire)
        external
    {
        ITanhuiExchange.Settlement memory s = _buildSettlement(listingSeed, buyerSeed, amountSeed, priceSeed);
        s.retire = andRetire;
        bytes memory expected = _settleError(s);
        address caller = (priceSeed >> 128) % 32 == 0 ? _actors[(priceSeed >> 136) % _actors.length] : _exchange;
        if (caller != _exchange) {
            expected = abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, caller, TanhuiRoles.EXCHANGE
            );
        }
        string memory action = andRetire ? "settleAndRetire" : "settle";
        uint256 certificatesBefore = credits.certificateCount();
        vm.prank(caller);
        try market.settle(s, _retirementDetails()) returns (uint256 tradeId, uint256 certificateId) {
            if (_expectSuccess(action, expected)) _recordTrade(s, tradeId, certificateId, certificatesBefore);
        } catch (bytes memory reason) {
            _expectFailure(action, expected, reason);
        }
        _observe();
    }

    function _buildSettlement(uint256 listingSeed, uint256 buyerSeed, uint256 amountSeed, uint256 priceSeed)
        internal
        returns (ITanhuiExchange.Settlement memory s)
    {
        s.listingId = _pickListing(listingSeed);
        address seller = ghostSeller[s.listingId];
        uint256 refKind = buyerSeed % 32;
        if (refKind == 0) s.tradeRef = bytes32(0);
        else if (refKind < 3 && _refs.length != 0) s.tradeRef = _refs[(buyerSeed >> 5) % _refs.length];
        else s.tradeRef = keccak256(abi.encode("invariant-trade", ++_refNonce));

        s.buyer = _actors[(buyerSeed >> 8) % _actors.length];
        if ((buyerSeed >> 16) % 32 == 0) s.buyer = address(market);
        // The seller or the unregistered actor as buyer only now and then; otherwise the next actor.
        if ((s.buyer == seller || !ghostRegistered[s.buyer]) && (buyerSeed >> 24) % 4 != 0) {
            s.buyer = _actors[((buyerSeed >> 8) + 1) % _actors.length];
        }
        s.amount = amountSeed % 16 == 0 ? 0 : uint64(_pickAmount(amountSeed >> 4, ghostRemaining[s.listingId]));
        s.priceFenPerTonne = _pickPrice(priceSeed, s.amount);
    }

    function _recordTrade(
        ITanhuiExchange.Settlement memory s,
        uint256 tradeId,
        uint256 certificateId,
        uint256 certificatesBefore
    ) internal {
        if (tradeId != ghostTradeCount + 1) _mismatch("settle: trade id is not the next one");
        ghostTradeCount = tradeId;
        _refs.push(s.tradeRef);
        uint64 remaining = ghostRemaining[s.listingId] - s.amount;
        ghostRemaining[s.listingId] = remaining;
        if (remaining == 0) ghostState[s.listingId] = ITanhuiExchange.ListingState.Filled;
        ghostSettledOut[ghostBatch[s.listingId]] += s.amount;
        if (s.retire) {
            if (certificateId != certificatesBefore + 1) _mismatch("settle: certificate is not the next one");
            if (credits.retirement(certificateId).holder != s.buyer) _mismatch("settle: certificate not the buyer's");
        } else if (certificateId != 0) {
            _mismatch("settle: a certificate without retirement");
        }
    }

    /// @dev Halts the project type one call in 8 and resumes it whenever halted, so runs stay
    /// mostly trading; one call in 8 asks for the state it is already in.
    function haltType(uint256 seed) external {
        if (!ghostTypeHalted && seed % 8 > 1) return;
        bool halted = seed % 8 == 1 ? ghostTypeHalted : !ghostTypeHalted;
        bytes memory expected;
        if (halted == ghostTypeHalted) expected = abi.encodeWithSelector(ITanhuiExchange.ExchangeHaltUnchanged.selector);
        vm.prank(_supervisor);
        try market.setTypeHalted(TYPE, halted, "invariant run: halt") {
            if (_expectSuccess("haltType", expected)) ghostTypeHalted = halted;
        } catch (bytes memory reason) {
            _expectFailure("haltType", expected, reason);
        }
    }

    function haltBatch(uint256 batchSeed, uint256 seed) external {
        uint256 batchId = 1 + batchSeed % batchCount;
        // Resume a halted batch when there is one (seed % 8 == 1 keeps the pick: unchanged).
        for (uint256 i = 0; i < batchCount && seed % 8 != 1; ++i) {
            uint256 b = 1 + (batchSeed % batchCount + i) % batchCount;
            if (ghostBatchHalted[b]) {
                batchId = b;
                break;
            }
        }
        bool current = ghostBatchHalted[batchId];
        if (!current && seed % 8 > 1) return;
        bool halted = seed % 8 == 1 ? current : !current;
        bytes memory expected;
        if (halted == current) expected = abi.encodeWithSelector(ITanhuiExchange.ExchangeHaltUnchanged.selector);
        vm.prank(_supervisor);
        try market.setBatchHalted(batchId, halted, "invariant run: halt") {
            if (_expectSuccess("haltBatch", expected)) ghostBatchHalted[batchId] = halted;
        } catch (bytes memory reason) {
            _expectFailure("haltBatch", expected, reason);
        }
    }

    /// @dev Posts a band for today (3 in 4) or tomorrow, around 5 000 fen per tonne; one call in
    /// 8 with no block trades.
    function postBand(uint256 seed) external {
        uint32 day = _today() + (seed % 4 == 0 ? 1 : 0);
        uint48 low = uint48(bound(seed >> 8, 3_000, 5_000));
        uint48 high = uint48(bound(seed >> 24, low, 7_000));
        uint48 blockLow = uint48(bound(seed >> 40, 2_000, low));
        uint48 blockHigh = uint48(bound(seed >> 56, high, 8_000));
        uint64 blockMinKg = (seed >> 2) % 8 == 0 ? 0 : BLOCK_MIN_KG;
        ITanhuiExchange.Band memory b = ITanhuiExchange.Band(low, high, blockLow, blockHigh, blockMinKg);
        vm.prank(_issuer);
        try market.postBand(TYPE, day, b) {
            if (_expectSuccess("postBand", "")) _bands[day] = b;
        } catch (bytes memory reason) {
            _expectFailure("postBand", "", reason);
        }
    }

    /// @dev Moves the clock 1 to 8 hours on, so runs cross trading days (and their bands lapse).
    function advanceTime(uint256 seed) external {
        vm.warp(block.timestamp + bound(seed, 1 hours, 8 hours));
        ++succeeded["advanceTime"];
    }

    function retire(uint256 actorSeed, uint256 batchSeed, uint256 amountSeed) external {
        (address holder, uint256 batchId) = _pickPosition(actorSeed, batchSeed);
        uint256 balance = credits.balanceOf(holder, batchId);
        if (balance == 0) return;
        uint64 amount = uint64(bound(amountSeed, 1, balance));
        bytes memory expected;
        if (ghostPaused) expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        else if (ghostFrozen[holder]) expected = abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, holder);
        vm.prank(holder);
        try credits.retire(batchId, amount, _retirementDetails()) {
            _expectSuccess("retire", expected);
        } catch (bytes memory reason) {
            _expectFailure("retire", expected, reason);
        }
    }

    /// @dev Invalidates a holder's credits; one call in 4 the escrow's, which is refused.
    function invalidate(uint256 actorSeed, uint256 batchSeed, uint256 amountSeed) external {
        (address holder, uint256 batchId) = _pickPosition(actorSeed, batchSeed);
        if (amountSeed % 4 == 0) holder = address(market);
        uint256 balance = credits.balanceOf(holder, batchId);
        uint64 amount = uint64(bound(amountSeed >> 2, 1, balance + 1));
        bytes memory expected;
        if (ghostPaused) {
            expected = abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        } else if (holder == address(market)) {
            expected = abi.encodeWithSelector(ITanhuiCredits.CreditsEscrowed.selector, batchId);
        } else if (balance < amount) {
            expected = abi.encodeWithSelector(
                ITanhuiCredits.CreditsInsufficientBalance.selector, holder, batchId, balance, uint256(amount)
            );
        }
        vm.prank(_supervisor);
        try credits.invalidate(holder, batchId, amount, "invariant run: correction") {
            _expectSuccess("invalidate", expected);
        } catch (bytes memory reason) {
            _expectFailure("invalidate", expected, reason);
        }
    }

    /// @dev Unfreezes a frozen actor when there is one, else one call in 4 freezes one.
    function toggleFrozen(uint256 actorSeed) external {
        address account = _actors[actorSeed % _actors.length];
        for (uint256 i = 0; i < _actors.length; ++i) {
            address a = _actors[(actorSeed % _actors.length + i) % _actors.length];
            if (ghostFrozen[a]) {
                account = a;
                break;
            }
        }
        bool frozen = !ghostFrozen[account];
        if (frozen && (actorSeed >> 8) % 4 != 0) return;
        vm.prank(_supervisor);
        try credits.setAccountFrozen(account, frozen, "invariant run: dispute") {
            if (_expectSuccess("toggleFrozen", "")) ghostFrozen[account] = frozen;
        } catch (bytes memory reason) {
            _expectFailure("toggleFrozen", "", reason);
        }
    }

    /// @dev Reinstates a suspended actor, or one call in 4 suspends an active one.
    function toggleSuspension(uint256 actorSeed) external {
        address account = _actors[actorSeed % _actors.length];
        if (!ghostRegistered[account]) return;
        if (ghostActive[account] && (actorSeed >> 8) % 4 != 0) return;
        ITanhuiRegistry.ParticipantStatus next = ghostActive[account]
            ? ITanhuiRegistry.ParticipantStatus.Suspended
            : ITanhuiRegistry.ParticipantStatus.Active;
        vm.prank(_registrar);
        registry.setParticipantStatus(account, next);
        ghostActive[account] = next == ITanhuiRegistry.ParticipantStatus.Active;
        ++succeeded["toggleSuspension"];
    }

    /// @dev Pauses the credits now and then (1 call in 8); unpauses whenever paused.
    function togglePause(uint256 seed) external {
        if (!ghostPaused && seed % 8 != 0) return;
        vm.prank(_pauser);
        if (ghostPaused) {
            try credits.unpause() {
                ghostPaused = false;
            } catch (bytes memory reason) {
                _expectFailure("unpause", "", reason);
            }
        } else {
            try credits.pause() {
                ghostPaused = true;
            } catch (bytes memory reason) {
                _expectFailure("pause", "", reason);
            }
        }
    }

    // ----------------------------------------------------------------------------------------
    // Views for the invariants
    // ----------------------------------------------------------------------------------------

    function actors() external view returns (address[] memory) {
        return _actors;
    }

    function refs() external view returns (bytes32[] memory) {
        return _refs;
    }

    // ----------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------

    function _settleError(ITanhuiExchange.Settlement memory s) internal view returns (bytes memory) {
        uint256 listingId = s.listingId;
        address seller = ghostSeller[listingId];
        ITanhuiExchange.ListingState state = ghostState[listingId];
        uint64 remaining = ghostRemaining[listingId];
        uint64 amount = s.amount;
        bytes32 ref = s.tradeRef;
        if (ref == 0) return abi.encodeWithSelector(ITanhuiExchange.ExchangeZeroTradeRef.selector);
        uint256 used = market.tradeOf(ref);
        if (used != 0) return abi.encodeWithSelector(ITanhuiExchange.ExchangeTradeRefUsed.selector, ref, used);
        if (state != ITanhuiExchange.ListingState.Open) {
            return abi.encodeWithSelector(ITanhuiExchange.ExchangeListingNotOpen.selector, listingId, state);
        }
        if (amount == 0) return abi.encodeWithSelector(ITanhuiExchange.ExchangeZeroAmount.selector);
        if (amount > remaining) {
            return abi.encodeWithSelector(
                ITanhuiExchange.ExchangeAmountExceedsListing.selector, listingId, remaining, amount
            );
        }
        address buyer = s.buyer;
        if (buyer == seller) return abi.encodeWithSelector(ITanhuiExchange.ExchangeBuyerIsSeller.selector, buyer);
        if (ghostFrozen[seller]) return abi.encodeWithSelector(ITanhuiExchange.ExchangeSellerFrozen.selector, seller);
        if (ghostTypeHalted) return abi.encodeWithSelector(ITanhuiExchange.ExchangeTradingHalted.selector, TYPE, 0);
        uint256 batchId = ghostBatch[listingId];
        if (ghostBatchHalted[batchId]) {
            return abi.encodeWithSelector(ITanhuiExchange.ExchangeTradingHalted.selector, TYPE, batchId);
        }
        return _priceAndDeliveryError(buyer, amount, s.priceFenPerTonne);
    }

    function _priceAndDeliveryError(address buyer, uint64 amount, uint64 price) internal view returns (bytes memory) {
        if (price == 0) return abi.encodeWithSelector(ITanhuiExchange.ExchangeZeroPrice.selector);
        uint32 today = _today();
        ITanhuiExchange.Band memory b = _bands[today];
        if (b.low == 0) return abi.encodeWithSelector(ITanhuiExchange.ExchangeNoBand.selector, TYPE, today);
        bool isBlock = b.blockMinKg != 0 && amount >= b.blockMinKg;
        uint64 lo = isBlock ? b.blockLow : b.low;
        uint64 hi = isBlock ? b.blockHigh : b.high;
        if (price < lo || price > hi) {
            return abi.encodeWithSelector(ITanhuiExchange.ExchangePriceOutOfBand.selector, price, lo, hi);
        }
        if (ghostPaused) return abi.encodeWithSelector(Pausable.EnforcedPause.selector);
        if (buyer == address(market)) {
            return abi.encodeWithSelector(ITanhuiExchange.ExchangeUnexpectedTransfer.selector, address(market));
        }
        return _receiveError(buyer);
    }

    function _receiveError(address to) internal view returns (bytes memory) {
        if (ghostFrozen[to]) return abi.encodeWithSelector(ITanhuiCredits.CreditsAccountFrozen.selector, to);
        if (!ghostActive[to]) return abi.encodeWithSelector(ITanhuiCredits.CreditsUnregisteredAccount.selector, to);
        return "";
    }

    /// @dev Mostly inside today's band (listed or block, as the amount makes it); one call in 4
    /// anywhere from 0 to 9 000.
    function _pickPrice(uint256 seed, uint64 amount) internal view returns (uint64) {
        ITanhuiExchange.Band memory b = _bands[_today()];
        if (seed % 4 == 0 || b.low == 0) return uint64(bound(seed >> 2, 0, 9_000));
        bool isBlock = b.blockMinKg != 0 && amount >= b.blockMinKg;
        return uint64(bound(seed >> 2, isBlock ? b.blockLow : b.low, isBlock ? b.blockHigh : b.high));
    }

    /// @dev Mostly an open listing searched from the seed; one call in 8 any listing, one in 16 the next id.
    function _pickListing(uint256 seed) internal view returns (uint256) {
        uint256 n = ghostListingCount;
        if (n == 0 || seed % 16 == 0) return n + 1;
        uint256 any = 1 + (seed >> 4) % n;
        if (seed % 8 == 1) return any;
        for (uint256 i = 0; i < n; ++i) {
            uint256 id = 1 + ((seed >> 4) + i) % n;
            if (ghostState[id] == ITanhuiExchange.ListingState.Open) return id;
        }
        return any;
    }

    /// @dev Three times in four an actor and batch with a balance, else any.
    function _pickPosition(uint256 actorSeed, uint256 batchSeed) internal view returns (address, uint256) {
        address anyActor = _actors[actorSeed % _actors.length];
        uint256 anyBatch = 1 + batchSeed % batchCount;
        if (actorSeed % 4 == 0) return (anyActor, anyBatch);
        for (uint256 i = 0; i < _actors.length; ++i) {
            address a = _actors[(actorSeed % _actors.length + i) % _actors.length];
            for (uint256 j = 0; j < batchCount; ++j) {
                uint256 b = 1 + (batchSeed % batchCount + j) % batchCount;
                if (credits.balanceOf(a, b) != 0) return (a, b);
            }
        }
        return (anyActor, anyBatch);
    }

    /// @dev Within `available` (capped at 2 * BLOCK_MIN_KG, so listings last), except one time in
    /// eight one more than available.
    function _pickAmount(uint256 seed, uint256 available) internal pure returns (uint256) {
        if (available == 0 || seed % 8 == 0) return available + 1;
        uint256 cap = available < 2 * uint256(BLOCK_MIN_KG) ? available : 2 * uint256(BLOCK_MIN_KG);
        return bound(seed >> 3, 1, cap);
    }

    function _today() internal view returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast) days since 1970 stay below 2**32
        return uint32((block.timestamp + 8 hours) / 1 days);
    }

    function _retirementDetails() internal pure returns (ITanhuiCredits.RetirementDetails memory) {
        return ITanhuiCredits.RetirementDetails({
            beneficiary: "Invariant Run Ltd",
            purpose: ITanhuiCredits.RetirementPurpose.OrganisationNeutrality,
            eventId: bytes32(0),
            jurisdiction: "CN-SH",
            consumptionStart: 0,
            consumptionEnd: 0,
            note: ""
        });
    }

    /// @dev After each action: every listing's remaining equals the model's and never went up.
    function _observe() internal {
        for (uint256 id = 1; id <= ghostListingCount; ++id) {
            ITanhuiExchange.Listing memory l = market.listing(id);
            if (_observed[id] && l.remaining > _lastRemaining[id]) ghostRemainingIncreased = true;
            _observed[id] = true;
            _lastRemaining[id] = l.remaining;
            if (l.remaining != ghostRemaining[id] || l.state != ghostState[id]) {
                _mismatch("listing differs from the model");
            }
        }
    }
}
