/** Magnet link handling. Pure. */

/** The magnet link without its trackers (`tr`), wherever they stand in it; other parameters stay as they are. */
export function withoutTrackers(magnet: string): string {
  const q = magnet.indexOf('?');
  if (q < 0) return magnet;
  const kept = magnet
    .slice(q + 1)
    .split('&')
    .filter((p) => p !== '' && !/^tr(\.\d+)?=/i.test(p));
  return `${magnet.slice(0, q)}?${kept.join('&')}`;
}
