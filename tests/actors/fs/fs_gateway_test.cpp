// fs_gateway: caches first, the resolvers on a miss, what it learns stored, exactly one
// reply per request, probe names answered without a query.
#include "actors/fs/fs_gateway.hpp"
#include "messages/listing_stream.hpp"
#include "messages/error.hpp"
#include "tests/support/actor_fixture.hpp"

#include <map>
#include <memory>

namespace d1::test {
namespace {

// An fs_reply that records the one answer it got.
struct recorded_reply : fs_reply {
  std::string kind;
  node_info info;
  listing entries;
  object_bytes_ptr bytes;
  std::shared_ptr<listing_stream> stream;
  caf::error err;
  int calls = 0;
  void entry(const node_info& x) override { ++calls; kind = "entry"; info = x; }
  void attr(const node_info& x) override { ++calls; kind = "attr"; info = x; }
  void directory(listing_ptr x) override { ++calls; kind = "directory"; entries = *x; }
  void directory_stream(std::shared_ptr<listing_stream> x) override {
    ++calls;
    kind = "stream";
    stream = std::move(x);
  }
  void object(object_bytes_ptr x) override { ++calls; kind = "object"; bytes = std::move(x); }
  void error(const caf::error& e) override { ++calls; kind = "error"; err = e; }
};

struct world {
  std::map<std::string, node_info> attrs;
  std::map<std::string, listing> dirs;
  int root_attr_calls = 0;
  int root_dir_calls = 0;
  int entry_gets = 0;
  int opens = 0;
  std::vector<std::string> admitted;  // what the fake guard was asked about
};

// Bytes that verified, or not yet.
struct fake_bytes : object_bytes {
  bool done = false;
  explicit fake_bytes(bool verified) : done(verified) {}
  uint64_t size() const override { return 1; }
  bool verified() const override { return done; }
  void read(uint64_t, uint64_t, read_callback cb) override { cb(-1); }
  void opened() override {}
  void closed() override {}
};

attr_cache_actor::behavior_type fake_attrs(attr_cache_actor::pointer, std::shared_ptr<world> w) {
  return {
    [=](get_atom, const std::string& p) -> caf::result<cached_attr> {
      auto i = w->attrs.find(p);
      if (i == w->attrs.end())
        return cached_attr{};
      return cached_attr{true, i->second};
    },
    [=](put_atom, const std::string& p, const node_info& x) { w->attrs[p] = x; },
    [=](stats_atom) -> caf::result<cache_stats> { return cache_stats{}; },
    [=](flush_atom) {},
  };
}

dir_cache_actor::behavior_type fake_dirs(dir_cache_actor::pointer, std::shared_ptr<world> w) {
  return {
    [=](get_atom, const std::string& p) -> caf::result<listing_ptr> {
      auto i = w->dirs.find(p);
      if (i == w->dirs.end())
        return listing_ptr{};
      return std::make_shared<const listing>(i->second);
    },
    [=](get_atom, const std::string& p, const std::string& name) -> caf::result<cached_attr> {
      ++w->entry_gets;
      auto i = w->dirs.find(p);
      if (i == w->dirs.end())
        return cached_attr{};
      for (auto& e : i->second.entries)
        if (e.name == name)
          return cached_attr{true, e.info};
      return cached_attr{};
    },
    [=](put_atom, const std::string& p, const listing_ptr& x) { w->dirs[p] = *x; },
    [=](stats_atom) -> caf::result<cache_stats> { return cache_stats{}; },
    [=](flush_atom) {},
  };
}

node_info dir_info(cache_class c = cache_class::immutable) {
  node_info x;
  x.kind = entry_kind::directory;
  x.cache = c;
  return x;
}

resolver_actor::behavior_type fake_root(resolver_actor::pointer, std::shared_ptr<world> w) {
  return {
    [=](get_attr_atom, const resolve_request& r) -> caf::result<node_info> {
      ++w->root_attr_calls;
      if (r.segments == std::vector<std::string>{"a"})
        return dir_info();
      if (r.segments == std::vector<std::string>{"live"})
        return dir_info(cache_class::live);
      return make_error(ec::not_found, "nothing");
    },
    [=](get_dir_atom, const resolve_request& r) -> caf::result<listing> {
      ++w->root_dir_calls;
      // A resolver that lists page by page: two pages streamed and sealed into the
      // listing (its answer is then empty), or, for "streamfail", an error after page 1.
      if (r.stream && r.segments.size() == 1
          && (r.segments[0] == "streamed" || r.segments[0] == "streamfail")) {
        node_info d;
        r.stream->append({dir_entry{"s1", d}, dir_entry{"s2", d}});
        if (r.segments[0] == "streamfail")
          return make_error(ec::timeout, "page 2 did not come");
        r.stream->append({dir_entry{"s3", d}});
        r.stream->seal(cache_class::search);
        return listing{};
      }
      listing l;
      l.cache = cache_class::search;
      node_info f;
      f.kind = entry_kind::file;
      f.cache = cache_class::immutable;
      l.entries.push_back(dir_entry{"f", f});
      return l;
    },
  };
}

content_cache_actor::behavior_type fake_content(content_cache_actor::pointer,
                                                std::shared_ptr<world> w) {
  return {
    [=](open_atom, const object_ref& obj) -> caf::result<object_bytes_ptr> {
      ++w->opens;
      if (obj.pid == "bad")
        return make_error(ec::invalid_argument, "no checksum");
      return object_bytes_ptr{std::make_shared<fake_bytes>(obj.pid == "cached")};
    },
    [=](fetch_atom, const object_ref& obj) -> caf::result<std::string> {
      return "/cache/" + obj.pid;
    },
    [=](stats_atom) -> caf::result<cache_stats> { return cache_stats{}; },
    [=](list_atom) -> std::string { return {}; },
    [=](report_atom) -> content_report { return {}; },
  };
}

// A guard that refuses uncached objects to pid 99 and records what it was asked.
crawl_guard_actor::behavior_type fake_guard(crawl_guard_actor::pointer, std::shared_ptr<world> w) {
  return {
    [=](admit_atom, int32_t, const std::string&, bool) -> std::string { return {}; },
    [=](admit_atom, int32_t pid, const std::string& object, uint64_t) -> std::string {
      w->admitted.push_back(object);
      return pid == 99 ? "over its budget" : "";
    },
    [=](read_atom, int32_t) {},
    [=](list_atom) -> std::string { return {}; },
    [=](allow_atom, const std::string&) -> std::string { return {}; },
    [=](forget_atom, const std::string&) -> std::string { return {}; },
  };
}

class fs_gateway_test : public actor_fixture {
protected:
  fs_gateway_test() : w_(std::make_shared<world>()) {
    auto attrs = sys_.spawn(fake_attrs, w_);
    auto dirs = sys_.spawn(fake_dirs, w_);
    auto root = sys_.spawn(fake_root, w_);
    auto content = sys_.spawn(fake_content, w_);
    gw_ = sys_.spawn(fs_gateway, fs_gateway_config{}, attrs, dirs, root, content);
    all_ = {caf::actor_cast<caf::actor>(gw_), caf::actor_cast<caf::actor>(attrs),
            caf::actor_cast<caf::actor>(dirs), caf::actor_cast<caf::actor>(root),
            caf::actor_cast<caf::actor>(content)};
    run();
  }

  ~fs_gateway_test() override {
    for (auto& a : all_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  std::vector<caf::actor> all_;

  std::shared_ptr<world> w_;
  fs_gateway_actor gw_;
};

TEST_F(fs_gateway_test, lookup_miss_resolves_once_then_hits_the_cache) {
  auto r = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, lookup_atom::value, fs_reply_ptr{r}, std::string{"/"}, std::string{"a"},
                 int32_t{7});
  run();
  EXPECT_EQ(r->calls, 1);
  EXPECT_EQ(r->kind, "entry");
  EXPECT_EQ(w_->root_attr_calls, 1);
  EXPECT_TRUE(w_->attrs.count("/a"));
  auto again = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, get_attr_atom::value, fs_reply_ptr{again}, std::string{"/a"},
                 int32_t{7});
  run();
  EXPECT_EQ(again->kind, "attr");
  EXPECT_EQ(w_->root_attr_calls, 1);
}

TEST_F(fs_gateway_test, live_entries_are_never_cached) {
  auto r = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, get_attr_atom::value, fs_reply_ptr{r}, std::string{"/live"}, int32_t{0});
  run();
  EXPECT_EQ(r->kind, "attr");
  EXPECT_FALSE(w_->attrs.count("/live"));
}

TEST_F(fs_gateway_test, probe_names_never_reach_the_resolvers) {
  auto r = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, lookup_atom::value, fs_reply_ptr{r}, std::string{"/a"},
                 std::string{".DS_Store"}, int32_t{0});
  run();
  EXPECT_EQ(r->kind, "error");
  EXPECT_EQ(to_errno(r->err), ENOENT);
  EXPECT_EQ(w_->root_attr_calls, 0);
}

TEST_F(fs_gateway_test, opendir_stores_the_listing_and_lookups_are_answered_from_it) {
  auto r = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, opendir_atom::value, fs_reply_ptr{r}, std::string{"/a"}, int32_t{0});
  run();
  ASSERT_EQ(r->kind, "directory");
  ASSERT_EQ(r->entries.entries.size(), 1u);
  EXPECT_TRUE(w_->dirs.count("/a"));
  // No attr_cache record per child: the listing holds the child's attributes.
  EXPECT_FALSE(w_->attrs.count("/a/f"));
  auto again = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, opendir_atom::value, fs_reply_ptr{again}, std::string{"/a"}, int32_t{0});
  run();
  EXPECT_EQ(again->kind, "directory");
  EXPECT_EQ(w_->root_dir_calls, 1);
  // A lookup of a listed child (and a getattr after its kernel attributes expired) is
  // answered from the parent's listing, without a resolver.
  auto child = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, lookup_atom::value, fs_reply_ptr{child}, std::string{"/a"},
                 std::string{"f"}, int32_t{0});
  auto attr = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, get_attr_atom::value, fs_reply_ptr{attr}, std::string{"/a/f"},
                 int32_t{0});
  run();
  EXPECT_EQ(child->kind, "entry");
  EXPECT_EQ(child->info.kind, entry_kind::file);
  EXPECT_EQ(attr->kind, "attr");
  EXPECT_EQ(w_->root_attr_calls, 0);
  EXPECT_EQ(w_->entry_gets, 2);
  // A name the listing does not hold still goes to the resolvers.
  auto other = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, lookup_atom::value, fs_reply_ptr{other}, std::string{"/a"},
                 std::string{"g"}, int32_t{0});
  run();
  EXPECT_EQ(other->kind, "error");
  EXPECT_EQ(w_->root_attr_calls, 1);
}

TEST_F(fs_gateway_test, opens_get_the_object_bytes_or_the_error) {
  auto ok = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, open_atom::value, fs_reply_ptr{ok}, object_ref{"p", 1, "MD5", "x"},
                 int32_t{0});
  auto bad = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, open_atom::value, fs_reply_ptr{bad}, object_ref{"bad", 1, "MD5", "x"},
                 int32_t{0});
  run();
  EXPECT_EQ(ok->kind, "object");
  ASSERT_TRUE(ok->bytes);
  EXPECT_EQ(bad->kind, "error");
  EXPECT_EQ(to_errno(bad->err), EINVAL);
  EXPECT_EQ(ok->calls + bad->calls, 2);
  EXPECT_EQ(w_->opens, 2);
}

TEST_F(fs_gateway_test, concurrent_cold_listings_of_one_folder_resolve_once) {
  std::vector<std::shared_ptr<recorded_reply>> replies;
  for (int i = 0; i < 5; ++i) {
    replies.push_back(std::make_shared<recorded_reply>());
    caf::anon_send(gw_, opendir_atom::value, fs_reply_ptr{replies.back()}, std::string{"/b"},
                   int32_t{100 + i});
  }
  run();
  for (auto& r : replies)
    EXPECT_EQ(r->kind, "directory");
  EXPECT_EQ(w_->root_dir_calls, 1);
}

TEST_F(fs_gateway_test, a_streamed_listing_is_opened_at_its_first_entries_and_shared) {
  std::vector<std::shared_ptr<recorded_reply>> replies;
  for (int i = 0; i < 3; ++i) {
    replies.push_back(std::make_shared<recorded_reply>());
    caf::anon_send(gw_, opendir_atom::value, fs_reply_ptr{replies.back()},
                   std::string{"/streamed"}, int32_t{100 + i});
  }
  run();
  EXPECT_EQ(w_->root_dir_calls, 1);
  for (auto& r : replies) {
    ASSERT_EQ(r->kind, "stream");
    EXPECT_EQ(r->stream, replies.front()->stream);
  }
  auto& stream = *replies.front()->stream;
  EXPECT_TRUE(stream.done());
  stream.read(0,
              [](const listing_stream::view& v) {
                ASSERT_EQ(v.count, 3u);
                EXPECT_EQ(v.entries[2].name, "s3");
                EXPECT_FALSE(v.error);
              },
              [] {});
  // The sealed listing was cached: a child is answered from it, and so is a new open.
  ASSERT_TRUE(w_->dirs.count("/streamed"));
  EXPECT_EQ(w_->dirs["/streamed"].entries.size(), 3u);
  EXPECT_EQ(w_->dirs["/streamed"].entries[1].name, "s2");
  auto child = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, lookup_atom::value, fs_reply_ptr{child}, std::string{"/streamed"},
                 std::string{"s3"}, int32_t{0});
  auto again = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, opendir_atom::value, fs_reply_ptr{again}, std::string{"/streamed"},
                 int32_t{0});
  run();
  EXPECT_EQ(child->kind, "entry");
  EXPECT_EQ(again->kind, "directory");
  EXPECT_EQ(again->entries.entries.size(), 3u);
  EXPECT_EQ(w_->root_dir_calls, 1);
  EXPECT_EQ(w_->root_attr_calls, 0);
}

TEST_F(fs_gateway_test, a_stream_that_fails_keeps_what_it_showed_and_is_not_cached) {
  auto r = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, opendir_atom::value, fs_reply_ptr{r}, std::string{"/streamfail"},
                 int32_t{0});
  run();
  ASSERT_EQ(r->kind, "stream");
  r->stream->read(1,
                  [](const listing_stream::view& v) {
                    EXPECT_EQ(v.count, 2u);
                    EXPECT_TRUE(v.done);
                    EXPECT_EQ(code_of(v.error), ec::timeout);
                  },
                  [] { ADD_FAILURE() << "a failed stream has nothing to wait for"; });
  EXPECT_FALSE(w_->dirs.count("/streamfail"));
}

TEST_F(fs_gateway_test, unknown_path_is_enoent) {
  auto r = std::make_shared<recorded_reply>();
  caf::anon_send(gw_, lookup_atom::value, fs_reply_ptr{r}, std::string{"/"},
                 std::string{"zzz"}, int32_t{0});
  run();
  EXPECT_EQ(r->kind, "error");
  EXPECT_EQ(to_errno(r->err), ENOENT);
}


class fs_gateway_guard_test : public actor_fixture {
protected:
  fs_gateway_guard_test() : w_(std::make_shared<world>()) {
    fs_gateway_config cfg;
    cfg.guard = sys_.spawn(fake_guard, w_);
    auto attrs = sys_.spawn(fake_attrs, w_);
    auto dirs = sys_.spawn(fake_dirs, w_);
    auto root = sys_.spawn(fake_root, w_);
    auto content = sys_.spawn(fake_content, w_);
    gw_ = sys_.spawn(fs_gateway, cfg, attrs, dirs, root, content);
    all_ = {caf::actor_cast<caf::actor>(gw_), caf::actor_cast<caf::actor>(attrs),
            caf::actor_cast<caf::actor>(dirs), caf::actor_cast<caf::actor>(root),
            caf::actor_cast<caf::actor>(content), caf::actor_cast<caf::actor>(cfg.guard)};
    run();
  }

  ~fs_gateway_guard_test() override {
    for (auto& a : all_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  std::shared_ptr<recorded_reply> open(const std::string& pid, int32_t caller) {
    auto r = std::make_shared<recorded_reply>();
    caf::anon_send(gw_, open_atom::value, fs_reply_ptr{r}, object_ref{pid, 10, "MD5", "x"},
                   caller);
    run();
    return r;
  }

  std::vector<caf::actor> all_;
  std::shared_ptr<world> w_;
  fs_gateway_actor gw_;
};

TEST_F(fs_gateway_guard_test, uncached_objects_need_the_guard_cached_ones_do_not) {
  auto refused = open("cold", 99);
  EXPECT_EQ(refused->kind, "error");
  EXPECT_EQ(code_of(refused->err), ec::throttled);
  EXPECT_EQ(to_errno(refused->err), EAGAIN);
  EXPECT_NE(context_of(refused->err).find("budget"), std::string::npos);
  EXPECT_EQ(open("cold", 7)->kind, "object");
  EXPECT_EQ(open("cached", 99)->kind, "object");  // verified bytes: no question asked
  EXPECT_EQ(w_->admitted, (std::vector<std::string>{"cold", "cold"}));
}

}  // namespace
}  // namespace d1::test
