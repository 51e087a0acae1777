// The daemon's configuration: the TOML file (toml++), command-line overrides and
// validation. Every knob an operator can turn is a field here and a key in
// config/d1drive.toml (documented there and in the README). A TOML section that belongs to
// one actor is that actor's own config struct, so its defaults are declared once, there.
#pragma once

#include "actors/dataone/content_cache.hpp"
#include "actors/stage/stager.hpp"
#include "actors/fs/crawl_guard.hpp"
#include "actors/fs/path_cache.hpp"
#include "actors/mobile/job_manager.hpp"
#include "actors/network_config.hpp"
#include "actors/resolve/faceted_search.hpp"
#include "actors/resolve/flat_space.hpp"
#include "actors/resolve/preconfigured_search.hpp"
#include "messages/kernel_ttls.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace d1 {

struct daemon_config {
  std::string base_url = default_base_url;
  std::string state_dir;  // default: $XDG_STATE_HOME/d1drive, root: /var/lib/d1drive

  // [network]: shared by every actor that talks to DataONE (daemon.cpp copies it into each)
  network_config network;
  // [tls]
  std::string ca_file;      // TLS CA bundle (empty: system default)
  std::string client_cert;  // client certificate (PEM) for authenticated access
  std::string client_key;

  // [cache]
  uint64_t attr_cache_memory_bytes = 64ull << 20;
  uint64_t dir_cache_memory_bytes = 128ull << 20;
  // content_mb → max_bytes, chunk_mb, readahead_mb; its directory, store and retries are
  // filled in by the daemon.
  content_cache_config content;
  uint64_t max_inodes = 100000;  // the mount's inode table (and the kernel's entries)
  path_cache_ttls ttl;           // [cache.ttl]
  class_seconds kernel_ttl = default_kernel_ttls;  // [cache.kernel_ttl] (live: always 0)

  // [flat_space]: recent_objects (its store is filled in by the daemon)
  flat_space_config flat_space;
  // [faceted_search]: object_limit, page_size, value_limit, value_sort, fields,
  // exclude_fields (the network settings and the store are filled in by the daemon)
  faceted_search_config search;
  std::vector<named_search> searches;  // [[search]]: PreconfiguredSearch/<name>/
  // [crawl]: recursive-search throttling (cold_burst_mb, cold_mb_per_s in bytes here)
  crawl_config crawl;

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
  bool direct_reads = true;
  // The job manager's settings of [mobile]; its handles are filled in by start_mobile.
  job_manager_config jobs;
  // [stage] parallel: objects `d1drive stage` downloads at once (1 to 64)
  stage_config stage;
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
