/**
 * Interception points of the ledger that only a test build fills in (see
 * src/app/fault-seams.ts). Empty in production: every field is optional and unset.
 */
export interface LedgerSeams {}
