/** Types of relay/launch.mjs (plain JavaScript, see there). */
export declare const RELAY_ROOT: string;
export declare const RELAY_BUNDLE: string;
export declare const RELAY_NODE_FLAGS: readonly string[];
export declare function relayNodeArgs(args?: readonly string[]): string[];
export declare function buildRelay(): Promise<void>;
