// The fields of message types as their structs declare them (std::tie of every member),
// written here and not taken from inspect(), and comparisons over those lists: a round-trip
// test that compares the decoded value by these lists fails when inspect() leaves a field
// out. A type added to a round-trip test gets its list here.
#pragma once

#include "messages/cache_types.hpp"
#include "messages/dataone_types.hpp"
#include "messages/http_types.hpp"
#include "messages/mobile_types.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace d1::test {

// -- mobile files (messages/mobile_types.hpp) -------------------------------------------

inline auto fields(const file_stat& x) {
  return std::tie(x.fs_id, x.dev, x.ino, x.mode, x.uid, x.gid, x.nlink, x.size, x.mtime_ns,
                  x.ctime_ns);
}
inline auto fields(const resource_record& x) {
  return std::tie(x.version, x.uid, x.spec, x.root, x.path, x.kwargs, x.algorithm, x.created);
}
inline auto fields(const file_record& x) {
  return std::tie(x.version, x.file_uid, x.resource_uid, x.root, x.rel_path, x.abs_path,
                  x.size, x.algorithm, x.digest, x.expected_digest, x.exists, x.state,
                  x.verified_at, x.hashed_at, x.stat);
}
inline auto fields(const file_ref& x) {
  return std::tie(x.resource_uid, x.file_uid);
}
inline auto fields(const path_refs& x) {
  return std::tie(x.version, x.abs_path, x.refs);
}
inline auto fields(const history_entry& x) {
  return std::tie(x.version, x.resource_uid, x.time, x.action, x.from_root, x.to_root,
                  x.job_id, x.files);
}
inline auto fields(const journal_entry& x) {
  return std::tie(x.version, x.seq, x.command, x.args, x.kwargs, x.started, x.finished,
                  x.success, x.error, x.job_id);
}
inline auto fields(const job_file& x) {
  return std::tie(x.root, x.rel_path, x.size, x.state, x.detail, x.attempts);
}
inline auto fields(const job_request& x) {
  return std::tie(x.kind, x.uid, x.src_root, x.dst_root, x.level, x.force_last, x.dry_run,
                  x.only, x.retry_of, x.spec, x.root, x.path, x.kwargs, x.algorithm);
}
inline auto fields(const plan_step& x) {
  return std::tie(x.action, x.from, x.to, x.size, x.note);
}
inline auto fields(const job_ticket& x) {
  return std::tie(x.job_id, x.resource_uid, x.dry_run, x.plan);
}
inline auto fields(const job_progress& x) {
  return std::tie(x.files_done, x.files_total, x.files_failed, x.bytes_done, x.bytes_total,
                  x.rate);
}
inline auto fields(const job_record& x) {
  return std::tie(x.version, x.id, x.request, x.state, x.phase, x.files, x.progress, x.error,
                  x.error_code, x.journal_seq, x.created, x.started, x.finished);
}
inline auto fields(const copy_location& x) {
  return std::tie(x.root, x.files, x.files_expected, x.files_ok, x.verified, x.preference,
                  x.verified_at, x.hashed_at, x.files_bad, x.problem, x.local_root);
}
inline auto fields(const location_report& x) {
  return std::tie(x.resource_uid, x.host, x.preferred_root, x.copies);
}
inline auto fields(const resource_detail& x) {
  return std::tie(x.resource, x.rel_paths, x.files);
}
inline auto fields(const root_shift& x) {
  return std::tie(x.before, x.after, x.files);
}
inline auto fields(const catalogue_report& x) {
  return std::tie(x.resources, x.files, x.paths, x.jobs, x.problems);
}
inline auto fields(const hash_request& x) {
  return std::tie(x.job_id, x.root, x.rel_path, x.algorithm, x.level, x.expected_size,
                  x.expected_digest, x.has_expected, x.expected_stat);
}
inline auto fields(const hash_result& x) {
  return std::tie(x.state, x.size, x.digest, x.detail, x.stat, x.transient);
}
inline auto fields(const copy_result& x) {
  return std::tie(x.size, x.digest, x.adopted, x.stat);
}
inline auto fields(const copy_item& x) {
  return std::tie(x.rel_path, x.expected_digest, x.expected_size);
}
inline auto fields(const copy_batch_request& x) {
  return std::tie(x.job_id, x.src_root, x.dst_root, x.algorithm, x.items,
                  x.clean_temporaries);
}
inline auto fields(const copy_outcome& x) {
  return std::tie(x.result, x.error, x.transient);
}
inline auto fields(const copy_batch_result& x) {
  return std::tie(x.outcomes);
}
inline auto fields(const staged_copy& x) {
  return std::tie(x.index, x.rel_dir, x.leaf, x.tmp_leaf, x.result, x.source, x.temp,
                  x.checked_final);
}
inline auto fields(const staged_copy_batch& x) {
  return std::tie(x.job_id, x.dst_root, x.algorithm, x.direct_reads, x.out, x.staged,
                  x.adopted_dirs);
}
inline auto fields(const remove_witness& x) {
  return std::tie(x.root, x.rel_path, x.algorithm, x.digest, x.stat);
}
inline auto fields(const remove_item& x) {
  return std::tie(x.rel_path, x.algorithm, x.digest, x.stat, x.witnesses);
}
inline auto fields(const remove_batch_request& x) {
  return std::tie(x.job_id, x.root, x.recheck, x.force_last, x.items);
}
inline auto fields(const witness_finding& x) {
  return std::tie(x.witness, x.state, x.detail);
}
inline auto fields(const remove_outcome& x) {
  return std::tie(x.removed, x.error, x.transient, x.findings);
}

// -- DataONE (messages/dataone_types.hpp) -------------------------------------------------

inline auto fields(const checksum_value& x) {
  return std::tie(x.algorithm, x.value);
}
inline auto fields(const system_metadata& x) {
  return std::tie(x.identifier, x.format_id, x.size, x.checksum, x.submitter, x.rights_holder,
                  x.origin_member_node, x.authoritative_member_node, x.obsoletes,
                  x.obsoleted_by, x.date_uploaded, x.date_modified, x.file_name, x.media_type,
                  x.archived, x.replica_member_nodes, x.xml);
}
inline auto fields(const object_location& x) {
  return std::tie(x.node_identifier, x.base_url, x.url);
}
inline auto fields(const object_format& x) {
  return std::tie(x.id, x.name, x.type, x.media_type, x.extension);
}
inline auto fields(const node_description& x) {
  return std::tie(x.identifier, x.name, x.description, x.base_url, x.type, x.state,
                  x.replicate, x.synchronize, x.services);
}
inline auto fields(const solr_field& x) {
  return std::tie(x.name, x.values);
}
inline auto fields(const solr_record& x) {
  return std::tie(x.fields);
}
inline auto fields(const facet_count& x) {
  return std::tie(x.value, x.count);
}
inline auto fields(const facet_field_counts& x) {
  return std::tie(x.field, x.counts);
}
inline auto fields(const solr_response& x) {
  return std::tie(x.num_found, x.start, x.docs, x.next_cursor_mark, x.facets,
                  x.facet_queries);
}
inline auto fields(const query_field& x) {
  return std::tie(x.name, x.type, x.searchable, x.returnable, x.multivalued, x.description);
}
inline auto fields(const solr_query& x) {
  return std::tie(x.q, x.fq, x.fl, x.rows, x.start, x.sort, x.cursor_mark, x.facet_fields,
                  x.facet_limit, x.facet_mincount, x.facet_sort, x.facet_offset,
                  x.facet_queries, x.prefetch_rows);
}
inline auto fields(const documenting_object& x) {
  return std::tie(x.pid, x.file_name, x.size, x.checksum, x.date_uploaded);
}
inline auto fields(const object_descriptor& x) {
  return std::tie(x.pid, x.sysmeta, x.indexed, x.record, x.format_type, x.file_name,
                  x.documented_by, x.documented_by_partial);
}

// -- HTTP (messages/http_types.hpp) -----------------------------------------------------------

inline auto fields(const http_header& x) {
  return std::tie(x.name, x.value);
}
// Not `sink`: a pointer into this process, never sent.
inline auto fields(const http_request& x) {
  return std::tie(x.method, x.url, x.headers, x.timeout_ms, x.output_path, x.max_body_bytes,
                  x.stall_ms);
}
inline auto fields(const http_response& x) {
  return std::tie(x.status, x.headers, x.body, x.body_bytes, x.effective_url);
}

// -- caches (messages/cache_types.hpp) -----------------------------------------------------

inline auto fields(const cached_attr& x) {
  return std::tie(x.found, x.info);
}
inline auto fields(const cached_listing& x) {
  return std::tie(x.found, x.value);
}
inline auto fields(const cache_stats& x) {
  return std::tie(x.entries, x.memory_bytes, x.hits, x.disk_hits, x.misses, x.expired,
                  x.evictions, x.writes, x.fetched_bytes, x.errors, x.last_error,
                  x.last_error_at, x.checksum_failures, x.partial_bytes, x.active_downloads,
                  x.disk_full);
}
inline auto fields(const checksum_failure& x) {
  return std::tie(x.at_ms, x.pid, x.sources, x.algorithm, x.expected, x.computed, x.bytes);
}
inline auto fields(const download_progress& x) {
  return std::tie(x.pid, x.bytes_present, x.size, x.rate, x.elapsed_ms, x.transfers,
                  x.readers, x.nodes);
}
inline auto fields(const content_report& x) {
  return std::tie(x.verified_objects, x.verified_bytes, x.partial_objects, x.partial_bytes,
                  x.max_bytes, x.fetched_bytes, x.checksum_failures, x.disk_full, x.downloads,
                  x.failures);
}
inline auto fields(const partial_object& x) {
  return std::tie(x.ref, x.ranges);
}

// -- comparing by those lists (a type without one compares with ==) ---------------------

template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(fields(std::declval<const T&>()))>>
  : std::true_type {};

// A path of field indexes: `index` of a record (or `[index]` of a list) and then `inner`,
// the path inside that field ("value" when the field itself is meant).
inline std::string field_path(const std::string& index, const std::string& inner) {
  return inner == "value" ? index : index + "." + inner;
}

template <class Tuple, class Check, size_t... I>
std::string first_path(const Tuple& a, const Tuple& b, Check check, std::index_sequence<I...>) {
  std::string out;
  auto note = [&](size_t index, const std::string& inner) {
    if (out.empty() && !inner.empty())
      out = field_path(std::to_string(index), inner);
  };
  (note(I, check(std::get<I>(a), std::get<I>(b))), ...);
  return out;
}

// The path of the first field where check(field of a, same field of b) gives a path; "".
template <class T, class Check>
std::string first_field_path(const T& a, const T& b, Check check) {
  auto fa = fields(a);
  return first_path(fa, fields(b), check,
                    std::make_index_sequence<std::tuple_size_v<decltype(fa)>>{});
}

/// Where `a` and `b` first differ, as a path of field indexes ("14.3", "2.[0].1"); ""
/// when every field is equal.
template <class T>
std::string difference(const T& a, const T& b);

template <class T>
std::string difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size())
    return "size";
  for (size_t i = 0; i < a.size(); ++i)
    if (auto d = difference(a[i], b[i]); !d.empty())
      return field_path("[" + std::to_string(i) + "]", d);
  return {};
}

template <class T>
std::string difference(const T& a, const T& b) {
  if constexpr (has_fields<T>::value)
    return first_field_path(a, b, [](const auto& x, const auto& y) { return difference(x, y); });
  else
    return a == b ? std::string{} : std::string{"value"};
}

/// Where `x` still has a default value, as a path like difference's; "" when every field,
/// and every field of every element of a list of records, differs from what a
/// default-constructed record holds there. An empty list counts as not set. A sample for
/// a round trip sets everything: a field inspect() drops comes back with its default.
template <class T>
std::string defaulted_field(const T& x, const T& none);

template <class T>
std::string defaulted_field(const std::vector<T>& xs, const std::vector<T>&) {
  if (xs.empty())
    return "empty";
  if constexpr (has_fields<T>::value) {
    const T none{};
    for (size_t i = 0; i < xs.size(); ++i)
      if (auto d = defaulted_field(xs[i], none); !d.empty())
        return field_path("[" + std::to_string(i) + "]", d);
  }
  return {};
}

template <class T>
std::string defaulted_field(const T& x, const T& none) {
  if constexpr (has_fields<T>::value)
    return first_field_path(x, none,
                            [](const auto& a, const auto& b) { return defaulted_field(a, b); });
  else
    return x == none ? std::string{"value"} : std::string{};
}

template <class T>
std::string defaulted_field(const T& x) {
  const T none{};
  return defaulted_field(x, none);
}

/// Expects `back` (`x` after a round trip) to have every field of `x`, and `x` to set every
/// field (see defaulted_field).
template <class T>
void expect_same_fields(const T& back, const T& x) {
  EXPECT_EQ(defaulted_field(x), "") << "the sample leaves this field at its default";
  EXPECT_EQ(difference(back, x), "") << "this field did not come back";
}

/// `x` through CAF's binary serializer and back (a test failure if either side fails or
/// bytes are left over).
template <class T>
T caf_round_trip(const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{static_cast<caf::execution_unit*>(nullptr), buf};
  EXPECT_FALSE(sink(const_cast<T&>(x)));
  T y{};
  caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr), buf};
  EXPECT_FALSE(source(y));
  EXPECT_EQ(source.remaining(), 0u);
  return y;
}

}  // namespace d1::test
