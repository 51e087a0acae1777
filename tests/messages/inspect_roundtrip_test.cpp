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

// Through CAF and back, compared by the field lists; `x` must set every field.
template <class T>
void expect_round_trip(const T& x) {
  test::expect_same_fields(roundtrip(x), x);
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
  expect_round_trip(a);
  listing l;
  l.entries = {dir_entry{"n", sample_info()}};
  cached_listing c{true, l};
  expect_round_trip(c);
  cache_stats s{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "disk full", 15, 11, 12, 13, 14};
  expect_round_trip(s);
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
  expect_round_trip(r);
  partial_object p{sample_ref(), {0, 10, 20, 30}};
  expect_round_trip(p);
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

solr_record sample_record() {
  return solr_record{{solr_field{"id", {"x"}}, solr_field{"keywords", {"a", "b"}}}};
}

TEST(inspect_roundtrip, dataone_types) {
  expect_round_trip(sample_meta());
  expect_round_trip(object_location{"urn:node:MN", "https://mn/x", "https://mn/x/v2/object/p"});
  expect_round_trip(object_format{"text/csv", "CSV", "DATA", "text/csv", "csv"});
  expect_round_trip(node_description{"urn:node:X", "X", "desc", "https://x", "mn", "up", true,
                                     true, {"MNCore v2 (available)"}});
  expect_round_trip(sample_record());
  solr_response resp;
  resp.num_found = 10;
  resp.start = 2;
  resp.docs = {sample_record()};
  resp.next_cursor_mark = "AoE";
  resp.facets = {facet_field_counts{"formatId", {facet_count{"text/csv", 3}}}};
  resp.facet_queries = {facet_count{"size:[0 TO 10]", 4}};
  expect_round_trip(resp);
  expect_round_trip(query_field{"title", "text", true, true, true, "the title"});
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
  q.facet_queries = {"size:[0 TO 10]"};
  q.prefetch_rows = 7;
  expect_round_trip(q);
  object_descriptor d;
  d.pid = "p";
  d.sysmeta = sample_meta();
  d.indexed = true;
  d.record = sample_record();
  d.format_type = "DATA";
  d.file_name = "f.csv";
  d.documented_by = {documenting_object{"m", "eml.xml", 12, {"MD5", "abc"}, "2013-01-02"}};
  d.documented_by_partial = true;
  expect_round_trip(d);
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
  expect_round_trip(req);
  http_response resp;
  resp.status = 206;
  resp.headers = {http_header{"content-range", "bytes 0-1/2"}};
  resp.body = "ab";
  resp.body_bytes = 2;
  resp.effective_url = "https://x/z";
  expect_round_trip(resp);
}

}  // namespace
}  // namespace d1
