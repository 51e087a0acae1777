"""DataONE XML documents the node writes: errors, v2 system metadata, resolve
lists, node documents, checksums. Also the path escaping DataONE clients use.
"""

import re
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

NS_V1 = "http://ns.dataone.org/service/types/v1"
NS_V2 = "http://ns.dataone.org/service/types/v2.0"

ERROR_NAMES = {
    400: "InvalidRequest",
    401: "InvalidToken",
    403: "NotAuthorized",
    404: "NotFound",
    405: "NotImplemented",
    409: "IdentifierNotUnique",
    413: "InvalidRequest",
    416: "InvalidRequest",
    429: "ServiceFailure",
    500: "ServiceFailure",
    501: "NotImplemented",
    502: "ServiceFailure",
    503: "ServiceFailure",
    504: "ServiceFailure",
}

# Characters DataONE leaves unescaped in a path segment (see tricky_identifiers.json).
PATH_SAFE = ":@$!*()',~&="


_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~" + PATH_SAFE)
_ASCII_ESCAPED = {chr(c): (chr(c) if chr(c) in _UNRESERVED else "%%%02X" % c) for c in range(128)}


def path_escape(pid):
    """Percent-encode an identifier for one URL path segment, as DataONE clients do."""
    if pid.isascii():
        return "".join([_ASCII_ESCAPED[c] for c in pid])
    return quote(pid, safe=PATH_SAFE)


def error_xml(status, description, detail_code="0", name=None):
    name = name or ERROR_NAMES.get(status, "ServiceFailure")
    return ('<?xml version="1.0" encoding="UTF-8"?><error detailCode=%s errorCode="%d" name=%s>'
            "<description>%s</description></error>"
            % (quoteattr(str(detail_code)), status, quoteattr(name), escape(description))
            ).encode("utf-8")


def sysmeta_v2(rec):
    """System metadata v2 for a generated object. rec is a dict with: pid, formatId,
    size, checksum, checksumAlgorithm, submitter, rightsHolder, dateUploaded,
    dateSysMetadataModified (ISO strings), originMN, authoritativeMN, replicas (list),
    and optional obsoletes, obsoletedBy, seriesId, mediaType, fileName, serialVersion."""
    e = escape
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<ns3:systemMetadata xmlns:ns2="%s" xmlns:ns3="%s">' % (NS_V1, NS_V2),
             "<serialVersion>%d</serialVersion>" % rec.get("serialVersion", 1),
             "<identifier>%s</identifier>" % e(rec["pid"]),
             "<formatId>%s</formatId>" % e(rec["formatId"]),
             "<size>%d</size>" % rec["size"],
             '<checksum algorithm=%s>%s</checksum>' % (quoteattr(rec["checksumAlgorithm"]),
                                                       e(rec["checksum"])),
             "<submitter>%s</submitter>" % e(rec["submitter"]),
             "<rightsHolder>%s</rightsHolder>" % e(rec["rightsHolder"]),
             "<accessPolicy><allow><subject>public</subject><permission>read</permission>"
             "</allow></accessPolicy>",
             '<replicationPolicy replicationAllowed="true" numberReplicas="2"/>']
    if rec.get("obsoletes"):
        parts.append("<obsoletes>%s</obsoletes>" % e(rec["obsoletes"]))
    if rec.get("obsoletedBy"):
        parts.append("<obsoletedBy>%s</obsoletedBy>" % e(rec["obsoletedBy"]))
    parts.append("<archived>false</archived>")
    parts.append("<dateUploaded>%s</dateUploaded>" % rec["dateUploaded"])
    parts.append("<dateSysMetadataModified>%s</dateSysMetadataModified>"
                 % rec["dateSysMetadataModified"])
    parts.append("<originMemberNode>%s</originMemberNode>" % e(rec["originMN"]))
    parts.append("<authoritativeMemberNode>%s</authoritativeMemberNode>" % e(rec["authoritativeMN"]))
    for r in rec.get("replicas", ()):
        parts.append("<replica><replicaMemberNode>%s</replicaMemberNode>"
                     "<replicationStatus>completed</replicationStatus>"
                     "<replicaVerified>%s</replicaVerified></replica>"
                     % (e(r), rec["dateSysMetadataModified"]))
    if rec.get("seriesId"):
        parts.append("<seriesId>%s</seriesId>" % e(rec["seriesId"]))
    if rec.get("mediaType"):
        parts.append("<mediaType name=%s/>" % quoteattr(rec["mediaType"]))
    if rec.get("fileName"):
        parts.append("<fileName>%s</fileName>" % e(rec["fileName"]))
    parts.append("</ns3:systemMetadata>")
    return "".join(parts).encode("utf-8")


def object_location_list(pid, locations):
    """locations: [(node_id, base_url, url)], authoritative first."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<ns2:objectLocationList xmlns:ns2="%s">' % NS_V1,
             "<identifier>%s</identifier>" % escape(pid)]
    for node_id, base_url, url in locations:
        parts.append("<objectLocation><nodeIdentifier>%s</nodeIdentifier><baseURL>%s</baseURL>"
                     "<version>v1</version><version>v2</version><url>%s</url></objectLocation>"
                     % (escape(node_id), escape(base_url), escape(url)))
    parts.append("</ns2:objectLocationList>")
    return "".join(parts).encode("utf-8")


def checksum_xml(algorithm, value):
    return ('<?xml version="1.0" encoding="UTF-8"?><ns2:checksum xmlns:ns2="%s" algorithm=%s>'
            "%s</ns2:checksum>" % (NS_V1, quoteattr(algorithm), escape(value))).encode("utf-8")


CN_ID = "urn:node:D1TESTCN"
MN_ID = "urn:node:D1TESTMN"
# A server of object bytes alone (--object-base-url, e.g. nginx in benchmarks).
EXT_MN_ID = "urn:node:D1TESTEXT"


def node_element(kind, base_url, indent="    ", mn_id=MN_ID):
    """The <node> element of the test CN (kind 'cn') or an MN (kind 'mn', id `mn_id`)."""
    if kind == "cn":
        ident, name = CN_ID, "d1-test-node CN"
        desc = "Stand-in Coordinating Node of d1-test-node (loopback test fixture)"
        services = ["CNCore", "CNRead"]
        attrs = 'replicate="false" synchronize="false" type="cn" state="up"'
    else:
        ident, name = mn_id, "d1-test-node MN"
        desc = "Stand-in member node of d1-test-node (loopback test fixture)"
        services = ["MNCore", "MNRead"]
        attrs = 'replicate="false" synchronize="true" type="mn" state="up"'
    i2 = indent + "    "
    i3 = i2 + "    "
    lines = ["%s<node %s>" % (indent, attrs),
             "%s<identifier>%s</identifier>" % (i2, ident),
             "%s<name>%s</name>" % (i2, name),
             "%s<description>%s</description>" % (i2, desc),
             "%s<baseURL>%s</baseURL>" % (i2, escape(base_url)),
             "%s<services>" % i2]
    for version in ("v1", "v2"):
        for s in services:
            lines.append('%s<service name="%s" version="%s" available="true"/>' % (i3, s, version))
    lines.append("%s</services>" % i2)
    if kind == "mn":
        lines.append('%s<synchronization><schedule hour="*" mday="*" min="0/3" mon="*" sec="10" '
                     'wday="?" year="*"/></synchronization>' % i2)
    lines.append("%s<subject>CN=%s,DC=dataone,DC=org</subject>" % (i2, ident))
    lines.append("%s<contactSubject>CN=d1-test-node,DC=dataone,DC=org</contactSubject>" % i2)
    lines.append("%s</node>" % indent)
    return "\n".join(lines)


def own_node_document(kind, base_url, mn_id=MN_ID):
    body = node_element(kind, base_url, indent="", mn_id=mn_id)
    body = body.replace("<node ", '<ns3:node xmlns:ns2="%s" xmlns:ns3="%s" ' % (NS_V1, NS_V2), 1)
    body = body[: body.rfind("</node>")] + "</ns3:node>"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n").encode("utf-8")


_NODELIST_OPEN = re.compile(rb"<(?:\w+:)?nodeList\b[^>]*>")


def node_list(fixture_bytes, cn_base, mn_base):
    """The fixture node list with the test CN and MN inserted first."""
    own = ("\n" + node_element("cn", cn_base) + "\n" + node_element("mn", mn_base)).encode("utf-8")
    if fixture_bytes:
        m = _NODELIST_OPEN.search(fixture_bytes)
        if m:
            return fixture_bytes[:m.end()] + own + fixture_bytes[m.end():]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<ns3:nodeList xmlns:ns2="%s" xmlns:ns3="%s">'
            % (NS_V1, NS_V2)).encode("utf-8") + own + b"\n</ns3:nodeList>\n"


def builtin_format_list(formats):
    """An objectFormatList for the built-in formats (used without fixtures).
    formats: [(formatId, formatName, formatType, mediaType, extension)]."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<ns3:objectFormatList xmlns:ns2="%s" xmlns:ns3="%s" count="%d" start="0" total="%d">\n'
             % (NS_V1, NS_V2, len(formats), len(formats))]
    for fid, fname, ftype, media, ext in formats:
        parts.append("    <objectFormat>\n        <formatId>%s</formatId>\n"
                     "        <formatName>%s</formatName>\n        <formatType>%s</formatType>\n"
                     "        <mediaType name=%s/>\n        <extension>%s</extension>\n"
                     "    </objectFormat>\n" % (escape(fid), escape(fname), ftype,
                                                quoteattr(media), escape(ext)))
    parts.append("</ns3:objectFormatList>\n")
    return "".join(parts).encode("utf-8")
