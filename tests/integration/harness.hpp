// Integration harness: a real stand-in DataONE node (tools/d1-test-node, a separate
// process on 127.0.0.1) and a real d1drive mount of it, driven with the ordinary tools
// (ls, stat, cat, sha1sum, find) through a shell. Every command is bounded by `timeout`.
#pragma once

#include <chrono>
#include <map>
#include <string>
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
  mounted_drive(const std::string& work_dir, const std::string& base_url,
                const std::string& state_dir, const std::string& extra_config = "");
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

/// The path segment for `pid` in the mount (escaped per DESIGN.md, written independently
/// of the product's code).
std::string segment_for(const std::string& pid);

}  // namespace d1::integration
