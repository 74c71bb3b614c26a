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
