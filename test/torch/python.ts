/**
 * Finding a Python that can `import torch`, and running test/torch/parity.py once over a folder of inputs.
 * Test tooling only: frod-ts itself never needs Python. Not a test file itself.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Why the torch tests are skipped when no interpreter below imports torch. */
export const NO_TORCH = 'no Python with torch (apt-get install python3-torch, or set FROD_TORCH_PYTHON)';

/**
 * Interpreters tried in order: $FROD_TORCH_PYTHON alone when set ('none' forces the skip), else Debian's
 * /usr/bin/python3 (where python3-torch installs) and then whatever `python3` is on PATH.
 */
export function candidates(): string[] {
  const forced = process.env.FROD_TORCH_PYTHON;
  if (forced !== undefined && forced !== '') return forced === 'none' ? [] : [forced];
  return ['/usr/bin/python3', 'python3'];
}

/** What the probe found, kept for the whole test process: one probe, and every file sees the same answer. */
let found: string | null | undefined;

/** The first candidate whose `-c "import torch"` succeeds within 20 s, or null (probed once per process). */
export function findTorchPython(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const python of candidates()) {
    const probe = spawnSync(python, ['-c', 'import torch'], { timeout: 20_000, stdio: 'ignore' });
    if (probe.status === 0) {
      found = python;
      break;
    }
  }
  return found;
}

const SCRIPT = fileURLToPath(new URL('./parity.py', import.meta.url));

/** Runs parity.py on `folder` (one process for every case); throws with Python's stderr on failure. */
export function runParityScript(python: string, folder: string): void {
  const run = spawnSync(python, [SCRIPT, folder], { timeout: 120_000, encoding: 'utf8' });
  if (run.status !== 0) {
    const why = run.error ? run.error.message : (run.stderr || '').trim().split('\n').slice(-3).join(' | ');
    throw new Error(`parity.py failed (status ${run.status}): ${why}`);
  }
}
