// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";
import "./DevnetERC721.sol";

/// @title RateLimitNFT (devnet): Lit's Capacity Credits NFT
/// @notice Same external signatures as Lit's RateLimitNFT. `mint(expiresAt)` buys capacity with
/// msg.value: requestsPerKilosecond = msg.value / (days * additionalRequestsPerKilosecondCost),
/// where days = whole UTC days until expiresAt, rounded up. Pricing by whole days (rather than by
/// seconds) makes the SDK's `calculateCost` quote, taken a block earlier, buy exactly the
/// requested capacity. Expiry is honoured by `isExpired` and by the nodes reading `capacity`.
contract RateLimitNFT is DevnetAdmin, DevnetERC721 {
    struct RateLimit {
        uint256 requestsPerKilosecond;
        uint256 expiresAt;
    }

    event AdditionalRequestsPerKilosecondCostSet(uint256 newAdditionalRequestsPerKilosecondCost);
    event Withdrew(uint256 amount);

    uint256 public additionalRequestsPerKilosecondCost;
    uint256 public maxExpirationSeconds;
    uint256 public maxRequestsPerKilosecond;
    uint256 public tokenIdCounter;
    mapping(uint256 => RateLimit) private capacities;
    mapping(uint256 => uint256) public totalSoldRequestsPerKilosecondByExpirationTime;

    /// @param costPerRequestPerKilosecondPerDay price, in wei, of 1 request/kilosecond for one day
    constructor(uint256 costPerRequestPerKilosecondPerDay, uint256 maxExpiration) DevnetERC721("Rate Limit Increases on Lit Protocol", "RLI") {
        additionalRequestsPerKilosecondCost = costPerRequestPerKilosecondPerDay;
        maxExpirationSeconds = maxExpiration;
        maxRequestsPerKilosecond = type(uint128).max;
    }

    // ---- devnet admin ----

    function setAdditionalRequestsPerKilosecondCost(uint256 newCost) external onlyAdmin {
        require(newCost > 0, "RateLimitNFT: cost must be > 0");
        additionalRequestsPerKilosecondCost = newCost;
        emit AdditionalRequestsPerKilosecondCostSet(newCost);
    }

    function setMaxExpirationSeconds(uint256 newMaxExpirationSeconds) external onlyAdmin {
        maxExpirationSeconds = newMaxExpirationSeconds;
    }

    function setMaxRequestsPerKilosecond(uint256 newMax) external onlyAdmin {
        maxRequestsPerKilosecond = newMax;
    }

    /// @notice Devnet-only: mint a token with any capacity and expiry (past expiries included), for
    /// tests of expired or nearly expired capacity. Not in Lit's contract.
    function mintAsAdmin(address to, uint256 requestsPerKilosecond, uint256 expiresAt) external onlyAdmin returns (uint256) {
        return _mintCapacity(to, requestsPerKilosecond, expiresAt);
    }

    function withdraw() external onlyAdmin {
        uint256 amount = address(this).balance;
        payable(msg.sender).transfer(amount);
        emit Withdrew(amount);
    }

    // ---- Lit's RateLimitNFT surface ----

    function mint(uint256 expiresAt) external payable returns (uint256) {
        _checkExpiry(expiresAt);
        uint256 rpk = calculateRequestsPerKilosecond(msg.value, expiresAt);
        require(rpk > 0, "RateLimitNFT: payment buys no capacity");
        require(checkBelowMaxRequestsPerKilosecond(rpk), "RateLimitNFT: above max requests per kilosecond");
        return _mintCapacity(msg.sender, rpk, expiresAt);
    }

    function calculateCost(uint256 requestsPerKilosecond, uint256 expiresAt) public view returns (uint256) {
        require(expiresAt > block.timestamp, "RateLimitNFT: expiresAt must be in the future");
        return requestsPerKilosecond * _billableDays(expiresAt) * additionalRequestsPerKilosecondCost;
    }

    function calculateRequestsPerKilosecond(uint256 payingAmount, uint256 expiresAt) public view returns (uint256) {
        require(expiresAt > block.timestamp, "RateLimitNFT: expiresAt must be in the future");
        return payingAmount / (_billableDays(expiresAt) * additionalRequestsPerKilosecondCost);
    }

    function checkBelowMaxRequestsPerKilosecond(uint256 requestedRequestsPerKilosecond) public view returns (bool) {
        return requestedRequestsPerKilosecond <= maxRequestsPerKilosecond;
    }

    function capacity(uint256 tokenId) external view returns (RateLimit memory) {
        return capacities[tokenId];
    }

    function isExpired(uint256 tokenId) public view returns (bool) {
        return capacities[tokenId].expiresAt <= block.timestamp;
    }

    function burn(uint256 tokenId) external {
        require(_isApprovedOrOwner(msg.sender, tokenId), "RateLimitNFT: only the owner can burn");
        _burn(tokenId);
    }

    /// @notice Burn the owner's expired tokens (what the SDK's `pruneExpired` calls).
    function pruneExpired(address tokenOwner) external {
        uint256 i = balanceOf(tokenOwner);
        while (i > 0) {
            i--;
            uint256 tokenId = tokenOfOwnerByIndex(tokenOwner, i);
            if (isExpired(tokenId)) _burn(tokenId);
        }
    }

    function tokenURI(uint256 tokenId) external view returns (string memory) {
        ownerOf(tokenId);
        bytes memory json = abi.encodePacked(
            '{"name":"Lit Protocol capacity credits (devnet)","requestsPerKilosecond":"',
            _toString(capacities[tokenId].requestsPerKilosecond),
            '","expiresAt":"',
            _toString(capacities[tokenId].expiresAt),
            '"}'
        );
        return string(abi.encodePacked("data:application/json;base64,", _base64(json)));
    }

    // ---- internals ----

    function _checkExpiry(uint256 expiresAt) private view {
        require(expiresAt > block.timestamp, "RateLimitNFT: expiresAt must be in the future");
        require(expiresAt % 86400 == 0, "RateLimitNFT: expiresAt must be midnight UTC");
        require(expiresAt - block.timestamp <= maxExpirationSeconds, "RateLimitNFT: expiresAt beyond maxExpirationSeconds");
    }

    /// @dev Whole days until expiresAt, rounded up; at least 1.
    function _billableDays(uint256 expiresAt) private view returns (uint256) {
        return (expiresAt - block.timestamp + 86399) / 86400;
    }

    /// @dev Transfer is the token's first log: the SDK reads the token id from logs[0].topics[3].
    function _mintCapacity(address to, uint256 rpk, uint256 expiresAt) private returns (uint256) {
        tokenIdCounter++;
        uint256 tokenId = tokenIdCounter;
        _mint(to, tokenId);
        capacities[tokenId] = RateLimit(rpk, expiresAt);
        totalSoldRequestsPerKilosecondByExpirationTime[expiresAt] += rpk;
        return tokenId;
    }

    function _toString(uint256 value) private pure returns (string memory) {
        if (value == 0) return "0";
        uint256 digits;
        for (uint256 v = value; v != 0; v /= 10) digits++;
        bytes memory buffer = new bytes(digits);
        while (value != 0) {
            digits--;
            buffer[digits] = bytes1(uint8(48 + (value % 10)));
            value /= 10;
        }
        return string(buffer);
    }

    function _base64(bytes memory data) private pure returns (string memory) {
        bytes memory table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        uint256 len = data.length;
        if (len == 0) return "";
        bytes memory out = new bytes(4 * ((len + 2) / 3));
        uint256 j = 0;
        for (uint256 i = 0; i < len; i += 3) {
            uint256 a = uint8(data[i]);
            uint256 b = i + 1 < len ? uint8(data[i + 1]) : 0;
            uint256 c = i + 2 < len ? uint8(data[i + 2]) : 0;
            uint256 triple = (a << 16) | (b << 8) | c;
            out[j++] = table[(triple >> 18) & 63];
            out[j++] = table[(triple >> 12) & 63];
            out[j++] = i + 1 < len ? table[(triple >> 6) & 63] : bytes1("=");
            out[j++] = i + 2 < len ? table[triple & 63] : bytes1("=");
        }
        return string(out);
    }
}
