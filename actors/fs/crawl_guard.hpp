// crawl_guard: keeps find, updatedb and desktop indexers from turning the infinite search
// tree into endless Solr queries, and grep -r or a virus scanner from downloading the
// federation. fs_gateway asks it before every cold (uncached) query and before a process
// starts reading an uncached object; the answer is "go ahead" or why not. Everything is
// kept per process (thread group), whichever of its threads asks.
#pragma once

#include "messages/error_folder.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_clock.hpp>

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

/// The process names (as /proc/PID/comm shows them) of updatedb, indexers and scanners.
std::vector<std::string> default_crawler_names();

struct crawl_config {
  bool enabled = true;
  std::vector<std::string> crawler_names = default_crawler_names();
  double rate_per_s = 2.0;             // tokens a process regains per second
  double burst = 40.0;                 // tokens a process starts with (bucket size)
  uint32_t depth_first_threshold = 10; // cold listings in one run that flag a crawler
  uint32_t window_s = 10;              // ... within this many seconds
  uint32_t cooldown_s = 600;           // a flagged process stays flagged this long
  double cold_bytes_burst = 8.0 * (1ull << 30);  // uncached object bytes a process may start
  double cold_bytes_per_s = 64.0 * (1ull << 20);  // ... and regains per second
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const crawl_config& cfg);

/// True if `comm` (at most 15 characters, as the kernel truncates it) names `name`.
bool comm_matches(const std::string& comm, const std::string& name);

/// Which cold operations cost a token: listings of search and object folders, and lookups
/// of names inside them. Root, Status, and the FlatSpace/PreconfiguredSearch top listings
/// are static and free.
bool costs_query(const std::string& path, bool listing);

/// The folder shown instead of a cold listing that was refused (cache class transient).
problem paused_problem(const std::string& path, const std::string& reason);

/// The name of the one file of a paused folder (the same for every reason).
std::string paused_file_name();

/// Per-process tokens and the depth-first detector; pure, the caller supplies time.
class crawl_tracker {
public:
  using time_point = caf::actor_clock::time_point;

  explicit crawl_tracker(crawl_config cfg);

  /// "" if process `pid` named `comm` may spend a cold query on `path` now, else the
  /// reason it may not. Every refused query is counted.
  std::string admit(int32_t pid, const std::string& comm, const std::string& path,
                    bool listing, time_point now, const std::string& exe = {});

  /// "" if process `pid` may start reading the uncached object `object` of `bytes` bytes
  /// now (charging them to its byte budget), else why not. An object the process was
  /// admitted to before is always admitted again (it is finished, not cut off); a new one
  /// needs a budget above zero, which a large object may drive below. Known crawlers and
  /// flagged processes get none. `exe` is the basename of the process's executable.
  std::string admit_bytes(int32_t pid, const std::string& comm, const std::string& object,
                          uint64_t bytes, time_point now, const std::string& exe = {});

  /// The process read file bytes: its current depth-first run ends.
  void file_read(int32_t pid);

  /// Trusts a pid (all digits) or a process name; replies a sentence saying so.
  std::string allow(const std::string& pid_or_name);

  /// Drops flags, trust and counters of a pid or every pid of a name.
  std::string forget(const std::string& pid_or_name);

  /// Human-readable state: settings, trusted, flagged and active processes.
  std::string report(time_point now) const;

  bool flagged(int32_t pid, time_point now) const;
  double tokens(int32_t pid) const;
  /// Uncached object bytes process `pid` may still start (the burst for an unknown one).
  double byte_tokens(int32_t pid) const;
  uint64_t refused_total() const {
    return refused_total_;
  }
  const crawl_config& config() const {
    return cfg_;
  }

private:
  struct process {
    std::string comm;
    double tokens = 0;
    time_point refilled;
    std::string run_root;            // the first folder of the current depth-first run
    std::deque<time_point> run;      // times of the run's cold listings within the window
    time_point flagged_until;
    std::string flag_reason;
    uint64_t admitted = 0;
    uint64_t refused = 0;
    time_point last_seen;
    std::string exe;
    double byte_tokens = 0;
    std::deque<std::string> objects;  // uncached objects admitted lately, oldest first
    uint64_t cold_bytes = 0;          // charged so far
    uint64_t objects_refused = 0;
  };

  bool known_crawler(const std::string& comm) const;
  process& entry(int32_t pid, const std::string& comm, time_point now);
  bool known_crawler(const process& p) const;
  void prune(time_point now);

  crawl_config cfg_;
  std::unordered_map<int32_t, process> procs_;
  std::set<int32_t> allowed_pids_;
  std::set<std::string> allowed_names_;
  uint64_t admitted_total_ = 0;
  uint64_t refused_total_ = 0;
};

/// Who a thread belongs to: its thread group (the process) and that process's names.
struct process_identity {
  int32_t pid = 0;   // the thread group id (the process id)
  std::string comm;  // the process's /proc/PID/comm
  std::string exe;   // the basename of its /proc/PID/exe ("" if unreadable)
};

struct crawl_guard_state {
  static constexpr const char* name = "crawl_guard";
  crawl_tracker tracker{crawl_config{}};
  // /proc read once per thread id (re-read after a minute: ids are reused).
  std::unordered_map<int32_t, std::pair<process_identity, caf::actor_clock::time_point>>
    identities;
};

/// The process name of `pid` from /proc/PID/comm; "" if it has gone (pid 0: "kernel").
std::string read_process_name(int32_t pid);

/// The process that thread `tid` belongs to (FUSE names the calling thread, not its
/// process): Tgid from /proc/TID/status, then that process's comm and exe. A thread that
/// has gone is its own process with empty names; tid ≤ 0 is the kernel.
process_identity read_process_identity(int32_t tid);

/// Spawn with `sys.spawn(crawl_guard, cfg)`. An invalid config makes the actor quit.
crawl_guard_actor::behavior_type
crawl_guard(crawl_guard_actor::stateful_pointer<crawl_guard_state> self, crawl_config cfg);

}  // namespace d1
