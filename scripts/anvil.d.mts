/** Types of anvil.mjs, for the TypeScript that imports it (e2e/support/anvil.ts). */
export declare const DEFAULT_ANVIL_PORT: number;
export declare function anvilBinary(): string;
export declare function jsonRpc<T = unknown>(url: string, method: string, params?: unknown[]): Promise<T>;
