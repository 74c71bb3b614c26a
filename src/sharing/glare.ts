/**
 * Two WebRTC connections for one pair of WebTorrent clients ("glare"): both
 * announced with offers at once, and each answered the other's. WebTorrent
 * keeps whichever it registers first under the peer id and destroys the
 * other; the two sides can register them in opposite orders, so each destroys
 * the one the other kept and neither has a wire. Their tracker intervals then
 * stay in step, so it repeats every round (seen in CI: five rounds, no wire).
 *
 * While neither connection carries a wire yet, both sides keep the one the
 * smaller peer id initiated, as libp2p's tie-break does: the same connection
 * on both ends. A connection that already carries a wire is kept. Pure.
 */
export function glareKeeps(myPeerId: string, remotePeerId: string, existingInitiatedByMe: boolean, newInitiatedByMe: boolean): 'existing' | 'new' {
  if (existingInitiatedByMe === newInitiatedByMe) return 'existing';
  const iAmSmaller = myPeerId < remotePeerId;
  return newInitiatedByMe === iAmSmaller ? 'new' : 'existing';
}
