/**
 * Small per-identity state kept in the browser's localStorage (browser glue): a hidden
 * seeder's guard relays (guards.ts), relays found keeping payments (relay-choice.ts).
 */

export interface GuardStore {
  load(): string | null;
  save(state: string): void;
}

/** Guards in localStorage, per identity; a page without storage keeps them for the session. */
export function localGuardStore(identityHex: string): GuardStore {
  return localStateStore('guards', identityHex);
}

/** State `name` in localStorage, per identity; a page without storage keeps it for the session. */
export function localStateStore(name: string, identityHex: string): GuardStore {
  const key = `trustmesh.${name}.${identityHex}`;
  let memory: string | null = null;
  return {
    load: () => {
      try {
        return localStorage.getItem(key);
      } catch {
        return memory;
      }
    },
    save: (state) => {
      memory = state;
      try {
        localStorage.setItem(key, state);
      } catch {
        // Kept in memory only.
      }
    },
  };
}
