// crawl_guard: token buckets per process, a depth-first detector, and the list of known
// crawlers. The policy is a plain class (crawl_tracker) so tests drive its time directly.
#include "actors/fs/crawl_guard.hpp"

#include "messages/error.hpp"
#include "messages/path_codec.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdio>
#include <fstream>
#include <optional>

namespace d1 {

namespace {

using std::chrono::duration;
using std::chrono::seconds;

constexpr size_t comm_max = 15;  // TASK_COMM_LEN - 1: the kernel truncates longer names
constexpr size_t max_processes = 4096;

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The pid that `digits` spells, or nullopt if none could (0, or beyond int32_t).
std::optional<int32_t> pid_of(const std::string& digits) {
  int32_t pid = 0;
  auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (err != std::errc{} || end != digits.data() + digits.size() || pid <= 0)
    return std::nullopt;
  return pid;
}

// The deepest folder holding both; "" if they share no top-level folder.
std::string common_folder(const std::string& a, const std::string& b) {
  auto sa = split_path(a), sb = split_path(b);
  std::vector<std::string> common;
  for (size_t i = 0; i < sa.size() && i < sb.size() && sa[i] == sb[i]; ++i)
    common.push_back(sa[i]);
  if (common.empty())
    return {};
  return join_path(common);
}

std::string fmt_double(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

}  // namespace

std::vector<std::string> default_crawler_names() {
  return {"updatedb",        "updatedb.plocate", "updatedb.mlocate", "plocate",
          "mlocate",         "locate",           "tracker-miner-fs", "tracker-miner-fs-3",
          "tracker-extract", "tracker-extract-3", "localsearch",     "localsearch-3",
          "baloo_file",      "baloo_file_extractor", "baloorunner",  "clamd",
          "clamscan",        "clamdscan",        "freshclam",        "gvfsd-metadata",
          "mds",             "mds_stores",       "mdworker",         "mdworker_shared",
          "zeitgeist-daemon", "recollindex",     "duplicity",        "rkhunter"};
}

caf::error validate(const crawl_config& cfg) {
  if (!(cfg.rate_per_s >= 0) || !(cfg.burst >= 1))
    return make_error(ec::invalid_argument, "crawl.rate_per_s must be >= 0 and crawl.burst >= 1");
  if (cfg.depth_first_threshold < 2 || cfg.window_s == 0)
    return make_error(ec::invalid_argument,
                      "crawl.depth_first_threshold must be >= 2 and crawl.window_s > 0");
  if (!(cfg.cold_bytes_burst >= 0) || !(cfg.cold_bytes_per_s >= 0))
    return make_error(ec::invalid_argument,
                      "crawl.cold_burst_mb and crawl.cold_mb_per_s must be >= 0");
  return {};
}

bool comm_matches(const std::string& comm, const std::string& name) {
  if (comm == name)
    return true;
  // The kernel keeps 15 characters: "tracker-miner-fs-3" shows as "tracker-miner-f".
  return comm.size() == comm_max && name.size() > comm_max && name.compare(0, comm_max, comm) == 0;
}

bool costs_query(const std::string& path, bool listing) {
  auto segs = split_path(path);
  if (segs.empty())
    return false;
  const auto& top = segs[0];
  // A lookup asks for the attributes of `path` itself; a listing for its children.
  size_t depth = segs.size();
  if (top == "FacetedSearch")
    return listing ? true : depth >= 2;
  if (top == "PreconfiguredSearch")
    return depth >= 2;
  if (top == "FlatSpace")
    return depth >= 2;
  return false;  // Status, unknown names: answered without a query
}

std::string paused_file_name() {
  problem p;
  p.title = "Listing paused for crawlers";
  return error_folder_file_name(p);
}

problem paused_problem(const std::string& path, const std::string& reason) {
  problem p;
  p.title = "Listing paused for crawlers";
  p.transient = true;
  p.details = "Path: " + path + "\nWhy: " + reason
              + "\nThis folder needs a new search query, and recursive searches (find, "
                "updatedb, indexers) over the search tree would never end, so only what "
                "is already cached is shown to them.\nWhat to try: cd into a narrower "
                "folder and list it from your shell; or trust the process with "
                "`d1drive crawl allow PID_OR_NAME`; `cat Status/crawl` shows the state. "
                "For updatedb, add fuse.d1drive to PRUNEFS (config/updatedb.conf.snippet).\n";
  return p;
}

crawl_tracker::crawl_tracker(crawl_config cfg) : cfg_(std::move(cfg)) {
}

bool crawl_tracker::known_crawler(const std::string& comm) const {
  for (auto& n : cfg_.crawler_names)
    if (comm_matches(comm, n))
      return true;
  return false;
}

bool crawl_tracker::known_crawler(const process& p) const {
  return known_crawler(p.comm) || (!p.exe.empty() && known_crawler(p.exe));
}

crawl_tracker::process& crawl_tracker::entry(int32_t pid, const std::string& comm,
                                             time_point now) {
  auto [it, fresh] = procs_.try_emplace(pid);
  auto& p = it->second;
  if (fresh || (!comm.empty() && p.comm != comm)) {
    p = process{};  // a new process, or the pid was reused
    p.comm = comm;
    p.tokens = cfg_.burst;
    p.byte_tokens = cfg_.cold_bytes_burst;
    p.refilled = now;
  }
  auto elapsed = duration<double>(now - p.refilled).count();
  if (elapsed > 0) {
    p.tokens = std::min(cfg_.burst, p.tokens + elapsed * cfg_.rate_per_s);
    p.byte_tokens = std::min(cfg_.cold_bytes_burst, p.byte_tokens + elapsed * cfg_.cold_bytes_per_s);
    p.refilled = now;
  }
  p.last_seen = now;
  return p;
}

void crawl_tracker::prune(time_point now) {
  if (procs_.size() < max_processes)
    return;
  for (auto it = procs_.begin(); it != procs_.end();) {
    const auto& p = it->second;
    bool idle = now - p.last_seen > seconds(cfg_.window_s) && p.flagged_until <= now;
    it = idle ? procs_.erase(it) : std::next(it);
  }
}

std::string crawl_tracker::admit(int32_t pid, const std::string& comm, const std::string& path,
                                 bool listing, time_point now, const std::string& exe) {
  if (!cfg_.enabled || pid <= 0) {  // pid 0: the kernel itself (e.g. writeback)
    ++admitted_total_;
    return {};
  }
  prune(now);
  if (allowed_pids_.count(pid) || allowed_names_.count(comm)) {
    ++admitted_total_;
    return {};
  }
  auto& p = entry(pid, comm, now);
  if (!exe.empty())
    p.exe = exe;
  auto refuse = [&](std::string why) {
    ++p.refused;
    ++refused_total_;
    return why;
  };
  if (known_crawler(p))
    return refuse("'" + comm + "' (pid " + std::to_string(pid)
                  + ") is a known crawler: it sees only what is cached.");
  if (listing) {
    // The depth-first detector: cold listings in one subtree, within the window, with no
    // file read in between.
    auto common = p.run_root.empty() ? std::string{} : common_folder(p.run_root, path);
    if (common.empty()) {
      p.run_root = path;
      p.run.clear();
    } else {
      p.run_root = common;
    }
    p.run.push_back(now);
    while (!p.run.empty() && now - p.run.front() > seconds(cfg_.window_s))
      p.run.pop_front();
    if (p.flagged_until <= now && p.run.size() >= cfg_.depth_first_threshold) {
      p.flagged_until = now + seconds(cfg_.cooldown_s);
      p.flag_reason = "'" + comm + "' (pid " + std::to_string(pid) + ") listed "
                      + std::to_string(p.run.size()) + " uncached folders under "
                      + p.run_root + " within " + std::to_string(cfg_.window_s)
                      + " s without reading a file: it looks like a recursive search, "
                        "paused for " + std::to_string(cfg_.cooldown_s) + " s.";
      spdlog::info("crawl_guard: {}", p.flag_reason);
    }
  }
  if (p.flagged_until > now)
    return refuse(p.flag_reason);
  if (p.tokens < 1.0)
    return refuse("'" + comm + "' (pid " + std::to_string(pid)
                  + ") used its budget of new queries (" + fmt_double(cfg_.burst)
                  + " at once, " + fmt_double(cfg_.rate_per_s) + " per second after that).");
  p.tokens -= 1.0;
  ++p.admitted;
  ++admitted_total_;
  return {};
}

std::string crawl_tracker::admit_bytes(int32_t pid, const std::string& comm,
                                       const std::string& object, uint64_t bytes,
                                       time_point now, const std::string& exe) {
  if (!cfg_.enabled || pid <= 0)
    return {};
  prune(now);
  if (allowed_pids_.count(pid) || allowed_names_.count(comm))
    return {};
  auto& p = entry(pid, comm, now);
  if (!exe.empty())
    p.exe = exe;
  auto refuse = [&](std::string why) {
    ++p.objects_refused;
    ++refused_total_;
    spdlog::info("crawl_guard: {}", why);
    return why;
  };
  auto who = "'" + comm + "' (pid " + std::to_string(pid) + ")";
  if (known_crawler(p))
    return refuse(who + " is a known crawler: it reads only objects already cached, not "
                  + object + ".");
  if (p.flagged_until > now)
    return refuse(p.flag_reason + " It reads only objects already cached, not " + object + ".");
  if (std::find(p.objects.begin(), p.objects.end(), object) != p.objects.end())
    return {};
  if (p.byte_tokens <= 0)
    return refuse(who + " used its budget of uncached object bytes ("
                  + fmt_double(cfg_.cold_bytes_burst / (1 << 20)) + " MiB at once, "
                  + fmt_double(cfg_.cold_bytes_per_s / (1 << 20))
                  + " MiB per second after that), so it may not start reading " + object
                  + " (" + std::to_string(bytes) + " bytes); objects already cached still read.");
  p.byte_tokens -= static_cast<double>(bytes);
  p.cold_bytes += bytes;
  p.objects.push_back(object);
  if (p.objects.size() > 64)
    p.objects.pop_front();
  return {};
}

double crawl_tracker::byte_tokens(int32_t pid) const {
  auto it = procs_.find(pid);
  return it == procs_.end() ? cfg_.cold_bytes_burst : it->second.byte_tokens;
}

void crawl_tracker::file_read(int32_t pid) {
  auto it = procs_.find(pid);
  if (it == procs_.end())
    return;
  it->second.run.clear();
  it->second.run_root.clear();
}

std::string crawl_tracker::allow(const std::string& who) {
  if (all_digits(who)) {
    auto parsed = pid_of(who);
    if (!parsed)
      return "no process has pid " + who + ": nothing changed\n";
    auto pid = *parsed;
    allowed_pids_.insert(pid);
    if (auto it = procs_.find(pid); it != procs_.end())
      it->second.flagged_until = time_point{};
    return "trusting pid " + who + ": its cold queries are no longer limited\n";
  }
  allowed_names_.insert(who);
  for (auto& [pid, p] : procs_)
    if (p.comm == who)
      p.flagged_until = time_point{};
  return "trusting processes named '" + who + "': their cold queries are no longer limited\n";
}

std::string crawl_tracker::forget(const std::string& who) {
  size_t n = 0;
  if (all_digits(who)) {
    auto pid = pid_of(who).value_or(0);
    n += allowed_pids_.erase(pid);
    n += procs_.erase(pid);
  } else {
    n += allowed_names_.erase(who);
    for (auto it = procs_.begin(); it != procs_.end();) {
      bool match = it->second.comm == who;
      n += match;
      it = match ? procs_.erase(it) : std::next(it);
    }
  }
  return "forgot " + std::to_string(n) + " record(s) of '" + who + "'\n";
}

bool crawl_tracker::flagged(int32_t pid, time_point now) const {
  auto it = procs_.find(pid);
  return it != procs_.end() && it->second.flagged_until > now;
}

double crawl_tracker::tokens(int32_t pid) const {
  auto it = procs_.find(pid);
  return it == procs_.end() ? cfg_.burst : it->second.tokens;
}

std::string crawl_tracker::report(time_point now) const {
  std::string out = "crawl guard: " + std::string{cfg_.enabled ? "enabled" : "disabled"} + "\n";
  out += "budget per process: " + fmt_double(cfg_.burst) + " cold queries at once, "
         + fmt_double(cfg_.rate_per_s) + " per second after that\n";
  out += "flagged as crawler after: " + std::to_string(cfg_.depth_first_threshold)
         + " uncached folder listings in one subtree within " + std::to_string(cfg_.window_s)
         + " s without a file read; cool-down " + std::to_string(cfg_.cooldown_s) + " s\n";
  out += "uncached object bytes per process: " + fmt_double(cfg_.cold_bytes_burst / (1 << 20))
         + " MiB at once, " + fmt_double(cfg_.cold_bytes_per_s / (1 << 20))
         + " MiB per second after that (an object started is always finished)\n";
  out += "known crawler names:";
  for (auto& n : cfg_.crawler_names)
    out += " " + n;
  out += "\ncold queries admitted: " + std::to_string(admitted_total_) + "\n";
  out += "cold queries refused: " + std::to_string(refused_total_) + "\n";
  out += "trusted:";
  for (auto pid : allowed_pids_)
    out += " pid " + std::to_string(pid);
  for (auto& n : allowed_names_)
    out += " '" + n + "'";
  out += "\nflagged processes:\n";
  std::vector<int32_t> pids;
  for (auto& [pid, p] : procs_)
    pids.push_back(pid);
  std::sort(pids.begin(), pids.end());
  for (auto pid : pids) {
    auto& p = procs_.at(pid);
    if (p.flagged_until > now)
      out += "  pid " + std::to_string(pid) + " (" + p.comm + "): "
             + std::to_string(std::chrono::duration_cast<seconds>(p.flagged_until - now).count())
             + " s left, refused " + std::to_string(p.refused) + "\n";
    else if (known_crawler(p))
      out += "  pid " + std::to_string(pid) + " (" + p.comm + "): known crawler, refused "
             + std::to_string(p.refused + p.objects_refused) + "\n";
    else if (p.byte_tokens <= 0)
      out += "  pid " + std::to_string(pid) + " (" + p.comm
             + "): over its budget of uncached object bytes, " + std::to_string(p.objects_refused)
             + " object(s) refused\n";
  }
  // Short-lived processes (each `ls`) would swamp the list: show the recent ones only.
  out += "processes seen in the last minute:\n";
  size_t shown = 0, recent = 0;
  for (auto pid : pids) {
    auto& p = procs_.at(pid);
    if (now - p.last_seen > seconds(60))
      continue;
    if (++recent > 100)
      continue;
    ++shown;
    out += "  pid " + std::to_string(pid) + " (" + p.comm + "): tokens "
           + fmt_double(p.tokens) + ", admitted " + std::to_string(p.admitted) + ", refused "
           + std::to_string(p.refused) + "; uncached object bytes started "
           + std::to_string(p.cold_bytes) + ", budget left "
           + fmt_double(p.byte_tokens / (1 << 20)) + " MiB, objects refused "
           + std::to_string(p.objects_refused) + "\n";
  }
  if (recent > shown)
    out += "  … and " + std::to_string(recent - shown) + " more\n";
  return out;
}

std::string read_process_name(int32_t pid) {
  if (pid <= 0)
    return "kernel";
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

process_identity read_process_identity(int32_t tid) {
  process_identity id;
  id.pid = tid;
  if (tid <= 0) {
    id.comm = "kernel";
    return id;
  }
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Tgid:", 0) == 0) {
      auto tgid = std::atol(line.c_str() + 5);
      if (tgid > 0)
        id.pid = static_cast<int32_t>(tgid);
      break;
    }
  }
  id.comm = read_process_name(id.pid);
  char buf[PATH_MAX];
  auto exe = "/proc/" + std::to_string(id.pid) + "/exe";
  auto n = ::readlink(exe.c_str(), buf, sizeof buf - 1);
  if (n > 0) {
    std::string path{buf, static_cast<size_t>(n)};
    id.exe = path.substr(path.rfind('/') + 1);
  }
  return id;
}

crawl_guard_actor::behavior_type
crawl_guard(crawl_guard_actor::stateful_pointer<crawl_guard_state> self, crawl_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return crawl_guard_actor::behavior_type::make_empty_behavior();
  }
  self->state.tracker = crawl_tracker{std::move(cfg)};
  // FUSE names the calling thread: everything is kept for its process.
  auto identity_of = [self](int32_t tid) -> process_identity {
    auto now = self->clock().now();
    auto& ids = self->state.identities;
    auto it = ids.find(tid);
    if (it != ids.end() && now - it->second.second < seconds(60))
      return it->second.first;
    if (ids.size() >= max_processes)
      ids.clear();
    // Small reads from procfs: memory, not disk.
    auto id = read_process_identity(tid);
    ids[tid] = {id, now};
    return id;
  };
  // A pid the operator names may be a thread of the process they mean.
  auto process_of = [identity_of](const std::string& who) {
    if (who.empty() || !std::all_of(who.begin(), who.end(), [](char c) { return c >= '0' && c <= '9'; })
        || who.size() > 9)
      return who;
    auto id = identity_of(static_cast<int32_t>(std::stol(who)));
    return std::to_string(id.pid);
  };
  return {
    [=](admit_atom, int32_t tid, const std::string& path, bool listing) -> std::string {
      auto id = identity_of(tid);
      return self->state.tracker.admit(id.pid, id.comm, path, listing, self->clock().now(),
                                       id.exe);
    },
    [=](admit_atom, int32_t tid, const std::string& object, uint64_t bytes) -> std::string {
      auto id = identity_of(tid);
      return self->state.tracker.admit_bytes(id.pid, id.comm, object, bytes,
                                             self->clock().now(), id.exe);
    },
    [=](read_atom, int32_t tid) { self->state.tracker.file_read(identity_of(tid).pid); },
    [=](list_atom) -> std::string { return self->state.tracker.report(self->clock().now()); },
    [=](allow_atom, const std::string& who) -> std::string {
      return self->state.tracker.allow(process_of(who));
    },
    [=](forget_atom, const std::string& who) -> std::string {
      auto target = process_of(who);
      self->state.identities.clear();
      return self->state.tracker.forget(target);
    },
  };
}

}  // namespace d1
