"""PEFT's own modules, loaded for peft_files.py from a PEFT source: a checkout or a git repository ($PEFT_SRC).

The files listed in SOURCE_FILES are read from the source and executed unchanged as the modules they are. What they
import from other libraries is stood in for: transformers' Conv1D (the same math), tqdm (silent), packaging's version
parsing, peft.import_utils (every optional library absent), and inert placeholders for everything else — classes that
serve isinstance checks and raise when called, so a code path that would need them fails loudly instead of faking.
"""
import os
import re
import subprocess
import sys
import types

import torch
from torch import nn

SOURCE_FILES = {
    "peft.utils.peft_types": "src/peft/utils/peft_types.py",
    "peft.utils.constants": "src/peft/utils/constants.py",
    "peft.utils.other": "src/peft/utils/other.py",
    "peft.config": "src/peft/config.py",
    "peft.tuners._buffer_dict": "src/peft/tuners/_buffer_dict.py",
    "peft.tuners.tuners_utils": "src/peft/tuners/tuners_utils.py",
    "peft.utils.save_and_load": "src/peft/utils/save_and_load.py",
    "peft.tuners.frod.config": "src/peft/tuners/frod/config.py",
    "peft.tuners.frod.layer": "src/peft/tuners/frod/layer.py",
    "peft.tuners.frod.model": "src/peft/tuners/frod/model.py",
}


# ---- reading PEFT's source ------------------------------------------------------------------------------------


class PeftSource:
    """PEFT's files from a checkout (src/peft/...) or a git repository (HEAD)."""

    def __init__(self, location):
        self.location = location
        self.checkout = os.path.isdir(os.path.join(location, "src", "peft"))
        if not self.checkout and self._git("rev-parse", "HEAD") is None:
            raise LookupError(f"{location} is neither a PEFT checkout (src/peft) nor a git repository of PEFT")

    def _git(self, *args):
        flag = ["-C", self.location] if self.checkout else ["--git-dir", self.location]
        run = subprocess.run(["git", *flag, *args], capture_output=True, text=True)
        return run.stdout if run.returncode == 0 else None

    def read(self, path):
        if self.checkout:
            with open(os.path.join(self.location, path), encoding="utf-8") as f:
                return f.read()
        text = self._git("show", f"HEAD:{path}")
        if text is None:
            raise LookupError(f"{self.location} has no {path} at HEAD")
        return text

    def revision(self):
        head = self._git("rev-parse", "HEAD")
        return head.strip() if head else "unknown (a checkout without git)"


def find_source():
    location = os.environ.get("PEFT_SRC")
    if not location:
        sys.stderr.write("PEFT_SRC is not set: point it to a PEFT checkout or git repository\n")
        sys.exit(3)
    try:
        return PeftSource(location)
    except LookupError as err:
        sys.stderr.write(f"{err}\n")
        sys.exit(3)


# ---- stand-ins for the libraries PEFT imports ---------------------------------------------------------------


def _placeholder(qualname):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"{qualname} is a placeholder in peft_files.py; the code path that called it is not supported")

    # A class: usable in isinstance checks and annotations, refuses to be instantiated or called.
    return type(qualname.rpartition(".")[2], (), {"__init__": refuse, "__init_subclass__": classmethod(lambda cls: None)})


class PlaceholderModule(types.ModuleType):
    """A module whose every unknown attribute is a placeholder (see _placeholder)."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _placeholder(f"{self.__name__}.{name}")
        setattr(self, name, value)
        return value


class FalseModule(types.ModuleType):
    """peft.import_utils: every is_*_available / is_transformers_* check answers False."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return False if not name.startswith("is_") else (lambda *a, **k: False)


def install(name, module_type=PlaceholderModule, **attrs):
    module = module_type(name)
    module.__path__ = []
    module.__dict__.update(attrs)
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, module)
    return module


class Version:
    """packaging.version.Version, for the comparisons PEFT makes (release numbers, dev releases)."""

    def __init__(self, text):
        self.text = str(text)
        self.release = tuple(int(x) for x in re.findall(r"\d+", self.text.split("+")[0].split("a")[0])[:3])
        self.dev = 0 if "dev" in self.text else None

    def __lt__(self, other):
        return self.release < other.release

    def __le__(self, other):
        return self.release <= other.release

    def __gt__(self, other):
        return self.release > other.release

    def __ge__(self, other):
        return self.release >= other.release


class Conv1D(nn.Module):
    """transformers.pytorch_utils.Conv1D: a linear layer whose weight is stored (in, out): y = x W + b."""

    def __init__(self, nf, nx):
        super().__init__()
        self.nf = nf
        self.nx = nx
        self.weight = nn.Parameter(torch.empty(nx, nf))
        self.bias = nn.Parameter(torch.zeros(nf))
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight).view(x.size()[:-1] + (self.nf,))


class Tqdm:
    """tqdm without output."""

    def __init__(self, iterable=None, **kwargs):
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, **kwargs):
        pass


def load(source, name):
    """Executes PEFT's file for module `name` as that module."""
    module = types.ModuleType(name)
    module.__package__ = name.rpartition(".")[0]
    module.__file__ = f"<PEFT {SOURCE_FILES[name]}>"
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    exec(compile(source.read(SOURCE_FILES[name]), module.__file__, "exec", dont_inherit=True), module.__dict__)
    setattr(sys.modules[parent], child, module)
    return module


def load_peft(source):
    """PEFT's modules for FRoD, loaded from `source`; returns the namespace the cases use."""
    version = re.search(r'__version__\s*=\s*"([^"]+)"', source.read("src/peft/__init__.py")).group(1)
    for name in ["accelerate", "accelerate.hooks", "accelerate.utils", "huggingface_hub", "huggingface_hub.errors",
                 "safetensors", "safetensors.torch", "transformers", "transformers.utils", "transformers.integrations",
                 "transformers.integrations.tensor_parallel"]:
        install(name, __version__="0")  # an old version: no optional accelerator paths
    install("transformers.pytorch_utils", Conv1D=Conv1D)
    sys.modules["transformers"].pytorch_utils = sys.modules["transformers.pytorch_utils"]
    install("tqdm", types.ModuleType, tqdm=Tqdm)
    install("packaging", types.ModuleType)
    install("packaging.version", types.ModuleType, Version=Version, parse=Version)
    install("peft", PlaceholderModule, __version__=version)
    install("peft.import_utils", FalseModule)
    install("peft.utils")
    install("peft.tuners")
    install("peft.tuners.frod")
    install("peft.mapping")
    for name in ["peft.utils.error", "peft.utils.integrations", "peft.utils.quantization_utils", "peft.utils.warning",
                 "peft.utils.loftq_utils"]:
        install(name)
    utils = sys.modules["peft.utils"]
    types_ = load(source, "peft.utils.peft_types")
    constants = load(source, "peft.utils.constants")
    other = load(source, "peft.utils.other")
    # peft/utils/__init__.py re-exports these modules' names.
    for module in (types_, constants, other):
        utils.__dict__.update({k: v for k, v in module.__dict__.items() if not k.startswith("__")})
    load(source, "peft.config")
    load(source, "peft.tuners._buffer_dict")
    load(source, "peft.tuners.tuners_utils")
    frod_config = load(source, "peft.tuners.frod.config")
    load(source, "peft.tuners.frod.layer")
    frod_model = load(source, "peft.tuners.frod.model")
    mapping = sys.modules["peft.mapping"]
    mapping.PEFT_TYPE_TO_TUNER_MAPPING = {types_.PeftType.FROD: frod_model.FrodModel}
    mapping.PEFT_TYPE_TO_PREFIX_MAPPING = {types_.PeftType.FROD: frod_model.FrodModel.prefix}
    save_and_load = load(source, "peft.utils.save_and_load")
    return types.SimpleNamespace(
        version=version, FrodConfig=frod_config.FrodConfig, FrodModel=frod_model.FrodModel,
        get_peft_model_state_dict=save_and_load.get_peft_model_state_dict,
    )
