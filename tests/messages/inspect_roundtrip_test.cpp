// Every message type survives serialize → deserialize with every field intact. Fields are
// compared one by one (not through inspect: by hand, or by tests/messages/field_lists.hpp),
// so a field missing from inspect() fails here.
#include "messages/cache_types.hpp"
#include "messages/dataone_types.hpp"
#include "messages/fs_types.hpp"
#include "messages/http_types.hpp"

#include "tests/messages/field_lists.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

template <class T>
T roundtrip(const T& x) {
  return test::caf_round_trip(x);
}

object_ref sample_ref() {
  return object_ref{"doi:10.5063/F1", 42, "SHA-256", "ab12"};
}

node_info sample_info() {
  node_info x;
  x.kind = entry_kind::file;
  x.cache = cache_class::metadata;
  x.size = 7;
  x.mtime = 1234567890;
  x.content = content_kind::object_bytes;
  x.set_text("text");
  x.set_object(sample_ref());
  return x;
}

TEST(inspect_roundtrip, fs_types) {
  EXPECT_EQ(roundtrip(sample_ref()), sample_ref());
  EXPECT_EQ(roundtrip(sample_info()), sample_info());
  dir_entry e{"name", sample_info()};
  EXPECT_EQ(roundtrip(e), e);
  listing l;
  l.entries = {e, e};
  l.cache = cache_class::error;
  EXPECT_EQ(roundtrip(l), l);
  resolve_request r{{"FlatSpace", "x%2Fy"}, 1, 4242};
  EXPECT_EQ(roundtrip(r), r);
}

TEST(inspect_roundtrip, cache_types) {
  cached_attr a{true, sample_info()};
  test::expect_same_fields(roundtrip(a), a);
  listing l;
  l.entries = {dir_entry{"n", sample_info()}};
  cached_listing c{true, l};
  test::expect_same_fields(roundtrip(c), c);
  cache_stats s{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "disk full", 15, 11, 12, 13, 14};
  test::expect_same_fields(roundtrip(s), s);
  content_report r;
  r.verified_objects = 1;
  r.verified_bytes = 2;
  r.partial_objects = 3;
  r.partial_bytes = 4;
  r.max_bytes = 5;
  r.fetched_bytes = 6;
  r.checksum_failures = 7;
  r.disk_full = 8;
  r.downloads = {download_progress{"pid-d", 9, 10, 11, 12, 13, 14, {"urn:node:A", "urn:node:B"}}};
  object_location source{"urn:node:C", "http://c/mn", "http://c/mn/v2/object/pid-f"};
  r.failures = {checksum_failure{15, "pid-f", {source}, "SHA-1", "aa", "bb", 16}};
  test::expect_same_fields(roundtrip(r), r);
  partial_object p{sample_ref(), {0, 10, 20, 30}};
  test::expect_same_fields(roundtrip(p), p);
}

system_metadata sample_meta() {
  system_metadata m;
  m.identifier = "id";
  m.format_id = "text/csv";
  m.size = 99;
  m.checksum = {"MD5", "00ff"};
  m.submitter = "sub";
  m.rights_holder = "rh";
  m.origin_member_node = "urn:node:A";
  m.authoritative_member_node = "urn:node:B";
  m.obsoletes = "old";
  m.obsoleted_by = "new";
  m.date_uploaded = "2012-12-05T00:00:00Z";
  m.date_modified = "2013-01-01T00:00:00Z";
  m.file_name = "f.csv";
  m.media_type = "text/csv";
  m.archived = true;
  m.replica_member_nodes = {"urn:node:C", "urn:node:D"};
  m.xml = "<x/>";
  return m;
}

void expect_same(const system_metadata& a, const system_metadata& b) {
  EXPECT_EQ(a.identifier, b.identifier);
  EXPECT_EQ(a.format_id, b.format_id);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.checksum.algorithm, b.checksum.algorithm);
  EXPECT_EQ(a.checksum.value, b.checksum.value);
  EXPECT_EQ(a.submitter, b.submitter);
  EXPECT_EQ(a.rights_holder, b.rights_holder);
  EXPECT_EQ(a.origin_member_node, b.origin_member_node);
  EXPECT_EQ(a.authoritative_member_node, b.authoritative_member_node);
  EXPECT_EQ(a.obsoletes, b.obsoletes);
  EXPECT_EQ(a.obsoleted_by, b.obsoleted_by);
  EXPECT_EQ(a.date_uploaded, b.date_uploaded);
  EXPECT_EQ(a.date_modified, b.date_modified);
  EXPECT_EQ(a.file_name, b.file_name);
  EXPECT_EQ(a.media_type, b.media_type);
  EXPECT_EQ(a.archived, b.archived);
  EXPECT_EQ(a.replica_member_nodes, b.replica_member_nodes);
  EXPECT_EQ(a.xml, b.xml);
}

solr_record sample_record() {
  return solr_record{{solr_field{"id", {"x"}}, solr_field{"keywords", {"a", "b"}}}};
}

void expect_same(const solr_record& a, const solr_record& b) {
  ASSERT_EQ(a.fields.size(), b.fields.size());
  for (size_t i = 0; i < a.fields.size(); ++i) {
    EXPECT_EQ(a.fields[i].name, b.fields[i].name);
    EXPECT_EQ(a.fields[i].values, b.fields[i].values);
  }
}

TEST(inspect_roundtrip, dataone_types) {
  expect_same(roundtrip(sample_meta()), sample_meta());
  object_location loc{"urn:node:MN", "https://mn/x", "https://mn/x/v2/object/p"};
  auto loc2 = roundtrip(loc);
  EXPECT_EQ(loc2.node_identifier, loc.node_identifier);
  EXPECT_EQ(loc2.base_url, loc.base_url);
  EXPECT_EQ(loc2.url, loc.url);
  object_format fmt{"text/csv", "CSV", "DATA", "text/csv", "csv"};
  auto fmt2 = roundtrip(fmt);
  EXPECT_EQ(fmt2.id, fmt.id);
  EXPECT_EQ(fmt2.name, fmt.name);
  EXPECT_EQ(fmt2.type, fmt.type);
  EXPECT_EQ(fmt2.media_type, fmt.media_type);
  EXPECT_EQ(fmt2.extension, fmt.extension);
  node_description nd{"urn:node:X", "X", "desc", "https://x", "mn", "up", true, true,
                      {"MNCore v2 (available)"}};
  auto nd2 = roundtrip(nd);
  EXPECT_EQ(nd2.identifier, nd.identifier);
  EXPECT_EQ(nd2.name, nd.name);
  EXPECT_EQ(nd2.description, nd.description);
  EXPECT_EQ(nd2.base_url, nd.base_url);
  EXPECT_EQ(nd2.type, nd.type);
  EXPECT_EQ(nd2.state, nd.state);
  EXPECT_EQ(nd2.replicate, nd.replicate);
  EXPECT_EQ(nd2.synchronize, nd.synchronize);
  EXPECT_EQ(nd2.services, nd.services);
  expect_same(roundtrip(sample_record()), sample_record());
  solr_response resp;
  resp.num_found = 10;
  resp.start = 2;
  resp.docs = {sample_record()};
  resp.next_cursor_mark = "AoE";
  resp.facets = {facet_field_counts{"formatId", {facet_count{"text/csv", 3}}}};
  auto resp2 = roundtrip(resp);
  EXPECT_EQ(resp2.num_found, 10u);
  EXPECT_EQ(resp2.start, 2u);
  ASSERT_EQ(resp2.docs.size(), 1u);
  expect_same(resp2.docs[0], sample_record());
  EXPECT_EQ(resp2.next_cursor_mark, "AoE");
  ASSERT_EQ(resp2.facets.size(), 1u);
  EXPECT_EQ(resp2.facets[0].field, "formatId");
  ASSERT_EQ(resp2.facets[0].counts.size(), 1u);
  EXPECT_EQ(resp2.facets[0].counts[0].value, "text/csv");
  EXPECT_EQ(resp2.facets[0].counts[0].count, 3u);
  query_field qf{"title", "text", true, true, false, "the title"};
  auto qf2 = roundtrip(qf);
  EXPECT_EQ(qf2.name, qf.name);
  EXPECT_EQ(qf2.type, qf.type);
  EXPECT_EQ(qf2.searchable, qf.searchable);
  EXPECT_EQ(qf2.returnable, qf.returnable);
  EXPECT_EQ(qf2.multivalued, qf.multivalued);
  EXPECT_EQ(qf2.description, qf.description);
  solr_query q;
  q.q = "id:x";
  q.fq = {"a:b"};
  q.fl = {"id"};
  q.rows = 5;
  q.start = 6;
  q.sort = "id asc";
  q.cursor_mark = "*";
  q.facet_fields = {"formatId"};
  q.facet_limit = 9;
  q.facet_mincount = 2;
  q.facet_sort = "index";
  q.facet_offset = 3;
  auto q2 = roundtrip(q);
  EXPECT_EQ(q2.q, q.q);
  EXPECT_EQ(q2.fq, q.fq);
  EXPECT_EQ(q2.fl, q.fl);
  EXPECT_EQ(q2.rows, q.rows);
  EXPECT_EQ(q2.start, q.start);
  EXPECT_EQ(q2.sort, q.sort);
  EXPECT_EQ(q2.cursor_mark, q.cursor_mark);
  EXPECT_EQ(q2.facet_fields, q.facet_fields);
  EXPECT_EQ(q2.facet_limit, q.facet_limit);
  EXPECT_EQ(q2.facet_mincount, q.facet_mincount);
  EXPECT_EQ(q2.facet_sort, q.facet_sort);
  EXPECT_EQ(q2.facet_offset, q.facet_offset);
  object_descriptor d;
  d.pid = "p";
  d.sysmeta = sample_meta();
  d.indexed = true;
  d.record = sample_record();
  d.format_type = "DATA";
  d.file_name = "f.csv";
  d.documented_by = {documenting_object{"m", "eml.xml", 12, {"MD5", "abc"}, "2013-01-02"}};
  d.documented_by_partial = true;
  auto d2 = roundtrip(d);
  EXPECT_EQ(d2.pid, d.pid);
  expect_same(d2.sysmeta, d.sysmeta);
  EXPECT_EQ(d2.indexed, d.indexed);
  expect_same(d2.record, d.record);
  EXPECT_EQ(d2.format_type, d.format_type);
  EXPECT_EQ(d2.file_name, d.file_name);
  ASSERT_EQ(d2.documented_by.size(), 1u);
  EXPECT_EQ(d2.documented_by[0].pid, "m");
  EXPECT_EQ(d2.documented_by[0].file_name, "eml.xml");
  EXPECT_EQ(d2.documented_by[0].size, 12u);
  EXPECT_EQ(d2.documented_by[0].checksum.value, "abc");
  EXPECT_EQ(d2.documented_by[0].date_uploaded, "2013-01-02");
  EXPECT_TRUE(d2.documented_by_partial);
}

TEST(inspect_roundtrip, http_types) {
  http_request req;
  req.method = "HEAD";
  req.url = "https://x/y";
  req.headers = {http_header{"Range", "bytes=0-1"}};
  req.timeout_ms = 77;
  req.output_path = "/tmp/out";
  req.max_body_bytes = 1234;
  req.stall_ms = 4321;
  auto req2 = roundtrip(req);
  EXPECT_EQ(req2.stall_ms, 4321u);
  EXPECT_EQ(req2.method, req.method);
  EXPECT_EQ(req2.url, req.url);
  ASSERT_EQ(req2.headers.size(), 1u);
  EXPECT_EQ(req2.headers[0].name, "Range");
  EXPECT_EQ(req2.headers[0].value, "bytes=0-1");
  EXPECT_EQ(req2.timeout_ms, req.timeout_ms);
  EXPECT_EQ(req2.output_path, req.output_path);
  EXPECT_EQ(req2.max_body_bytes, req.max_body_bytes);
  http_response resp;
  resp.status = 206;
  resp.headers = {http_header{"content-range", "bytes 0-1/2"}};
  resp.body = "ab";
  resp.body_bytes = 2;
  resp.effective_url = "https://x/z";
  auto resp2 = roundtrip(resp);
  EXPECT_EQ(resp2.status, 206);
  EXPECT_EQ(resp2.header("content-range"), "bytes 0-1/2");
  EXPECT_EQ(resp2.body, "ab");
  EXPECT_EQ(resp2.body_bytes, 2u);
  EXPECT_EQ(resp2.effective_url, resp.effective_url);
}

}  // namespace
}  // namespace d1
