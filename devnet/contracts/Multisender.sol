// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title Multisender (devnet): split native tokens between recipients, as Lit's Multisender.
contract Multisender {
    function sendEth(address[] calldata recipients) external payable {
        require(recipients.length > 0, "Multisender: no recipients");
        uint256 share = msg.value / recipients.length;
        for (uint256 i = 0; i < recipients.length; i++) {
            payable(recipients[i]).transfer(share);
        }
    }
}
