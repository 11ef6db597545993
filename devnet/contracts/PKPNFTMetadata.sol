// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title PKPNFTMetadata (devnet): present so LitContracts.connect() finds all 11 contracts.
contract PKPNFTMetadata {
    function tokenURI(uint256, bytes memory, address) external pure returns (string memory) {
        return "data:application/json,{\"name\":\"Lit PKP (devnet)\"}";
    }
}
