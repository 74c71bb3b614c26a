/** The mark the floor page sets when its first direct WebRTC connection opens; the bench reads it. */
export const FLOOR_MARK = 'floor:first-direct-peer';
