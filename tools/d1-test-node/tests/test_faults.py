"""Fault injection, the control API (/_faults, /_stats, /_corpus) and the request log."""

import hashlib
import http.client
import json
import time
import unittest
import xml.etree.ElementTree as ET

from d1testnode.dataone import path_escape

from .support import NodeCase, request


class Faults(NodeCase):
    synthetic = 300

    def add(self, **spec):
        r = self.get("/_faults", method="POST", body=json.dumps(spec).encode(),
                     headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 201, r.body)
        return r.json()

    def a_data_object(self, min_size=2000):
        for d in self.corpus.index.docs:
            if d["_src"] == "synthetic" and d["formatType"] == "DATA" and d["size"] >= min_size:
                return d
        self.fail("no synthetic data object")

    def object_path(self, doc):
        return "/mn/v2/object/" + path_escape(doc["id"])

    def test_delay(self):
        doc = self.a_data_object()
        self.add(match=r"^/mn/v2/object/", kind="delay", delay_ms=300, count=1)
        t0 = time.monotonic()
        r = self.get(self.object_path(doc))
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)
        self.assertEqual((r.status, len(r.body)), (200, doc["size"]))
        t0 = time.monotonic()
        self.get(self.object_path(doc))
        self.assertLess(time.monotonic() - t0, 0.3)

    def test_status_with_count_and_retry_after(self):
        f = self.add(match="query/solr/", kind="status", status=503, count=2, retry_after=7)
        self.assertEqual((f["kind"], f["status"], f["count"], f["remaining"]), ("status", 503, 2, 2))
        for _ in range(2):
            r = self.get("/cn/v2/query/solr/?q=*:*")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.header("Retry-After"), "7")
            err = ET.fromstring(r.body)
            self.assertEqual((err.tag, err.get("name"), err.get("errorCode")),
                             ("error", "ServiceFailure", "503"))
        self.assertEqual(self.get("/cn/v2/query/solr/?q=*:*").status, 200)
        listed = self.get("/_faults").json()["faults"]
        self.assertEqual([(x["id"], x["remaining"], x["applied"]) for x in listed],
                         [(f["id"], 0, 2)])

    def test_match_targets_only_matching_requests(self):
        self.add(match=r"^/mn/", kind="status", status=500)
        self.assertEqual(self.get("/mn/v2/meta/" + path_escape(self.a_data_object()["id"])).status,
                         500)
        self.assertEqual(self.get("/cn/v2/node").status, 200)
        self.assertEqual(self.get("/_stats").status, 200)      # control is never faulted

    def test_reset(self):
        doc = self.a_data_object()
        self.add(match=r"^/mn/v2/object/", kind="reset", count=1)
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            request(self.base, "GET", self.object_path(doc), timeout=10)
        self.assertEqual(self.get(self.object_path(doc)).status, 200)

    def test_truncate(self):
        doc = self.a_data_object(min_size=5000)
        self.add(match=r"^/mn/v2/object/", kind="truncate", count=1)
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=10)
        try:
            conn.request("GET", self.object_path(doc))
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertEqual(int(resp.getheader("Content-Length")), doc["size"])
            with self.assertRaises(http.client.IncompleteRead) as cm:
                resp.read()
            self.assertEqual(len(cm.exception.partial), doc["size"] // 2)
        finally:
            conn.close()
        self.add(match="^/cn/v2/meta/", kind="truncate", keep_bytes=10, count=1)
        with self.assertRaises(http.client.IncompleteRead) as cm:
            request(self.base, "GET", "/cn/v2/meta/" + path_escape(doc["id"]))
        self.assertEqual(len(cm.exception.partial), 10)

    def test_garbage(self):
        self.add(match="query/solr/", kind="garbage", count=1)
        r = self.get("/cn/v2/query/solr/?q=nosuch:field")        # even an error becomes 200
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        with self.assertRaises(ValueError):
            json.loads(r.body.decode("utf-8", "replace"))
        self.add(match="/meta/", kind="garbage", count=1)
        r = self.get("/mn/v2/meta/" + path_escape(self.a_data_object()["id"]))
        self.assertEqual(r.status, 200)
        with self.assertRaises(ET.ParseError):
            ET.fromstring(r.body)

    def test_corrupt(self):
        doc = self.a_data_object()
        good = self.get(self.object_path(doc)).body
        self.add(match=r"^/mn/v2/object/", kind="corrupt", count=1)
        bad = self.get(self.object_path(doc))
        self.assertEqual(bad.status, 200)
        self.assertEqual(len(bad.body), len(good))
        self.assertNotEqual(hashlib.md5(bad.body).digest(), hashlib.md5(good).digest())
        self.assertLessEqual(sum(1 for a, b in zip(good, bad.body) if a != b), 3)
        self.assertEqual(self.get(self.object_path(doc)).body, good)
        # ranged reads are corrupted within the range they return
        self.add(match=r"^/mn/v2/object/", kind="corrupt", count=1)
        part = self.get(self.object_path(doc), headers={"Range": "bytes=100-199"})
        self.assertEqual(part.status, 206)
        self.assertNotEqual(part.body, good[100:200])

    def test_fault_api_validation_and_clearing(self):
        for spec in ({"kind": "explode"}, {"kind": "delay", "match": "("},
                     {"kind": "status", "status": 42}, {"kind": "delay", "colour": "red"},
                     {"kind": "delay", "count": 0}, "not an object"):
            r = self.get("/_faults", method="POST", body=json.dumps(spec).encode())
            self.assertEqual(r.status, 400, spec)
            self.assertIn("error", r.json())
        r = self.get("/_faults", method="POST", body=b"{not json")
        self.assertEqual(r.status, 400)
        a = self.add(match="x", kind="delay", delay_ms=1)
        b = self.add(match="y", kind="garbage")
        self.assertEqual([f["id"] for f in self.get("/_faults").json()["faults"]], [a["id"], b["id"]])
        self.assertEqual(self.get("/_faults/%d" % a["id"], method="DELETE").json(), {"deleted": True})
        self.assertEqual([f["id"] for f in self.get("/_faults").json()["faults"]], [b["id"]])
        self.assertEqual(self.get("/_faults", method="DELETE").json(), {"cleared": 1})
        self.assertEqual(self.get("/_faults").json(), {"faults": []})

    def test_first_matching_fault_wins(self):
        self.add(match="/cn/v2/node", kind="status", status=502, count=1)
        self.add(match="/cn/", kind="status", status=504, count=1)
        self.assertEqual(self.get("/cn/v2/node").status, 502)
        self.assertEqual(self.get("/cn/v2/node").status, 504)
        self.assertEqual(self.get("/cn/v2/node").status, 200)


class StatsAndLog(NodeCase):
    synthetic = 100

    def test_stats_count_per_side_and_endpoint(self):
        self.get("/_stats", method="DELETE")
        pid = path_escape(self.corpus.index.docs[0]["id"])
        for _ in range(3):
            self.get("/cn/v2/query/solr/?q=*:*&rows=0")
        self.get("/cn/v2/meta/" + pid)
        self.get("/mn/v2/object/" + pid)
        self.get("/mn/v2/object/" + pid, method="HEAD")
        self.get("/nowhere")
        # A request is counted once its response is sent, so the last one may trail it:
        # poll (bounded). Each poll is a control request, counted too.
        want = {"cn": 4, "mn": 2, "other": 1}
        deadline = time.monotonic() + 5
        while True:
            s = self.get("/_stats").json()
            sides = {k: v for k, v in s["by_side"].items() if k != "control"}
            if sides == want or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertEqual(sides, want)
        # The DELETE that reset the counters is counted after the reset (and any polls).
        self.assertGreaterEqual(s["by_side"]["control"], 1)
        self.assertEqual(s["by_endpoint"]["cn"], {"query/solr/": 3, "meta": 1})
        self.assertEqual(s["by_endpoint"]["mn"], {"object": 2})
        self.assertEqual(s["by_method"]["HEAD"], 1)
        self.assertEqual(s["total"], 7 + s["by_side"]["control"])

    def test_request_log_lines(self):
        self.server.faults.add({"match": "rows=1$", "kind": "delay", "delay_ms": 5, "count": 1})
        before = len(self.log_lines())
        self.get("/cn/v2/query/solr/?q=id%3A%22x%22&rows=1")
        self.get("/mn/v2/object/no%2Fsuch")
        self.get("/_faults")
        lines, (q, obj, ctl) = self.logged(
            ["/cn/v2/query/solr/", "/mn/v2/object/no%2Fsuch", "/_faults"], after=before)
        self.assertTrue(q and obj and ctl, lines)
        keys = {"ts", "method", "path", "query", "side", "status", "bytes", "fault", "duration_ms"}
        for line in lines:
            self.assertTrue(keys <= set(line), line)
            self.assertRegex(line["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual((q["method"], q["path"], q["query"], q["side"], q["status"], q["fault"]),
                         ("GET", "/cn/v2/query/solr/", "q=id%3A%22x%22&rows=1", "cn", 200, "delay"))
        self.assertGreaterEqual(q["duration_ms"], 5)
        self.assertGreater(q["bytes"], 0)
        self.assertEqual((obj["path"], obj["side"], obj["status"], obj["fault"]),
                         ("/mn/v2/object/no%2Fsuch", "mn", 404, None))
        self.assertEqual((ctl["side"], ctl["path"], ctl["status"]), ("control", "/_faults", 200))

    def test_reset_is_logged_without_status(self):
        self.server.faults.add({"match": "/mn/v2/node", "kind": "reset", "count": 1})
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            request(self.base, "GET", "/mn/v2/node", timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            last = self.log_lines()[-1]
            if last["path"] == "/mn/v2/node":
                break
            time.sleep(0.02)
        self.assertEqual((last["status"], last["bytes"], last["fault"]), (0, 0, "reset"))


if __name__ == "__main__":
    unittest.main()
