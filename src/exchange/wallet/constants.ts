/** The Ether wallet's constants, each with the reason for its value. */

/** IndexedDB database of the wallet's keys: apart from the identity's, so each can be backed up and replaced on its own. */
export const WALLET_DB_NAME = 'trustmesh-eth-wallet';
export const WALLET_DB_VERSION = 1;
export const WALLET_STORE = 'keys';
/** The one record in WALLET_STORE: a profile has one wallet, as it has one identity. */
export const WALLET_KEY = 'self';

/** 128 bits of entropy (12 words): the strength of common wallets' mnemonics, beyond any brute force. */
export const MNEMONIC_STRENGTH_BITS = 128;

/** Wallet export format, for the identity backup to carry. */
export const WALLET_FILE_FORMAT = 'trustmesh-eth-wallet';
export const WALLET_FILE_VERSION = 1;

/** Written into every export: the mnemonic is the money itself. */
export const WALLET_FILE_WARNING =
  'These 12 words are your Ether wallet. Anyone who has them can spend its Ether, and no one can recover them for you. ' +
  'Keep them private and keep a copy: if this browser\'s data is cleared without a backup, the Ether is lost.';

/** `?eth=http://…` in a link names the JSON-RPC endpoint (as `?relay=` names relays). */
export const ETH_LINK_PARAM = 'eth';
/** localStorage key of the endpoint saved in Settings. */
export const ETH_ENDPOINT_SETTING_KEY = 'trustmesh-eth-endpoint';
/** An endpoint URL is a short address; longer text is a mistake (and bounded before parsing). */
export const MAX_ENDPOINT_LENGTH = 2048;

/** Mainnet blocks come every ~12 s: a poll a second notices a new one soon, at one request a second. */
export const ETH_POLL_INTERVAL_MS = 1000;
/** A JSON-RPC request unanswered this long means the endpoint is unreachable (viem's default is 10 s). */
export const ETH_REQUEST_TIMEOUT_MS = 10_000;
