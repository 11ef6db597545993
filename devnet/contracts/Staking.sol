// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";

/// @title Staking (devnet)
/// @notice The validator set and epoch that LitNodeClient.connect() reads
/// (getActiveUnkickedValidatorStructsAndCounts) and the StateChanged event it listens to. There is
/// no staking, voting or kicking: the devnet's admin sets the validators and moves epochs.
contract Staking is DevnetAdmin {
    enum States { Active, NextValidatorSetLocked, ReadyForNextEpoch, Unlocked, Paused, Restore }

    struct Epoch {
        uint256 epochLength;
        uint256 number;
        uint256 endTime;
        uint256 retries;
        uint256 timeout;
    }

    struct Validator {
        uint32 ip;
        uint128 ipv6;
        uint32 port;
        address nodeAddress;
        uint256 reward;
        uint256 senderPubKey;
        uint256 receiverPubKey;
    }

    event StateChanged(States newState);
    event EpochLengthSet(uint256 newEpochLength);
    event EpochEndTimeSet(uint256 newEpochEndTime);
    event EpochTimeoutSet(uint256 newEpochTimeout);
    /// @notice Devnet-only: the admin replaced the validator set.
    event ValidatorSetChanged(uint256 count, uint256 threshold);

    Epoch public epoch;
    States public state;
    uint256 public currentValidatorCountForConsensus;
    address[] private activeValidators;
    mapping(address => Validator) private validatorsByAddress;

    constructor(uint256 epochLength) {
        epoch = Epoch(epochLength, 1, block.timestamp + epochLength, 0, 60);
        state = States.Active;
    }

    // ---- devnet admin ----

    /// @notice Replace the whole validator set (nodeAddress doubles as staker address) and the
    /// threshold, then emit StateChanged(Active) so connected SDKs re-read and re-handshake.
    function setValidators(Validator[] calldata newValidators, uint256 threshold) external onlyAdmin {
        require(threshold > 0 && threshold <= newValidators.length, "Staking: threshold must be in 1..validator count");
        for (uint256 i = 0; i < activeValidators.length; i++) {
            delete validatorsByAddress[activeValidators[i]];
        }
        delete activeValidators;
        for (uint256 i = 0; i < newValidators.length; i++) {
            address a = newValidators[i].nodeAddress;
            require(a != address(0), "Staking: nodeAddress must be set");
            require(validatorsByAddress[a].nodeAddress == address(0), "Staking: duplicate nodeAddress");
            validatorsByAddress[a] = newValidators[i];
            activeValidators.push(a);
        }
        currentValidatorCountForConsensus = threshold;
        emit ValidatorSetChanged(newValidators.length, threshold);
        _setState(States.Active);
    }

    /// @notice Set the epoch outright (number, length, end time); emits StateChanged(Active).
    function setEpoch(uint256 number, uint256 epochLength, uint256 endTime) external onlyAdmin {
        require(number > 0, "Staking: epoch number starts at 1");
        epoch.number = number;
        epoch.epochLength = epochLength;
        epoch.endTime = endTime;
        emit EpochLengthSet(epochLength);
        emit EpochEndTimeSet(endTime);
        _setState(States.Active);
    }

    /// @notice Move to the next epoch now: number + 1, endTime = now + epochLength.
    function advanceEpoch() external onlyAdmin {
        epoch.number += 1;
        epoch.endTime = block.timestamp + epoch.epochLength;
        epoch.retries = 0;
        _setState(States.Active);
    }

    function setEpochState(States newState) external onlyAdmin {
        _setState(newState);
    }

    function setEpochLength(uint256 newEpochLength) external onlyAdmin {
        epoch.epochLength = newEpochLength;
        emit EpochLengthSet(newEpochLength);
    }

    function setEpochEndTime(uint256 newEpochEndTime) external onlyAdmin {
        epoch.endTime = newEpochEndTime;
        emit EpochEndTimeSet(newEpochEndTime);
    }

    function setEpochTimeout(uint256 newEpochTimeout) external onlyAdmin {
        epoch.timeout = newEpochTimeout;
        emit EpochTimeoutSet(newEpochTimeout);
    }

    // ---- Lit's Staking reads ----

    function getActiveUnkickedValidatorStructsAndCounts() external view returns (Epoch memory, uint256, Validator[] memory) {
        return (epoch, currentValidatorCountForConsensus, getActiveUnkickedValidatorStructs());
    }

    function getActiveUnkickedValidatorStructs() public view returns (Validator[] memory) {
        return getValidatorsStructs(activeValidators);
    }

    function getActiveUnkickedValidators() external view returns (address[] memory) {
        return activeValidators;
    }

    function getValidatorsInCurrentEpoch() external view returns (address[] memory) {
        return activeValidators;
    }

    function getValidatorsInCurrentEpochLength() external view returns (uint256) {
        return activeValidators.length;
    }

    function getValidatorsInNextEpoch() external view returns (address[] memory) {
        return activeValidators;
    }

    function getValidatorsStructsInCurrentEpoch() external view returns (Validator[] memory) {
        return getValidatorsStructs(activeValidators);
    }

    function getValidatorsStructsInNextEpoch() external view returns (Validator[] memory) {
        return getValidatorsStructs(activeValidators);
    }

    function getKickedValidators() external pure returns (address[] memory) {
        return new address[](0);
    }

    function getValidatorsStructs(address[] memory addresses) public view returns (Validator[] memory) {
        Validator[] memory result = new Validator[](addresses.length);
        for (uint256 i = 0; i < addresses.length; i++) {
            result[i] = validatorsByAddress[addresses[i]];
        }
        return result;
    }

    function validators(address stakerAddress) external view returns (Validator memory) {
        return validatorsByAddress[stakerAddress];
    }

    function nextValidatorCountForConsensus() external view returns (uint256) {
        return currentValidatorCountForConsensus;
    }

    function isActiveValidator(address account) public view returns (bool) {
        return validatorsByAddress[account].nodeAddress != address(0);
    }

    function isActiveValidatorByNodeAddress(address account) external view returns (bool) {
        return isActiveValidator(account);
    }

    function _setState(States newState) private {
        state = newState;
        emit StateChanged(newState);
    }
}
