// End to end: object bytes streamed through a real mount from the stand-in node, which
// serves files from disk on two member-node replicas (/mn, /mn2) and breaks the first one on
// demand mid-body: stalls, resets, short and overlong bodies, a wrong Content-Range, 416,
// 5xx and flipped bytes. Readers are cat, head, sha256sum and a Python reader; what went over
// the network is read from the node's own request log (with each request's Range).
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace d1::integration {
namespace {

constexpr uint64_t mib = 1 << 20;

// The objects every test of the suite reads, one per test so caches never mix: name → size.
const std::map<std::string, uint64_t>& objects() {
  static const std::map<std::string, uint64_t> all{
    {"plain", 5 * mib + 17},   {"early", 6 * mib},         {"stall", 5 * mib + 1},
    {"reset", 5 * mib + 2},    {"short", 5 * mib + 3},     {"overlong", 5 * mib + 4},
    {"badrange", 5 * mib + 5}, {"r416", 5 * mib + 6},      {"e503", 5 * mib + 7},
    {"first", 5 * mib + 8},    {"middle", 5 * mib + 9},    {"last", 5 * mib + 10},
    {"shared", 8 * mib + 11},  {"e1", 2 * mib + 500},      {"e2", 2 * mib + 600},
    {"e3", 2 * mib + 700},     {"small", 100000},          {"big", 40 * mib},
  };
  return all;
}

std::string pid_of(const std::string& name) {
  return "stream." + name;
}

// One request of the node's log.
struct logged {
  std::string path;
  std::string range;  // the Range header, "" if none
  int status = 0;
  uint64_t bytes = 0;
};

class streaming_test : public mount_suite<streaming_test> {
public:
  static mount_options options() {
    mount_options o{{"--replicas", "2", "--dot-pids"},
                    "[network]\ntimeout_ms = 5000\nmax_retries = 1\nstall_ms = 1000\n"
                    "[cache]\nchunk_mb = 1\nreadahead_mb = 2\n"};
    o.prepare = [](const std::string& work) {
      std::vector<std::string> args;
      sh("mkdir -p " + quote(work + "/objects"));
      for (auto& [name, size] : objects()) {
        auto path = work + "/objects/" + name;
        sh("head -c " + std::to_string(size) + " /dev/urandom > " + quote(path), 60);
        args.insert(args.end(), {"--object-file", path, pid_of(name)});
      }
      return args;
    };
    return o;
  }

protected:
  static std::string source(const std::string& name) {
    return dir_->path() + "/objects/" + name;
  }

  static std::string sha(const std::string& path) {
    return first_word(sh("sha256sum < " + quote(path), 120).out);
  }

  // The bytes file of an object folder (whatever its name).
  static std::string data_file(const std::string& pid, const std::string& mount = "") {
    auto dir = (mount.empty() ? mnt() : mount) + "/FlatSpace/" + segment_for(pid);
    for (auto& e : ls(dir))
      if (e != "system.xml" && e != "search_fields.txt")
        return dir + "/" + e;
    return {};
  }

  static std::string file_of(const std::string& name) {
    return data_file(pid_of(name));
  }

  // Object requests of `pid` in the node's log, oldest first.
  static std::vector<logged> requests(const std::string& pid, const std::string& log = "") {
    std::vector<logged> out;
    auto suffix = "/v2/object/" + pid;
    for (auto& line : lines(read_file(log.empty() ? node_->log_path() : log))) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("path"))
        continue;
      auto path = j["path"].get<std::string>();
      if (path.size() < suffix.size() || path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      logged r;
      r.path = path;
      r.range = j["range"].is_string() ? j["range"].get<std::string>() : "";
      r.status = j["status"].get<int>();
      r.bytes = j["bytes"].get<uint64_t>();
      out.push_back(r);
    }
    return out;
  }

  static uint64_t range_start(const logged& r) {
    auto eq = r.range.find('=');
    return eq == std::string::npos ? 0 : std::stoull(r.range.substr(eq + 1));
  }

  static uint64_t bytes_sent(const std::vector<logged>& rs) {
    uint64_t n = 0;
    for (auto& r : rs)
      n += r.bytes;
    return n;
  }

  static bool from_replica(const logged& r, const std::string& side) {
    return r.path.rfind("/" + side + "/", 0) == 0;
  }

  static void fault(const std::string& json) {
    node_->add_fault(json);
  }

  // The first replica breaks every request for `name` this way (the second stays good).
  static void break_first_replica(const std::string& name, const std::string& how) {
    fault("{\"match\": \"^/mn/v2/object/stream\\\\." + name + "$\", " + how + "}");
  }

  // Reads the whole object and checks it against its source file.
  static void expect_reads_back(const std::string& name) {
    auto path = file_of(name);
    ASSERT_FALSE(path.empty()) << name;
    auto r = sh("sha256sum < " + quote(path), 120);
    ASSERT_EQ(r.status, 0) << name << ": " << r.err << "\n" << drive_->log();
    EXPECT_EQ(first_word(r.out), sha(source(name))) << name;
  }

  static std::string status_file(const std::string& name, const std::string& mount = "") {
    return sh("cat " + quote((mount.empty() ? mnt() : mount) + "/Status/" + name)).out;
  }

  // The content cache's figures in Status/daemon.json.
  static nlohmann::json content_counters(const std::string& mount = "") {
    auto j = nlohmann::json::parse(status_file("daemon.json", mount), nullptr, false);
    if (j.is_discarded() || !j["content_cache"].is_object())
      return nlohmann::json::object({{"checksum_failures", 0}, {"evictions", 0}});
    return j["content_cache"];
  }
};

TEST_F(streaming_test, integration_bytes_arrive_in_ranges_each_fetched_once) {
  expect_reads_back("plain");
  auto rs = requests(pid_of("plain"));
  ASSERT_GE(rs.size(), 2u) << "not fetched in ranges";
  for (auto& r : rs) {
    EXPECT_EQ(r.status, 206) << r.range;
    EXPECT_FALSE(r.range.empty());
  }
  EXPECT_EQ(bytes_sent(rs), objects().at("plain"));
  // Read again: the kernel and the cache serve it, nothing goes over the network.
  expect_reads_back("plain");
  EXPECT_EQ(requests(pid_of("plain")).size(), rs.size());
}

TEST_F(streaming_test, integration_the_first_bytes_are_read_while_the_rest_is_on_its_way) {
  // The node stops after 1 MiB for 20 s; the reader's first bytes do not wait for that.
  fault("{\"match\": \"stream\\\\.early$\", \"kind\": \"stall\", \"keep_bytes\": 1048576, "
        "\"delay_ms\": 20000, \"count\": 1}");
  auto head = sh("head -c 4096 " + quote(file_of("early")) + " | wc -c", 30);
  EXPECT_EQ(head.out, "4096\n") << head.err;
  // Served before the object was complete: it is still being fetched or partly there.
  auto downloads = status_file("downloads");
  EXPECT_NE(downloads.find(pid_of("early") + ": "), std::string::npos) << downloads;
  expect_reads_back("early");
}

TEST_F(streaming_test, integration_a_stall_mid_body_resumes_from_the_next_missing_byte) {
  fault("{\"match\": \"^/mn/v2/object/stream\\\\.stall$\", \"kind\": \"stall\", "
        "\"keep_bytes\": 1048576, \"delay_ms\": 6000, \"count\": 1}");
  expect_reads_back("stall");
  // The log is in order of completion: the stalled request ends last.
  auto rs = requests(pid_of("stall"));
  ASSERT_GE(rs.size(), 2u);
  bool resumed = std::any_of(rs.begin(), rs.end(), [](const logged& r) {
    return from_replica(r, "mn") && range_start(r) == 1048576;
  });
  EXPECT_TRUE(resumed) << "no request resumed at the stall point on the same replica";
  EXPECT_NE(drive_->log().find("no byte for"), std::string::npos);
}

TEST_F(streaming_test, integration_a_reset_mid_body_resumes) {
  fault("{\"match\": \"^/mn/v2/object/stream\\\\.reset$\", \"kind\": \"reset\", "
        "\"keep_bytes\": 1048576, \"count\": 1}");
  expect_reads_back("reset");
  auto rs = requests(pid_of("reset"));
  // A reset discards what the client had not read from its socket yet: the resume starts at
  // the first byte that did not land, at most where the node stopped.
  EXPECT_TRUE(std::any_of(rs.begin(), rs.end(), [](const logged& r) {
    return from_replica(r, "mn") && range_start(r) > 0 && range_start(r) <= 1048576;
  })) << "no request resumed within the reset range on the same replica";
}

TEST_F(streaming_test, integration_a_short_body_resumes) {
  fault("{\"match\": \"^/mn/v2/object/stream\\\\.short$\", \"kind\": \"truncate\", "
        "\"keep_bytes\": 1048576, \"count\": 1}");
  expect_reads_back("short");
  auto rs = requests(pid_of("short"));
  EXPECT_TRUE(std::any_of(rs.begin(), rs.end(), [](const logged& r) {
    return from_replica(r, "mn") && range_start(r) == 1048576;
  }));
}

TEST_F(streaming_test, integration_replicas_that_disagree_or_fail_are_skipped) {
  break_first_replica("overlong", "\"kind\": \"overlong\"");
  break_first_replica("badrange", "\"kind\": \"bad_range\"");
  break_first_replica("r416", "\"kind\": \"status\", \"status\": 416");
  break_first_replica("e503", "\"kind\": \"status\", \"status\": 503");
  for (auto name : {"overlong", "badrange", "r416", "e503"}) {
    SCOPED_TRACE(name);
    expect_reads_back(name);
    auto rs = requests(pid_of(name));
    ASSERT_FALSE(rs.empty());
    // The log is in order of completion: an aborted answer may be logged after the good one.
    EXPECT_TRUE(std::any_of(rs.begin(), rs.end(),
                            [](const logged& r) { return from_replica(r, "mn"); }))
      << "the first replica was never asked";
    EXPECT_TRUE(std::any_of(rs.begin(), rs.end(),
                            [](const logged& r) { return from_replica(r, "mn2"); }))
      << "the second replica was never asked";
  }
  // The replica whose answers disagree is not asked again after its first answer.
  auto rs = requests(pid_of("badrange"));
  EXPECT_EQ(std::count_if(rs.begin(), rs.end(), [](const logged& r) { return from_replica(r, "mn"); }),
            1);
}

TEST_F(streaming_test, integration_a_corrupt_byte_fails_the_whole_file_reader_then_a_good_replica_serves) {
  std::map<std::string, uint64_t> at{
    {"first", 100}, {"middle", 2 * mib + 12345}, {"last", 5 * mib + 2}};
  for (auto& [name, offset] : at) {
    SCOPED_TRACE(name);
    break_first_replica(name, "\"kind\": \"corrupt\", \"offsets\": [" + std::to_string(offset) + "]");
    auto size = objects().at(name);
    auto out = dir_->path() + "/out." + name;
    auto first = sh("cat " + quote(file_of(name)) + " > " + quote(out), 120);
    EXPECT_NE(first.status, 0) << "a whole-file reader succeeded on a corrupt copy";
    EXPECT_NE(first.err.find("Input/output error"), std::string::npos) << first.err;
    auto got = read_file(out).size();
    EXPECT_LT(got, size) << "all the bad bytes were handed out";
    EXPECT_LE(got, (size - 1) / mib * mib) << "bytes of the unverified last chunk were served";
    auto log = drive_->log();
    EXPECT_NE(log.find("checksum mismatch for " + pid_of(name)), std::string::npos) << log;
    auto downloads = status_file("downloads");
    EXPECT_NE(downloads.find("checksum mismatch for " + pid_of(name)), std::string::npos)
      << downloads;
    // The next reader gets verified bytes, from the second replica.
    expect_reads_back(name);
    auto rs = requests(pid_of(name));
    EXPECT_TRUE(from_replica(rs.back(), "mn2"));
  }
  auto daemon = content_counters();
  EXPECT_GE(daemon["checksum_failures"].get<uint64_t>(), 3u) << daemon.dump();
}

TEST_F(streaming_test, integration_two_readers_share_one_fetch) {
  auto path = file_of("shared");
  auto out = dir_->path() + "/shared.";
  auto r = sh("sha256sum < " + quote(path) + " > " + quote(out + "a") + " & sha256sum < "
                + quote(path) + " > " + quote(out + "b") + "; wait",
              120);
  ASSERT_EQ(r.status, 0) << r.err;
  auto want = sha(source("shared"));
  EXPECT_EQ(first_word(read_file(out + "a")), want);
  EXPECT_EQ(first_word(read_file(out + "b")), want);
  EXPECT_EQ(bytes_sent(requests(pid_of("shared"))), objects().at("shared"))
    << "bytes of one object fetched twice for two readers";
}

TEST_F(streaming_test, integration_dot_segment_identifiers_reach_the_node_as_themselves) {
  for (std::string pid : {".", ".."}) {
    SCOPED_TRACE(pid);
    auto folder = mnt() + "/FlatSpace/" + (pid == "." ? "%2E" : "%2E%2E");
    auto entries = ls(folder);
    ASSERT_EQ(entries.size(), 3u) << folder;
    auto bytes = sh("cat " + quote(data_file(pid)));
    ASSERT_EQ(bytes.status, 0) << bytes.err;
    EXPECT_EQ(bytes.out.rfind("dot-segment identifier " + pid + "\n", 0), 0u) << bytes.out;
  }
  auto log = read_file(node_->log_path());
  EXPECT_NE(log.find("\"/cn/v2/meta/%2E\""), std::string::npos);
  EXPECT_NE(log.find("\"/cn/v2/meta/%2E%2E\""), std::string::npos);
  // The bytes' URL comes from resolve, which (like a real CN) leaves the dots as they are:
  // it must reach the node unresolved.
  EXPECT_TRUE(log.find("\"/mn/v2/object/..\"") != std::string::npos
              || log.find("\"/mn/v2/object/%2E%2E\"") != std::string::npos);
  EXPECT_EQ(log.find("\"/mn/v2/object/\""), std::string::npos) << "a dot segment was resolved";
}

TEST_F(streaming_test, integration_an_object_open_for_reading_is_not_evicted) {
  // A second mount of the same node whose cache holds about one object.
  auto work = dir_->path() + "/evict";
  sh("mkdir -p " + quote(work));
  mounted_drive drive{work, node_->cn_url(), work + "/state",
                      "[cache]\ncontent_mb = 3\nchunk_mb = 1\nreadahead_mb = 2\n"};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  auto e1 = data_file(pid_of("e1"), drive.mountpoint());
  // Reads 1 MiB, waits until told to go on (bounded), reads the rest, prints its SHA-256.
  auto go = work + "/go";
  auto reader = work + "/reader.out";
  auto script =
    "import hashlib,os,sys,time\n"
    "f=open(sys.argv[1],'rb'); h=hashlib.sha256(); h.update(f.read(1048576))\n"
    "open(sys.argv[2]+'.ready','w').close()\n"
    "for _ in range(600):\n"
    "    if os.path.exists(sys.argv[2]): break\n"
    "    time.sleep(0.1)\n"
    "while True:\n"
    "    b=f.read(65536)\n"
    "    if not b: break\n"
    "    h.update(b)\n"
    "print(h.hexdigest())\n";
  sh("printf %s " + quote(script) + " > " + quote(work + "/reader.py"));
  auto started = sh("(python3 " + quote(work + "/reader.py") + " " + quote(e1) + " " + quote(go)
                      + " > " + quote(reader) + " 2>&1 &) ; for i in $(seq 300); do test -e "
                      + quote(go + ".ready") + " && exit 0; sleep 0.1; done; exit 1",
                    60);
  ASSERT_EQ(started.status, 0) << read_file(reader);
  for (auto name : {"e2", "e3"}) {
    auto r = sh("sha256sum < " + quote(data_file(pid_of(name), drive.mountpoint())), 120);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(first_word(r.out), sha(source(name)));
  }
  auto counters = content_counters(drive.mountpoint());
  EXPECT_GE(counters["evictions"].get<uint64_t>(), 1u)
    << "nothing was evicted: the test proves nothing\n" << counters.dump();
  sh("touch " + quote(go));
  auto done = sh("for i in $(seq 600); do test -s " + quote(reader)
                   + " && exit 0; sleep 0.1; done; exit 1",
                 90);
  ASSERT_EQ(done.status, 0);
  EXPECT_EQ(first_word(read_file(reader)), sha(source("e1"))) << read_file(reader);
  // Its bytes stayed: every one was fetched once, none again after the evictions.
  EXPECT_EQ(bytes_sent(requests(pid_of("e1"))), objects().at("e1"));
}

TEST_F(streaming_test, integration_a_full_state_disk_fails_reads_clearly_and_serves_what_it_has) {
  auto work = dir_->path() + "/full";
  auto state = work + "/state";
  sh("mkdir -p " + quote(state));
  auto mounted = sh("mount -t tmpfs -o size=24m d1drive-test-full " + quote(state));
  ASSERT_EQ(mounted.status, 0) << "cannot mount a tmpfs here: " << mounted.err;
  {
    mounted_drive drive{work, node_->cn_url(), state,
                        "[network]\nstall_ms = 2000\n[cache]\nchunk_mb = 1\nreadahead_mb = 4\n"};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    auto small = data_file(pid_of("small"), drive.mountpoint());
    ASSERT_EQ(first_word(sh("sha256sum < " + quote(small), 60).out), sha(source("small")));
    // 40 MiB do not fit in what is left of 24: a clear error, not a hang.
    auto big = sh("cat " + quote(data_file(pid_of("big"), drive.mountpoint())) + " > /dev/null", 60);
    EXPECT_NE(big.status, 0);
    EXPECT_NE(big.status, 124) << "the read hung";
    EXPECT_NE(big.err.find("No space left on device"), std::string::npos) << big.err;
    auto downloads = status_file("downloads", drive.mountpoint());
    EXPECT_EQ(downloads.find("writes refused by a full state disk: 0"), std::string::npos)
      << downloads;
    EXPECT_NE(drive.log().find("No space left on device"), std::string::npos);
    // What it has, it still serves.
    EXPECT_EQ(first_word(sh("sha256sum < " + quote(small), 60).out), sha(source("small")));
    EXPECT_EQ(drive.unmount(), 0);
  }
  sh("umount " + quote(state));
}

// A restart in the middle of a 256 MiB object: its own node and mounts.
TEST(streaming_restart_test, integration_a_restart_fetches_only_the_missing_ranges) {
  temp_dir dir;
  auto object = dir.path() + "/big";
  auto size = 256 * mib;
  ASSERT_EQ(sh("head -c " + std::to_string(size) + " /dev/urandom > " + quote(object), 120).status,
            0);
  auto want = first_word(sh("sha256sum < " + quote(object), 120).out);
  test_node node{dir.path(), {"--no-fixtures", "--synthetic", "5", "--object-file", object,
                              "big.object"}};
  ASSERT_TRUE(node.running()) << read_file(dir.path() + "/node.out");
  auto state = dir.path() + "/state";
  auto config = "[cache]\nchunk_mb = 4\nreadahead_mb = 32\n";
  auto requests_after = [&](size_t skip) {
    std::vector<std::pair<uint64_t, uint64_t>> out;  // range start, bytes sent
    auto all = lines(read_file(node.log_path()));
    for (size_t i = skip; i < all.size(); ++i) {
      auto j = nlohmann::json::parse(all[i], nullptr, false);
      if (j.is_discarded() || j["path"] != "/mn/v2/object/big.object")
        continue;
      auto range = j["range"].is_string() ? j["range"].get<std::string>() : "bytes=0-";
      out.emplace_back(std::stoull(range.substr(range.find('=') + 1)),
                       j["bytes"].get<uint64_t>());
    }
    return out;
  };
  auto file = [](const std::string& mnt) { return mnt + "/FlatSpace/big.object"; };
  {
    mounted_drive drive{dir.path(), node.cn_url(), state, config};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    auto name = ls(file(drive.mountpoint()));
    ASSERT_EQ(name.size(), 3u);
    auto data = file(drive.mountpoint()) + "/"
                + (name[0] != "system.xml" && name[0] != "search_fields.txt" ? name[0] : name[1] != "system.xml" && name[1] != "search_fields.txt" ? name[1] : name[2]);
    auto head = sh("head -c 100M " + quote(data) + " | wc -c", 120);
    EXPECT_EQ(head.out, "104857600\n") << head.err;
    EXPECT_EQ(drive.unmount(), 0);
  }
  auto seen = lines(read_file(node.log_path())).size();
  std::string data_name;
  {
    mounted_drive drive{dir.path(), node.cn_url(), state, config};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    for (auto& e : ls(file(drive.mountpoint())))
      if (e != "system.xml" && e != "search_fields.txt")
        data_name = e;
    auto partial = sh("cat " + quote(drive.mountpoint() + "/Status/downloads")).out;
    EXPECT_NE(partial.find("big.object: "), std::string::npos) << partial;
    auto sum = sh("sha256sum < " + quote(file(drive.mountpoint()) + "/" + data_name), 300);
    ASSERT_EQ(sum.status, 0) << sum.err << drive.log();
    EXPECT_EQ(first_word(sum.out), want);
    EXPECT_EQ(drive.unmount(), 0);
  }
  // After the restart only what was missing went over the network.
  auto after = requests_after(seen);
  ASSERT_FALSE(after.empty());
  uint64_t fetched = 0;
  for (auto& [start, bytes] : after) {
    EXPECT_GE(start, 100 * mib) << "a range present before the restart was fetched again";
    fetched += bytes;
  }
  EXPECT_LE(fetched, size - 100 * mib);
  // A crash (SIGKILL) keeps the ranges recorded up to a second before it.
  sh("rm -rf " + quote(state));
  seen = lines(read_file(node.log_path())).size();
  {
    mounted_drive drive{dir.path(), node.cn_url(), state, config};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    auto data = file(drive.mountpoint()) + "/" + data_name;
    EXPECT_EQ(sh("head -c 64M " + quote(data) + " | wc -c", 120).out, "67108864\n");
    sh("sleep 2");  // the periodic record
    auto pid_file = "/run/d1drive/" + [&] {
      auto m = drive.mountpoint();
      std::replace(m.begin(), m.end(), '/', '_');
      return m;
    }() + ".pid";
    auto pid = read_file(pid_file);
    ASSERT_FALSE(pid.empty()) << pid_file;
    sh("kill -9 " + pid + "; sleep 0.5; fusermount3 -u " + quote(drive.mountpoint())
       + " || umount -l " + quote(drive.mountpoint()));
    drive.unmount();
  }
  auto crash_seen = lines(read_file(node.log_path())).size();
  {
    mounted_drive drive{dir.path(), node.cn_url(), state, config};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    auto sum = sh("sha256sum < " + quote(file(drive.mountpoint()) + "/" + data_name), 300);
    ASSERT_EQ(sum.status, 0) << sum.err;
    EXPECT_EQ(first_word(sum.out), want);
  }
  for (auto& [start, bytes] : requests_after(crash_seen))
    EXPECT_GE(start, 60 * mib) << "a range recorded before the crash was fetched again";
  static_cast<void>(seen);
}

}  // namespace
}  // namespace d1::integration
