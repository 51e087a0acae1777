"""Realistic synthetic records, deterministic from a seed.

Records carry Solr fields only; their bytes are generated on demand from (seed, pid)
and never stored. Sizes are fixed at generation: payload generators produce exactly
that many bytes (metadata documents are padded with an XML comment; resource maps are
generated up front because their size is their natural length).
"""

import bisect
import hashlib
import random
import re
import struct
from xml.sax.saxutils import escape

from .dataone import path_escape

# formatId, in popularity order (sampled with Zipf-like weights).
FORMATS = [
    "text/csv",
    "eml://ecoinformatics.org/eml-2.1.1",
    "application/octet-stream",
    "image/tiff",
    "netCDF-4",
    "text/plain",
    "application/vnd.ms-excel",
    "eml://ecoinformatics.org/eml-2.1.0",
    "image/png",
    "application/pdf",
    "application/zip",
    "netCDF-3",
    "image/jpeg",
    "text/tsv",
    "application/x-gzip",
    "http://www.isotc211.org/2005/gmd",
    "application/R",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "FGDC-STD-001-1998",
    "CF-1.4",
    "application/x-tar",
    "text/xml",
    "application/MATLAB",
    "image/gif",
    "eml://ecoinformatics.org/eml-2.0.1",
]
ORE_FORMAT = "http://www.openarchives.org/ore/terms"

# Used when the fixture format list is absent: (formatId, name, type, mediaType, ext).
BUILTIN_FORMATS = [
    ("eml://ecoinformatics.org/eml-2.0.1", "Ecological Metadata Language, version 2.0.1",
     "METADATA", "text/xml", "xml"),
    ("eml://ecoinformatics.org/eml-2.1.0", "Ecological Metadata Language, version 2.1.0",
     "METADATA", "text/xml", "xml"),
    ("eml://ecoinformatics.org/eml-2.1.1", "Ecological Metadata Language, version 2.1.1",
     "METADATA", "text/xml", "xml"),
    ("FGDC-STD-001-1998", "Content Standard for Digital Geospatial Metadata, version 001-1998",
     "METADATA", "text/xml", "xml"),
    ("CF-1.4", "Climate and Forecast Metadata Conventions, version 1.4", "DATA",
     "application/netcdf", "nc"),
    ("netCDF-3", "Network Common Data Format, version 3", "DATA", "application/netcdf", "nc"),
    ("netCDF-4", "Network Common Data Format, version 4", "DATA", "application/netcdf", "nc"),
    ("text/plain", "Plain Text", "DATA", "text/plain", "txt"),
    ("text/csv", "Comma Separated Values Text", "DATA", "text/csv", "csv"),
    ("image/gif", "Graphics Interchange Format", "DATA", "image/gif", "gif"),
    ("image/jpeg", "JPEG Image", "DATA", "image/jpeg", "jpg"),
    ("image/png", "Portable Network Graphics", "DATA", "image/png", "png"),
    ("image/tiff", "Tagged Image File Format", "DATA", "image/tiff", "tiff"),
    ("application/octet-stream", "Octet Stream", "DATA", "application/octet-stream", "data"),
    ("http://www.openarchives.org/ore/terms", "Object Reuse and Exchange Vocabulary",
     "RESOURCE", "application/rdf+xml", "rdf"),
    ("application/pdf", "Portable Document Format", "DATA", "application/pdf", "pdf"),
    ("application/vnd.ms-excel", "Microsoft Excel", "DATA", "application/vnd.ms-excel", "xls"),
    ("application/zip", "ZIP file", "DATA", "application/zip", "zip"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "Microsoft Excel OpenXML", "DATA",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("text/xml", "Extensible Markup Language", "DATA", "text/xml", "xml"),
    ("application/x-gzip", "GNU Zip (GZIP) compressed file", "DATA", "application/x-gzip", "gz"),
    ("application/x-tar", "Tape ARchive (TAR) file", "DATA", "application/x-tar", "tar"),
    ("http://www.isotc211.org/2005/gmd", "Geographic MetaData (GMD) ISO 19139", "METADATA",
     "text/xml", "xml"),
    ("text/tsv", "Tab Separated Values Text", "DATA", "text/tab-separated-values", "tsv"),
    ("application/R", "R Script", "DATA", "text/x-rsrc", "R"),
    ("application/MATLAB", "MATLAB code", "DATA", "text/x-matlab", "m"),
]

NODES = ["urn:node:ARCTIC", "urn:node:KNB", "urn:node:LTER", "urn:node:DRYAD", "urn:node:PISCO",
         "urn:node:NCEI", "urn:node:EDI", "urn:node:ESA", "urn:node:GOA", "urn:node:TERN",
         "urn:node:NEON", "urn:node:IARC", "urn:node:BCODMO", "urn:node:R2R",
         "urn:node:D1TESTMN"]
REPLICA_NODES = ["urn:node:mnUCSB1", "urn:node:mnORC1", "urn:node:mnUNM1"]

GIVEN = ["Matthew", "Amber", "Bryce", "Lauren", "Christopher", "Jeanette", "Rob", "Ben", "Peter",
         "Mark", "Dave", "Karen", "Jing", "Priya", "Olusegun", "Mei", "Sofia", "Lars", "Aroha",
         "José", "Zoë", "Søren", "Anaïs", "Wiremu", "Chen", "Fatima", "Kwame", "Ingrid", "Tomás",
         "Yuki", "Noor", "Elena", "Marco", "Hannah", "Ravi", "Siobhan", "Pita", "Ana", "Björn",
         "Leila"]
SURNAMES = ["Jones", "Budden", "Mecum", "Walker", "Slaughter", "Leinfelder", "Mullen", "Schildhauer",
            "Vieglais", "Cook", "Servilla", "Gries", "O'Brien", "Nakamura", "Okafor", "Zhang",
            "García", "Müller", "Ngata", "Kowalski", "Johansson", "Dubois", "Rossi", "Singh",
            "Haddad", "Mensah", "Larsen", "Tanaka", "Silva", "Novak", "Petrov", "Ahmed", "Brown",
            "Smith", "Nguyen", "Fernández", "Kim", "Andersen", "Moreau", "Costa"]
ORGS = ["National Center for Ecological Analysis and Synthesis", "Arctic Data Center",
        "Long Term Ecological Research Network", "Woods Hole Oceanographic Institution",
        "NOAA National Centers for Environmental Information", "University of Alaska Fairbanks",
        "Pennsylvania Game Commission", "Smithsonian Environmental Research Center"]
KEYWORDS = ["temperature", "salinity", "precipitation", "chlorophyll", "biomass", "phytoplankton",
            "zooplankton", "sea ice", "permafrost", "soil moisture", "carbon flux", "nitrogen",
            "phosphorus", "dissolved oxygen", "water quality", "stream discharge", "snow depth",
            "vegetation", "species abundance", "bird survey", "fish", "macroinvertebrates",
            "coral reef", "kelp forest", "oak", "acorn", "masting", "synchrony", "forest",
            "grassland", "tundra", "wetland", "estuary", "ocean acidification", "pH",
            "conductivity", "turbidity", "solar radiation", "wind speed", "air pressure",
            "humidity", "evapotranspiration", "leaf area index", "NDVI", "remote sensing",
            "LTER", "time series", "climate change", "drought", "fire", "invasive species",
            "pollination", "seed bank", "litterfall", "decomposition", "microbial community",
            "16S rRNA", "metagenomics", "sediment", "ice core", "glacier", "sea level",
            "CTD", "mooring", "ADCP", "acoustic survey", "population dynamics", "phenology",
            "land cover", "urban ecology", "Antarctica", "Alaska", "Arctic Ocean", "Bering Sea",
            "Gulf of Alaska", "California Current", "Chesapeake Bay", "Great Lakes",
            "Rocky Mountains", "Sonoran Desert", "Amazon", "Borneo", "Svalbard", "Greenland",
            "EARTH SCIENCE > OCEANS", "EARTH SCIENCE > CRYOSPHERE", "ecosystem function",
            "biogeochemistry", "hydrology", "limnology", "entomology", "herpetology", "mammals"]
SITES = ["Palmer Station", "Toolik Field Station", "Bonanza Creek", "Harvard Forest",
         "Konza Prairie", "Niwot Ridge", "Sevilleta", "Santa Barbara Coastal", "Moorea",
         "Plum Island", "North Temperate Lakes", "Hubbard Brook", "Coweeta", "Jornada Basin",
         "Utqiaġvik (Barrow)", "Kuparuk River", "Prudhoe Bay", "Monterey Bay", "Puget Sound",
         "Mount Rainier", "Yellowstone", "Everglades", "Barro Colorado Island", "Cape Cod"]
PROJECTS = ["Arctic Observing Network", "Long Term Ecological Research", "Ocean Observatories",
            "Critical Zone Observatory", "Global Lake Ecological Observatory Network",
            "Partnership for Interdisciplinary Studies of Coastal Oceans",
            "NSF Polar Programs", "Gulf Watch Alaska", "Bering Sea Project", "NEON Terrestrial"]
VARIABLES = ["temperature", "salinity", "depth", "chlorophyll_a", "biomass_g_m2", "count",
             "discharge_m3s", "ph", "do_mg_l", "ndvi", "snow_depth_cm", "wind_speed_ms"]
TITLE_FORMS = [
    "{var} measurements at {site}, {y1}-{y2}",
    "{kw1} and {kw2} observations from {site} ({y1}-{y2})",
    "Long-term {kw1} monitoring in the {proj}, {y1} to {y2}",
    "{Kw1} data: {site} {y1}",
    "Effects of {kw1} on {kw2} at {site}",
    "{proj}: {kw1} survey, {site}, {y1}-{y2}",
]
ODD_FILENAMES = ["data file (1).csv", "Überblick Messdaten.csv", "site/plot 3.csv", "..",
                 ".hidden.csv", "CON.txt", "x" * 200 + ".csv", "README", "data.csv",
                 "résumé final.xlsx", "a:b*c?.txt", "  leading and trailing  .txt"]
COMMON_FILENAMES = ["data.csv", "README.txt", "metadata.xml", "readme.txt", "Data.csv"]

_MAGIC = {
    "image/tiff": b"II*\x00", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff\xe0",
    "image/gif": b"GIF89a", "application/pdf": b"%PDF-1.4\n", "application/zip": b"PK\x03\x04",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": b"PK\x03\x04",
    "application/x-gzip": b"\x1f\x8b\x08\x00", "netCDF-3": b"CDF\x01", "CF-1.4": b"CDF\x02",
    "netCDF-4": b"\x89HDF\r\n\x1a\n", "application/vnd.ms-excel": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}

MIN_MS = 1199145600000   # 2008-01-01
MAX_MS = 1735603200000   # 2024-12-31


_SLUG_RE = re.compile(r"[^0-9a-z]+")


class _Pick:
    """Fast draws from one random.Random (hot loop of the generator)."""

    def __init__(self, rng):
        self.rng = rng
        self.random = rng.random

    def one(self, seq):
        return seq[int(self.random() * len(seq))]

    def below(self, n):
        return int(self.random() * n)

    def zipf(self, seq, cum):
        return seq[bisect.bisect(cum, self.random() * cum[-1])]


def _zipf_cum(n, s=1.15):
    cum, total = [], 0.0
    for r in range(n):
        total += 1.0 / (r + 1) ** s
        cum.append(total)
    return cum


def is_metadata(format_id):
    return format_id.startswith("eml://") or format_id in (
        "FGDC-STD-001-1998", "http://www.isotc211.org/2005/gmd")


def iso_ms(ms):
    from .solrquery import format_solr_date
    s = format_solr_date(ms)
    if "." not in s:
        s = s[:-1] + ".000Z"
    return s


def _slug(text):
    return _SLUG_RE.sub("_", text.lower()).strip("_")[:60] or "data"


def _person(pk):
    return pk.one(GIVEN), pk.one(SURNAMES)


def _subject(pk, given, sur):
    r = pk.random()
    if r < 0.45:
        return "http://orcid.org/0000-000%d-%04d-%04d" % (pk.below(10), pk.below(10000),
                                                          pk.below(10000))
    if r < 0.8:
        return "CN=%s %s A%d,O=Google,C=US,DC=cilogon,DC=org" % (given, sur, 100 + pk.below(9899))
    return "uid=%s,o=unaffiliated,dc=ecoinformatics,dc=org" % (sur.lower())


_DOI_ALPHABET = "0123456789BCDFGHJKMNPQRSTVWXZ"
_SCOPES = ["knb", "knb-lter-sev", "knb-lter-ntl", "arctic-data", "pisco"]


def _pid(pk, i, used):
    rng = pk.rng
    while True:
        r = pk.random()
        if r < 0.5:
            h = "%032x" % rng.getrandbits(128)
            pid = "urn:uuid:%s-%s-4%s-%s%s-%s" % (h[:8], h[8:12], h[13:16],
                                                 "89ab"[int(h[16], 16) % 4], h[17:20], h[20:32])
        elif r < 0.75:
            v = rng.getrandbits(30)
            pid = "doi:10.5063/F1" + "".join(_DOI_ALPHABET[(v >> (5 * k)) % 29] for k in range(6))
        elif r < 0.9:
            pid = "%s.%d.%d" % (pk.one(_SCOPES), 1000 + i, 1 + pk.below(11))
        else:
            pid = "ark:/13030/m5%06x/%d/cadwsap-s%d-ver1.csv" % (
                rng.getrandbits(24), 1 + pk.below(8), 3000000 + i)
        if pid not in used:
            used.add(pid)
            return pid


class Generator:
    """Builds N synthetic Solr records and, later, their bytes."""

    def __init__(self, seed, format_info):
        """format_info(formatId) -> (formatType, mediaType, extension)."""
        self.seed = seed
        self.format_info = format_info

    # -- records
    def records(self, n, id_taken=lambda pid: False):
        rng = random.Random("d1-test-node/%d" % self.seed)
        pk = _Pick(rng)
        rnd = pk.random
        n_maps = n * 2 // 100 if n >= 50 else (1 if n >= 5 else 0)
        n_plain = n - n_maps
        fmt_cum = _zipf_cum(len(FORMATS))
        node_cum = _zipf_cum(len(NODES), 1.0)
        kw_cum = _zipf_cum(len(KEYWORDS), 0.9)
        info = {f: self.format_info(f) for f in FORMATS}
        meta = {f: is_metadata(f) for f in FORMATS}
        used = set()
        docs = []
        version = 1700000000000000000
        span = MAX_MS - MIN_MS
        for i in range(n_plain):
            pid = _pid(pk, i, used)
            while id_taken(pid):
                pid = _pid(pk, i, used)
            fmt = pk.zipf(FORMATS, fmt_cum)
            ftype, media, ext = info[fmt]
            node = pk.zipf(NODES, node_cum)
            uploaded = MIN_MS + int(rnd() * span)
            if rnd() < 0.3:
                uploaded -= uploaded % 1000
            modified = min(MAX_MS + 86400000, uploaded + int(rnd() ** 3 * 7e10))
            given, sur = _person(pk)
            subj = _subject(pk, given, sur)
            r = rnd()
            algo = "MD5" if r < 0.55 else ("SHA-1" if r < 0.95 else "SHA-256")
            r = rnd()
            replicas = [node] if r < 0.5 else ([node, pk.one(REPLICA_NODES)] if r < 0.85
                                               else [node] + REPLICA_NODES[:2])
            version += 1 + pk.below(1 << 20)
            doc = {
                "id": pid, "formatId": fmt, "formatType": ftype, "checksumAlgorithm": algo,
                "dateUploaded": uploaded, "dateModified": modified, "rightsHolder": subj,
                "submitter": subj, "authoritativeMN": node, "datasource": node,
                "replicaMN": replicas, "isPublic": True, "readPermission": ["public"],
                "_version_": version, "_src": "synthetic",
            }
            if media:
                doc["mediaType"] = media
            if meta[fmt]:
                self._science(pk, doc, given, sur, kw_cum)
                doc["size"] = int(6000 + 60000 * rnd() ** 2)
            else:
                u = rnd()
                doc["size"] = int(round(100 * 20000 ** (u * u * u)))
            r = rnd()
            if r < 0.5:
                title = doc.get("title")
                base = _slug(title) if title else "%s_%s" % (pk.one(VARIABLES),
                                                             _slug(pk.one(SITES)))
                doc["fileName"] = "%s_%d.%s" % (base, i, ext or "bin")
            elif r < 0.56:
                doc["fileName"] = pk.one(COMMON_FILENAMES)
            elif r < 0.58:
                doc["fileName"] = pk.one(ODD_FILENAMES)
            docs.append(doc)
        # Versions: some records obsolete an earlier one of the same format.
        for i in range(1, len(docs)):
            if rnd() < 0.04:
                j = max(0, i - 50) + pk.below(min(i, 50))
                old = docs[j]
                if "obsoletedBy" not in old and "obsoletes" not in docs[i] and \
                        old["formatId"] == docs[i]["formatId"]:
                    old["obsoletedBy"] = docs[i]["id"]
                    docs[i]["obsoletes"] = old["id"]
        self._packages(rng, docs, n_maps, used, id_taken)
        return docs

    def _science(self, pk, doc, given, sur, kw_cum):
        people = [(given, sur)] + [_person(pk) for _ in range(pk.below(4))]
        kws = []
        for _ in range(2 + pk.below(7)):
            k = pk.zipf(KEYWORDS, kw_cum)
            if k not in kws:
                kws.append(k)
        site = pk.one(SITES)
        proj = pk.one(PROJECTS)
        y1 = 1968 + pk.below(52)
        y2 = min(2024, y1 + pk.below(25))
        form = pk.one(TITLE_FORMS)
        kw1 = kws[0]
        kw2 = kws[1] if len(kws) > 1 else "habitat"
        title = form.format(var=pk.one(VARIABLES).replace("_", " ").capitalize(), site=site,
                            y1=y1, y2=y2, kw1=kw1, kw2=kw2, Kw1=kw1.capitalize(), proj=proj)
        names = ["%s %s" % p for p in people]
        if pk.random() < 0.2:
            names.append(pk.one(ORGS))
        doc["title"] = title
        doc["author"] = names[0]
        doc["authorGivenName"] = given
        doc["authorSurName"] = sur
        doc["authorLastName"] = [p[1] for p in people]
        doc["origin"] = names
        doc["investigator"] = [p[1] for p in people]
        doc["keywords"] = kws
        doc["abstract"] = ("This data set contains %s observations collected at %s between %d "
                           "and %d as part of the %s. Variables include %s. Data were quality "
                           "controlled and are provided as delimited text with EML metadata."
                           % (kw1, site, y1, y2, proj, ", ".join(kws[:4])))
        doc["beginDate"] = _YEAR_MS[y1]
        doc["endDate"] = _YEAR_MS[y2 + 1] - 1000
        doc["site"] = [site]
        doc["project"] = proj
        west = round(-180 + pk.random() * 350, 4)
        south = round(-80 + pk.random() * 150, 4)
        doc["westBoundCoord"] = west
        doc["eastBoundCoord"] = round(west + pk.random() * 10, 4)
        doc["southBoundCoord"] = south
        doc["northBoundCoord"] = round(south + pk.random() * 10, 4)
        start = pk.below(len(VARIABLES))
        doc["attributeName"] = (VARIABLES[start:] + VARIABLES[:start])[:2 + pk.below(4)]

    def _packages(self, rng, docs, n_maps, used, id_taken):
        metas = [d for d in docs if is_metadata(d["formatId"]) and "obsoletedBy" not in d]
        datas = [d for d in docs if d["formatType"] == "DATA" and "obsoletedBy" not in d]
        rng.shuffle(metas)
        rng.shuffle(datas)
        ftype, media, _ = self.format_info(ORE_FORMAT)
        for k in range(min(n_maps, len(metas))):
            meta = metas[k]
            members = []
            for _ in range(rng.randrange(1, 7)):
                if datas:
                    members.append(datas.pop())
            pid = "resource_map_" + meta["id"]
            if pid in used or id_taken(pid):
                pid = "resource_map_urn:uuid:%032x" % rng.getrandbits(128)
            used.add(pid)
            meta["documents"] = [d["id"] for d in members]
            meta["resourceMap"] = [pid]
            for d in members:
                d["isDocumentedBy"] = [meta["id"]]
                d["resourceMap"] = [pid]
            uploaded = max(d["dateUploaded"] for d in [meta] + members) + 60000
            ore = {
                "id": pid, "formatId": ORE_FORMAT, "formatType": ftype or "RESOURCE",
                "checksumAlgorithm": "SHA-256", "dateUploaded": uploaded,
                "dateModified": uploaded, "rightsHolder": meta["rightsHolder"],
                "submitter": meta["submitter"], "authoritativeMN": meta["authoritativeMN"],
                "datasource": meta["datasource"], "replicaMN": list(meta["replicaMN"]),
                "isPublic": True, "readPermission": ["public"], "_src": "synthetic",
                "_version_": meta["_version_"] + 1, "_meta": meta["id"],
                "_data": [d["id"] for d in members],
            }
            if media:
                ore["mediaType"] = media
            ore["size"] = len(ore_bytes(ore))
            docs.append(ore)

    # -- bytes
    def payload(self, doc):
        """The object's bytes: exactly doc['size'] bytes, same for the same seed and pid."""
        pid = doc["id"]
        size = doc["size"]
        fmt = doc["formatId"]
        h = hashlib.sha256(("%d\x00%s" % (self.seed, pid)).encode("utf-8")).digest()
        rng = random.Random(int.from_bytes(h[:8], "big"))
        if fmt == ORE_FORMAT:
            return ore_bytes(doc)
        if is_metadata(fmt):
            return _pad_xml(_metadata_xml(doc), size, rng)
        if fmt in ("text/csv", "text/tsv"):
            return _table(rng, size, "\t" if fmt == "text/tsv" else ",")
        if fmt in ("text/plain", "application/R", "application/MATLAB"):
            return _text(rng, size)
        if fmt == "text/xml":
            return _pad_xml(b'<?xml version="1.0" encoding="UTF-8"?>\n<data/>\n', size, rng)
        magic = _MAGIC.get(fmt, b"")
        return _binary(rng, magic, size)


_CHUNK = 65536


def _binary(rng, magic, size):
    """Random-looking bytes: one random 64 KiB block per object, each 64 KiB chunk
    stamped with its index so that misplaced offsets still change the content."""
    base = rng.randbytes(min(size, _CHUNK))
    if size <= _CHUNK:
        data = base
    else:
        tail = base[8:]
        data = b"".join(struct.pack(">Q", i) + tail for i in range(size // _CHUNK + 1))[:size]
    if magic and size > len(magic):
        data = magic + data[len(magic):]
    return data


def _year_ms(year):
    import datetime as _dt
    return int((_dt.datetime(year, 1, 1, tzinfo=_dt.timezone.utc).timestamp())) * 1000


_YEAR_MS = {y: _year_ms(y) for y in range(1960, 2030)}


def _table(rng, size, sep):
    header = sep.join(["site", "date", "variable", "value", "flag"]) + "\n"
    lines = []
    for _ in range(97):
        lines.append(sep.join([
            rng.choice(SITES).split(" (")[0].replace(",", ""),
            "%04d-%02d-%02d" % (rng.randrange(1990, 2024), rng.randrange(1, 13), rng.randrange(1, 29)),
            rng.choice(VARIABLES), "%.3f" % rng.uniform(-5, 500), rng.choice(["", "", "Q", "E"])]))
    header = "row" + sep + header
    # One %-format per 97-line block keeps row numbers without a per-line Python cost.
    template = "".join("%d" + sep + line.replace("%", "%%") + "\n" for line in lines)
    parts = [header]
    total = len(header.encode("utf-8"))
    k = 0
    while total < size:
        block = template % tuple(range(k * 97 + 1, k * 97 + 98))
        parts.append(block)
        total += len(block) + 8  # rough: ASCII plus a few multi-byte site names
        k += 1
    data = "".join(parts).encode("utf-8")
    while len(data) < size:
        data += (template % tuple(range(k * 97 + 1, k * 97 + 98))).encode("utf-8")
        k += 1
    return _finish(data, size)


def _text(rng, size):
    words = KEYWORDS + VARIABLES + SITES
    lines = [" ".join(rng.choice(words) for _ in range(rng.randrange(4, 12))) for _ in range(61)]
    block = ("\n".join(lines) + "\n").encode("utf-8")
    return _finish(block * (size // len(block) + 1), size)


def _finish(data, size):
    """Cut text to size bytes ending in a newline, never splitting a UTF-8 sequence."""
    if size <= 0:
        return b""
    d = data[:size - 1]
    k = len(d)
    j = k - 1
    while j >= 0 and (d[j] & 0xC0) == 0x80:
        j -= 1
    if j >= 0 and d[j] >= 0xC0:
        need = 2 if d[j] < 0xE0 else 3 if d[j] < 0xF0 else 4
        if j + need > k:
            d = d[:j] + b" " * (k - j)
    return d + b"\n"


def _pad_xml(head, size, rng):
    """head followed by an XML comment of filler, to exactly size bytes."""
    if len(head) + 8 > size:
        return head[:size]  # cannot happen for generated sizes; keeps the size exact
    room = size - len(head) - 8  # "<!--" + filler + "-->" + "\n"
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
    block = " ".join(rng.choice(words) for _ in range(700)).encode("ascii") + b"\n"
    filler = (block * (room // len(block) + 1))[:room]
    return head + b"<!--" + filler + b"-->\n"


def _metadata_xml(doc):
    e = escape
    fmt = doc["formatId"]
    title = e(doc.get("title", ""))
    if fmt.startswith("eml://"):
        creators = []
        for name in doc.get("origin", []):
            parts = name.split(" ", 1)
            if len(parts) == 2 and name != doc.get("project"):
                creators.append("<creator><individualName><givenName>%s</givenName><surName>%s"
                                "</surName></individualName></creator>" % (e(parts[0]), e(parts[1])))
            else:
                creators.append("<creator><organizationName>%s</organizationName></creator>"
                                % e(name))
        kws = "".join("<keyword>%s</keyword>" % e(k) for k in doc.get("keywords", []))
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<eml:eml xmlns:eml="%s" packageId="%s" system="knb">\n'
            "<dataset><title>%s</title>%s<abstract><para>%s</para></abstract>"
            "<keywordSet>%s</keywordSet><coverage><geographicCoverage><geographicDescription>%s"
            "</geographicDescription><boundingCoordinates><westBoundingCoordinate>%s"
            "</westBoundingCoordinate><eastBoundingCoordinate>%s</eastBoundingCoordinate>"
            "<northBoundingCoordinate>%s</northBoundingCoordinate><southBoundingCoordinate>%s"
            "</southBoundingCoordinate></boundingCoordinates></geographicCoverage>"
            "</coverage><project><title>%s</title></project></dataset>\n</eml:eml>\n"
            % (e(fmt), e(doc["id"]), title, "".join(creators), e(doc.get("abstract", "")), kws,
               e(", ".join(doc.get("site", []))), doc.get("westBoundCoord"),
               doc.get("eastBoundCoord"), doc.get("northBoundCoord"), doc.get("southBoundCoord"),
               e(doc.get("project", ""))))
    elif fmt == "FGDC-STD-001-1998":
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<metadata><idinfo><citation><citeinfo>'
                "<origin>%s</origin><title>%s</title></citeinfo></citation><descript><abstract>%s"
                "</abstract></descript></idinfo></metadata>\n"
                % (e(doc.get("author", "")), title, e(doc.get("abstract", ""))))
    else:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<gmd:MD_Metadata '
                'xmlns:gmd="http://www.isotc211.org/2005/gmd" '
                'xmlns:gco="http://www.isotc211.org/2005/gco"><gmd:fileIdentifier>'
                "<gco:CharacterString>%s</gco:CharacterString></gmd:fileIdentifier>"
                "<gmd:identificationInfo><gmd:MD_DataIdentification><gmd:citation>"
                "<gmd:CI_Citation><gmd:title><gco:CharacterString>%s</gco:CharacterString>"
                "</gmd:title></gmd:CI_Citation></gmd:citation><gmd:abstract>"
                "<gco:CharacterString>%s</gco:CharacterString></gmd:abstract>"
                "</gmd:MD_DataIdentification></gmd:identificationInfo></gmd:MD_Metadata>\n"
                % (e(doc["id"]), title, e(doc.get("abstract", ""))))
    return body.encode("utf-8")


RESOLVE = "https://cn.dataone.org/cn/v2/resolve/"


def ore_bytes(doc):
    """RDF/XML resource map (DataONE style) of a synthetic package."""
    e = escape
    map_uri = RESOLVE + path_escape(doc["id"])
    agg = map_uri + "#aggregation"
    meta = doc["_meta"]
    datas = doc["_data"]
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<rdf:RDF\n'
           '    xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
           '    xmlns:cito="http://purl.org/spar/cito/"\n'
           '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
           '    xmlns:dcterms="http://purl.org/dc/terms/"\n'
           '    xmlns:ore="http://www.openarchives.org/ore/terms/">\n']
    out.append('  <rdf:Description rdf:about="%s">\n'
               '    <rdf:type rdf:resource="http://www.openarchives.org/ore/terms/ResourceMap"/>\n'
               '    <ore:describes rdf:resource="%s"/>\n'
               "    <dcterms:identifier>%s</dcterms:identifier>\n"
               "    <dc:format>application/rdf+xml</dc:format>\n"
               "  </rdf:Description>\n" % (e(map_uri), e(agg), e(doc["id"])))
    out.append('  <rdf:Description rdf:about="%s">\n'
               '    <rdf:type rdf:resource="http://www.openarchives.org/ore/terms/Aggregation"/>\n'
               '    <ore:isDescribedBy rdf:resource="%s"/>\n' % (e(agg), e(map_uri)))
    for pid in [meta] + datas:
        out.append('    <ore:aggregates rdf:resource="%s"/>\n' % e(RESOLVE + path_escape(pid)))
    out.append("  </rdf:Description>\n")
    out.append('  <rdf:Description rdf:about="%s">\n'
               "    <dcterms:identifier>%s</dcterms:identifier>\n"
               '    <ore:isAggregatedBy rdf:resource="%s"/>\n'
               % (e(RESOLVE + path_escape(meta)), e(meta), e(agg)))
    for pid in datas:
        out.append('    <cito:documents rdf:resource="%s"/>\n' % e(RESOLVE + path_escape(pid)))
    out.append("  </rdf:Description>\n")
    for pid in datas:
        out.append('  <rdf:Description rdf:about="%s">\n'
                   "    <dcterms:identifier>%s</dcterms:identifier>\n"
                   '    <ore:isAggregatedBy rdf:resource="%s"/>\n'
                   '    <cito:isDocumentedBy rdf:resource="%s"/>\n'
                   "  </rdf:Description>\n"
                   % (e(RESOLVE + path_escape(pid)), e(pid), e(agg),
                      e(RESOLVE + path_escape(meta))))
    out.append("</rdf:RDF>\n")
    return "".join(out).encode("utf-8")
