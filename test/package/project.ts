/**
 * Helpers of the packed-package test (pack.test.ts, not a test file itself): a copy of the checkout to pack,
 * `npm pack` (whose prepack builds dist), and a fresh project that installs the tarball as a user would.
 *
 * The fresh project installs without asking the registry for version lists: its package-lock.json pins
 * frod-ts's dependencies (and @types/node, which the examples' node: imports need) to the versions this
 * checkout's lockfile pins, so `npm ci --prefer-offline` takes them from the npm cache that `npm ci` filled
 * (and from the registry only where the cache lacks one).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs a command; throws with its output when it fails. Returns stdout. */
export function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * The files of this checkout that git tracks or would track (no dist/, no node_modules/), copied to `dir`,
 * with node_modules linked: packing a clean checkout, as CI's fresh clone is.
 */
export function copyCheckout(dir: string): void {
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT).split('\0').filter(Boolean);
  for (const file of files) {
    const to = join(dir, file);
    mkdirSync(dirname(to), { recursive: true });
    try {
      copyFileSync(join(ROOT, file), to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted in the work tree, not yet in git
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
}

/** `npm pack` in `dir` (its prepack script builds dist); returns the tarball's path. */
export function pack(dir: string, destination: string): string {
  const out = run('npm', ['pack', '--json', '--pack-destination', destination], dir);
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return join(destination, filename);
}

interface LockEntry {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The lockfile entry that `name` resolves to from the package at `from`, as npm resolves (nearest node_modules up). */
function resolveEntry(entries: Record<string, LockEntry>, from: string, name: string): string | null {
  for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (entries[key]) return key;
    if (!base) return null;
  }
}

/** The lockfile entries of `roots` and everything they depend on, from this checkout's package-lock.json. */
function closure(entries: Record<string, LockEntry>, roots: Record<string, string>): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const walk = (from: string, deps: Record<string, string> | undefined, optional: boolean) => {
    for (const name of Object.keys(deps ?? {})) {
      const key = resolveEntry(entries, from, name);
      if (key === null) {
        if (optional) continue;
        throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'frod-ts'})`);
      }
      if (out[key]) continue;
      const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = entries[key];
      out[key] = entry as LockEntry;
      walk(key, entry.dependencies as Record<string, string> | undefined, false);
      walk(key, entry.optionalDependencies as Record<string, string> | undefined, true);
    }
  };
  walk('', roots, false);
  return out;
}

/** A fresh ESM project in `dir` with the tarball installed (plus @types/node), by `npm ci`. */
export function installProject(dir: string, tarball: string): void {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string; dependencies: Record<string, string>; peerDependencies?: object; peerDependenciesMeta?: object; engines?: object; bin?: object;
  };
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const typesNode = lock.packages['node_modules/@types/node'].version;
  const project = {
    name: 'first-hour', private: true, type: 'module',
    dependencies: { 'frod-ts': `file:${tarball}` }, devDependencies: { '@types/node': typesNode },
  };
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: project.name, dependencies: project.dependencies, devDependencies: project.devDependencies },
    'node_modules/frod-ts': {
      version: pkg.version, resolved: `file:${tarball}`, integrity, dependencies: pkg.dependencies,
      peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta, engines: pkg.engines,
      bin: pkg.bin,
    },
    ...closure(lock.packages, { ...pkg.dependencies, '@types/node': typesNode }),
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(project, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: project.name, lockfileVersion: 3, requires: true, packages }, null, 2));
  // --ignore-scripts: gpu.js's optional headless-gl would try a native build; the engine runs without it.
  run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
}
