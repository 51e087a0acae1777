// Loading and validating daemon_config from TOML.
#include "actors/control/daemon_config.hpp"

#include "actors/mobile/root_map.hpp"
#include "messages/error.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <unistd.h>

namespace d1 {

std::string default_state_dir() {
  if (geteuid() == 0)
    return "/var/lib/d1drive";
  if (auto xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg)
    return std::string{xdg} + "/d1drive";
  if (auto home = std::getenv("HOME"); home && *home)
    return std::string{home} + "/.local/state/d1drive";
  return "./d1drive-state";
}

std::string default_config_path() {
  if (geteuid() == 0)
    return "/etc/d1drive/d1drive.toml";
  if (auto xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
    return std::string{xdg} + "/d1drive/d1drive.toml";
  if (auto home = std::getenv("HOME"); home && *home)
    return std::string{home} + "/.config/d1drive/d1drive.toml";
  return "./d1drive.toml";
}

namespace {

// The ranges of the config's numbers (each out-of-range value is an error naming its key).
constexpr uint32_t max_timeout_ms = 86'400'000;       // one day
constexpr uint64_t max_mb = uint64_t{1} << 30;        // 1 PiB: `mb << 20` cannot wrap
constexpr int64_t max_ttl_s = int64_t{100} * 366 * 86'400;     // a century
constexpr double max_kernel_ttl_s = 366 * 86'400;     // a year
constexpr uint64_t max_listing = 10'000'000;          // entries in one folder
constexpr uint64_t max_page_size = 100'000;           // Solr rows per request

// Collects type and unknown-key errors while reading one table.
class reader {
public:
  reader(const toml::table& tbl, std::string prefix, std::string file)
    : tbl_(tbl), prefix_(std::move(prefix)), file_(std::move(file)) {
  }

  // Reads an integer or a number into `out` if `key` is present; a value outside
  // [min, max] (or not finite) is an error naming the key, and `out` keeps its default.
  template <class T>
  void read(const char* key, T& out, T min = std::numeric_limits<T>::lowest(),
            T max = std::numeric_limits<T>::max()) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
    seen_.insert(key);
    auto node = tbl_.get(key);
    if (!node)
      return;
    if constexpr (std::is_floating_point_v<T>) {
      auto v = node->value<double>();
      if (!v)
        return fail(key, "must be a number");
      if (!std::isfinite(*v) || *v < double(min) || *v > double(max))
        return fail(key, "must be a number from " + fmt_number(min) + " to "
                           + fmt_number(max));
      out = static_cast<T>(*v);
    } else {
      // value_exact: value<int64_t>() would truncate 1.5 to 1.
      auto v = node->value_exact<int64_t>();
      if (!v)
        return fail(key, "must be an integer");
      // Compared as 128-bit integers, so that no bound of any 64-bit type wraps.
      if (__int128{*v} < __int128{min} || __int128{*v} > __int128{max})
        return fail(key, "must be an integer from " + fmt_number(min) + " to "
                           + fmt_number(max) + ", not " + std::to_string(*v));
      out = static_cast<T>(*v);
    }
  }

  void read(const char* key, bool& out) {
    seen_.insert(key);
    auto node = tbl_.get(key);
    if (!node)
      return;
    // value_exact: value<bool>() would take the integer 1 as true.
    if (auto v = node->value_exact<bool>())
      out = *v;
    else
      fail(key, "must be true or false");
  }

  void read(const char* key, std::string& out) {
    seen_.insert(key);
    auto node = tbl_.get(key);
    if (!node)
      return;
    if (auto v = node->value_exact<std::string>())
      out = *v;
    else
      fail(key, "must be a string");
  }

  const toml::table* sub(const char* key) {
    seen_.insert(key);
    auto node = tbl_.get(key);
    if (!node)
      return nullptr;
    if (auto t = node->as_table())
      return t;
    fail(key, "must be a table");
    return nullptr;
  }

  // A list of strings; a single string counts as a list of one.
  void read_strings(const char* key, std::vector<std::string>& out, bool* present = nullptr) {
    seen_.insert(key);
    auto node = tbl_.get(key);
    if (!node)
      return;
    if (auto v = node->value<std::string>()) {
      out = {*v};
    } else if (auto arr = node->as_array()) {
      std::vector<std::string> values;
      for (auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v) {
          fail(key, "must be a list of strings");
          return;
        }
        values.push_back(*v);
      }
      out = std::move(values);
    } else {
      fail(key, "must be a list of strings");
      return;
    }
    if (present)
      *present = true;
  }

  // A table of strings (key = "value"); a value of another type is an error.
  void read_string_table(const char* key, std::map<std::string, std::string>& out) {
    auto tbl = sub(key);
    if (!tbl)
      return;
    std::map<std::string, std::string> values;
    for (auto& [k, v] : *tbl) {
      auto text = v.value_exact<std::string>();
      if (!text)
        return fail(key, "\"" + std::string{k.str()} + "\" must be a string");
      values[std::string{k.str()}] = *text;
    }
    out = std::move(values);
  }

  // An array of tables ([[key]]); nullptr if absent or of another type (then an error).
  const toml::array* tables(const char* key) {
    seen_.insert(key);
    auto node = tbl_.get(key);
    if (!node)
      return nullptr;
    if (auto arr = node->as_array(); arr && arr->is_array_of_tables())
      return arr;
    fail(key, "must be an array of tables ([[...]])");
    return nullptr;
  }

  void reject_unknown() {
    for (auto& [k, v] : tbl_)
      if (!seen_.count(std::string{k.str()}))
        fail(std::string{k.str()}.c_str(), "is not a known key");
  }

  std::string errors() const {
    return errors_;
  }

private:
  template <class T>
  static std::string fmt_number(T x) {
    std::ostringstream os;
    os << +x;
    return os.str();
  }

  void fail(const char* key, const std::string& what) {
    std::ostringstream os;
    auto node = tbl_.get(key);
    os << file_;
    if (node)
      os << ":" << node->source().begin.line;
    os << ": " << prefix_ << key << " " << what;
    if (!errors_.empty())
      errors_ += "; ";
    errors_ += os.str();
  }

  const toml::table& tbl_;
  std::string prefix_;
  std::string file_;
  std::set<std::string> seen_;
  std::string errors_;
};

}  // namespace

caf::expected<uint64_t> parse_duration_s(const std::string& text) {
  if (text == "off" || text == "0")
    return uint64_t{0};
  size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  auto unit = text.substr(used);
  uint64_t scale = unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400
                   : unit == "w" ? 604800 : 0;
  if (used == 0 || scale == 0 || n == 0 || n > UINT64_MAX / scale / 1000)
    return make_error(ec::invalid_argument, "must be \"off\" or a positive number with a unit "
                                            "s, m, h, d or w (e.g. \"30d\"), not \""
                                              + text + "\"");
  return n * scale;
}

caf::expected<daemon_config> load_config(const std::string& path, bool required,
                                         daemon_config cfg) {
  if (access(path.c_str(), F_OK) != 0) {
    if (!required)
      return cfg;
    return make_error(ec::invalid_argument, "config file " + path + " does not exist");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in && !in.eof())
    return make_error(ec::invalid_argument, "cannot read config file " + path);
  return parse_config(text, path, std::move(cfg));
}

caf::expected<daemon_config> parse_config(std::string_view text, const std::string& path,
                                          daemon_config cfg) {
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    std::ostringstream os;
    os << path << ":" << err.source().begin.line << ":" << err.source().begin.column << ": "
       << err.description();
    return make_error(ec::invalid_argument, os.str());
  }
  std::string errors;
  auto collect = [&](reader& r) {
    r.reject_unknown();
    auto e = r.errors();
    if (!e.empty())
      errors += (errors.empty() ? "" : "; ") + e;
  };
  reader top{root, "", path};
  top.read("base_url", cfg.base_url);
  top.read("state_dir", cfg.state_dir);
  if (auto section = top.sub("network")) {
    reader r{*section, "network.", path};
    auto& net = cfg.network;
    r.read("timeout_ms", net.timeout_ms, 1u, max_timeout_ms);
    r.read("download_timeout_ms", net.download_timeout_ms, 1u, max_timeout_ms);
    r.read("stall_ms", net.stall_ms, 1u, max_timeout_ms);
    r.read("connect_timeout_ms", net.connect_timeout_ms, 1u, max_timeout_ms);
    r.read("max_retries", net.max_retries, 0u, 10u);
    r.read("retry_base_delay_ms", net.retry_base_delay_ms, 0u, 60000u);
    collect(r);
  }
  if (auto tls = top.sub("tls")) {
    reader r{*tls, "tls.", path};
    r.read("ca_file", cfg.ca_file);
    r.read("client_cert", cfg.client_cert);
    r.read("client_key", cfg.client_key);
    collect(r);
  }
  if (auto cache = top.sub("cache")) {
    reader r{*cache, "cache.", path};
    uint64_t attr_mb = cfg.attr_cache_memory_bytes >> 20;
    uint64_t dir_mb = cfg.dir_cache_memory_bytes >> 20;
    uint64_t content_mb = cfg.content.max_bytes >> 20;
    uint64_t chunk_mb = cfg.content.chunk_bytes >> 20;
    uint64_t readahead_mb = cfg.content.readahead_bytes >> 20;
    r.read("attr_memory_mb", attr_mb, uint64_t{0}, max_mb);
    r.read("dir_memory_mb", dir_mb, uint64_t{0}, max_mb);
    r.read("content_mb", content_mb, uint64_t{1}, max_mb);
    r.read("chunk_mb", chunk_mb, uint64_t{1}, uint64_t{1024});
    r.read("readahead_mb", readahead_mb, uint64_t{1}, max_mb);
    r.read("max_inodes", cfg.max_inodes, uint64_t{1000}, uint64_t{100'000'000});
    cfg.attr_cache_memory_bytes = attr_mb << 20;
    cfg.dir_cache_memory_bytes = dir_mb << 20;
    cfg.content.max_bytes = content_mb << 20;
    cfg.content.chunk_bytes = chunk_mb << 20;
    cfg.content.readahead_bytes = readahead_mb << 20;
    if (auto ttl = r.sub("ttl")) {
      reader t{*ttl, "cache.ttl.", path};
      t.read("metadata", cfg.ttl.metadata, int64_t{0}, max_ttl_s);
      t.read("search", cfg.ttl.search, int64_t{0}, max_ttl_s);
      t.read("error", cfg.ttl.error, int64_t{0}, max_ttl_s);
      t.read("transient", cfg.ttl.transient, int64_t{0}, max_ttl_s);
      collect(t);
    }
    if (auto kt = r.sub("kernel_ttl")) {
      reader t{*kt, "cache.kernel_ttl.", path};
      t.read("immutable", cfg.kernel_ttl.immutable, 0.0, max_kernel_ttl_s);
      t.read("metadata", cfg.kernel_ttl.metadata, 0.0, max_kernel_ttl_s);
      t.read("search", cfg.kernel_ttl.search, 0.0, max_kernel_ttl_s);
      t.read("error", cfg.kernel_ttl.error, 0.0, max_kernel_ttl_s);
      t.read("transient", cfg.kernel_ttl.transient, 0.0, max_kernel_ttl_s);
      collect(t);
    }
    collect(r);
  }
  if (auto log = top.sub("log")) {
    reader r{*log, "log.", path};
    r.read("level", cfg.log_level);
    r.read("file", cfg.log_file);
    collect(r);
  }
  if (auto fs = top.sub("faceted_search")) {
    reader r{*fs, "faceted_search.", path};
    r.read("object_limit", cfg.search.object_limit, uint64_t{1}, max_listing);
    r.read("page_size", cfg.search.page_size, uint64_t{1}, max_page_size);
    r.read("value_limit", cfg.search.value_limit, uint64_t{1}, max_listing);
    r.read("value_sort", cfg.search.value_sort);
    r.read_strings("fields", cfg.search.allow_fields);
    r.read_strings("exclude_fields", cfg.search.deny_fields);
    collect(r);
  }
  if (auto flat = top.sub("flat_space")) {
    reader r{*flat, "flat_space.", path};
    r.read("recent_objects", cfg.flat_space.recent_objects, size_t{1}, size_t{100000});
    collect(r);
  }
  if (auto crawl = top.sub("crawl")) {
    reader r{*crawl, "crawl.", path};
    r.read("enabled", cfg.crawl.enabled);
    r.read_strings("crawler_names", cfg.crawl.crawler_names);
    r.read("rate_per_s", cfg.crawl.rate_per_s, 0.0, 1e6);
    r.read("burst", cfg.crawl.burst, 1.0, 1e9);
    r.read("depth_first_threshold", cfg.crawl.depth_first_threshold, 2u, 1000000u);
    r.read("window_s", cfg.crawl.window_s, 1u, 86400u);
    r.read("cooldown_s", cfg.crawl.cooldown_s, 0u, 31536000u);
    double cold_burst_mb = cfg.crawl.cold_bytes_burst / (1 << 20);
    double cold_mb_per_s = cfg.crawl.cold_bytes_per_s / (1 << 20);
    r.read("cold_burst_mb", cold_burst_mb, 0.0, 1e9);
    r.read("cold_mb_per_s", cold_mb_per_s, 0.0, 1e9);
    cfg.crawl.cold_bytes_burst = cold_burst_mb * (1 << 20);
    cfg.crawl.cold_bytes_per_s = cold_mb_per_s * (1 << 20);
    collect(r);
  }
  if (auto searches = top.tables("search")) {
    for (auto& item : *searches) {
      reader r{*item.as_table(), "search.", path};
      named_search s;
      r.read("name", s.name);
      r.read_strings("fq", s.fq);
      collect(r);
      cfg.searches.push_back(std::move(s));
    }
  }
  if (auto hosts = top.sub("hosts")) {
    for (auto& [name, node] : *hosts) {
      auto host = std::string{name.str()};
      auto tbl = node.as_table();
      if (!tbl) {
        errors += (errors.empty() ? "" : "; ") + path + ": hosts." + host + " must be a table";
        continue;
      }
      reader r{*tbl, "hosts." + host + ".", path};
      std::vector<std::string> roots;
      r.read_strings("roots", roots);
      std::map<std::string, std::string> root_map;
      r.read_string_table("root_map", root_map);
      collect(r);
      cfg.host_roots[host] = std::move(roots);
      if (!root_map.empty())
        cfg.host_root_maps[host] = std::move(root_map);
    }
  }
  if (auto mobile = top.sub("mobile")) {
    reader r{*mobile, "mobile.", path};
    r.read("copy_workers", cfg.copy_workers, 1u, 64u);
    r.read("hash_workers", cfg.hash_workers, 1u, 64u);
    auto& jobs = cfg.jobs;
    r.read("copy_batch_files", jobs.copy_batch_files, 1u, 100000u);
    r.read("copy_batch_bytes", jobs.copy_batch_bytes, uint64_t{1}, max_mb << 20);
    r.read("max_active_jobs", jobs.max_active_jobs, 1u, 64u);
    r.read("direct_reads", cfg.direct_reads);
    r.read("backup_every", cfg.backup_every_s, 0u, 31'536'000u);
    r.read("backup_keep", cfg.backup_keep, 1u, 100u);
    std::string recheck = jobs.recheck == recheck_mode::hash ? "hash" : "stat";
    r.read("recheck", recheck);
    r.read("file_retries", jobs.file_retries, 0u, 100u);
    // Seconds and MB/s in the file, milliseconds and bytes per second in job_manager_config.
    auto worker_timeout_s = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(jobs.worker_timeout).count());
    r.read("worker_timeout_s", worker_timeout_s, 1u, 86'400u);
    jobs.worker_timeout = std::chrono::seconds(worker_timeout_s);
    auto scrub_rate_mb_s = static_cast<uint32_t>(jobs.scrub_rate >> 20);
    r.read("scrub_rate_mb_s", scrub_rate_mb_s, 1u, 100'000u);
    jobs.scrub_rate = uint64_t{scrub_rate_mb_s} << 20;
    std::string scrub_every;
    r.read("scrub_every", scrub_every);
    collect(r);
    if (recheck != "stat" && recheck != "hash")
      return make_error(ec::invalid_argument,
                        path + ": mobile.recheck must be \"stat\" or \"hash\", not \""
                          + recheck + "\"");
    jobs.recheck = recheck == "hash" ? recheck_mode::hash : recheck_mode::stat;
    if (!scrub_every.empty()) {
      auto s = parse_duration_s(scrub_every);
      if (!s)
        return make_error(ec::invalid_argument, path + ": mobile.scrub_every " + context_of(s.error()));
      jobs.scrub_every = std::chrono::seconds(*s);
    }
  }
  if (auto stage = top.sub("stage")) {
    reader r{*stage, "stage.", path};
    r.read("parallel", cfg.stage.parallel, 1u, 64u);
    collect(r);
  }
  collect(top);
  if (!errors.empty())
    return make_error(ec::invalid_argument, errors);
  return cfg;
}

bool is_loopback_url(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    return false;
  auto rest = url.substr(scheme_end + 3);
  auto at = rest.find('@');
  auto slash = rest.find('/');
  if (at != std::string::npos && (slash == std::string::npos || at < slash))
    rest = rest.substr(at + 1);
  std::string host;
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos)
      return false;
    host = rest.substr(1, close - 1);
  } else {
    host = rest.substr(0, rest.find_first_of(":/?#"));
  }
  if (host == "localhost" || host == "::1")
    return true;
  // 127.0.0.0/8 written as a dotted quad.
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(host.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
    return a == 127 && b < 256 && c < 256 && d < 256;
  return false;
}

caf::error validate(const daemon_config& cfg) {
  auto& url = cfg.base_url;
  if (url.rfind("https://", 0) != 0) {
    if (url.rfind("http://", 0) == 0) {
      if (!is_loopback_url(url))
        return make_error(ec::invalid_argument,
                          "base URL " + url
                            + ": plain http:// is only allowed for loopback hosts; use https://");
    } else {
      return make_error(ec::invalid_argument,
                        "base URL " + url + " must start with https:// (or http:// on loopback)");
    }
  }
  if (cfg.state_dir.empty())
    return make_error(ec::invalid_argument, "state_dir is empty");
  auto& net = cfg.network;
  if (net.timeout_ms == 0 || net.download_timeout_ms == 0 || net.connect_timeout_ms == 0
      || net.stall_ms == 0)
    return make_error(ec::invalid_argument, "network timeouts must be positive");
  if (cfg.content.chunk_bytes == 0 || cfg.content.readahead_bytes < cfg.content.chunk_bytes)
    return make_error(ec::invalid_argument,
                      "cache.chunk_mb must be ≥ 1 and cache.readahead_mb ≥ cache.chunk_mb");
  if (cfg.ttl.metadata < 0 || cfg.ttl.search < 0 || cfg.ttl.error < 0 || cfg.ttl.transient < 0)
    return make_error(ec::invalid_argument, "cache TTLs must not be negative");
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "off"};
  if (!levels.count(cfg.log_level))
    return make_error(ec::invalid_argument,
                      "log level '" + cfg.log_level
                        + "' is not one of trace, debug, info, warn, error, off");
  if (cfg.flat_space.recent_objects == 0 || cfg.flat_space.recent_objects > 100000)
    return make_error(ec::invalid_argument, "flat_space recent_objects must be 1 to 100000");
  if (cfg.search.object_limit == 0 || cfg.search.page_size == 0 || cfg.search.value_limit == 0)
    return make_error(ec::invalid_argument,
                      "faceted_search object_limit, page_size and value_limit must be ≥ 1");
  if (cfg.search.value_sort != "count" && cfg.search.value_sort != "index")
    return make_error(ec::invalid_argument, "faceted_search value_sort must be \"count\" or "
                                            "\"index\", not \"" + cfg.search.value_sort + "\"");
  if (cfg.copy_workers < 1 || cfg.copy_workers > 64 || cfg.hash_workers < 1
      || cfg.hash_workers > 64)
    return make_error(ec::invalid_argument, "mobile copy_workers and hash_workers must be 1 to 64");
  auto& jobs = cfg.jobs;
  if (jobs.file_retries > 100 || jobs.worker_timeout < std::chrono::seconds(1)
      || jobs.worker_timeout > std::chrono::seconds(86400) || jobs.scrub_rate < (1u << 20)
      || jobs.scrub_rate > (uint64_t{100000} << 20))
    return make_error(ec::invalid_argument, "mobile file_retries must be 0 to 100, "
                                            "worker_timeout_s 1 to 86400, scrub_rate_mb_s 1 "
                                            "to 100000");
  if (jobs.copy_batch_files < 1 || jobs.copy_batch_files > 100000 || jobs.copy_batch_bytes < 1
      || jobs.max_active_jobs < 1 || jobs.max_active_jobs > 64)
    return make_error(ec::invalid_argument, "mobile copy_batch_files must be 1 to 100000, "
                                            "copy_batch_bytes at least 1, max_active_jobs 1 to 64");
  for (auto& [host, roots] : cfg.host_roots)
    for (auto& root : roots)
      if (root.empty() || root[0] != '/')
        return make_error(ec::invalid_argument,
                          "hosts." + host + ".roots: '" + root + "' is not an absolute path");
  for (auto& [host, entries] : cfg.host_root_maps)
    if (auto m = root_map::make(entries); !m)
      return make_error(ec::invalid_argument,
                        "hosts.\"" + host + "\"." + context_of(m.error()));
  std::set<std::string> search_names;
  for (auto& s : cfg.searches) {
    if (s.name.empty() || s.fq.empty())
      return make_error(ec::invalid_argument, "every [[search]] needs a name and an fq");
    if (!search_names.insert(s.name).second)
      return make_error(ec::invalid_argument, "two [[search]] entries are named '" + s.name + "'");
  }
  return {};
}

}  // namespace d1
