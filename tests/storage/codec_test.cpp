// Typed records: every persisted value type round-trips, carries the schema version, and
// a record of another version, truncated or with trailing bytes is refused.
#include "storage/codec.hpp"

#include "messages/cache_types.hpp"
#include "messages/fs_types.hpp"

#include <gtest/gtest.h>

namespace d1::storage {
namespace {

node_info sample_file() {
  node_info x;
  x.kind = entry_kind::file;
  x.cache = cache_class::immutable;
  x.size = 1234567890123;
  x.mtime = -5;
  x.content = content_kind::object_bytes;
  x.set_text(std::string{"line one\nzwei: ünïcødé\0tail", 31});
  x.set_object({"doi:10.5063/F1/ä b", 1234567890123, "SHA-256", std::string(64, 'a')});
  return x;
}

TEST(codec_test, node_info_round_trips) {
  auto x = sample_file();
  auto bytes = encode(x);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), schema_version);
  auto y = decode<node_info>(bytes);
  ASSERT_TRUE(y) << describe(y.error());
  EXPECT_EQ(*y, x);
}

// node_info holds its text, object and local copies out of line but persists them in
// its record, in this order.
TEST(codec_test, node_info_keeps_its_record_layout) {
  auto x = sample_file();
  EXPECT_EQ(encode(x), encode_fields(x.kind, x.cache, x.size, x.mtime, x.content, x.text(),
                                     x.object(), x.copies()));
  node_info folder;
  EXPECT_EQ(encode(folder), encode_fields(folder.kind, folder.cache, folder.size,
                                          folder.mtime, folder.content, std::string{},
                                          object_ref{}, std::vector<local_copy>{}));
}

// The bulk of a large listing is folders: each costs its name and 40 bytes, no content
// block, also after a restart (decoded from LMDB).
TEST(codec_test, folders_carry_no_content_block) {
  static_assert(sizeof(node_info) <= 40, "node_info grew: a listing holds one per entry");
  listing l;
  node_info folder;
  folder.cache = cache_class::immutable;
  l.entries.push_back({"doi:10.5063/F1", folder});
  l.entries.push_back({"a", sample_file()});
  auto y = decode<listing>(encode(l));
  ASSERT_TRUE(y) << describe(y.error());
  EXPECT_EQ(y->entries[0].info.source, nullptr);
  ASSERT_NE(y->entries[1].info.source, nullptr);
  EXPECT_EQ(y->entries[1].info.object(), sample_file().object());
}

TEST(codec_test, listing_round_trips) {
  listing l;
  l.cache = cache_class::search;
  l.entries.push_back({"a", sample_file()});
  l.entries.push_back({"", node_info{}});
  l.entries.push_back({"%2E%2E", node_info{}});
  auto y = decode<listing>(encode(l));
  ASSERT_TRUE(y) << describe(y.error());
  EXPECT_EQ(*y, l);
  auto empty = decode<listing>(encode(listing{}));
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->entries.empty());
}

// A record type as the caches persist them: a time, a path and a value.
struct sample_record {
  int64_t expires_at = 0;
  std::string path;
  listing value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sample_record& x) {
  return f(caf::meta::type_name("sample_record"), x.expires_at, x.path, x.value);
}

TEST(codec_test, encode_fields_writes_the_record_its_fields_make) {
  sample_record r;
  r.expires_at = 1'700'000'000;
  r.path = "/FacetedSearch/@formatId";
  r.value.cache = cache_class::search;
  r.value.entries.push_back({"a", sample_file()});
  auto bytes = encode_fields(r.expires_at, r.path, r.value);
  EXPECT_EQ(bytes, encode(r));
  auto back = decode<sample_record>(bytes);
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(back->path, r.path);
  EXPECT_EQ(back->value, r.value);
}

TEST(codec_test, another_schema_version_is_refused) {
  auto bytes = encode(sample_file());
  bytes[0] = static_cast<char>(schema_version + 1);
  auto y = decode<node_info>(bytes);
  ASSERT_FALSE(y);
  EXPECT_EQ(code_of(y.error()), ec::storage_error);
  EXPECT_NE(context_of(y.error()).find("schema version"), std::string::npos);
}

TEST(codec_test, damaged_records_are_refused) {
  auto bytes = encode(sample_file());
  EXPECT_FALSE(decode<node_info>(""));
  EXPECT_FALSE(decode<node_info>(std::string_view{bytes}.substr(0, 1)));
  // Every truncation fails instead of returning a partial value.
  for (size_t n = 1; n < bytes.size(); ++n)
    EXPECT_FALSE(decode<node_info>(std::string_view{bytes}.substr(0, n))) << n;
  EXPECT_FALSE(decode<node_info>(bytes + "x"));
  // A huge length prefix for the listing's vector of entries.
  std::string garbage;
  garbage.push_back(static_cast<char>(schema_version));
  garbage += std::string("\xff\xff\xff\xff\x0f", 5);
  EXPECT_FALSE(decode<listing>(garbage));
}

TEST(codec_test, cache_stats_round_trip) {
  cache_stats s;
  s.entries = 1;
  s.memory_bytes = 2;
  s.hits = 3;
  s.disk_hits = 4;
  s.misses = 5;
  s.expired = 6;
  s.evictions = 7;
  s.writes = 8;
  s.errors = 9;
  auto y = decode<cache_stats>(encode(s));
  ASSERT_TRUE(y);
  EXPECT_EQ(encode(*y), encode(s));
}

}  // namespace
}  // namespace d1::storage
