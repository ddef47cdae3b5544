/**
 * `npm run bench`: runs every benchmark in BENCHES, in order, in this one process.
 *
 * Convention for bench files: `bench/<name>.ts` exports `async function run(): Promise<void>` that prints its
 * own results (a titled table), and does nothing when imported; it may also run itself when executed directly
 * (`npx tsx bench/<name>.ts`). Add the name to BENCHES below; a listed file that does not exist yet is
 * skipped with a note. (A module without `run` but with exactly one exported function named run… is run
 * through that, with no arguments.) `npm run bench -- matmul linalg` runs only the named ones.
 * No top-level await anywhere (tfjs under tsx then fails with ERR_REQUIRE_ASYNC_MODULE): work goes in run().
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCHES = ['matmul', 'linalg', 'gpu', 'train-step', 'frod'];

type BenchModule = Record<string, unknown>;

/** The module's `run`, or its single exported run… function. */
function entryOf(name: string, module: BenchModule): () => unknown {
  if (typeof module.run === 'function') return module.run as () => unknown;
  const runs = Object.keys(module).filter((key) => key.startsWith('run') && typeof module[key] === 'function');
  if (runs.length !== 1) throw new Error(`bench/${name}.ts must export run() (see bench/index.ts)`);
  return module[runs[0]] as () => unknown;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !BENCHES.includes(name));
  if (unknown.length) throw new Error(`bench: unknown benchmark(s) ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
  console.log(`frod-ts benchmarks — node ${process.version}, ${process.platform}/${process.arch}`);
  for (const name of wanted.length ? wanted : BENCHES) {
    const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
    if (!existsSync(file)) {
      console.log(`\n(bench/${name}.ts does not exist yet: skipped)`);
      continue;
    }
    const module = (await import(`./${name}.ts`)) as BenchModule;
    await entryOf(name, module)();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
