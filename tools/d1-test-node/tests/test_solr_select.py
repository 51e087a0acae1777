"""The CN Solr endpoints over HTTP: response shape, errors, facets, sorting, cursors."""

import json
import unittest
from collections import Counter
from urllib.parse import urlencode

from d1testnode.solrquery import escape_query_chars

from .support import NodeCase, fixture_bytes, needs_fixtures

ALL = 10 ** 6


def without_qtime(body):
    body = json.loads(json.dumps(body))
    body["responseHeader"].pop("QTime", None)
    return body


class SelectBasics(NodeCase):
    def all_docs(self, q="*:*", fl="id", **extra):
        params = {"q": q, "rows": ALL, "fl": fl}
        params.update(extra)
        return self.solr(params)["response"]["docs"]

    def test_shape_like_solr(self):
        body = self.solr({"q": "*:*", "rows": 3, "wt": "json"})
        self.assertEqual(list(body), ["responseHeader", "response"])
        self.assertEqual(body["responseHeader"]["status"], 0)
        self.assertIsInstance(body["responseHeader"]["QTime"], int)
        self.assertEqual(body["responseHeader"]["params"], {"q": "*:*", "rows": "3", "wt": "json"})
        self.assertEqual(sorted(body["response"]), ["docs", "numFound", "start"])
        self.assertEqual(body["response"]["numFound"], len(self.corpus.index.docs))
        self.assertEqual(len(body["response"]["docs"]), 3)

    @needs_fixtures
    def test_no_results_like_the_real_sample(self):
        sample = json.loads(fixture_bytes("solr_samples", "search_no_results.json"))
        params = sample["responseHeader"]["params"]
        body = self.solr(params)
        self.assertEqual(body["response"], sample["response"])
        self.assertEqual(body["responseHeader"]["params"], params)

    @needs_fixtures
    def test_real_sample_requests_replay(self):
        sample = json.loads(fixture_bytes("solr_samples", "search_expected.json"))
        params = sample["responseHeader"]["params"]
        body = self.solr(params)
        self.assertEqual(body["responseHeader"]["params"], params)
        for doc in body["response"]["docs"]:
            self.assertLessEqual(set(doc), {"id", "checksum", "dateUploaded"})
            self.assertTrue(doc["id"].startswith("a"))
            self.assertTrue("2017-01-01" < doc["dateUploaded"] < "2017-01-10")
        # This sample has a raw line break inside a string: not strict JSON.
        sample = json.loads(fixture_bytes("solr_samples", "field_alpha_histogram.json"),
                            strict=False)
        params = sample["responseHeader"]["params"]
        pairs = [(k, x) for k, v in params.items() for x in (v if isinstance(v, list) else [v])]
        body = self.solr(pairs)
        fq_counts = body["facet_counts"]["facet_queries"]
        self.assertEqual(set(fq_counts), set(params["facet.query"]))
        for fq, count in fq_counts.items():
            want = self.solr([("q", params["q"]), ("fq", params["fq"]), ("fq", fq),
                              ("rows", "0")])["response"]["numFound"]
            self.assertEqual(count, want, fq)
        self.assertEqual(len(body["facet_counts"]["facet_fields"]["formatId"]), 0
                         if body["response"]["numFound"] == 0 else 2)

    @needs_fixtures
    def test_field_types_in_documents(self):
        doc = self.solr({"q": "id:Blandy.76.2"})["response"]["docs"][0]
        self.assertEqual(doc["id"], "Blandy.76.2")
        self.assertEqual(doc["size"], 7791)                      # the sysmeta's (wrong) size
        self.assertEqual(doc["dateUploaded"], "2012-12-05T00:00:00Z")
        self.assertEqual(doc["dateModified"], "2013-11-14T22:42:22.733Z")
        self.assertEqual(doc["keywords"], ["acorn", "oak", "masting", "synchrony", "red oak"])
        self.assertIs(doc["isPublic"], True)
        self.assertEqual(doc["formatType"], "METADATA")
        self.assertEqual(doc["documents"], ["Blandy.77.1"])
        self.assertEqual(doc["resourceMap"], ["resourceMap_Blandy.76.2"])
        self.assertNotIn("fileName", doc)
        self.assertNotIn("keywordsText", doc)                    # not returnable
        data = self.solr({"q": "id:Blandy.77.1"})["response"]["docs"][0]
        self.assertEqual(data["isDocumentedBy"], ["Blandy.76.2"])

    def test_wt_other_than_json_is_rejected(self):
        body = self.solr({"q": "*:*", "wt": "xml"}, expect=400)
        self.assertEqual(body["error"]["code"], 400)

    def test_exact_syntax_error_body(self):
        body = self.solr({"q": "title:(foo", "rows": "1"}, expect=400)
        self.assertEqual(without_qtime(body), {
            "responseHeader": {"status": 400, "params": {"q": "title:(foo", "rows": "1"}},
            "error": {
                "metadata": ["error-class", "org.apache.solr.common.SolrException",
                             "root-error-class", "org.apache.solr.parser.ParseException"],
                "msg": "org.apache.solr.search.SyntaxError: Cannot parse 'title:(foo': "
                       "Encountered \"<EOF>\" at line 1, column 10.\nWas expecting one of:\n"
                       "    <AND> ...\n    <OR> ...\n    <NOT> ...\n    \"+\" ...\n"
                       "    \"-\" ...\n    <BAREOPER> ...\n    \"(\" ...\n    \")\" ...\n"
                       "    \"*\" ...\n    \"^\" ...\n    <QUOTED> ...\n    <TERM> ...\n"
                       "    <FUZZY_SLOP> ...\n    <PREFIXTERM> ...\n    <WILDTERM> ...\n"
                       "    <REGEXPTERM> ...\n    \"[\" ...\n    \"{\" ...\n    <LPARAMS> ...\n"
                       "    \"filter(\" ...\n    <NUMBER> ...\n    ",
                "code": 400}})

    def test_exact_undefined_field_body_also_in_fq(self):
        body = self.solr([("q", "*:*"), ("fq", "nosuch:1")], expect=400)
        self.assertEqual(without_qtime(body), {
            "responseHeader": {"status": 400, "params": {"q": "*:*", "fq": "nosuch:1"}},
            "error": {"metadata": ["error-class", "org.apache.solr.common.SolrException",
                                   "root-error-class", "org.apache.solr.common.SolrException"],
                      "msg": "undefined field nosuch", "code": 400}})

    def test_more_invalid_queries_are_400(self):
        for q in ('id:"abc', "id:a:b", "(id:a", "id:a)", "id:/x", "AND", "id:a AND", "id:",
                  "+", "id:[a TO", "size:abc", "title:x^"):
            body = self.solr({"q": q}, expect=400)
            self.assertEqual(body["error"]["code"], 400, q)

    def test_missing_q_matches_nothing(self):
        self.assertEqual(self.solr({"rows": 1})["response"]["numFound"], 0)

    def test_repeated_params_echo_as_arrays(self):
        body = self.solr([("q", "*:*"), ("fq", "isPublic:true"), ("fq", "size:[0 TO *]"),
                          ("rows", "0")])
        self.assertEqual(body["responseHeader"]["params"]["fq"], ["isPublic:true", "size:[0 TO *]"])

    def test_post_form_body(self):
        r = self.get("/cn/v2/query/solr/", method="POST",
                     body=urlencode({"q": "formatType:RESOURCE", "rows": "0"}),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200)
        want = sum(1 for d in self.corpus.index.docs if d.get("formatType") == "RESOURCE")
        self.assertEqual(r.json()["response"]["numFound"], want)

    def test_fl_variants(self):
        doc = self.solr({"q": "*:*", "rows": 1, "fl": "id,size"})["response"]["docs"][0]
        self.assertEqual(sorted(doc), ["id", "size"])
        doc = self.solr({"q": "*:*", "rows": 1, "fl": "id size score"})["response"]["docs"][0]
        self.assertEqual(sorted(doc), ["id", "score", "size"])
        doc = self.solr({"q": "*:*", "rows": 1, "fl": "date*"})["response"]["docs"][0]
        self.assertEqual(sorted(doc), ["dateModified", "dateUploaded"])
        doc = self.solr({"q": "*:*", "rows": 1, "fl": "pid:id,nosuch"})["response"]["docs"][0]
        self.assertEqual(sorted(doc), ["pid"])

    def test_string_fields_exact_text_fields_case_insensitive(self):
        def n(q):
            return self.solr({"q": q, "rows": 0})["response"]["numFound"]
        kw = Counter(k for d in self.corpus.index.docs for k in d.get("keywords", []))
        word = "temperature"
        self.assertEqual(n("keywords:" + word), kw[word])
        self.assertEqual(n("keywords:TEMPERATURE"), 0)
        self.assertEqual(n("keywordsText:TEMPERATURE"), n("keywordsText:temperature"))
        self.assertGreaterEqual(n("keywordsText:temperature"), kw[word])
        titles = [d for d in self.corpus.index.docs if "title" in d]
        want = sum(1 for d in titles if "temperature" in d["title"].lower().replace(",", " ")
                   .replace(":", " ").replace("(", " ").split())
        self.assertEqual(n("title:Temperature"), want)

    @needs_fixtures
    def test_text_phrase_and_default_field(self):
        def ids(q):
            return [d["id"] for d in self.solr({"q": q, "fl": "id", "rows": 50})["response"]["docs"]]
        self.assertIn("Blandy.76.2", ids('title:"red oak acorn"'))
        self.assertNotIn("Blandy.76.2", ids('title:"oak red acorn"'))
        self.assertIn("Blandy.76.2", ids("ACORN"))            # default field: text

    def test_ranges_against_brute_force(self):
        docs = self.all_docs(fl="id,size,dateUploaded")
        got = {d["id"] for d in self.all_docs("size:[1000 TO 5000}")}
        self.assertEqual(got, {d["id"] for d in docs if 1000 <= d["size"] < 5000})
        got = {d["id"] for d in self.all_docs(
            "dateUploaded:[2015-01-01T00:00:00Z TO 2016-01-01T00:00:00Z}")}
        self.assertEqual(got, {d["id"] for d in docs if "2015" <= d["dateUploaded"][:4] < "2016"})
        self.assertEqual(len(self.all_docs("dateUploaded:[* TO NOW]")), len(docs))

    def test_wildcards_existence_and_negation(self):
        docs = self.all_docs(fl="id,fileName,formatType")
        ids = [d["id"] for d in docs]
        self.assertEqual({d["id"] for d in self.all_docs("id:urn\\:uuid\\:a*")},
                         {i for i in ids if i.startswith("urn:uuid:a")})
        self.assertEqual({d["id"] for d in self.all_docs("id:doi\\:10.5063/F1?B*")},
                         {i for i in ids if i.startswith("doi:10.5063/F1") and len(i) > 15
                          and i[15] == "B"})
        self.assertEqual(len(self.all_docs("fileName:*")), sum(1 for d in docs if "fileName" in d))
        not_data = len(docs) - sum(1 for d in docs if d.get("formatType") == "DATA")
        self.assertEqual(len(self.all_docs("-formatType:DATA")), not_data)
        self.assertEqual(len(self.all_docs("*:* NOT formatType:DATA")), not_data)
        self.assertEqual(len(self.all_docs("(-formatType:DATA)")), not_data)
        self.assertEqual(len(self.all_docs("formatType:DATA AND -fileName:*")),
                         sum(1 for d in docs if d.get("formatType") == "DATA" and "fileName" not in d))

    def test_checksum_is_filled_for_synthetic_records(self):
        docs = self.solr({"q": "*:*", "fl": "id,checksum,checksumAlgorithm", "rows": 40,
                          "start": len(self.corpus.index.docs) - 40})["response"]["docs"]
        for d in docs:
            self.assertIn(d["checksumAlgorithm"], ("MD5", "SHA-1", "SHA-256"))
            self.assertRegex(d["checksum"], "^[0-9a-f]{32,64}$")


class Facets(NodeCase):
    def brute(self, q, field):
        docs = self.solr({"q": q, "rows": ALL, "fl": "id," + field})["response"]["docs"]
        c = Counter()
        for d in docs:
            v = d.get(field)
            for x in (v if isinstance(v, list) else [v] if v is not None else []):
                c[x] += 1
        return c

    def facet(self, q, field, **extra):
        params = [("q", q), ("rows", "0"), ("facet", "true"), ("facet.field", field)]
        params += list(extra.items())
        body = self.solr(params)
        self.assertEqual(sorted(body["facet_counts"]), ["facet_fields", "facet_heatmaps",
                                                        "facet_intervals", "facet_queries",
                                                        "facet_ranges"])
        flat = body["facet_counts"]["facet_fields"][field]
        return list(zip(flat[0::2], flat[1::2]))

    def test_counts_equal_brute_force(self):
        for q in ("*:*", "formatType:DATA", "keywords:temperature OR size:[* TO 2000]"):
            for field in ("formatId", "keywords", "datasource", "replicaMN"):
                pairs = self.facet(q, field, **{"facet.limit": "-1", "facet.mincount": "1",
                                                "facet.sort": "count"})
                self.assertEqual(dict(pairs), dict(self.brute(q, field)), (q, field))
                counts = [c for _, c in pairs]
                self.assertEqual(counts, sorted(counts, reverse=True))
        # Solr's default order is by index when facet.limit <= 0.
        pairs = self.facet("*:*", "formatId", **{"facet.limit": "-1"})
        self.assertEqual(pairs, sorted(pairs))

    def test_limit_offset_sort_prefix_mincount(self):
        full = self.facet("*:*", "formatId", **{"facet.limit": "-1", "facet.mincount": "1",
                                                "facet.sort": "count"})
        self.assertEqual(self.facet("*:*", "formatId", **{"facet.limit": "3"}), full[:3])
        self.assertEqual(self.facet("*:*", "formatId", **{"facet.limit": "3",
                                                          "facet.offset": "2"}), full[2:5])
        by_index = self.facet("*:*", "formatId", **{"facet.sort": "index", "facet.limit": "-1",
                                                    "facet.mincount": "1"})
        self.assertEqual(by_index, sorted(full))
        pre = self.facet("*:*", "formatId", **{"facet.prefix": "image/", "facet.limit": "-1"})
        self.assertEqual(dict(pre), {k: c for k, c in full if k.startswith("image/")})
        # mincount 0 (the default) lists values absent from the result set with count 0
        zero = dict(self.facet("formatId:text\\/csv", "formatId", **{"facet.limit": "-1"}))
        self.assertEqual(set(zero), {k for k, _ in full})
        self.assertEqual({k for k, c in zero.items() if c}, {"text/csv"})
        per_field = self.facet("*:*", "formatId", **{"f.formatId.facet.limit": "2"})
        self.assertEqual(per_field, full[:2])

    def test_missing_queries_and_json_nl(self):
        body = self.solr([("q", "*:*"), ("rows", "0"), ("facet", "on"), ("facet.field", "fileName"),
                          ("facet.limit", "1"), ("facet.missing", "true"),
                          ("facet.query", "formatType:DATA"), ("json.nl", "map")])
        fc = body["facet_counts"]
        docs = self.corpus.index.docs
        self.assertEqual(fc["facet_fields"]["fileName"][""], sum(1 for d in docs if "fileName" not in d))
        self.assertEqual(fc["facet_queries"]["formatType:DATA"],
                         sum(1 for d in docs if d.get("formatType") == "DATA"))

    def test_facet_errors(self):
        self.solr([("q", "*:*"), ("facet", "true"), ("facet.field", "nosuch")], expect=400)
        self.solr([("q", "*:*"), ("facet", "true"), ("facet.field", "checksum")], expect=400)


class SortingAndPaging(NodeCase):
    def test_pages_concatenate_to_the_full_order(self):
        sort = "dateUploaded desc,id asc"
        full = [d["id"] for d in self.solr({"q": "formatType:DATA", "sort": sort, "rows": ALL,
                                            "fl": "id"})["response"]["docs"]]
        pages = []
        for start in range(0, len(full), 137):
            r = self.solr({"q": "formatType:DATA", "sort": sort, "rows": 137, "start": start,
                           "fl": "id"})
            self.assertEqual(r["response"]["start"], start)
            pages += [d["id"] for d in r["response"]["docs"]]
        self.assertEqual(pages, full)
        self.assertEqual(len(set(full)), len(full))

    def test_sort_order_and_missing_last(self):
        docs = self.solr({"q": "*:*", "sort": "dateUploaded desc", "rows": ALL,
                          "fl": "dateUploaded"})["response"]["docs"]
        dates = [d["dateUploaded"].replace("Z", ".000Z")[:23] for d in docs]
        self.assertEqual(dates, sorted(dates, reverse=True))
        for direction in ("asc", "desc"):
            docs = self.solr({"q": "*:*", "sort": "fileName %s,id asc" % direction, "rows": ALL,
                              "fl": "id,fileName"})["response"]["docs"]
            names = [d.get("fileName") for d in docs]
            present = [n for n in names if n is not None]
            self.assertEqual(names[:len(present)], present)       # missing values sort last
            self.assertEqual(present, sorted(present, reverse=direction == "desc"))
        sizes = [d["size"] for d in self.solr({"q": "*:*", "sort": "size asc", "rows": ALL,
                                               "fl": "size"})["response"]["docs"]]
        self.assertEqual(sizes, sorted(sizes))

    def test_sort_errors(self):
        for sort, msg in (("keywords asc", "can not sort on multivalued field: keywords of type: "
                                           "string"),
                          ("nosuch asc", "sort param field can't be found: nosuch"),
                          ("id", "Can't determine a Sort Order (asc or desc) in sort spec 'id', "
                                 "pos=2")):
            body = self.solr({"q": "*:*", "sort": sort}, expect=400)
            self.assertEqual(body["error"]["msg"], msg)
        self.solr({"q": "*:*", "rows": "ten"}, expect=400)
        self.solr({"q": "*:*", "rows": "-1"}, expect=400)


class CursorMark(NodeCase):
    synthetic = 3000

    def walk(self, params, rows):
        seen = []
        mark = "*"
        for _ in range(len(self.corpus.index.docs) // rows + 3):
            body = self.solr(dict(params, rows=rows, cursorMark=mark, fl="id"))
            seen += [d["id"] for d in body["response"]["docs"]]
            nxt = body["nextCursorMark"]
            if nxt == mark:
                return seen, body["response"]["numFound"]
            mark = nxt
        self.fail("cursor walk did not end")

    def test_walk_visits_every_record_once(self):
        seen, num = self.walk({"q": "*:*", "sort": "id asc"}, 250)
        self.assertEqual(len(seen), num)
        self.assertEqual(len(set(seen)), num)
        self.assertEqual(seen, sorted(seen))
        synthetic = {d["id"] for d in self.corpus.index.docs if d["_src"] == "synthetic"}
        self.assertEqual(len(synthetic), 3000)
        self.assertTrue(synthetic <= set(seen))

    def test_walk_with_filter_and_two_keys(self):
        params = {"q": "*:*", "fq": "formatType:DATA", "sort": "dateUploaded desc,id asc"}
        seen, num = self.walk(params, 97)
        full = [d["id"] for d in self.solr(dict(params, rows=ALL, fl="id"))["response"]["docs"]]
        self.assertEqual(seen, full)
        self.assertEqual(len(set(seen)), num)

    def test_cursor_errors(self):
        body = self.solr({"q": "*:*", "sort": "size asc", "cursorMark": "*"}, expect=400)
        self.assertEqual(body["error"]["msg"], "Cursor functionality requires a sort containing a "
                                               "uniqueKey field tie breaker")
        body = self.solr({"q": "*:*", "cursorMark": "*"}, expect=400)
        self.assertEqual(body["error"]["msg"], "Cursor functionality requires a sort containing a "
                                               "uniqueKey field tie breaker")
        body = self.solr({"q": "*:*", "sort": "id asc", "cursorMark": "*", "start": "5"},
                         expect=400)
        self.assertEqual(body["error"]["msg"], "Cursor functionality requires start=0")
        body = self.solr({"q": "*:*", "sort": "id asc", "cursorMark": "garbage!"}, expect=400)
        self.assertTrue(body["error"]["msg"].startswith("Unable to parse 'cursorMark'"))


@needs_fixtures
class TrickyIdentifierQueries(NodeCase):
    synthetic = 0

    def test_each_tricky_identifier_by_phrase_and_by_escaped_term(self):
        entries = json.loads(fixture_bytes("cn", "tricky_identifiers.json").decode("utf-8"))
        for e in entries:
            pid = e["unescaped"]
            phrase = 'id:"%s"' % pid.replace("\\", "\\\\").replace('"', '\\"')
            for q in (phrase, "id:" + escape_query_chars(pid)):
                docs = self.solr({"q": q, "fl": "id,fileName"})["response"]["docs"]
                self.assertEqual([d["id"] for d in docs], [pid], q)
                self.assertNotIn("fileName", docs[0])
            docs = self.solr({"q": "*:*", "fq": phrase, "fl": "id"})["response"]["docs"]
            self.assertEqual([d["id"] for d in docs], [pid])

    def test_unescaped_tricky_identifiers_fail_or_miss(self):
        # Without escaping, ':' and leading '/' are syntax errors, as on a real CN.
        self.solr({"q": "id:http://example.com/data/mydata?row=24"}, expect=400)
        self.solr({"q": "id://case"}, expect=400)

    def test_description_endpoint_serves_the_fixture(self):
        r = self.get("/cn/v2/query/solr")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, fixture_bytes("cn", "query_engine_description.xml"))
        self.assertEqual(self.get("/cn/v2/query/solr/").json()["response"]["numFound"], 0)


if __name__ == "__main__":
    unittest.main()
