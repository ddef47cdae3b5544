#!/usr/bin/env python3
"""The FRoD set-up of one category in PyTorch, for bench/frod.ts to time beside ours in the same run.

The math of ../shared/reference/frod_reference.py for 12 random 768x768 layers: float32 QR, the 12
regularised inverses and eigh, then float64 solves for U and lambda. Prints one JSON line
{"wall": seconds, "cpu": seconds, "threads": n, "torch": version}. usage: frod-torch.py [n] [layers]
"""
import json
import sys
import time

import torch


def setup(ws, alpha=1e-3):
    n = ws[0].shape[1]
    m = torch.cat(ws, 0)
    q, r = torch.linalg.qr(m, mode="reduced")
    t = torch.zeros(n, n)
    eye = torch.eye(n)
    start = 0
    for w in ws:
        qi = q[start:start + w.shape[0]]
        start += w.shape[0]
        t += torch.linalg.inv(qi.T @ qi + alpha * eye)
    t /= len(ws)
    t = 0.5 * (t + t.T)
    _, e = torch.linalg.eigh(t)
    v = (r.T @ e).double()
    for w in ws:
        b = torch.linalg.solve(v, w.double().T).T
        b.norm(dim=0)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 768
    layers = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    torch.manual_seed(0)
    ws = [torch.randn(n, n) / n ** 0.5 for _ in range(layers)]
    setup(ws)  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    setup(ws)
    print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
