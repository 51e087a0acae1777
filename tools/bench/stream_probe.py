#!/usr/bin/env python3
"""Timed reads for tools/bench/streaming.sh: one JSON line per run.

  stream_probe.py seq FILE            read the whole file in 1 MiB reads: seconds, bytes, MB/s
  stream_probe.py ttfb FILE           open and read one byte: seconds to the first byte
  stream_probe.py random FILE OFFS    one 4 KiB pread per offset (a file of numbers): latencies
  stream_probe.py offsets N SIZE SEED N random 4 KiB-aligned offsets in [0, SIZE - 4096)
"""
import json
import os
import random
import statistics
import sys
import time


def seq(path):
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    total = 0
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        while True:
            n = os.readv(fd, [view])
            if n == 0:
                break
            total += n
    finally:
        os.close(fd)
    dt = time.perf_counter() - t0
    return {"seconds": dt, "bytes": total, "mb_per_s": total / dt / 1e6}


def ttfb(path):
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    try:
        first = os.read(fd, 1)
    finally:
        os.close(fd)
    return {"seconds": time.perf_counter() - t0, "bytes": len(first)}


def rand(path, offsets_path):
    with open(offsets_path) as f:
        offsets = [int(x) for x in f.read().split()]
    fd = os.open(path, os.O_RDONLY)
    lat = []
    try:
        for off in offsets:
            t0 = time.perf_counter()
            data = os.pread(fd, 4096, off)
            lat.append(time.perf_counter() - t0)
            if len(data) != 4096:
                raise SystemExit("short read at %d" % off)
    finally:
        os.close(fd)
    lat.sort()
    return {"n": len(lat), "median": statistics.median(lat), "p90": lat[int(0.9 * len(lat))],
            "total": sum(lat)}


def offsets(n, size, seed):
    rng = random.Random(seed)
    return "\n".join(str(rng.randrange(0, (size - 4096) // 4096) * 4096) for _ in range(n))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "seq":
        print(json.dumps(seq(sys.argv[2])))
    elif cmd == "ttfb":
        print(json.dumps(ttfb(sys.argv[2])))
    elif cmd == "random":
        print(json.dumps(rand(sys.argv[2], sys.argv[3])))
    elif cmd == "offsets":
        print(offsets(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
    else:
        raise SystemExit(__doc__)
