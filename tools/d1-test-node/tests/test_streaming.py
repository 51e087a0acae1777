"""Serving object bytes for streaming clients: files served from disk (any size) with Range,
member-node replicas, an object base URL for resolve, dot-segment PIDs, and the body faults
(stall, reset mid-body, overlong, bad Content-Range, corrupt at object offsets)."""

import hashlib
import http.client
import json
import os
import shutil
import socket
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from d1testnode.corpus import Corpus
from d1testnode.server import NodeServer

from .support import request


class StreamingNode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="d1tn-stream-")
        cls.path = os.path.join(cls.tmp, "blob")
        cls.data = bytes((i * 7 + (i >> 9)) & 0xFF for i in range(3 * 1024 * 1024 + 5))
        with open(cls.path, "wb") as f:
            f.write(cls.data)
        cls.corpus = Corpus(None, 5, 1, warn=lambda m: None, object_files=[(cls.path, "blob.1")],
                            dot_pids=True)
        cls.log_path = os.path.join(cls.tmp, "log")
        cls.server = NodeServer(cls.corpus, "127.0.0.1", 0, cls.log_path, replicas=3,
                                object_base_url="http://127.0.0.1:9/bytes").start()
        cls.base = cls.server.base_url

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.server.faults.clear()

    def get(self, path, headers=None):
        return request(self.base, "GET", path, None, headers)

    def fault(self, **spec):
        r = request(self.base, "POST", "/_faults", json.dumps(spec).encode(),
                    {"Content-Type": "application/json"})
        self.assertEqual(r.status, 201, r.body)

    def raw(self, path, rng=None):
        """Status, headers and whatever body arrives before the connection ends."""
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=20)
        try:
            conn.request("GET", path, headers={"Range": rng} if rng else {})
            resp = conn.getresponse()
            try:
                body = resp.read()
            except http.client.IncompleteRead as e:
                body = e.partial
            except (ConnectionError, socket.timeout):
                body = None
            return resp.status, dict(resp.getheaders()), body
        finally:
            conn.close()

    def last_logged(self, fault=None, timeout=5.0):
        """The last log record (of a request hit by `fault`); the node logs a request once
        it is over, which a client may see first: wait, bounded."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path, encoding="utf-8") as f:
                lines = [json.loads(x) for x in f.read().splitlines() if x.strip()]
            hits = [x for x in lines if fault is None or x["fault"] == fault]
            if hits or time.monotonic() > deadline:
                return hits[-1] if hits else None
            time.sleep(0.02)

    def test_object_file_is_served_with_range_and_its_checksum(self):
        r = self.get("/mn/v2/object/blob.1")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, self.data)
        r = self.get("/mn2/v2/object/blob.1", {"Range": "bytes=1048570-1048590"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.header("Content-Range"), "bytes 1048570-1048590/%d" % len(self.data))
        self.assertEqual(r.body, self.data[1048570:1048591])
        meta = self.get("/cn/v2/meta/blob.1").text()
        self.assertIn("<size>%d</size>" % len(self.data), meta)
        self.assertIn(hashlib.sha256(self.data).hexdigest(), meta)
        self.assertEqual(self.get("/mn4/v2/object/blob.1").status, 404)  # only 3 replicas

    def test_resolve_lists_the_byte_server_then_every_replica(self):
        r = self.get("/cn/v2/resolve/blob.1")
        self.assertEqual(r.status, 303)
        urls = [e.text for e in ET.fromstring(r.body).iter("url")]
        p = self.server.port
        self.assertEqual(urls, ["http://127.0.0.1:9/bytes/v2/object/blob.1",
                                "http://127.0.0.1:%d/mn/v2/object/blob.1" % p,
                                "http://127.0.0.1:%d/mn2/v2/object/blob.1" % p,
                                "http://127.0.0.1:%d/mn3/v2/object/blob.1" % p])
        self.assertEqual(r.header("Location"), urls[0])

    def test_dot_segment_pids(self):
        for pid, seg in ((".", "%2E"), ("..", "%2E%2E")):
            r = self.get("/mn/v2/object/" + seg)
            self.assertEqual(r.status, 200)
            self.assertTrue(r.body.startswith(("dot-segment identifier %s\n" % pid).encode()))
        # Sent unencoded (as a client that does not resolve dot segments would): the same.
        self.assertTrue(self.get("/mn/v2/object/..").body.startswith(b"dot-segment identifier ..\n"))

    def test_stall_sends_part_then_pauses(self):
        self.fault(match="blob", kind="stall", keep_bytes=1000, delay_ms=700, count=1)
        t0 = time.monotonic()
        status, _, body = self.raw("/mn/v2/object/blob.1", "bytes=0-99999")
        self.assertGreaterEqual(time.monotonic() - t0, 0.6)
        self.assertEqual(status, 206)
        self.assertEqual(body, self.data[:100000])

    def test_reset_mid_body(self):
        self.fault(match="blob", kind="reset", keep_bytes=5000, count=1)
        status, headers, body = self.raw("/mn/v2/object/blob.1")
        self.assertEqual(status, 200)
        self.assertEqual(int(headers["Content-Length"]), len(self.data))
        self.assertTrue(body is None or len(body) <= 5000)
        line = self.last_logged("reset")
        self.assertEqual(line["status"], 0)
        self.assertLessEqual(line["bytes"], 5000)

    def test_overlong_has_no_length_and_more_bytes(self):
        self.fault(match="blob", kind="overlong", extra_bytes=100, count=1)
        status, headers, body = self.raw("/mn/v2/object/blob.1", "bytes=10-19")
        self.assertEqual(status, 206)
        self.assertNotIn("Content-Length", headers)
        self.assertEqual(body[:10], self.data[10:20])
        self.assertEqual(len(body), 110)

    def test_bad_range_lies_in_content_range(self):
        self.fault(match="blob", kind="bad_range", shift=2, total_delta=-1, count=1)
        status, headers, body = self.raw("/mn/v2/object/blob.1", "bytes=10-19")
        self.assertEqual(headers["Content-Range"], "bytes 12-21/%d" % (len(self.data) - 1))
        self.assertEqual(body, self.data[10:20])

    def test_corrupt_at_object_offsets_inside_a_range(self):
        self.fault(match="blob", kind="corrupt", offsets=[15, 2000000], count=2)
        _, _, body = self.raw("/mn/v2/object/blob.1", "bytes=10-19")
        want = bytearray(self.data[10:20])
        want[5] ^= 0xFF
        self.assertEqual(body, bytes(want))
        _, _, whole = self.raw("/mn/v2/object/blob.1")
        self.assertEqual(sum(a != b for a, b in zip(whole, self.data)), 2)

    def test_range_is_logged(self):
        self.get("/mn3/v2/object/blob.1", {"Range": "bytes=5-9"})
        line = self.last_logged()
        self.assertEqual(line["range"], "bytes=5-9")
        self.assertEqual(line["side"], "mn3")
        self.assertEqual(line["endpoint"], "object")

    def test_fault_validation(self):
        r = request(self.base, "POST", "/_faults",
                    json.dumps({"kind": "corrupt", "offsets": [-1]}).encode(),
                    {"Content-Type": "application/json"})
        self.assertEqual(r.status, 400)


if __name__ == "__main__":
    unittest.main()
