#!/usr/bin/python3
"""The numpy baseline of tools/bench/datum.sh: the same datum work as bench_datum (read each
point's frames, canonical hash, min/max/mean/std, 64-bin histogram) written as a numpy user
would, with tifffile and h5py. Prints one JSON line like bench_datum's.

  datum_numpy.py tiff DIR POINTS FPP [bincount]   DIR/img_NNNNNN.tiff, point p = frames p*FPP…
  datum_numpy.py hdf5 FILE POINTS FPP [bincount]  /entry/data/data rows p*FPP…

`bincount`: statistics from np.bincount value counts (integers only) instead of
min/max/mean/std/histogram over the array: a faster, less obvious numpy.
"""
import hashlib
import json
import sys
import time

import numpy as np


def canonical_hash(a):
    a = np.asarray(a, dtype=a.dtype.newbyteorder('<'))  # tobytes() is C order; asarray keeps 0-d shapes
    head = f"{a.dtype.str}\n{','.join(map(str, a.shape))}\n".encode()
    h = hashlib.sha1(head)
    h.update(memoryview(a).cast('B'))
    return h.hexdigest()


def stats(a):
    if a.dtype.kind == 'f':
        a = a[np.isfinite(a)]
    lo, hi = a.min(), a.max()
    hist, _ = np.histogram(a, bins=64, range=(float(lo), float(hi)))
    return float(lo), float(hi), float(a.mean(dtype=np.float64)), float(a.std(dtype=np.float64)), hist


def stats_bincount(a):
    counts = np.bincount(a.ravel())
    values = np.nonzero(counts)[0]
    lo, hi = values[0], values[-1]
    n = counts.sum()
    mean = float((values * counts[values]).sum()) / n
    std = float(np.sqrt(((values - mean) ** 2 * counts[values]).sum() / n))
    hist, _ = np.histogram(values, bins=64, range=(float(lo), float(hi)), weights=counts[values])
    return float(lo), float(hi), mean, std, hist


def main(argv):
    kind, where, points, fpp = argv[1], argv[2], int(argv[3]), int(argv[4])
    describe = stats_bincount if len(argv) > 5 and argv[5] == 'bincount' else stats
    all_hashes = hashlib.sha1()
    total = 0
    start = time.perf_counter()
    if kind == 'tiff':
        import tifffile
        for p in range(points):
            a = np.stack([tifffile.imread(f"{where}/img_{f:06d}.tiff")
                          for f in range(p * fpp, (p + 1) * fpp)])
            all_hashes.update(canonical_hash(a).encode())
            describe(a)
            total += a.nbytes
    else:
        import h5py
        with h5py.File(where, 'r') as f:
            d = f['/entry/data/data']
            for p in range(points):
                a = d[p * fpp:(p + 1) * fpp]
                all_hashes.update(canonical_hash(a).encode())
                describe(a)
                total += a.nbytes
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": round(seconds, 4), "bytes": total,
                      "mb_per_s": round(total / seconds / 1e6, 1),
                      "hashes": all_hashes.hexdigest()}))


if __name__ == '__main__':
    main(sys.argv)
