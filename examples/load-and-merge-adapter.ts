/**
 * Load an adapter that Hugging Face PEFT (PyTorch) saved, apply it to a model, and merge it into the weights.
 *
 *   npx tsx examples/load-and-merge-adapter.ts BASE.safetensors ADAPTER_DIR
 *
 * In the frod-ts repository the arguments default to the "stack" golden case of the test suite: a 4-layer
 * stack of q/v/down projections and a FRoD adapter trained in PyTorch (test/fixtures/golden/stack). The same
 * merge from the command line:
 *   frod merge --base test/fixtures/golden/stack/base.safetensors --adapter test/fixtures/golden/stack/adapter --out merged.safetensors
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSafetensors, Module, nn, PeftModel, type Tensor } from 'frod-ts';

const golden = fileURLToPath(new URL('../test/fixtures/golden/stack/', import.meta.url));
const args = process.argv.slice(2);
const [basePath, adapterDir] = args.length === 2 ? args : [join(golden, 'base.safetensors'), join(golden, 'adapter')];
if (!existsSync(basePath) || !existsSync(adapterDir)) {
  console.error('usage: load-and-merge-adapter BASE.safetensors ADAPTER_DIR (a model.safetensors and a PEFT adapter folder)');
  process.exit(1);
}

/**
 * A model made of the Linear layers a state dict describes: every 2-D `<path>.weight` (with `<path>.bias`
 * when present) becomes a Linear at `<path>`. Your own model class works the same way; this keeps the
 * example independent of the architecture.
 */
function linearsOf(stateDict: Record<string, Tensor>): Module {
  const root = new Module();
  for (const [key, weight] of Object.entries(stateDict)) {
    if (!key.endsWith('.weight') || weight.ndim !== 2) continue;
    const path = key.slice(0, -'.weight'.length);
    const parts = path.split('.');
    let parent = root;
    for (const part of parts.slice(0, -1)) {
      const next = parent.namedChildren().find(([name]) => name === part)?.[1] ?? new Module();
      parent.registerModule(part, next);
      parent = next;
    }
    const bias = stateDict[`${path}.bias`];
    const layer = new nn.Linear(weight.shape[1], weight.shape[0], { bias: bias !== undefined });
    layer.loadStateDict(bias ? { weight, bias } : { weight });
    parent.registerModule(parts[parts.length - 1], layer);
  }
  return root;
}

const base = loadSafetensors(basePath).tensors;
const model = linearsOf(base);
// Reads adapter_config.json (peft_type "FROD") and adapter_model.safetensors: V, the sparse pattern, λ and S.
const peft = PeftModel.fromPretrained(model, adapterDir);
peft.printTrainableParameters(); // 0 trainable: loaded for inference (pass { isTrainable: true } to train on)
console.log(`adapted modules: ${peft.baseModel.tunerLayers().map(([path]) => path).join(', ')}`);

// Merge W' = U (S + diag λ) Vᵀ into every adapted weight and drop the adapter layers.
const merged = peft.mergeAndUnload({ safeMerge: true }).stateDict();
const changed = Object.keys(base).filter((key) => base[key].data().some((v, i) => v !== merged[key].data()[i]));
console.log(`merged: ${changed.length} of ${Object.keys(base).length} tensors changed`);

// The golden case also holds PyTorch's merged weights: compare.
const expectedFile = join(adapterDir, '..', 'expected.safetensors');
if (existsSync(expectedFile)) {
  const expected = loadSafetensors(expectedFile).tensors;
  let worst = 0;
  for (const key of changed) {
    const reference = expected[key.replace(/\.weight$/, '.merged_weight')];
    if (!reference) continue;
    const ours = merged[key].data();
    reference.data().forEach((v, i) => { worst = Math.max(worst, Math.abs(v - ours[i])); });
  }
  console.log(`largest difference from PyTorch's merged weights: ${worst.toExponential(2)}`);
}
