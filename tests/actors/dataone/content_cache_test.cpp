// content_cache, deterministically: a fake node_client that "downloads" real KNB bytes
// (or corrupted ones) into the part file; real files, real hashing, a temp directory.
#include "actors/dataone/content_cache.hpp"

#include "messages/error.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/files.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <gtest/gtest.h>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace d1::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string knb = D1_SOURCE_DIR "/../shared/fixtures/dataone/knb";

// The object_ref of a KNB fixture, read from its own system metadata.
object_ref ref_of(const std::string& pid) {
  auto xml = slurp(knb + "/sysmeta/" + pid);
  static const std::regex checksum_re{
    R"re(<checksum algorithm="([^"]+)">([0-9a-fA-F]+)</checksum>)re"};
  static const std::regex size_re{R"re(<size>([0-9]+)</size>)re"};
  std::smatch m;
  object_ref ref;
  ref.pid = pid;
  if (std::regex_search(xml, m, checksum_re)) {
    ref.checksum_algorithm = m[1];
    ref.checksum = m[2];
  }
  if (std::regex_search(xml, m, size_re))
    ref.size = std::stoull(m[1]);
  return ref;
}

// What the fake node serves: locations per PID, bytes per URL (a URL without bytes
// answers ec::network, like a node that is down).
struct fake_node {
  std::map<std::string, std::vector<object_location>> locations;
  std::map<std::string, std::string> bytes;
  int resolves = 0;
  int fetches = 0;
};

using fake_ptr = std::shared_ptr<fake_node>;

node_client_actor::behavior_type fake_node_client(node_client_actor::pointer, fake_ptr data) {
  return {
    [](meta_atom, const std::string& pid) -> caf::result<system_metadata> {
      return make_error(ec::not_found, pid);
    },
    [data](resolve_atom,
           const std::string& pid) -> caf::result<std::vector<object_location>> {
      ++data->resolves;
      auto i = data->locations.find(pid);
      if (i == data->locations.end())
        return make_error(ec::not_found, "no such object: " + pid);
      return i->second;
    },
    [](formats_atom) -> std::vector<object_format> { return {}; },
    [](nodes_atom) -> std::vector<node_description> { return {}; },
    [data](fetch_atom, const object_location& loc,
           const std::string& dest) -> caf::result<uint64_t> {
      ++data->fetches;
      auto i = data->bytes.find(loc.url);
      if (i == data->bytes.end())
        return make_error(ec::network, "connection refused: " + loc.url);
      std::ofstream out{dest, std::ios::binary | std::ios::trunc};
      out << i->second;
      return static_cast<uint64_t>(i->second.size());
    },
  };
}

object_location location(const std::string& node, const std::string& pid) {
  return {node, "https://" + node + "/mn", "https://" + node + "/mn/v2/object/" + pid};
}

class content_cache_test : public actor_fixture {
protected:
  content_cache_test() : node_data_(std::make_shared<fake_node>()) {
    char tmpl[] = "/tmp/d1_content_cache_XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    node_ = sys_.spawn(fake_node_client, node_data_);
  }

  ~content_cache_test() override {
    for (auto& a : cleanup_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(node_, caf::exit_reason::user_shutdown);
    run();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  content_cache_actor spawn_cache(uint64_t max_bytes = 1u << 30, bool detach = false) {
    content_cache_config cfg;
    cfg.directory = dir_;
    cfg.max_bytes = max_bytes;
    cfg.detach_hashing = detach;
    auto cache = sys_.spawn(content_cache, cfg, node_);
    cleanup_.push_back(caf::actor_cast<caf::actor>(cache));
    run();
    return cache;
  }

  // Makes the fake node serve the real bytes of a KNB fixture at one location.
  object_ref serve_fixture(const std::string& pid, const std::string& node = "urn:node:KNB") {
    auto loc = location(node, pid);
    node_data_->locations[pid].push_back(loc);
    node_data_->bytes[loc.url] = slurp(knb + "/data/" + pid);
    return ref_of(pid);
  }

  std::vector<std::string> dir_names() {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator{dir_})
      out.push_back(e.path().filename().string());
    return out;
  }

  cache_stats stats(const content_cache_actor& cache) {
    auto s = request<cache_stats>(cache, stats_atom::value);
    EXPECT_TRUE(s);
    return s ? *s : cache_stats{};
  }

  std::string dir_;
  fake_ptr node_data_;
  node_client_actor node_;
  std::vector<caf::actor> cleanup_;
};

TEST_F(content_cache_test, verified_fetch_returns_the_exact_bytes) {
  auto ref = serve_fixture("cbfs.38.9");
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path) << describe(path.error());
  EXPECT_EQ(slurp(*path), slurp(knb + "/data/cbfs.38.9"));
  EXPECT_EQ(*path, dir_ + "/" + content_cache_file_name("cbfs.38.9"));
  EXPECT_EQ(dir_names(), std::vector<std::string>{content_cache_file_name("cbfs.38.9")});
  auto again = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *path);
  EXPECT_EQ(node_data_->resolves, 1);
  EXPECT_EQ(node_data_->fetches, 1);
  auto s = stats(cache);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.memory_bytes, 756u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.fetched_bytes, 756u);  // downloaded once, served twice
}

TEST_F(content_cache_test, file_name_is_sha256_of_pid) {
  EXPECT_EQ(content_cache_file_name("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(content_cache_test, uppercase_checksum_and_algorithm_spelling_are_accepted) {
  auto ref = serve_fixture("cbfs.38.9");
  for (auto& c : ref.checksum)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ref.checksum_algorithm = "md5";
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path) << describe(path.error());
}

TEST_F(content_cache_test, real_checksum_mismatch_is_never_served) {
  // Blandy.76.2: the KNB copy is 7782 bytes, its system metadata says 7791 and another MD5.
  auto ref = serve_fixture("Blandy.76.2");
  ASSERT_EQ(ref.checksum, "67f2679698380bffefff568d70578922");
  ASSERT_EQ(ref.size, 7791u);
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_FALSE(path);
  EXPECT_EQ(code_of(path.error()), ec::checksum_mismatch) << describe(path.error());
  auto what = context_of(path.error());
  EXPECT_NE(what.find("Blandy.76.2"), std::string::npos) << what;
  EXPECT_NE(what.find("67f2679698380bffefff568d70578922"), std::string::npos) << what;
  EXPECT_NE(what.find("69344c0c90b23c51a2edaebf6058feb5"), std::string::npos) << what;
  EXPECT_NE(what.find("urn:node:KNB"), std::string::npos) << what;
  EXPECT_TRUE(dir_names().empty()) << "bad bytes left on disk";
  // No permanent poisoning: the next fetch tries again (and fails again).
  auto retry = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_FALSE(retry);
  EXPECT_EQ(code_of(retry.error()), ec::checksum_mismatch);
  EXPECT_EQ(node_data_->resolves, 2);
  EXPECT_EQ(node_data_->fetches, 2);
  EXPECT_TRUE(dir_names().empty());
  EXPECT_EQ(stats(cache).entries, 0u);
}

TEST_F(content_cache_test, a_good_second_location_wins) {
  auto pid = std::string{"cbfs.38.9"};
  auto bad = location("urn:node:BAD", pid);
  auto down = location("urn:node:DOWN", pid);
  auto good = location("urn:node:KNB", pid);
  auto bytes = slurp(knb + "/data/" + pid);
  auto corrupted = bytes;
  corrupted[100] ^= 0x01;
  node_data_->locations[pid] = {bad, down, good};
  node_data_->bytes[bad.url] = corrupted;
  node_data_->bytes[good.url] = bytes;
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref_of(pid));
  ASSERT_TRUE(path) << describe(path.error());
  EXPECT_EQ(slurp(*path), bytes);
  EXPECT_EQ(node_data_->fetches, 3);
  EXPECT_EQ(dir_names().size(), 1u);
}

TEST_F(content_cache_test, all_locations_down_is_a_network_error) {
  auto pid = std::string{"cbfs.38.9"};
  node_data_->locations[pid] = {location("urn:node:A", pid), location("urn:node:B", pid)};
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref_of(pid));
  ASSERT_FALSE(path);
  EXPECT_EQ(code_of(path.error()), ec::network) << describe(path.error());
  EXPECT_NE(context_of(path.error()).find("urn:node:B"), std::string::npos);
  EXPECT_TRUE(dir_names().empty());
}

TEST_F(content_cache_test, unknown_pid_and_bad_refs) {
  auto cache = spawn_cache();
  auto ref = ref_of("cbfs.38.9");
  auto missing = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), ec::not_found) << describe(missing.error());
  auto odd = ref;
  odd.checksum_algorithm = "CRC32";
  auto r = request<std::string>(cache, fetch_atom::value, odd);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::invalid_argument);
  EXPECT_EQ(node_data_->resolves, 1);
}

TEST_F(content_cache_test, restart_serves_verified_files_without_fetching) {
  auto ref = serve_fixture("cbfs.38.9");
  std::string first;
  {
    auto cache = spawn_cache();
    auto path = request<std::string>(cache, fetch_atom::value, ref);
    ASSERT_TRUE(path) << describe(path.error());
    first = *path;
    caf::anon_send_exit(cache, caf::exit_reason::user_shutdown);
    run();
  }
  node_data_->locations.clear();
  node_data_->bytes.clear();
  auto resolves = node_data_->resolves;
  auto cache = spawn_cache();
  auto s = stats(cache);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.memory_bytes, 756u);
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path) << describe(path.error());
  EXPECT_EQ(*path, first);
  EXPECT_EQ(node_data_->resolves, resolves);
  EXPECT_EQ(stats(cache).hits, 1u);
}

TEST_F(content_cache_test, startup_deletes_stale_part_files_only) {
  auto name = content_cache_file_name("cbfs.38.9");
  std::ofstream{dir_ + "/" + name + ".part"} << "half a download";
  std::ofstream{dir_ + "/README"} << "not ours";
  auto cache = spawn_cache();
  EXPECT_EQ(dir_names(), std::vector<std::string>{"README"});
  EXPECT_EQ(stats(cache).entries, 0u);
}

TEST_F(content_cache_test, least_recently_fetched_files_are_evicted) {
  auto a = serve_fixture("cbfs.38.9");       // 756 bytes
  auto b = serve_fixture("datastar.117.6");  // 896 bytes
  auto c = serve_fixture("jimont.113.7");    // 2543 bytes
  auto cache = spawn_cache(4000);
  ASSERT_TRUE(request<std::string>(cache, fetch_atom::value, a));
  ASSERT_TRUE(request<std::string>(cache, fetch_atom::value, b));
  ASSERT_TRUE(request<std::string>(cache, fetch_atom::value, a));  // a is now newer than b
  ASSERT_TRUE(request<std::string>(cache, fetch_atom::value, c));  // 4195 > 4000: b goes
  auto s = stats(cache);
  EXPECT_EQ(s.evictions, 1u);
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.memory_bytes, 756u + 2543u);
  EXPECT_FALSE(fs::exists(dir_ + "/" + content_cache_file_name("datastar.117.6")));
  EXPECT_TRUE(fs::exists(dir_ + "/" + content_cache_file_name("cbfs.38.9")));
  EXPECT_TRUE(fs::exists(dir_ + "/" + content_cache_file_name("jimont.113.7")));
  auto fetches = node_data_->fetches;
  auto again = request<std::string>(cache, fetch_atom::value, b);
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(node_data_->fetches, fetches + 1);
  EXPECT_EQ(slurp(*again), slurp(knb + "/data/datastar.117.6"));
}

TEST_F(content_cache_test, a_file_deleted_behind_its_back_is_fetched_again) {
  auto ref = serve_fixture("cbfs.38.9");
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path);
  fs::remove(*path);
  auto again = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(node_data_->fetches, 2);
  EXPECT_EQ(stats(cache).memory_bytes, 756u);
}

TEST_F(content_cache_test, concurrent_fetches_of_one_pid_download_once) {
  auto ref = serve_fixture("jimont.128.4");
  auto cache = spawn_cache();
  for (int i = 0; i < 3; ++i)
    self_->send(caf::actor_cast<caf::actor>(cache), fetch_atom::value, ref);
  run();
  std::vector<std::string> paths;
  for (int i = 0; i < 3; ++i)
    self_->receive([&](std::string& p) { paths.push_back(p); },
                   [&](caf::error& e) { ADD_FAILURE() << describe(e); },
                   caf::after(std::chrono::seconds(0)) >> [] {});
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0], paths[1]);
  EXPECT_EQ(paths[1], paths[2]);
  EXPECT_EQ(node_data_->resolves, 1);
  EXPECT_EQ(node_data_->fetches, 1);
  auto s = stats(cache);
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.entries, 1u);
}

TEST_F(content_cache_test, invalid_config_quits) {
  content_cache_config cfg;
  cfg.directory = dir_;
  cfg.max_bytes = 0;
  EXPECT_EQ(code_of(validate(cfg)), ec::invalid_argument);
  cfg.max_bytes = 1;
  cfg.directory.clear();
  EXPECT_EQ(code_of(validate(cfg)), ec::invalid_argument);
  auto cache = sys_.spawn(content_cache, cfg, node_);
  run();
  auto r = request<std::string>(cache, fetch_atom::value, ref_of("cbfs.38.9"));
  EXPECT_FALSE(r);
}

// The production path: hashing in a detached actor (a thread of its own), which the test
// coordinator cannot drive, so this one runs in a real actor system with bounded waits.
TEST(content_cache_real_system, detached_hashing_verifies_and_rejects) {
  struct config : caf::actor_system_config {
    config() {
      set("logger.verbosity", caf::atom("quiet"));
      d1::add_message_types(*this);
    }
  } cfg;
  char tmpl[] = "/tmp/d1_content_cache_XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  {
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    auto data = std::make_shared<fake_node>();
    for (auto pid : {"cbfs.38.9", "Blandy.76.2"}) {
      auto loc = location("urn:node:KNB", pid);
      data->locations[pid].push_back(loc);
      data->bytes[loc.url] = slurp(knb + "/data/" + pid);
    }
    auto node = sys.spawn(fake_node_client, data);
    content_cache_config ccfg;
    ccfg.directory = dir;
    ccfg.max_bytes = 1u << 20;
    auto cache = sys.spawn(content_cache, ccfg, node);
    auto fetch = [&](const object_ref& ref) {
      caf::expected<std::string> out{make_error(ec::unspecified, "no reply")};
      self->request(cache, 10s, fetch_atom::value, ref)
        .receive([&](std::string& p) { out = std::move(p); },
                 [&](caf::error& e) { out = std::move(e); });
      return out;
    };
    auto good = fetch(ref_of("cbfs.38.9"));
    ASSERT_TRUE(good) << describe(good.error());
    EXPECT_EQ(slurp(*good), slurp(knb + "/data/cbfs.38.9"));
    auto bad = fetch(ref_of("Blandy.76.2"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(code_of(bad.error()), ec::checksum_mismatch) << describe(bad.error());
    self->send_exit(cache, caf::exit_reason::user_shutdown);
    self->send_exit(node, caf::exit_reason::user_shutdown);
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace d1::test
