/**
 * What a browser must have for a tab to be a peer, and what to tell a visitor
 * whose browser lacks it (pure: the browser's globals are passed in). Where an
 * engine lacks something we can do in JavaScript (WebCrypto Ed25519 or X25519)
 * the app uses @noble/* under the same rules and says nothing; these are the
 * things nothing can stand in for.
 */

export interface BrowserFeatures {
  /** The page's origin is secure (https, or localhost): WebCrypto and service workers need it. */
  secureContext: boolean;
  webCrypto: boolean;
  webRtc: boolean;
  indexedDb: boolean;
  webLocks: boolean;
  /** The origin private file system, where downloads are stored. */
  fileSystem: boolean;
}

/** Reads the features off a window-like global. */
export function featuresOf(g: Record<string, unknown> & { navigator?: unknown; crypto?: unknown }): BrowserFeatures {
  const nav = (g.navigator ?? {}) as { locks?: unknown; storage?: { getDirectory?: unknown } };
  return {
    secureContext: g.isSecureContext === true,
    webCrypto: typeof (g.crypto as { subtle?: unknown } | undefined)?.subtle === 'object',
    webRtc: typeof g.RTCPeerConnection === 'function',
    indexedDb: typeof g.indexedDB === 'object' && g.indexedDB !== null,
    webLocks: typeof nav.locks === 'object' && nav.locks !== null,
    fileSystem: typeof nav.storage?.getDirectory === 'function',
  };
}

const WHAT_TO_DO = 'Open this link in a current Firefox, Chrome, Edge or Safari, outside a private window.';

/** Why this browser cannot run a peer, in words for the visitor; undefined when it can. */
export function unsupportedReason(f: BrowserFeatures): string | undefined {
  if (!f.secureContext) return 'This page was not opened over a secure connection (https), so the browser withholds the cryptography Trustmesh needs. Open it with https://.';
  const missing: string[] = [];
  if (!f.webCrypto) missing.push('cryptography (WebCrypto)');
  if (!f.webRtc) missing.push('direct connections between browsers (WebRTC; it may be turned off)');
  if (!f.indexedDb) missing.push('storage for your identity and ledger (IndexedDB; private windows may block it)');
  if (!f.webLocks) missing.push('coordination between tabs (Web Locks)');
  if (!f.fileSystem) missing.push('storage for downloaded files (the origin private file system)');
  if (missing.length === 0) return undefined;
  return `This browser lacks what Trustmesh needs to be a peer: ${missing.join('; ')}. ${WHAT_TO_DO}`;
}
