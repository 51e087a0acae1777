// listing_stream: openers and readers see the entries as they are appended, wait for more
// without a thread, and keep their offsets when the complete listing (or an error) ends it.
#include "messages/listing_stream.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace d1::test {
namespace {

std::vector<dir_entry> named(std::initializer_list<const char*> names) {
  std::vector<dir_entry> out;
  for (auto n : names)
    out.push_back(dir_entry{n, node_info{}});
  return out;
}

listing_ptr complete_of(std::initializer_list<const char*> names) {
  auto l = std::make_shared<listing>();
  l->entries = named(names);
  return l;
}

// The names a reader starting at `from` sees now, or "waiting".
std::vector<std::string> names_from(listing_stream& s, size_t from, int* woken = nullptr) {
  std::vector<std::string> out;
  bool read = s.read(
    from,
    [&](const listing_stream::view& v) {
      for (size_t i = from; i < v.count; ++i)
        out.push_back(v.entries[i].name);
      if (v.done)
        out.push_back(v.error ? "<error>" : "<end>");
    },
    [woken] {
      if (woken)
        ++*woken;
    });
  if (!read)
    out.push_back("waiting");
  return out;
}

TEST(listing_stream, opens_at_the_first_entries_and_readers_wait_for_more) {
  listing_stream s;
  int opened = 0;
  s.when_ready([&](caf::expected<listing_ptr> r) {
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, nullptr);  // open the stream itself
    ++opened;
  });
  EXPECT_EQ(opened, 0);
  s.append(named({"a", "b"}));
  EXPECT_EQ(opened, 1);
  EXPECT_EQ(names_from(s, 0), (std::vector<std::string>{"a", "b"}));
  int woken = 0;
  EXPECT_EQ(names_from(s, 2, &woken), std::vector<std::string>{"waiting"});
  s.append(named({"c"}));
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(names_from(s, 2), std::vector<std::string>{"c"});
  EXPECT_FALSE(s.done());
}

TEST(listing_stream, a_sealed_stream_becomes_the_listing_without_a_copy) {
  listing_stream s;
  s.reserve(3);
  s.append(named({"a", "b"}));
  s.append(named({"c"}));
  const dir_entry* first = nullptr;
  s.read(0, [&](const listing_stream::view& v) { first = v.entries; }, [] {});
  auto whole = s.seal(cache_class::search);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(s.sealed(), whole);
  EXPECT_EQ(whole->entries.data(), first);  // the streamed entries themselves, moved
  EXPECT_EQ(whole->entries.size(), 3u);
  s.append(named({"late"}));  // ignored once sealed
  // Readers go on in it, and wait at its end until the stream is finished.
  int woken = 0;
  EXPECT_EQ(names_from(s, 1), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(names_from(s, 3, &woken), std::vector<std::string>{"waiting"});
  s.finish(complete_of({}));  // the resolver's answer is then ignored
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(names_from(s, 3), std::vector<std::string>{"<end>"});
  EXPECT_EQ(names_from(s, 0), (std::vector<std::string>{"a", "b", "c", "<end>"}));
  // Opened after the end: the stream, which serves the sealed listing.
  s.when_ready([&](caf::expected<listing_ptr> r) {
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, nullptr);
  });
}

TEST(listing_stream, a_listing_that_streamed_nothing_is_opened_whole) {
  listing_stream s;
  listing_ptr got;
  s.when_ready([&](caf::expected<listing_ptr> r) {
    ASSERT_TRUE(r);
    got = *r;
  });
  auto all = complete_of({"x"});
  s.finish(all);
  EXPECT_EQ(got, all);
}

TEST(listing_stream, a_different_ending_follows_the_streamed_entries) {
  // A failure after some pages becomes an error folder listing: offsets handed out stay.
  listing_stream s;
  s.append(named({"a", "b"}));
  s.finish(complete_of({"search failed"}));
  EXPECT_EQ(names_from(s, 0), (std::vector<std::string>{"a", "b", "search failed", "<end>"}));
  s.append(named({"late"}));  // ignored once ended
  EXPECT_EQ(names_from(s, 3), std::vector<std::string>{"<end>"});
}

TEST(listing_stream, an_error_before_any_entry_fails_the_open) {
  listing_stream s;
  caf::error got;
  s.when_ready([&](caf::expected<listing_ptr> r) {
    ASSERT_FALSE(r);
    got = r.error();
  });
  s.fail(make_error(ec::timeout, "no answer"));
  EXPECT_EQ(code_of(got), ec::timeout);
}

TEST(listing_stream, an_error_after_entries_keeps_them_readable) {
  listing_stream s;
  s.append(named({"a"}));
  int woken = 0;
  EXPECT_EQ(names_from(s, 1, &woken), std::vector<std::string>{"waiting"});
  s.fail(make_error(ec::timeout, "no answer"));
  EXPECT_EQ(woken, 1);
  EXPECT_EQ(names_from(s, 0), (std::vector<std::string>{"a", "<error>"}));
  EXPECT_EQ(names_from(s, 1), std::vector<std::string>{"<error>"});
}

}  // namespace
}  // namespace d1::test
