"""The d1-test-node command: startup line, port file, log, startup faults, signals,
startup without fixtures; and the cost of a large synthetic corpus."""

import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

from d1testnode.corpus import Corpus

from .support import request

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "d1-test-node")
LINE = re.compile(r"^d1-test-node listening on (http://127\.0\.0\.1:(\d+))\n$")


class Running:
    """A d1-test-node child process, stopped (and reaped) on exit."""

    def __init__(self, args, timeout=60):
        env = dict(os.environ)
        env.pop("D1_FIXTURES", None)
        self.proc = subprocess.Popen([sys.executable, SCRIPT] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + timeout
        self.line = ""
        while time.monotonic() < deadline and not self.line:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                self.line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        m = LINE.match(self.line)
        if not m:
            self.stop()
            raise AssertionError("no startup line: %r; stderr: %s" % (self.line, self.stderr))
        self.base, self.port = m.group(1), int(m.group(2))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, self.stderr = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.stderr = self.proc.communicate()
            raise AssertionError("d1-test-node did not exit on signal %d" % sig)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop(signal.SIGKILL)


class Command(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="d1tn-cli-")
        self.addCleanup(self.tmp.cleanup)

    def test_starts_without_fixtures_and_exits_on_sigterm(self):
        port_file = os.path.join(self.tmp.name, "port")
        log = os.path.join(self.tmp.name, "requests.log")
        with Running(["--fixtures", os.path.join(self.tmp.name, "absent"), "--port", "0",
                      "--port-file", port_file, "--log", log]) as node:
            with open(port_file) as f:
                self.assertEqual(int(f.read()), node.port)
            body = request(node.base, "GET", "/cn/v2/query/solr/?q=*:*&rows=0").json()
            self.assertEqual(body["response"]["numFound"], 1000)   # default without fixtures
            nodes = ET.fromstring(request(node.base, "GET", "/cn/v2/node").body).findall("node")
            self.assertEqual([n.findtext("identifier") for n in nodes],
                             ["urn:node:D1TESTCN", "urn:node:D1TESTMN"])
            formats = ET.fromstring(request(node.base, "GET", "/cn/v2/formats").body)
            self.assertIn("text/csv", [f.findtext("formatId") for f in formats.iter("objectFormat")])
            desc = ET.fromstring(request(node.base, "GET", "/cn/v2/query/solr").body)
            self.assertIn("keywords", [f.findtext("name") for f in desc.iter("queryField")])
            facets = request(node.base, "GET", "/cn/v2/query/solr/?q=*:*&rows=0&facet=true"
                             "&facet.field=formatId").json()["facet_counts"]["facet_fields"]
            self.assertEqual(sum(facets["formatId"][1::2]), 1000)
            self.assertEqual(node.stop(), 0)
        self.assertIn("not found", node.stderr)
        with open(log) as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual(len(lines), 5)
        self.assertEqual({x["side"] for x in lines}, {"cn"})

    def test_startup_fault_and_sigint(self):
        fault = json.dumps({"match": "^/cn/v2/node$", "kind": "status", "status": 500, "count": 1})
        with Running(["--no-fixtures", "--synthetic", "50", "--seed", "3", "--fault", fault]) as node:
            self.assertEqual(request(node.base, "GET", "/cn/v2/node").status, 500)
            self.assertEqual(request(node.base, "GET", "/cn/v2/node").status, 200)
            body = request(node.base, "GET", "/cn/v2/query/solr/?q=*:*&rows=0").json()
            self.assertEqual(body["response"]["numFound"], 50)
            self.assertEqual(node.stop(signal.SIGINT), 0)

    def test_rejects_bad_arguments(self):
        for args in (["--host", "0.0.0.0"], ["--host", "192.0.2.1"], ["--fault", "{nope"],
                     ["--fault", '{"kind": "explode"}'], ["--synthetic", "-1"]):
            p = subprocess.run([sys.executable, SCRIPT, "--no-fixtures"] + args,
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("d1-test-node", p.stderr)


class Scale(unittest.TestCase):
    """CPU time, not wall time: the build machine is shared."""

    def test_large_corpus_builds_and_facets_fast(self):
        t0 = time.process_time()
        c = Corpus(None, 20000, 1, warn=lambda m: None)
        build = time.process_time() - t0
        self.assertEqual(len(c.index.docs), 20000)
        self.assertLess(build, 4.0)          # 100000 records take ~2.5 s of CPU
        t0 = time.process_time()
        status, body = c.select.run([("q", "formatType:DATA"), ("fq", "size:[1000 TO *]"),
                                     ("facet", "true"), ("facet.field", "formatId"),
                                     ("facet.field", "keywords"), ("facet.field", "datasource"),
                                     ("rows", "20")])
        self.assertEqual(status, 200)
        self.assertLess(time.process_time() - t0, 0.5)


if __name__ == "__main__":
    unittest.main()
