/**
 * The README's sample, as a file (test/readme.test.ts checks that the two are the same text): a small ViT
 * adapted with FRoD, trained three steps, saved in PEFT's layout and reloaded.
 *
 *   npx tsx examples/quickstart.ts
 */
import { FrodConfig, getPeftModel, PeftModel, nn, optim, manualSeed, randn, randint } from 'frod-ts';

manualSeed(0);
const vit = { imageSize: 28, patchSize: 7, numChannels: 1, hiddenSize: 32, numHiddenLayers: 2,
  numAttentionHeads: 2, intermediateSize: 64, numLabels: 10, seed: 0 };   // a Hugging Face-style ViT config
const model = new nn.ViTForImageClassification(vit);
const peft = getPeftModel(model, new FrodConfig({ targetModules: ['query', 'value'], modulesToSave: ['classifier'] }));
peft.printTrainableParameters();          // trainable params: … || all params: … || trainable%: …
const opt = new optim.AdamW(peft.parameters().filter((p) => p.requiresGrad), { lr: 1e-2 });
const images = randn([8, 1, 28, 28]), labels = randint(0, 10, [8]);
for (let step = 0; step < 3; step++) {
  opt.zeroGrad();
  nn.functional.crossEntropy(peft.forward(images), labels).backward();
  opt.step();
}
peft.savePretrained('my-adapter');        // adapter_config.json + adapter_model.safetensors, as PEFT writes them
const reloaded = PeftModel.fromPretrained(new nn.ViTForImageClassification(vit), 'my-adapter');
