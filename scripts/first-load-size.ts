/**
 * `npm run size`: the JavaScript a first visit fetches, gzipped, against the
 * budget of issue #14. Builds the production app into a temporary directory
 * (or reads one: `--dist dist`), takes the entry script and modulepreload links
 * of its index.html, follows the entry's static imports through Vite's manifest
 * (`build.manifest` in vite.config.ts), and prints each chunk and the total.
 * Exits 1 above `--max-kb` (default 250). Also measures the chunks that load
 * later (the peer stack, the market, the wallet), for the bench.
 *
 * Sizes are gzip level 9 in kB of 1000 bytes, as Vite prints them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

/** Issue #14: "the first load of the app drops to at most 250 kB of gzipped JavaScript". */
export const FIRST_LOAD_BUDGET_KB = 250;
/** gzip's strongest level: what a static host that precompresses would serve. */
const GZIP_LEVEL = 9;
const KB = 1000;

/** The chunks that load after the first paint, by the source module Vite names them after. */
const LATER_CHUNKS = {
  peer: 'src/app/peer-runtime.ts',
  services: 'src/app/service-runtime.ts',
  market: 'src/exchange/market-service.ts',
  wallet: 'src/exchange/wallet/browser-wallet.ts',
} as const;

/** One entry of dist/.vite/manifest.json (the fields used here). */
export interface ManifestChunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}
export type Manifest = Record<string, ManifestChunk>;

export interface ChunkSize {
  file: string;
  gzipBytes: number;
}

export interface SizeReport {
  firstLoad: { chunks: ChunkSize[]; gzipBytes: number };
  /** Chunks fetched later, each without what loaded before it; undefined when the build has no such chunk. */
  later: Record<keyof typeof LATER_CHUNKS, { chunks: ChunkSize[]; gzipBytes: number } | undefined>;
}

/** Script and modulepreload URLs of index.html, as asset paths relative to dist/. */
export function htmlScripts(html: string): string[] {
  const found: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/g) ?? []) {
    const isModuleScript = tag.startsWith('<script') && /\btype="module"/.test(tag);
    const isPreload = tag.startsWith('<link') && /\brel="modulepreload"/.test(tag);
    const url = /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1];
    if ((isModuleScript || isPreload) && url !== undefined) found.push(url.replace(/^\//, ''));
  }
  return found;
}

/** The files of `keys` and of everything they import statically, transitively. */
export function staticClosure(manifest: Manifest, keys: string[]): Set<string> {
  const files = new Set<string>();
  const seen = new Set<string>();
  const visit = (key: string): void => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (chunk === undefined) return;
    files.add(chunk.file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  keys.forEach(visit);
  return files;
}

/** The JS files a first visit fetches: the HTML's scripts and preloads plus the entries' static imports. */
export function firstLoadFiles(html: string, manifest: Manifest): Set<string> {
  const fromHtml = htmlScripts(html);
  const entryKeys = Object.entries(manifest).filter(([, c]) => c.isEntry === true && fromHtml.includes(c.file)).map(([k]) => k);
  return new Set([...fromHtml, ...staticClosure(manifest, entryKeys)].filter((f) => f.endsWith('.js')));
}

export function gzipSize(bytes: Uint8Array): number {
  return gzipSync(bytes, { level: GZIP_LEVEL }).length;
}

/** Measures a built dist/ directory (it must have been built with `build.manifest`). */
export function measureDist(distDir: string): SizeReport {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(distDir, '.vite', 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    throw new Error(`${distDir} has no readable .vite/manifest.json (${(err as Error).message}); build it with build.manifest enabled (vite.config.ts does).`);
  }
  const sizes = new Map<string, number>();
  const sizeOf = (file: string): ChunkSize => {
    let gz = sizes.get(file);
    if (gz === undefined) sizes.set(file, (gz = gzipSize(readFileSync(join(distDir, file)))));
    return { file, gzipBytes: gz };
  };
  const group = (files: Iterable<string>) => {
    const chunks = [...files].map(sizeOf).sort((a, b) => b.gzipBytes - a.gzipBytes);
    return { chunks, gzipBytes: chunks.reduce((sum, c) => sum + c.gzipBytes, 0) };
  };
  const first = firstLoadFiles(html, manifest);
  const closureOf = (key: string): Set<string> => (manifest[key] === undefined ? new Set() : staticClosure(manifest, [key]));
  const laterOf = (key: string, ...loadedBefore: Set<string>[]) => {
    if (manifest[key] === undefined) return undefined;
    return group([...closureOf(key)].filter((f) => !first.has(f) && !loadedBefore.some((s) => s.has(f))));
  };
  // Each figure is what that step adds: the network starts, then the services, before the Market page can open,
  // and the wallet's chunk(s) count once, as the wallet, even when the market imports them.
  const peerFiles = closureOf(LATER_CHUNKS.peer);
  const serviceFiles = closureOf(LATER_CHUNKS.services);
  const walletFiles = closureOf(LATER_CHUNKS.wallet);
  return {
    firstLoad: group(first),
    later: {
      peer: laterOf(LATER_CHUNKS.peer),
      services: laterOf(LATER_CHUNKS.services, peerFiles),
      market: laterOf(LATER_CHUNKS.market, peerFiles, serviceFiles, walletFiles),
      wallet: laterOf(LATER_CHUNKS.wallet, peerFiles),
    },
  };
}

/** A production build into a fresh temporary directory; returns the directory (the caller removes it). */
export async function buildForSize(root: string): Promise<string> {
  const { build } = await import('vite');
  const outDir = mkdtempSync(join(tmpdir(), 'trustmesh-size-'));
  await build({ root, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  return outDir;
}

export function kB(bytes: number): string {
  return (bytes / KB).toFixed(1);
}

/** "first-load JS: N kB gzipped (limit 250 kB), market chunk M kB, wallet chunk W kB", plus the peer and services chunks. */
export function summaryLine(report: SizeReport, limitKb: number = FIRST_LOAD_BUDGET_KB): string {
  const { market, wallet, peer, services } = report.later;
  const marketText = market === undefined ? 'no market chunk' : `market chunk ${kB(market.gzipBytes)} kB`;
  const walletText = wallet === undefined ? 'wallet inside the market chunk' : `wallet chunk ${kB(wallet.gzipBytes)} kB`;
  const peerText = peer === undefined ? '' : `, peer chunk ${kB(peer.gzipBytes)} kB (after the first paint)`;
  const servicesText = services === undefined ? '' : `, services chunk ${kB(services.gzipBytes)} kB (after the first peer)`;
  return `first-load JS: ${kB(report.firstLoad.gzipBytes)} kB gzipped (limit ${limitKb} kB), ${marketText}, ${walletText}${peerText}${servicesText}`;
}

function parseArgs(argv: string[]): { dist: string | undefined; maxKb: number } {
  let dist: string | undefined;
  let maxKb = FIRST_LOAD_BUDGET_KB;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--dist') dist = value();
    else if (arg === '--max-kb') {
      maxKb = Number(value());
      if (!Number.isFinite(maxKb) || maxKb <= 0) throw new Error('--max-kb takes a positive number of kB');
    } else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run size [-- --dist <built dir>] [--max-kb 250]\n  Without --dist, builds the production app into a temporary directory first.');
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  return { dist, maxKb };
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const root = resolve(import.meta.dirname, '..');
  const built = args.dist === undefined ? await buildForSize(root) : undefined;
  try {
    const report = measureDist(built ?? resolve(args.dist!));
    console.log('first load:');
    for (const c of report.firstLoad.chunks) console.log(`  ${kB(c.gzipBytes).padStart(7)} kB  ${c.file}`);
    for (const [name, group] of Object.entries(report.later)) {
      if (group === undefined) continue;
      console.log(`${name} (loaded later):`);
      for (const c of group.chunks) console.log(`  ${kB(c.gzipBytes).padStart(7)} kB  ${c.file}`);
    }
    console.log(summaryLine(report, args.maxKb));
    if (report.firstLoad.gzipBytes > args.maxKb * KB) {
      console.error(`The first load is over budget by ${kB(report.firstLoad.gzipBytes - args.maxKb * KB)} kB: move code behind a dynamic import (see src/app/peer-runtime.ts).`);
      process.exitCode = 1;
    }
  } finally {
    if (built !== undefined) rmSync(built, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
