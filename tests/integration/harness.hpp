// Integration harness: a real stand-in DataONE node (tools/d1-test-node, a separate
// process on 127.0.0.1) and a real d1drive mount of it, driven with the ordinary tools
// (ls, stat, cat, sha1sum, find) through a shell. Every command is bounded by `timeout`.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace d1::integration {

/// The output and exit status of a shell command.
struct command_result {
  int status = -1;  // exit code; 124 when `timeout` killed it
  std::string out;  // stdout
  std::string err;  // stderr
};

/// Runs `command` with /bin/sh under `timeout SECONDS`; never throws.
command_result sh(const std::string& command, int timeout_seconds = 30);

/// Single-quotes `text` for the shell.
std::string quote(const std::string& text);

/// The repository root and the build directory.
std::string source_dir();
std::string binary_dir();

/// The shared fixtures directory (../shared/fixtures/dataone), empty if absent.
std::string fixtures_dir();

/// Reads a whole file; empty if it cannot be read.
std::string read_file(const std::string& path);

/// The path segment for `pid` in the mount (escaped per DESIGN.md, written independently
/// of the product's code).
std::string segment_for(const std::string& pid);

/// The lines of `text`, without their newlines (a blank line is an empty string).
std::vector<std::string> lines(const std::string& text);

/// The entries of a directory, via `ls -A1` (one per line); empty if ls fails.
std::vector<std::string> ls(const std::string& path, int timeout_seconds = 60);

/// The text up to the first space or newline (the hash in sha1sum/md5sum output).
std::string first_word(const std::string& text);

/// A fresh temporary directory, removed (after unmounting anything below) by the dtor.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  const std::string& path() const {
    return path_;
  }

private:
  std::string path_;
};

/// The stand-in node, started on a free port with a JSON request log.
class test_node {
public:
  /// Starts the node (extra command-line arguments allowed); blocks until it listens.
  explicit test_node(const std::string& work_dir, const std::vector<std::string>& args = {});
  ~test_node();

  bool running() const {
    return pid_ > 0;
  }
  std::string cn_url() const;  // http://127.0.0.1:PORT/cn
  std::string mn_url() const;
  int port() const {
    return port_;
  }

  /// Number of logged requests (all sides but "control") since the node started.
  size_t request_count() const;

  /// Number of Solr select requests (endpoint query/solr/) in the node's log.
  size_t select_count() const;

  /// Adds a fault through the control API (JSON body as documented in its README).
  void add_fault(const std::string& json);
  void clear_faults();

  /// Stops the node (SIGTERM, then SIGKILL after 5 s).
  void stop();

  std::string log_path() const {
    return log_;
  }

private:
  std::string dir_;
  std::string log_;
  int pid_ = -1;
  int port_ = 0;
};

/// A d1drive mount of a node, started with `d1drive mount --daemon`.
class mounted_drive {
public:
  /// `fuse_options`: passed as `-o` (e.g. "allow_other"), none if empty.
  mounted_drive(const std::string& work_dir, const std::string& base_url,
                const std::string& state_dir, const std::string& extra_config = "",
                const std::string& fuse_options = "");
  ~mounted_drive();

  bool live() const {
    return live_;
  }
  const std::string& mountpoint() const {
    return mountpoint_;
  }
  const std::string& mount_output() const {
    return mount_output_;
  }
  std::string log() const;

  /// `d1drive unmount`; returns its exit status.
  int unmount();

private:
  std::string mountpoint_;
  std::string state_dir_;
  std::string mount_output_;
  bool live_ = false;
};

/// The node's own Solr answer to `params` ("q=…&fq=…"; wt=json is added), fetched with
/// curl; null when the request fails, a discarded value when the body is not JSON.
nlohmann::json node_select(const test_node& node, const std::string& params);

/// "q=*:*" and one url-encoded fq parameter per filter.
std::string fq_params(const std::vector<std::string>& fq);

/// The values of `field` under the filters `fq` with their counts, in the node's order
/// (most frequent first); empty when the node does not answer.
std::vector<std::pair<std::string, uint64_t>> node_facet(const test_node& node,
                                                         const std::string& field,
                                                         const std::vector<std::string>& fq = {});

/// What a suite's shared node and mount are made of.
struct mount_options {
  mount_options() = default;
  mount_options(std::vector<std::string> node_args, std::string config)
    : node_args(std::move(node_args)), config(std::move(config)) {
  }

  std::vector<std::string> node_args;  // extra d1-test-node arguments
  std::string config;                  // the daemon's TOML configuration
  /// Runs before the node starts, given the suite's work dir; returns more node arguments.
  std::function<std::vector<std::string>(const std::string& work_dir)> prepare;
  /// Without the shared fixtures nothing is started and every test is skipped.
  bool needs_fixtures = false;
};

/// A stand-in node and a d1drive mount of it in one temp dir.
struct shared_mount {
  std::unique_ptr<temp_dir> dir;
  std::unique_ptr<test_node> node;
  std::unique_ptr<mounted_drive> drive;

  /// Starts the node, then the mount (state in WORK/state); returns "" when the mount is
  /// live or nothing was to start (needs_fixtures without fixtures), otherwise what failed
  /// with the node's or the mount's output.
  std::string start(const mount_options& options);

  /// Unmounts, stops the node and removes the temp dir; safe when nothing was started.
  void stop();
};

/// GoogleTest base of a suite whose tests share one node and mount, started once in
/// SetUpTestSuite from `Suite::options()` and stopped in TearDownTestSuite:
///   class my_test : public mount_suite<my_test> {
///   public:  // read by the base
///     static mount_options options() { return {{}, "[network]\ntimeout_ms = 3000\n"}; }
///   };
/// Each test fails at once when the mount is not live (skipped without fixtures when
/// needs_fixtures). dir_, node_ and drive_ are the suite's (null outside it).
template <class Suite>
class mount_suite : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    auto options = Suite::options();
    needs_fixtures_ = options.needs_fixtures;
    failure_ = shared_.start(options);
    dir_ = shared_.dir.get();
    node_ = shared_.node.get();
    drive_ = shared_.drive.get();
    ASSERT_TRUE(failure_.empty()) << failure_;
  }

  static void TearDownTestSuite() {
    shared_.stop();
    dir_ = nullptr;
    node_ = nullptr;
    drive_ = nullptr;
  }

  void SetUp() override {
    if (needs_fixtures_ && fixtures_dir().empty())
      GTEST_SKIP() << "shared fixtures absent";
    if (!drive_ || !drive_->live())
      GTEST_FAIL() << "mount is not live: " << failure_;
  }

  static std::string mnt() {
    return drive_->mountpoint();
  }

  /// FlatSpace/<segment of pid> in the mount.
  static std::string object_dir(const std::string& pid) {
    return mnt() + "/FlatSpace/" + segment_for(pid);
  }

  /// FacetedSearch/ in the mount.
  static std::string fs() {
    return mnt() + "/FacetedSearch";
  }

  static inline temp_dir* dir_ = nullptr;
  static inline test_node* node_ = nullptr;
  static inline mounted_drive* drive_ = nullptr;

private:
  static inline shared_mount shared_;
  static inline std::string failure_;
  static inline bool needs_fixtures_ = false;
};

}  // namespace d1::integration
