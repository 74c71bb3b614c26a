/**
 * End-to-end flow control figures (src/circuits/circuit-window.ts), on the
 * probe bench's chain of tabs: probe throughput with the default window
 * against one so large it never binds (no end-to-end flow control, as before
 * it came), and head-of-line blocking: a healthy circuit's throughput before
 * and while another circuit over the same links has a far end that stopped
 * reading.
 */
import type { Page } from '@playwright/test';
import { median, MiB, type Figure } from './env.ts';
import { circuits } from '../e2e/support/ledger.ts';
import { CIRCUIT_WINDOW_BYTES } from '../src/circuits/constants.ts';

const BYTES = 32 * MiB;
const RUNS = 3;
/** Seconds to wait for the stalled circuit to stop growing: a window of 2 MiB fills in well under one at these rates. */
const STALL_CHECKS = 30;
/** A window no transfer of the bench fills: the end-to-end flow control never binds. */
const UNBOUND_WINDOW = 1024 * MiB;

type Tab = { page: Page; peerId: string };

async function probeMiBps(origin: Page, path: string[], bytes: number): Promise<number> {
  const r = await circuits<{ ms: number }>(origin, 'probe', path[path.length - 1], path.slice(0, -1), bytes);
  return bytes / MiB / (r.ms / 1000);
}

/** Each tab's latest cuts for non-payment (who cut, how far behind its payer stood): what a failed probe reports. */
const paymentLogs = (tabs: Tab[]) => Promise.all(tabs.map((t) => circuits<string>(t.page, 'paymentLog')));

const setWindow = (tabs: Tab[], bytes: number | null) => Promise.all(tabs.map((t) => circuits(t.page, 'setCircuitWindow', bytes)));

/** `chain`: origin, r1, r2, r3, sink, each connected to the next. */
export async function flowFigures(chain: Tab[]): Promise<Figure[]> {
  const [origin, r1, r2, r3, sink] = chain as [Tab, Tab, Tab, Tab, Tab];
  const paths: Record<number, string[]> = { 1: [r1.peerId, sink.peerId], 3: [r1.peerId, r2.peerId, r3.peerId, sink.peerId] };
  const figures: Figure[] = [];
  const byWindow: Record<string, Record<number, number[]>> = { default: { 1: [], 3: [] }, unbound: { 1: [], 3: [] } };
  const cuts: Record<string, string[]> = { default: [], unbound: [] };
  // Not interleaved: with a window that never binds, a relay queues what its next link cannot take yet, and the
  // payments it passes on wait behind that queue, so its next hop may cut it for non-payment and the ledgers stay
  // busy with retries after (the reason the window exists). So every run with the window comes first, and the
  // head-of-line figures; the unbound runs last, where what they leave behind disturbs nothing measured.
  const runWith = async (w: 'default' | 'unbound'): Promise<void> => {
    await setWindow(chain, w === 'default' ? null : UNBOUND_WINDOW);
    for (let run = 0; run < RUNS; run++) {
      for (const h of [1, 3]) {
        // A probe whose circuit a relay cuts for payment is counted, not fatal: the figure is over the others.
        await probeMiBps(origin.page, paths[h]!, BYTES).then(
          (v) => byWindow[w]![h]!.push(v),
          async (err: Error) => cuts[w]!.push(`${h} hop(s): ${err.message.split('\n')[0]} (payment log by tab: ${(await paymentLogs(chain)).join(' ')})`),
        );
      }
    }
  };
  await runWith('default');
  const headOfLine = await headOfLineFigures(chain);
  await runWith('unbound');
  await setWindow(chain, null);
  for (const h of [1, 3]) {
    const before = median(byWindow.unbound![h]!);
    const after = median(byWindow.default![h]!);
    const runs = (w: string) => byWindow[w]![h]!.map((x) => x.toFixed(1)).join(', ');
    const cut = (w: string) => {
      const mine = cuts[w]!.filter((c) => c.startsWith(`${h} hop`));
      return mine.length === 0 ? '' : `; failed: ${mine.join('; ')}`;
    };
    figures.push({ section: 'circuits', name: `${h} hop${h > 1 ? 's' : ''}, no end-to-end window (before), ${BYTES / MiB} MiB`, value: before, unit: 'MiB/s', note: `runs: ${runs('unbound')}${cut('unbound')}` });
    figures.push({
      section: 'circuits',
      name: `${h} hop${h > 1 ? 's' : ''}, end-to-end window ${CIRCUIT_WINDOW_BYTES / MiB} MiB (after), ${BYTES / MiB} MiB`,
      value: after,
      unit: 'MiB/s',
      note: `${(after / before).toFixed(2)} × before; runs: ${runs('default')}${cut('default')}`,
    });
  }

  return [...figures, ...headOfLine];
}

/** Head of line: a healthy circuit's throughput alone, then beside a circuit whose far end stopped reading. */
async function headOfLineFigures(chain: Tab[]): Promise<Figure[]> {
  const [origin, r1, r2, r3] = chain as [Tab, Tab, Tab, Tab, Tab];
  const figures: Figure[] = [];
  // Head of line: the healthy circuit origin → r1 → r2 (far end r2); the stalled one origin → r1 → r2 → r3,
  // whose far end r3 stops reading its link from r2. They share the links origin–r1 and r1–r2.
  const healthy = [r1.peerId, r2.peerId];
  let aloneError = '';
  const alone = await probeMiBps(origin.page, healthy, BYTES).catch(async (err: Error) => {
    aloneError = `${err.message.split('\n')[0]} (payment log by tab: ${(await paymentLogs(chain)).join(' ')})`;
    return NaN;
  });
  let stalledError = '';
  const stalled = circuits(origin.page, 'probe', r3.peerId, [r1.peerId, r2.peerId], BYTES).catch((err: Error) => void (stalledError += ` probe: ${err.message.split('\n')[0]!}`));
  let beside = NaN;
  try {
    // Its far end stops reading once the circuit carries data: stopped before, it would never be built (the
    // extend to r3 crosses the same link), and nothing would stall.
    await r2.page.waitForFunction(() => (globalThis as any).__trustmesh.circuits.relayed().some((c: { bytes: number }) => c.bytes > 0), undefined, { timeout: 30_000 });
    await circuits(r3.page, 'setReadingFrom', r2.peerId, false);
    // Until it stalls: what r2 relayed on it stops growing for a second, its window held in the path (at most
    // STALL_CHECKS seconds: a bench never hangs).
    let last = -1;
    for (let check = 0; check < STALL_CHECKS; check++) {
      const now = await r2.page.evaluate(() => Math.max(0, ...(globalThis as any).__trustmesh.circuits.relayed().map((c: { bytes: number }) => c.bytes)));
      if (now === last) break;
      last = now;
      await r2.page.waitForTimeout(1000);
    }
    beside = await probeMiBps(origin.page, healthy, BYTES).catch(() => NaN);
  } catch (err) {
    stalledError += ` waiting for it to carry data: ${(err as Error).message.split('\n')[0]!}`;
  } finally {
    await circuits(r3.page, 'setReadingFrom', r2.peerId, true);
    await stalled;
  }
  figures.push({ section: 'circuits', name: `head of line: a 1-hop circuit alone, ${BYTES / MiB} MiB`, value: alone, unit: 'MiB/s', note: `before another circuit over the same links stalls${aloneError === '' ? '' : ` (failed: ${aloneError})`}` });
  figures.push({
    section: 'circuits',
    name: `head of line: the same beside a circuit whose far end stopped reading`,
    value: beside,
    unit: 'MiB/s',
    note: `${(beside / alone).toFixed(2)} × alone${stalledError === '' ? '' : ` (stalled probe: ${stalledError})`}; the stalled circuit holds its window and waits (before this, a relay's link reader waited on it, stalling both for up to 30 s)`,
  });
  return figures;
}
