/**
 * Which Ethereum JSON-RPC endpoint the wallet uses. Pure: the page passes in
 * its query string, saved setting and build-time value.
 *
 * Priority: `?eth=` in the link > the endpoint saved in Settings > the build's
 * VITE_TRUSTMESH_ETH_RPC > none (the wallet then refuses chain operations with
 * NoEndpointError). Only http(s) URLs: the wallet talks JSON-RPC over HTTP.
 */
import { ETH_LINK_PARAM, MAX_ENDPOINT_LENGTH } from './constants.ts';
import { InvalidEndpointError } from './errors.ts';

export interface EthEndpoint {
  readonly url: string;
  /** Where it came from, for the Settings page. */
  readonly source: 'link' | 'settings' | 'build';
}

export interface EthEndpointInput {
  search: string;
  saved?: string | undefined;
  build?: string | undefined;
}

/** The URL as the wallet will use it; throws InvalidEndpointError with the reason. */
export function parseEndpoint(text: string): string {
  if (text.length > MAX_ENDPOINT_LENGTH) throw new InvalidEndpointError(text, `is longer than ${MAX_ENDPOINT_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidEndpointError(text, 'is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidEndpointError(text, 'is not an http:// or https:// address');
  return url.href;
}

/** The endpoint to use, or undefined when none is set. Throws InvalidEndpointError for a set but unusable one. */
export function resolveEthEndpoint(input: EthEndpointInput): EthEndpoint | undefined {
  const fromLink = new URLSearchParams(input.search).get(ETH_LINK_PARAM)?.trim();
  const candidates: [EthEndpoint['source'], string | undefined][] = [['link', fromLink], ['settings', input.saved?.trim()], ['build', input.build?.trim()]];
  for (const [source, text] of candidates) {
    if (text !== undefined && text !== '') return { url: parseEndpoint(text), source };
  }
  return undefined;
}
