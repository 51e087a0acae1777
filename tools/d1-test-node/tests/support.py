"""Shared helpers of the d1-test-node tests: an in-process node on port 0 and a
bounded-time HTTP client (http.client, so redirects and raw bodies stay visible).
"""

import http.client
import json
import os
import shutil
import tempfile
import time
import unittest
from urllib.parse import urlencode, urlsplit

from d1testnode.corpus import Corpus, default_fixtures_dir
from d1testnode.server import NodeServer

FIXTURES = default_fixtures_dir()
HAVE_FIXTURES = os.path.isdir(FIXTURES)
TIMEOUT = 20.0
needs_fixtures = unittest.skipUnless(HAVE_FIXTURES, "DataONE fixtures not present at " + FIXTURES)

_CORPORA = {}


def corpus(fixtures=FIXTURES, synthetic=1500, seed=1):
    """One corpus per parameter set for the whole test run (they are immutable)."""
    key = (fixtures, synthetic, seed)
    if key not in _CORPORA:
        _CORPORA[key] = Corpus(fixtures, synthetic, seed, warn=lambda msg: None)
    return _CORPORA[key]


def fixture_bytes(*parts):
    with open(os.path.join(FIXTURES, *parts), "rb") as f:
        return f.read()


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def text(self):
        return self.body.decode("utf-8")


def request(base, method, path, body=None, headers=None, timeout=TIMEOUT):
    """One request on a fresh connection; raises what http.client raises."""
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, resp.getheaders(), data)
    finally:
        conn.close()


class NodeCase(unittest.TestCase):
    """A node serving a shared corpus, started once per test class."""

    synthetic = 1500
    seed = 1
    fixtures = FIXTURES

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="d1tn-test-")
        cls.log_path = os.path.join(cls.tmp, "requests.log")
        cls.corpus = corpus(cls.fixtures, cls.synthetic, cls.seed)
        cls.server = NodeServer(cls.corpus, "127.0.0.1", 0, cls.log_path, cls.seed).start()
        cls.base = cls.server.base_url

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.server.faults.clear()

    def get(self, path, headers=None, method="GET", body=None):
        return request(self.base, method, path, body, headers)

    def solr(self, params, expect=200):
        """GET /cn/v2/query/solr/ with params (list of pairs or dict) -> decoded JSON."""
        r = self.get("/cn/v2/query/solr/?" + urlencode(params))
        self.assertEqual(r.status, expect, r.body[:500])
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        return r.json()

    def log_lines(self):
        with open(self.log_path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    def logged(self, paths, after=0, timeout=5.0):
        """The log records of `paths` (one each, in that order) among the lines after the
        first `after`. The server logs a request once its response is sent, so a client
        can see the response first: wait (bounded) until every one is there."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log_lines()[after:]
            found = {}
            for line in lines:
                if line["path"] in paths and line["path"] not in found:
                    found[line["path"]] = line
            if len(found) == len(paths) or time.monotonic() > deadline:
                return lines, [found.get(p) for p in paths]
            time.sleep(0.02)
