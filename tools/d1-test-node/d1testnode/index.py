"""In-memory Solr-like index: stored documents plus inverted postings per field.

Documents are dicts of typed values (str, int, float, bool; dates as epoch ms;
multi-valued fields as lists). Postings map each indexed value (tokens for text
fields) to the ascending list of document numbers holding it. Queries from
solrquery evaluate to sets of document numbers. The index is immutable once
frozen; lazily built caches are safe to share between request threads.
"""

import bisect
import threading
from collections import Counter, OrderedDict

from .schema import COPY_FIELDS
from .solrquery import _TOKEN_RE, MUST, MUST_NOT, SHOULD, SolrError, analyze

MISSING = 1 << 62  # sort key of a document lacking the sort field (sorts last)


def _values(v):
    if v is None:
        return ()
    if isinstance(v, list):
        return v
    return (v,)


def _alpha_sort(s):
    return "".join(ch for ch in s.lower() if ch.isalpha())


def _levenshtein_within(a, b, k):
    if abs(len(a) - len(b)) > k:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            best = min(best, cur[j])
        if best > k:
            return False
        prev = cur
    return prev[-1] <= k


class LRU:
    def __init__(self, size):
        self.size = size
        self.data = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.data:
                self.data.move_to_end(key)
                return self.data[key]
        return None

    def put(self, key, value):
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class Index:
    def __init__(self, schema):
        self.schema = schema
        self.docs = []
        self.by_id = {}
        self.postings = {}          # field -> {value: [docnum, ...]}, built on first use
        self._sorted_keys = {}      # field -> sorted distinct indexed values
        self._ranks = {}            # field -> (rank per doc, value->rank, sorted values)
        self._columns = {}          # (field, desc) -> sort key per doc
        self._value_order = {}      # field -> (docs by value, values) or () if multi-valued
        self._lock = threading.RLock()
        self.query_cache = LRU(64)
        self.order_cache = LRU(32)
        self.all = frozenset()
        # Sources of each searchable field: itself, or what a copy field copies.
        self.sources = {}
        for name, f in schema.fields.items():
            if f.searchable:
                self.sources[name] = tuple(s for s in COPY_FIELDS.get(name, (name,)))

    # -- building
    def add(self, doc):
        """Add one document (must carry a unique 'id'); returns its number."""
        n = len(self.docs)
        if doc["id"] in self.by_id:
            raise ValueError("duplicate id %r" % doc["id"])
        self.docs.append(doc)
        self.by_id[doc["id"]] = n
        return n

    def freeze(self):
        self.all = frozenset(range(len(self.docs)))

    def post(self, name):
        """Postings of a field, built from the stored documents on first use."""
        p = self.postings.get(name)
        if p is not None:
            return p
        with self._lock:
            p = self.postings.get(name)
            if p is None:
                p = self._build_postings(name)
                self.postings[name] = p
        return p

    def _build_postings(self, name):
        f = self.schema.fields.get(name)
        sources = self.sources.get(name)
        p = {}
        if f is None or sources is None:
            return p
        text = f.kind == "text"
        alpha = f.type == "alphaOnlySort"
        single = sources[0] if len(sources) == 1 else None
        for n, doc in enumerate(self.docs):
            if single is not None:
                v = doc.get(single)
                if v is None:
                    continue
                if type(v) is not list:
                    if not text and not alpha:
                        lst = p.get(v)
                        if lst is None:
                            p[v] = [n]
                        else:
                            lst.append(n)
                        continue
                    vals = (v,)
                else:
                    vals = v
            else:
                vals = []
                for src in sources:
                    v = doc.get(src)
                    if v is None:
                        continue
                    if type(v) is list:
                        vals.extend(v)
                    else:
                        vals.append(v)
                if not vals:
                    continue
            if text:
                keys = set(_TOKEN_RE.findall(" ".join(map(str, vals)).lower()))
            elif alpha:
                keys = {_alpha_sort(str(v)) for v in vals}
            else:
                keys = set(vals)
            for k in keys:
                lst = p.get(k)
                if lst is None:
                    p[k] = [n]
                else:
                    lst.append(n)
        return p

    def value_order(self, name):
        """For a single-valued stored field: (docs sorted by value, their values), or None
        when some document holds several values (then postings are used)."""
        vo = self._value_order.get(name)
        if vo is not None:
            return vo or None
        with self._lock:
            vo = self._value_order.get(name)
            if vo is None:
                f = self.schema.fields.get(name)
                values = [doc.get(name) for doc in self.docs]
                if f is None or f.kind == "text" or f.type == "alphaOnlySort" or \
                        self.sources.get(name) != (name,) or \
                        any(type(v) is list for v in values):
                    vo = ()
                else:
                    order = [d for d, v in enumerate(values) if v is not None]
                    order.sort(key=values.__getitem__)
                    vo = (order, [values[d] for d in order])
                self._value_order[name] = vo
        return vo or None

    # -- field access
    def field(self, name):
        f = self.schema.fields.get(name)
        if f is None:
            raise SolrError("undefined field " + name)
        return f

    def sorted_keys(self, name):
        keys = self._sorted_keys.get(name)
        if keys is None:
            keys = sorted(self.post(name))
            self._sorted_keys[name] = keys
        return keys

    # -- evaluation
    def search(self, node):
        """Set of document numbers matching a query tree."""
        kind = node[0]
        if kind == "all":
            return self.all
        if kind == "none":
            return frozenset()
        if kind == "bool":
            return self._bool(node[1])
        name = node[1]
        if kind == "term" and name == "id":
            n = self.by_id.get(node[2])
            return frozenset() if n is None else frozenset((n,))
        if kind in ("exists", "prefix", "range") and name in self.sources:
            vo = self.value_order(name)
            if vo is not None:
                return self._ordered_slice(vo, node)
        post = self.post(name)   # stored-only fields have no postings: match nothing
        if kind == "term":
            return frozenset(post.get(node[2], ()))
        if kind == "exists":
            return self._union(post.values())
        if kind == "prefix":
            keys = self.sorted_keys(name)
            prefix = node[2]
            i = bisect.bisect_left(keys, prefix)
            lists = []
            while i < len(keys) and keys[i].startswith(prefix):
                lists.append(post[keys[i]])
                i += 1
            return self._union(lists)
        if kind in ("wild", "regex"):
            rx = node[2]
            return self._union(post[k] for k in post if rx.fullmatch(str(k)))
        if kind == "fuzzy":
            text, edits = node[2], node[3]
            return self._union(post[k] for k in post
                               if isinstance(k, str) and _levenshtein_within(text, k, edits))
        if kind == "range":
            return self._range(name, post, node[2], node[3], node[4], node[5])
        if kind == "phrase":
            return self._phrase(name, node[2], node[3])
        raise SolrError("unsupported query node %r" % (kind,))

    @staticmethod
    def _ordered_slice(vo, node):
        order, values = vo
        kind = node[0]
        if kind == "exists":
            return frozenset(order)
        try:
            if kind == "prefix":
                prefix = node[2]
                i = bisect.bisect_left(values, prefix)
                # Values are sorted: the prefix block is contiguous.
                j = bisect.bisect_left(values, prefix + "\U0010ffff", i)
                while j < len(values) and values[j].startswith(prefix):
                    j += 1
                return frozenset(order[i:j])
            lo, hi, lo_inc, hi_inc = node[2], node[3], node[4], node[5]
            i = 0 if lo is None else (bisect.bisect_left(values, lo) if lo_inc
                                      else bisect.bisect_right(values, lo))
            j = len(values) if hi is None else (bisect.bisect_right(values, hi) if hi_inc
                                                else bisect.bisect_left(values, hi))
        except TypeError:
            raise SolrError("Invalid range bounds for field " + node[1])
        return frozenset(order[i:j]) if i < j else frozenset()

    @staticmethod
    def _union(lists):
        out = set()
        for lst in lists:
            out.update(lst)
        return out

    def _range(self, name, post, lo, hi, lo_inc, hi_inc):
        keys = self.sorted_keys(name)
        if not keys:
            return frozenset()
        try:
            if lo is None:
                i = 0
            else:
                i = bisect.bisect_left(keys, lo) if lo_inc else bisect.bisect_right(keys, lo)
            if hi is None:
                j = len(keys)
            else:
                j = bisect.bisect_right(keys, hi) if hi_inc else bisect.bisect_left(keys, hi)
        except TypeError:
            raise SolrError("Invalid range bounds for field " + name)
        return self._union(post[k] for k in keys[i:j])

    def _phrase(self, name, tokens, slop):
        post = self.post(name)
        cand = None
        for t in tokens:
            lst = post.get(t)
            if not lst:
                return frozenset()
            cand = set(lst) if cand is None else cand.intersection(lst)
            if not cand:
                return frozenset()
        sources = self.sources.get(name, (name,))
        out = set()
        n = len(tokens)
        for d in cand:
            doc = self.docs[d]
            for src in sources:
                for v in _values(doc.get(src)):
                    toks = analyze(str(v))
                    if slop == 0:
                        if any(tuple(toks[i:i + n]) == tokens for i in range(len(toks) - n + 1)):
                            out.add(d)
                            break
                    elif set(tokens) <= set(toks):
                        out.add(d)
                        break
                if d in out:
                    break
        return out

    def _bool(self, clauses):
        must = [c for o, c in clauses if o == MUST]
        should = [c for o, c in clauses if o == SHOULD]
        must_not = [c for o, c in clauses if o == MUST_NOT]
        if must:
            result = None
            for c in must:
                s = self.search(c)
                result = set(s) if result is None else result.intersection(s)
                if not result:
                    break
        elif should:
            result = set()
            for c in should:
                result.update(self.search(c))
        else:
            # Pure negative clause lists match everything else (Solr's behaviour at
            # top level; applied at every level here for predictability).
            result = set(self.all)
        for c in must_not:
            if not result:
                break
            result.difference_update(self.search(c))
        return result

    # -- sorting
    def ranks(self, name):
        """Per-document sort rank of a single-valued field, and value->rank map."""
        r = self._ranks.get(name)
        if r is not None:
            return r
        with self._lock:
            r = self._ranks.get(name)
            if r is not None:
                return r
            vo = self.value_order(name)
            if vo is not None:
                order, svals = vo
                per_doc = [None] * len(self.docs)
                ordered = []
                rank_of = {}
                prev = object()
                r = -1
                for d, v in zip(order, svals):
                    if v != prev:
                        r += 1
                        ordered.append(v)
                        rank_of[v] = r
                        prev = v
                    per_doc[d] = r
                r = (per_doc, rank_of, ordered)
                self._ranks[name] = r
                return r
            values = [doc.get(name) for doc in self.docs]
            if any(type(v) is list for v in values):
                values = [v[0] if type(v) is list and v else (None if type(v) is list else v)
                          for v in values]
            ordered = sorted({v for v in values if v is not None}, key=_sort_norm)
            rank_of = dict(zip(ordered, range(len(ordered))))
            per_doc = list(map(rank_of.get, values))
            r = (per_doc, rank_of, ordered)
            self._ranks[name] = r
            return r

    def rank_of_value(self, name, value):
        """Rank a (possibly absent) value would have: exact, or between neighbours."""
        per_doc, rank_of, ordered = self.ranks(name)
        if value is None:
            return None
        r = rank_of.get(value)
        if r is not None:
            return r
        try:
            return bisect.bisect_left([_sort_norm(x) for x in ordered], _sort_norm(value)) - 0.5
        except TypeError:
            raise SolrError("Unable to parse 'cursorMark': value of wrong type")

    def column(self, name, desc):
        """Sort key of every document for one field and direction (cached)."""
        key = (name, desc)
        col = self._columns.get(key)
        if col is None:
            per_doc = self.ranks(name)[0]
            if desc:
                col = [MISSING if r is None else -r for r in per_doc]
            else:
                col = [MISSING if r is None else r for r in per_doc]
            self._columns[key] = col
        return col

    def key_from_values(self, spec, values):
        out = []
        for (name, desc), v in zip(spec, values):
            if name == "score":
                out.append(0)
                continue
            r = self.rank_of_value(name, v)
            if r is None:
                out.append(MISSING)
            else:
                out.append(-r if desc else r)
        return tuple(out)

    def ordered(self, cache_key, result, spec):
        """Documents of result in sort order, with their sort keys (cached)."""
        key = (cache_key, tuple(spec))
        hit = self.order_cache.get(key)
        if hit is not None:
            return hit
        docs = sorted(result)
        keys = None
        cols = [self.column(name, desc) for name, desc in spec if name != "score"]
        if len(spec) == 1 and len(cols) == 1:
            col = cols[0]
            docs.sort(key=col.__getitem__)  # stable: ties stay in index order
            keys = [(col[d],) for d in docs]
        elif spec:
            if cols:
                keys = list(zip(*[list(map(c.__getitem__, docs)) for c in cols]))
            else:
                keys = [()] * len(docs)
            # Pad score (constant) positions so keys line up with spec for cursors.
            if len(cols) != len(spec):
                pos = [i for i, (n, _) in enumerate(spec) if n != "score"]
                full = []
                for k in keys:
                    t = [0] * len(spec)
                    for j, i in enumerate(pos):
                        t[i] = k[j]
                    full.append(tuple(t))
                keys = full
            order = sorted(range(len(docs)), key=keys.__getitem__)
            docs = [docs[i] for i in order]
            keys = [keys[i] for i in order]
        out = (docs, keys)
        self.order_cache.put(key, out)
        return out

    def prewarm(self, postings=(), sorts=()):
        """Build the structures of the usual queries ahead of them."""
        for name in postings:
            if name in self.schema.fields:
                self.post(name)
        for name in sorts:
            if name in self.schema.fields:
                self.column(name, False)

    # -- facets
    def facet_counts(self, name, result, full):
        """Counter of indexed values of a field over the result set."""
        post = self.post(name)
        if full:
            return Counter({k: len(v) for k, v in post.items()})
        counts = Counter()
        if not result:
            return counts
        rs = result if isinstance(result, (set, frozenset)) else frozenset(result)
        f = self.schema.fields[name]
        direct = self.sources.get(name) == (name,) and f.kind != "text" and \
            f.type != "alphaOnlySort"
        if direct and len(rs) * 8 < len(self.docs):
            docs = self.docs
            for d in rs:
                v = docs[d].get(name)
                if v is None:
                    continue
                if type(v) is list:
                    counts.update(set(v))
                else:
                    counts[v] += 1
            return counts
        inter = rs.intersection
        for k, lst in post.items():
            c = len(inter(lst)) if len(lst) > 1 else (1 if lst[0] in rs else 0)
            if c:
                counts[k] = c
        return counts


def _sort_norm(v):
    # bool sorts false < true; everything else compares natively within a field.
    return v
