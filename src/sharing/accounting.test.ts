import { describe, expect, it } from 'vitest';
import { DownloadAccount, UploadAccount } from './accounting.ts';
import { DebtBook } from './debt-book.ts';
import { ACK_EVERY_BYTES, DEBTOR_PROPOSE_EVERY_BYTES, MAX_HASH_FAILURES, MAX_PENDING_PROPOSALS, MAX_UNREQUESTED_BYTES, MIN_SETTLEMENT_BYTES, PROPOSE_EVERY_BYTES, UNPAID_WINDOW_BYTES } from './constants.ts';

const big = (n: number): bigint => BigInt(n);
/** A connection of a key seen for the first time. */
const newUpload = (): UploadAccount => new UploadAccount(new DebtBook(() => 0).account('k'));

describe('UploadAccount', () => {
  it('proposes acknowledged bytes every step, a second while the first awaits its agreement, and no third', () => {
    const u = newUpload();
    u.onSent(PROPOSE_EVERY_BYTES * 4);
    u.onAck(big(PROPOSE_EVERY_BYTES - 1));
    expect(u.nextProposal()).toBeUndefined();
    u.onAck(big(PROPOSE_EVERY_BYTES + 100));
    expect(u.nextProposal()).toBe(big(PROPOSE_EVERY_BYTES + 100));
    u.onProposed(big(PROPOSE_EVERY_BYTES + 100));
    u.onAck(big(PROPOSE_EVERY_BYTES * 2));
    expect(u.nextProposal()).toBeUndefined(); // less than a step since the first
    u.onAck(big(PROPOSE_EVERY_BYTES * 2 + 100));
    expect(u.nextProposal()).toBe(big(PROPOSE_EVERY_BYTES));
    u.onProposed(big(PROPOSE_EVERY_BYTES));
    expect(u.pendingCount).toBe(MAX_PENDING_PROPOSALS);
    u.onAck(big(PROPOSE_EVERY_BYTES * 4));
    expect(u.nextProposal()).toBeUndefined(); // two await their agreements
    // Answers may come in any order; each settles its own amount.
    u.onAgreed(big(PROPOSE_EVERY_BYTES));
    expect(u.agreed).toBe(big(PROPOSE_EVERY_BYTES));
    expect(u.pending).toBe(big(PROPOSE_EVERY_BYTES + 100));
    expect(u.nextProposal()).toBe(big(PROPOSE_EVERY_BYTES * 2 - 100));
    u.onAgreed(big(PROPOSE_EVERY_BYTES + 100));
    expect(u.agreed).toBe(big(PROPOSE_EVERY_BYTES * 2 + 100));
    expect(u.nextProposal(true)).toBe(big(PROPOSE_EVERY_BYTES * 2 - 100));
  });

  it('keeps a final settlement asked while two proposals are in flight, and drops it once proposed', () => {
    const u = newUpload();
    const step = big(PROPOSE_EVERY_BYTES);
    const tail = big(MIN_SETTLEMENT_BYTES * 2);
    u.onSent(PROPOSE_EVERY_BYTES * 8);
    u.onAck(step);
    u.onProposed(u.nextProposal()!);
    u.onAck(step * 2n);
    u.onProposed(u.nextProposal()!);
    // Refused (over its window) with a tail acknowledged: settle it, but two await their agreements.
    u.onAck(step * 2n + tail);
    u.askFinal();
    expect(u.nextProposal()).toBeUndefined();
    u.onAgreed(step);
    expect(u.nextProposal()).toBe(tail);
    u.onProposed(tail);
    u.onAgreed(step);
    u.onAgreed(tail);
    // Served again: it pays in steps, not at every acknowledgement.
    u.onAck(step * 2n + tail + big(ACK_EVERY_BYTES));
    expect(u.nextProposal()).toBeUndefined();
    u.onAck(step * 3n + tail);
    expect(u.nextProposal()).toBe(step);
  });

  it('beside a proposal in flight, asks a debtor for a full step, not one per acknowledgement', () => {
    const u = newUpload();
    const debtor = big(DEBTOR_PROPOSE_EVERY_BYTES);
    u.onSent(PROPOSE_EVERY_BYTES * 2);
    u.onAck(debtor);
    u.onProposed(u.nextProposal(false, debtor)!);
    u.onAck(debtor * 2n);
    expect(u.nextProposal(false, debtor)).toBeUndefined();
    u.onAck(debtor + big(PROPOSE_EVERY_BYTES));
    expect(u.nextProposal(false, debtor)).toBe(big(PROPOSE_EVERY_BYTES));
    // Once nothing is in flight, its own step again.
    u.onAgreed(debtor);
    expect(u.nextProposal(false, debtor)).toBe(big(PROPOSE_EVERY_BYTES));
  });

  it('proposes at the step it is given: a debtor pays at every acknowledgement', () => {
    const u = newUpload();
    u.onSent(PROPOSE_EVERY_BYTES);
    u.onAck(big(DEBTOR_PROPOSE_EVERY_BYTES - 1));
    expect(u.nextProposal(false, big(DEBTOR_PROPOSE_EVERY_BYTES))).toBeUndefined();
    u.onAck(big(DEBTOR_PROPOSE_EVERY_BYTES));
    expect(u.nextProposal()).toBeUndefined();
    expect(u.nextProposal(false, big(DEBTOR_PROPOSE_EVERY_BYTES))).toBe(big(DEBTOR_PROPOSE_EVERY_BYTES));
  });

  it('keeps the key\'s payments in flight, over its connections, until each is agreed or unanswered', () => {
    const debt = new DebtBook(() => 0).account('k');
    const [one, two] = [new UploadAccount(debt), new UploadAccount(debt)];
    for (const u of [one, two]) {
      u.onSent(PROPOSE_EVERY_BYTES);
      u.onAck(big(PROPOSE_EVERY_BYTES));
      u.onProposed(u.nextProposal()!);
    }
    expect(debt.inFlight).toBe(big(2 * PROPOSE_EVERY_BYTES));
    one.onAgreed(big(PROPOSE_EVERY_BYTES));
    expect(debt.inFlight).toBe(big(PROPOSE_EVERY_BYTES));
    two.onUnanswered(big(PROPOSE_EVERY_BYTES));
    expect(debt.inFlight).toBe(0n);
  });

  it('never lets an ack claim more than was sent', () => {
    const u = newUpload();
    u.onSent(1000);
    u.onAck(10n ** 12n);
    expect(u.acked).toBe(1000n);
  });

  it('settles a worthwhile remainder at the end, not crumbs', () => {
    const u = newUpload();
    u.onSent(MIN_SETTLEMENT_BYTES - 1);
    u.onAck(big(MIN_SETTLEMENT_BYTES - 1));
    expect(u.nextProposal(true)).toBeUndefined();
    u.onSent(1);
    u.onAck(big(MIN_SETTLEMENT_BYTES));
    expect(u.nextProposal(true)).toBe(big(MIN_SETTLEMENT_BYTES));
  });

  it('settles the tail of a transfer it was paid for, however small: a file is paid to its last byte', () => {
    const u = newUpload();
    u.onSent(DEBTOR_PROPOSE_EVERY_BYTES + 100);
    u.onAck(big(DEBTOR_PROPOSE_EVERY_BYTES));
    u.onProposed(u.nextProposal(false, big(DEBTOR_PROPOSE_EVERY_BYTES))!);
    u.onAck(big(DEBTOR_PROPOSE_EVERY_BYTES + 100));
    expect(u.nextProposal(true)).toBeUndefined(); // crumbs, and nothing agreed yet: the step in flight may be refused
    u.onAgreed(big(DEBTOR_PROPOSE_EVERY_BYTES));
    expect(u.nextProposal(false, big(DEBTOR_PROPOSE_EVERY_BYTES))).toBeUndefined();
    expect(u.nextProposal(true)).toBe(100n);
  });

  it('chokes a peer holding more than the unpaid window', () => {
    const u = newUpload();
    u.onSent(UNPAID_WINDOW_BYTES);
    expect(u.overWindow()).toBe(false);
    u.onSent(1);
    expect(u.overWindow()).toBe(true);
    u.onAck(u.sent);
    u.onProposed(u.sent);
    expect(u.overWindow()).toBe(true); // a proposal in flight is not a payment
    u.onAgreed(u.sent);
    expect(u.overWindow()).toBe(false);
  });

  it('leaves a refused proposal unpaid', () => {
    const u = newUpload();
    u.onSent(PROPOSE_EVERY_BYTES);
    u.onAck(big(PROPOSE_EVERY_BYTES));
    u.onProposed(big(PROPOSE_EVERY_BYTES));
    u.onUnanswered(big(PROPOSE_EVERY_BYTES));
    expect(u.agreed).toBe(0n);
    expect(u.pending).toBe(0n);
    expect(u.carryable).toBe(big(PROPOSE_EVERY_BYTES));
  });
});

describe('DownloadAccount', () => {
  it('agrees only to what was credited and not yet paid', () => {
    const d = new DownloadAccount();
    d.credit(1000);
    expect(d.canAgree(1001n)).toBe(false);
    expect(d.canAgree(0n)).toBe(false);
    expect(d.canAgree(1000n)).toBe(true);
    d.onAgreed(600n);
    expect(d.canAgree(401n)).toBe(false);
    expect(d.canAgree(400n)).toBe(true);
  });

  it('acknowledges in steps, and everything at the end', () => {
    const d = new DownloadAccount();
    d.credit(ACK_EVERY_BYTES - 1);
    expect(d.ackDue()).toBeUndefined();
    expect(d.ackDue(true)).toBe(big(ACK_EVERY_BYTES - 1));
    expect(d.ackDue(true)).toBeUndefined();
    d.credit(ACK_EVERY_BYTES);
    expect(d.ackDue()).toBe(big(2 * ACK_EVERY_BYTES - 1));
  });

  it('drops a peer at MAX_HASH_FAILURES strikes', () => {
    const d = new DownloadAccount();
    for (let i = 1; i < MAX_HASH_FAILURES; i++) expect(d.strike()).toBe(false);
    expect(d.strike()).toBe(true);
    expect(d.strikes).toBe(MAX_HASH_FAILURES);
  });

  it('never credits unrequested bytes, and drops a peer past MAX_UNREQUESTED_BYTES', () => {
    const d = new DownloadAccount();
    expect(d.onUnrequested(MAX_UNREQUESTED_BYTES)).toBe(false);
    expect(d.onUnrequested(1)).toBe(true);
    expect(d.verified).toBe(0n);
    expect(d.canAgree(1n)).toBe(false);
  });
});
