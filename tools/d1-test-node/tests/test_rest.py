"""REST endpoints of both sides: meta, object (Range, HEAD), resolve, node, formats,
errors, the corpus (Blandy.76.2 defect, tricky identifiers, resource maps, synthetic)."""

import hashlib
import json
import os
import unittest
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

from d1testnode.corpus import Corpus
from d1testnode.dataone import path_escape

from .support import FIXTURES, NodeCase, corpus, fixture_bytes, needs_fixtures, request

V1 = "{http://ns.dataone.org/service/types/v1}"
V2 = "{http://ns.dataone.org/service/types/v2.0}"


def sysmeta_fields(xml_bytes):
    root = ET.fromstring(xml_bytes)
    out = {c.tag.rsplit("}", 1)[-1]: (c.text or "") for c in root}
    ck = [c for c in root if c.tag.rsplit("}", 1)[-1] == "checksum"][0]
    out["algorithm"] = ck.get("algorithm")
    return out


def digest(algorithm, data):
    return hashlib.new({"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256"}[algorithm],
                       data).hexdigest()


@needs_fixtures
class FixtureObjects(NodeCase):
    synthetic = 0

    def test_knb_sysmeta_is_served_unchanged_on_both_sides(self):
        for side in ("cn", "mn"):
            r = self.get("/%s/v2/meta/Blandy.77.1" % side)
            self.assertEqual(r.status, 200)
            self.assertTrue(r.header("Content-Type").startswith("text/xml"))
            self.assertEqual(r.body, fixture_bytes("knb", "sysmeta", "Blandy.77.1"))

    def test_blandy_size_and_checksum_mismatch_is_preserved(self):
        data = self.get("/mn/v2/object/Blandy.76.2")
        self.assertEqual(data.status, 200)
        self.assertEqual(len(data.body), 7782)
        self.assertEqual(data.body, fixture_bytes("knb", "data", "Blandy.76.2"))
        sm = sysmeta_fields(self.get("/mn/v2/meta/Blandy.76.2").body)
        self.assertEqual(sm["size"], "7791")
        self.assertEqual(sm["algorithm"], "MD5")
        self.assertNotEqual(sm["checksum"], hashlib.md5(data.body).hexdigest())
        self.assertEqual(data.header("DataONE-Checksum"), "MD5," + sm["checksum"])
        mismatches = {m["pid"] for m in self.get("/_corpus").json()["size_mismatches"]}
        self.assertIn("Blandy.76.2", mismatches)

    def test_good_knb_objects_match_their_sysmeta(self):
        for pid in ("Blandy.77.1", "cbfs.38.9", "resourceMap_Blandy.76.2"):
            body = self.get("/mn/v2/object/" + pid).body
            sm = sysmeta_fields(self.get("/mn/v2/meta/" + pid).body)
            self.assertEqual(len(body), int(sm["size"]), pid)
            self.assertEqual(hashlib.md5(body).hexdigest(), sm["checksum"], pid)

    def test_unknown_pid_errors(self):
        r = self.get("/cn/v2/meta/no.such.pid")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.body, b'<?xml version="1.0" encoding="UTF-8"?><error detailCode="1800" '
                                 b'errorCode="404" name="NotFound"><description>No system metadata '
                                 b'could be found for given PID: no.such.pid</description></error>')
        for path in ("/mn/v2/object/no.such.pid", "/cn/v2/resolve/no.such.pid",
                     "/mn/v2/meta/no.such.pid"):
            r = self.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(ET.fromstring(r.body).get("name"), "NotFound")

    def test_other_errors(self):
        r = self.get("/cn/v2/nosuch")
        self.assertEqual((r.status, ET.fromstring(r.body).get("name")), (404, "NotFound"))
        r = self.get("/elsewhere")
        self.assertEqual(r.status, 404)
        r = self.get("/mn/v2/object/x", method="PUT", body=b"x")
        self.assertEqual((r.status, ET.fromstring(r.body).get("name")), (501, "NotImplemented"))
        r = self.get("/mn/v2/meta/bad%zzpid")
        self.assertEqual((r.status, ET.fromstring(r.body).get("name")), (400, "InvalidRequest"))
        r = self.get("/mn/v2/meta/bad%FFpid")
        self.assertEqual(r.status, 400)

    def test_tricky_identifiers_through_rest_paths(self):
        entries = json.loads(fixture_bytes("cn", "tricky_identifiers.json").decode("utf-8"))
        for e in entries:
            pid = e["unescaped"]
            for path in ("/mn/v2/meta/" + e["path_escaped"], "/cn/v2/meta/" + path_escape(pid)):
                r = self.get(path)
                self.assertEqual(r.status, 200, path)
                sm = sysmeta_fields(r.body)
                self.assertEqual(sm["identifier"], pid)
                self.assertNotIn("fileName", sm)
            obj = self.get("/mn/v2/object/" + e["path_escaped"])
            self.assertEqual(obj.status, 200, pid)
            self.assertTrue(obj.body.startswith(("tricky identifier %s\n" % pid).encode("utf-8")))
            self.assertEqual(len(obj.body), int(sm["size"]))
            self.assertEqual(sm["algorithm"], "SHA-1")
            self.assertEqual(hashlib.sha1(obj.body).hexdigest(), sm["checksum"])
            self.assertEqual(obj.header("Content-Type"), "text/plain")
            self.assertIsNone(obj.header("Content-Disposition"))
        # Decoded exactly once: "%2F" is the identifier "/", "%252F" the identifier "%2F".
        self.assertEqual(sysmeta_fields(self.get("/mn/v2/meta/%252F").body)["identifier"], "%2F")
        self.assertEqual(sysmeta_fields(self.get("/mn/v2/meta/%2F").body)["identifier"], "/")

    def test_range_requests(self):
        full = fixture_bytes("knb", "data", "Blandy.77.1")
        size = len(full)
        for rng, start, end in (("bytes=0-9", 0, 9), ("bytes=100-", 100, size - 1),
                                ("bytes=-50", size - 50, size - 1),
                                ("bytes=40000-999999", 40000, size - 1)):
            r = self.get("/mn/v2/object/Blandy.77.1", headers={"Range": rng})
            self.assertEqual(r.status, 206, rng)
            self.assertEqual(r.body, full[start:end + 1])
            self.assertEqual(r.header("Content-Range"), "bytes %d-%d/%d" % (start, end, size))
            self.assertEqual(int(r.header("Content-Length")), end - start + 1)
        r = self.get("/mn/v2/object/Blandy.77.1", headers={"Range": "bytes=%d-" % size})
        self.assertEqual(r.status, 416)
        self.assertEqual(r.header("Content-Range"), "bytes */%d" % size)
        r = self.get("/mn/v2/object/Blandy.77.1", headers={"Range": "items=1-2"})
        self.assertEqual((r.status, r.body), (200, full))

    def test_head(self):
        r = self.get("/mn/v2/object/Blandy.77.1", method="HEAD")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(int(r.header("Content-Length")), 41320)
        self.assertEqual(r.header("Content-Type"), "text/csv")
        self.assertEqual(r.header("DataONE-ObjectFormat"), "text/csv")
        self.assertEqual(r.header("Accept-Ranges"), "bytes")
        r = self.get("/mn/v2/object/Blandy.77.1", method="HEAD", headers={"Range": "bytes=0-99"})
        self.assertEqual((r.status, r.header("Content-Length")), (206, "100"))

    def test_cn_serves_no_data_bytes(self):
        r = self.get("/cn/v2/object/Blandy.77.1")
        self.assertEqual(r.status, 404)
        err = ET.fromstring(r.body)
        self.assertEqual(err.get("name"), "NotFound")
        self.assertIn("resolve", err.findtext("description"))
        self.assertEqual(self.get("/cn/v2/object/Blandy.77.1", method="HEAD").status, 404)
        meta = self.get("/cn/v2/object/Blandy.76.2")          # METADATA: served like a real CN
        self.assertEqual(meta.body, fixture_bytes("knb", "data", "Blandy.76.2"))
        rmap = self.get("/cn/v2/object/resourceMap_Blandy.76.2")
        self.assertEqual(rmap.status, 200)
        self.assertEqual(rmap.header("Content-Type"), "application/rdf+xml")

    def test_resolve(self):
        pid = "10.1000/182"
        r = self.get("/cn/v2/resolve/" + path_escape(pid))
        self.assertEqual(r.status, 303)
        url = self.base + "/mn/v2/object/10.1000%2F182"
        self.assertEqual(r.header("Location"), url)
        root = ET.fromstring(r.body)
        self.assertEqual(root.tag, V1 + "objectLocationList")
        self.assertEqual(root.findtext("identifier"), pid)
        locs = root.findall("objectLocation")
        self.assertEqual(locs[0].findtext("nodeIdentifier"), "urn:node:D1TESTMN")
        self.assertEqual(locs[0].findtext("baseURL"), self.base + "/mn")
        self.assertEqual(locs[0].findtext("url"), url)
        self.assertIn("v2", [v.text for v in locs[0].findall("version")])
        followed = request(self.base, "GET", urlsplit(url).path)
        self.assertEqual(followed.status, 200)
        self.assertTrue(followed.body.startswith(b"tricky identifier 10.1000/182\n"))

    def test_node_list(self):
        r = self.get("/cn/v2/node")
        self.assertEqual(r.status, 200)
        root = ET.fromstring(r.body)
        nodes = root.findall("node")
        fixture_nodes = ET.fromstring(fixture_bytes("cn", "node_list_v2.xml")).findall("node")
        self.assertEqual(len(nodes), len(fixture_nodes) + 2)
        self.assertEqual([(n.findtext("identifier"), n.get("type"), n.findtext("baseURL"))
                          for n in nodes[:2]],
                         [("urn:node:D1TESTCN", "cn", self.base + "/cn"),
                          ("urn:node:D1TESTMN", "mn", self.base + "/mn")])
        self.assertEqual([n.findtext("identifier") for n in nodes[2:]],
                         [n.findtext("identifier") for n in fixture_nodes])
        own = ET.fromstring(self.get("/mn/v2/node").body)
        self.assertEqual(own.tag, V2 + "node")
        self.assertEqual(own.findtext("identifier"), "urn:node:D1TESTMN")
        self.assertEqual(own.findtext("baseURL"), self.base + "/mn")
        self.assertEqual(self.get("/mn/v2").body, self.get("/mn/v2/node").body)

    def test_formats(self):
        r = self.get("/cn/v2/formats")
        self.assertEqual(r.body, fixture_bytes("cn", "object_format_list_v2.xml"))
        one = ET.fromstring(self.get("/cn/v2/formats/" + path_escape("text/csv")).body)
        self.assertEqual((one.findtext("formatId"), one.findtext("formatType")), ("text/csv", "DATA"))
        self.assertEqual(self.get("/cn/v2/formats/nosuch").status, 404)

    def test_checksum_endpoint(self):
        root = ET.fromstring(self.get("/mn/v2/checksum/Blandy.77.1").body)
        self.assertEqual((root.get("algorithm"), root.text),
                         ("MD5", "089cdc089281a842ec69486d77af217f"))
        root = ET.fromstring(self.get("/mn/v2/checksum/Blandy.77.1?checksumAlgorithm=SHA-1").body)
        self.assertEqual(root.text, hashlib.sha1(fixture_bytes("knb", "data", "Blandy.77.1"))
                         .hexdigest())

    def test_resource_maps_served_as_is_with_reports(self):
        summary = self.get("/_corpus").json()
        reports = {r["file"]: r for r in summary["resource_maps"]}
        names = sorted(n for n in os.listdir(os.path.join(FIXTURES, "resource_maps"))
                       if n.endswith(".xml"))
        for name in names:
            rep = reports["resource_maps/" + name]
            r = self.get("/mn/v2/object/" + path_escape(rep["pid"]))
            self.assertEqual(r.body, fixture_bytes("resource_maps", name), name)
            doc = self.solr({"q": 'id:"%s"' % rep["pid"].replace("\\", "\\\\").replace('"', '\\"'),
                             "fl": "formatType,formatId"})["response"]["docs"][0]
            self.assertEqual(doc, {"formatId": "http://www.openarchives.org/ore/terms",
                                   "formatType": "RESOURCE"})
        for bad in ("missingIdentifier.xml", "miscodedIdentifier.xml", "nonCnResolveURIs.xml",
                    "oreTerms.xml"):
            rep = reports["resource_maps/" + bad]
            self.assertEqual(rep["status"], "relations skipped", bad)
            self.assertTrue(rep["reason"])
        self.assertEqual(reports["knb/data/resourceMap_Blandy.76.2"]["status"], "relations applied")
        self.assertEqual(summary["by_source"]["knb"], 16)
        self.assertEqual(summary["by_source"]["tricky"], 32)
        self.assertEqual(summary["by_source"]["resource_maps"], len(names))
        self.assertEqual([s["name"] for s in summary["skipped"]],
                         ["knb/sysmeta/BAYXXX_015ADCP015R00_20051215.50.9"])

    def test_bytes_only_eml_has_generated_sysmeta(self):
        sm = sysmeta_fields(self.get("/mn/v2/meta/knb-lter-nin.19.1").body)
        data = self.get("/mn/v2/object/knb-lter-nin.19.1").body
        self.assertEqual(data, fixture_bytes("knb", "eml_knb-lter-nin.19.1.xml"))
        self.assertEqual((int(sm["size"]), sm["checksum"]),
                         (len(data), hashlib.md5(data).hexdigest()))
        self.assertEqual(sm["formatId"], "eml://ecoinformatics.org/eml-2.1.1")


class SyntheticObjects(NodeCase):
    synthetic = 600
    seed = 7

    def docs(self):
        return [d for d in self.corpus.index.docs if d["_src"] == "synthetic"]

    def test_bytes_match_size_and_checksum(self):
        docs = self.docs()
        self.assertEqual(len(docs), 600)
        for d in docs[:: max(1, len(docs) // 60)]:
            pid = d["id"]
            obj = self.get("/mn/v2/object/" + path_escape(pid))
            self.assertEqual(obj.status, 200, pid)
            sm = sysmeta_fields(self.get("/mn/v2/meta/" + path_escape(pid)).body)
            self.assertEqual(len(obj.body), int(sm["size"]), pid)
            self.assertEqual(digest(sm["algorithm"], obj.body), sm["checksum"], pid)
            solr = self.solr({"q": "id:" + json.dumps(pid), "fl": "checksum,size,fileName"})
            doc = solr["response"]["docs"][0]
            self.assertEqual((doc["checksum"], doc["size"]), (sm["checksum"], int(sm["size"])))
            self.assertEqual(doc.get("fileName"), sm.get("fileName"))
            self.assertEqual(obj.header("Content-Length"), sm["size"])

    def test_realistic_mix(self):
        docs = self.docs()
        fmts = [d["formatId"] for d in docs]
        self.assertEqual(max(set(fmts), key=fmts.count), "text/csv")
        self.assertTrue(any(f.startswith("eml://") for f in fmts))
        with_name = sum(1 for d in docs if "fileName" in d)
        self.assertTrue(0.3 * len(docs) < with_name < 0.8 * len(docs))
        sizes = [d["size"] for d in docs if d["formatType"] == "DATA"]
        self.assertTrue(min(sizes) >= 100 and max(sizes) <= 2000000)
        self.assertTrue(any(d["id"].startswith("urn:uuid:") for d in docs))
        self.assertTrue(any(d["id"].startswith("doi:10.5063/F1") for d in docs))
        maps = [d for d in docs if d["formatType"] == "RESOURCE"]
        self.assertEqual(len(maps), 12)                       # 2 %
        self.assertTrue(all(isinstance(d.get("keywords", []), list) for d in docs))

    def test_packages_are_consistent(self):
        by_id = {d["id"]: d for d in self.docs()}
        maps = [d for d in by_id.values() if d["formatType"] == "RESOURCE"]
        ns = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
              "ore": "http://www.openarchives.org/ore/terms/",
              "cito": "http://purl.org/spar/cito/", "dcterms": "http://purl.org/dc/terms/"}
        for m in maps:
            body = self.get("/cn/v2/object/" + path_escape(m["id"])).body   # CN serves RESOURCE
            root = ET.fromstring(body)
            ids = [e.text for e in root.iter("{%s}identifier" % ns["dcterms"])]
            self.assertEqual(ids[0], m["id"])
            meta = by_id[ids[1]]
            self.assertEqual(meta["resourceMap"], [m["id"]])
            self.assertEqual(sorted(meta["documents"]), sorted(ids[2:]))
            for pid in ids[2:]:
                self.assertEqual(by_id[pid]["isDocumentedBy"], [meta["id"]])
                self.assertEqual(by_id[pid]["resourceMap"], [m["id"]])
            aggregated = [e.get("{%s}resource" % ns["rdf"])
                          for e in root.iter("{%s}aggregates" % ns["ore"])]
            self.assertEqual(len(aggregated), len(ids) - 1)

    def test_deterministic_from_seed(self):
        same = Corpus(None, 600, 7, warn=lambda m: None)
        other = Corpus(None, 600, 8, warn=lambda m: None)
        mine = corpus(self.fixtures, 600, 7)
        a = [d["id"] for d in same.index.docs]
        self.assertEqual(a, [d["id"] for d in mine.index.docs if d["_src"] == "synthetic"])
        self.assertNotEqual(a, [d["id"] for d in other.index.docs])
        d1 = same.index.docs[5]
        d2 = mine.doc(d1["id"])
        self.assertEqual(same.payload(d1), mine.payload(d2))
        self.assertEqual(same.sysmeta(d1), mine.sysmeta(d2))


if __name__ == "__main__":
    unittest.main()
