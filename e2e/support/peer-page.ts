/** A tab running the app, with the reads and waits tests need. */
import { expect, type BrowserContext, type Page } from '@playwright/test';

export class PeerPage {
  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly url: string,
  ) {}

  /** Opens the app on its Network page, where the peer table is. */
  async open(): Promise<this> {
    await this.page.goto(`${this.url}#/network`);
    await expect(this.page.getByTestId('fingerprint')).toBeVisible();
    return this;
  }

  async fingerprint(): Promise<string> {
    return (await this.page.getByTestId('fingerprint').textContent())?.trim() ?? '';
  }

  async peerId(): Promise<string> {
    return (await this.page.getByTestId('fingerprint').getAttribute('data-peer-id')) ?? '';
  }

  directPeerRows() {
    return this.page.locator('[data-testid="peer-row"][data-transport="webrtc"]');
  }

  async directPeerIds(): Promise<string[]> {
    return this.directPeerRows().evaluateAll((els) => els.map((e) => e.getAttribute('data-peer-id') ?? ''));
  }

  /** Waits until each of `peerIds` shows as a direct WebRTC peer; on failure, says what this tab saw. */
  async expectDirectPeers(peerIds: string[], timeout = 60_000): Promise<void> {
    try {
      await expect.poll(async () => {
        const direct = new Set(await this.directPeerIds());
        return peerIds.filter((id) => !direct.has(id));
      }, { timeout, message: 'peers not (yet) shown as direct WebRTC' }).toEqual([]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- what this tab saw:\n${await this.diagnostics()}`);
    }
  }

  /** Relay state, own addresses and pending dials, for failure messages. */
  async diagnostics(): Promise<string> {
    const text = (sel: string): Promise<string[]> => this.page.locator(sel).allInnerTexts().catch(() => []);
    return [
      `peer ${await this.peerId()}`,
      `relay: ${(await text('[data-testid="relay-status"]')).join(' | ')}`,
      `addresses: ${(await text('[data-testid="my-addresses"] li')).join(' | ') || 'none'}`,
      `peers: ${(await text('[data-testid="peer-row"]')).join(' | ') || 'none'}`,
      `pending: ${(await text('[data-testid="pending-peer"]')).join(' | ') || 'none'}`,
    ].join('\n');
  }

  async relayState(): Promise<string | null> {
    return this.page.getByTestId('relay-status').first().getAttribute('data-state');
  }
}
