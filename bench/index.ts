/**
 * `npm run bench`: runs every benchmark in BENCHES, in order, in this one process.
 *
 * Convention for bench files: `bench/<name>.ts` exports `async function run(): Promise<void>` that prints its
 * own results (a titled table), and does nothing when imported; it may also run itself when executed directly
 * (`npx tsx bench/<name>.ts`). Add the name to BENCHES below. `npm run bench -- matmul linalg` runs only the
 * named ones; arguments starting with `--` (such as linalg's `--full`) are left to the benches, which read
 * process.argv themselves.
 * No top-level await anywhere (tfjs under tsx then fails with ERR_REQUIRE_ASYNC_MODULE): work goes in run().
 */
const BENCHES = ['matmul', 'linalg', 'gpu', 'train-step', 'frod', 'checkpoints'];

type BenchModule = Record<string, unknown>;

/** The module's `run`. */
function entryOf(name: string, module: BenchModule): () => unknown {
  if (typeof module.run !== 'function') throw new Error(`bench/${name}.ts must export run() (see bench/index.ts)`);
  return module.run as () => unknown;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const unknown = wanted.filter((name) => !BENCHES.includes(name));
  if (unknown.length) throw new Error(`bench: unknown benchmark(s) ${unknown.join(', ')} (known: ${BENCHES.join(', ')})`);
  console.log(`frod-ts benchmarks — node ${process.version}, ${process.platform}/${process.arch}`);
  for (const name of wanted.length ? wanted : BENCHES) {
    const module = (await import(`./${name}.ts`)) as BenchModule;
    await entryOf(name, module)();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
