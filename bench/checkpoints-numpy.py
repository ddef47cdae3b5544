#!/usr/bin/env python3
"""The numpy reference of bench/checkpoints.ts: what `frod init`, `frod merge` and `frod inspect` do to a
Hugging Face model folder, with the same math in numpy (float64, OpenBLAS on every core), reading the
safetensors files through np.memmap and writing the merged shards tensor by tensor.

    python3 checkpoints-numpy.py init    MODEL_DIR OUT_DIR  TARGETS   (e.g. q_proj,v_proj)
    python3 checkpoints-numpy.py merge   MODEL_DIR ADAPTER_DIR OUT_DIR
    python3 checkpoints-numpy.py inspect MODEL_DIR

The decomposition is the one of docs/frod-math.md (stack, QR, averaged ridge inverses, eigh, V = R^T E,
canonical column signs; SVD when the stack is wide), V rounded to the weights' dtype, U and λ per layer from
V^-1 W^T. numpy's QR is Householder (frod-ts uses CholeskyQR2); the pattern is drawn with numpy's generator.
Timing reference only: the files it writes are not meant to be read by frod-ts.
"""
import json
import os
import struct
import sys

import numpy as np

ALPHA = 1e-3
SPARSE_RATE = 0.01


def bf16_to_f32(raw):
    return (raw.view('<u2').astype('<u4') << 16).view('<f4')


def f32_to_bf16_bits(values):
    bits = values.astype('<f4').view('<u4')
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype('<u2')


def read_header(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
    return header, 8 + n


def open_model(folder):
    """name -> (file, dtype, shape, begin, end), from model.safetensors or the index's shards."""
    single = os.path.join(folder, 'model.safetensors')
    files = [single] if os.path.exists(single) else sorted(
        {os.path.join(folder, f) for f in json.load(open(os.path.join(folder, 'model.safetensors.index.json')))['weight_map'].values()})
    tensors = {}
    for path in files:
        header, start = read_header(path)
        for name, info in header.items():
            if name != '__metadata__':
                tensors[name] = (path, info['dtype'], info['shape'], start + info['data_offsets'][0], start + info['data_offsets'][1])
    return tensors


def load(entry):
    path, dtype, shape, begin, end = entry
    raw = np.memmap(path, dtype=np.uint8, mode='r', offset=begin, shape=(end - begin,))
    if dtype == 'I64':
        return raw.view('<i8').reshape(shape)
    values = bf16_to_f32(raw) if dtype == 'BF16' else raw.view({'F32': '<f4', 'F16': '<f2', 'F64': '<f8'}[dtype])
    return values.astype(np.float64).reshape(shape)


def canonical_signs(v):
    idx = np.argmax(np.abs(v), axis=0)
    signs = np.sign(v[idx, np.arange(v.shape[1])])
    signs[signs == 0] = 1
    return v * signs


def projection(weights):
    stacked = np.concatenate(weights, axis=0)
    if stacked.shape[0] < stacked.shape[1]:
        _, _, vh = np.linalg.svd(stacked, full_matrices=True)
        return canonical_signs(vh.T)
    q, r = np.linalg.qr(stacked)
    del stacked
    n = r.shape[1]
    t = np.zeros((n, n))
    start = 0
    for w in weights:
        block = q[start:start + w.shape[0]]
        t += np.linalg.inv(block.T @ block + ALPHA * np.eye(n))
        start += w.shape[0]
    del q
    t /= len(weights)
    _, e = np.linalg.eigh((t + t.T) / 2)
    return canonical_signs(r.T @ e)


def category(name):
    parts = name.split('.')
    return parts[-1] if parts[-2].isdigit() else f'{parts[-2]}_{parts[-1]}'


def round_like(values, dtype):
    if dtype == 'BF16':
        return bf16_to_f32(f32_to_bf16_bits(values.astype(np.float32)).view(np.uint8)).astype(np.float64)
    return values.astype(np.float32).astype(np.float64)


def write_safetensors(path, arrays):
    """arrays: name -> (dtype, np array); tensors in name order, as frod-ts writes them."""
    header, offset, order = {'__metadata__': {'format': 'pt'}}, 0, sorted(arrays)
    for name in order:
        dtype, a = arrays[name]
        header[name] = {'dtype': dtype, 'shape': list(a.shape), 'data_offsets': [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text)
        for name in order:
            f.write(np.ascontiguousarray(arrays[name][1]).tobytes())


def init(model_dir, out_dir, targets):
    tensors = open_model(model_dir)
    names = sorted(n for n in tensors if n.endswith('.weight') and n.split('.')[-2] in targets)
    groups = {}
    for name in names:
        groups.setdefault(category(name[:-len('.weight')]), []).append(name)
    rng = np.random.default_rng(0)
    out = {}
    for cat, members in sorted(groups.items()):
        members.sort(key=lambda n: int(n.split('.')[2]))
        dtype = tensors[members[0]][1]
        weights = [load(tensors[m]) for m in members]
        v = round_like(projection(weights), dtype)
        v_inv = np.linalg.inv(v)
        n = v.shape[0]
        nnz = int(n * n * SPARSE_RATE)
        flat = rng.choice(n * n - n, size=nnz, replace=False)
        rows, cols = flat // (n - 1), flat % (n - 1)
        cols = cols + (cols >= rows)
        for m, w in zip(members, weights):
            lam = np.linalg.norm(v_inv @ w.T, axis=1)
            out[f'base_model.model.{m[:-7]}.frod_lambda_l'] = ('F32', round_like(lam, dtype).astype(np.float32))
            out[f'base_model.model.{m[:-7]}.frod_lambda_s_values'] = ('F32', np.zeros(nnz, np.float32))
        out[f'base_model.frod_V.{cat}'] = ('BF16' if dtype == 'BF16' else 'F32',
                                           f32_to_bf16_bits(v) if dtype == 'BF16' else v.astype(np.float32))
        out[f'base_model.frod_s_indices.{cat}'] = ('I64', np.stack([rows, cols]).astype(np.int64))
        out[f'base_model.frod_s_size.{cat}'] = ('I64', np.array([n, n], np.int64))
        del weights
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(os.path.join(out_dir, 'adapter_model.safetensors'), out)


def merge(model_dir, adapter_dir, out_dir):
    tensors = open_model(model_dir)
    adapter = {name: load(entry) for name, entry in open_model_file(os.path.join(adapter_dir, 'adapter_model.safetensors')).items()}
    os.makedirs(out_dir, exist_ok=True)
    by_file = {}
    for name, entry in tensors.items():
        by_file.setdefault(entry[0], []).append(name)
    inverses = {}
    for path, names in by_file.items():
        header = {'__metadata__': {'format': 'pt'}}
        offset = 0
        for name in sorted(names):
            _, dtype, shape, begin, end = tensors[name]
            header[name] = {'dtype': dtype, 'shape': shape, 'data_offsets': [offset, offset + end - begin]}
            offset += end - begin
        text = json.dumps(header, separators=(',', ':')).encode()
        text += b' ' * (-len(text) % 8)
        with open(os.path.join(out_dir, os.path.basename(path)), 'wb') as f, open(path, 'rb') as src:
            f.write(struct.pack('<Q', len(text)) + text)
            for name in sorted(names):
                _, dtype, shape, begin, end = tensors[name]
                module = name[:-len('.weight')]
                key = f'base_model.model.{module}.frod_lambda_l'
                if key not in adapter:
                    src.seek(begin)
                    remaining = end - begin
                    while remaining:
                        chunk = src.read(min(remaining, 8 << 20))
                        f.write(chunk)
                        remaining -= len(chunk)
                    continue
                cat = category(module)
                v = adapter[f'base_model.frod_V.{cat}']
                if cat not in inverses:
                    inverses = {cat: np.linalg.inv(v)}
                w = load(tensors[name])
                x = inverses[cat] @ w.T
                lam_b = np.linalg.norm(x, axis=1)
                u = (x / np.where(lam_b > 1e-12, lam_b, np.inf)[:, None]).T
                lam = adapter[key]
                s_values = adapter[f'base_model.model.{module}.frod_lambda_s_values']
                rows, cols = adapter[f'base_model.frod_s_indices.{cat}'].astype(np.int64)
                c = lam[:, None] * v.T
                np.add.at(c, rows, s_values[:, None] * v.T[cols])
                merged = u @ c
                f.write(f32_to_bf16_bits(merged).tobytes() if dtype == 'BF16' else merged.astype(np.float32).tobytes())


def open_model_file(path):
    header, start = read_header(path)
    return {n: (path, i['dtype'], i['shape'], start + i['data_offsets'][0], start + i['data_offsets'][1])
            for n, i in header.items() if n != '__metadata__'}


def inspect(model_dir):
    tensors = open_model(model_dir)
    total = sum(end - begin for _, _, _, begin, end in tensors.values())
    print(f'{len(tensors)} tensors, {total} bytes')


if __name__ == '__main__':
    command, args = sys.argv[1], sys.argv[2:]
    if command == 'init':
        init(args[0], args[1], set(args[2].split(',')))
    elif command == 'merge':
        merge(args[0], args[1], args[2])
    else:
        inspect(args[0])
