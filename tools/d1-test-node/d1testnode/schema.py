"""Solr field schema of the test CN, read from the query engine description.

Maps each field to a value kind (string, text, date, int, float, bool), its flags and
the copy fields a real DataONE index fills from other fields.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass

KIND_BY_TYPE = {
    "string": "string",
    "alphaOnlySort": "string",
    "text_general": "text",
    "text_en_splitting": "text",
    "tdate": "date",
    "date": "date",
    "tlong": "int",
    "long": "int",
    "int": "int",
    "tint": "int",
    "tfloat": "float",
    "float": "float",
    "tdouble": "float",
    "double": "float",
    "boolean": "bool",
}

# Fields a real DataONE index fills from others (not stored, searchable only).
COPY_FIELDS = {
    "keywordsText": ("keywords",),
    "originText": ("origin",),
    "investigatorText": ("investigator",),
    "siteText": ("site",),
    "projectText": ("project",),
    "sourceText": ("source",),
    "parameterText": ("parameter",),
    "termText": ("term",),
    "topicText": ("topic",),
    "sensorText": ("sensor",),
    "contactOrganizationText": ("contactOrganization",),
    "titlestr": ("title",),
    "authorSurNameSort": ("authorSurName",),
    "authorGivenNameSort": ("authorGivenName",),
    "text": ("id", "title", "abstract", "keywords", "origin", "investigator", "site",
             "project", "attributeName", "fileName"),
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    kind: str
    searchable: bool
    returnable: bool
    sortable: bool
    multivalued: bool


def _flag(elem, tag, default=False):
    text = elem.findtext(tag)
    if text is None:
        return default
    return text.strip().lower() == "true"


class Schema:
    """The fields of the index, in description order."""

    def __init__(self, fields):
        self.fields = {f.name: f for f in fields}
        self.order = [f.name for f in fields]
        self.returnable = [f.name for f in fields if f.returnable]

    @classmethod
    def from_description(cls, xml_bytes):
        root = ET.fromstring(xml_bytes)
        fields = []
        for qf in root.iter("queryField"):
            name = (qf.findtext("name") or "").strip()
            ftype = (qf.findtext("type") or "string").strip()
            if not name:
                continue
            fields.append(Field(
                name=name, type=ftype, kind=KIND_BY_TYPE.get(ftype, "string"),
                searchable=_flag(qf, "searchable", True),
                returnable=_flag(qf, "returnable", True),
                sortable=_flag(qf, "sortable", False),
                multivalued=_flag(qf, "multivalued", False)))
        return cls(fields)

    def get(self, name):
        return self.fields.get(name)

    def __contains__(self, name):
        return name in self.fields


# Used when the fixtures (and thus the real description) are absent: the subset of
# the production description that the corpus fills, with the same types and flags.
_BUILTIN = [
    # name, type, searchable, returnable, sortable, multivalued
    ("_version_", "long", True, True, False, False),
    ("abstract", "text_general", True, True, True, False),
    ("attributeName", "string", True, True, True, True),
    ("author", "string", True, True, True, False),
    ("authorGivenName", "string", True, True, True, False),
    ("authorGivenNameSort", "alphaOnlySort", True, True, True, False),
    ("authoritativeMN", "string", True, True, True, False),
    ("authorLastName", "string", True, True, True, True),
    ("authorSurName", "string", True, True, True, False),
    ("authorSurNameSort", "alphaOnlySort", True, True, True, False),
    ("beginDate", "tdate", True, True, True, False),
    ("checksum", "string", False, True, True, False),
    ("checksumAlgorithm", "string", False, True, True, False),
    ("datasource", "string", True, True, True, False),
    ("dateModified", "tdate", True, True, True, False),
    ("dateUploaded", "tdate", True, True, True, False),
    ("documents", "string", True, True, True, True),
    ("eastBoundCoord", "tfloat", True, True, True, False),
    ("endDate", "tdate", True, True, True, False),
    ("fileName", "string", True, True, True, False),
    ("formatId", "string", True, True, True, False),
    ("formatType", "string", True, True, True, False),
    ("id", "string", True, True, True, False),
    ("investigator", "string", True, True, True, True),
    ("investigatorText", "text_general", True, False, True, True),
    ("isDocumentedBy", "string", True, True, True, True),
    ("isPublic", "boolean", True, True, True, False),
    ("keywords", "string", True, True, True, True),
    ("keywordsText", "text_general", True, False, True, True),
    ("mediaType", "string", True, True, True, False),
    ("northBoundCoord", "tfloat", True, True, True, False),
    ("obsoletedBy", "string", True, True, True, False),
    ("obsoletes", "string", True, True, True, False),
    ("origin", "string", True, True, True, True),
    ("originText", "text_general", True, False, True, True),
    ("project", "string", True, True, True, False),
    ("projectText", "text_general", True, False, False, True),
    ("readPermission", "string", True, True, True, True),
    ("replicaMN", "string", True, True, True, True),
    ("resourceMap", "string", True, True, True, True),
    ("rightsHolder", "string", True, True, True, False),
    ("seriesId", "string", True, True, True, False),
    ("site", "string", True, True, True, True),
    ("siteText", "text_general", True, False, True, True),
    ("size", "tlong", True, True, True, False),
    ("southBoundCoord", "tfloat", True, True, True, False),
    ("submitter", "string", True, True, True, False),
    ("text", "text_en_splitting", True, True, True, False),
    ("title", "text_general", True, True, True, False),
    ("titlestr", "string", True, False, True, False),
    ("westBoundCoord", "tfloat", True, True, True, False),
]


def builtin_schema():
    return Schema([Field(n, t, KIND_BY_TYPE[t], s, r, so, m) for n, t, s, r, so, m in _BUILTIN])


def builtin_description_xml(schema):
    """A query engine description document for the built-in schema."""
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<ns2:queryEngineDescription xmlns:ns2="http://ns.dataone.org/service/types/v1.1">\n'
             '    <queryEngineVersion>8.11.2</queryEngineVersion>\n'
             '    <querySchemaVersion>1.1</querySchemaVersion>\n'
             '    <name>solr</name>\n']
    for name in schema.order:
        f = schema.fields[name]
        parts.append(
            "    <queryField>\n        <name>%s</name>\n        <type>%s</type>\n"
            "        <searchable>%s</searchable>\n        <returnable>%s</returnable>\n"
            "        <sortable>%s</sortable>\n        <multivalued>%s</multivalued>\n"
            "    </queryField>\n" % (f.name, f.type, str(f.searchable).lower(),
                                     str(f.returnable).lower(), str(f.sortable).lower(),
                                     str(f.multivalued).lower()))
    parts.append("</ns2:queryEngineDescription>\n")
    return "".join(parts).encode("utf-8")
