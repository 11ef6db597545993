// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title DevnetAdmin
/// @notice One admin (the devnet's deployer account) may call the devnet-only setters. Lit's real
/// contracts are diamonds with an owner; `owner()` keeps that read compatible.
abstract contract DevnetAdmin {
    address public owner;

    constructor() {
        owner = msg.sender;
    }

    modifier onlyAdmin() {
        require(msg.sender == owner, "Devnet: caller is not the admin");
        _;
    }
}
