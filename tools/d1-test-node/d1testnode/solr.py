"""The Solr select endpoint: request parameters in, Solr 8 style JSON out.

Supports q, fq, df, q.op, fl, rows, start, sort, cursorMark, facet.* (field, query,
limit, offset, mincount, sort, prefix, missing, per-field f.X.facet.*), json.nl,
indent and wt=json. Errors are SolrError, rendered as Solr's error JSON.
"""

import base64
import binascii
import bisect
import fnmatch
import json
import re
import time

from .solrquery import SolrError, format_solr_date, parse_query


class Params:
    """Ordered multi-valued request parameters."""

    def __init__(self, pairs):
        self.pairs = list(pairs)

    def get(self, name, default=None):
        for k, v in self.pairs:
            if k == name:
                return v
        return default

    def getall(self, name):
        return [v for k, v in self.pairs if k == name]

    def echo(self):
        out = {}
        for k, v in self.pairs:
            if k in out:
                if isinstance(out[k], list):
                    out[k].append(v)
                else:
                    out[k] = [out[k], v]
            else:
                out[k] = v
        return out


def _int_param(params, name, default):
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise SolrError('For input string: "%s"' % raw)


def _bool_param(params, name, default=False):
    raw = params.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in ("true", "on", "yes", "1")


def error_body(err, params, qtime=0):
    return {
        "responseHeader": {"status": err.code, "QTime": qtime, "params": params.echo()},
        "error": {
            "metadata": ["error-class", "org.apache.solr.common.SolrException",
                         "root-error-class", err.root_class],
            "msg": err.msg,
            "code": err.code,
        },
    }


def format_value(field, v):
    kind = field.kind
    if kind == "date":
        return format_solr_date(v)
    if kind == "int":
        return int(v)
    if kind == "float":
        return float(v)
    if kind == "bool":
        return bool(v)
    return v


def facet_label(field, v):
    if v is None:
        return None
    kind = field.kind
    if kind == "date":
        return format_solr_date(v)
    if kind == "bool":
        return "true" if v else "false"
    if kind == "float":
        return repr(float(v))
    return str(v)


def parse_sort(index, raw):
    spec = []
    if raw is None or not raw.strip():
        return spec
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        bits = part.split()
        if len(bits) != 2 or bits[1].lower() not in ("asc", "desc"):
            raise SolrError("Can't determine a Sort Order (asc or desc) in sort spec '%s', pos=%d"
                            % (raw, len(raw)))
        name, direction = bits[0], bits[1].lower()
        if name != "score":
            f = index.schema.get(name)
            if f is None:
                raise SolrError("sort param field can't be found: " + name)
            if f.multivalued:
                raise SolrError("can not sort on multivalued field: %s of type: %s"
                                % (name, f.type))
            if not f.sortable:
                raise SolrError("can not sort on a field w/o docValues unless it is indexed=true "
                                "uninvertible=true and the type supports Uninversion: " + name)
        spec.append((name, direction == "desc"))
    return spec


def parse_fl(index, raw):
    """List of (output name, field name) for the requested stored fields."""
    schema = index.schema
    if raw is None or not raw.strip():
        return [(n, n) for n in schema.returnable], False
    out = []
    seen = set()
    want_score = False
    for tok in re.split(r"[,\s]+", raw.strip()):
        if not tok or tok.startswith("["):
            continue
        alias = None
        if ":" in tok and "*" not in tok:
            alias, tok = tok.split(":", 1)
        if tok == "score":
            want_score = True
            continue
        if "*" in tok or "?" in tok:
            for n in schema.returnable:
                if fnmatch.fnmatchcase(n, tok) and n not in seen:
                    seen.add(n)
                    out.append((n, n))
            continue
        f = schema.get(tok)
        if f is not None and f.returnable and tok not in seen:
            seen.add(tok)
            out.append((alias or tok, tok))
    order = {n: i for i, n in enumerate(schema.order)}
    out.sort(key=lambda p: order.get(p[1], 0))
    return out, want_score


def encode_cursor(values):
    return base64.b64encode(json.dumps(values, ensure_ascii=False,
                                       separators=(",", ":")).encode("utf-8")).decode("ascii")


def decode_cursor(mark, nfields):
    bad = SolrError("Unable to parse 'cursorMark' after totem: value must either be '*' or "
                    "the nextCursorMark returned by a previous search: " + mark)
    try:
        values = json.loads(base64.b64decode(mark.encode("ascii"), validate=True).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeError):
        raise bad
    if not isinstance(values, list) or len(values) != nfields:
        raise bad
    return values


class Select:
    """Runs select requests against one index.

    fill_lazy(docnum, fieldnames) lets the corpus compute stored values on demand
    (checksums of synthetic objects) before a document is written out.
    """

    def __init__(self, index, fill_lazy=None):
        self.index = index
        self.fill_lazy = fill_lazy

    def run(self, pairs):
        """Returns (http_status, json_bytes)."""
        t0 = time.monotonic()
        params = Params(pairs)
        try:
            body = self._run(params, t0)
            status = 200
        except SolrError as e:
            body = error_body(e, params, int((time.monotonic() - t0) * 1000))
            status = e.code
        indent = 2 if _bool_param(params, "indent") else None
        text = json.dumps(body, ensure_ascii=False, indent=indent,
                          separators=(",", ":") if indent is None else None)
        return status, text.encode("utf-8")

    def _parse(self, text, df, op):
        return parse_query(text, self.index.schema, df, op)

    def _result(self, params):
        index = self.index
        df = params.get("df") or "text"
        op = params.get("q.op") or "OR"
        q = params.get("q")
        fqs = [fq for fq in params.getall("fq") if fq.strip()]
        key = (q, tuple(fqs), df, op)
        hit = index.query_cache.get(key)
        if hit is not None:
            return key, hit
        if q is None or q == "":
            result = frozenset()
        else:
            result = index.search(self._parse(q, df, op))
        for fq in fqs:
            if not result:
                break
            sub = index.search(self._parse(fq, df, op))
            result = result & sub if isinstance(result, (set, frozenset)) else set(result) & sub
        result = frozenset(result)
        index.query_cache.put(key, result)
        return key, result

    def _run(self, params, t0):
        index = self.index
        wt = params.get("wt")
        if wt not in (None, "", "json"):
            raise SolrError("d1-test-node answers wt=json only, not wt=%s" % wt)
        rows = _int_param(params, "rows", 10)
        start = _int_param(params, "start", 0)
        if rows < 0:
            raise SolrError("'rows' parameter cannot be negative")
        if start < 0:
            raise SolrError("'start' parameter cannot be negative")
        spec = parse_sort(index, params.get("sort"))
        cursor = params.get("cursorMark")
        if cursor is not None:
            if not any(name == "id" for name, _ in spec):
                raise SolrError("Cursor functionality requires a sort containing a uniqueKey "
                                "field tie breaker")
            if start != 0:
                raise SolrError("Cursor functionality requires start=0")
        fl, want_score = parse_fl(index, params.get("fl"))
        facet_on = _bool_param(params, "facet")
        facet_fields = params.getall("facet.field") if facet_on else []
        for name in facet_fields:
            f = index.field(name)
            if not f.searchable:
                raise SolrError("can not use FieldCache on a field w/o docValues unless it is "
                                "indexed uninvertible=true and the type supports Uninversion: "
                                + name)
        cursor_values = None
        if cursor is not None and cursor != "*":
            cursor_values = decode_cursor(cursor, len(spec))

        key, result = self._result(params)
        num_found = len(result)
        docs, keys = index.ordered(key, result, spec)
        if cursor is not None:
            pos = 0
            if cursor_values is not None:
                ck = index.key_from_values(spec, cursor_values)
                pos = bisect.bisect_right(keys, ck)
            page = docs[pos:pos + rows]
            if page:
                last = index.docs[page[-1]]
                next_mark = encode_cursor([None if n == "score" else last.get(n)
                                           for n, _ in spec])
            else:
                next_mark = cursor
            out_start = 0
        else:
            page = docs[start:start + rows]
            out_start = start

        out_docs = self._render(page, fl, want_score)
        body = {
            "responseHeader": {"status": 0, "QTime": 0, "params": params.echo()},
            "response": {"numFound": num_found, "start": out_start, "docs": out_docs},
        }
        if facet_on:
            body["facet_counts"] = self._facets(params, facet_fields, result)
        if cursor is not None:
            body["nextCursorMark"] = next_mark
        body["responseHeader"]["QTime"] = int((time.monotonic() - t0) * 1000)
        return body

    def _render(self, page, fl, want_score):
        index = self.index
        fields = index.schema.fields
        names = {n for _, n in fl}
        out = []
        for d in page:
            if self.fill_lazy is not None:
                self.fill_lazy(d, names)
            doc = index.docs[d]
            o = {}
            for out_name, name in fl:
                v = doc.get(name)
                if v is None:
                    continue
                f = fields[name]
                if isinstance(v, list):
                    o[out_name] = [format_value(f, x) for x in v]
                elif f.multivalued:
                    o[out_name] = [format_value(f, v)]
                else:
                    o[out_name] = format_value(f, v)
            if want_score:
                o["score"] = 1.0
            out.append(o)
        return out

    def _facet_param(self, params, field, name, default=None):
        v = params.get("f.%s.%s" % (field, name))
        if v is None:
            v = params.get(name)
        return default if v is None else v

    def _facets(self, params, facet_fields, result):
        index = self.index
        full = len(result) == len(index.docs)
        nl = params.get("json.nl") or "flat"
        facet_queries = {}
        df = params.get("df") or "text"
        op = params.get("q.op") or "OR"
        for fq in params.getall("facet.query"):
            sub = index.search(self._parse(fq, df, op))
            facet_queries[fq] = len(result & sub) if result else 0
        ff = {}
        for name in facet_fields:
            f = index.field(name)

            def ip(pname, default):
                raw = self._facet_param(params, name, pname)
                if raw is None or raw == "":
                    return default
                try:
                    return int(raw)
                except ValueError:
                    raise SolrError('For input string: "%s"' % raw)
            limit = ip("facet.limit", 100)
            offset = ip("facet.offset", 0)
            mincount = ip("facet.mincount", 0)
            prefix = self._facet_param(params, name, "facet.prefix")
            missing = self._facet_param(params, name, "facet.missing", "false").lower() in (
                "true", "on", "yes")
            sort = self._facet_param(params, name, "facet.sort")
            if sort is None:
                sort = "count" if limit > 0 else "index"
            sort = {"true": "count", "false": "index", "lex": "index"}.get(sort.lower(), sort.lower())
            if sort not in ("count", "index"):
                raise SolrError("Unknown facet sort value: " + sort)
            counts = index.facet_counts(name, result, full)
            if mincount <= 0:
                for k in index.post(name):
                    counts.setdefault(k, 0)
            items = []
            for k, c in counts.items():
                if c < mincount:
                    continue
                label = facet_label(f, k)
                if prefix and not label.startswith(prefix):
                    continue
                items.append((k, label, c))
            if sort == "count":
                items.sort(key=lambda t: (-t[2], t[0]))
            else:
                items.sort(key=lambda t: t[0])
            items = items[offset:] if limit < 0 else items[offset:offset + limit]
            pairs = [(label, c) for _, label, c in items]
            if missing:
                have = set()
                for lst in index.post(name).values():
                    have.update(lst)
                pairs.append((None, len(result - have) if result else 0))
            ff[name] = self._nl(pairs, nl)
        return {"facet_queries": facet_queries, "facet_fields": ff, "facet_ranges": {},
                "facet_intervals": {}, "facet_heatmaps": {}}

    @staticmethod
    def _nl(pairs, nl):
        if nl == "map":
            return {("" if k is None else k): c for k, c in pairs}
        if nl == "arrarr":
            return [[k, c] for k, c in pairs]
        if nl == "arrmap":
            return [{k: c} for k, c in pairs]
        flat = []
        for k, c in pairs:
            flat.append(k)
            flat.append(c)
        return flat
