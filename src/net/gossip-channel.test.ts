import { describe, expect, it } from 'vitest';
import { judgeAnnouncement, type OfferResult as AnnouncementOutcome } from '../circuits/relay-directory.ts';
import { judgeRecord, type OfferResult as RecordOutcome } from '../discovery/catalogue.ts';
import { verdictOf } from './gossip-channel.ts';

describe('what a store’s outcome means on a gossip topic', () => {
  it('passes on only what is new, and holds against the sender only what is invalid by itself', () => {
    const announcements: Record<AnnouncementOutcome, string> = { new: 'accept', known: 'ignore', stale: 'ignore', expired: 'ignore', future: 'ignore', 'bad-signature': 'reject', crowded: 'ignore' };
    for (const [outcome, verdict] of Object.entries(announcements)) expect(verdictOf(judgeAnnouncement(outcome as AnnouncementOutcome)), outcome).toBe(verdict);
    // Expiry, clock skew and our own limits say nothing of the sender; a forged record does.
    const records: Record<RecordOutcome, string> = { new: 'accept', known: 'ignore', stale: 'ignore', expired: 'ignore', future: 'ignore', rate: 'ignore', full: 'ignore', invalid: 'reject' };
    for (const [outcome, verdict] of Object.entries(records)) expect(verdictOf(judgeRecord(outcome as RecordOutcome)), outcome).toBe(verdict);
  });
});
