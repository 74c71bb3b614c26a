/** A link: the one stream that carries every circuit between two neighbours. */
export interface CircuitLink {
  /** The neighbour's Ed25519 identity, authenticated by the connection (libp2p noise). */
  readonly remoteKey: Uint8Array;
  /** Writes one frame; resolves when the stream took it, which is the back-pressure. */
  send(frame: Uint8Array): Promise<void>;
  close(): void;
}
