"""HTTP side of the node: CN under /cn, member node under /mn, control API under /_.

One ThreadingHTTPServer (HTTP/1.1, keep-alive). Every request is counted, logged as
one JSON line and may be hit by an injected fault before or after routing.
"""

import datetime as _dt
import email.utils
import json
import random
import re
import socket
import struct
import sys
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote_to_bytes

from . import dataone
from .faults import FaultError, FaultRegistry, parse_spec, validate

XML = "text/xml; charset=UTF-8"
JSON = "application/json; charset=utf-8"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_REPLICA_SIDE = re.compile(r"/mn(\d*)(?:/|$)")


def _flip(piece, offset, flips):
    """`piece` (object bytes from `offset`) with the bytes at the offsets in `flips` inverted."""
    hit = [o - offset for o in flips if offset <= o < offset + len(piece)]
    if not hit:
        return piece
    data = bytearray(piece)
    for i in hit:
        data[i] ^= 0xFF
    return bytes(data)


def _shifted_range(value, fault):
    """A Content-Range that lies: start and end moved by `shift`, total by `total_delta`."""
    m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", value)
    if not m:
        return value
    a, b, total = (int(x) for x in m.groups())
    return "bytes %d-%d/%d" % (a + fault.shift, b + fault.shift, total + fault.total_delta)


class Response:
    """An answer: a body in memory, or `file` = (path, start, length) streamed from disk.
    `body_offset` is the object offset of the body's first byte (Range answers)."""
    __slots__ = ("status", "headers", "body", "endpoint", "file", "body_offset")

    PIECE = 1 << 20

    def __init__(self, status, body=b"", ctype=None, headers=None, endpoint="unknown",
                 file=None, body_offset=0):
        self.status = status
        self.body = body
        self.headers = list(headers or [])
        if ctype:
            self.headers.insert(0, ("Content-Type", ctype))
        self.endpoint = endpoint
        self.file = file
        self.body_offset = body_offset

    def length(self):
        return self.file[2] if self.file is not None else len(self.body)

    def pieces(self):
        """The body in pieces of at most PIECE bytes."""
        if self.file is None:
            for i in range(0, len(self.body), self.PIECE):
                yield self.body[i:i + self.PIECE]
            return
        path, start, length = self.file
        with open(path, "rb") as f:
            f.seek(start)
            while length > 0:
                piece = f.read(min(self.PIECE, length))
                if not piece:
                    raise OSError("object file %s ended early" % path)
                length -= len(piece)
                yield piece


def d1_error(status, description, detail_code="0", endpoint="unknown", name=None):
    return Response(status, dataone.error_xml(status, description, detail_code, name), XML,
                    endpoint=endpoint)


def json_response(status, obj, endpoint):
    return Response(status, (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
                    JSON, endpoint=endpoint)


class BadPid(ValueError):
    pass


def decode_pid(raw):
    """Percent-decode one path segment exactly once, strictly (UTF-8, no '+' magic)."""
    if _BAD_PERCENT.search(raw):
        raise BadPid("malformed percent-encoding in %r" % raw)
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        raise BadPid("identifier is not UTF-8 after percent-decoding: %r" % raw)


def http_date(ms):
    return email.utils.formatdate(ms / 1000.0, usegmt=True)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.total = 0
        self.by_side = {}
        self.by_endpoint = {}
        self.by_status = {}
        self.by_method = {}
        self.faults = {}
        self.since = _dt.datetime.now(_dt.timezone.utc).isoformat()

    def add(self, side, endpoint, method, status, fault):
        with self.lock:
            self.total += 1
            self.by_side[side] = self.by_side.get(side, 0) + 1
            ep = self.by_endpoint.setdefault(side, {})
            ep[endpoint] = ep.get(endpoint, 0) + 1
            key = str(status)
            self.by_status[key] = self.by_status.get(key, 0) + 1
            self.by_method[method] = self.by_method.get(method, 0) + 1
            if fault:
                self.faults[fault] = self.faults.get(fault, 0) + 1

    def snapshot(self):
        with self.lock:
            return {"since": self.since, "total": self.total, "by_side": dict(self.by_side),
                    "by_endpoint": {k: dict(v) for k, v in self.by_endpoint.items()},
                    "by_status": dict(self.by_status), "by_method": dict(self.by_method),
                    "faults_applied": dict(self.faults)}


class RequestLog:
    def __init__(self, path):
        self.lock = threading.Lock()
        self.fh = open(path, "a", encoding="utf-8") if path else None

    def write(self, record):
        if self.fh is None:
            return
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        with self.lock:
            self.fh.write(line + "\n")
            self.fh.flush()

    def close(self):
        with self.lock:
            if self.fh is not None:
                self.fh.close()
                self.fh = None


class NodeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, corpus, host="127.0.0.1", port=0, log_path=None, seed=1, replicas=1,
                 object_base_url=None):
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)
        self.corpus = corpus
        self.host = host
        self.port = self.server_address[1]
        hostpart = "[%s]" % host if ":" in host else host
        self.base_url = "http://%s:%d" % (hostpart, self.port)
        self.cn_base = self.base_url + "/cn"
        self.mn_base = self.base_url + "/mn"
        # Member nodes that hold a replica of every object: /mn, /mn2, … /mnN; resolve
        # lists them in that order, after object_base_url (a server of the bytes alone).
        self.replicas = replicas
        self.object_base_url = object_base_url.rstrip("/") if object_base_url else None
        self.faults = FaultRegistry()
        self.stats = Stats()
        self.log = RequestLog(log_path)
        self.rng = random.Random("garbage/%d" % seed)
        self.rng_lock = threading.Lock()
        self._format_elems = None
        self.thread = None

    # -- lifecycle
    def start(self):
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="d1-test-node", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()
        self.log.close()
        if self.thread is not None:
            self.thread.join(timeout=5)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, BrokenPipeError)):
            return
        super().handle_error(request, client_address)

    def format_element(self, format_id):
        if self._format_elems is None:
            elems = {}
            try:
                root = ET.fromstring(self.corpus.format_list_xml)
                for f in root.iter("objectFormat"):
                    elems[f.findtext("formatId")] = f
            except ET.ParseError:
                pass
            self._format_elems = elems
        return self._format_elems.get(format_id)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without TCP_NODELAY, keep-alive responses stall ~40 ms on Nagle + delayed ACK, which
    # would hide the product's own latency in every timing against this node.
    disable_nagle_algorithm = True
    server_version = "d1-test-node/1.0"
    sys_version = ""

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):  # the JSON request log replaces stderr chatter
        pass

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_OPTIONS(self):
        self._handle("OPTIONS")

    # -- request flow
    def _handle(self, method):
        t0 = time.monotonic()
        srv = self.server
        raw = self.path
        path, _, query = raw.partition("?")
        replica = _REPLICA_SIDE.match(path)
        if path == "/cn" or path.startswith("/cn/"):
            side = "cn"
        elif replica and (replica.group(1) == "" or
                          2 <= int(replica.group(1)) <= srv.replicas):
            side = "mn" + replica.group(1)
        elif path.startswith("/_"):
            side = "control"
        else:
            side = "other"
        body_in = b""
        length = self.headers.get("Content-Length")
        if length:
            try:
                body_in = self.rfile.read(int(length))
            except ValueError:
                body_in = b""
        fault = None
        resp = None
        status_sent = None
        sent = 0
        try:
            if side == "control":
                resp = self._control(method, path, body_in)
            else:
                fault = srv.faults.take(raw, method)
                if fault is not None:
                    if fault.kind == "delay":
                        time.sleep(fault.delay_ms / 1000.0)
                    elif fault.kind == "status":
                        resp = self._fault_status(fault, self._endpoint_name(side, path))
                    elif fault.kind == "reset" and fault.keep_bytes is None:
                        self._reset()
                        status_sent = 0
                if status_sent is None and resp is None:
                    resp = self._route(method, side, path, query, body_in)
                if resp is not None and fault is not None:
                    resp = self._post_fault(fault, resp, method)
        except Exception:  # an unexpected bug must still answer like a DataONE node
            traceback.print_exc()
            resp = d1_error(500, "d1-test-node internal error: %s" % traceback.format_exc(
                limit=1).strip().splitlines()[-1])
        if status_sent is None:
            sent, reset = self._send(resp, method == "HEAD", fault)
            status_sent = 0 if reset else resp.status
        endpoint = resp.endpoint if resp is not None else self._endpoint_name(side, path)
        fault_kind = fault.kind if fault is not None else None
        srv.stats.add(side, endpoint, method, status_sent, fault_kind)
        now = _dt.datetime.now(_dt.timezone.utc)
        srv.log.write({
            "ts": now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000),
            "method": method, "path": path, "query": query, "side": side,
            "endpoint": endpoint, "status": status_sent, "bytes": sent, "fault": fault_kind,
            "range": self.headers.get("Range"),
            "fault_id": fault.id if fault is not None else None,
            "duration_ms": round((time.monotonic() - t0) * 1000.0, 3),
        })

    def _send(self, resp, head_only, fault):
        """Sends `resp`, applying the body faults of `fault`: returns (body bytes sent,
        whether the connection was reset)."""
        kind = fault.kind if fault is not None else None
        length = resp.length()
        headers = resp.headers
        if kind == "bad_range":
            headers = [(k, _shifted_range(v, fault) if k == "Content-Range" else v)
                       for k, v in headers]
        # Where the body stops (truncate, reset), pauses (stall) or overruns (overlong).
        stop = pause = None
        if kind in ("truncate", "reset", "stall") and not head_only:
            keep = fault.keep_bytes if fault.keep_bytes is not None else length // 2
            if kind == "truncate":
                keep = min(keep, max(0, length - 1))
            if kind == "stall":
                pause = min(keep, length)
            else:
                stop = min(keep, length)
        overlong = kind == "overlong" and not head_only
        sent = 0
        try:
            self.send_response(resp.status)
            for k, v in headers:
                self.send_header(k, v)
            if overlong:
                # No length: the body ends when the connection closes, so it can run long.
                self.send_header("Connection", "close")
                self.close_connection = True
            else:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            if head_only:
                self.wfile.flush()
                return 0, False
            flips = set(fault.offsets or []) if kind == "corrupt" and fault.offsets else None
            for piece in resp.pieces():
                if flips:
                    piece = _flip(piece, resp.body_offset + sent, flips)
                if stop is not None and sent + len(piece) >= stop:
                    piece = piece[:stop - sent]
                if pause is not None and sent <= pause < sent + len(piece):
                    head, piece = piece[:pause - sent], piece[pause - sent:]
                    self.wfile.write(head)
                    self.wfile.flush()
                    sent += len(head)
                    time.sleep(fault.delay_ms / 1000.0)
                    pause = None
                self.wfile.write(piece)
                sent += len(piece)
                if stop is not None and sent >= stop:
                    break
            if overlong:
                self.wfile.write(b"\xa5" * fault.extra_bytes)
                sent += fault.extra_bytes
            self.wfile.flush()
            if kind == "reset" and stop is not None:
                self._reset()
                return sent, True
            if stop is not None:
                self.close_connection = True
            return sent, False
        except (ConnectionError, BrokenPipeError, socket.timeout):
            self.close_connection = True
            return sent, False

    def _reset(self):
        """Drop the connection abruptly: RST, no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            self.rfile.close()
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def _fault_status(self, fault, endpoint):
        status = fault.status
        name = dataone.ERROR_NAMES.get(status, "ServiceFailure")
        headers = []
        if fault.retry_after is not None:
            headers.append(("Retry-After", str(fault.retry_after)))
        return Response(status, dataone.error_xml(
            status, "d1-test-node injected fault %d: status %d" % (fault.id, status), "0", name),
            XML, headers, endpoint=endpoint)

    def _post_fault(self, fault, resp, method):
        if fault.kind == "garbage":
            with self.server.rng_lock:
                n = self.server.rng.randrange(64, 1024)
                data = bytearray(self.server.rng.randbytes(n))
            # Never start like XML, JSON or whitespace: unmistakably not a document.
            while data and data[0] in b'<{["\' \t\r\n\xef':
                data[0] = (data[0] + 1) % 256
            ctype = next((v for k, v in resp.headers if k == "Content-Type"), "text/xml")
            return Response(200, bytes(data), ctype, endpoint=resp.endpoint)
        if fault.kind == "corrupt" and not fault.offsets and resp.body and method != "HEAD":
            data = bytearray(resp.body)
            n = len(data)
            for pos in {n // 2, n // 3, n - 1}:
                data[pos] ^= 0xFF
            resp.body = bytes(data)
        return resp

    # -- routing
    @staticmethod
    def _endpoint_name(side, path):
        """Endpoint of a path, as /_stats and the log name it."""
        if side == "control":
            return path.strip("/").split("/")[0].lstrip("_") or "control"
        if side == "other":
            return "unknown"
        rest = path[len(side) + 1:].lstrip("/")
        if rest == "v2/query/solr/":
            return "query/solr/"
        if rest == "v2/query/solr":
            return "query/solr"
        for prefix, name in (("v2/object", "object"), ("v2/meta/", "meta"),
                             ("v2/resolve/", "resolve"), ("v2/checksum/", "checksum"),
                             ("v2/formats", "formats"), ("v2/node", "node"),
                             ("v2/monitor/ping", "ping"), ("v2/query", "query")):
            if rest.startswith(prefix):
                return name
        if side == "mn" and rest in ("v2", "v2/"):
            return "node"
        return "unknown"

    def _route(self, method, side, path, query, body_in):
        if side == "other":
            return d1_error(404, "No such endpoint: %s (d1-test-node serves /cn and /mn)" % path)
        rest = path[len("/" + side):].lstrip("/")
        corpus = self.server.corpus
        if side.startswith("mn"):
            side, replica = "mn", side[2:]
        else:
            replica = ""
        if method not in ("GET", "HEAD") and not (method == "POST" and rest == "v2/query/solr/"):
            return d1_error(501, "d1-test-node is read-only: %s %s is not implemented"
                            % (method, path), "0", endpoint="unsupported")
        if rest.startswith("v2/object/") or rest in ("v2/object", "v2/object/"):
            return self._object(side, rest[len("v2/object/"):], method == "HEAD")
        if rest.startswith("v2/meta/"):
            return self._meta(rest[len("v2/meta/"):])
        if rest.startswith("v2/checksum/"):
            return self._checksum(side, rest[len("v2/checksum/"):], query)
        if rest in ("v2/monitor/ping", "v2/monitor/ping/"):
            return Response(200, b"", "text/plain", endpoint="ping")
        if side == "cn":
            if rest == "v2/query/solr/":
                return self._select(method, query, body_in)
            if rest == "v2/query/solr":
                return Response(200, corpus.description_xml, XML, endpoint="query/solr")
            if rest in ("v2/query", "v2/query/"):
                return Response(200, (
                    '<?xml version="1.0" encoding="UTF-8"?><ns2:queryEngineList xmlns:ns2='
                    '"http://ns.dataone.org/service/types/v1.1"><queryEngine>solr</queryEngine>'
                    "</ns2:queryEngineList>").encode("utf-8"), XML, endpoint="query")
            if rest.startswith("v2/resolve/"):
                return self._resolve(rest[len("v2/resolve/"):])
            if rest in ("v2/node", "v2/node/"):
                return Response(200, dataone.node_list(corpus.node_list_fixture,
                                                       self.server.cn_base, self.server.mn_base),
                                XML, endpoint="node")
            if rest in ("v2/formats", "v2/formats/"):
                return Response(200, corpus.format_list_xml, XML, endpoint="formats")
            if rest.startswith("v2/formats/"):
                return self._format(rest[len("v2/formats/"):])
        else:
            if rest in ("v2", "v2/", "v2/node", "v2/node/"):
                return Response(200, dataone.own_node_document(
                    "mn", self.server.mn_base + replica, dataone.MN_ID + replica), XML,
                    endpoint="node")
        return d1_error(404, "No such endpoint on the %s side of d1-test-node: %s"
                        % ("CN" if side == "cn" else "MN", path))

    def _pid(self, raw, endpoint):
        try:
            return decode_pid(raw), None
        except BadPid as e:
            return None, d1_error(400, str(e), "0", endpoint)

    def _object(self, side, raw, head_only):
        if raw == "":
            return d1_error(501, "listObjects is not implemented by d1-test-node", "0", "object")
        pid, err = self._pid(raw, "object")
        if err:
            return err
        corpus = self.server.corpus
        doc = corpus.doc(pid)
        if doc is None:
            return d1_error(404, "No system metadata could be found for given PID: " + pid,
                            "1020", "object")
        if side == "cn" and doc.get("formatType") == "DATA":
            return d1_error(404, "The Coordinating Node holds no data bytes for PID %s (a DATA "
                            "object): use resolve (GET /cn/v2/resolve/{pid}) to find a member "
                            "node that serves it" % pid, "1020", "object")
        algo, value = corpus.checksum(doc)
        headers = [("Content-Type", corpus.content_type(doc)),
                   ("Last-Modified", http_date(doc.get("dateModified", doc["dateUploaded"]))),
                   ("Accept-Ranges", "bytes"),
                   ("DataONE-ObjectFormat", doc.get("formatId", "")),
                   ("DataONE-Checksum", "%s,%s" % (algo, value)),
                   ("DataONE-SerialVersion", "1")]
        name = doc.get("fileName")
        if name:
            ascii_name = name.encode("ascii", "replace").decode("ascii").replace('"', "_")
            from urllib.parse import quote
            headers.append(("Content-Disposition", "attachment; filename=\"%s\"; filename*=UTF-8''%s"
                            % (ascii_name, quote(name, safe=""))))
        size = doc["size"] if "_file" in doc else None
        data = None if "_file" in doc else corpus.payload(doc)
        size = len(data) if size is None else size

        def body(start, end):
            """Response arguments for the bytes [start, end) of the object."""
            if data is not None:
                return {"body": data[start:end]}
            return {"file": (doc["_file"], start, end - start), "body_offset": start}
        rng = self.headers.get("Range")
        if rng:
            parsed = self._parse_range(rng, size)
            if parsed == "unsatisfiable":
                r = d1_error(416, "Requested range not satisfiable: %s (object %s has %d bytes)"
                             % (rng, pid, size), "0", "object")
                r.headers.append(("Content-Range", "bytes */%d" % size))
                return r
            if parsed is not None:
                start, end = parsed
                headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
                return Response(206, headers=headers, endpoint="object", **body(start, end + 1))
        return Response(200, headers=headers, endpoint="object", **body(0, size))

    @staticmethod
    def _parse_range(header, size):
        """(start, end) inclusive, 'unsatisfiable', or None to ignore the header."""
        m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
        if not m or (m.group(1) == "" and m.group(2) == ""):
            return None
        a, b = m.group(1), m.group(2)
        if a == "":
            n = int(b)
            if n == 0 or size == 0:
                return "unsatisfiable"
            return max(0, size - n), size - 1
        start = int(a)
        end = int(b) if b else size - 1
        if b and end < start:
            return None
        if start >= size:
            return "unsatisfiable"
        return start, min(end, size - 1)

    def _meta(self, raw):
        pid, err = self._pid(raw, "meta")
        if err:
            return err
        doc = self.server.corpus.doc(pid)
        if doc is None:
            return d1_error(404, "No system metadata could be found for given PID: " + pid,
                            "1800", "meta")
        return Response(200, self.server.corpus.sysmeta(doc), XML, endpoint="meta")

    def _checksum(self, side, raw, query):
        pid, err = self._pid(raw, "checksum")
        if err:
            return err
        corpus = self.server.corpus
        doc = corpus.doc(pid)
        if doc is None:
            return d1_error(404, "No system metadata could be found for given PID: " + pid,
                            "1410", "checksum")
        algo, value = corpus.checksum(doc)
        wanted = dict(parse_qsl(query)).get("checksumAlgorithm")
        if wanted and wanted.upper() != algo.upper():
            from .corpus import HASHES, _hash, _hash_file
            if wanted.upper() not in HASHES:
                return d1_error(400, "Unsupported checksum algorithm: " + wanted, "1402",
                                "checksum")
            algo, value = wanted, (_hash_file(wanted, doc["_file"]) if "_file" in doc
                                   else _hash(wanted, corpus.payload(doc)))
        return Response(200, dataone.checksum_xml(algo, value), XML, endpoint="checksum")

    def _resolve(self, raw):
        pid, err = self._pid(raw, "resolve")
        if err:
            return err
        doc = self.server.corpus.doc(pid)
        if doc is None:
            return d1_error(404, "No system metadata could be found for given PID: " + pid,
                            "4140", "resolve")
        escaped = dataone.path_escape(pid)
        locations = []
        if self.server.object_base_url:
            ext = self.server.object_base_url
            locations.append((dataone.EXT_MN_ID, ext, ext + "/v2/object/" + escaped))
        for i in range(1, self.server.replicas + 1):
            suffix = "" if i == 1 else str(i)
            mn = self.server.mn_base + suffix
            locations.append((dataone.MN_ID + suffix, mn, mn + "/v2/object/" + escaped))
        url = locations[0][2]
        body = dataone.object_location_list(pid, locations)
        return Response(303, body, XML, [("Location", url)], endpoint="resolve")

    def _format(self, raw):
        fid, err = self._pid(raw, "formats")
        if err:
            return err
        el = self.server.format_element(fid)
        if el is None:
            return d1_error(404, "Format not found: " + fid, "4848", "formats")
        inner = ET.tostring(el, encoding="unicode")
        inner = inner.replace("<objectFormat>", '<ns3:objectFormat xmlns:ns2="%s" xmlns:ns3="%s">'
                              % (dataone.NS_V1, dataone.NS_V2), 1)
        inner = inner[:inner.rfind("</objectFormat>")] + "</ns3:objectFormat>"
        return Response(200, ('<?xml version="1.0" encoding="UTF-8"?>' + inner).encode("utf-8"),
                        XML, endpoint="formats")

    def _select(self, method, query, body_in):
        try:
            pairs = parse_qsl(query, keep_blank_values=True, encoding="utf-8", errors="strict")
            if method == "POST" and body_in:
                ctype = self.headers.get("Content-Type", "")
                if "application/x-www-form-urlencoded" in ctype or not ctype:
                    pairs += parse_qsl(body_in.decode("utf-8"), keep_blank_values=True,
                                       encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError) as e:
            body = {"responseHeader": {"status": 400, "QTime": 0, "params": {}},
                    "error": {"metadata": ["error-class", "org.apache.solr.common.SolrException",
                                           "root-error-class",
                                           "org.apache.solr.common.SolrException"],
                              "msg": "Invalid UTF-8 in request parameters: %s" % e, "code": 400}}
            return Response(400, json.dumps(body).encode("utf-8"), JSON, endpoint="query/solr/")
        status, body = self.server.corpus.select.run(pairs)
        return Response(status, body, JSON, endpoint="query/solr/")

    # -- control API
    def _control(self, method, path, body_in):
        srv = self.server
        if path in ("/_faults", "/_faults/"):
            if method == "GET":
                return json_response(200, {"faults": srv.faults.list()}, "faults")
            if method == "DELETE":
                return json_response(200, {"cleared": srv.faults.clear()}, "faults")
            if method == "POST":
                try:
                    spec = json.loads(body_in.decode("utf-8") or "null")
                    specs = spec if isinstance(spec, list) else [spec]
                    for s in specs:
                        validate(s)
                    added = [srv.faults.add(s) for s in specs]
                except (ValueError, FaultError) as e:
                    return json_response(400, {"error": str(e)}, "faults")
                return json_response(201, added[0] if not isinstance(spec, list) else added,
                                     "faults")
            return json_response(405, {"error": "use GET, POST or DELETE"}, "faults")
        m = re.fullmatch(r"/_faults/(\d+)", path)
        if m:
            fid = int(m.group(1))
            if method == "DELETE":
                ok = srv.faults.delete(fid)
                return json_response(200 if ok else 404, {"deleted": ok}, "faults")
            if method == "GET":
                for f in srv.faults.list():
                    if f["id"] == fid:
                        return json_response(200, f, "faults")
                return json_response(404, {"error": "no fault %d" % fid}, "faults")
            return json_response(405, {"error": "use GET or DELETE"}, "faults")
        if path in ("/_stats", "/_stats/"):
            if method == "DELETE":
                srv.stats.reset()
                return json_response(200, {"reset": True}, "stats")
            return json_response(200, srv.stats.snapshot(), "stats")
        if path in ("/_corpus", "/_corpus/"):
            return json_response(200, srv.corpus.summary(), "corpus")
        return json_response(404, {"error": "unknown control endpoint %s; use /_faults, /_stats, "
                                            "/_corpus" % path}, "control")


def add_startup_faults(server, specs):
    """Install faults given as JSON texts (the --fault option)."""
    for text in specs:
        server.faults.add(parse_spec(text))
