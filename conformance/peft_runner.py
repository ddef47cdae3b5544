#!/usr/bin/env python3
"""Runs the frod-ts conformance suite with PyTorch + Hugging Face PEFT and writes the outputs to grade.

    python conformance/peft_runner.py --suite SUITE --out ACTUAL [--peft-src DIR | --peft-git DIR] [--only ID ...]
    npx frod conformance grade --suite SUITE --actual ACTUAL

Not part of the frod-ts package's runtime: it needs the user's own torch, and PEFT either installed
(`import peft`, used as is: get_peft_model, PeftModel.from_pretrained, merge_adapter, autograd) or as sources
(PEFT_SRC = a checkout, PEFT_GIT = a git repository): then PEFT's own FRoD code is extracted from them at run
time and run unchanged (see peft_extracted.py for exactly which parts, and which stand-ins replace PEFT's
generic tuner plumbing). Safetensors are read and written here (no `safetensors` package needed).

For each case of SUITE/manifest.json it follows the suite's protocol (SUITE/README.md): builds torch modules
at the case's paths, creates the adapters from their configs, then loads the trained adapters, and writes
ACTUAL/cases/<id>/outputs.safetensors and outputs.json, plus ACTUAL/implementation.json. A step that raises
is reported on stderr and in outputs.json ("errors"); its outputs are then missing from the grade.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import traceback
import warnings

import torch
from torch import nn

ST_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
             "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}
DTYPES = {"float64": torch.float64, "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def read_safetensors(path):
    """{name: tensor} of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + size + begin:8 + size + end])
        flat = torch.frombuffer(raw, dtype=torch.uint8) if raw else torch.empty(0, dtype=torch.uint8)
        out[name] = flat.view(ST_DTYPES[info["dtype"]]).reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    """Writes float tensors as F64 and integer ones as I64 (the grader reads both)."""
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu()
        t = t.to(torch.float64) if t.is_floating_point() else t.to(torch.int64)
        blob = t.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": "F64" if t.dtype == torch.float64 else "I64", "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def load_backend(args):
    """PEFT as installed, else PEFT's FRoD code extracted from its sources."""
    try:
        import peft  # noqa: F401
        from peft import FrodConfig, PeftModel, get_peft_model
        from peft.tuners.frod.layer import FrodLayer
        from peft.tuners.frod.model import _category_from_key
        from peft.utils import get_peft_model_state_dict
        from transformers.pytorch_utils import Conv1D
        import types
        return types.SimpleNamespace(PeftModel=PeftModel, get_peft_model=get_peft_model, get_peft_model_state_dict=get_peft_model_state_dict,
                                     FrodConfig=FrodConfig, FrodLayer=FrodLayer, Conv1D=Conv1D, category_from_key=_category_from_key,
                                     description=f"PEFT {peft.__version__} (installed)")
    except ImportError:
        pass
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True  # leave no __pycache__ beside the runner
    import peft_extracted
    source = peft_extracted.PeftSource(src=args.peft_src or os.environ.get("PEFT_SRC"), git=args.peft_git or os.environ.get("PEFT_GIT"), rev=args.peft_rev)
    return peft_extracted.load(source)


def build_model(entry, base, api):
    """Linear / Conv1D modules at the case's dotted paths, holding base.safetensors' weights."""
    root = nn.Module()
    dtype = DTYPES[entry["dtype"]]
    for m in entry["modules"]:
        *parents, leaf = m["path"].split(".")
        parent = root
        for part in parents:
            if not hasattr(parent, part):
                parent.add_module(part, nn.Module())
            parent = getattr(parent, part)
        if m["kind"] == "conv1d":
            layer = api.Conv1D(m["out_features"], m["in_features"])
        else:
            layer = nn.Linear(m["in_features"], m["out_features"], bias=m["bias"])
        layer.to(dtype)
        with torch.no_grad():
            layer.weight.copy_(base[f"{m['path']}.weight"])
            if m["bias"]:
                layer.bias.copy_(base[f"{m['path']}.bias"])
            elif getattr(layer, "bias", None) is not None:
                layer.bias = None
        parent.add_module(leaf, layer)
    return root


def frod_layers(peft_model, api, adapter):
    return [(name, m) for name, m in peft_model.base_model.model.named_modules()
            if isinstance(m, api.FrodLayer) and adapter in m.frod_lambda_l]


def merged_weights(peft_model, api, adapters, paths):
    """The base weights with `adapters` merged (stored orientation), then unmerged."""
    peft_model.base_model.merge_adapter(list(adapters))
    out = {p: peft_model.base_model.model.get_submodule(p).get_base_layer().weight.detach().clone() for p in paths}
    with warnings.catch_warnings():  # layers of other adapters were not merged: PEFT says so, harmlessly
        warnings.filterwarnings("ignore", message="Already unmerged")
        peft_model.base_model.unmerge_adapter()
    return out


class Outputs:
    """Tensors, lists and errors of one case."""

    def __init__(self):
        self.tensors, self.lists, self.errors = {}, {}, []

    def attempt(self, what, fn):
        try:
            fn()
        except Exception as err:  # a step PEFT cannot do is reported, not fatal
            self.errors.append(f"{what}: {type(err).__name__}: {err}")
            print(f"  {what}: {type(err).__name__}: {err}", file=sys.stderr)
            if os.environ.get("FROD_DEBUG") == "1":
                traceback.print_exc()


def init_stage(directory, entry, base, inputs, api, out):
    configs = {a: api.FrodConfig.from_pretrained(os.path.join(directory, "adapters", a)) for a in entry["adapters"]}
    first, *others = entry["adapters"]
    peft_model = api.get_peft_model(build_model(entry, base, api), configs[first], adapter_name=first)
    for a in others:
        out.attempt(f"init: add_adapter {a}", lambda a=a: peft_model.add_adapter(a, configs[a]))
    for a in entry["adapters"]:
        init_adapter(peft_model, entry, inputs, api, a, out)


def init_adapter(peft_model, entry, inputs, api, a, out):
    peft_model.set_adapter(a)
    prefix = f"init/{a}"
    layers = frod_layers(peft_model, api, a)
    tuner = peft_model.base_model
    out.lists[f"{prefix}/targets"] = [p for p, _ in layers]

    def tensors():
        out.lists[f"{prefix}/saved_keys"] = sorted(api.get_peft_model_state_dict(peft_model, adapter_name=a))
        for p, layer in layers:
            category = api.category_from_key(p)
            out.tensors[f"{prefix}/V/{category}"] = tuner.frod_V[category][a]
            out.tensors[f"{prefix}/pattern/{category}"] = tuner.frod_s_indices[category][a]
            out.tensors[f"{prefix}/lambda/{p}"] = layer.frod_lambda_l[a]
            out.tensors[f"{prefix}/U_lambda/{p}"] = layer.frod_U[a].double() * layer.frod_lambda_l[a].detach().double()

    def merged():
        for p, w in merged_weights(peft_model, api, [a], [p for p, _ in layers]).items():
            out.tensors[f"{prefix}/merged/{p}"] = w

    def forward():
        with torch.no_grad():
            for m in entry["modules"]:
                out.tensors[f"{prefix}/forward/{m['path']}"] = tuner.model.get_submodule(m["path"])(inputs[f"x/{m['path']}"])

    out.attempt(f"init {a}: saved keys, V, pattern, lambda, U", tensors)
    out.attempt(f"init {a}: merge", merged)
    out.attempt(f"init {a}: forward", forward)


def recompute_u(peft_model, api, adapter):
    """The workaround for PEFT keeping U from its own fresh V after loading a saved V: U again from the loaded V,
    with PEFT's own _calculate_frod_u_and_lambda, as update_layer computes it."""
    for _, layer in frod_layers(peft_model, api, adapter):
        base_layer = layer.get_base_layer()
        weight = base_layer.weight.T if layer.fan_in_fan_out else base_layer.weight
        u, _ = layer._calculate_frod_u_and_lambda(layer.frod_V[adapter].to(base_layer.weight.dtype), weight)
        layer.frod_U[adapter] = u.to(base_layer.weight.dtype)


def trained_stage(directory, entry, base, inputs, api, out, refresh_u=False):
    path = lambda a: os.path.join(directory, "trained", a)  # noqa: E731
    first, *others = entry["adapters"]
    peft_model = api.PeftModel.from_pretrained(build_model(entry, base, api), path(first), adapter_name=first, is_trainable=True)
    for a in others:
        out.attempt(f"trained: load_adapter {a}", lambda a=a: peft_model.load_adapter(path(a), a, is_trainable=True))
    if refresh_u:
        for a in entry["adapters"]:
            out.attempt(f"trained: recompute U of {a}", lambda a=a: recompute_u(peft_model, api, a))
    for a in entry["adapters"]:
        trained_adapter(peft_model, entry, inputs, api, a, out)
    if len(entry["adapters"]) > 1:
        def merge_all():
            paths = sorted({p for a in entry["adapters"] for p, _ in frod_layers(peft_model, api, a)})
            for p, w in merged_weights(peft_model, api, entry["adapters"], paths).items():
                out.tensors[f"trained/merged_all/{p}"] = w
        out.attempt("trained: merge all adapters", merge_all)


def trained_adapter(peft_model, entry, inputs, api, a, out):
    peft_model.set_adapter(a)
    prefix = f"trained/{a}"
    model = peft_model.base_model.model
    layers = frod_layers(peft_model, api, a)

    def forward_and_gradients():
        model.zero_grad(set_to_none=True)
        loss = 0
        for m in entry["modules"]:
            y = model.get_submodule(m["path"])(inputs[f"x/{m['path']}"])
            out.tensors[f"{prefix}/forward/{m['path']}"] = y.detach()
            loss = loss + (y * inputs[f"g/{m['path']}"]).sum()
        loss.backward()
        for p, layer in layers:
            for key, param in (("grad_lambda", layer.frod_lambda_l[a]), ("grad_s", layer.frod_lambda_s_values[a])):
                out.tensors[f"{prefix}/{key}/{p}"] = param.grad if param.grad is not None else torch.zeros_like(param)
        for m in entry["modules"]:
            module = model.get_submodule(m["path"])
            bias = module.get_base_layer().bias if isinstance(module, api.FrodLayer) else getattr(module, "bias", None)
            if bias is not None and bias.requires_grad and bias.grad is not None:
                out.tensors[f"{prefix}/grad_bias/{m['path']}"] = bias.grad

    def u_lambda():
        for p, layer in layers:
            out.tensors[f"{prefix}/U_lambda/{p}"] = layer.frod_U[a].double() * layer.frod_lambda_l[a].detach().double()

    def merged():
        for p, w in merged_weights(peft_model, api, [a], [p for p, _ in layers]).items():
            out.tensors[f"{prefix}/merged/{p}"] = w

    out.attempt(f"trained {a}: forward and gradients", forward_and_gradients)
    out.attempt(f"trained {a}: U", u_lambda)
    out.attempt(f"trained {a}: merge", merged)


def run_case(suite, entry, api, out_dir, refresh_u=False):
    directory = os.path.join(suite, "cases", entry["id"])
    base = read_safetensors(os.path.join(directory, "base.safetensors"))
    inputs = read_safetensors(os.path.join(directory, "inputs.safetensors"))
    out = Outputs()
    out.attempt("init", lambda: init_stage(directory, entry, base, inputs, api, out))
    out.attempt("trained", lambda: trained_stage(directory, entry, base, inputs, api, out, refresh_u))
    target = os.path.join(out_dir, "cases", entry["id"])
    os.makedirs(target, exist_ok=True)
    write_safetensors(os.path.join(target, "outputs.safetensors"), out.tensors)
    with open(os.path.join(target, "outputs.json"), "w", encoding="utf-8") as f:
        json.dump({**dict(sorted(out.lists.items())), "errors": out.errors}, f, indent=2)
    return len(out.errors)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", required=True, help="the suite (from `frod conformance export`)")
    parser.add_argument("--out", required=True, help="where to write the outputs")
    parser.add_argument("--peft-src", help="a PEFT checkout to extract FRoD from when PEFT is not installed (or PEFT_SRC)")
    parser.add_argument("--peft-git", help="a PEFT git repository to extract FRoD from (or PEFT_GIT)")
    parser.add_argument("--peft-rev", default="HEAD", help="the revision of --peft-git (default HEAD)")
    parser.add_argument("--only", nargs="*", help="only these case ids")
    parser.add_argument("--recompute-u-after-load", action="store_true",
                        help="after loading a trained adapter, recompute U from the loaded V (a workaround: PEFT keeps the U of the V it computed itself)")
    args = parser.parse_args(argv)
    try:
        api = load_backend(args)
    except (FileNotFoundError, LookupError) as err:
        print(f"peft_runner: PEFT is neither installed nor given as sources: {err}", file=sys.stderr)
        return 3
    with open(os.path.join(args.suite, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    failed = 0
    for entry in manifest["cases"]:
        if args.only and entry["id"] not in args.only:
            continue
        print(f"{entry['id']}", file=sys.stderr)
        failed += run_case(args.suite, entry, api, args.out, args.recompute_u_after_load)
    workaround = "; U recomputed after loading (workaround)" if args.recompute_u_after_load else ""
    claims = {"name": f"{api.description}; torch {torch.__version__}{workaround}", "pattern_rng": "peft", "precision": "float32"}
    with open(os.path.join(args.out, "implementation.json"), "w", encoding="utf-8") as f:
        json.dump(claims, f, indent=2)
    print(f"peft_runner: wrote {args.out} ({api.description}); {failed} step(s) raised", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
