// The daemon's configuration: defaults, the TOML file (toml++), command-line overrides and
// validation. Every knob an operator can turn is a field here and a key in
// config/d1drive.toml (documented there and in the README).
#pragma once

#include <caf/expected.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace d1 {

/// TTLs in seconds per cache_class; immutable entries never expire, live ones are never
/// cached.
struct ttl_config {
  int64_t metadata = 3600;
  int64_t search = 600;
  int64_t error = 60;
  int64_t transient = 5;
};

/// Kernel entry/attr timeouts in seconds per cache_class (FUSE caches in the kernel).
struct kernel_ttl_config {
  double immutable = 3600;
  double metadata = 60;
  double search = 10;
  double error = 5;
  double transient = 1;
};

/// FacetedSearch/ and PreconfiguredSearch/: listing sizes and which fields are facets.
struct search_settings {
  uint64_t object_limit = 1000;  // objects in one folder; beyond: one informational file
  uint64_t page_size = 1000;     // Solr rows per cursorMark page
  uint64_t value_limit = 1000;   // #values in one @field folder
  std::string value_sort = "count";  // "count" or "index"
  bool allow_fields_set = false;     // false: the built-in default list
  std::vector<std::string> allow_fields;
  std::vector<std::string> deny_fields;
};

/// [crawl]: crawl_guard's limits on cold queries (actors/fs/crawl_guard.hpp).
struct crawl_settings {
  bool enabled = true;
  bool crawler_names_set = false;  // false: the built-in list (default_crawler_names)
  std::vector<std::string> crawler_names;
  double rate_per_s = 2.0;               // cold queries a process regains per second
  double burst = 40.0;                   // cold queries a process may make at once
  uint32_t depth_first_threshold = 10;   // uncached listings in one subtree that flag
  uint32_t window_s = 10;                // ... within this many seconds
  uint32_t cooldown_s = 600;             // how long a flagged process stays flagged
  double cold_burst_mb = 8192;           // uncached object bytes a process may start at once
  double cold_mb_per_s = 64;             // ... and regains per second
};

/// One [[search]] of the config: PreconfiguredSearch/<name>/ with these filter queries.
struct preconfigured_search_config {
  std::string name;
  std::vector<std::string> fq;
};

struct daemon_config {
  std::string base_url = "https://cn.dataone.org/cn";
  std::string state_dir;  // default: $XDG_STATE_HOME/d1drive, root: /var/lib/d1drive

  // network
  uint32_t timeout_ms = 15000;             // one metadata/Solr request
  uint32_t download_timeout_ms = 600000;   // no longer used (object bytes: stall_ms)
  uint32_t stall_ms = 30000;               // object bytes: no byte for this long → resume
  uint32_t connect_timeout_ms = 10000;
  uint32_t max_retries = 2;                // transient failures (5xx, reset, timeout)
  uint32_t retry_base_delay_ms = 200;
  std::string ca_file;                     // TLS CA bundle (empty: system default)
  std::string client_cert;                 // client certificate (PEM) for authenticated access
  std::string client_key;

  // caches
  uint64_t attr_cache_memory_bytes = 64ull << 20;
  uint64_t dir_cache_memory_bytes = 128ull << 20;
  uint64_t content_cache_bytes = 10ull << 30;
  uint64_t chunk_bytes = 4ull << 20;       // object bytes: the tail served once verified
  uint64_t readahead_bytes = 32ull << 20;  // object bytes fetched ahead of a sequential reader
  uint64_t max_inodes = 100000;  // the mount's inode table (and the kernel's entries)
  ttl_config ttl;
  kernel_ttl_config kernel_ttl;

  // FlatSpace/: objects its listing shows (most recently visited first, kept across restarts)
  uint64_t recent_objects = 100;
  // searches
  search_settings search;
  std::vector<preconfigured_search_config> searches;
  // recursive-search throttling
  crawl_settings crawl;

  // mobile files: [hosts."NAME"] roots = [...] (preferred roots, best first) and
  // [mobile] copy_workers / hash_workers (pool sizes, 1 to 64), copy_batch_files (1 to
  // 100000) / copy_batch_bytes (≥ 1) per copy batch, max_active_jobs (1 to 64),
  // direct_reads (files over 4 MiB read with O_DIRECT when copied or hashed), recheck
  // ("stat" or "hash": how a removal re-checks the other copy and the file itself),
  // file_retries (0 to 100), worker_timeout_s (a worker request's base deadline),
  // scrub_every ("off", or a duration such as "30d", "12h") and scrub_rate_mb_s
  std::map<std::string, std::vector<std::string>> host_roots;
  // [hosts."NAME"] root_map = { "RECORDED" = "LOCAL" }: where a recorded root is mounted
  // on host NAME (absolute normalised paths; no local place twice).
  std::map<std::string, std::map<std::string, std::string>> host_root_maps;
  uint32_t copy_workers = 2;
  uint32_t hash_workers = 2;
  uint32_t copy_batch_files = 256;
  uint64_t copy_batch_bytes = 256ull << 20;
  uint32_t max_active_jobs = 2;
  bool direct_reads = true;
  std::string recheck = "stat";
  uint32_t file_retries = 3;
  uint32_t worker_timeout_s = 120;
  uint64_t scrub_every_s = 0;  // 0: off
  uint32_t scrub_rate_mb_s = 50;
  uint32_t backup_every_s = 3600;  // catalogue backups (0: none), docs/hardening.md
  uint32_t backup_keep = 2;

  // logging
  std::string log_level = "info";  // trace, debug, info, warn, error, off
  std::string log_file;            // empty: stderr (foreground) or <state_dir>/d1drive.log

  /// The LMDB environment of the path caches.
  std::string cache_db_dir() const {
    return state_dir + "/cache.lmdb";
  }
  /// The catalogue of mobile files (durable LMDB).
  std::string catalogue_db_dir() const {
    return state_dir + "/catalogue.lmdb";
  }
  /// The catalogue's automatic backups.
  std::string catalogue_backup_dir() const {
    return state_dir + "/catalogue.backup";
  }
  /// Verified object bytes.
  std::string content_dir() const {
    return state_dir + "/content";
  }
};

/// The default state directory for the current user (XDG rules; root: /var/lib/d1drive).
std::string default_state_dir();

/// The default config file path (root: /etc/d1drive/d1drive.toml).
std::string default_config_path();

/// Seconds in a duration such as "30d" (units s, m, h, d, w); 0 for "off";
/// ec::invalid_argument otherwise.
caf::expected<uint64_t> parse_duration_s(const std::string& text);

/// Reads `path` over the defaults in `cfg`. A missing file at the default path is not an
/// error (`required` false); a missing explicit file, a TOML syntax error, an unknown key
/// or a value of the wrong type or out of its range is ec::invalid_argument naming the
/// file, line and key.
caf::expected<daemon_config> load_config(const std::string& path, bool required,
                                         daemon_config cfg = {});

/// Reads the TOML document `text` over the defaults in `cfg`, as load_config reads a file;
/// `path` names the document in error messages.
caf::expected<daemon_config> parse_config(std::string_view text, const std::string& path,
                                          daemon_config cfg = {});

/// Checks a complete configuration: plain http:// only for loopback hosts, positive
/// timeouts, a non-empty state dir. Returns an empty error when valid.
caf::error validate(const daemon_config& cfg);

/// True for URLs whose host is 127.0.0.0/8, ::1 or localhost.
bool is_loopback_url(const std::string& url);

}  // namespace d1
