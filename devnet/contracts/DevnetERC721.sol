// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @title DevnetERC721
/// @notice A small ERC721 + Enumerable, written here because the devnet compiles offline with no
/// OpenZeppelin package. Same external signatures and events as OpenZeppelin's ERC721Enumerable,
/// which Lit's PKPNFT and RateLimitNFT inherit. Out-of-range enumeration reverts, which is how the
/// SDK's `getTokensByAddress` finds the end of an owner's list.
abstract contract DevnetERC721 {
    event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
    event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

    string private _name;
    string private _symbol;

    mapping(uint256 => address) private _owners;
    mapping(address => uint256) private _balances;
    mapping(uint256 => address) private _tokenApprovals;
    mapping(address => mapping(address => bool)) private _operatorApprovals;

    mapping(address => mapping(uint256 => uint256)) private _ownedTokens;
    mapping(uint256 => uint256) private _ownedTokensIndex;
    uint256[] private _allTokens;
    mapping(uint256 => uint256) private _allTokensIndex;

    constructor(string memory name_, string memory symbol_) {
        _name = name_;
        _symbol = symbol_;
    }

    function supportsInterface(bytes4 interfaceId) public view virtual returns (bool) {
        return interfaceId == 0x01ffc9a7 // ERC165
            || interfaceId == 0x80ac58cd // ERC721
            || interfaceId == 0x5b5e139f // ERC721Metadata
            || interfaceId == 0x780e9d63; // ERC721Enumerable
    }

    function name() public view returns (string memory) {
        return _name;
    }

    function symbol() public view returns (string memory) {
        return _symbol;
    }

    function balanceOf(address owner_) public view returns (uint256) {
        require(owner_ != address(0), "ERC721: address zero is not a valid owner");
        return _balances[owner_];
    }

    function ownerOf(uint256 tokenId) public view returns (address) {
        address o = _owners[tokenId];
        require(o != address(0), "ERC721: invalid token ID");
        return o;
    }

    function exists(uint256 tokenId) public view returns (bool) {
        return _owners[tokenId] != address(0);
    }

    function totalSupply() public view returns (uint256) {
        return _allTokens.length;
    }

    function tokenByIndex(uint256 index) public view returns (uint256) {
        require(index < _allTokens.length, "ERC721Enumerable: global index out of bounds");
        return _allTokens[index];
    }

    function tokenOfOwnerByIndex(address owner_, uint256 index) public view returns (uint256) {
        require(index < balanceOf(owner_), "ERC721Enumerable: owner index out of bounds");
        return _ownedTokens[owner_][index];
    }

    function approve(address to, uint256 tokenId) public {
        address o = ownerOf(tokenId);
        require(to != o, "ERC721: approval to current owner");
        require(msg.sender == o || _operatorApprovals[o][msg.sender], "ERC721: approve caller is not token owner or approved for all");
        _tokenApprovals[tokenId] = to;
        emit Approval(o, to, tokenId);
    }

    function getApproved(uint256 tokenId) public view returns (address) {
        ownerOf(tokenId);
        return _tokenApprovals[tokenId];
    }

    function setApprovalForAll(address operator, bool approved) public {
        require(operator != msg.sender, "ERC721: approve to caller");
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function isApprovedForAll(address owner_, address operator) public view returns (bool) {
        return _operatorApprovals[owner_][operator];
    }

    function transferFrom(address from, address to, uint256 tokenId) public {
        require(_isApprovedOrOwner(msg.sender, tokenId), "ERC721: caller is not token owner or approved");
        _transfer(from, to, tokenId);
    }

    /// @dev No onERC721Received check: devnet receivers are EOAs or the PKPHelper.
    function safeTransferFrom(address from, address to, uint256 tokenId) public {
        transferFrom(from, to, tokenId);
    }

    function safeTransferFrom(address from, address to, uint256 tokenId, bytes memory) public {
        transferFrom(from, to, tokenId);
    }

    function _isApprovedOrOwner(address spender, uint256 tokenId) internal view returns (bool) {
        address o = ownerOf(tokenId);
        return spender == o || _operatorApprovals[o][spender] || _tokenApprovals[tokenId] == spender;
    }

    function _mint(address to, uint256 tokenId) internal {
        require(to != address(0), "ERC721: mint to the zero address");
        require(_owners[tokenId] == address(0), "ERC721: token already minted");
        _allTokensIndex[tokenId] = _allTokens.length;
        _allTokens.push(tokenId);
        _addToOwner(to, tokenId);
        _owners[tokenId] = to;
        emit Transfer(address(0), to, tokenId);
    }

    function _burn(uint256 tokenId) internal {
        address o = ownerOf(tokenId);
        delete _tokenApprovals[tokenId];
        _removeFromOwner(o, tokenId);
        uint256 last = _allTokens[_allTokens.length - 1];
        uint256 idx = _allTokensIndex[tokenId];
        _allTokens[idx] = last;
        _allTokensIndex[last] = idx;
        _allTokens.pop();
        delete _allTokensIndex[tokenId];
        delete _owners[tokenId];
        emit Transfer(o, address(0), tokenId);
    }

    function _transfer(address from, address to, uint256 tokenId) internal {
        require(ownerOf(tokenId) == from, "ERC721: transfer from incorrect owner");
        require(to != address(0), "ERC721: transfer to the zero address");
        delete _tokenApprovals[tokenId];
        _removeFromOwner(from, tokenId);
        _addToOwner(to, tokenId);
        _owners[tokenId] = to;
        emit Transfer(from, to, tokenId);
    }

    function _addToOwner(address to, uint256 tokenId) private {
        uint256 len = _balances[to];
        _ownedTokens[to][len] = tokenId;
        _ownedTokensIndex[tokenId] = len;
        _balances[to] = len + 1;
    }

    function _removeFromOwner(address from, uint256 tokenId) private {
        uint256 lastIndex = _balances[from] - 1;
        uint256 idx = _ownedTokensIndex[tokenId];
        if (idx != lastIndex) {
            uint256 lastId = _ownedTokens[from][lastIndex];
            _ownedTokens[from][idx] = lastId;
            _ownedTokensIndex[lastId] = idx;
        }
        delete _ownedTokensIndex[tokenId];
        delete _ownedTokens[from][lastIndex];
        _balances[from] = lastIndex;
    }
}
