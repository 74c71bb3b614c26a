/// <reference lib="webworker" />
/**
 * Browser glue: the reputation worker. Holds the contribution graph off the
 * page's thread and answers recompute requests (ReputationHost, pure).
 */
import { ReputationHost } from './reputation-host.ts';

declare const self: DedicatedWorkerGlobalScope;

const host = new ReputationHost(() => performance.now());

self.onmessage = (event: MessageEvent<unknown>) => {
  self.postMessage(host.handle(event.data));
};
