// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";
import "./DevnetInterfaces.sol";

/// @title PKPPermissions (devnet)
/// @notice Who may act for a PKP, with Lit's external signatures and storage model: everything is
/// an auth method keyed by getAuthMethodId(type, id). A permitted address is auth method type 1
/// (EthWallet) with id = the 20 address bytes; a permitted Lit Action is type 2 with id = the IPFS
/// CID bytes. Only the PKP NFT's current owner may change a PKP's permissions.
contract PKPPermissions is DevnetAdmin {
    struct AuthMethod {
        uint256 authMethodType;
        bytes id;
        bytes userPubkey;
    }

    event PermittedAuthMethodAdded(uint256 indexed tokenId, uint256 authMethodType, bytes id, bytes userPubkey);
    event PermittedAuthMethodRemoved(uint256 indexed tokenId, uint256 authMethodType, bytes id);
    event PermittedAuthMethodScopeAdded(uint256 indexed tokenId, uint256 authMethodType, bytes id, uint256 scopeId);
    event PermittedAuthMethodScopeRemoved(uint256 indexed tokenId, uint256 authMethodType, bytes id, uint256 scopeId);

    uint256 private constant TYPE_ADDRESS = 1;
    uint256 private constant TYPE_ACTION = 2;

    IPKPNFT public pkpNft;
    IPubkeyRouter public router;

    /// authMethodId => the method itself (type, id, userPubkey)
    mapping(uint256 => AuthMethod) private authMethods;
    /// tokenId => permitted authMethodIds (order of addition; removal swaps with the last)
    mapping(uint256 => uint256[]) private permitted;
    /// tokenId => authMethodId => index in `permitted` + 1 (0 = absent)
    mapping(uint256 => mapping(uint256 => uint256)) private permittedIndex;
    /// tokenId => authMethodId => scopeId => granted
    mapping(uint256 => mapping(uint256 => mapping(uint256 => bool))) private scopes;
    /// authMethodId => token ids that permit it
    mapping(uint256 => uint256[]) private tokensForAuthMethod;

    constructor(address pkpNftAddress, address routerAddress) {
        pkpNft = IPKPNFT(pkpNftAddress);
        router = IPubkeyRouter(routerAddress);
    }

    modifier onlyPKPOwner(uint256 tokenId) {
        require(msg.sender == pkpNft.ownerOf(tokenId), "PKPPermissions: only the PKP owner may change its permissions");
        _;
    }

    function getPkpNftAddress() external view returns (address) {
        return address(pkpNft);
    }

    function getRouterAddress() external view returns (address) {
        return address(router);
    }

    function getAuthMethodId(uint256 authMethodType, bytes memory id) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(authMethodType, id)));
    }

    function getPubkey(uint256 tokenId) external view returns (bytes memory) {
        return router.getPubkey(tokenId);
    }

    function getEthAddress(uint256 tokenId) external view returns (address) {
        return router.getEthAddress(tokenId);
    }

    // ---- writes (PKP owner only) ----

    function addPermittedAuthMethod(uint256 tokenId, AuthMethod memory authMethod, uint256[] memory scopeIds) public onlyPKPOwner(tokenId) {
        _add(tokenId, authMethod, scopeIds);
    }

    function addPermittedAddress(uint256 tokenId, address user, uint256[] memory scopeIds) external onlyPKPOwner(tokenId) {
        _add(tokenId, AuthMethod(TYPE_ADDRESS, abi.encodePacked(user), ""), scopeIds);
    }

    function addPermittedAction(uint256 tokenId, bytes memory ipfsCID, uint256[] memory scopeIds) external onlyPKPOwner(tokenId) {
        _add(tokenId, AuthMethod(TYPE_ACTION, ipfsCID, ""), scopeIds);
    }

    function removePermittedAuthMethod(uint256 tokenId, uint256 authMethodType, bytes memory id) public onlyPKPOwner(tokenId) {
        _remove(tokenId, authMethodType, id);
    }

    function removePermittedAddress(uint256 tokenId, address user) external onlyPKPOwner(tokenId) {
        _remove(tokenId, TYPE_ADDRESS, abi.encodePacked(user));
    }

    function removePermittedAction(uint256 tokenId, bytes memory ipfsCID) external onlyPKPOwner(tokenId) {
        _remove(tokenId, TYPE_ACTION, ipfsCID);
    }

    function addPermittedAuthMethodScope(uint256 tokenId, uint256 authMethodType, bytes memory id, uint256 scopeId) external onlyPKPOwner(tokenId) {
        uint256 amId = getAuthMethodId(authMethodType, id);
        require(permittedIndex[tokenId][amId] != 0, "PKPPermissions: auth method is not permitted");
        scopes[tokenId][amId][scopeId] = true;
        emit PermittedAuthMethodScopeAdded(tokenId, authMethodType, id, scopeId);
    }

    function removePermittedAuthMethodScope(uint256 tokenId, uint256 authMethodType, bytes memory id, uint256 scopeId) external onlyPKPOwner(tokenId) {
        uint256 amId = getAuthMethodId(authMethodType, id);
        scopes[tokenId][amId][scopeId] = false;
        emit PermittedAuthMethodScopeRemoved(tokenId, authMethodType, id, scopeId);
    }

    function batchAddRemoveAuthMethods(
        uint256 tokenId,
        uint256[] memory permittedAuthMethodTypesToAdd,
        bytes[] memory permittedAuthMethodIdsToAdd,
        bytes[] memory permittedAuthMethodPubkeysToAdd,
        uint256[][] memory permittedAuthMethodScopesToAdd,
        uint256[] memory permittedAuthMethodTypesToRemove,
        bytes[] memory permittedAuthMethodIdsToRemove
    ) external onlyPKPOwner(tokenId) {
        require(
            permittedAuthMethodTypesToAdd.length == permittedAuthMethodIdsToAdd.length
                && permittedAuthMethodTypesToAdd.length == permittedAuthMethodPubkeysToAdd.length
                && permittedAuthMethodTypesToAdd.length == permittedAuthMethodScopesToAdd.length,
            "PKPPermissions: add arrays must have the same length"
        );
        require(permittedAuthMethodTypesToRemove.length == permittedAuthMethodIdsToRemove.length, "PKPPermissions: remove arrays must have the same length");
        for (uint256 i = 0; i < permittedAuthMethodTypesToAdd.length; i++) {
            _add(tokenId, AuthMethod(permittedAuthMethodTypesToAdd[i], permittedAuthMethodIdsToAdd[i], permittedAuthMethodPubkeysToAdd[i]), permittedAuthMethodScopesToAdd[i]);
        }
        for (uint256 i = 0; i < permittedAuthMethodTypesToRemove.length; i++) {
            _remove(tokenId, permittedAuthMethodTypesToRemove[i], permittedAuthMethodIdsToRemove[i]);
        }
    }

    // ---- reads ----

    function isPermittedAuthMethod(uint256 tokenId, uint256 authMethodType, bytes memory id) public view returns (bool) {
        return permittedIndex[tokenId][getAuthMethodId(authMethodType, id)] != 0;
    }

    function isPermittedAddress(uint256 tokenId, address user) external view returns (bool) {
        return isPermittedAuthMethod(tokenId, TYPE_ADDRESS, abi.encodePacked(user));
    }

    function isPermittedAction(uint256 tokenId, bytes memory ipfsCID) external view returns (bool) {
        return isPermittedAuthMethod(tokenId, TYPE_ACTION, ipfsCID);
    }

    function isPermittedAuthMethodScopePresent(uint256 tokenId, uint256 authMethodType, bytes memory id, uint256 scopeId) external view returns (bool) {
        return scopes[tokenId][getAuthMethodId(authMethodType, id)][scopeId];
    }

    function getPermittedAuthMethodScopes(uint256 tokenId, uint256 authMethodType, bytes memory id, uint256 maxScopeId) external view returns (bool[] memory) {
        uint256 amId = getAuthMethodId(authMethodType, id);
        bool[] memory result = new bool[](maxScopeId);
        for (uint256 i = 0; i < maxScopeId; i++) {
            result[i] = scopes[tokenId][amId][i];
        }
        return result;
    }

    function getPermittedAuthMethods(uint256 tokenId) external view returns (AuthMethod[] memory) {
        uint256[] storage ids = permitted[tokenId];
        AuthMethod[] memory result = new AuthMethod[](ids.length);
        for (uint256 i = 0; i < ids.length; i++) {
            result[i] = authMethods[ids[i]];
        }
        return result;
    }

    /// @notice Permitted addresses, then the PKP NFT's owner last (as Lit's contract returns them).
    function getPermittedAddresses(uint256 tokenId) external view returns (address[] memory) {
        uint256[] storage ids = permitted[tokenId];
        uint256 count = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            if (_isAddressMethod(authMethods[ids[i]])) count++;
        }
        bool hasOwner = pkpNft.exists(tokenId);
        address[] memory result = new address[](count + (hasOwner ? 1 : 0));
        uint256 j = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            AuthMethod storage m = authMethods[ids[i]];
            if (_isAddressMethod(m)) {
                result[j++] = address(bytes20(m.id));
            }
        }
        if (hasOwner) result[j] = pkpNft.ownerOf(tokenId);
        return result;
    }

    function getPermittedActions(uint256 tokenId) external view returns (bytes[] memory) {
        uint256[] storage ids = permitted[tokenId];
        uint256 count = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            if (authMethods[ids[i]].authMethodType == TYPE_ACTION) count++;
        }
        bytes[] memory result = new bytes[](count);
        uint256 j = 0;
        for (uint256 i = 0; i < ids.length; i++) {
            if (authMethods[ids[i]].authMethodType == TYPE_ACTION) result[j++] = authMethods[ids[i]].id;
        }
        return result;
    }

    function getTokenIdsForAuthMethod(uint256 authMethodType, bytes memory id) external view returns (uint256[] memory) {
        return tokensForAuthMethod[getAuthMethodId(authMethodType, id)];
    }

    function getUserPubkeyForAuthMethod(uint256 authMethodType, bytes memory id) external view returns (bytes memory) {
        return authMethods[getAuthMethodId(authMethodType, id)].userPubkey;
    }

    // ---- internals ----

    function _isAddressMethod(AuthMethod storage m) private view returns (bool) {
        return m.authMethodType == TYPE_ADDRESS && m.id.length == 20;
    }

    function _add(uint256 tokenId, AuthMethod memory authMethod, uint256[] memory scopeIds) private {
        require(authMethod.authMethodType != 0, "PKPPermissions: auth method type 0 is not valid");
        uint256 amId = getAuthMethodId(authMethod.authMethodType, authMethod.id);
        require(permittedIndex[tokenId][amId] == 0, "PKPPermissions: auth method already permitted for this PKP");
        AuthMethod storage stored = authMethods[amId];
        if (stored.authMethodType == 0) {
            authMethods[amId] = authMethod;
        } else {
            require(keccak256(stored.userPubkey) == keccak256(authMethod.userPubkey), "PKPPermissions: auth method registered with a different user pubkey");
        }
        permitted[tokenId].push(amId);
        permittedIndex[tokenId][amId] = permitted[tokenId].length;
        tokensForAuthMethod[amId].push(tokenId);
        emit PermittedAuthMethodAdded(tokenId, authMethod.authMethodType, authMethod.id, authMethod.userPubkey);
        for (uint256 i = 0; i < scopeIds.length; i++) {
            scopes[tokenId][amId][scopeIds[i]] = true;
            emit PermittedAuthMethodScopeAdded(tokenId, authMethod.authMethodType, authMethod.id, scopeIds[i]);
        }
    }

    function _remove(uint256 tokenId, uint256 authMethodType, bytes memory id) private {
        uint256 amId = getAuthMethodId(authMethodType, id);
        uint256 idx1 = permittedIndex[tokenId][amId];
        require(idx1 != 0, "PKPPermissions: auth method is not permitted for this PKP");
        uint256[] storage ids = permitted[tokenId];
        uint256 last = ids[ids.length - 1];
        ids[idx1 - 1] = last;
        permittedIndex[tokenId][last] = idx1;
        ids.pop();
        delete permittedIndex[tokenId][amId];
        uint256[] storage tokens = tokensForAuthMethod[amId];
        for (uint256 i = 0; i < tokens.length; i++) {
            if (tokens[i] == tokenId) {
                tokens[i] = tokens[tokens.length - 1];
                tokens.pop();
                break;
            }
        }
        // Scopes are cleared so that re-adding starts from the scopes given then.
        for (uint256 s = 0; s < 8; s++) {
            delete scopes[tokenId][amId][s];
        }
        emit PermittedAuthMethodRemoved(tokenId, authMethodType, id);
    }
}
