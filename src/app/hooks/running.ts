/** The running session's parts, for test hooks; throws while the peer is not running. */
import type { AppSession } from '../app-session.ts';

export function running(session: AppSession) {
  const s = session.current;
  if (s.phase !== 'running') throw new Error(`peer not running (${s.phase})`);
  return s;
}
