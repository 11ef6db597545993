/**
 * Every error code the real Lit node (LIT-Protocol/Node v1.0.18) can put in `errorCode`, with the
 * kind its declaration names, its HTTP status and its description (the `///` doc comment, which the
 * node sends as `message`; codes with none send the kind's text instead, see `KIND_TEXT`).
 *
 * Generated from rust/lit-node/src/error.rs (line = the `#[code(...)]` attribute) and
 * rust/lit-core/lit-api-core/src/error/mod.rs. Copied as data, not retyped: a devnet refusal names
 * a real code or does not exist.
 */

export type ErrorKindName =
  | 'Unknown'
  | 'Unexpected'
  | 'Generic'
  | 'IPFS'
  | 'Io'
  | 'Config'
  | 'Validation'
  | 'Conversion'
  | 'Parser'
  | 'Serializer'
  | 'Lock'
  | 'Timeout'
  | 'Connect'
  | 'MemoryLimit'
  | 'Blockchain'
  | 'Attestation'
  | 'Certs'
  | 'HttpClient'
  | 'SevSnp';

/** A kind's own text: the `message` of an error whose code has no description, or that has no code (rust/lit-core/lit-core/src/error/mod.rs:382-423, typos and all). */
export const KIND_TEXT: Record<ErrorKindName, string> = {
  Unknown: 'An error has occured.',
  Unexpected: 'An unexpected has occured.',
  Generic: 'An error has occured.',
  IPFS: 'An IPFS related error has occured.',
  Io: 'An IO related error has occured.',
  Config: 'An error related to configuration has occured.',
  Validation: 'An error related to validation has occured.',
  Conversion: 'An error related to type conversion has occured.',
  Parser: 'An error related to a parsing has occured.',
  Serializer: 'An error related to a serialization has occured.',
  Lock: 'An error related to a lock has occured.',
  Timeout: 'An timeout error has occured.',
  Connect: 'A connection error has occured.',
  MemoryLimit: 'A memory limit was exceeded.',
  Blockchain: 'A blockchan related error has occured.',
  Attestation: 'A TEE attestation related error has occured.',
  Certs: 'An error related to a certificate has occured.',
  HttpClient: 'An error related to HTTP/HTTPS client connections.',
  SevSnp: 'An error related to a the AMD SEV-SNP subsystems has occured.',
};

export interface RealErrorCode {
  /** The kind in the code's declaration (the wire's errorKind is the constructor's kind, which may differ). */
  kind: ErrorKindName;
  status: number;
  /** Sent as `message`; undefined where the declaration has only a `//` comment. */
  description?: string;
  /** Where it is declared. */
  source: string;
}

export const REAL_ERROR_CODES = {
  NodeSystemFault: { kind: 'Unexpected', status: 500, description: 'A general system fault has occurred in the node', source: 'rust/lit-node/src/error.rs:15' },
  NodeAccessControlConditionsCheckFailed: {
    kind: 'Validation',
    status: 502,
    description:
      'Lit nodes failed to check the condition possibly due to RPC servers being down or because the condition is making an incorrect smart contract call that reverts',
    source: 'rust/lit-node/src/error.rs:18',
  },
  NodeAccessControlConditionsReturnedNotAuthorized: {
    kind: 'Validation',
    status: 401,
    description:
      'The access control condition check returned that you are not permitted to access this content.  Are you sure you meet the conditions?  Check the auth_sig and the other conditions',
    source: 'rust/lit-node/src/error.rs:21',
  },
  NodeEncryptedSymmetricKeyNotFound: {
    kind: 'Validation',
    status: 404,
    description: 'Failed to find the passed encrypted symmetric key',
    source: 'rust/lit-node/src/error.rs:24',
  },
  NodeExpWrongOrTooLarge: {
    kind: 'Validation',
    status: 403,
    description: 'While signing JWT, EXP too large or wrong',
    source: 'rust/lit-node/src/error.rs:27',
  },
  NodeIatOutsideGracePeriod: {
    kind: 'Validation',
    status: 403,
    description: 'While signing JWT, IAT outside grace period',
    source: 'rust/lit-node/src/error.rs:30',
  },
  NodeIncorrectAccessControlConditions: {
    kind: 'Validation',
    status: 403,
    description: "ACC passed doesn't match the ones set by the condition creator",
    source: 'rust/lit-node/src/error.rs:33',
  },
  NodeAuthFailed: { kind: 'Validation', status: 401, description: 'Authorization has failed', source: 'rust/lit-node/src/error.rs:36' },
  NodeInvalidAuthSig: {
    kind: 'Validation',
    status: 401,
    description: "auth_sig passed is invalid or couldn't be verified",
    source: 'rust/lit-node/src/error.rs:39',
  },
  NodeAuthSigNotSupported: { kind: 'Validation', status: 401, description: 'auth_sig passed is not supported', source: 'rust/lit-node/src/error.rs:42' },
  NodeAuthSigScopeTooLimited: {
    kind: 'Validation',
    status: 401,
    description: 'auth_sig scope that is passed does not support the requested operation',
    source: 'rust/lit-node/src/error.rs:45',
  },
  NodeInvalidMultipleAuthSigs: {
    kind: 'Validation',
    status: 400,
    description: 'Auth sig is not valid against any recognized chain',
    source: 'rust/lit-node/src/error.rs:48',
  },
  NodeInvalidED25519AuthSig: { kind: 'Validation', status: 400, description: 'Invalid ed25519 auth_sig', source: 'rust/lit-node/src/error.rs:51' },
  NodeInvalidAuthSigSigningAlgo: {
    kind: 'Validation',
    status: 400,
    description: 'Invalid auth_sig signing algorithm',
    source: 'rust/lit-node/src/error.rs:54',
  },
  NodeInvalidUnifiedAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Unified auth_sig', source: 'rust/lit-node/src/error.rs:57' },
  NodeInvalidEthereumAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Ethereum auth_sig', source: 'rust/lit-node/src/error.rs:60' },
  NodeInvalidCosmosAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Cosmos auth_sig', source: 'rust/lit-node/src/error.rs:63' },
  NodeInvalidCosmosSDKSignature: { kind: 'Validation', status: 400, description: 'Invalid Cosmos SDK signature', source: 'rust/lit-node/src/error.rs:66' },
  NodeInvalidKyveAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Kyve auth_sig', source: 'rust/lit-node/src/error.rs:69' },
  NodeInvalidCheqdAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Cheqd auth_sig', source: 'rust/lit-node/src/error.rs:72' },
  NodeInvalidJunoAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Juno auth_sig', source: 'rust/lit-node/src/error.rs:75' },
  NodeInvalidSolanaAuthSig: { kind: 'Validation', status: 400, description: 'Invalid Solana auth_sig', source: 'rust/lit-node/src/error.rs:78' },
  NodeAuthSigAddressConversionError: {
    kind: 'Validation',
    status: 400,
    description: "auth_sig address couldn't be converted to Ethereum address",
    source: 'rust/lit-node/src/error.rs:81',
  },
  NodeConditionAddressConversionError: {
    kind: 'Validation',
    status: 400,
    description: "condition address couldn't be converted to Ethereum address",
    source: 'rust/lit-node/src/error.rs:84',
  },
  NodeConditionTokenIdParsingError: {
    kind: 'Parser',
    status: 400,
    description: 'Error parsing token_id from condition',
    source: 'rust/lit-node/src/error.rs:87',
  },
  NodeInvalidIPFSID: { kind: 'Validation', status: 400, description: 'Invalid IPFS Id', source: 'rust/lit-node/src/error.rs:90' },
  NodeAuthSigSignatureConversionError: {
    kind: 'Validation',
    status: 400,
    description: "auth_sig sig couldn't be converted to Signature object",
    source: 'rust/lit-node/src/error.rs:93',
  },
  NodeNoKeyGenError: { kind: 'Validation', status: 500, source: 'rust/lit-node/src/error.rs:96' },
  NodeAuthSigSessionKeyConversionError: {
    kind: 'Validation',
    status: 400,
    description: "auth_sig address couldn't be converted to ed25519_dalek PublicKey",
    source: 'rust/lit-node/src/error.rs:100',
  },
  NodeAuthSigSignedMessageConversionError: {
    kind: 'Validation',
    status: 400,
    description: "auth_sig signedMessage couldn't be converted to SessionKeySignedMessage",
    source: 'rust/lit-node/src/error.rs:103',
  },
  NodeInvalidAuthSigSessionKeySignature: {
    kind: 'Validation',
    status: 400,
    description: 'auth_sig Session key signature is not valid',
    source: 'rust/lit-node/src/error.rs:106',
  },
  NodeInvalidUnifiedConditionType: {
    kind: 'Validation',
    status: 400,
    description: 'Invalid conditionType is Unified ACC',
    source: 'rust/lit-node/src/error.rs:109',
  },
  NodeInvalidBooleanConditionType: { kind: 'Validation', status: 400, description: 'Invalid boolean conditionType', source: 'rust/lit-node/src/error.rs:112' },
  NodeLitNodeClientNotReady: {
    kind: 'Config',
    status: 400,
    description: "Lit node client isn't connected to the Lit network",
    source: 'rust/lit-node/src/error.rs:115',
  },
  NodeMissingAccessControlConditions: {
    kind: 'Validation',
    status: 400,
    description: 'Must pass either access_control_conditions or evm_contract_conditions or sol_rpc_conditions',
    source: 'rust/lit-node/src/error.rs:118',
  },
  NodeNotAuthorized: {
    kind: 'Validation',
    status: 403,
    description: "User isn't authorized to access to decrypt or receive a JWT for this item",
    source: 'rust/lit-node/src/error.rs:121',
  },
  NodeResourceIdNotFound: { kind: 'Validation', status: 404, description: 'Could not find the passed resource ID', source: 'rust/lit-node/src/error.rs:124' },
  NodeRpcError: {
    kind: 'Validation',
    status: 502,
    description:
      'Lit nodes failed to complete the RPC call possibly due to RPC servers being down or because the RPC call is making an incorrect smart contract call that reverts',
    source: 'rust/lit-node/src/error.rs:127',
  },
  NodeStorageError: {
    kind: 'Unexpected',
    status: 403,
    description: "Error updating the condition possibly because the condition is permanent or the user isn't the creator of the condition",
    source: 'rust/lit-node/src/error.rs:130',
  },
  NodeWrongNetwork: { kind: 'Validation', status: 400, description: 'Mismatched condition & the wallet networks', source: 'rust/lit-node/src/error.rs:133' },
  NodeHTTPConversionError: {
    kind: 'Conversion',
    status: 400,
    description: 'Unable to convert input chain url to HTTP transport',
    source: 'rust/lit-node/src/error.rs:136',
  },
  NodeUnknownError: { kind: 'Unknown', status: 400, description: 'Unknown error occured', source: 'rust/lit-node/src/error.rs:139' },
  NodeParserError: { kind: 'Parser', status: 400, description: 'Unable to parse session key signed message', source: 'rust/lit-node/src/error.rs:142' },
  NodeSIWECapabilityInvalid: {
    kind: 'Validation',
    status: 400,
    description: 'Invalid Capability object in SIWE resource ReCap',
    source: 'rust/lit-node/src/error.rs:145',
  },
  NodeSIWECapabilityActionInvalid: {
    kind: 'Parser',
    status: 400,
    description: 'Invalid target action of Capability object in SIWE resource ReCap',
    source: 'rust/lit-node/src/error.rs:148',
  },
  NodeSIWESigConversionError: { kind: 'Validation', status: 400, description: 'Unable to convert SIWE sig to array', source: 'rust/lit-node/src/error.rs:151' },
  NodeSIWESessionKeySignatureInvalid: {
    kind: 'Validation',
    status: 400,
    description: 'Invalid session key signature of SIWE',
    source: 'rust/lit-node/src/error.rs:154',
  },
  NodeBlockchainError: {
    kind: 'Blockchain',
    status: 502,
    description: 'Error related to a blockchain or its contract',
    source: 'rust/lit-node/src/error.rs:157',
  },
  NodeBlockchainChainUnknown: {
    kind: 'Blockchain',
    status: 502,
    description: 'Unknown blockchain chain for operation',
    source: 'rust/lit-node/src/error.rs:160',
  },
  NodeWalletSignatureJSONError: {
    kind: 'Serializer',
    status: 502,
    description: 'Wallet Signature not in JSON format',
    source: 'rust/lit-node/src/error.rs:163',
  },
  NodePOAPJSONError: { kind: 'Serializer', status: 502, description: 'POAP not in JSON format', source: 'rust/lit-node/src/error.rs:166' },
  NodeCosmosJSONError: { kind: 'Serializer', status: 502, description: 'Cosmos Response not in JSON format', source: 'rust/lit-node/src/error.rs:169' },
  NodeSIWEMessageError: { kind: 'Parser', status: 400, description: 'Error parsing SIWE message', source: 'rust/lit-node/src/error.rs:172' },
  NodeInvalidSIWEResource: { kind: 'Validation', status: 400, description: 'Invalid SIWE resource', source: 'rust/lit-node/src/error.rs:175' },
  NodeInvalidSIWESpecialParam: { kind: 'Validation', status: 400, description: 'Invalid SIWE special param', source: 'rust/lit-node/src/error.rs:178' },
  NodeSIWESpecialParamAddressConversionError: {
    kind: 'Validation',
    status: 400,
    description: 'Error converting SIWE special param address',
    source: 'rust/lit-node/src/error.rs:181',
  },
  NodeInvalidACCReturnValueTest: {
    kind: 'Validation',
    status: 400,
    description: 'Invalid Access Control Condition returnValueTest',
    source: 'rust/lit-node/src/error.rs:184',
  },
  NodeRecoveryIdError: { kind: 'Parser', status: 502, description: 'Unable to parse Recovery Id', source: 'rust/lit-node/src/error.rs:187' },
  NodeAuthContextFromSessionSigError: {
    kind: 'Parser',
    status: 502,
    description: 'Unable to parse Authcontext from sessionSig',
    source: 'rust/lit-node/src/error.rs:190',
  },
  NodeCosmosResponseBodyError: { kind: 'Unexpected', status: 502, description: 'Cosmos response body error', source: 'rust/lit-node/src/error.rs:193' },
  NodeCosmosBlockHeightRequestError: {
    kind: 'Unexpected',
    status: 502,
    description: 'Cosmos block height request error',
    source: 'rust/lit-node/src/error.rs:196',
  },
  NodeCosmosBlockHeightParseError: {
    kind: 'Unexpected',
    status: 502,
    description: 'Cosmos block height response body error',
    source: 'rust/lit-node/src/error.rs:199',
  },
  NodeCosmosUrlEncodingError: { kind: 'Unexpected', status: 502, description: 'Cosmos url encoding error', source: 'rust/lit-node/src/error.rs:202' },
  NodeCosmosInvalidCondition: { kind: 'Validation', status: 400, description: 'Cosmos invalid condition', source: 'rust/lit-node/src/error.rs:205' },
  NodeMismatchParameters: {
    kind: 'Validation',
    status: 400,
    description: 'Mismatched number of parameters in Params & Condition',
    source: 'rust/lit-node/src/error.rs:208',
  },
  NodeConditionTokenizingError: { kind: 'Validation', status: 400, description: 'Error tokenizing condition params', source: 'rust/lit-node/src/error.rs:211' },
  NodeInvalidConditionTokenType: { kind: 'Validation', status: 400, description: 'Invalid condition token type', source: 'rust/lit-node/src/error.rs:214' },
  NodeTokenEncodingDecodingError: { kind: 'Validation', status: 400, description: 'Token encoding/decoding error', source: 'rust/lit-node/src/error.rs:217' },
  NodeInvalidSolanaRpcMethod: { kind: 'Validation', status: 400, description: 'Solana RPC method unsupported', source: 'rust/lit-node/src/error.rs:220' },
  NodeInvalidMetaplexCollectionAddress: {
    kind: 'Validation',
    status: 400,
    description: 'Invalid Metaplex Collection Address',
    source: 'rust/lit-node/src/error.rs:223',
  },
  NodeSolanaNFTMetadataError: {
    kind: 'Unexpected',
    status: 502,
    description: 'Failed to retrieve Metadata for Solana NFT',
    source: 'rust/lit-node/src/error.rs:226',
  },
  NodeTimestampConversionError: {
    kind: 'Conversion',
    status: 400,
    description: 'Failed to convert timestamp from u256 to u64',
    source: 'rust/lit-node/src/error.rs:229',
  },
  NodeOfflinePublicKeyConversionError: {
    kind: 'Conversion',
    status: 502,
    description: 'Failed to convert offline PublicKey to bytes',
    source: 'rust/lit-node/src/error.rs:232',
  },
  NodeUpdatePermanentCondition: {
    kind: 'Generic',
    status: 400,
    description: "Can't update permanent encryption condition for key",
    source: 'rust/lit-node/src/error.rs:235',
  },
  NodeInvalidUpdatingUser: {
    kind: 'Generic',
    status: 400,
    description: "User doesn't match the creator for the encryption condition",
    source: 'rust/lit-node/src/error.rs:238',
  },
  NodeTooManyConditions: { kind: 'Validation', status: 400, description: 'Too many conditions have been provided', source: 'rust/lit-node/src/error.rs:241' },
  NodeActionNotAllowed: { kind: 'Validation', status: 400, description: 'The action you attempted is not allowed', source: 'rust/lit-node/src/error.rs:244' },
  NodeJsExecutionError: {
    kind: 'Validation',
    status: 502,
    description: 'There was an error executing the Javascript for this action',
    source: 'rust/lit-node/src/error.rs:247',
  },
  NodeJsTimeoutError: {
    kind: 'Validation',
    status: 502,
    description: 'There was a timeout error executing the Javascript for this action',
    source: 'rust/lit-node/src/error.rs:250',
  },
  NodeJsMemoryLimitError: {
    kind: 'Validation',
    status: 502,
    description: 'The memory limit was exceeded when executing the Javascript for this action',
    source: 'rust/lit-node/src/error.rs:253',
  },
  NodeJsConnectionError: {
    kind: 'Connect',
    status: 502,
    description: 'Failed to communicate with the lit_actions server',
    source: 'rust/lit-node/src/error.rs:256',
  },
  NodeInvalidPeerId: { kind: 'Validation', status: 502, description: 'Invalid Peer Id for Gennaro', source: 'rust/lit-node/src/error.rs:259' },
  NodeInvalidBlockhash: { kind: 'Validation', status: 502, description: 'Invalid Block Hash for sign session key', source: 'rust/lit-node/src/error.rs:262' },
  NodeBlsNoEeidError: { kind: 'Unexpected', status: 502, description: 'The node has no Eeid', source: 'rust/lit-node/src/error.rs:265' },
  NodeBlsWrongEpochError: {
    kind: 'Unexpected',
    status: 502,
    description: 'Eeid and Dkg round message has mismatched epoch',
    source: 'rust/lit-node/src/error.rs:268',
  },
  NodeDkgRoundTimeoutError: {
    kind: 'Unexpected',
    status: 500,
    description: 'Timeout waiting for DKG messages from other nodes',
    source: 'rust/lit-node/src/error.rs:271',
  },
  NodeBlsParticipantUninitialized: {
    kind: 'Unexpected',
    status: 502,
    description: 'Participant not Initialized yet',
    source: 'rust/lit-node/src/error.rs:274',
  },
  NodeContractFunctionParamsEncodingError: {
    kind: 'Parser',
    status: 400,
    description: 'Invalid smart contract function parameters',
    source: 'rust/lit-node/src/error.rs:277',
  },
  NodeContractAuthsigUnauthorized: {
    kind: 'Validation',
    status: 401,
    description: 'Access control failed for Smart contract',
    source: 'rust/lit-node/src/error.rs:280',
  },
  NodeChainNotSupported: {
    kind: 'Blockchain',
    status: 501,
    description: 'Blockchain currently not supported by Lit',
    source: 'rust/lit-node/src/error.rs:283',
  },
  NodeBadInput: {
    kind: 'Blockchain',
    status: 422,
    description:
      'This usually means your JSON body is wrong. Please check that you have sent over every required JSON parameter and that the types are correct according to the docs here https://lit-protocol.github.io/lit-js-sdk/api_docs_html/index.html#litnodeclient',
    source: 'rust/lit-node/src/error.rs:286',
  },
  NodePeerNotFound: { kind: 'Unexpected', status: 500, description: 'The peer cannot be found.', source: 'rust/lit-node/src/error.rs:289' },
  NodeEncryptionError: {
    kind: 'Unexpected',
    status: 500,
    description: 'The node could not perform an encryption / decryption operation.',
    source: 'rust/lit-node/src/error.rs:292',
  },
  NodeSerializationError: {
    kind: 'Conversion',
    status: 500,
    description: 'The node could not perform a serialization / deserialization operation.',
    source: 'rust/lit-node/src/error.rs:295',
  },
  NodeAdminUnauthorized: {
    kind: 'Validation',
    status: 401,
    description: 'Your request as a node admin is unauthorized',
    source: 'rust/lit-node/src/error.rs:298',
  },
  NodeRpcConfigForbidden: {
    kind: 'Validation',
    status: 403,
    description: 'Operation on protected RPC config is forbidden',
    source: 'rust/lit-node/src/error.rs:301',
  },
  NodePKPTokenIdNotFound: { kind: 'Validation', status: 400, description: 'Could not find PKP token ID.', source: 'rust/lit-node/src/error.rs:304' },
  NodeInvalidWebAuthnChallenge: { kind: 'Validation', status: 400, source: 'rust/lit-node/src/error.rs:307' },
  NodePKPKeyTypeRequestNotSupported: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:311' },
  NodeContractResolverConversionFailed: { kind: 'Unexpected', status: 500, source: 'rust/lit-node/src/error.rs:314' },
  NodeDkgRoundFailed: { kind: 'Unexpected', status: 500, source: 'rust/lit-node/src/error.rs:317' },
  NodeDKGInvalidValue: { kind: 'Unexpected', status: 500, source: 'rust/lit-node/src/error.rs:320' },
  NodeLitActionsNotEnabled: { kind: 'Unexpected', status: 400, source: 'rust/lit-node/src/error.rs:323' },
  NodeLitActionsSessionSigAuthenticationFailed: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:326' },
  NodePKPNotAuthorized: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:329' },
  NodeInvalidPKPAddress: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:332' },
  NodeInvalidCurveType: { kind: 'Validation', status: 400, source: 'rust/lit-node/src/error.rs:335' },
  NodeInvalidAuthSigForSessionKey: { kind: 'Validation', status: 400, source: 'rust/lit-node/src/error.rs:338' },
  NodeCannotProvideAuthMethodForEndpoint: { kind: 'Validation', status: 400, source: 'rust/lit-node/src/error.rs:341' },
  NodeBLSRootKeyNotFound: { kind: 'Unexpected', status: 500, source: 'rust/lit-node/src/error.rs:344' },
  NodeConcurrencyOverload: { kind: 'Unexpected', status: 429, source: 'rust/lit-node/src/error.rs:347' },
  NodeSignatureNotSupported: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:350' },
  NodeCannotProvideAuthSigForEndpoint: { kind: 'Validation', status: 400, source: 'rust/lit-node/src/error.rs:353' },
  NodeInvalidAuthContextResource: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:356' },
  NodeUndefinedSiweExpiration: { kind: 'Validation', status: 401, source: 'rust/lit-node/src/error.rs:359' },
  CoreApiUnexpected: {
    kind: 'Unexpected',
    status: 400,
    description: 'An unexpected error has occured',
    source: 'rust/lit-core/lit-api-core/src/error/mod.rs:17',
  },
  CoreApiRouteNotFound: {
    kind: 'Validation',
    status: 404,
    description: 'The API path was not found.',
    source: 'rust/lit-core/lit-api-core/src/error/mod.rs:20',
  },
  CoreApiMissingRequiredXRequestIdHeader: {
    kind: 'Validation',
    status: 400,
    description: 'Missing required header: X-Correlation-Id / X-Request-Id',
    source: 'rust/lit-core/lit-api-core/src/error/mod.rs:23',
  },
  CoreApiInvalidXSDKVersionHeader: {
    kind: 'Validation',
    status: 400,
    description: 'Missing required header: X-Lit-Sdk-Version',
    source: 'rust/lit-core/lit-api-core/src/error/mod.rs:26',
  },
  CoreApiHttpClientTimeout: {
    kind: 'Timeout',
    status: 500,
    description: 'The HTTP client has timed out',
    source: 'rust/lit-core/lit-api-core/src/error/mod.rs:29',
  },
  CoreApiHttpClientConnectFailed: {
    kind: 'Connect',
    status: 500,
    description: 'The HTTP client has failed to connect',
    source: 'rust/lit-core/lit-api-core/src/error/mod.rs:32',
  },
} as const satisfies Record<string, RealErrorCode>;

export type RealErrorCodeName = keyof typeof REAL_ERROR_CODES;
