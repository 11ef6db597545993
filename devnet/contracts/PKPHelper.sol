// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";
import "./DevnetInterfaces.sol";

/// @title PKPHelper (devnet)
/// @notice Mint a PKP and set its permissions in one transaction (what the SDK's `mintWithAuth`
/// calls). The helper mints to itself, adds the auth methods as the PKP's owner, then hands the
/// NFT to the caller or to the PKP's own address, exactly like Lit's helper.
contract PKPHelper is DevnetAdmin {
    IPKPNFT public pkpNft;
    IPKPPermissions public pkpPermissions;

    constructor(address pkpNftAddress, address pkpPermissionsAddress) {
        pkpNft = IPKPNFT(pkpNftAddress);
        pkpPermissions = IPKPPermissions(pkpPermissionsAddress);
    }

    function getPkpNftAddress() external view returns (address) {
        return address(pkpNft);
    }

    function getPkpPermissionsAddress() external view returns (address) {
        return address(pkpPermissions);
    }

    function mintNextAndAddAuthMethods(
        uint256 keyType,
        uint256[] memory permittedAuthMethodTypes,
        bytes[] memory permittedAuthMethodIds,
        bytes[] memory permittedAuthMethodPubkeys,
        uint256[][] memory permittedAuthMethodScopes,
        bool addPkpEthAddressAsPermittedAddress,
        bool sendPkpToItself
    ) public payable returns (uint256) {
        return mintNextAndAddAuthMethodsWithTypes(
            keyType,
            new bytes[](0),
            new uint256[][](0),
            new address[](0),
            new uint256[][](0),
            permittedAuthMethodTypes,
            permittedAuthMethodIds,
            permittedAuthMethodPubkeys,
            permittedAuthMethodScopes,
            addPkpEthAddressAsPermittedAddress,
            sendPkpToItself
        );
    }

    function mintNextAndAddAuthMethodsWithTypes(
        uint256 keyType,
        bytes[] memory permittedIpfsCIDs,
        uint256[][] memory permittedIpfsCIDScopes,
        address[] memory permittedAddresses,
        uint256[][] memory permittedAddressScopes,
        uint256[] memory permittedAuthMethodTypes,
        bytes[] memory permittedAuthMethodIds,
        bytes[] memory permittedAuthMethodPubkeys,
        uint256[][] memory permittedAuthMethodScopes,
        bool addPkpEthAddressAsPermittedAddress,
        bool sendPkpToItself
    ) public payable returns (uint256) {
        require(permittedIpfsCIDs.length == permittedIpfsCIDScopes.length, "PKPHelper: ipfsCID and scope array lengths must match");
        require(permittedAddresses.length == permittedAddressScopes.length, "PKPHelper: address and scope array lengths must match");
        require(
            permittedAuthMethodTypes.length == permittedAuthMethodIds.length
                && permittedAuthMethodTypes.length == permittedAuthMethodPubkeys.length
                && permittedAuthMethodTypes.length == permittedAuthMethodScopes.length,
            "PKPHelper: auth method array lengths must match"
        );
        uint256 tokenId = pkpNft.mintNext{value: msg.value}(keyType);
        _addActions(tokenId, permittedIpfsCIDs, permittedIpfsCIDScopes);
        _addAddresses(tokenId, permittedAddresses, permittedAddressScopes);
        _addAuthMethods(tokenId, permittedAuthMethodTypes, permittedAuthMethodIds, permittedAuthMethodPubkeys, permittedAuthMethodScopes);
        _handOver(tokenId, addPkpEthAddressAsPermittedAddress, sendPkpToItself);
        return tokenId;
    }

    function _addActions(uint256 tokenId, bytes[] memory cids, uint256[][] memory scopes) private {
        for (uint256 i = 0; i < cids.length; i++) {
            pkpPermissions.addPermittedAuthMethod(tokenId, IPKPPermissions.AuthMethod(2, cids[i], ""), scopes[i]);
        }
    }

    function _addAddresses(uint256 tokenId, address[] memory addresses, uint256[][] memory scopes) private {
        for (uint256 i = 0; i < addresses.length; i++) {
            pkpPermissions.addPermittedAddress(tokenId, addresses[i], scopes[i]);
        }
    }

    function _addAuthMethods(uint256 tokenId, uint256[] memory types, bytes[] memory ids, bytes[] memory pubkeys, uint256[][] memory scopes) private {
        for (uint256 i = 0; i < types.length; i++) {
            pkpPermissions.addPermittedAuthMethod(tokenId, IPKPPermissions.AuthMethod(types[i], ids[i], pubkeys[i]), scopes[i]);
        }
    }

    function _handOver(uint256 tokenId, bool addPkpEthAddressAsPermittedAddress, bool sendPkpToItself) private {
        address pkpEthAddress = pkpNft.getEthAddress(tokenId);
        if (addPkpEthAddressAsPermittedAddress) {
            pkpPermissions.addPermittedAddress(tokenId, pkpEthAddress, new uint256[](0));
        }
        pkpNft.transferFrom(address(this), sendPkpToItself ? pkpEthAddress : msg.sender, tokenId);
    }

    /// @dev The helper holds the NFT for a moment during a mint.
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }
}
