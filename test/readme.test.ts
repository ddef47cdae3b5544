/** The README's first code sample, run as written (with the package root imported from src). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as frodTs from '../src/index';

/** The ```ts block of the README, with `from 'frod-ts'` bound to the sources. */
function readmeSample(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```ts sample');
  return block[1];
}

test('the README sample runs: adapter trains, saves in PEFT layout and reloads with the same outputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frod-readme-'));
  const cwd = process.cwd();
  const logs: string[] = [];
  const log = console.log;
  try {
    process.chdir(dir);
    console.log = (...args: unknown[]) => { logs.push(args.join(' ')); };
    const body = readmeSample()
      .replace(/import \{([^}]*)\} from 'frod-ts';/, 'const {$1} = frodTs;')
      .concat('\nreturn { model, peft, reloaded };');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    type Vit = frodTs.nn.ViTForImageClassification;
    type Peft = frodTs.PeftModel<frodTs.PeftConfigLike, Vit>;
    const run = new Function('frodTs', body) as (m: typeof frodTs) => { peft: Peft; reloaded: Peft };
    const { peft, reloaded } = run(frodTs);
    console.log = log;
    assert.match(logs.join('\n'), /^trainable params: [\d,]+ \|\| all params: [\d,]+ \|\| trainable%: \d+\.\d{4}$/m);
    const x = frodTs.randn([2, 1, 28, 28]);
    const a = frodTs.noGrad(() => peft.forward(x).data());
    const b = frodTs.noGrad(() => reloaded.forward(x).data());
    assert.equal(Array.from(a), Array.from(b));
  } finally {
    console.log = log;
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('examples/quickstart.ts is the README sample, so that the packed-package test compiles and runs it as a file', () => {
  const file = readFileSync(new URL('../examples/quickstart.ts', import.meta.url), 'utf8');
  assert.is(file.replace(/^\/\*\*[\s\S]*?\*\/\n/, ''), readmeSample());
});

test.run();
