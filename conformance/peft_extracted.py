"""PEFT's own FRoD code, run without installing PEFT (used by peft_runner.py when `import peft` fails).

PEFT imports transformers, accelerate and more; FRoD's code needs none of it. This module reads PEFT's
sources -- a checkout (PEFT_SRC / --peft-src) or a git repository (PEFT_GIT / --peft-git, read with
`git show <rev>:<path>`) -- picks the pieces below by name with `ast`, and runs them unchanged. Nothing of
PEFT is copied into this repository: the code is read from the user's PEFT at run time.

PEFT's code, unchanged:
  tuners/frod/layer.py, tuners/frod/model.py, tuners/_buffer_dict.py (whole files);
  tuners/tuners_utils.py: BaseTunerLayer, check_target_module_exists, _ExcludedModule, _get_in_out_features,
    check_adapters_to_merge, cast_adapter_dtype, set_adapter, _get_tuner_state_dict_key_prefixes,
    _is_key_under_prefixes, _filter_state_dict_by_key_prefixes, _remove_adapter_name_from_state_dict_key,
    and BaseTuner's methods listed in BASE_TUNER_METHODS;
  utils/other.py: transpose, match_target_against_key, _get_submodules, _set_layer_requires_grad, _set_adapter;
  utils/save_and_load.py: _filter_state_dict_for_adapter_name;  utils/constants.py: UPCAST_DTYPES, DUMMY_MODEL_CONFIG.

Stand-ins written here, following PEFT's order of calls: BaseTuner.__init__ and inject_adapter (its target
loop, without tied weights, state_dict injection, target_parameters or the >= 20-targets shortcut);
PeftModel (get_peft_model, add_adapter, from_pretrained / load_adapter as set_peft_model_state_dict does
it: remap the keys, then load_state_dict(strict=False)); get_peft_model_state_dict (adapter filter,
_get_adapter_state_dict, key renaming); FrodConfig (adapter_config.json's fields); Conv1D (transformers'
GPT-2 layer: y = x W + b, W (in, out)); tqdm (no bar).
"""
from __future__ import annotations

import __future__
import ast
import contextlib
import copy
import dataclasses
import json
import os
import re
import subprocess
import sys
import types
import typing
import warnings
from abc import ABC, abstractmethod

import torch
from torch import nn

BASE_TUNER_METHODS = (
    "active_adapters", "_prepare_adapter_config", "get_model_config", "_check_new_adapter_config",
    "_check_target_module_exists", "_mark_only_adapters_as_trainable", "_cast_adapter_dtype", "_replace_module",
    "set_adapter", "merge_adapter", "unmerge_adapter", "_get_adapter_state_dict", "_get_learnable_bias_state_dict",
    "_remove_adapter_name_from_key", "_remap_adapter_state_dict_for_load",
)
TUNERS_UTILS_NAMES = (
    "BaseTunerLayer", "check_target_module_exists", "_ExcludedModule", "_get_in_out_features", "check_adapters_to_merge",
    "cast_adapter_dtype", "set_adapter", "_get_tuner_state_dict_key_prefixes", "_is_key_under_prefixes",
    "_filter_state_dict_by_key_prefixes", "_remove_adapter_name_from_state_dict_key",
)


class PeftSource:
    """Reads PEFT's files from a checkout or a git repository."""

    def __init__(self, src=None, git=None, rev="HEAD"):
        if not src and not git:
            raise FileNotFoundError("no PEFT sources: set PEFT_SRC (a checkout) or PEFT_GIT (a git repository)")
        self.src, self.git, self.rev = src, git, rev

    def read(self, path):
        if self.src:
            with open(os.path.join(self.src, path), encoding="utf-8") as f:
                return f.read()
        done = subprocess.run(["git", "-C", self.git, "show", f"{self.rev}:{path}"], capture_output=True, text=True)
        if done.returncode != 0:
            raise FileNotFoundError(f"{self.git}: cannot read {self.rev}:{path} ({done.stderr.strip()})")
        return done.stdout

    def describe(self):
        if self.src:
            return f"PEFT sources at {self.src}"
        sha = subprocess.run(["git", "-C", self.git, "rev-parse", self.rev], capture_output=True, text=True).stdout.strip()
        return f"PEFT {sha[:12]} from {self.git}"


def _compile(nodes, filename):
    flags = __future__.annotations.compiler_flag
    module = ast.fix_missing_locations(ast.Module(body=nodes, type_ignores=[]))
    return compile(module, filename, "exec", flags=flags, dont_inherit=True)


def _pick(text, names, filename):
    """The top-level functions, classes and assignments of `text` named in `names` (all must exist)."""
    found, nodes = set(), []
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
            nodes.append(node)
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            hit = [t.id for t in node.targets if isinstance(t, ast.Name) and t.id in names]
            if hit:
                nodes.append(node)
                found.update(hit)
    missing = set(names) - found
    if missing:
        raise LookupError(f"{filename}: PEFT has no {', '.join(sorted(missing))} here; this runner needs them")
    return nodes


def _pick_methods(text, class_name, names, filename):
    """A class `PeftBaseTunerMethods(nn.Module)` holding only the listed methods of PEFT's `class_name`."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            body = [n for n in node.body if isinstance(n, ast.FunctionDef) and n.name in names]
            missing = set(names) - {n.name for n in body}
            if missing:
                raise LookupError(f"{filename}: {class_name} has no {', '.join(sorted(missing))}")
            base = ast.parse("nn.Module", mode="eval").body
            cls = ast.ClassDef(name="PeftBaseTunerMethods", bases=[base], keywords=[], body=body, decorator_list=[])
            return ast.copy_location(cls, node)
    raise LookupError(f"{filename}: no class {class_name}")


def _module(name, package=None, **attrs):
    module = types.ModuleType(name)
    module.__package__ = package if package is not None else name.rpartition(".")[0]
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


def _package(name):
    module = _module(name, package=name)
    module.__path__ = []
    return module


def _exec_file(source, path, name):
    module = _module(name)
    exec(compile(source.read(path), f"peft/{path}", "exec"), module.__dict__)
    return module


class Conv1D(nn.Module):
    """Hugging Face's GPT-2 Conv1D: weight (nx, nf) = (in, out), y = x W + b."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf, self.nx = nf, nx
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).reshape(*x.shape[:-1], self.nf)


class _NoBar:
    """tqdm without a bar."""

    def __init__(self, iterable=None, **_):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, *_, **__):
        pass


FROD_DEFAULTS = dict(
    task_type=None, peft_type="FROD", target_modules=None, projection_prng_key=0, save_projection=True, frod_dropout=0.0,
    fan_in_fan_out=False, bias="none", modules_to_save=None, init_weights=True, layers_to_transform=None,
    layers_pattern=None, sparse_rate=0.01, regularization_alpha=1e-3, progressbar=True, runtime_offload_base_weight=False,
    inference_mode=False, exclude_modules=None, target_parameters=None, base_model_name_or_path=None, revision=None,
)


class FrodConfig:
    """adapter_config.json's fields as attributes, with FrodConfig.__post_init__'s list-to-set of target_modules."""

    def __init__(self, **fields):
        for key, value in {**FROD_DEFAULTS, **fields}.items():
            setattr(self, key, value)
        if isinstance(self.target_modules, list):
            self.target_modules = set(self.target_modules)
        if self.layers_pattern and self.layers_to_transform is None:
            raise ValueError("When `layers_pattern` is specified, `layers_to_transform` must also be specified. ")

    @classmethod
    def from_pretrained(cls, directory):
        with open(os.path.join(directory, "adapter_config.json"), encoding="utf-8") as f:
            fields = json.load(f)
        return cls(**{k: v for k, v in fields.items() if k in FROD_DEFAULTS})


def load(source):
    """Builds PEFT's FRoD from `source`; returns a namespace with PEFT's API for the runner."""
    for name in ("peft", "peft.tuners", "peft.tuners.frod", "peft.utils"):
        _package(name)
    buffer_dict = _exec_file(source, "src/peft/tuners/_buffer_dict.py", "peft.tuners._buffer_dict")
    # No case has modules_to_save, so no AuxiliaryTrainingWrapper is ever made: an empty class keeps isinstance working.
    aux = type("AuxiliaryTrainingWrapper", (nn.Module,), {})
    other = _module("peft.utils.other", torch=torch, re=re, Optional=typing.Optional, Sequence=typing.Sequence, AuxiliaryTrainingWrapper=aux)
    other_text = source.read("src/peft/utils/other.py")
    exec(_compile(_pick(other_text, ("transpose", "match_target_against_key", "_get_submodules", "_set_layer_requires_grad", "_set_adapter"), "utils/other.py"), "peft/utils/other.py"), other.__dict__)
    constants = {}
    exec(_compile(_pick(source.read("src/peft/utils/constants.py"), ("UPCAST_DTYPES", "DUMMY_MODEL_CONFIG"), "utils/constants.py"), "peft/utils/constants.py"), constants)
    sys.modules["peft.utils"].TRANSFORMERS_MODELS_TO_FROD_TARGET_MODULES_MAPPING = {}
    _module("tqdm", tqdm=_NoBar)
    _package("transformers")
    _module("transformers.pytorch_utils", Conv1D=Conv1D)

    tu = _module(
        "peft.tuners.tuners_utils", torch=torch, nn=nn, re=re, warnings=warnings, copy=copy, dataclasses=dataclasses,
        os=os, Optional=typing.Optional, Any=typing.Any, Union=typing.Union, Sequence=typing.Sequence,
        overload=typing.overload, ABC=ABC, abstractmethod=abstractmethod, contextmanager=contextlib.contextmanager,
        nullcontext=contextlib.nullcontext, BufferDict=buffer_dict.BufferDict, Conv1D=Conv1D,
        AuxiliaryTrainingWrapper=other.AuxiliaryTrainingWrapper, match_target_against_key=other.match_target_against_key,
        _set_layer_requires_grad=other._set_layer_requires_grad, _get_submodules=other._get_submodules, _set_adapter=other._set_adapter,
        UPCAST_DTYPES=constants["UPCAST_DTYPES"], DUMMY_MODEL_CONFIG=constants["DUMMY_MODEL_CONFIG"],
        _torch_supports_distributed=False, is_transformers_ge_v5=False, is_gptqmodel_quant_linear=lambda module: False,
        onload_layer=lambda layer: contextlib.nullcontext(), _maybe_include_all_linear_layers=lambda config, model: config,
    )
    tu_text = source.read("src/peft/tuners/tuners_utils.py")
    nodes = _pick(tu_text, TUNERS_UTILS_NAMES, "tuners/tuners_utils.py") + [_pick_methods(tu_text, "BaseTuner", BASE_TUNER_METHODS, "tuners/tuners_utils.py")]
    exec(_compile(nodes, "peft/tuners/tuners_utils.py"), tu.__dict__)
    tu.BaseTuner = _base_tuner(tu)

    _module("peft.tuners.frod.config", FrodConfig=FrodConfig)
    layer = _exec_file(source, "src/peft/tuners/frod/layer.py", "peft.tuners.frod.layer")
    model = _exec_file(source, "src/peft/tuners/frod/model.py", "peft.tuners.frod.model")
    save_text = source.read("src/peft/utils/save_and_load.py")
    save = {"torch": torch}
    exec(_compile(_pick(save_text, ("_filter_state_dict_for_adapter_name",), "utils/save_and_load.py"), "peft/utils/save_and_load.py"), save)
    return _api(model.FrodModel, layer.FrodLayer, model._category_from_key, save["_filter_state_dict_for_adapter_name"], source.describe())


def _base_tuner(tu):
    """BaseTuner: PEFT's methods (above) with a stand-in __init__ / inject_adapter in PEFT's order of calls."""

    class BaseTuner(tu.PeftBaseTunerMethods):
        def __init__(self, model, peft_config, adapter_name, low_cpu_mem_usage=False, state_dict=None):
            nn.Module.__init__(self)
            self.model = model
            self.targeted_module_names, self.targeted_parameter_names = [], []
            self.peft_config = dict(peft_config)
            self.active_adapter = adapter_name
            self._pre_injection_hook(self.model, self.peft_config[adapter_name], adapter_name)
            self.inject_adapter(self.model, adapter_name)
            self.model.peft_config = self.peft_config

        def forward(self, *args, **kwargs):
            return self.model.forward(*args, **kwargs)

        def _pre_injection_hook(self, model, config, adapter_name):
            pass

        def _check_merge_allowed(self):
            pass

        def inject_adapter(self, model, adapter_name, autocast_adapter_dtype=True, low_cpu_mem_usage=False, state_dict=None):
            peft_config = self.peft_config[adapter_name]
            self._check_new_adapter_config(peft_config)
            peft_config = self._prepare_adapter_config(peft_config, self.get_model_config(model))
            named_modules = list(model.named_modules())
            existing = [key + "." for key, module in named_modules if isinstance(module, tu.BaseTunerLayer)]
            targeted = []
            for key, _ in named_modules:
                if not key or any(key.startswith(prefix) for prefix in existing):
                    continue
                result = self._check_target_module_exists(peft_config, key)
                if isinstance(result, tu._ExcludedModule) or not result:
                    continue
                targeted.append(key)
                parent, target, target_name = tu._get_submodules(model, key)
                self._create_and_replace(peft_config, adapter_name, target, target_name, parent, current_key=key)
            if not targeted:
                raise ValueError(f"Target modules {peft_config.target_modules} not found in the base model.")
            self.targeted_module_names += [k for k in targeted if k not in self.targeted_module_names]
            self.set_adapter(self.active_adapters, inference_mode=peft_config.inference_mode)
            self._mark_only_adapters_as_trainable(model)
            if peft_config.inference_mode:
                for name, param in model.named_parameters():
                    if adapter_name in name:
                        param.requires_grad = False

    return BaseTuner


def _api(FrodModel, FrodLayer, category_from_key, filter_for_adapter, description):
    """PeftModel / get_peft_model / get_peft_model_state_dict stand-ins around PEFT's FrodModel."""

    def read_safetensors(path):
        import peft_runner  # the runner's reader (same directory)
        return peft_runner.read_safetensors(path)

    class PeftModel(nn.Module):
        def __init__(self, model, peft_config, adapter_name="default", autocast_adapter_dtype=True):
            super().__init__()
            self.base_model = FrodModel(model, {adapter_name: peft_config}, adapter_name)
            self.base_model._cast_adapter_dtype(adapter_name=adapter_name, autocast_adapter_dtype=autocast_adapter_dtype)

        @property
        def peft_config(self):
            return self.base_model.peft_config

        def add_adapter(self, adapter_name, peft_config, autocast_adapter_dtype=True):
            self.peft_config[adapter_name] = peft_config
            try:
                self.base_model.inject_adapter(self.base_model.model, adapter_name)
            except Exception:
                self.peft_config.pop(adapter_name, None)
                raise
            self.base_model._cast_adapter_dtype(adapter_name=adapter_name, autocast_adapter_dtype=autocast_adapter_dtype)

        def set_adapter(self, adapter_name):
            self.base_model.set_adapter(adapter_name)

        @classmethod
        def from_pretrained(cls, model, directory, adapter_name="default", is_trainable=False, autocast_adapter_dtype=True):
            config = FrodConfig.from_pretrained(directory)
            config.inference_mode = not is_trainable
            peft_model = cls(model, config, adapter_name, autocast_adapter_dtype)
            peft_model.load_adapter(directory, adapter_name, is_trainable=is_trainable, autocast_adapter_dtype=autocast_adapter_dtype)
            return peft_model

        def load_adapter(self, directory, adapter_name, is_trainable=False, autocast_adapter_dtype=True):
            if adapter_name not in self.peft_config:
                config = FrodConfig.from_pretrained(directory)
                config.inference_mode = not is_trainable
                self.add_adapter(adapter_name, config, autocast_adapter_dtype)
            weights = read_safetensors(os.path.join(directory, "adapter_model.safetensors"))
            config = self.peft_config[adapter_name]
            remapped = FrodModel._remap_adapter_state_dict_for_load(model=self, config=config, adapter_name=adapter_name, state_dict=dict(weights))
            self.load_state_dict(remapped, strict=False)
            self.base_model._cast_adapter_dtype(adapter_name=adapter_name, autocast_adapter_dtype=autocast_adapter_dtype)
            if not is_trainable:
                self.eval()

    def get_peft_model(model, config, adapter_name="default", autocast_adapter_dtype=True):
        return PeftModel(model, config, adapter_name, autocast_adapter_dtype)

    def get_peft_model_state_dict(peft_model, adapter_name="default"):
        config = peft_model.peft_config[adapter_name]
        state_dict = peft_model.state_dict()
        unwanted = [name for name in peft_model.peft_config if name != adapter_name]
        state_dict = filter_for_adapter(state_dict, unwanted) or state_dict
        chosen = FrodModel._get_adapter_state_dict(model=peft_model, config=config, adapter_name=adapter_name, state_dict=state_dict, unwanted_adapter_names=unwanted)
        return {FrodModel._remove_adapter_name_from_key(k, adapter_name): v for k, v in chosen.items()}

    return types.SimpleNamespace(
        PeftModel=PeftModel, get_peft_model=get_peft_model, get_peft_model_state_dict=get_peft_model_state_dict,
        FrodConfig=FrodConfig, FrodLayer=FrodLayer, Conv1D=Conv1D, category_from_key=category_from_key,
        description=f"PEFT's FRoD functions extracted at run time ({description}); PEFT's generic tuner plumbing replaced by stand-ins",
    )
