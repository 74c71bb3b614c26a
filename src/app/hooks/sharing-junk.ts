/**
 * Test hooks for a hostile uploader (test builds only, see test-hooks.ts):
 * through the sharing seam `onWire`, this tab's wires of one torrent corrupt
 * every block they send and slip in blocks nobody asked for.
 */
import type { Wire } from 'webtorrent';
import type { AppSession } from '../app-session.ts';

/** The same length, every byte different: junk a hash check catches. */
const corrupt = (block: Uint8Array): Uint8Array => block.map((b) => b ^ 0xa5);

function sendJunk(wire: Wire, pieces: () => number): void {
  const piece = wire.piece.bind(wire);
  let sent = 0;
  wire.piece = (index, offset, block) => {
    piece(index, offset, corrupt(block));
    // Unrequested: a block of another piece, then a short block of this one.
    piece((index + 1 + (sent++ % 7)) % pieces(), 0, corrupt(block));
    piece(index, offset, corrupt(block.subarray(0, block.length >> 1)));
  };
}

export function sharingJunkHooks(session: AppSession) {
  return {
    /** From now on, every wire of `infoHash` in this tab sends junk (this tab seeds it). */
    sendJunk(infoHash: string, pieces: number): void {
      session.seams!.sharing.onWire = (wire, ih) => {
        if (ih === infoHash) sendJunk(wire, () => pieces);
      };
    },
  };
}
