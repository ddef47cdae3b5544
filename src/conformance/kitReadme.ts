/**
 * The README.md written into every exported suite: how to run the kit, the layout, each comparison rule
 * with its reason, the tolerances, and the cases — built from the manifest so it never disagrees with it.
 */
import { CLUSTER_GAP } from './reference';
import { type Manifest, ROUNDING, TOLERANCE } from './manifest';

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)].join('\n');
}

/** The README of a suite. */
export function kitReadme(manifest: Manifest): string {
  const checks = manifest.cases.reduce((n, c) => n + c.checks.length, 0);
  return `# FRoD conformance suite

A reference kit for implementations of FRoD (*Full-Rank Efficient Fine-Tuning with Rotational Degrees*), as
Hugging Face PEFT ships it (\`FrodConfig\` / \`FrodModel\`). It speaks only files: safetensors and JSON.
Written by ${manifest.generator} with seed ${manifest.seed}: ${manifest.cases.length} cases
(${manifest.random_cases} of them random), ${checks} checks. \`manifest.json\` lists every case and check.

## Running it

1. For each case in \`manifest.json\`, run the protocol below with your implementation and write your
   outputs under \`ACTUAL/cases/<id>/\`.
2. Grade: \`npx frod conformance grade --suite SUITE --actual ACTUAL\` (from the \`frod-ts\` npm package)
   prints one row per check — case, check, worst error, tolerance, pass/fail — and exits 0 only when every
   check passes; \`--json\` for CI. An output you did not write is reported as missing.
3. PyTorch + PEFT: \`python conformance/peft_runner.py --suite SUITE --out ACTUAL\` (in the frod-ts
   repository or package) does step 1 with PEFT.

## Protocol

${manifest.protocol.map((step, i) => `${i + 1}. ${step}`).join('\n')}

Every module's forward is checked on its own input (\`x/<path>\`), so no model code is needed beyond the
layers themselves. The loss is linear in the outputs: its gradient with respect to each output is
\`g/<path>\`, so \`y.backward(g)\` for every module gives the same gradients.

## Layout

- \`cases/<id>/base.safetensors\`: the base weights, \`<path>.weight\` and \`<path>.bias\`, in the case's dtype.
- \`cases/<id>/inputs.safetensors\`: \`x/<path>\` (batch…, in) and \`g/<path>\` (batch…, out).
- \`cases/<id>/adapters/<a>/adapter_config.json\`: the config of adapter a.
- \`cases/<id>/trained/<a>/\`: adapter a with fixed trained λ, S values (and biases) in PEFT's layout
  (\`adapter_config.json\` + \`adapter_model.safetensors\`, with V and the pattern).
- \`cases/<id>/expected.safetensors\`, \`expected.json\`: what the checks compare with (float64; patterns
  int64, one per generator: \`…@peft\`, \`…@frod-ts\`).

## Rules

Nothing legitimately free is compared; everything determined is.

${table(['rule', 'meaning', 'why'], Object.entries(manifest.rules).map(([name, r]) => [`\`${name}\``, r.meaning, r.reason]))}

## Tolerances

An error is measured in units of the check's \`scale\` and must not exceed \`tolerance[precision] ×
condition + floor\`:

- \`scale\` is the largest entry of the componentwise magnitude of the factors that make the value
  (|U|·|S + diag λ|·|V|ᵀ for a merged weight, |x|·|V|·|S + diag λ|ᵀ·|U|ᵀ + |b| for a forward, the largest
  column norm for V), so the tolerance is a multiple of the unit roundoff whatever the magnitudes.
- \`condition\` is how much the problem amplifies rounding: for V's column j, (largest |eigenvalue|) / (gap
  to its nearest eigenvalue outside its cluster) — at most ${1 / CLUSTER_GAP}, since eigenvalues closer than
  ${CLUSTER_GAP} of the largest form a cluster; for U and λ also κ(V); for trained quantities κ(V), because U
  is solved from V.
- \`floor\` is the rounding of a half-precision case (its storage, or its arithmetic).
- \`precision\` is the case's dtype; a float64 case may be graded at float32 for an implementation that
  says (in \`implementation.json\` or with \`--precision float32\`) that it computes in float32.

${table(['kind', 'float64', 'float32', 'float16', 'bfloat16'], [
    ['direct (products, sums)', ...(['float64', 'float32', 'float16', 'bfloat16'] as const).map((p) => String(TOLERANCE.direct[p]))],
    ['bases (V, then U and λ)', ...(['float64', 'float32', 'float16', 'bfloat16'] as const).map((p) => String(TOLERANCE.basis[p]))],
    ['unit roundoff', ...(['float64', 'float32', 'float16', 'bfloat16'] as const).map((p) => ROUNDING[p].toExponential(2))],
  ])}

(For float16 and bfloat16 cases the tolerance is that of the float32 computation of V and U, and the
half-precision rounding is the floor.)

## Patterns

The sparse pattern is random. \`pattern_rng: "peft"\` in \`implementation.json\` (or \`--pattern-rng peft\`)
claims PEFT's generator: torch.randperm over the in·(in−1) off-diagonal slots (row-major), one CPU
generator seeded with \`projection_prng_key\` and drawn through the adapter's categories in sorted order;
the first nnz entries, in order. \`"frod-ts"\` claims frod-ts's. Without a claim, only nnz and validity are
checked.

## Cases

${manifest.cases.map((c) => `- **${c.id}** (${c.dtype}): ${c.title}. *Teaches:* ${c.teaches}.${c.not_checked.length ? ` *Not checked:* ${c.not_checked.join('; ')}.` : ''}`).join('\n')}
`;
}
