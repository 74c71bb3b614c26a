// Node 20 lacks Promise.withResolvers, which js-libp2p v3 and its dependencies call.
// Loaded with `node --import` before anything else; a no-op on Node 22+.
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
