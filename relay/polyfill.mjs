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
// A browser WebSocket reports errors as events and never throws; ws emits
// 'error' on an EventEmitter, which throws when nobody listens, and
// @libp2p/websockets stops listening once the socket is open. A malformed frame
// from a relay we dialled would then stop this process, so always listen: the
// error still closes the socket, as in a browser.
if (typeof globalThis.WebSocket !== 'function') {
  const { WebSocket } = await import('ws');
  globalThis.WebSocket = class extends WebSocket {
    constructor(...args) {
      super(...args);
      this.on('error', () => {});
    }
  };
}
