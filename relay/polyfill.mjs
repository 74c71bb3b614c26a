// Node 20 gaps that js-libp2p v3 relies on. Loaded with `node --import` before
// anything else (and by Vitest as a setup file); each is a no-op on Node 22+.

// Promise.withResolvers is called throughout libp2p and its dependencies.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// @libp2p/websockets dials with the global WebSocket (Node 22+); relays dial
// other relays (--peer), so Node 20 gets the `ws` implementation.
if (typeof globalThis.WebSocket !== 'function') {
  const { WebSocket } = await import('ws');
  globalThis.WebSocket = WebSocket;
}
