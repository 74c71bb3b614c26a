// WebTorrent 3 ships no type declarations; these cover what Trustmesh uses.
declare module 'webtorrent' {
  import type { EventEmitter } from 'events';

  export interface Wire extends EventEmitter {
    peerId: string;
    type: string;
    remoteAddress?: string;
    amChoking: boolean;
    amInterested: boolean;
    peerChoking: boolean;
    peerInterested: boolean;
    /** Set by WebTorrent once the peer's bitfield shows every piece. */
    isSeeder?: boolean;
    uploaded: number;
    downloaded: number;
    extendedHandshake: Record<string, unknown>;
    peerExtendedHandshake: Record<string, unknown>;
    /** Extension name → the peer's id for it, from its extended handshake(s). */
    peerExtendedMapping: Record<string, number>;
    use(extension: unknown): void;
    extended(name: string, payload: Uint8Array): void;
    choke(): void;
    unchoke(): void;
    destroy(): void;
    uploadSpeed(): number;
    downloadSpeed(): number;
    /** Asks the peer for a block; `cb` gets it, or an error when the request ends without data. */
    request(index: number, offset: number, length: number, cb?: (err: Error | null, chunk: Uint8Array | null) => void): void;
    /** Sends a block. */
    piece(index: number, offset: number, buffer: Uint8Array): void;
    destroyed: boolean;
  }

  export interface TorrentFile {
    name: string;
    path: string;
    length: number;
    downloaded: number;
    progress: number;
    type: string;
    streamURL: string;
    blob(): Promise<Blob>;
    streamTo(element: HTMLMediaElement): void;
  }

  export interface Torrent extends EventEmitter {
    infoHash: string;
    magnetURI: string;
    torrentFile: Uint8Array;
    name: string;
    length: number;
    files: TorrentFile[];
    wires: Wire[];
    progress: number;
    downloaded: number;
    uploaded: number;
    downloadSpeed: number;
    uploadSpeed: number;
    numPeers: number;
    timeRemaining: number;
    ready: boolean;
    done: boolean;
    paused: boolean;
    pieceLength: number;
    lastPieceLength: number;
    pieces: unknown[];
    bitfield: { get(index: number): boolean } | undefined;
    store: { get(index: number, cb: (err: Error | null, buf?: Uint8Array | null) => void): void } | null;
    _rechoke(): void;
    destroy(opts?: { destroyStore?: boolean }, cb?: (err?: Error) => void): void;
    addPeer(peer: unknown): boolean;
  }

  export interface TorrentOptions {
    announce?: string[];
    name?: string;
    private?: boolean;
    store?: unknown;
    storeCacheSlots?: number;
  }

  export default class WebTorrent extends EventEmitter {
    constructor(opts?: Record<string, unknown>);
    peerId: string;
    torrents: Torrent[];
    add(torrentId: string | Uint8Array | File, opts?: TorrentOptions, onTorrent?: (t: Torrent) => void): Torrent;
    seed(input: File | File[] | Blob | Blob[], opts?: TorrentOptions, onSeed?: (t: Torrent) => void): Torrent;
    /** Bytes per second for all uploads together; -1 lifts the cap. */
    throttleUpload(rate: number): boolean | void;
    get(torrentId: string): Promise<Torrent | null>;
    remove(torrentId: string | Torrent, opts?: { destroyStore?: boolean }, cb?: (err?: Error) => void): Promise<void>;
    createServer(opts: { controller: ServiceWorkerRegistration }): unknown;
    destroy(cb?: (err?: Error) => void): void;
  }
}
