// Status/: what the daemon sees and does, as files generated on every read (cache class
// live): daemon.txt and daemon.json (uptime, caches, Solr requests, errors), crawl (the
// crawl guard), downloads (object bytes being fetched, partial ones, checksum and disk
// failures), content.txt and content.json (the content cache: objects, downloads with
// rates, the last checksum failures with their values), jobs/ (a file per queued, running
// or recent job) and jobs.json, and nodes/, one text file per node of the CN node list.
#pragma once

#include "actors/network_config.hpp"
#include "actors/single_flight.hpp"
#include "messages/interfaces.hpp"
#include "messages/mount_gauges.hpp"
#include "messages/status_report.hpp"

#include <caf/actor_clock.hpp>
#include <caf/error.hpp>
#include <caf/timespan.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace d1 {

struct status_config {
  uint32_t timeout_ms = network_defaults.timeout_ms;  // bound on the node list request
  // Each actor asked for its counters answers from memory; past this it is shown as
  // unavailable rather than holding up the file.
  uint32_t stats_timeout_ms = 2000;
  // The node list is asked again at most this often (it changes rarely; ls must not
  // cost a CN request each time).
  caf::timespan node_list_ttl = std::chrono::seconds(60);
  std::string base_url;  // shown in daemon.txt
  crawl_guard_actor crawl;  // Status/crawl shows its state (null: no such file)
  std::shared_ptr<const mount_gauges> gauges;  // inode table, restarts (null: not shown)
  // The mobile half's job manager: Status/jobs/ and jobs.json (null: no such files).
  job_manager_actor jobs;
  uint32_t ended_jobs = recent_ended_jobs;  // finished jobs shown beside the queued and running ones
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const status_config& cfg);

/// The counters of one moment, gathered from the actors that keep them. A source that did
/// not answer has its `*_ok` false.
struct daemon_snapshot {
  double uptime_seconds = 0;
  std::string base_url;
  bool attrs_ok = false, dirs_ok = false, content_ok = false, solr_ok = false;
  cache_stats attrs, dirs, content;
  solr_querier_stats solr;
  uint64_t node_list_requests = 0;  // node lists fetched by Status itself
  bool crawl_ok = false;
  std::string crawl;  // Status/crawl: crawl_guard's report
  bool downloads_ok = false;
  std::string downloads;  // Status/downloads: content_cache's report
  bool gauges_ok = false;  // the figures below are known
  uint64_t inodes = 0, inode_bytes = 0, invalidated = 0, actor_restarts = 0;
  uint64_t rss_bytes = 0;  // the process's resident set (0: unknown)
};

/// daemon.txt: one "name: value" a line, grouped by source.
std::string daemon_text(const daemon_snapshot& s);

/// daemon.json: the same figures as a JSON object (nlohmann-json), pretty-printed.
std::string daemon_json(const daemon_snapshot& s);

/// A node's file: name, identifier, type, base URL, state, services, one item a line.
std::string node_text(const node_description& node);

/// The file name of a node in Status/nodes/: its escaped identifier plus ".txt".
std::string node_file_name(const node_description& node);

struct status_state {
  static constexpr const char* name = "status";
  status_config config;
  node_client_actor nodes;
  attr_cache_actor attrs;
  dir_cache_actor dirs;
  content_cache_actor content;
  solr_querier_actor solr;
  caf::actor_clock::time_point started;
  std::optional<std::vector<node_description>> node_list;
  caf::actor_clock::time_point node_list_at;
  single_flight_one<caf::expected<std::vector<node_description>>> node_list_fetch;
  uint64_t node_list_requests = 0;
};

/// Spawn with `sys.spawn(status, cfg, nodes, attrs, dirs, content, solr)`; root hands it
/// the path below "Status". An invalid config makes the actor quit at once.
resolver_actor::behavior_type status(resolver_actor::stateful_pointer<status_state> self,
                                     status_config config, node_client_actor nodes,
                                     attr_cache_actor attrs, dir_cache_actor dirs,
                                     content_cache_actor content, solr_querier_actor solr);

}  // namespace d1
