/**
 * The `trustmesh_pay` BEP 10 extension class WebTorrent instantiates per wire
 * (`wire.use(...)`), delegating to a PeerLink. Browser glue.
 */
import type { Wire } from 'webtorrent';
import { PAY_EXTENSION } from './constants.ts';
import type { PeerLink } from './peer-link.ts';

export function payExtension(linkFor: (wire: Wire) => PeerLink): unknown {
  class TrustmeshPay {
    private readonly link: PeerLink;
    constructor(wire: Wire) {
      this.link = linkFor(wire);
    }
    onExtendedHandshake(handshake: Record<string, unknown>): void {
      void this.link.onExtendedHandshake(handshake);
    }
    onMessage(bytes: Uint8Array): void {
      this.link.onMessage(bytes);
    }
  }
  (TrustmeshPay.prototype as unknown as { name: string }).name = PAY_EXTENSION;
  return TrustmeshPay;
}
