/** Test support (used only by *.test.ts): waiting on a condition against a deadline, never on sleeps or turn counts. */

/** Waits for a condition; the deadline is generous, so a machine busy with other work (CI) does not fail the test. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
