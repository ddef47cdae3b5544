#!/usr/bin/env python3
"""Adapter files made by PEFT's own FRoD code, for test/peft/peftFiles.test.ts (and test/fixtures/peft/).

    python3 test/peft/python/peft_files.py OUT_DIR

Needs PyTorch (Debian's python3-torch is enough: no transformers, accelerate, safetensors or hub) and PEFT's source:
$PEFT_SRC is a PEFT checkout (a directory holding src/peft) or a git repository of PEFT, bare or not (read at HEAD).
Nothing of PEFT is copied into this repository: peft_source.py reads PEFT's modules from that source when the script
runs and executes them as they are (peft/config.py, utils/peft_types.py, utils/constants.py, utils/other.py,
utils/save_and_load.py, tuners/_buffer_dict.py, tuners/tuners_utils.py, tuners/frod/{config,layer,model}.py); only what
they import from other libraries is stood in for.

For each case OUT_DIR/<case>/ receives
  base.safetensors         the base model's state dict (float32), before PEFT touched it
  adapter/                 PeftModel.save_pretrained's two files: adapter_config.json (config.save_pretrained) and
                           adapter_model.safetensors (get_peft_model_state_dict's keys and tensors, format "pt")
  adapter_noproj/          (mlp only) the same adapter saved with save_projection false
  expected.safetensors     x, y_base, y_adapter (model outputs, eval mode; mlp only), merged.<name> (the state dict
                           merge_and_unload returns), step.<adapter key> (each trainable tensor after one more SGD step)
  case.json                what was done: config, training, seed
and OUT_DIR/made_by.json names the PEFT revision and version and the torch version. Exit status 3 (with a one-line reason on stderr) when PEFT's source cannot be found, 4 when this Python has no torch.
"""
import copy
import json
import os
import struct
import sys

try:
    import torch
    from torch import nn
except ImportError:
    sys.stderr.write(f"{sys.executable} cannot import torch\n")
    sys.exit(4)

from peft_source import Conv1D, find_source, load_peft

# ---- PeftModel's role ----------------------------------------------------------------------------------------


class PeftModelStandIn(nn.Module):
    """What PEFT's PeftModel does for these cases: holds the tuner as `base_model` (so state-dict keys read
    base_model.model.<path>), forwards, and saves as PeftModel.save_pretrained does."""

    def __init__(self, peft, model, config, adapter_name="default"):
        super().__init__()
        self.peft = peft
        self.peft_config = {adapter_name: config}
        self.active_adapter = adapter_name
        # BaseTuner.__init__ → inject_adapter: FRoD's layers, then modules_to_save (set_additional_trainable_modules).
        self.base_model = peft.FrodModel(model, config, adapter_name)

    def forward(self, *args, **kwargs):
        return self.base_model(*args, **kwargs)

    def save_pretrained(self, directory, base_class, save_projection=None):
        """PeftModel.save_pretrained for one adapter; `save_projection` overrides the config's for this save."""
        config = self.peft_config[self.active_adapter]
        saved_projection = config.save_projection
        if save_projection is not None:
            config.save_projection = save_projection
        try:
            tensors = self.peft.get_peft_model_state_dict(self, adapter_name=self.active_adapter)
            os.makedirs(directory, exist_ok=True)
            write_safetensors(os.path.join(directory, "adapter_model.safetensors"),
                              {k: v.detach().contiguous() for k, v in tensors.items()}, {"format": "pt"})
            inference_mode = config.inference_mode
            config.inference_mode = True
            auto_mapping = {"base_model_class": base_class.__name__, "parent_library": base_class.__module__} if config.task_type is None else None
            config.save_pretrained(directory, auto_mapping_dict=auto_mapping)
            config.inference_mode = inference_mode
        finally:
            config.save_projection = saved_projection

    def merge_and_unload(self):
        return self.base_model.merge_and_unload()


# ---- safetensors, written as the safetensors library writes them ----------------------------------------------

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64", torch.int32: "I32"}


def write_safetensors(path, tensors, metadata=None):
    header = {"__metadata__": metadata} if metadata else {}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach().cpu().contiguous()
        data = t.numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


# ---- the models ---------------------------------------------------------------------------------------------


class MLP(nn.Module):
    """test_frod.py's MLP (lin1 and lin2 have the same shape)."""

    def __init__(self):
        super().__init__()
        self.lin0 = nn.Linear(10, 20)
        self.lin1 = nn.Linear(20, 20)
        self.lin2 = nn.Linear(20, 20)
        self.lin3 = nn.Linear(20, 2)

    def forward(self, x):
        x = torch.relu(self.lin0(x))
        x = torch.relu(self.lin1(x))
        x = torch.relu(self.lin2(x))
        return torch.log_softmax(self.lin3(x), dim=-1)


class Holder(nn.Module):
    """A container that gives tensors and submodules Hugging Face's names (no forward)."""


def put(root, name, value):
    *parents, last = name.split(".")
    module = root
    for part in parents:
        if not hasattr(module, part):
            module.add_module(part, Holder())
        module = getattr(module, part)
    if isinstance(value, nn.Module):
        module.add_module(last, value)
    else:
        module.register_parameter(last, nn.Parameter(value))


def gpt2(n_embd=8, n_layer=2, vocab=16, positions=8):
    """GPT-2's module names and shapes with c_attn / c_proj / c_fc as Conv1D; the sizes of test/peft/models.ts's tinyGpt2."""
    root = Holder()
    put(root, "transformer.wte.weight", torch.randn(vocab, n_embd) * 0.02)
    put(root, "transformer.wpe.weight", torch.randn(positions, n_embd) * 0.02)
    for i in range(n_layer):
        p = f"transformer.h.{i}"
        for norm in ("ln_1", "ln_2"):
            put(root, f"{p}.{norm}.weight", 1 + 0.1 * torch.randn(n_embd))
            put(root, f"{p}.{norm}.bias", 0.1 * torch.randn(n_embd))
        for name, nx, nf in (("attn.c_attn", n_embd, 3 * n_embd), ("attn.c_proj", n_embd, n_embd),
                             ("mlp.c_fc", n_embd, 4 * n_embd), ("mlp.c_proj", 4 * n_embd, n_embd)):
            layer = Conv1D(nf, nx)
            with torch.no_grad():
                layer.weight.normal_(std=0.2)
                layer.bias.normal_(std=0.1)
            put(root, f"{p}.{name}", layer)
    put(root, "transformer.ln_f.weight", 1 + 0.1 * torch.randn(n_embd))
    put(root, "transformer.ln_f.bias", 0.1 * torch.randn(n_embd))
    return root


def bert_linears(hidden=8, intermediate=32, layers=2, labels=3):
    """BERT's Linear layers under their names: output.dense (8 × 32, two layers: 16 rows < 32) takes the svd path."""
    root = Holder()
    for i in range(layers):
        p = f"bert.encoder.layer.{i}"
        for name, fan_in, fan_out in (("attention.self.query", hidden, hidden), ("attention.self.key", hidden, hidden),
                                      ("attention.self.value", hidden, hidden), ("attention.output.dense", hidden, hidden),
                                      ("intermediate.dense", hidden, intermediate), ("output.dense", intermediate, hidden)):
            put(root, f"{p}.{name}", nn.Linear(fan_in, fan_out))
    put(root, "bert.pooler.dense", nn.Linear(hidden, hidden))
    put(root, "classifier", nn.Linear(hidden, labels))
    return root


# ---- the cases ----------------------------------------------------------------------------------------------

CASES = {
    "mlp": dict(
        model=MLP, seed=0,
        config=dict(target_modules=["lin1", "lin2"], bias="frod_only", modules_to_save=["lin3"], init_weights=False,
                    sparse_rate=0.05, progressbar=False),
        train=dict(steps=3, lr=0.05, loss="nll", batch=6),
        without_projection=True,
    ),
    "gpt2": dict(
        model=gpt2, seed=1,
        config=dict(target_modules=["c_attn", "c_fc"], bias="all", init_weights=False, sparse_rate=0.1, progressbar=False),
        train=dict(perturb=0.01),
    ),
    "bert": dict(
        model=bert_linears, seed=2,
        config=dict(target_modules=["query", "dense"], modules_to_save=["classifier"], init_weights=False,
                    sparse_rate=0.02, regularization_alpha=0.01, progressbar=False),
        train=dict(perturb=0.01),
    ),
}


def labels_for(batch):
    return torch.arange(batch) % 2


def train_step(peft_model, x, lr, loss_kind):
    optimizer = torch.optim.SGD([p for p in peft_model.parameters() if p.requires_grad], lr=lr)
    optimizer.zero_grad()
    y = peft_model(x)
    loss = nn.functional.nll_loss(y, labels_for(len(x))) if loss_kind == "nll" else y.sum()
    loss.backward()
    optimizer.step()


def make_case(peft, name, spec, out):
    directory = os.path.join(out, name)
    os.makedirs(directory, exist_ok=True)
    torch.manual_seed(spec["seed"])
    model = spec["model"]()
    base_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(directory, "base.safetensors"), base_state)
    expected = {}
    train = spec["train"]
    x = None
    if "steps" in train:
        x = torch.randn(train["batch"], 10)
        model.eval()
        with torch.no_grad():
            expected["y_base"] = model(x)
    config = peft.FrodConfig(**spec["config"])
    peft_model = PeftModelStandIn(peft, model, config)
    if "steps" in train:
        peft_model.train()
        for _ in range(train["steps"]):
            train_step(peft_model, x, train["lr"], train["loss"])
        peft_model.eval()
        with torch.no_grad():
            expected["x"] = x
            expected["y_adapter"] = peft_model(x)
    else:
        # No forward for these: stand in for training by moving every trainable tensor a little.
        with torch.no_grad():
            for p in peft_model.parameters():
                if p.requires_grad:
                    p.add_(torch.randn_like(p) * train["perturb"])
    base_class = type(model)
    peft_model.save_pretrained(os.path.join(directory, "adapter"), base_class)
    if spec.get("without_projection"):
        peft_model.save_pretrained(os.path.join(directory, "adapter_noproj"), base_class, save_projection=False)
    if "steps" in train:
        # One more step from the saved state (on a copy): what training the loaded adapter must give.
        saved = peft.get_peft_model_state_dict(peft_model)
        stepped = copy.deepcopy(peft_model)
        stepped.train()
        train_step(stepped, x, train["lr"], train["loss"])
        for key, value in peft.get_peft_model_state_dict(stepped).items():
            if value.dtype.is_floating_point and not torch.equal(value, saved[key]):
                expected[f"step.{key}"] = value.detach().clone()
    merged = peft_model.merge_and_unload()
    for key, value in merged.state_dict().items():
        expected[f"merged.{key}"] = value.detach().clone()
    write_safetensors(os.path.join(directory, "expected.safetensors"), {k: v.float() if v.is_floating_point() else v for k, v in expected.items()})
    with open(os.path.join(directory, "case.json"), "w") as f:
        json.dump({"config": spec["config"], "train": train, "seed": spec["seed"]}, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    if os.environ.get("PYTHONHASHSEED") != "0":
        # PEFT keeps target_modules as a set, and json writes a set in hash order: fix it so the files are reproducible.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    out = sys.argv[1]
    source = find_source()
    peft = load_peft(source)
    for name, spec in CASES.items():
        make_case(peft, name, spec, out)
    with open(os.path.join(out, "made_by.json"), "w") as f:
        json.dump({"peft_revision": source.revision(), "peft_version": peft.version, "torch": torch.__version__}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
