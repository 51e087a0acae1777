// A real daemon for command-line tests: `d1drive serve --daemon` in a temp state dir with
// three empty roots, the CLI run against it (bounded), and helpers to make and compare
// files with the ordinary tools.
#pragma once

#include "tests/integration/harness.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace d1::integration {

class cli_fixture : public ::testing::Test {
protected:
  void SetUp() override {
    state_ = dir_.path() + "/state";
    r1_ = dir_.path() + "/r1";
    r2_ = dir_.path() + "/r2";
    r3_ = dir_.path() + "/r3";
    config_ = dir_.path() + "/d1drive.toml";
    ASSERT_EQ(sh("mkdir -p " + quote(r1_) + " " + quote(r2_) + " " + quote(r3_)
                 + " && : > " + quote(config_))
                .status,
              0);
    auto started = start_daemon();
    ASSERT_EQ(started.status, 0) << started.out << started.err;
  }

  void TearDown() override {
    stop_daemon();
  }

  std::string d1drive() const {
    return binary_dir() + "/d1drive";
  }

  // A fixture that runs the daemon another way (a mount) overrides both.
  virtual command_result start_daemon() {
    return sh(d1drive() + " serve --daemon --state-dir " + quote(state_) + " --config "
                + quote(config_),
              30);
  }

  // SIGTERM, then (bounded) SIGKILL.
  virtual void stop_daemon() {
    sh("p=$(cat " + quote(state_ + "/d1drive.pid") + " 2>/dev/null) || exit 0; kill $p; "
         "for i in $(seq 100); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; "
         "kill -9 $p",
       20);
  }

  // `d1drive ARGS --state-dir STATE`, bounded.
  command_result cli(const std::string& args, int timeout_seconds = 60) {
    return sh(d1drive() + " " + args + " --state-dir " + quote(state_), timeout_seconds);
  }

  nlohmann::json cli_json(const std::string& args) {
    auto r = cli(args + " --json");
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << r.out << r.err;
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  // Writes `bytes` random bytes to root/rel.
  void make_file(const std::string& root, const std::string& rel, size_t bytes) {
    auto path = root + "/" + rel;
    ASSERT_EQ(sh("mkdir -p \"$(dirname " + quote(path) + ")\" && head -c "
                 + std::to_string(bytes) + " /dev/urandom > " + quote(path))
                .status,
              0);
  }

  // Registers and waits for the hashing; returns the resource uid.
  std::string register_raw(const std::string& rel, size_t bytes = 300000) {
    make_file(r1_, rel, bytes);
    auto j = cli_json("resource register --spec RAW --root " + quote(r1_) + " --path "
                      + quote(rel) + " --wait");
    EXPECT_TRUE(j.value("ok", false)) << j.dump(2);
    return j["result"].value("resource_uid", "");
  }

  // Six frames in r1/scan named as areaDetector names them (3 points × 2 frames,
  // img_000000.tiff …), registered as AD_TIFF with --wait; returns the CLI's answer.
  nlohmann::json register_ad_tiff_frames() {
    for (int n = 0; n < 6; ++n) {
      char name[64];
      std::snprintf(name, sizeof name, "scan/img_%06d.tiff", n);
      make_file(r1_, name, 20000 + n);
    }
    return cli_json("resource register --spec AD_TIFF --root " + quote(r1_)
                    + " --path scan --kwargs "
                    + quote(R"({"template": "%s%s_%6.6d.tiff", "filename": "img", )"
                            R"("frame_per_point": 2, "num_points": 3})")
                    + " --wait");
  }

  bool exists(const std::string& path) {
    return sh("test -e " + quote(path)).status == 0;
  }

  bool same(const std::string& a, const std::string& b) {
    return sh("cmp -s " + quote(a) + " " + quote(b)).status == 0;
  }

  temp_dir dir_;
  std::string state_, r1_, r2_, r3_, config_;
};

}  // namespace d1::integration
