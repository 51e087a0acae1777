#!/usr/bin/python3
"""The independent side of the datum tests: reads a datum with numpy, tifffile and h5py
and prints its canonical hashes and statistics as JSON (docs/datums.md defines both).
Shares no code with d1drive.

  datum_reference.py tiff FILE...               frames stacked: (n, height, width)
  datum_reference.py hdf5 FILE FIRST_ROW ROWS   /entry/data/data[FIRST_ROW:FIRST_ROW+ROWS]
  datum_reference.py npy FILE [FRAME_NO]        the array, or array[FRAME_NO]
  datum_reference.py raw FILE                   the bytes as uint8
  datum_reference.py write-npy OUT RAW FROM TO SHAPE   RAW (dtype FROM) saved as dtype TO
  datum_reference.py write-scalar OUT VALUE     a 0-d float64 array

Several commands separated by ';' arguments run in one process (numpy starts once), each
description printed on its own line.
"""
import hashlib
import json
import sys

import numpy as np


def canonical(a):
    a = np.asarray(a, dtype=a.dtype.newbyteorder('<'))  # tobytes() is C order; asarray keeps 0-d shapes
    head = f"{a.dtype.str}\n{','.join(map(str, a.shape))}\n".encode()
    return {name: hashlib.new(name, head + a.tobytes()).hexdigest()
            for name in ('sha1', 'sha256')}


def describe(a):
    out = canonical(a)
    out['dtype'] = np.dtype(a.dtype).newbyteorder('<').str
    out['shape'] = list(a.shape)
    v = a.astype(np.float64).ravel()
    nan = np.isnan(v)
    inf = np.isinf(v)
    finite = v[~nan & ~inf]
    out.update(count=int(finite.size), nan_count=int(nan.sum()), inf_count=int(inf.sum()))
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        hist, _ = np.histogram(finite, bins=64, range=(lo, hi))
        out.update(min=lo, max=hi, mean=float(finite.mean()), std=float(finite.std()),
                   histogram=[int(x) for x in hist])
    return out


def run(argv):
    kind = argv[1]
    if kind == 'tiff':
        import tifffile
        a = np.stack([tifffile.imread(f) for f in argv[2:]])
    elif kind == 'hdf5':
        import h5py
        first, rows = int(argv[3]), int(argv[4])
        with h5py.File(argv[2], 'r') as f:
            a = f['/entry/data/data'][first:first + rows]
    elif kind == 'npy':
        a = np.load(argv[2])
        if len(argv) > 3:
            a = a[int(argv[3])]
    elif kind == 'raw':
        a = np.fromfile(argv[2], dtype=np.uint8)
    elif kind == 'write-scalar':
        np.save(argv[2], np.float64(float(argv[3])))
        return
    elif kind == 'write-npy':
        out, raw, src, dst, shape = argv[2:7]
        a = np.fromfile(raw, dtype=src).reshape([int(x) for x in shape.split(',')])
        np.save(out, a.astype(dst))
        return
    else:
        sys.exit(f"unknown kind {kind}")
    print(json.dumps(describe(a)))


def main(argv):
    command = [argv[0]]
    for arg in argv[1:] + [';']:
        if arg == ';':
            if len(command) > 1:
                run(command)
            command = [argv[0]]
        else:
            command.append(arg)


if __name__ == '__main__':
    main(sys.argv)
