// Packages that ship no type declarations. Only the parts we call are typed.

declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { WebSocketServer } from 'ws';
  export class Server extends EventEmitter {
    constructor(opts: Record<string, unknown>);
    ws: WebSocketServer;
    torrents: Record<string, unknown>;
    close(cb?: () => void): void;
  }
}

/** The tracker's server without its client (which loads a WebRTC stack). */
declare module 'bittorrent-tracker/server' {
  import { Server } from 'bittorrent-tracker';
  export default Server;
}

declare module 'bencode' {
  const bencode: {
    /** Decodes bencoded bytes; strings come out as Uint8Array. Throws on malformed input. */
    decode(data: Uint8Array): unknown;
    encode(value: unknown): Uint8Array;
  };
  export default bencode;
}

declare module 'bittorrent-protocol' {
  import type { Wire as WebTorrentWire } from 'webtorrent';
  /** WebTorrent's wire as a standalone duplex (tests drive real wires through an exit splice). */
  interface BtWire extends WebTorrentWire {
    handshake(infoHash: string, peerId: string, extensions?: { dht?: boolean; fast?: boolean }): void;
    write(chunk: Uint8Array): boolean;
    extended(ext: string | number, payload: Uint8Array): void;
    interested(): void;
  }
  const Wire: new () => BtWire;
  export default Wire;
}

declare module 'parse-torrent' {
  /** Parses a .torrent file or magnet link (tests cross-check our infohash against it). */
  export default function parseTorrent(torrentId: Uint8Array | string): Promise<{ infoHash: string; name?: string }>;
}
