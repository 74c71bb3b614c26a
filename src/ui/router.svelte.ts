/** Hash routing: the app is one page that works offline, so routes never hit the server. */
export const ROUTES = [
  { path: 'files', label: 'Files' },
  { path: 'discover', label: 'Discover' },
  { path: 'mining', label: 'Mining' },
  { path: 'network', label: 'Network' },
  { path: 'ledger', label: 'Ledger' },
  { path: 'market', label: 'Market' },
  { path: 'circuits', label: 'Circuits' },
  { path: 'identity', label: 'Identity' },
  { path: 'settings', label: 'Settings' },
] as const;

export type Route = (typeof ROUTES)[number]['path'];

function parse(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  return ROUTES.find((r) => r.path === path)?.path ?? 'files';
}

export function createRouter(): { readonly route: Route } {
  let route = $state(parse(location.hash));
  const update = (): void => {
    route = parse(location.hash);
  };
  window.addEventListener('hashchange', update);
  return {
    get route() {
      return route;
    },
  };
}
