// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice The calls the devnet's contracts make on each other (Lit wires them through a
/// ContractResolver; the devnet passes addresses at deploy time instead).
interface IPubkeyRouter {
    function setRoutingData(uint256 tokenId, bytes memory pubkey, address stakingContractAddress, uint256 keyType, bytes32 derivedKeyId) external;
    function getPubkey(uint256 tokenId) external view returns (bytes memory);
    function getEthAddress(uint256 tokenId) external view returns (address);
}

interface IPKPNFT {
    function ownerOf(uint256 tokenId) external view returns (address);
    function exists(uint256 tokenId) external view returns (bool);
    function mintCost() external view returns (uint256);
    function mintNext(uint256 keyType) external payable returns (uint256);
    function transferFrom(address from, address to, uint256 tokenId) external;
    function getPubkey(uint256 tokenId) external view returns (bytes memory);
    function getEthAddress(uint256 tokenId) external view returns (address);
}

interface IPKPPermissions {
    struct AuthMethod {
        uint256 authMethodType;
        bytes id;
        bytes userPubkey;
    }

    function addPermittedAuthMethod(uint256 tokenId, AuthMethod memory authMethod, uint256[] memory scopes) external;
    function addPermittedAddress(uint256 tokenId, address user, uint256[] memory scopes) external;
}
