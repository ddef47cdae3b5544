#!/usr/bin/env python3
"""PyTorch side of test/nn/torch-parity.test.ts (test tooling only: frod-ts never runs Python).

    python3 parity.py DIR

reads DIR/inputs.safetensors (tensors named `<case>.<field>`, the cases as JSON in its metadata),
computes every case with torch, and writes
  DIR/results.safetensors      float64 results named `<case>.<output>`, non-tensor results as JSON metadata
  DIR/from_python.safetensors  tensors of every dtype (and float64 copies) for frod-ts to load
and checks DIR/from_ts.safetensors (written by frod-ts) bit for bit against torch's own conversions.
Safetensors are read and written here with a small reader/writer of our own (no `safetensors` package).
"""
from __future__ import annotations

import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ST_TO_TORCH = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
TORCH_TO_ST = {v: k for k, v in ST_TO_TORCH.items()}


# ---------------------------------------------------------------- safetensors

def tensor_bytes(t: torch.Tensor) -> bytes:
    """Row-major little-endian bytes of a tensor (works for bfloat16 and bool too)."""
    return t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def read_safetensors(path: str):
    """Returns ({name: tensor}, metadata or None, {name: (dtype name, raw bytes)}), in header order."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors, raw = {}, {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        blob = data[base + begin:base + end]
        dtype = ST_TO_TORCH[info["dtype"]]
        flat = torch.frombuffer(bytearray(blob), dtype=torch.uint8) if blob else torch.empty(0, dtype=torch.uint8)
        tensors[name] = flat.view(dtype).reshape(info["shape"]).clone()
        raw[name] = (info["dtype"], blob)
    return tensors, header.get("__metadata__"), raw


def write_safetensors(path: str, tensors: "dict[str, torch.Tensor]", metadata: "dict[str, str] | None" = None):
    header: dict = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name]
        blob = tensor_bytes(t)
        header[name] = {"dtype": TORCH_TO_ST[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- cases

OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def optimizer_case(case, T):
    """Two parameters in two groups (the second with its own lr), per-step gradients given, 5 or so steps."""
    cid = case["id"]
    params = [T[f"{cid}.p0"].clone().requires_grad_(True), T[f"{cid}.p1"].clone().requires_grad_(True)]
    groups = [{"params": [params[0]]}, {"params": [params[1]], "lr": case["lr1"]}]
    opt = OPTIMIZERS[case["kind"]](groups, **case["options"])
    history = [[], []]
    for step in range(case["steps"]):
        for i, p in enumerate(params):
            p.grad = T[f"{cid}.g{i}"][step].clone()
        opt.step()
        for i, p in enumerate(params):
            history[i].append(p.detach().clone())
    return {f"p{i}": torch.stack(h) for i, h in enumerate(history)}


def cross_entropy_case(case, T):
    cid = case["id"]
    x = T[f"{cid}.input"].clone().requires_grad_(True)
    target = T[f"{cid}.target"]
    target = target.long() if not target.is_floating_point() else target
    weight = T.get(f"{cid}.weight")
    o = case["options"]
    loss = F.cross_entropy(x, target, weight=weight, ignore_index=o["ignore_index"],
                           reduction=o["reduction"], label_smoothing=o["label_smoothing"])
    (loss * T[f"{cid}.upstream"]).sum().backward()
    return {"loss": loss.detach(), "dinput": x.grad}


def layer_norm_case(case, T):
    cid = case["id"]
    x = T[f"{cid}.x"].clone().requires_grad_(True)
    w = T.get(f"{cid}.weight")
    b = T.get(f"{cid}.bias")
    w = w.clone().requires_grad_(True) if w is not None else None
    b = b.clone().requires_grad_(True) if b is not None else None
    y = F.layer_norm(x, case["normalized_shape"], w, b, case["eps"])
    (y * T[f"{cid}.upstream"]).sum().backward()
    out = {"y": y.detach(), "dx": x.grad}
    if w is not None:
        out["dweight"] = w.grad
    if b is not None:
        out["dbias"] = b.grad
    return out


def unary_case(case, T):
    cid = case["id"]
    x = T[f"{cid}.x"].clone().requires_grad_(True)
    if case["kind"] == "log_softmax":
        y = F.log_softmax(x, dim=case["dim"])
    else:
        y = F.gelu(x, approximate=case["approximate"])
    (y * T[f"{cid}.upstream"]).sum().backward()
    return {"y": y.detach(), "dx": x.grad}


def graph_case(case, T):
    """z = a@b + c; w = tanh(z)·d − z²/(|d| + 1); loss = Σ softmax(w)·g + mean(w); gradients of a, b, c, d."""
    cid = case["id"]
    a, b, c, d = (T[f"{cid}.{k}"].clone().requires_grad_(True) for k in "abcd")
    z = a.matmul(b) + c
    w = z.tanh() * d - z.pow(2) / (d.abs() + 1)
    loss = (w.softmax(-1) * T[f"{cid}.upstream"]).sum() + w.mean()
    loss.backward()
    return {"loss": loss.detach(), "da": a.grad, "db": b.grad, "dc": c.grad, "dd": d.grad}


def affine_case(case, T):
    """F.linear with weight (out, in), or GPT-2's Conv1D with weight (nx, nf): y = x·W + b."""
    cid = case["id"]
    x, w, b = (T[f"{cid}.{k}"].clone().requires_grad_(True) for k in ("x", "weight", "bias"))
    if case["kind"] == "linear":
        y = F.linear(x, w, b)
    else:
        y = torch.addmm(b, x.reshape(-1, x.shape[-1]), w).reshape(*x.shape[:-1], w.shape[1])
    (y * T[f"{cid}.upstream"]).sum().backward()
    return {"y": y.detach(), "dx": x.grad, "dweight": w.grad, "dbias": b.grad}


class Conv1D(nn.Module):
    """GPT-2's Conv1D as Hugging Face writes it (weight (nx, nf)); transformers is not needed for this."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], self.nf)


def build_model(width, hidden, out):
    """The same tree the TypeScript test builds (see modelTree there)."""
    return nn.ModuleDict({
        "norm": nn.LayerNorm(width),
        "blocks": nn.ModuleList([
            nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width)),
            nn.Sequential(nn.Linear(width, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, width, bias=False)),
        ]),
        "head": Conv1D(out, width),
    })


def model_forward(model, x):
    h = model["norm"](x)
    for block in model["blocks"]:
        h = h + block(h)
    return model["head"](h)


def module_case(case, T):
    cid = case["id"]
    width, hidden, out = case["width"], case["hidden"], case["out"]
    model = build_model(width, hidden, out).double()
    prefix = f"{cid}.sd."
    state = {k[len(prefix):]: v for k, v in T.items() if k.startswith(prefix)}
    model.load_state_dict(state, strict=True)
    info = {
        "named_modules": [name for name, _ in model.named_modules()],
        "named_parameters": [[name, list(p.shape)] for name, p in model.named_parameters()],
        "state_dict_keys": list(model.state_dict().keys()),
    }
    x = T[f"{cid}.x"].clone().requires_grad_(True)
    y = model_forward(model, x)
    (y * T[f"{cid}.upstream"]).sum().backward()
    tensors = {"y": y.detach(), "dx": x.grad}
    for name, p in model.named_parameters():
        tensors[f"grad.{name}"] = p.grad
    # strict=False reports; strict=True raises naming the keys.
    broken = dict(model.state_dict())
    for key in case["drop_keys"]:
        del broken[key]
    for key in case["extra_keys"]:
        broken[key] = torch.zeros(1, dtype=torch.float64)
    report = model.load_state_dict(broken, strict=False)
    info["missing_keys"], info["unexpected_keys"] = list(report.missing_keys), list(report.unexpected_keys)
    try:
        model.load_state_dict(broken, strict=True)
        info["strict_error"] = None
    except RuntimeError as err:
        info["strict_error"] = str(err)
    # Surgery: swap the second block's bias-free output Linear for one with a bias, and the head for a Linear.
    parent = model.get_submodule(case["surgery_parent"])
    setattr(parent, case["surgery_child"], nn.Linear(hidden, width))
    model["head"] = nn.Linear(width, out)
    info["after_surgery_parameters"] = [[name, list(p.shape)] for name, p in model.named_parameters()]
    info["after_surgery_modules"] = [[name, type(m).__name__] for name, m in model.named_modules()]
    return tensors, info


HANDLERS = {
    "sgd": optimizer_case, "adam": optimizer_case, "adamw": optimizer_case,
    "cross_entropy": cross_entropy_case, "layer_norm": layer_norm_case,
    "log_softmax": unary_case, "gelu": unary_case, "graph": graph_case,
    "linear": affine_case, "conv1d": affine_case,
}


# ---------------------------------------------------------------- safetensors both ways

def python_zoo():
    """Tensors of every dtype frod-ts reads, with edge values, plus float64 copies named `<name>.f64`."""
    g = torch.Generator().manual_seed(1234)
    f64 = torch.randn(3, 4, generator=g, dtype=torch.float64)
    f64[0, :3] = torch.tensor([float("inf"), -0.0, 5e-324], dtype=torch.float64)
    f32 = torch.randn(2, 3, 2, generator=g) * 1e3
    f32[0, 0, :] = torch.tensor([float("-inf"), 1e-45])
    f16 = torch.cat([torch.randn(5, generator=g), torch.tensor([65504.0, 6e-8, -0.0, float("inf"), 1e-5])]).half()
    bf16 = torch.cat([torch.randn(6, generator=g) * 1e30, torch.tensor([-0.0, 3e38, 1e-40, float("-inf")])]).bfloat16()
    zoo = {
        "f64": f64, "f32": f32, "f16": f16.reshape(2, 5), "bf16": bf16.reshape(5, 2),
        "i64_small": torch.randint(-2**31, 2**31, (7,), generator=g, dtype=torch.int64),
        "i64_large": torch.tensor([2**53, -2**53, 2**40 + 3, -7, 0], dtype=torch.int64),
        "i32": torch.cat([torch.randint(-1000, 1000, (4,), generator=g, dtype=torch.int32),
                          torch.tensor([2**31 - 1, -2**31], dtype=torch.int32)]),
        "u8": torch.arange(0, 256, 17, dtype=torch.uint8).reshape(-1, 1),
        "bool": torch.rand(2, 3, 2, generator=g) > 0.5,
        "scalar_f32": torch.tensor(3.25),
        "empty_f64": torch.empty(0, 3, dtype=torch.float64),
    }
    zoo.update({f"{name}.f64": t.double() for name, t in list(zoo.items())})
    return zoo


def differing_elements(expected: torch.Tensor, got: torch.Tensor) -> "list[int]":
    """Indices whose bit patterns differ, except where both are NaN: torch itself writes NaN as 0x7FC0 or
    0xFFFF in BF16 depending on its code path (scalar or vectorised), so NaN payloads are not compared."""
    width = {1: torch.uint8, 2: torch.int16, 4: torch.int32, 8: torch.int64}[expected.element_size()]
    a, b = expected.reshape(-1), got.reshape(-1)
    bits_differ = a.view(width) != b.view(width) if a.dtype != torch.bool else a != b
    both_nan = torch.isnan(a) & torch.isnan(b) if a.is_floating_point() else torch.zeros_like(bits_differ)
    return (bits_differ & ~both_nan).nonzero().reshape(-1).tolist()


def check_from_ts(path):
    """Each `<name>` must equal torch's conversion of the float64 `<name>.source` to its dtype, bit for bit."""
    tensors, metadata, raw = read_safetensors(path)
    problems, checked = [], 0
    for name, (dtype_name, blob) in raw.items():
        if name.endswith(".source"):
            continue
        source = tensors.get(name + ".source")
        if source is None:
            problems.append(f"{name}: no .source tensor")
            continue
        dtype = ST_TO_TORCH[dtype_name]
        expected = source.to(dtype) if dtype != torch.bool else source != 0
        if list(tensors[name].shape) != list(source.shape):
            problems.append(f"{name}: shape {list(tensors[name].shape)} vs {list(source.shape)}")
        else:
            bad = differing_elements(expected, tensors[name])
            if bad:
                problems.append(f"{name} ({dtype_name}): elements {bad[:5]} differ from torch's: "
                                f"{tensors[name].reshape(-1)[bad[:5]].tolist()} vs {expected.reshape(-1)[bad[:5]].tolist()}")
        checked += 1
    return {"checked": checked, "problems": problems, "metadata": metadata}


def main(folder: str):
    torch.set_num_threads(1)
    T, metadata, _ = read_safetensors(f"{folder}/inputs.safetensors")
    cases = json.loads(metadata["cases"])
    results, info = {}, {}
    for case in cases:
        if case["kind"] == "module":
            produced, info[case["id"]] = module_case(case, T)
        else:
            produced = HANDLERS[case["kind"]](case, T)
        for name, t in produced.items():
            results[f"{case['id']}.{name}"] = t.detach().to(torch.float64).contiguous()
    write_safetensors(f"{folder}/from_python.safetensors", python_zoo(), {"writer": "torch " + torch.__version__})
    info["from_ts"] = check_from_ts(f"{folder}/from_ts.safetensors")
    info["torch_version"] = torch.__version__
    write_safetensors(f"{folder}/results.safetensors", results, {"info": json.dumps(info)})


if __name__ == "__main__":
    main(sys.argv[1])
