/** Where a hidden seeder's guard relays (guards.ts) are kept in the browser: localStorage, per identity (browser glue). */

export interface GuardStore {
  load(): string | null;
  save(state: string): void;
}

/** Guards in localStorage, per identity; a page without storage keeps them for the session. */
export function localGuardStore(identityHex: string): GuardStore {
  const key = `trustmesh.guards.${identityHex}`;
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
