import { describe, expect, it } from 'vitest';
import { ACK_EVERY_BYTES, DEBTOR_MARGIN_BYTES, DEBTOR_PROPOSE_EVERY_BYTES, DEFAULT_POLICY, MAX_UNPAID_WINDOW_BYTES, PROPOSE_EVERY_BYTES, STOCK_ALLOWANCE_BYTES, UNPAID_WINDOW_BYTES, type PolicyConfig } from './constants.ts';
import { allocateSlots, newcomerSlots, proposalStep, standing, unpaidWindow, type PeerFacts } from './policy.ts';

const MiB = 1024n * 1024n;
const config: PolicyConfig = { ...DEFAULT_POLICY, thresholdBytes: -100n * MiB, uploadSlots: 4, newcomerShare: 0.25, newcomerChainLength: 5 };
const peer = (id: string, over: Partial<PeerFacts> = {}): PeerFacts => ({
  id,
  interested: true,
  hasExtension: true,
  identified: true,
  balance: 0n,
  chainLength: 10,
  fraudster: false,
  unpaidBytes: 0n,
  ...over,
});
let seed = 7;
const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);

describe('standing', () => {
  it('refuses fraudsters always, even with a great balance', () => {
    expect(standing(peer('a', { fraudster: true, balance: 10n ** 12n }), config)).toMatchObject({ kind: 'refused', reason: 'fraudster' });
  });

  it('refuses a verified balance below the threshold, saying both figures', () => {
    expect(standing(peer('a', { balance: -101n * MiB }), config)).toEqual({ kind: 'refused', reason: 'balance', balance: -101n * MiB, threshold: -100n * MiB });
    expect(standing(peer('a', { balance: -100n * MiB }), config).kind).toBe('member');
  });

  it('refuses a peer over its unpaid window until it pays', () => {
    expect(standing(peer('a', { unpaidBytes: BigInt(UNPAID_WINDOW_BYTES) + 1n }), config)).toMatchObject({ reason: 'unpaid' });
  });

  it('grows a key\'s window by what it paid this session, never past the maximum; a fresh key or an anonymous one gets the base', () => {
    const window = BigInt(UNPAID_WINDOW_BYTES);
    const owing = (unpaidBytes: bigint, paidBytes?: bigint) => standing(peer('a', { unpaidBytes, paidBytes }), config);
    expect(owing(window + 4n * MiB)).toMatchObject({ reason: 'unpaid' });
    expect(owing(window + 4n * MiB, 4n * MiB).kind).toBe('member');
    expect(owing(window + 4n * MiB + 1n, 4n * MiB)).toMatchObject({ reason: 'unpaid' });
    // A key that paid a gigabyte and then stops paying holds at most the maximum.
    expect(owing(BigInt(MAX_UNPAID_WINDOW_BYTES), 1024n * MiB).kind).toBe('member');
    expect(owing(BigInt(MAX_UNPAID_WINDOW_BYTES) + 1n, 1024n * MiB)).toMatchObject({ reason: 'unpaid' });
    expect(standing(peer('a', { anonymous: true, unpaidBytes: window + 1n, paidBytes: 1024n * MiB }), config)).toMatchObject({ reason: 'unpaid' });
  });

  it('treats short chains and stock peers as newcomers, or refuses stock peers if configured', () => {
    expect(standing(peer('a', { chainLength: 2 }), config).kind).toBe('newcomer');
    expect(standing(peer('a', { hasExtension: false, identified: false }), config).kind).toBe('newcomer');
    expect(standing(peer('a', { hasExtension: false }), { ...config, stockPeers: 'refuse' })).toMatchObject({ reason: 'stock' });
  });

  it('holds a Trustmesh peer that has not proven its key yet: neither served nor refused', () => {
    expect(standing(peer('a', { identified: false }), config).kind).toBe('pending');
    expect([...allocateSlots([peer('a', { identified: false })], config, new Set(), random).unchoke]).toEqual([]);
  });

  it('refuses stock clients together once their shared allowance is spent', () => {
    const stock = (unpaid: bigint) => peer('s', { hasExtension: false, identified: false, unpaidBytes: unpaid });
    expect(standing(stock(BigInt(STOCK_ALLOWANCE_BYTES)), config).kind).toBe('newcomer');
    expect(standing(stock(BigInt(STOCK_ALLOWANCE_BYTES) + 1n), config)).toMatchObject({ kind: 'refused', reason: 'unpaid' });
  });
});

describe('balance less what a peer owes us now', () => {
  const threshold = -1n * MiB;
  const c = { ...config, thresholdBytes: threshold };

  it('refuses a free-rider the moment its debt crosses the threshold, before any payment shows', () => {
    expect(standing(peer('f', { balance: undefined, chainLength: 0, unpaidBytes: MiB }), c).kind).toBe('newcomer');
    expect(standing(peer('f', { balance: undefined, chainLength: 0, unpaidBytes: MiB + 1n }), c)).toEqual({ kind: 'refused', reason: 'balance', balance: -MiB - 1n, threshold });
  });

  it('keeps the same standing while a payment is agreed but not yet in the balance read earlier', () => {
    const before = standing(peer('f', { balance: 0n, unpaidBytes: 2n * MiB }), c);
    const paidNotRead = standing(peer('f', { balance: 0n, unpaidBytes: MiB, paidSinceBalance: MiB }), c);
    const read = standing(peer('f', { balance: -MiB, unpaidBytes: MiB, paidSinceBalance: 0n }), c);
    expect(before).toEqual({ kind: 'refused', reason: 'balance', balance: -2n * MiB, threshold });
    expect(paidNotRead).toEqual(before);
    expect(read).toEqual(before);
  });

  it('counts what a peer\'s own signed head admits when it is less than verified: a free-rider drawing from several seeders is refused by each at the threshold, not once the crawl catches up', () => {
    // Verified at 0 a while ago; since then it paid three other seeders 0.4 MiB each, which its head shows.
    const drawing = peer('f', { balance: 0n, admittedNet: -(12n * MiB) / 10n, unpaidBytes: 0n });
    expect(standing(drawing, c)).toEqual({ kind: 'refused', reason: 'balance', balance: -(12n * MiB) / 10n, threshold });
    expect(standing(peer('f', { balance: 0n, unpaidBytes: 0n }), c).kind).toBe('member');
    // Not yet verified at all: an admitted debt still counts (a newcomer that admits nothing stays a newcomer).
    expect(standing(peer('f', { balance: undefined, chainLength: 3, admittedNet: -2n * MiB }), c)).toMatchObject({ kind: 'refused', reason: 'balance' });
    expect(standing(peer('f', { balance: undefined, chainLength: 3 }), c).kind).toBe('newcomer');
  });

  it('never raises a balance by what a head claims: a forged or unconfirmed credit counts for nothing', () => {
    expect(standing(peer('f', { balance: -2n * MiB, admittedNet: 50n * MiB }), c)).toMatchObject({ kind: 'refused', reason: 'balance', balance: -2n * MiB });
    expect(standing(peer('f', { balance: undefined, chainLength: 0, admittedNet: 50n * MiB, unpaidBytes: 2n * MiB }), c)).toMatchObject({ kind: 'refused', balance: -2n * MiB });
    // Payments since the verified read are counted once, whichever figure is lower.
    expect(standing(peer('f', { balance: 0n, paidSinceBalance: 2n * MiB, admittedNet: -MiB }), c)).toMatchObject({ kind: 'refused', balance: -2n * MiB });
  });

  it('asks a peer nearing the threshold to pay at every acknowledgement, so other seeders see its debts before it crosses theirs; others every proposal step', () => {
    expect(DEBTOR_PROPOSE_EVERY_BYTES).toBeLessThanOrEqual(ACK_EVERY_BYTES);
    const edge = config.thresholdBytes + BigInt(DEBTOR_MARGIN_BYTES);
    expect(proposalStep(peer('f', { balance: edge, unpaidBytes: 1n }), config)).toBe(BigInt(DEBTOR_PROPOSE_EVERY_BYTES));
    // Its own head admits less than the verified figure: the lower counts.
    expect(proposalStep(peer('f', { balance: edge + 8n * MiB, admittedNet: edge - MiB }), config)).toBe(BigInt(DEBTOR_PROPOSE_EVERY_BYTES));
    expect(proposalStep(peer('f', { balance: edge + 8n * MiB, unpaidBytes: 2n * MiB }), config)).toBe(BigInt(PROPOSE_EVERY_BYTES));
    expect(proposalStep(peer('f', { balance: edge }), config)).toBe(BigInt(PROPOSE_EVERY_BYTES));
    // The default threshold leaves a fresh key a download of more than 100 MiB at full steps.
    expect(proposalStep(peer('f', { balance: 0n, unpaidBytes: 100n * MiB }), DEFAULT_POLICY)).toBe(BigInt(PROPOSE_EVERY_BYTES));
  });

  it('steps at a quarter of the window a key holds: larger once it has paid, never for a fresh key or an anonymous peer', () => {
    const far = 10n ** 12n;
    expect(proposalStep(peer('f', { balance: far }), config)).toBe(BigInt(PROPOSE_EVERY_BYTES));
    expect(proposalStep(peer('f', { balance: far, paidBytes: 8n * MiB }), config)).toBe(unpaidWindow(8n * MiB) / 4n);
    expect(proposalStep(peer('f', { balance: far, paidBytes: 10n ** 12n }), config)).toBe(BigInt(MAX_UNPAID_WINDOW_BYTES / 4));
    expect(proposalStep(peer('f', { balance: far, paidBytes: 10n ** 12n, anonymous: true }), config)).toBe(BigInt(PROPOSE_EVERY_BYTES));
    expect(proposalStep(peer('f', { balance: far, paidBytes: 10n ** 12n, identified: false }), config)).toBe(BigInt(PROPOSE_EVERY_BYTES));
    // Two proposals in flight and the step being acknowledged stay inside the window: an honest payer is not choked for the step.
    for (const paid of [0n, 4n * MiB, 16n * MiB, 10n ** 12n]) {
      expect(3n * proposalStep(peer('f', { balance: far, paidBytes: paid }), config)).toBeLessThan(unpaidWindow(paid));
    }
  });

  it('a key that owes nearly its window cannot buy larger steps: the margin counts what it owes', () => {
    const justAbove = config.thresholdBytes + BigInt(DEBTOR_MARGIN_BYTES) + 10n * MiB;
    expect(proposalStep(peer('f', { balance: justAbove, paidBytes: 16n * MiB }), config)).toBe(BigInt(MAX_UNPAID_WINDOW_BYTES / 4));
    expect(proposalStep(peer('f', { balance: justAbove, paidBytes: 16n * MiB, unpaidBytes: 12n * MiB }), config)).toBe(BigInt(DEBTOR_PROPOSE_EVERY_BYTES));
  });

  it('ranks members by what they will have once they pay', () => {
    const peers = [peer('owes', { balance: 10n * MiB, unpaidBytes: 8n * MiB }), peer('even', { balance: 5n * MiB }), peer('x', { balance: 4n * MiB }), peer('y', { balance: 3n * MiB }), peer('z', { balance: 2n * MiB + 1n })];
    expect([...allocateSlots(peers, config, new Set(), random).unchoke].sort()).toEqual(['even', 'x', 'y', 'z']);
  });
});

describe('anonymous peers (over circuits)', () => {
  const anon = (id: string, over: Partial<PeerFacts> = {}) => peer(id, { identified: false, balance: undefined, chainLength: undefined, anonymous: true, ...over });

  it('rank as members with balance 0 while they pay, are refused past the unpaid window or a threshold above 0', () => {
    expect(standing(anon('a'), config)).toEqual({ kind: 'member', balance: 0n });
    expect(standing(anon('a', { unpaidBytes: BigInt(UNPAID_WINDOW_BYTES) + 1n }), config)).toMatchObject({ reason: 'unpaid' });
    expect(standing(anon('a'), { ...config, thresholdBytes: 1n })).toMatchObject({ reason: 'balance' });
  });

  it('all get served at a hidden seeder, not just the newcomer share', () => {
    const { unchoke } = allocateSlots(['a', 'b', 'c', 'd'].map((id) => anon(id)), config, new Set(), random);
    expect(unchoke.size).toBe(4);
  });
});

describe('allocateSlots', () => {
  it('gives newcomers at most their share, however many come', () => {
    expect(newcomerSlots(config)).toBe(1);
    const peers = [...Array.from({ length: 10 }, (_, i) => peer(`n${i}`, { chainLength: 1 })), peer('m1', { balance: 5n })];
    const { unchoke } = allocateSlots(peers, config, new Set(), random);
    expect([...unchoke].filter((id) => id.startsWith('n'))).toHaveLength(1);
    expect(unchoke.has('m1')).toBe(true);
  });

  it('ranks members by balance and hands unused newcomer slots to members', () => {
    const peers = ['a', 'b', 'c', 'd', 'e'].map((id, i) => peer(id, { balance: BigInt(i) * MiB }));
    const { unchoke } = allocateSlots(peers, config, new Set(), random);
    expect([...unchoke].sort()).toEqual(['b', 'c', 'd', 'e']);
  });

  it('never unchokes refused or uninterested peers', () => {
    const peers = [peer('rich', { balance: 10n * MiB }), peer('broke', { balance: -200n * MiB }), peer('idle', { interested: false }), peer('cheat', { fraudster: true })];
    const { unchoke, standings } = allocateSlots(peers, config, new Set(), random);
    expect([...unchoke]).toEqual(['rich']);
    expect(standings.get('broke')).toMatchObject({ kind: 'refused', reason: 'balance' });
  });

  it('keeps serving the newcomer it already serves rather than switching every round', () => {
    const peers = Array.from({ length: 6 }, (_, i) => peer(`n${i}`, { chainLength: 0 }));
    for (let round = 0; round < 5; round++) expect([...allocateSlots(peers, config, new Set(['n4']), random).unchoke]).toEqual(['n4']);
  });
});
