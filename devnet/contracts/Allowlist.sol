// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";

/// @title Allowlist (devnet): present so LitContracts.connect() finds all 11 contracts.
/// Everything is allowed unless the admin turns the allowlist on.
contract Allowlist is DevnetAdmin {
    event ItemAllowed(bytes32 indexed key);
    event ItemNotAllowed(bytes32 indexed key);

    bool public allowAll = true;
    mapping(bytes32 => bool) public allowedItems;

    function isAllowed(bytes32 key) external view returns (bool) {
        return allowAll || allowedItems[key];
    }

    function setAllowed(bytes32 key) external onlyAdmin {
        allowedItems[key] = true;
        emit ItemAllowed(key);
    }

    function setNotAllowed(bytes32 key) external onlyAdmin {
        allowedItems[key] = false;
        emit ItemNotAllowed(key);
    }

    function setAllowAll(bool newAllowAll) external onlyAdmin {
        allowAll = newAllowAll;
    }
}
