// content_cache, deterministically: a fake node_client that streams real bytes (or broken
// ones: stalls, resets, short and overlong bodies, wrong Content-Range, 416, 5xx, flipped
// bytes) into the ranged transfers' sinks; real sparse files, real hashing, a temp dir,
// and a memory_store for the partial-object records.
#include "actors/dataone/content_cache.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "tests/actors/dataone/object_read.hpp"
#include "storage/codec.hpp"
#include "storage/memory_store.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/files.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <tuple>
#include <vector>

namespace d1::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string knb = d1::test::shared_fixtures() + "/knb";

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

std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 rng{seed};
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(rng() & 0xff);
  return out;
}

std::string sha256_hex(const std::string& bytes) {
  auto h = streaming_hasher::make("SHA-256");
  h->update(bytes.data(), bytes.size());
  return h->hex_digest();
}

// What one replica does to the next request it gets.
struct fault {
  enum kind_t { stall, reset, short_body, overlong, bad_range, status } kind;
  uint64_t after = 0;    // body bytes sent before it strikes
  uint16_t code = 500;   // for status
};

struct replica {
  std::string bytes;  // what it serves
  std::deque<fault> faults;
};

struct request_seen {
  std::string url;
  uint64_t begin;
  uint64_t end;
  uint64_t delivered = 0;  // body bytes the sink took
};

// The fake network: locations per PID, replicas per URL, every ranged request seen.
struct fake_net {
  std::map<std::string, std::vector<object_location>> locations;
  std::map<std::string, replica> replicas;
  std::vector<request_seen> requests;
  int resolves = 0;

  // Bytes requested from any replica (ranges may overlap if fetched twice).
  uint64_t requested_bytes() const {
    uint64_t n = 0;
    for (auto& r : requests)
      n += r.end - r.begin;
    return n;
  }
};

using net_ptr = std::shared_ptr<fake_net>;

// Streams [begin, end) of the replica at `url` into `sink` as node_client would, applying
// the replica's next fault.
caf::result<uint64_t> serve(const net_ptr& net, const std::string& url, uint64_t begin,
                            uint64_t end, const body_sink_ptr& sink) {
  net->requests.push_back({url, begin, end});
  auto seen = net->requests.size() - 1;
  auto i = net->replicas.find(url);
  if (i == net->replicas.end())
    return make_error(ec::network, "connection refused: " + url);
  auto& r = i->second;
  std::optional<fault> f;
  if (!r.faults.empty()) {
    f = r.faults.front();
    r.faults.pop_front();
  }
  auto failure_or = [&](uint64_t n) -> caf::result<uint64_t> {
    if (auto err = sink->failure())
      return err;
    return n;
  };
  auto size = r.bytes.size();
  if (f && f->kind == fault::status) {
    sink->headers_done(f->code, {});
    return failure_or(0);
  }
  std::string body;
  if (f && f->kind == fault::overlong) {
    // No length, the whole object and then some: only the sink's bound stops it.
    if (sink->headers_done(200, {}) != body_sink::decision::accept)
      return failure_or(0);
    body = r.bytes + std::string(4096, 'x');
  } else {
    if (begin >= size) {
      sink->headers_done(416, {{"content-range", "bytes */" + std::to_string(size)}});
      return failure_or(0);
    }
    auto last = std::min<uint64_t>(end, size) - 1;
    auto first = f && f->kind == fault::bad_range ? begin + 1 : begin;
    std::vector<http_header> headers{
      {"content-range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/"
                          + std::to_string(size)}};
    if (sink->headers_done(206, headers) != body_sink::decision::accept)
      return failure_or(0);
    body = r.bytes.substr(begin, last + 1 - begin);
  }
  uint64_t limit = body.size();
  if (f && (f->kind == fault::stall || f->kind == fault::reset || f->kind == fault::short_body))
    limit = std::min<uint64_t>(limit, f->after);
  uint64_t sent = 0;
  while (sent < limit) {
    auto n = std::min<uint64_t>(16384, limit - sent);
    if (!sink->write(body.data() + sent, n))
      return failure_or(sent);
    sent += n;
    net->requests[seen].delivered = sent;
  }
  if (f && f->kind == fault::stall)
    return make_error(ec::timeout, "GET " + url + ": no byte for 1000 ms");
  if (f && f->kind == fault::reset)
    return make_error(ec::network, "GET " + url + ": connection reset by peer");
  return sent;
}

node_client_actor::behavior_type fake_node_client(node_client_actor::pointer, net_ptr net) {
  return {
    [](meta_atom, const std::string& pid) -> caf::result<system_metadata> {
      return make_error(ec::not_found, pid);
    },
    [net](resolve_atom, const std::string& pid) -> caf::result<std::vector<object_location>> {
      ++net->resolves;
      auto i = net->locations.find(pid);
      if (i == net->locations.end())
        return make_error(ec::not_found, "no such object: " + pid);
      return i->second;
    },
    [](formats_atom) -> std::vector<object_format> { return {}; },
    [](nodes_atom) -> std::vector<node_description> { return {}; },
    [net](fetch_atom, const object_location& loc, uint64_t begin, uint64_t end,
          const body_sink_ptr& sink) -> caf::result<uint64_t> {
      return serve(net, loc.url, begin, end, sink);
    },
  };
}

object_location location(const std::string& node, const std::string& pid) {
  return {node, "https://" + node + "/mn", "https://" + node + "/mn/v2/object/" + pid};
}

// The outcome of one read through object_bytes.
class content_cache_test : public actor_fixture {
protected:
  content_cache_test()
    : net_(std::make_shared<fake_net>()), store_(std::make_shared<storage::memory_store>()) {
    node_ = sys_.spawn(fake_node_client, net_);
  }

  ~content_cache_test() override {
    held_.clear();
    for (auto& a : cleanup_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(node_, caf::exit_reason::user_shutdown);
    run();
  }

  content_cache_config config(uint64_t max_bytes = 1u << 30) {
    content_cache_config cfg;
    cfg.directory = dir_.path();
    cfg.max_bytes = max_bytes;
    cfg.chunk_bytes = 64 << 10;
    cfg.readahead_bytes = 128 << 10;
    cfg.random_read_bytes = 64 << 10;
    cfg.retries_per_location = 1;
    cfg.detach_hashing = false;
    cfg.store = store_;
    return cfg;
  }

  content_cache_actor spawn_cache(content_cache_config cfg) {
    content_cache_actor cache = sys_.spawn(content_cache, cfg, node_);
    cleanup_.push_back(caf::actor_cast<caf::actor>(cache));
    run();
    return cache;
  }

  content_cache_actor spawn_cache(uint64_t max_bytes = 1u << 30) {
    return spawn_cache(config(max_bytes));
  }

  void stop(const content_cache_actor& cache) {
    caf::anon_send_exit(cache, caf::exit_reason::user_shutdown);
    run();
  }

  // A synthetic object of `size` random bytes served by the replicas named in `nodes`.
  object_ref serve_random(const std::string& pid, size_t size,
                          std::vector<std::string> nodes = {"urn:node:A"}) {
    auto bytes = random_bytes(size, static_cast<unsigned>(std::hash<std::string>{}(pid)));
    truth_[pid] = bytes;
    for (auto& n : nodes) {
      auto loc = location(n, pid);
      net_->locations[pid].push_back(loc);
      net_->replicas[loc.url].bytes = bytes;
    }
    return object_ref{pid, size, "SHA-256", sha256_hex(bytes)};
  }

  // Makes the fake node serve the real bytes of a KNB fixture at one location.
  object_ref serve_fixture(const std::string& pid, const std::string& node = "urn:node:KNB") {
    auto loc = location(node, pid);
    net_->locations[pid].push_back(loc);
    net_->replicas[loc.url].bytes = slurp(knb + "/data/" + pid);
    return ref_of(pid);
  }

  replica& replica_of(const std::string& node, const std::string& pid) {
    return net_->replicas.at(location(node, pid).url);
  }

  object_bytes_ptr open(const content_cache_actor& cache, const object_ref& ref) {
    auto bytes = request<object_bytes_ptr>(cache, open_atom::value, ref);
    EXPECT_TRUE(bytes) << describe(bytes.error());
    if (!bytes)
      return nullptr;
    (*bytes)->opened();
    held_.push_back(*bytes);
    return *bytes;
  }

  void close(object_bytes_ptr& bytes) {
    bytes->closed();
    held_.erase(std::remove(held_.begin(), held_.end(), bytes), held_.end());
    bytes = nullptr;
    run();
  }

  // Starts a read; the result fills in when the bytes are served (run() to get there).
  std::shared_ptr<read_result> start_read(const object_bytes_ptr& bytes, uint64_t off,
                                          uint64_t len) {
    return start_object_read(*bytes, off, len);
  }

  read_result read(const object_bytes_ptr& bytes, uint64_t off, uint64_t len) {
    auto r = start_read(bytes, off, len);
    run();
    EXPECT_TRUE(r->done) << "read of " << len << " bytes at " << off << " never answered";
    return *r;
  }

  // Reads the whole object in `piece`-byte reads, as cat does; stops at the first error.
  read_result read_all(const object_bytes_ptr& bytes, uint64_t piece = 32 << 10) {
    read_result all;
    all.done = true;
    for (uint64_t off = 0; off < bytes->size(); off += piece) {
      auto r = read(bytes, off, piece);
      if (!r.done || r.err) {
        all.err = r.done ? r.err : make_error(ec::unspecified, "read never answered");
        return all;
      }
      all.bytes += r.bytes;
    }
    return all;
  }

  std::vector<std::string> dir_names() {
    std::vector<std::string> out;
    for (auto& e : fs::directory_iterator{dir_.path()})
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }

  cache_stats stats(const content_cache_actor& cache) {
    auto s = request<cache_stats>(cache, stats_atom::value);
    EXPECT_TRUE(s);
    return s ? *s : cache_stats{};
  }

  // Every byte of [0, size) came over the network exactly once, whatever the order.
  void expect_each_byte_requested_once(uint64_t size) {
    std::vector<int> hits(size, 0);
    for (auto& r : net_->requests)
      for (auto b = r.begin; b < std::min(r.begin + r.delivered, size); ++b)
        ++hits[b];
    auto twice = std::count_if(hits.begin(), hits.end(), [](int h) { return h > 1; });
    auto never = std::count(hits.begin(), hits.end(), 0);
    EXPECT_EQ(twice, 0) << "bytes fetched more than once";
    EXPECT_EQ(never, 0) << "bytes never fetched";
  }

  temp_dir dir_;
  net_ptr net_;
  std::shared_ptr<storage::memory_store> store_;
  node_client_actor node_;
  std::vector<caf::actor> cleanup_;
  std::vector<object_bytes_ptr> held_;
  std::map<std::string, std::string> truth_;
};

// -- streaming reads --------------------------------------------------------------------

TEST_F(content_cache_test, a_sequential_reader_gets_the_bytes_and_each_is_fetched_once) {
  auto ref = serve_random("seq", (1 << 20) + 123);
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  ASSERT_TRUE(bytes);
  EXPECT_FALSE(bytes->verified());
  EXPECT_TRUE(net_->requests.empty()) << "opening alone fetched bytes";
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["seq"]);
  EXPECT_TRUE(bytes->verified());
  expect_each_byte_requested_once(ref.size);
  EXPECT_GT(net_->requests.size(), 3u) << "not fetched in ranges";
  auto name = content_cache_file_name("seq");
  EXPECT_EQ(dir_names(), std::vector<std::string>{name});  // published under its final name
  EXPECT_EQ(slurp(dir_ / name), truth_["seq"]);
  auto s = stats(cache);
  EXPECT_EQ(s.fetched_bytes, ref.size);
  EXPECT_EQ(s.memory_bytes, ref.size);
  EXPECT_EQ(s.partial_bytes, 0u);
}

TEST_F(content_cache_test, the_first_bytes_are_served_before_the_rest_arrived) {
  auto ref = serve_random("early", 1 << 20);
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto first = read(bytes, 0, 4096);
  ASSERT_FALSE(first.err);
  EXPECT_EQ(first.bytes, truth_["early"].substr(0, 4096));
  // Only the read-ahead window was asked for, not the object.
  EXPECT_LE(net_->requested_bytes(), 2 * config().readahead_bytes);
  EXPECT_FALSE(bytes->verified());
}

TEST_F(content_cache_test, the_tail_is_served_only_once_the_whole_object_verified) {
  auto ref = serve_random("tail", (1 << 20) + 7);
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  // tail -c: the last bytes need the whole object first.
  auto tail = read(bytes, ref.size - 100, 100);
  ASSERT_FALSE(tail.err) << describe(tail.err);
  EXPECT_EQ(tail.bytes, truth_["tail"].substr(ref.size - 100));
  EXPECT_TRUE(bytes->verified());
  expect_each_byte_requested_once(ref.size);
}

TEST_F(content_cache_test, a_read_far_ahead_fetches_its_range_first) {
  auto ref = serve_random("seek", 4 << 20);
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto r = read(bytes, 2 << 20, 4096);  // far from the start, far from the tail
  ASSERT_FALSE(r.err);
  EXPECT_EQ(r.bytes, truth_["seek"].substr(2 << 20, 4096));
  ASSERT_FALSE(net_->requests.empty());
  EXPECT_EQ(net_->requests.front().begin, uint64_t{2 << 20});
  EXPECT_LT(net_->requested_bytes(), uint64_t{1 << 20}) << "fetched far more than the read";
}

TEST_F(content_cache_test, two_readers_of_one_object_share_one_fetch) {
  auto ref = serve_random("shared", (1 << 20) + 5);
  auto cache = spawn_cache();
  auto a = open(cache, ref);
  auto b = open(cache, ref);
  EXPECT_EQ(a.get(), b.get());
  std::string got_a, got_b;
  for (uint64_t off = 0; off < ref.size; off += 32 << 10) {
    auto ra = start_read(a, off, 32 << 10);
    auto rb = start_read(b, off, 32 << 10);
    run();
    ASSERT_TRUE(ra->done && rb->done);
    ASSERT_FALSE(ra->err || rb->err);
    got_a += ra->bytes;
    got_b += rb->bytes;
  }
  EXPECT_EQ(got_a, truth_["shared"]);
  EXPECT_EQ(got_b, truth_["shared"]);
  expect_each_byte_requested_once(ref.size);
  EXPECT_EQ(net_->resolves, 1);
}

// -- faults mid-body --------------------------------------------------------------------

TEST_F(content_cache_test, a_stalled_transfer_resumes_from_the_next_missing_byte) {
  auto ref = serve_random("stall", 1 << 20);
  replica_of("urn:node:A", "stall").faults.push_back({fault::stall, 50000});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["stall"]);
  ASSERT_GE(net_->requests.size(), 2u);
  EXPECT_EQ(net_->requests[1].begin, 50000u) << "did not resume where the stall cut it";
  expect_each_byte_requested_once(ref.size);
}

TEST_F(content_cache_test, resets_fail_over_to_the_next_replica) {
  auto ref = serve_random("reset", 1 << 20, {"urn:node:A", "urn:node:B"});
  for (int i = 0; i < 5; ++i)
    replica_of("urn:node:A", "reset").faults.push_back({fault::reset, 1000});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["reset"]);
  // Same replica once more (retries_per_location = 1), then the next one, from byte 2000.
  ASSERT_GE(net_->requests.size(), 3u);
  EXPECT_EQ(net_->requests[1].url, location("urn:node:A", "reset").url);
  EXPECT_EQ(net_->requests[1].begin, 1000u);
  EXPECT_EQ(net_->requests[2].url, location("urn:node:B", "reset").url);
  EXPECT_EQ(net_->requests[2].begin, 2000u);
}

TEST_F(content_cache_test, a_short_body_is_resumed) {
  auto ref = serve_random("short", 300000);
  replica_of("urn:node:A", "short").faults.push_back({fault::short_body, 70000});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["short"]);
  expect_each_byte_requested_once(ref.size);
}

TEST_F(content_cache_test, a_body_longer_than_declared_is_cut_and_the_replica_skipped) {
  auto ref = serve_random("long", 200000, {"urn:node:A", "urn:node:B"});
  replica_of("urn:node:A", "long").faults.push_back({fault::overlong});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["long"]);
  // Nothing past the declared size was written: the file is exactly the object.
  EXPECT_EQ(fs::file_size(dir_ / content_cache_file_name("long")), ref.size);
  for (size_t i = 1; i < net_->requests.size(); ++i)
    EXPECT_EQ(net_->requests[i].url, location("urn:node:B", "long").url) << i;
}

TEST_F(content_cache_test, a_wrong_content_range_is_never_written_and_the_replica_skipped) {
  auto ref = serve_random("range", 200000, {"urn:node:A", "urn:node:B"});
  replica_of("urn:node:A", "range").faults.push_back({fault::bad_range});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["range"]);
  ASSERT_GE(net_->requests.size(), 2u);
  EXPECT_EQ(net_->requests[1].url, location("urn:node:B", "range").url);
  EXPECT_EQ(net_->requests[1].begin, 0u);
}

TEST_F(content_cache_test, a_416_or_a_smaller_copy_skips_the_replica) {
  auto ref = serve_random("small", 200000, {"urn:node:A", "urn:node:B"});
  replica_of("urn:node:A", "small").bytes.resize(1000);  // its copy is shorter
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto far = read(bytes, 100000, 4096);  // 416 from A
  ASSERT_FALSE(far.err) << describe(far.err);
  EXPECT_EQ(far.bytes, truth_["small"].substr(100000, 4096));
  auto all = read_all(bytes);  // A is not asked again
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["small"]);
  EXPECT_EQ(net_->requests[0].url, location("urn:node:A", "small").url);
  for (size_t i = 1; i < net_->requests.size(); ++i)
    EXPECT_EQ(net_->requests[i].url, location("urn:node:B", "small").url) << i;
}

TEST_F(content_cache_test, server_errors_on_the_first_replica_fail_over_to_a_good_second) {
  auto ref = serve_random("5xx", 200000, {"urn:node:A", "urn:node:B"});
  for (int i = 0; i < 10; ++i)
    replica_of("urn:node:A", "5xx").faults.push_back({fault::status, 0, 503});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["5xx"]);
  EXPECT_EQ(net_->requests[0].url, location("urn:node:A", "5xx").url);
  EXPECT_EQ(net_->requests[1].url, location("urn:node:A", "5xx").url);  // one retry
  EXPECT_EQ(net_->requests[2].url, location("urn:node:B", "5xx").url);
}

TEST_F(content_cache_test, every_replica_failing_fails_the_read_not_hangs_it) {
  auto ref = serve_random("down", 200000, {"urn:node:A", "urn:node:B"});
  for (auto node : {"urn:node:A", "urn:node:B"})
    for (int i = 0; i < 10; ++i)
      replica_of(node, "down").faults.push_back({fault::reset, 0});
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto r = read(bytes, 0, 4096);
  ASSERT_TRUE(r.err);
  EXPECT_EQ(code_of(r.err), ec::network) << describe(r.err);
  EXPECT_EQ(to_errno(r.err), EIO);
  // A later read starts over (the replicas may be back).
  replica_of("urn:node:A", "down").faults.clear();
  auto again = read(bytes, 0, 4096);
  ASSERT_FALSE(again.err) << describe(again.err);
  EXPECT_EQ(again.bytes, truth_["down"].substr(0, 4096));
}

// -- the verified tail ------------------------------------------------------------------

// A replica with one flipped byte at `at`, a good one after it: a reader of the whole file
// fails at the tail and is never given all the bad bytes; the next open gets good ones.
class corrupt_byte_test : public content_cache_test {
protected:
  void check(uint64_t size, uint64_t at) {
    auto pid = "corrupt-" + std::to_string(at);
    auto ref = serve_random(pid, size, {"urn:node:BAD", "urn:node:GOOD"});
    replica_of("urn:node:BAD", pid).bytes[at] ^= 0x01;
    auto cache = spawn_cache();
    auto bytes = open(cache, ref);
    auto all = read_all(bytes);
    ASSERT_TRUE(all.err) << "a whole-file reader got every byte of a bad copy";
    EXPECT_EQ(code_of(all.err), ec::checksum_mismatch) << describe(all.err);
    EXPECT_EQ(to_errno(all.err), EIO);
    EXPECT_LE(all.bytes.size(), size - 1);
    auto tail_begin = (size - 1) / config().chunk_bytes * config().chunk_bytes;
    EXPECT_LE(all.bytes.size(), tail_begin) << "bytes of the unverified tail were served";
    // Nothing of the bad copy stays, and Status knows.
    EXPECT_TRUE(dir_names().empty());
    auto s = stats(cache);
    EXPECT_EQ(s.checksum_failures, 1u);
    auto report = request<std::string>(cache, list_atom::value);
    ASSERT_TRUE(report);
    EXPECT_NE(report->find("checksum mismatch for " + pid), std::string::npos) << *report;
    EXPECT_NE(report->find(ref.checksum), std::string::npos) << *report;
    EXPECT_NE(report->find("urn:node:BAD"), std::string::npos) << *report;
    // Status/content gets the failure as values: PID, replica, expected and computed.
    auto content = request<content_report>(cache, report_atom::value);
    ASSERT_TRUE(content);
    EXPECT_EQ(content->checksum_failures, 1u);
    ASSERT_EQ(content->failures.size(), 1u);
    auto& f = content->failures[0];
    EXPECT_EQ(f.pid, pid);
    EXPECT_EQ(f.expected, ref.checksum);
    EXPECT_EQ(f.bytes, size);
    EXPECT_EQ(f.algorithm, "SHA-256");
    EXPECT_EQ(f.computed.size(), ref.checksum.size());
    EXPECT_NE(f.computed, f.expected);
    EXPECT_GT(f.at_ms, 0);
    ASSERT_EQ(f.sources.size(), 1u);
    EXPECT_EQ(f.sources[0].node_identifier, "urn:node:BAD");
    EXPECT_EQ(content->verified_objects, 0u);
    // Reads of the handle that saw the bad bytes fail from now on.
    EXPECT_TRUE(read(bytes, 0, 10).err);
    close(bytes);
    // The next open starts over, from the good replica.
    auto next = open(cache, ref);
    auto good = read_all(next);
    ASSERT_FALSE(good.err) << describe(good.err);
    EXPECT_EQ(good.bytes, truth_[pid]);
    EXPECT_TRUE(next->verified());
    auto after = request<content_report>(cache, report_atom::value);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->verified_objects, 1u);
    EXPECT_EQ(after->verified_bytes, size);
    EXPECT_EQ(after->failures.size(), 1u);
  }
};

TEST_F(corrupt_byte_test, in_the_first_chunk) {
  check((1 << 20) + 99, 10);
}

TEST_F(corrupt_byte_test, in_a_middle_chunk) {
  check((1 << 20) + 99, 500000);
}

TEST_F(corrupt_byte_test, in_the_last_chunk) {
  check((1 << 20) + 99, (1 << 20) + 50);
}

// -- restart, eviction, the whole-object fetch ------------------------------------------

TEST_F(content_cache_test, a_restart_fetches_only_the_missing_ranges) {
  auto ref = serve_random("resume", 2 << 20);
  {
    auto cache = spawn_cache();
    auto bytes = open(cache, ref);
    auto head = read(bytes, 0, 300000);
    ASSERT_FALSE(head.err);
    close(bytes);
    stop(cache);  // unmount: the present ranges are recorded
  }
  auto before = net_->requests.size();
  uint64_t fetched_before = 0;
  for (auto& r : net_->requests)
    fetched_before += r.end - r.begin;
  EXPECT_LT(fetched_before, ref.size);
  auto cache = spawn_cache();
  EXPECT_EQ(stats(cache).partial_bytes, fetched_before);
  auto bytes = open(cache, ref);
  auto all = read_all(bytes);
  ASSERT_FALSE(all.err) << describe(all.err);
  EXPECT_EQ(all.bytes, truth_["resume"]);
  // After the restart, only what was missing went over the network.
  for (size_t i = before; i < net_->requests.size(); ++i)
    EXPECT_GE(net_->requests[i].begin, fetched_before) << i;
  expect_each_byte_requested_once(ref.size);
}

TEST_F(content_cache_test, records_are_written_while_a_transfer_runs) {
  auto ref = serve_random("record", 1 << 20);
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  ASSERT_FALSE(read(bytes, 0, 4096).err);
  advance(1500ms);  // the periodic record (what a crash would leave)
  auto rec = store_->get("partial_objects", content_cache_file_name("record"));
  ASSERT_TRUE(rec && *rec);
  auto decoded = storage::decode<partial_object>(**rec);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->ref.pid, "record");
  ASSERT_GE(decoded->ranges.size(), 2u);
  EXPECT_EQ(decoded->ranges[0], 0u);
  EXPECT_GE(decoded->ranges[1], 4096u);
}

TEST_F(content_cache_test, startup_deletes_part_files_without_a_record) {
  auto name = content_cache_file_name("cbfs.38.9");
  std::ofstream{dir_ / name + ".part"} << "half a download";
  std::ofstream{dir_ / "README"} << "not ours";
  auto cache = spawn_cache();
  EXPECT_EQ(dir_names(), std::vector<std::string>{"README"});
  EXPECT_EQ(stats(cache).entries, 0u);
}

TEST_F(content_cache_test, an_object_open_for_reading_is_not_evicted) {
  auto a = serve_random("a", 300000);
  auto b = serve_random("b", 300000);
  auto c = serve_random("c", 300000);
  auto cache = spawn_cache(500000);
  auto reader = open(cache, a);
  ASSERT_FALSE(read(reader, 0, 200000).err);
  for (auto* ref : {&b, &c}) {
    auto other = open(cache, *ref);
    ASSERT_FALSE(read_all(other).err);
    close(other);
  }
  // a is over the budget with the others but open: it stays and reads on to its end.
  EXPECT_TRUE(fs::exists(dir_ / content_cache_file_name("a") + ".part")
              || fs::exists(dir_ / content_cache_file_name("a")));
  auto rest = read_all(reader);
  ASSERT_FALSE(rest.err) << describe(rest.err);
  EXPECT_EQ(rest.bytes, truth_["a"]);
  auto s = stats(cache);
  EXPECT_GE(s.evictions, 1u);
  close(reader);
  // Closed, it may go like any other.
  auto d = serve_random("d", 300000);
  auto other = open(cache, d);
  ASSERT_FALSE(read_all(other).err);
  close(other);
  EXPECT_LE(stats(cache).memory_bytes, 600000u);
}

TEST_F(content_cache_test, verified_fetch_returns_the_exact_bytes) {
  auto ref = serve_fixture("cbfs.38.9");
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path) << describe(path.error());
  EXPECT_EQ(slurp(*path), slurp(knb + "/data/cbfs.38.9"));
  EXPECT_EQ(*path, dir_ / content_cache_file_name("cbfs.38.9"));
  EXPECT_EQ(dir_names(), std::vector<std::string>{content_cache_file_name("cbfs.38.9")});
  auto again = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *path);
  EXPECT_EQ(net_->resolves, 1);
  auto s = stats(cache);
  EXPECT_EQ(s.entries, 1u);
  EXPECT_EQ(s.memory_bytes, 756u);
  EXPECT_EQ(s.hits, 1u);
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

TEST_F(content_cache_test, a_copy_whose_size_disagrees_is_never_served) {
  // Blandy.76.2: the KNB copy is 7782 bytes, its system metadata says 7791 and another MD5.
  auto ref = serve_fixture("Blandy.76.2");
  ASSERT_EQ(ref.size, 7791u);
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_FALSE(path);
  auto what = describe(path.error());
  EXPECT_NE(what.find("7782"), std::string::npos) << what;
  EXPECT_NE(what.find("7791"), std::string::npos) << what;
  EXPECT_NE(what.find("Blandy.76.2"), std::string::npos) << what;
  EXPECT_EQ(net_->requested_bytes(), 7791u) << "asked more than once";
  EXPECT_TRUE(dir_names().empty() || dir_names().size() == 1u);  // at most the empty part
  auto bytes = open(cache, ref);
  auto r = read(bytes, 0, 100);
  ASSERT_TRUE(r.err);
  EXPECT_EQ(to_errno(r.err), EIO);
}

TEST_F(content_cache_test, a_good_second_location_wins_a_fetch) {
  auto pid = std::string{"cbfs.38.9"};
  auto bad = location("urn:node:BAD", pid);
  auto down = location("urn:node:DOWN", pid);
  auto good = location("urn:node:KNB", pid);
  auto bytes = slurp(knb + "/data/" + pid);
  auto corrupted = bytes;
  corrupted[100] ^= 0x01;
  net_->locations[pid] = {bad, down, good};
  net_->replicas[bad.url].bytes = corrupted;
  net_->replicas[good.url].bytes = bytes;
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref_of(pid));
  ASSERT_TRUE(path) << describe(path.error());
  EXPECT_EQ(slurp(*path), bytes);
  EXPECT_EQ(dir_names().size(), 1u);
  EXPECT_EQ(stats(cache).checksum_failures, 1u);
}

TEST_F(content_cache_test, a_file_deleted_behind_its_back_is_fetched_again) {
  auto ref = serve_fixture("cbfs.38.9");
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path);
  advance(2s);  // the idle stream lets go of the file
  fs::remove(*path);
  auto again = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(slurp(*again), slurp(knb + "/data/cbfs.38.9"));
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
  EXPECT_EQ(net_->resolves, 1);
  expect_each_byte_requested_once(ref.size);
}

TEST_F(content_cache_test, a_restart_serves_verified_files_without_fetching) {
  auto ref = serve_fixture("cbfs.38.9");
  {
    auto cache = spawn_cache();
    ASSERT_TRUE(request<std::string>(cache, fetch_atom::value, ref));
    stop(cache);
  }
  auto before = net_->requests.size();
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  ASSERT_TRUE(bytes);
  EXPECT_TRUE(bytes->verified());
  auto all = read_all(bytes);
  EXPECT_EQ(all.bytes, slurp(knb + "/data/cbfs.38.9"));
  EXPECT_EQ(net_->requests.size(), before);
  EXPECT_EQ(stats(cache).hits, 1u);
}

TEST_F(content_cache_test, an_empty_object_verifies_without_a_request) {
  object_ref ref{"empty", 0, "MD5", "d41d8cd98f00b204e9800998ecf8427e"};
  auto cache = spawn_cache();
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_TRUE(path) << describe(path.error());
  EXPECT_EQ(fs::file_size(*path), 0u);
  EXPECT_TRUE(net_->requests.empty());
}

TEST_F(content_cache_test, an_empty_object_whose_checksum_says_otherwise_is_an_error) {
  object_ref ref{"not-empty", 0, "MD5", "00000000000000000000000000000000"};
  auto cache = spawn_cache();
  auto bytes = open(cache, ref);
  auto r = read(bytes, 0, 10);
  ASSERT_TRUE(r.err);
  EXPECT_EQ(code_of(r.err), ec::checksum_mismatch);
  auto path = request<std::string>(cache, fetch_atom::value, ref);
  ASSERT_FALSE(path);
  EXPECT_EQ(code_of(path.error()), ec::checksum_mismatch);
}

TEST_F(content_cache_test, bad_refs_and_configs_are_refused) {
  auto cache = spawn_cache();
  auto no_sum = request<object_bytes_ptr>(cache, open_atom::value, object_ref{"x", 1, "MD5", ""});
  EXPECT_EQ(code_of(no_sum.error()), ec::invalid_argument);
  auto bad_alg = request<object_bytes_ptr>(cache, open_atom::value,
                                           object_ref{"x", 1, "CRC32", "00"});
  EXPECT_EQ(code_of(bad_alg.error()), ec::invalid_argument);
  auto cfg = config(0);
  EXPECT_EQ(code_of(validate(cfg)), ec::invalid_argument);
  cfg = config();
  cfg.readahead_bytes = cfg.chunk_bytes - 1;
  EXPECT_EQ(code_of(validate(cfg)), ec::invalid_argument);
  cfg = config();
  cfg.directory.clear();
  EXPECT_EQ(code_of(validate(cfg)), ec::invalid_argument);
}

// The production path: hashing catch-up in detached actors (threads of their own), which
// the test coordinator cannot drive, so this one runs in a real actor system.
TEST(content_cache_real_system, detached_workers_verify_and_reject) {
  struct config : caf::actor_system_config {
    config() {
      set("logger.verbosity", caf::atom("quiet"));
      d1::add_message_types(*this);
    }
  } cfg;
  temp_dir dir;
  {
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    auto net = std::make_shared<fake_net>();
    for (auto pid : {"cbfs.38.9", "Blandy.76.2"}) {
      auto loc = location("urn:node:KNB", pid);
      net->locations[pid].push_back(loc);
      net->replicas[loc.url].bytes = slurp(knb + "/data/" + pid);
    }
    auto node = sys.spawn(fake_node_client, net);
    content_cache_config ccfg;
    ccfg.directory = dir.path();
    ccfg.max_bytes = 1u << 20;
    content_cache_actor cache = sys.spawn(content_cache, ccfg, node);
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
    self->send_exit(cache, caf::exit_reason::user_shutdown);
    self->send_exit(node, caf::exit_reason::user_shutdown);
  }
}

}  // namespace
}  // namespace d1::test
