/** An in-memory network of ledger transports (tests): messages are encoded and decoded as on the wire. */
import { decodeLedgerMessage, encodeLedgerMessage, type LedgerMessage } from './ledger-wire.ts';
import { PeerUnreachableError, type LedgerHandler, type LedgerTransport, type PeerRef } from './ledger-transport.ts';

export class MemoryHub {
  private readonly nodes = new Map<string, { ref: PeerRef; handler?: LedgerHandler; links: Set<string> }>();
  /** Sees every message delivered (what tests assert about traffic). */
  private readonly taps = new Set<(from: string, to: string, message: LedgerMessage) => void>();

  tap(listener: (from: string, to: string, message: LedgerMessage) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  join(ref: PeerRef): LedgerTransport {
    const node: { ref: PeerRef; handler?: LedgerHandler; links: Set<string> } = { ref, links: new Set() };
    this.nodes.set(ref.id, node);
    const deliver = async (to: PeerRef, bytes: Uint8Array): Promise<Uint8Array | undefined> => {
      const target = this.nodes.get(to.id);
      if (target?.handler === undefined || !node.links.has(to.id)) throw new PeerUnreachableError(`${to.id} is not connected`);
      const message = decodeLedgerMessage(bytes);
      for (const t of this.taps) t(ref.id, to.id, message);
      const res = await target.handler(ref, message);
      return res === undefined ? undefined : encodeLedgerMessage(res);
    };
    return {
      async request(peer, message, timeoutMs) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new PeerUnreachableError('timed out')), timeoutMs)));
        try {
          const res = await Promise.race([deliver(peer, encodeLedgerMessage(message)), timeout]);
          if (res === undefined) throw new PeerUnreachableError('no response');
          return decodeLedgerMessage(res);
        } finally {
          clearTimeout(timer);
        }
      },
      async send(peer, message) {
        await deliver(peer, encodeLedgerMessage(message));
      },
      peers: () => [...node.links].map((id) => this.nodes.get(id)?.ref).filter((r): r is PeerRef => r !== undefined),
      serve(handler) {
        node.handler = handler;
      },
      stop: () => {
        for (const other of this.nodes.values()) other.links.delete(ref.id);
        this.nodes.delete(ref.id);
      },
    };
  }

  connect(a: string, b: string): void {
    this.nodes.get(a)?.links.add(b);
    this.nodes.get(b)?.links.add(a);
  }

  disconnect(a: string, b: string): void {
    this.nodes.get(a)?.links.delete(b);
    this.nodes.get(b)?.links.delete(a);
  }
}
