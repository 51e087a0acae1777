"""Faults injected on demand: which requests they hit and how often.

A fault matches a regular expression (re.search) against the raw request target
(path + '?' + query, still percent-encoded). The first active matching fault, in
the order they were added, applies to a request; 'count' bounds how many times.
"""

import json
import re
import threading

KINDS = ("delay", "status", "reset", "truncate", "garbage", "corrupt", "stall", "overlong",
         "bad_range")
_KEYS = {"match", "kind", "delay_ms", "status", "count", "retry_after", "keep_bytes", "method",
         "offsets", "extra_bytes", "shift", "total_delta"}


class FaultError(ValueError):
    pass


class Fault:
    def __init__(self, fid, spec):
        self.id = fid
        self.spec = dict(spec)
        self.match = spec.get("match", "")
        try:
            self.rx = re.compile(self.match)
        except re.error as e:
            raise FaultError("bad regular expression in 'match': %s" % e)
        self.kind = spec["kind"]
        self.delay_ms = spec.get("delay_ms", {"delay": 1000, "stall": 60000}.get(self.kind, 0))
        self.status = spec.get("status", 500 if self.kind == "status" else None)
        self.count = spec.get("count")
        self.remaining = self.count
        self.retry_after = spec.get("retry_after")
        self.keep_bytes = spec.get("keep_bytes")
        self.method = spec.get("method")
        self.offsets = spec.get("offsets")
        self.extra_bytes = spec.get("extra_bytes", 4096)
        self.shift = spec.get("shift", 1 if self.kind == "bad_range" else 0)
        self.total_delta = spec.get("total_delta", 0)
        self.applied = 0

    def active(self):
        return self.remaining is None or self.remaining > 0

    def to_json(self):
        out = {"id": self.id, "match": self.match, "kind": self.kind, "count": self.count,
               "remaining": self.remaining, "applied": self.applied}
        if self.kind in ("delay", "stall"):
            out["delay_ms"] = self.delay_ms
        if self.kind == "overlong":
            out["extra_bytes"] = self.extra_bytes
        if self.kind == "bad_range":
            out["shift"] = self.shift
            out["total_delta"] = self.total_delta
        if self.kind == "status":
            out["status"] = self.status
        for k in ("retry_after", "keep_bytes", "method", "offsets"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out


def validate(spec):
    """Check a fault specification (a dict decoded from JSON); raises FaultError."""
    if not isinstance(spec, dict):
        raise FaultError("a fault is a JSON object")
    unknown = set(spec) - _KEYS
    if unknown:
        raise FaultError("unknown fault field(s): %s" % ", ".join(sorted(unknown)))
    kind = spec.get("kind")
    if kind not in KINDS:
        raise FaultError("'kind' must be one of %s" % ", ".join(KINDS))
    if "match" in spec and not isinstance(spec["match"], str):
        raise FaultError("'match' must be a string (a regular expression)")

    def int_field(name, lo, hi):
        if name in spec and spec[name] is not None:
            v = spec[name]
            if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
                raise FaultError("'%s' must be an integer in [%d, %d]" % (name, lo, hi))
    int_field("delay_ms", 0, 600000)
    int_field("status", 100, 599)
    int_field("count", 1, 1 << 31)
    int_field("retry_after", 0, 86400)
    int_field("keep_bytes", 0, 1 << 40)
    int_field("extra_bytes", 1, 1 << 30)
    int_field("shift", -(1 << 40), 1 << 40)
    int_field("total_delta", -(1 << 40), 1 << 40)
    offsets = spec.get("offsets")
    if offsets is not None and (not isinstance(offsets, list) or not all(
            isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
        raise FaultError("'offsets' must be a list of non-negative integers (object offsets)")
    if "method" in spec and spec["method"] is not None and not isinstance(spec["method"], str):
        raise FaultError("'method' must be a string")
    return spec


def parse_spec(text):
    """A fault from JSON text (as given to --fault or POST /_faults)."""
    try:
        spec = json.loads(text)
    except ValueError as e:
        raise FaultError("fault is not valid JSON: %s" % e)
    return validate(spec)


class FaultRegistry:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults = []
        self.next_id = 1

    def add(self, spec):
        validate(spec)
        with self.lock:
            f = Fault(self.next_id, spec)
            self.next_id += 1
            self.faults.append(f)
            return f.to_json()

    def list(self):
        with self.lock:
            return [f.to_json() for f in self.faults]

    def clear(self):
        with self.lock:
            n = len(self.faults)
            self.faults = []
            return n

    def delete(self, fid):
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.id == fid:
                    del self.faults[i]
                    return True
        return False

    def take(self, target, method):
        """The fault to apply to this request (consuming one use), or None."""
        with self.lock:
            for f in self.faults:
                if not f.active():
                    continue
                if f.method and f.method.upper() != method:
                    continue
                if f.rx.search(target):
                    if f.remaining is not None:
                        f.remaining -= 1
                    f.applied += 1
                    return f
        return None
