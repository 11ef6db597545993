// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title StakingBalances (devnet): present so LitContracts.connect() finds all 11 contracts.
/// The devnet has no stake; every balance is zero.
contract StakingBalances {
    function balanceOf(address) external pure returns (uint256) {
        return 0;
    }

    function minimumStake() external pure returns (uint256) {
        return 0;
    }
}
