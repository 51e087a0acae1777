"""The corpus the node serves, built once at startup.

Sources, in index order: KNB objects (fixture bytes + their v1 system metadata, served
unchanged), bytes-only KNB documents (generated system metadata), the tricky
identifiers (small generated text objects), the fixture resource maps (served as-is,
malformed ones included), then synthetic records. Solr records are derived from the
system metadata, EML and the parsed resource maps.
"""

import datetime as _dt
import hashlib
import json
import os
import sys
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from urllib.parse import unquote

from . import dataone, synthetic
from .index import Index
from .schema import Schema, builtin_description_xml, builtin_schema
from .solr import Select
from .solrquery import format_solr_date

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
ORE = "{http://www.openarchives.org/ore/terms/}"
DCTERMS = "{http://purl.org/dc/terms/}"
CITO = "{http://purl.org/spar/cito/}"
ORE_RESOURCE_MAP = "http://www.openarchives.org/ore/terms/ResourceMap"
ORE_FORMAT = synthetic.ORE_FORMAT

HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA1": "sha1", "SHA-256": "sha256",
          "SHA256": "sha256", "SHA-512": "sha512"}


def default_fixtures_dir():
    env = os.environ.get("D1_FIXTURES")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))       # tools/d1-test-node/d1testnode
    repo = os.path.dirname(os.path.dirname(os.path.dirname(here)))
    return os.path.normpath(os.path.join(repo, "..", "shared", "fixtures", "dataone"))


def parse_d1_date(text):
    """xs:dateTime (any offset, any fraction) -> epoch ms; naive means UTC."""
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if "." in s:
        head, rest = s.split(".", 1)
        digits = ""
        while rest and rest[0].isdigit():
            digits += rest[0]
            rest = rest[1:]
        s = head + "." + (digits + "000000")[:6] + rest
    d = _dt.datetime.fromisoformat(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    delta = d - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return delta.days * 86400000 + delta.seconds * 1000 + delta.microseconds // 1000


def parse_eml_date(text):
    """EML calendarDate (YYYY, YYYY-MM, YYYY-MM-DD, or full) -> epoch ms, or None."""
    s = (text or "").strip()
    try:
        if len(s) == 4 and s.isdigit():
            s += "-01-01"
        elif len(s) == 7:
            s += "-01"
        if len(s) == 10:
            s += "T00:00:00"
        return parse_d1_date(s)
    except ValueError:
        return None


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _text(el):
    if el is None:
        return None
    t = " ".join("".join(el.itertext()).split())
    return t or None


def parse_sysmeta(data):
    """System metadata (v1 or v2) -> dict of its fields."""
    root = ET.fromstring(data)
    sm = {"replicas": [], "read": [], "write": [], "change": [], "public": False}
    for child in root:
        tag = _local(child.tag)
        text = (child.text or "").strip()
        if tag == "identifier":
            sm["pid"] = text
        elif tag == "formatId":
            sm["formatId"] = text
        elif tag == "size":
            sm["size"] = int(text)
        elif tag == "checksum":
            sm["checksum"] = text
            sm["checksumAlgorithm"] = child.get("algorithm", "MD5")
        elif tag in ("submitter", "rightsHolder", "obsoletes", "obsoletedBy", "seriesId",
                     "fileName", "originMemberNode", "authoritativeMemberNode"):
            sm[tag] = text
        elif tag == "serialVersion":
            sm["serialVersion"] = int(text)
        elif tag == "dateUploaded":
            sm["dateUploaded"] = parse_d1_date(text)
        elif tag == "dateSysMetadataModified":
            sm["dateSysMetadataModified"] = parse_d1_date(text)
        elif tag == "mediaType":
            sm["mediaType"] = child.get("name")
        elif tag == "archived":
            sm["archived"] = text == "true"
        elif tag == "replicationPolicy":
            sm["replicationAllowed"] = child.get("replicationAllowed") == "true"
            if child.get("numberReplicas"):
                sm["numberReplicas"] = int(child.get("numberReplicas"))
        elif tag == "accessPolicy":
            for allow in child:
                subjects = [(s.text or "").strip() for s in allow if _local(s.tag) == "subject"]
                perms = [(p.text or "").strip() for p in allow if _local(p.tag) == "permission"]
                for p in perms:
                    key = {"read": "read", "write": "write", "changePermission": "change"}.get(p)
                    if key:
                        sm[key].extend(subjects)
                if "public" in subjects and "read" in perms:
                    sm["public"] = True
        elif tag == "replica":
            node = None
            verified = None
            for r in child:
                if _local(r.tag) == "replicaMemberNode":
                    node = (r.text or "").strip()
                elif _local(r.tag) == "replicaVerified":
                    verified = parse_d1_date(r.text or "")
            if node:
                sm["replicas"].append((node, verified))
    return sm


def sysmeta_solr_fields(sm, format_info):
    ftype, media, _ = format_info(sm.get("formatId", ""))
    doc = {"id": sm["pid"], "formatId": sm.get("formatId")}
    if ftype:
        doc["formatType"] = ftype
    for key in ("size", "checksum", "checksumAlgorithm", "submitter", "rightsHolder",
                "obsoletes", "obsoletedBy", "seriesId", "fileName", "numberReplicas",
                "replicationAllowed", "dateUploaded"):
        if sm.get(key) not in (None, ""):
            doc[key] = sm[key]
    if "dateSysMetadataModified" in sm:
        doc["dateModified"] = sm["dateSysMetadataModified"]
    if sm.get("authoritativeMemberNode"):
        doc["authoritativeMN"] = sm["authoritativeMemberNode"]
    if sm.get("originMemberNode"):
        doc["datasource"] = sm["originMemberNode"]
    if sm["replicas"]:
        doc["replicaMN"] = [n for n, _ in sm["replicas"]]
        dates = [v for _, v in sm["replicas"] if v is not None]
        if dates:
            doc["replicaVerifiedDate"] = dates
    doc["isPublic"] = sm["public"]
    readers = []
    for s in sm["read"] + sm["write"] + sm["change"]:
        if s not in readers:
            readers.append(s)
    if readers:
        doc["readPermission"] = readers
    if sm["write"]:
        doc["writePermission"] = list(sm["write"])
    if sm["change"]:
        doc["changePermission"] = list(sm["change"])
    m = sm.get("mediaType") or media
    if m:
        doc["mediaType"] = m
    return {k: v for k, v in doc.items() if v is not None}


def eml_solr_fields(data):
    """Science metadata fields a DataONE index extracts from an EML document."""
    root = ET.fromstring(data)
    ds = root.find("dataset")
    if ds is None:
        return {}
    out = {}
    title = _text(ds.find("title"))
    if title:
        out["title"] = title
    names, surnames = [], []
    for i, c in enumerate(ds.findall("creator")):
        ind = c.find("individualName")
        if ind is not None:
            given = " ".join(t for t in (_text(g) for g in ind.findall("givenName")) if t)
            sur = _text(ind.find("surName")) or ""
            name = (given + " " + sur).strip()
            if sur:
                surnames.append(sur)
            if i == 0:
                if given:
                    out["authorGivenName"] = given
                if sur:
                    out["authorSurName"] = sur
        else:
            name = _text(c.find("organizationName")) or _text(c.find("positionName"))
        if name:
            names.append(name)
    if names:
        out["author"] = names[0]
        out["origin"] = names
    if surnames:
        out["authorLastName"] = surnames
        out["investigator"] = surnames
    kws = [k for k in (_text(k) for k in ds.iter("keyword")) if k]
    if kws:
        out["keywords"] = kws
    abstract = _text(ds.find("abstract"))
    if abstract:
        out["abstract"] = abstract
    cov = ds.find("coverage")
    if cov is not None:
        tc = cov.find("temporalCoverage")
        if tc is not None:
            begin = tc.find("rangeOfDates/beginDate/calendarDate")
            end = tc.find("rangeOfDates/endDate/calendarDate")
            single = tc.find("singleDateTime/calendarDate")
            b = parse_eml_date(begin.text if begin is not None else
                               (single.text if single is not None else None))
            e = parse_eml_date(end.text if end is not None else
                               (single.text if single is not None else None))
            if b is not None:
                out["beginDate"] = b
            if e is not None:
                out["endDate"] = e
        sites = [s for s in (_text(g) for g in cov.iter("geographicDescription")) if s]
        if sites:
            out["site"] = sites
        bc = cov.find("geographicCoverage/boundingCoordinates")
        if bc is not None:
            for tag, field in (("westBoundingCoordinate", "westBoundCoord"),
                               ("eastBoundingCoordinate", "eastBoundCoord"),
                               ("northBoundingCoordinate", "northBoundCoord"),
                               ("southBoundingCoordinate", "southBoundCoord")):
                t = _text(bc.find(tag))
                try:
                    out[field] = float(t)
                except (TypeError, ValueError):
                    pass
    project = _text(ds.find("project/title"))
    if project:
        out["project"] = project
    attrs = []
    for a in ds.iter("attributeName"):
        t = _text(a)
        if t and t not in attrs:
            attrs.append(t)
    if attrs:
        out["attributeName"] = attrs
    return out


class OreError(Exception):
    pass


def parse_ore(data):
    """Strictly read a DataONE resource map.

    Returns (info, error): info may hold 'map_id' even when error is set; on success
    info has members, documents, isDocumentedBy and warnings."""
    info = {"warnings": []}
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return info, "not well-formed XML: %s" % e
    if root.tag != RDF + "RDF":
        return info, "root element is not rdf:RDF"
    subjects = {}
    for el in root:
        about = el.get(RDF + "about")
        if about is None:
            continue
        s = subjects.setdefault(about, {"types": [], "ids": [], "aggregates": [],
                                        "describes": [], "documents": [], "isDocumentedBy": []})
        if el.tag != RDF + "Description":
            s["types"].append(el.tag.replace("{", "").replace("}", ""))
        for p in el:
            res = p.get(RDF + "resource")
            text = (p.text or "").strip()
            if p.tag == RDF + "type" and res:
                s["types"].append(res)
            elif p.tag == DCTERMS + "identifier" and text:
                s["ids"].append(text)
            elif p.tag == ORE + "aggregates":
                s["aggregates"].append(res or text)
            elif p.tag == ORE + "describes":
                s["describes"].append(res or text)
            elif p.tag == CITO + "documents":
                s["documents"].append(res or text)
            elif p.tag == CITO + "isDocumentedBy":
                s["isDocumentedBy"].append(res or text)
    maps = [u for u, s in subjects.items() if ORE_RESOURCE_MAP in s["types"]]
    if not maps:
        return info, "no resource typed ore:ResourceMap"
    if len(maps) > 1:
        return info, "more than one ore:ResourceMap"
    map_uri = maps[0]
    ms = subjects[map_uri]
    if ms["ids"]:
        info["map_id"] = ms["ids"][0]
    else:
        return info, "the ore:ResourceMap %s has no dcterms:identifier" % map_uri
    if not ms["describes"]:
        return info, "the ore:ResourceMap describes no aggregation"
    agg_uri = ms["describes"][0]
    agg = subjects.get(agg_uri)
    if agg is None or not agg["aggregates"]:
        return info, "the aggregation %s aggregates nothing" % agg_uri
    if agg_uri != map_uri + "#aggregation":
        info["warnings"].append("aggregation URI %s is not <resource map URI>#aggregation" % agg_uri)

    def check_uri(uri, ident):
        if "/resolve/" not in uri:
            raise OreError("%s is not a DataONE resolve URI" % uri)
        tail = uri.split("/resolve/", 1)[1]
        if unquote(tail) != ident:
            raise OreError("identifier %r does not match its resolve URI %s" % (ident, uri))

    def ident_of(uri):
        s = subjects.get(uri)
        if s is None or not s["ids"]:
            raise OreError("resource %s has no dcterms:identifier" % uri)
        return s["ids"][0]

    try:
        check_uri(map_uri, info["map_id"])
        members = []
        for uri in agg["aggregates"]:
            ident = ident_of(uri)
            check_uri(uri, ident)
            members.append(ident)
        documents, documented_by = {}, {}
        for uri, s in subjects.items():
            if s["documents"]:
                documents.setdefault(ident_of(uri), []).extend(ident_of(t) for t in s["documents"])
            if s["isDocumentedBy"]:
                documented_by.setdefault(ident_of(uri), []).extend(
                    ident_of(t) for t in s["isDocumentedBy"])
    except OreError as e:
        return info, str(e)
    info.update(members=members, documents=documents, isDocumentedBy=documented_by)
    return info, None


def _hash(algorithm, data):
    name = HASHES.get(algorithm.upper())
    if name is None:
        raise ValueError("unsupported checksum algorithm %s" % algorithm)
    return hashlib.new(name, data).hexdigest()


def _hash_file(algorithm, path):
    """The digest of a file, read in pieces (object files may be gigabytes)."""
    name = HASHES.get(algorithm.upper())
    if name is None:
        raise ValueError("unsupported checksum algorithm %s" % algorithm)
    h = hashlib.new(name)
    with open(path, "rb") as f:
        while True:
            piece = f.read(4 << 20)
            if not piece:
                break
            h.update(piece)
    return h.hexdigest()


class Corpus:
    """Every object the node serves, its Solr index and its documents."""

    FIXTURE_EPOCH = parse_d1_date("2021-03-04T05:06:07.089Z")
    PAYLOAD_CACHE_BYTES = 64 << 20
    PREWARM_SORTS = ("id", "dateUploaded", "size")
    PREWARM_POSTINGS = ("formatId", "formatType", "datasource", "authoritativeMN", "keywords",
                        "resourceMap", "documents", "isDocumentedBy", "obsoletedBy")

    def __init__(self, fixtures_dir=None, synthetic_n=None, seed=1, warn=None, object_files=(),
                 dot_pids=False, object_file_algorithm="SHA-256"):
        self.warn_fn = warn or (lambda msg: print("d1-test-node: " + msg, file=sys.stderr))
        self.warnings = []
        self.seed = seed
        self.fixtures_dir = fixtures_dir
        self.have_fixtures = bool(fixtures_dir) and os.path.isdir(fixtures_dir)
        self.counts = OrderedDict()
        self.skipped = []         # [{"name":..., "reason":...}] objects not served
        self.map_reports = []     # per fixture resource map: pid, file, status, reason
        self._payloads = OrderedDict()
        self._payload_bytes = 0
        self._lock = threading.Lock()
        if not self.have_fixtures:
            if fixtures_dir:
                self.warn("fixtures directory %s not found: serving synthetic records only"
                          % fixtures_dir)
            else:
                self.warn("no fixtures directory: serving synthetic records only")
            if synthetic_n is None:
                synthetic_n = 1000
        self._load_reference_docs()
        self.index = Index(self.schema)
        self.generator = synthetic.Generator(seed, self.format_info)
        fixture_docs = self._fixture_docs() if self.have_fixtures else []
        for d in fixture_docs:
            self.index.add(d)
        for d in self._extra_docs(object_files, dot_pids, object_file_algorithm,
                                  len(fixture_docs)):
            self.index.add(d)
        n = synthetic_n or 0
        syn = self.generator.records(n, id_taken=lambda p: p in self.index.by_id) if n else []
        for d in syn:
            self.index.add(d)
        self.counts["synthetic"] = len(syn)
        self.index.freeze()
        self.select = Select(self.index, fill_lazy=self.fill_lazy)
        # Structures of the usual queries (facets, cursor walks), built before serving so
        # the first requests are as fast as the later ones.
        self.index.prewarm(postings=self.PREWARM_POSTINGS, sorts=self.PREWARM_SORTS)

    def warn(self, msg):
        self.warnings.append(msg)
        self.warn_fn(msg)

    # -- reference documents
    def _read(self, *parts):
        with open(os.path.join(self.fixtures_dir, *parts), "rb") as f:
            return f.read()

    def _load_reference_docs(self):
        self.formats = {}
        self.description_xml = None
        self.node_list_fixture = None
        self.format_list_xml = None
        if self.have_fixtures:
            try:
                self.description_xml = self._read("cn", "query_engine_description.xml")
                self.schema = Schema.from_description(self.description_xml)
            except (OSError, ET.ParseError) as e:
                self.warn("query engine description unusable (%s): built-in schema" % e)
            try:
                self.node_list_fixture = self._read("cn", "node_list_v2.xml")
            except OSError as e:
                self.warn("node list fixture missing (%s)" % e)
            try:
                self.format_list_xml = self._read("cn", "object_format_list_v2.xml")
                root = ET.fromstring(self.format_list_xml)
                for f in root.iter("objectFormat"):
                    mt = f.find("mediaType")
                    self.formats[f.findtext("formatId")] = (
                        f.findtext("formatType"), mt.get("name") if mt is not None else None,
                        f.findtext("extension"))
            except (OSError, ET.ParseError) as e:
                self.warn("format list fixture unusable (%s): built-in formats" % e)
                self.format_list_xml = None
        if self.description_xml is None:
            self.schema = builtin_schema()
            self.description_xml = builtin_description_xml(self.schema)
        for fid, _name, ftype, media, ext in synthetic.BUILTIN_FORMATS:
            self.formats.setdefault(fid, (ftype, media, ext))
        if self.format_list_xml is None:
            self.format_list_xml = dataone.builtin_format_list(synthetic.BUILTIN_FORMATS)

    def format_info(self, format_id):
        """(formatType, mediaType, extension) of a format id; Nones when unknown."""
        return self.formats.get(format_id, (None, None, None))

    # -- fixture objects
    def _fixture_docs(self):
        docs = []
        ids = set()
        version = [1600000000000000000]

        def add(doc, source):
            version[0] += 1009
            doc["_version_"] = version[0]
            doc["_src"] = source
            docs.append(doc)
            ids.add(doc["id"])
            self.counts[source] = self.counts.get(source, 0) + 1

        # 1. KNB objects: bytes + v1 system metadata.
        knb = os.path.join(self.fixtures_dir, "knb")
        sm_dir, data_dir = os.path.join(knb, "sysmeta"), os.path.join(knb, "data")
        names = sorted(os.listdir(sm_dir)) if os.path.isdir(sm_dir) else []
        for name in names:
            sm_path = os.path.join(sm_dir, name)
            data_path = os.path.join(data_dir, name)
            if not os.path.isfile(data_path):
                self.skipped.append({"name": "knb/sysmeta/" + name,
                                     "reason": "system metadata without object bytes"})
                self.warn("knb/sysmeta/%s: no bytes in knb/data, not served" % name)
                continue
            with open(sm_path, "rb") as f:
                sm_bytes = f.read()
            try:
                sm = parse_sysmeta(sm_bytes)
            except (ET.ParseError, ValueError) as e:
                self.warn("knb/sysmeta/%s unusable: %s" % (name, e))
                continue
            doc = sysmeta_solr_fields(sm, self.format_info)
            doc["_path"] = data_path
            doc["_sysmeta_path"] = sm_path
            if doc.get("formatId", "").startswith("eml://"):
                try:
                    with open(data_path, "rb") as f:
                        doc.update(eml_solr_fields(f.read()))
                except ET.ParseError as e:
                    self.warn("knb/data/%s: EML not parsed: %s" % (name, e))
            actual = os.path.getsize(data_path)
            if actual != doc.get("size"):
                doc["_size_mismatch"] = actual
            add(doc, "knb")
        # 2. Bytes-only KNB documents (generated v2 system metadata).
        if os.path.isdir(knb):
            for name in sorted(os.listdir(knb)):
                path = os.path.join(knb, name)
                if not os.path.isfile(path) or not name.endswith(".xml"):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                try:
                    root = ET.fromstring(data)
                except ET.ParseError as e:
                    self.warn("knb/%s not parsed: %s" % (name, e))
                    continue
                fmt = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else "text/xml"
                pid = root.get("packageId") or os.path.splitext(name)[0]
                if pid in ids:
                    continue
                doc = self._generated_doc(pid, fmt, data, "MD5", len(docs), fileName=name)
                doc["_path"] = path
                if fmt.startswith("eml://"):
                    doc.update(eml_solr_fields(data))
                add(doc, "knb-extra")
        # 3. Tricky identifiers.
        try:
            tricky = json.loads(self._read("cn", "tricky_identifiers.json").decode("utf-8"))
        except (OSError, ValueError) as e:
            self.warn("tricky identifiers not loaded: %s" % e)
            tricky = []
        for entry in tricky:
            pid = entry.get("unescaped")
            if not pid or pid in ids:
                continue
            data = ("tricky identifier %s\ndescription: %s\npath_escaped: %s\nquery_escaped: %s\n"
                    "This object exists so that clients prove they escape identifiers exactly.\n"
                    % (pid, entry.get("description", ""), entry.get("path_escaped", ""),
                       entry.get("query_escaped", ""))).encode("utf-8")
            doc = self._generated_doc(pid, "text/plain", data, "SHA-1", len(docs))
            doc["_bytes"] = data
            add(doc, "tricky")
        # 4. Fixture resource maps (as RESOURCE objects, served as-is).
        rm_dir = os.path.join(self.fixtures_dir, "resource_maps")
        rm_files = sorted(n for n in os.listdir(rm_dir) if n.endswith(".xml")) \
            if os.path.isdir(rm_dir) else []
        parsed = {}
        for name in rm_files:
            path = os.path.join(rm_dir, name)
            with open(path, "rb") as f:
                data = f.read()
            info, err = parse_ore(data)
            declared = info.get("map_id")
            pid = declared if declared and declared not in ids else \
                "resourceMap_fixture_" + os.path.splitext(name)[0]
            doc = self._generated_doc(pid, ORE_FORMAT, data, "MD5", len(docs), fileName=name)
            doc["_path"] = path
            add(doc, "resource_maps")
            report = {"pid": pid, "file": "resource_maps/" + name, "declared_id": declared}
            if pid != declared:
                report["note"] = ("served under a made-up PID: " +
                                  ("its identifier is taken by an earlier object" if declared
                                   else "it declares no identifier"))
            parsed[pid] = (info, err, report)
        # KNB resource maps take part in relations as well.
        for doc in docs:
            if doc.get("formatId") == ORE_FORMAT and doc["_src"] == "knb":
                with open(doc["_path"], "rb") as f:
                    info, err = parse_ore(f.read())
                parsed[doc["id"]] = (info, err, {"pid": doc["id"], "file": "knb/data/" + doc["id"],
                                                 "declared_id": info.get("map_id")})
        self._apply_relations(docs, parsed)
        return docs

    def _extra_docs(self, object_files, dot_pids, algorithm, first):
        """Objects given on the command line: files served from disk as they are (for
        large objects: never read into memory), and the identifiers "." and ".."."""
        docs = []

        def add(doc, source):
            doc["_version_"] = 1700000000000000000 + len(docs)
            doc["_src"] = source
            docs.append(doc)
            self.counts[source] = self.counts.get(source, 0) + 1

        for path, pid in object_files:
            size = os.path.getsize(path)
            doc = self._generated_doc(pid, "application/octet-stream", b"", algorithm,
                                      first + len(docs), checksum=_hash_file(algorithm, path),
                                      size=size)
            doc["_file"] = path
            add(doc, "object_files")
        if dot_pids:
            for pid in (".", ".."):
                data = ("dot-segment identifier %s\nA client must send it percent-encoded "
                        "(%%2E), or HTTP clients resolve it as a path step.\n" % pid).encode()
                doc = self._generated_doc(pid, "text/plain", data, "SHA-1", first + len(docs))
                doc["_bytes"] = data
                add(doc, "dot_pids")
        return docs

    def _generated_doc(self, pid, fmt, data, algorithm, n, fileName=None, checksum=None,
                       size=None):
        ftype, media, _ = self.format_info(fmt)
        when = self.FIXTURE_EPOCH + n * 60000
        doc = {"id": pid, "formatId": fmt, "size": len(data) if size is None else size,
               "checksum": checksum or _hash(algorithm, data), "checksumAlgorithm": algorithm,
               "dateUploaded": when, "dateModified": when,
               "rightsHolder": "CN=d1-test-node,DC=dataone,DC=org",
               "submitter": "CN=d1-test-node,DC=dataone,DC=org",
               "authoritativeMN": dataone.MN_ID, "datasource": dataone.MN_ID,
               "replicaMN": [dataone.MN_ID], "isPublic": True, "readPermission": ["public"]}
        if ftype:
            doc["formatType"] = ftype
        if media:
            doc["mediaType"] = media
        if fileName:
            doc["fileName"] = fileName
        return doc

    def _apply_relations(self, docs, parsed):
        by_id = {d["id"]: d for d in docs}

        def add(pid, field, value):
            d = by_id.get(pid)
            if d is None:
                return False
            lst = d.setdefault(field, [])
            if value not in lst:
                lst.append(value)
            return True

        for pid, (info, err, report) in parsed.items():
            if err:
                report["status"] = "relations skipped"
                report["reason"] = err
                self.warn("resource map %s (%s): relations skipped: %s" % (pid, report["file"], err))
            else:
                missing = [m for m in info["members"] if m not in by_id]
                for m in info["members"]:
                    add(m, "resourceMap", pid)
                for src, targets in info["documents"].items():
                    for t in targets:
                        add(src, "documents", t)
                for src, targets in info["isDocumentedBy"].items():
                    for t in targets:
                        add(src, "isDocumentedBy", t)
                report["status"] = "relations applied"
                report["members"] = info["members"]
                if missing:
                    report["members_not_in_corpus"] = missing
                if info["warnings"]:
                    report["warnings"] = info["warnings"]
            self.map_reports.append(report)

    # -- object access
    def doc(self, pid):
        n = self.index.by_id.get(pid)
        return None if n is None else self.index.docs[n]

    def payload(self, doc):
        """The object's bytes."""
        src = doc["_src"]
        if "_file" in doc:
            raise ValueError("object %s is served from its file: use file_slice" % doc["id"])
        if "_bytes" in doc:
            return doc["_bytes"]
        if "_path" in doc:
            with open(doc["_path"], "rb") as f:
                return f.read()
        key = doc["id"]
        with self._lock:
            data = self._payloads.get(key)
            if data is not None:
                self._payloads.move_to_end(key)
                return data
        if src != "synthetic":
            raise KeyError(key)
        data = self.generator.payload(doc)
        with self._lock:
            if key not in self._payloads:
                self._payloads[key] = data
                self._payload_bytes += len(data)
                while self._payload_bytes > self.PAYLOAD_CACHE_BYTES and len(self._payloads) > 1:
                    _, old = self._payloads.popitem(last=False)
                    self._payload_bytes -= len(old)
        return data

    def checksum(self, doc):
        """(algorithm, value) as the system metadata states it."""
        if "checksum" not in doc:
            value = _hash(doc["checksumAlgorithm"], self.payload(doc))
            doc["checksum"] = value  # benign race: every thread computes the same value
        return doc["checksumAlgorithm"], doc["checksum"]

    def fill_lazy(self, docnum, names):
        if "checksum" in names:
            doc = self.index.docs[docnum]
            if "checksum" not in doc:
                self.checksum(doc)

    def sysmeta(self, doc):
        if "_sysmeta_path" in doc:
            with open(doc["_sysmeta_path"], "rb") as f:
                return f.read()
        algo, value = self.checksum(doc)

        def iso(ms):
            s = format_solr_date(ms)
            return s if "." in s else s[:-1] + ".000Z"
        rec = {"pid": doc["id"], "formatId": doc["formatId"], "size": doc["size"],
               "checksum": value, "checksumAlgorithm": algo, "submitter": doc["submitter"],
               "rightsHolder": doc["rightsHolder"], "dateUploaded": iso(doc["dateUploaded"]),
               "dateSysMetadataModified": iso(doc.get("dateModified", doc["dateUploaded"])),
               "originMN": doc.get("datasource", dataone.MN_ID),
               "authoritativeMN": doc.get("authoritativeMN", dataone.MN_ID),
               "replicas": doc.get("replicaMN", []), "obsoletes": doc.get("obsoletes"),
               "obsoletedBy": doc.get("obsoletedBy"), "seriesId": doc.get("seriesId"),
               "mediaType": doc.get("mediaType"), "fileName": doc.get("fileName")}
        return dataone.sysmeta_v2(rec)

    def content_type(self, doc):
        media = doc.get("mediaType") or self.format_info(doc.get("formatId", ""))[1]
        if not media:
            return "application/octet-stream"
        # The fixture format list lost its '+' signs to form decoding ("application/rdf xml").
        return media.replace(" ", "+")

    def summary(self):
        by_type = {}
        for d in self.index.docs:
            t = d.get("formatType") or "UNKNOWN"
            by_type[t] = by_type.get(t, 0) + 1
        return {
            "fixtures_dir": self.fixtures_dir if self.have_fixtures else None,
            "objects": len(self.index.docs),
            "by_source": dict(self.counts),
            "by_format_type": by_type,
            "skipped": self.skipped,
            "resource_maps": self.map_reports,
            "size_mismatches": [{"pid": d["id"], "sysmeta_size": d.get("size"),
                                 "actual_size": d["_size_mismatch"]}
                                for d in self.index.docs if "_size_mismatch" in d],
            "seed": self.seed,
            "warnings": self.warnings,
        }
