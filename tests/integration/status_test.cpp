// Status/ on a real mount of the stand-in node: a copy job run with the CLI shows up in
// Status/jobs/ and jobs.json; a replica that serves a corrupt object leaves its PID,
// replica, expected and computed checksums in Status/content.txt and content.json; an
// object held up mid-body is listed as a download in flight; `d1drive status` shows the
// same. The JSON files are parsed and their fields checked.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace d1::integration {
namespace {

using json = nlohmann::json;

constexpr uint64_t mib = 1 << 20;
constexpr uint64_t corrupt_size = 3 * mib + 5;
constexpr uint64_t corrupt_offset = 1000;
constexpr uint64_t slow_size = 4 * mib + 9;

class status_integration_test : public mount_suite<status_integration_test> {
public:
  static mount_options options() {
    mount_options o{{"--replicas", "2", "--dot-pids"},
                    "[network]\ntimeout_ms = 5000\nmax_retries = 1\nstall_ms = 20000\n"
                    "[cache]\nchunk_mb = 1\nreadahead_mb = 2\n"};
    o.prepare = [](const std::string& work) {
      sh("mkdir -p " + quote(work + "/objects") + " " + quote(work + "/r1") + " "
         + quote(work + "/r2"));
      sh("head -c " + std::to_string(corrupt_size) + " /dev/urandom > "
         + quote(work + "/objects/corrupt"));
      sh("head -c " + std::to_string(slow_size) + " /dev/urandom > "
         + quote(work + "/objects/slow"));
      return std::vector<std::string>{"--object-file", work + "/objects/corrupt",
                                      "status.corrupt", "--object-file",
                                      work + "/objects/slow", "status.slow"};
    };
    return o;
  }

protected:
  static std::string state_dir() {
    return dir_->path() + "/state";
  }

  static command_result cli(const std::string& args, int timeout_seconds = 60) {
    return sh(binary_dir() + "/d1drive " + args + " --state-dir " + quote(state_dir()),
              timeout_seconds);
  }

  static json cli_json(const std::string& args) {
    auto r = cli(args + " --json");
    auto j = json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << r.err;
    return j.is_discarded() ? json::object() : j;
  }

  static std::string status_file(const std::string& name) {
    return sh("cat " + quote(mnt() + "/Status/" + name)).out;
  }

  static json status_json(const std::string& name) {
    auto text = status_file(name);
    auto j = json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << name << " is not JSON:\n" << text;
    return j.is_discarded() ? json::object() : j;
  }

  static std::string sha256(const std::string& path) {
    return first_word(sh("sha256sum < " + quote(path), 60).out);
  }

  // The bytes file of an object folder.
  static std::string data_file(const std::string& pid) {
    for (auto& e : ls(object_dir(pid)))
      if (e != "system.xml" && e != "search_fields.txt")
        return object_dir(pid) + "/" + e;
    return {};
  }
};

TEST_F(status_integration_test, integration_a_copy_job_shows_in_status_jobs_and_jobs_json) {
  auto r1 = dir_->path() + "/r1";
  auto r2 = dir_->path() + "/r2";
  ASSERT_EQ(sh("head -c 700000 /dev/urandom > " + quote(r1 + "/a.raw")).status, 0);
  auto reg = cli_json("resource register --spec RAW --root " + quote(r1)
                      + " --path a.raw --wait");
  ASSERT_TRUE(reg.value("ok", false)) << reg.dump(2);
  auto uid = reg["result"].value("resource_uid", "");
  ASSERT_FALSE(uid.empty()) << reg.dump(2);
  auto copy = cli_json("resource copy " + uid + " --to " + quote(r2) + " --wait");
  ASSERT_TRUE(copy.value("ok", false)) << copy.dump(2);
  auto id = copy["result"]["job"].value("id", uint64_t{0});
  ASSERT_GT(id, 0u) << copy.dump(2);
  auto name = std::to_string(id) + "-copy.txt";

  auto files = ls(mnt() + "/Status/jobs");
  EXPECT_NE(std::find(files.begin(), files.end(), name), files.end())
    << "no " << name << " in Status/jobs: " << testing::PrintToString(files);
  auto text = status_file("jobs/" + name);
  for (auto want : {"job " + std::to_string(id) + ": copy\n", "resource: " + uid + "\n",
                    std::string{"state: done\n"}, "to: " + r2 + "\n",
                    std::string{"files: 1 of 1 done, 0 failed\n"},
                    std::string{"bytes: 700000 of 700000 (100.0 %)\n"},
                    std::string{"error: none\n"}})
    EXPECT_NE(text.find(want), std::string::npos) << want << " not in:\n" << text;
  EXPECT_EQ(text.find("ETA"), std::string::npos) << text;

  auto jobs = status_json("jobs.json");
  ASSERT_TRUE(jobs["jobs"].is_array()) << jobs.dump(2);
  json found;
  for (auto& j : jobs["jobs"])
    if (j.value("id", uint64_t{0}) == id)
      found = j;
  ASSERT_TRUE(found.is_object()) << jobs.dump(2);
  EXPECT_EQ(found["file"], name);
  EXPECT_EQ(found["kind"], "copy");
  EXPECT_EQ(found["state"], "done");
  EXPECT_EQ(found["resource"], uid);
  EXPECT_EQ(found["to"], r2);
  EXPECT_EQ(found["files_done"], 1);
  EXPECT_EQ(found["files_total"], 1);
  EXPECT_EQ(found["files_failed"], 0);
  EXPECT_EQ(found["bytes_done"], 700000);
  EXPECT_EQ(found["bytes_total"], 700000);
  EXPECT_TRUE(found["eta_s"].is_null());
  EXPECT_GE(found["elapsed_s"].get<double>(), 0.0);
  EXPECT_GT(found["finished_ms"].get<int64_t>(), 0);
  // The register job is there too, newest first.
  ASSERT_GE(jobs["jobs"].size(), 2u);
  EXPECT_EQ(jobs["jobs"][0]["id"], id);
  EXPECT_EQ(jobs["jobs"][1]["kind"], "register_hash");

  // `d1drive status` shows the same jobs.
  auto status = cli_json("status");
  ASSERT_TRUE(status.value("ok", false)) << status.dump(2);
  ASSERT_TRUE(status["result"]["recent_jobs"].is_array()) << status.dump(2);
  EXPECT_EQ(status["result"]["recent_jobs"][0]["id"], id);
  EXPECT_EQ(status["result"]["recent_jobs"][0]["state"], "done");
  EXPECT_FALSE(status["result"].contains("recent_jobs_text")) << "text in --json";
  auto people = cli("status");
  ASSERT_EQ(people.status, 0) << people.err;
  EXPECT_NE(people.out.find("copy"), std::string::npos) << people.out;
  EXPECT_NE(people.out.find(uid), std::string::npos) << people.out;
}

TEST_F(status_integration_test, integration_a_corrupt_replica_shows_in_status_content) {
  auto pid = std::string{"status.corrupt"};
  node_->add_fault("{\"match\": \"^/mn/v2/object/status\\\\.corrupt$\", \"kind\": \"corrupt\", "
                   "\"offsets\": [" + std::to_string(corrupt_offset) + "]}");
  auto source = dir_->path() + "/objects/corrupt";
  auto bad = dir_->path() + "/corrupt.flipped";
  ASSERT_EQ(sh("python3 -c 'import sys; b = bytearray(open(sys.argv[1], \"rb\").read()); "
               "b[int(sys.argv[3])] ^= 0xFF; open(sys.argv[2], \"wb\").write(b)' "
               + quote(source) + " " + quote(bad) + " " + std::to_string(corrupt_offset))
              .status,
            0);
  auto expected = sha256(source);
  auto computed = sha256(bad);
  ASSERT_NE(expected, computed);
  auto file = data_file(pid);
  ASSERT_FALSE(file.empty());
  auto first = sh("cat " + quote(file) + " > /dev/null", 120);
  EXPECT_NE(first.status, 0) << "a corrupt copy was read whole";

  auto content = status_json("content.json");
  ASSERT_TRUE(content["recent_checksum_failures"].is_array()) << content.dump(2);
  json failure;
  for (auto& f : content["recent_checksum_failures"])
    if (f.value("pid", "") == pid)
      failure = f;
  ASSERT_TRUE(failure.is_object()) << content.dump(2);
  EXPECT_EQ(failure["algorithm"], "SHA-256");
  EXPECT_EQ(failure["expected"], expected);
  EXPECT_EQ(failure["computed"], computed);
  EXPECT_EQ(failure["size"], corrupt_size);
  ASSERT_EQ(failure["sources"].size(), 1u) << failure.dump(2);
  auto url = failure["sources"][0].value("url", "");
  EXPECT_NE(url.find("/mn/v2/object/status.corrupt"), std::string::npos) << url;
  EXPECT_FALSE(failure["sources"][0].value("node", "").empty());
  EXPECT_GE(content["checksum_failures"].get<uint64_t>(), 1u);

  auto text = status_file("content.txt");
  EXPECT_NE(text.find(pid), std::string::npos) << text;
  EXPECT_NE(text.find("expected SHA-256: " + expected), std::string::npos) << text;
  EXPECT_NE(text.find("computed SHA-256: " + computed), std::string::npos) << text;
  EXPECT_NE(text.find("/mn/v2/object/status.corrupt"), std::string::npos) << text;

  // The next reader gets the good replica; the object then counts as cached.
  auto again = sh("sha256sum < " + quote(file), 120);
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(first_word(again.out), expected);
  content = status_json("content.json");
  EXPECT_GE(content["verified_objects"].get<uint64_t>(), 1u) << content.dump(2);
  EXPECT_GE(content["verified_bytes"].get<uint64_t>(), corrupt_size) << content.dump(2);

  // `d1drive status` reports the same failure.
  auto status = cli_json("status");
  ASSERT_TRUE(status.value("ok", false)) << status.dump(2);
  bool listed = false;
  for (auto& f : status["result"]["content"]["recent_checksum_failures"])
    listed = listed || (f.value("pid", "") == pid && f.value("computed", "") == computed);
  EXPECT_TRUE(listed) << status.dump(2);
  auto people = cli("status");
  EXPECT_NE(people.out.find("computed SHA-256: " + computed), std::string::npos) << people.out;
}

TEST_F(status_integration_test, integration_a_download_in_flight_shows_its_progress) {
  auto pid = std::string{"status.slow"};
  // Every replica holds its answer after 1 MiB for 8 s: the download is seen in flight.
  node_->add_fault("{\"match\": \"/v2/object/status\\\\.slow$\", \"kind\": \"stall\", "
                   "\"keep_bytes\": 1048576, \"delay_ms\": 8000, \"count\": 1}");
  auto file = data_file(pid);
  ASSERT_FALSE(file.empty());
  auto out = dir_->path() + "/slow.out";
  auto reader = std::thread([&] { sh("cat " + quote(file) + " > " + quote(out), 120); });
  json seen;
  for (int i = 0; i < 60 && seen.is_null(); ++i) {  // up to ~6 s
    auto content = status_json("content.json");
    if (content["downloads"].is_array())
      for (auto& d : content["downloads"])
        if (d.value("pid", "") == pid && d.value("bytes_present", uint64_t{0}) > 0)
          seen = d;
    if (seen.is_null())
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  reader.join();
  ASSERT_TRUE(seen.is_object()) << "the download was never listed in flight";
  EXPECT_EQ(seen["size"], slow_size);
  EXPECT_LT(seen["bytes_present"].get<uint64_t>(), slow_size);
  EXPECT_GE(seen["transfers"].get<uint64_t>(), 1u);
  EXPECT_FALSE(seen["nodes"].empty()) << seen.dump();
  EXPECT_TRUE(seen["rate_bytes_per_s"].is_number()) << seen.dump();
  EXPECT_EQ(sha256(out), sha256(dir_->path() + "/objects/slow"));
}

}  // namespace
}  // namespace d1::integration
