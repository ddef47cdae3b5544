#!/usr/bin/env python3
"""One FRoD category set-up in numpy (float64, OpenBLAS on every core), for bench/frod.ts to time beside
bench/frod-category.ts in the same run: the same math as docs/frod-math.md — stack, QR, the averaged
regularised inverse Gram blocks, eigh, V = R^T E with canonical column signs, V rounded to float32, then
V^-1 and lambda of every layer (row norms of V^-1 W^T). numpy's QR is Householder (frod-ts: CholeskyQR2).
Prints one JSON line {"wall", "cpu", "peakMiB", "weightsMiB"}. usage: frod-numpy.py n layers [out = n]
(layers of out x n: out_features x in_features)
"""
import importlib.util
import json
import os
import sys
import time

import numpy as np


def rss_mib(field):
    with open('/proc/self/status') as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field + ':')) / 1024


def _checkpoints_numpy():
    """bench/checkpoints-numpy.py, whose projection() is the same math (one copy of it)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'checkpoints-numpy.py')
    spec = importlib.util.spec_from_file_location('checkpoints_numpy', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


projection = _checkpoints_numpy().projection


def set_up(weights):
    v = projection(weights)
    v_inv = np.linalg.inv(v.astype(np.float32).astype(np.float64))
    for w in weights:
        np.linalg.norm(v_inv @ w.T, axis=1)


def main():
    n, layers = int(sys.argv[1]), int(sys.argv[2])
    out = int(sys.argv[3]) if len(sys.argv) > 3 else n
    rng = np.random.default_rng(0)
    set_up([rng.standard_normal((64, 64)) for _ in range(2)])  # warm-up
    weights = [(rng.standard_normal((out, n)) / np.sqrt(n)).astype(np.float32).astype(np.float64) for _ in range(layers)]
    weights_mib = rss_mib('VmRSS')
    wall, cpu = time.perf_counter(), time.process_time()
    set_up(weights)
    print(json.dumps({'wall': time.perf_counter() - wall, 'cpu': time.process_time() - cpu,
                      'peakMiB': rss_mib('VmHWM'), 'weightsMiB': weights_mib}))


if __name__ == '__main__':
    main()
