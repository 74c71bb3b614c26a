import { describe, expect, it } from 'vitest';
import { featuresOf, unsupportedReason, type BrowserFeatures } from './browser-support.ts';

const all: BrowserFeatures = { secureContext: true, webCrypto: true, webRtc: true, indexedDb: true, webLocks: true, fileSystem: true };

describe('what a browser needs to be a peer', () => {
  it('says nothing when the browser has it all', () => {
    expect(unsupportedReason(all)).toBeUndefined();
  });

  it('names each missing feature in plain words, and what to do', () => {
    const r = unsupportedReason({ ...all, webRtc: false, webLocks: false });
    expect(r).toContain('direct connections between browsers (WebRTC; it may be turned off)');
    expect(r).toContain('coordination between tabs (Web Locks)');
    expect(r).not.toContain('IndexedDB');
    expect(r).toContain('current Firefox, Chrome, Edge or Safari');
  });

  it('asks for https first: an insecure page lacks WebCrypto for that reason alone', () => {
    expect(unsupportedReason({ ...all, secureContext: false, webCrypto: false })).toMatch(/^This page was not opened over a secure connection/);
  });

  it('reads the features off a window-like global', () => {
    const g = {
      isSecureContext: true,
      crypto: { subtle: {} },
      RTCPeerConnection: function RTCPeerConnection() {},
      indexedDB: {},
      navigator: { locks: {}, storage: { getDirectory: () => undefined } },
    };
    expect(featuresOf(g)).toEqual(all);
    expect(featuresOf({ ...g, RTCPeerConnection: undefined, navigator: { storage: {} } })).toEqual({ ...all, webRtc: false, webLocks: false, fileSystem: false });
    expect(featuresOf({})).toEqual({ secureContext: false, webCrypto: false, webRtc: false, indexedDb: false, webLocks: false, fileSystem: false });
  });
});
