import { describe, expect, it } from 'vitest';
import { MAX_ENDPOINT_LENGTH } from './constants.ts';
import { resolveEthEndpoint } from './endpoint.ts';
import { InvalidEndpointError, NoEndpointError } from './errors.ts';

describe('the Ethereum endpoint', () => {
  it('comes from the link, else Settings, else the build, else nowhere', () => {
    const all = { search: '?relay=x&eth=http%3A%2F%2F127.0.0.1%3A8545', saved: 'https://saved.example/', build: 'https://build.example/' };
    expect(resolveEthEndpoint(all)).toEqual({ url: 'http://127.0.0.1:8545/', source: 'link' });
    expect(resolveEthEndpoint({ ...all, search: '' })).toEqual({ url: 'https://saved.example/', source: 'settings' });
    expect(resolveEthEndpoint({ ...all, search: '?eth=', saved: ' ' })).toEqual({ url: 'https://build.example/', source: 'build' });
    expect(resolveEthEndpoint({ search: '' })).toBeUndefined();
  });

  it('refuses what is not an http(s) URL, saying what to use', () => {
    expect(() => resolveEthEndpoint({ search: '?eth=localhost:8545' })).toThrow(InvalidEndpointError);
    expect(() => resolveEthEndpoint({ search: '?eth=not a url' })).toThrow(/is not a URL.*http:\/\/127\.0\.0\.1:8545/);
    expect(() => resolveEthEndpoint({ search: '', saved: 'ws://127.0.0.1:8545' })).toThrow(/not an http/);
    expect(() => resolveEthEndpoint({ search: '', build: `http://${'a'.repeat(MAX_ENDPOINT_LENGTH)}` })).toThrow(/longer than/);
  });

  it('when missing, is explained with what to do', () => {
    expect(new NoEndpointError().message).toBe('No Ethereum endpoint is set: add ?eth=http://… to the link or set one in Settings.');
  });
});
