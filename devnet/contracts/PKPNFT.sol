// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import "./DevnetAdmin.sol";
import "./DevnetERC721.sol";
import "./DevnetInterfaces.sol";

/// @title PKPNFT (devnet)
/// @notice Lit's PKP NFT with the same external signatures. Where Lit's nodes run a DKG and the
/// router derives a key, the devnet holds a pool of real secp256k1 public keys whose private keys
/// sit in the devnet's in-memory key vault; `mintNext` pops the next one, so the public key is on
/// chain in the mint transaction itself. token id = uint256(keccak256(pubkey)), as in Lit.
contract PKPNFT is DevnetAdmin, DevnetERC721 {
    event PKPMinted(uint256 indexed tokenId, bytes pubkey);
    event MintCostSet(uint256 newMintCost);
    event Withdrew(uint256 amount);
    /// @notice Devnet-only: the admin added public keys to the pool.
    event KeyPoolRefilled(uint256 added, uint256 remaining);

    IPubkeyRouter public router;
    address public stakingAddress;
    address public pkpPermissionsAddress;
    address public pkpNftMetadataAddress;
    uint256 public mintCost;
    address public freeMintSigner;

    bytes[] private keyPool;
    uint256 private keyPoolNext;

    constructor(address routerAddress, address staking, uint256 initialMintCost) DevnetERC721("Programmable Keypair", "PKP") {
        router = IPubkeyRouter(routerAddress);
        stakingAddress = staking;
        mintCost = initialMintCost;
    }

    // ---- devnet admin ----

    function setDevnetAddresses(address permissions, address metadata) external onlyAdmin {
        pkpPermissionsAddress = permissions;
        pkpNftMetadataAddress = metadata;
    }

    function setMintCost(uint256 newMintCost) external onlyAdmin {
        mintCost = newMintCost;
        emit MintCostSet(newMintCost);
    }

    /// @notice Devnet-only: add uncompressed secp256k1 public keys (0x04 || x || y) to the pool.
    function addKeysToPool(bytes[] calldata pubkeys) external onlyAdmin {
        for (uint256 i = 0; i < pubkeys.length; i++) {
            require(pubkeys[i].length == 65 && pubkeys[i][0] == 0x04, "PKPNFT: pool key must be 65-byte uncompressed secp256k1");
            keyPool.push(pubkeys[i]);
        }
        emit KeyPoolRefilled(pubkeys.length, keyPoolRemaining());
    }

    /// @notice Devnet-only: how many unminted keys are left in the pool.
    function keyPoolRemaining() public view returns (uint256) {
        return keyPool.length - keyPoolNext;
    }

    function withdraw() external onlyAdmin {
        uint256 amount = address(this).balance;
        payable(msg.sender).transfer(amount);
        emit Withdrew(amount);
    }

    // ---- Lit's PKPNFT surface ----

    /// @notice Mint the next PKP to the caller. keyType 2 = ECDSA (secp256k1), the only one Lit v7 mints.
    function mintNext(uint256 keyType) external payable returns (uint256) {
        require(keyType == 2, "PKPNFT: only keyType 2 (ECDSA) is supported");
        require(msg.value == mintCost, "You must pay exactly mint cost");
        require(keyPoolNext < keyPool.length, "PKPNFT: devnet key pool is empty, retry shortly");
        bytes memory pubkey = keyPool[keyPoolNext];
        delete keyPool[keyPoolNext];
        keyPoolNext++;
        uint256 tokenId = uint256(keccak256(pubkey));
        bytes32 derivedKeyId = bytes32(tokenId);
        // PKPMinted first: the SDK reads the token id from the receipt's first log, topics[1].
        emit PKPMinted(tokenId, pubkey);
        router.setRoutingData(tokenId, pubkey, stakingAddress, keyType, derivedKeyId);
        _mint(msg.sender, tokenId);
        return tokenId;
    }

    function getPubkey(uint256 tokenId) public view returns (bytes memory) {
        return router.getPubkey(tokenId);
    }

    function getEthAddress(uint256 tokenId) public view returns (address) {
        return router.getEthAddress(tokenId);
    }

    function getRouterAddress() external view returns (address) {
        return address(router);
    }

    function getStakingAddress() external view returns (address) {
        return stakingAddress;
    }

    function getPkpPermissionsAddress() external view returns (address) {
        return pkpPermissionsAddress;
    }

    function getPkpNftMetadataAddress() external view returns (address) {
        return pkpNftMetadataAddress;
    }

    function burn(uint256 tokenId) external {
        require(_isApprovedOrOwner(msg.sender, tokenId), "PKPNFT: only the owner can burn");
        _burn(tokenId);
    }

    function tokenURI(uint256 tokenId) external view returns (string memory) {
        ownerOf(tokenId);
        return "data:application/json,{\"name\":\"Lit PKP (devnet)\"}";
    }
}
