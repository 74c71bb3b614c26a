import { describe, expect, it } from 'vitest';
import { MAX_EXIT_TRACKERS, MAX_TRACKER_URL_BYTES } from './constants.ts';
import { beginTrackers } from './begin-trackers.ts';
import { encodeExitMessage } from './exit-wire.ts';

const magnet = (...trackers: string[]) => `magnet:?xt=urn:btih:${'ab'.repeat(20)}${trackers.map((t) => `&tr=${encodeURIComponent(t)}`).join('')}`;
const app = ['wss://app.example/announce'];

describe('beginTrackers', () => {
  it("names the magnet link's WebSocket trackers, not the app's", () => {
    expect(beginTrackers(magnet('udp://tracker.example:80', 'wss://a.example', 'ws://b.example:8000/announce'), app)).toEqual(['wss://a.example', 'ws://b.example:8000/announce']);
  });

  it("falls back to the app's trackers when the magnet names none a begin can carry, or is a .torrent file", () => {
    expect(beginTrackers(magnet('udp://tracker.example:80', `wss://${'x'.repeat(MAX_TRACKER_URL_BYTES)}.example`), app)).toEqual(app);
    expect(beginTrackers(new Uint8Array([1, 2]), [...app, ...app, 'http://no.example'])).toEqual(app);
    expect(beginTrackers(undefined, [])).toEqual([]);
  });

  it('names no more than a begin carries, and what it names always encodes', () => {
    const many = Array.from({ length: MAX_EXIT_TRACKERS + 3 }, (_, i) => `wss://t${i}.example`);
    const trackers = beginTrackers(magnet(...many, 'wss://user:pw@evil.example'), app);
    expect(trackers).toEqual(many.slice(0, MAX_EXIT_TRACKERS));
    expect(() => encodeExitMessage({ command: 'begin', streamId: 1, infoHash: new Uint8Array(20), trackers })).not.toThrow();
  });
});
