/**
 * Where this peer finds its relays and trackers. Pure: the page passes in its
 * location, query string, saved setting and build-time value.
 *
 * Priority: `?relay=` in the link > the relay saved in settings > the build's
 * VITE_TRUSTMESH_RELAYS > the page's own host on the default relay ports.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';

/** Default relay ports (see relay/config.ts). */
export const DEFAULT_RELAY_P2P_PORT = 9090;
export const DEFAULT_RELAY_HTTP_PORT = 9091;
/** A page lists a handful of relays at most; more is a mistake or an attack on the gater. */
export const MAX_RELAYS = 8;

export type RelayAddress =
  | { readonly text: string; readonly ok: true; readonly multiaddr: Multiaddr; readonly endpoint: string }
  | { readonly text: string; readonly ok: false; readonly error: string };

export interface NetConfig {
  readonly relays: readonly RelayAddress[];
  /** WebTorrent WebSocket tracker URLs. */
  readonly trackers: readonly string[];
  /**
   * STUN/TURN servers for WebRTC (NAT traversal). Undefined: libp2p's defaults
   * (public STUN servers); empty: host candidates only (one LAN or machine).
   */
  readonly iceServers: readonly string[] | undefined;
  /** Where the relays came from, for the settings page. */
  readonly relaySource: 'link' | 'settings' | 'build' | 'default';
}

export interface NetConfigInput {
  location: { protocol: string; hostname: string };
  search: string;
  savedRelays?: string | undefined;
  buildRelays?: string | undefined;
  buildTrackers?: string | undefined;
  buildIceServers?: string | undefined;
}

/** `ice=none` in a link or build setting means "no STUN/TURN". */
function parseIceServers(value: string | undefined | null): string[] | undefined {
  if (value === undefined || value === null || value.trim() === '') return undefined;
  if (value.trim() === 'none') return [];
  return splitList(value).filter((u) => /^(stun|stuns|turn|turns):/.test(u));
}

function hostComponent(hostname: string): string {
  if (hostname.includes(':')) return `/ip6/${hostname.replace(/^\[|\]$/g, '')}`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(hostname)) return `/ip4/${hostname}`;
  return `/dns4/${hostname}`;
}

/** host:port of a multiaddr's WebSocket endpoint, or undefined if it has none. */
export function webSocketEndpoint(ma: Multiaddr): string | undefined {
  const components = ma.getComponents();
  // `/tls/ws` is spelled with ws; `/tls` alone is raw TLS, which browsers cannot dial.
  if (!components.some((c) => c.name === 'ws' || c.name === 'wss')) return undefined;
  const host = components.find((c) => ['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr'].includes(c.name));
  const port = components.find((c) => c.name === 'tcp');
  if (host?.value === undefined || port?.value === undefined) return undefined;
  return `${host.value.toLowerCase()}:${port.value}`;
}

export function parseRelayAddress(text: string): RelayAddress {
  let ma: Multiaddr;
  try {
    ma = multiaddr(text);
  } catch (err) {
    return { text, ok: false, error: `"${text}" is not a valid multiaddr (${(err as Error).message})` };
  }
  const endpoint = webSocketEndpoint(ma);
  if (endpoint === undefined) {
    return { text, ok: false, error: `"${text}" is not a WebSocket address; browsers reach relays over /ws or /wss, e.g. /dns4/relay.example.org/tcp/443/wss` };
  }
  return { text, ok: true, multiaddr: ma, endpoint };
}

function splitList(value: string): string[] {
  return value.split(/[,\s]+/).map((s) => s.trim()).filter((s) => s.length > 0).slice(0, MAX_RELAYS);
}

export function resolveNetConfig(input: NetConfigInput): NetConfig {
  const params = new URLSearchParams(input.search);
  const secure = input.location.protocol === 'https:';
  // A page opened from a file has no hostname; its relay and tracker are then on this machine.
  const pageHost = input.location.hostname || 'localhost';
  const host = hostComponent(pageHost);
  const defaultRelay = secure ? `${host}/tcp/443/wss` : `${host}/tcp/${DEFAULT_RELAY_P2P_PORT}/ws`;

  // Each relay= parameter is capped by splitList; their union must be too.
  const fromLink = params.getAll('relay').flatMap(splitList).slice(0, MAX_RELAYS);
  const fromSettings = splitList(input.savedRelays ?? '');
  const fromBuild = splitList(input.buildRelays ?? '');
  const [relaySource, texts]: [NetConfig['relaySource'], string[]] =
    fromLink.length > 0 ? ['link', fromLink]
      : fromSettings.length > 0 ? ['settings', fromSettings]
        : fromBuild.length > 0 ? ['build', fromBuild]
          : ['default', [defaultRelay]];

  // Browsers report IPv6 hosts in brackets ("[::1]"); URLs need exactly one pair.
  const bare = pageHost.replace(/^\[|\]$/g, '');
  const hostname = bare.includes(':') ? `[${bare}]` : bare;
  const defaultTracker = secure ? `wss://${hostname}` : `ws://${hostname}:${DEFAULT_RELAY_HTTP_PORT}`;
  const trackers = [...params.getAll('tracker').flatMap(splitList), ...splitList(input.buildTrackers ?? '')];
  return {
    relays: texts.map(parseRelayAddress),
    trackers: trackers.length > 0 ? trackers : [defaultTracker],
    iceServers: parseIceServers(params.get('ice')) ?? parseIceServers(input.buildIceServers),
    relaySource,
  };
}
