/** A tab running the app, with the reads and waits tests need. */
import { expect, type BrowserContext, type Page } from '@playwright/test';

/** How long a tab may take to start running (see open). */
const START_TIMEOUT_MS = 60_000;

export class PeerPage {
  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
    readonly url: string,
  ) {}

  /** What the page logged as errors or warnings, kept for failure messages. */
  private readonly logged: string[] = [];

  /** Opens the app on its Network page, where the peer table is. */
  async open(): Promise<this> {
    this.page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.logged.push(`${m.type()}: ${m.text()}`.slice(0, 300));
    });
    this.page.on('pageerror', (e) => this.logged.push(`pageerror: ${e.message}`.slice(0, 300)));
    await this.page.goto(`${this.url}#/network`);
    try {
      // A bound on a start that never ends, not on speed: seven tabs starting at once on 2 cores took up to 18 s each.
      await expect(this.page.getByTestId('fingerprint')).toBeVisible({ timeout: START_TIMEOUT_MS });
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- how far this tab's start got:\n${await this.startupDiagnostics()}`);
    }
    return this;
  }

  /** The start-up steps the tab marked (ms after navigation), what it shows and what it logged. */
  async startupDiagnostics(): Promise<string> {
    const marks = await this.page
      .evaluate(() => performance.getEntriesByType('mark').map((m) => `${m.name} ${Math.round(m.startTime)}`))
      .catch((err: Error) => [`(unreadable: ${err.message})`]);
    const shown = await this.page.locator('body').innerText().catch(() => '');
    return [`marks: ${marks.join(', ') || 'none'}`, `shows: ${shown.slice(0, 300).replace(/\s+/g, ' ')}`, `logged: ${this.logged.slice(-15).join(' | ') || 'nothing'}`].join('\n');
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
