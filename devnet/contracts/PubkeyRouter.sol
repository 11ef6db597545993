// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";

/// @title PubkeyRouter (devnet)
/// @notice Maps a PKP token id to its public key, as Lit's PubkeyRouterFacet does. Only the PKPNFT
/// contract (or the admin) may set routing data, in the mint transaction itself, so the SDK can
/// read the public key from the receipt's block.
contract PubkeyRouter is DevnetAdmin {
    struct PubkeyRoutingData {
        bytes pubkey;
        uint256 keyType;
        bytes32 derivedKeyId;
    }

    event PubkeyRoutingDataSet(uint256 indexed tokenId, bytes pubkey, address stakingContract, uint256 keyType, bytes32 derivedKeyId);

    address public pkpNft;
    mapping(uint256 => PubkeyRoutingData) public pubkeys;
    mapping(address => uint256) public ethAddressToPkpId;

    /// @notice One-time wiring by the admin after PKPNFT is deployed.
    function setPkpNftAddress(address newPkpNft) external onlyAdmin {
        pkpNft = newPkpNft;
    }

    function getPkpNftAddress() external view returns (address) {
        return pkpNft;
    }

    function setRoutingData(uint256 tokenId, bytes memory pubkey, address stakingContractAddress, uint256 keyType, bytes32 derivedKeyId) public {
        require(msg.sender == pkpNft || msg.sender == owner, "PubkeyRouter: only the PKPNFT contract can set routing data");
        require(pubkey.length == 65 && pubkey[0] == 0x04, "PubkeyRouter: pubkey must be 65-byte uncompressed secp256k1");
        require(tokenId == uint256(keccak256(pubkey)), "PubkeyRouter: tokenId must be keccak256(pubkey)");
        require(pubkeys[tokenId].pubkey.length == 0, "PubkeyRouter: routing data already set");
        pubkeys[tokenId] = PubkeyRoutingData(pubkey, keyType, derivedKeyId);
        ethAddressToPkpId[deriveEthAddressFromPubkey(pubkey)] = tokenId;
        emit PubkeyRoutingDataSet(tokenId, pubkey, stakingContractAddress, keyType, derivedKeyId);
    }

    function setRoutingDataAsAdmin(uint256 tokenId, bytes memory pubkey, address stakingContract, uint256 keyType, bytes32 derivedKeyId) external onlyAdmin {
        setRoutingData(tokenId, pubkey, stakingContract, keyType, derivedKeyId);
    }

    function getRoutingData(uint256 tokenId) external view returns (PubkeyRoutingData memory) {
        return pubkeys[tokenId];
    }

    function isRouted(uint256 tokenId) external view returns (bool) {
        return pubkeys[tokenId].pubkey.length != 0;
    }

    function getPubkey(uint256 tokenId) external view returns (bytes memory) {
        return pubkeys[tokenId].pubkey;
    }

    function getEthAddress(uint256 tokenId) external view returns (address) {
        bytes memory pubkey = pubkeys[tokenId].pubkey;
        if (pubkey.length == 0) return address(0);
        return deriveEthAddressFromPubkey(pubkey);
    }

    /// @notice keccak256 of the 64 bytes after the 0x04 prefix, last 20 bytes (as Lit does).
    function deriveEthAddressFromPubkey(bytes memory pubkey) public pure returns (address) {
        require(pubkey.length == 65, "PubkeyRouter: pubkey must be 65 bytes");
        bytes32 hash;
        assembly {
            hash := keccak256(add(pubkey, 33), 64)
        }
        return address(uint160(uint256(hash)));
    }
}
