// DataONE documents as values: system metadata, object locations, formats, nodes, Solr
// records and responses. Parsed in actors/dataone, carried in messages, cached in LMDB.
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

struct checksum_value {
  std::string algorithm;  // as DataONE spells it: "MD5", "SHA-1", "SHA-256"
  std::string value;      // lowercase hex
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checksum_value& x) {
  return f(caf::meta::type_name("checksum_value"), x.algorithm, x.value);
}

/// The fields of a systemMetadata document (v1 or v2) that d1drive uses, plus the raw
/// document so `system.xml` shows exactly what the node sent.
struct system_metadata {
  std::string identifier;
  std::string format_id;
  uint64_t size = 0;
  checksum_value checksum;
  std::string submitter;
  std::string rights_holder;
  std::string origin_member_node;
  std::string authoritative_member_node;
  std::string obsoletes;
  std::string obsoleted_by;
  std::string date_uploaded;
  std::string date_modified;
  std::string file_name;   // v2 only, may be empty
  std::string media_type;  // v2 only, may be empty
  bool archived = false;
  std::vector<std::string> replica_member_nodes;
  std::string xml;  // the document as received
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, system_metadata& x) {
  return f(caf::meta::type_name("system_metadata"), x.identifier, x.format_id, x.size,
           x.checksum, x.submitter, x.rights_holder, x.origin_member_node,
           x.authoritative_member_node, x.obsoletes, x.obsoleted_by, x.date_uploaded,
           x.date_modified, x.file_name, x.media_type, x.archived, x.replica_member_nodes,
           x.xml);
}

/// One entry of an objectLocationList: where the bytes of an object can be read.
struct object_location {
  std::string node_identifier;
  std::string base_url;
  std::string url;  // the full object URL on that node
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_location& x) {
  return f(caf::meta::type_name("object_location"), x.node_identifier, x.base_url, x.url);
}

/// One entry of the CN object format list.
struct object_format {
  std::string id;
  std::string name;
  std::string type;  // DATA, METADATA or RESOURCE
  std::string media_type;
  std::string extension;  // without the dot, may be empty
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_format& x) {
  return f(caf::meta::type_name("object_format"), x.id, x.name, x.type, x.media_type,
           x.extension);
}

/// One node of the CN node list.
struct node_description {
  std::string identifier;
  std::string name;
  std::string description;
  std::string base_url;
  std::string type;   // "cn" or "mn"
  std::string state;  // "up" or "down"
  bool replicate = false;
  bool synchronize = false;
  std::vector<std::string> services;  // "MNCore v2 (available)" etc.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_description& x) {
  return f(caf::meta::type_name("node_description"), x.identifier, x.name, x.description,
           x.base_url, x.type, x.state, x.replicate, x.synchronize, x.services);
}

/// One field of a Solr document; single-valued fields have one value.
struct solr_field {
  std::string name;
  std::vector<std::string> values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, solr_field& x) {
  return f(caf::meta::type_name("solr_field"), x.name, x.values);
}

/// One Solr document, fields in the order the index returned them.
struct solr_record {
  std::vector<solr_field> fields;

  /// Returns the first value of `name`, or an empty string.
  const std::string& first(const std::string& name) const {
    static const std::string empty;
    for (auto& fld : fields)
      if (fld.name == name && !fld.values.empty())
        return fld.values.front();
    return empty;
  }
  /// Returns all values of `name` (empty if absent).
  std::vector<std::string> all(const std::string& name) const {
    for (auto& fld : fields)
      if (fld.name == name)
        return fld.values;
    return {};
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, solr_record& x) {
  return f(caf::meta::type_name("solr_record"), x.fields);
}

struct facet_count {
  std::string value;
  uint64_t count = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, facet_count& x) {
  return f(caf::meta::type_name("facet_count"), x.value, x.count);
}

struct facet_field_counts {
  std::string field;
  std::vector<facet_count> counts;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, facet_field_counts& x) {
  return f(caf::meta::type_name("facet_field_counts"), x.field, x.counts);
}

/// A parsed Solr select response.
struct solr_response {
  uint64_t num_found = 0;
  uint64_t start = 0;
  std::vector<solr_record> docs;
  std::string next_cursor_mark;  // empty unless the query used cursorMark
  std::vector<facet_field_counts> facets;
  std::vector<facet_count> facet_queries;  // each facet.query as sent, with its count
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, solr_response& x) {
  return f(caf::meta::type_name("solr_response"), x.num_found, x.start, x.docs,
           x.next_cursor_mark, x.facets, x.facet_queries);
}

/// One field of the query engine description.
struct query_field {
  std::string name;
  std::string type;
  bool searchable = false;
  bool returnable = false;
  bool multivalued = false;
  std::string description;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, query_field& x) {
  return f(caf::meta::type_name("query_field"), x.name, x.type, x.searchable, x.returnable,
           x.multivalued, x.description);
}

/// A Solr select request before URL encoding; see messages/solr_query.hpp.
struct solr_query {
  std::string q = "*:*";
  std::vector<std::string> fq;
  std::vector<std::string> fl;
  uint64_t rows = 0;
  uint64_t start = 0;
  std::string sort;
  std::string cursor_mark;  // "*" starts a cursor walk; sort must then include id
  std::vector<std::string> facet_fields;
  int64_t facet_limit = -1;  // -1: Solr's default
  uint64_t facet_mincount = 1;
  std::string facet_sort;  // "count" or "index"; empty: Solr's default
  uint64_t facet_offset = 0;
  std::vector<std::string> facet_queries;  // facet.query: one count per query
  /// Cursor walks: the caller will ask for the next page with this many rows, so
  /// solr_querier asks for it as soon as this page's cursor is known (not part of the
  /// URL; the caller's own request then joins it). 0: no page ahead.
  uint64_t prefetch_rows = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, solr_query& x) {
  return f(caf::meta::type_name("solr_query"), x.q, x.fq, x.fl, x.rows, x.start, x.sort,
           x.cursor_mark, x.facet_fields, x.facet_limit, x.facet_mincount, x.facet_sort,
           x.facet_offset, x.prefetch_rows, x.facet_queries);
}

}  // namespace d1

namespace d1 {

/// A science metadata document shown beside the data it describes (the data object's
/// isDocumentedBy): its bytes are read and verified like the data's.
struct documenting_object {
  std::string pid;
  std::string file_name;      // its name in the data object's folder
  uint64_t size = 0;          // from its system metadata
  checksum_value checksum;    // from its system metadata
  std::string date_uploaded;  // from its system metadata
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, documenting_object& x) {
  return f(caf::meta::type_name("documenting_object"), x.pid, x.file_name, x.size, x.checksum,
           x.date_uploaded);
}

/// Everything d1_object knows about one PID: enough to build its folder.
struct object_descriptor {
  std::string pid;
  system_metadata sysmeta;
  bool indexed = false;   // the Solr index has a record for this PID
  solr_record record;     // valid if indexed
  std::string format_type;  // DATA, METADATA or RESOURCE
  std::string file_name;    // the name the bytes get in the object folder
  /// The metadata documents of a DATA object, filled by d1_object when the folder's
  /// contents are asked for (empty in a bare descriptor).
  std::vector<documenting_object> documented_by;
  bool documented_by_partial = false;  // some could not be resolved (ask again later)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, object_descriptor& x) {
  return f(caf::meta::type_name("object_descriptor"), x.pid, x.sysmeta, x.indexed, x.record,
           x.format_type, x.file_name, x.documented_by, x.documented_by_partial);
}

/// What solr_querier did since it started; for Status.
struct solr_querier_stats {
  uint64_t selects = 0;        // select and record requests received
  uint64_t requests_sent = 0;  // HTTP transfers, retries included
  uint64_t retries = 0;        // of those, repeats after a transient failure
  uint64_t coalesced = 0;      // selects that joined an identical one in flight
  uint64_t failures = 0;       // queries (not callers) that ended in an error
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, solr_querier_stats& x) {
  return f(caf::meta::type_name("solr_querier_stats"), x.selects, x.requests_sent, x.retries,
           x.coalesced, x.failures);
}

}  // namespace d1
