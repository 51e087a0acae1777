// status: gathers the caches' and the querier's counters on each read (in parallel, each
// bounded), keeps the CN node list for a short while, and renders them as text and JSON.
#include "actors/resolve/status.hpp"

#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/node_attrs.hpp"
#include "messages/path_codec.hpp"

#include <nlohmann/json.hpp>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace d1 {

namespace {

using self_ptr = resolver_actor::stateful_pointer<status_state>;
using std::chrono::milliseconds;

constexpr const char* daemon_txt_name = "daemon.txt";
constexpr const char* daemon_json_name = "daemon.json";
constexpr const char* nodes_name = "nodes";
constexpr const char* crawl_name = "crawl";
constexpr const char* downloads_name = "downloads";
constexpr const char* content_txt_name = "content.txt";
constexpr const char* content_json_name = "content.json";
constexpr const char* jobs_name = "jobs";
constexpr const char* jobs_json_name = "jobs.json";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// The resident set of this process (/proc/self/statm), 0 if unknown.
uint64_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  uint64_t pages = 0, resident = 0;
  if (!(statm >> pages >> resident))
    return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

node_info live_dir() {
  return folder_attr(cache_class::live);
}

node_info live_text(std::string text) {
  return text_file_attr(std::move(text), cache_class::live);
}

std::string path_upto(const resolve_request& req, size_t n) {
  std::vector<std::string> head(req.segments.begin(),
                                req.segments.begin() + std::min(n, req.segments.size()));
  return join_path(head);
}

// Joins the counter requests of one snapshot.
struct snapshot_join {
  int pending = 6;
  daemon_snapshot snap;
  std::function<void(const daemon_snapshot&)> done;
  void arrived() {
    if (--pending == 0)
      done(snap);
  }
};

void with_snapshot(self_ptr self, std::function<void(const daemon_snapshot&)> done) {
  auto& st = self->state;
  auto j = std::make_shared<snapshot_join>();
  j->done = std::move(done);
  j->snap.uptime_seconds
    = std::chrono::duration<double>(self->clock().now() - st.started).count();
  j->snap.base_url = st.config.base_url;
  j->snap.rss_bytes = resident_bytes();
  if (auto& g = st.config.gauges) {
    j->snap.gauges_ok = true;
    j->snap.inodes = g->inodes;
    j->snap.inode_bytes = g->inode_bytes;
    j->snap.invalidated = g->invalidated;
    j->snap.actor_restarts = g->actor_restarts;
  }
  j->snap.node_list_requests = st.node_list_requests;
  auto timeout = milliseconds(st.config.stats_timeout_ms);
  auto skip = [j](caf::error&) { j->arrived(); };
  self->request(st.attrs, timeout, stats_atom::value)
    .then([j](cache_stats& s) { j->snap.attrs = s; j->snap.attrs_ok = true; j->arrived(); },
          skip);
  self->request(st.dirs, timeout, stats_atom::value)
    .then([j](cache_stats& s) { j->snap.dirs = s; j->snap.dirs_ok = true; j->arrived(); },
          skip);
  self->request(st.content, timeout, stats_atom::value)
    .then([j](cache_stats& s) { j->snap.content = s; j->snap.content_ok = true; j->arrived(); },
          skip);
  self->request(st.content, timeout, list_atom::value)
    .then([j](std::string& s) { j->snap.downloads = s; j->snap.downloads_ok = true; j->arrived(); },
          skip);
  self->request(st.solr, timeout, stats_atom::value)
    .then([j](solr_querier_stats& s) { j->snap.solr = s; j->snap.solr_ok = true; j->arrived(); },
          skip);
  if (!st.config.crawl) {
    j->arrived();
    return;
  }
  self->request(st.config.crawl, timeout, list_atom::value)
    .then([j](std::string& s) { j->snap.crawl = s; j->snap.crawl_ok = true; j->arrived(); },
          skip);
}

using content_callback = std::function<void(caf::expected<content_report>)>;

void with_content(self_ptr self, content_callback done) {
  auto& st = self->state;
  self->request(st.content, milliseconds(st.config.stats_timeout_ms), report_atom::value)
    .then([done](content_report& r) { done(std::move(r)); },
          [done](caf::error& err) { done(std::move(err)); });
}

using jobs_callback = std::function<void(caf::expected<std::vector<job_record>>)>;

// Status/jobs: the queued and running jobs and the last ended ones (null job manager: none).
void with_jobs(self_ptr self, jobs_callback done) {
  auto& st = self->state;
  if (!st.config.jobs) {
    done(make_error(ec::not_found, "this daemon runs no jobs"));
    return;
  }
  self->request(st.config.jobs, milliseconds(st.config.stats_timeout_ms), list_atom::value,
                job_atom::value, st.config.ended_jobs)
    .then([done](std::vector<job_record>& jobs) { done(std::move(jobs)); },
          [done](caf::error& err) { done(std::move(err)); });
}

caf::expected<node_info> job_status_file(const caf::expected<std::vector<job_record>>& jobs,
                                         const std::string& name) {
  if (!jobs)
    return make_error(ec::not_found, "no '" + name + "' in Status/jobs");
  auto now = now_ms();
  for (auto& j : *jobs)
    if (job_file_name(j) == name)
      return live_text(job_text(j, now));
  return make_error(ec::not_found, "no '" + name + "' in Status/jobs");
}

listing jobs_listing(const std::vector<job_record>& jobs) {
  listing out;
  out.cache = cache_class::live;
  auto now = now_ms();
  for (auto& j : jobs)
    out.entries.push_back(dir_entry{job_file_name(j), live_text(job_text(j, now))});
  return out;
}

using nodes_callback = std::function<void(caf::expected<std::vector<node_description>>)>;

void with_node_list(self_ptr self, nodes_callback done) {
  auto& st = self->state;
  if (st.node_list && self->clock().now() - st.node_list_at < st.config.node_list_ttl) {
    done(*st.node_list);
    return;
  }
  if (!st.node_list_fetch.join(std::move(done)))
    return;  // one request for all who wait
  ++st.node_list_requests;
  auto deliver = [self](caf::expected<std::vector<node_description>> result) {
    self->state.node_list_fetch.finish(std::move(result));
  };
  self->request(st.nodes, milliseconds(st.config.timeout_ms), nodes_atom::value)
    .then(
      [self, deliver](std::vector<node_description>& list) {
        self->state.node_list = list;
        self->state.node_list_at = self->clock().now();
        deliver(std::move(list));
      },
      [deliver](caf::error& err) {
        spdlog::warn("status: node list: {}", describe(err));
        deliver(std::move(err));
      });
}

listing status_listing(const daemon_snapshot& s, const caf::expected<content_report>& content,
                       bool has_jobs, const caf::expected<std::vector<job_record>>& jobs) {
  listing out;
  out.cache = cache_class::live;
  out.entries.push_back(dir_entry{daemon_txt_name, live_text(daemon_text(s))});
  out.entries.push_back(dir_entry{daemon_json_name, live_text(daemon_json(s))});
  out.entries.push_back(dir_entry{nodes_name, live_dir()});
  if (s.crawl_ok)
    out.entries.push_back(dir_entry{crawl_name, live_text(s.crawl)});
  if (s.downloads_ok)
    out.entries.push_back(dir_entry{downloads_name, live_text(s.downloads)});
  if (content) {
    out.entries.push_back(dir_entry{content_txt_name, live_text(content_text(*content))});
    out.entries.push_back(
      dir_entry{content_json_name, live_text(pretty_json(content_json(*content)))});
  }
  // A job manager that did not answer: jobs/ is then an error folder saying so.
  if (has_jobs)
    out.entries.push_back(dir_entry{jobs_name, live_dir()});
  if (jobs)
    out.entries.push_back(
      dir_entry{jobs_json_name, live_text(pretty_json(jobs_json(*jobs, now_ms())))});
  return out;
}

listing nodes_listing(const std::vector<node_description>& list) {
  listing out;
  out.cache = cache_class::live;
  for (auto& n : list)
    out.entries.push_back(dir_entry{node_file_name(n), live_text(node_text(n))});
  return out;
}

std::string mib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", double(bytes) / (1 << 20));
  return buf;
}

void append_cache(std::string& out, const char* name, bool ok, const cache_stats& c) {
  out += std::string{name} + ":";
  if (!ok) {
    out += " unavailable (did not answer)\n";
    return;
  }
  out += "\n  entries: " + std::to_string(c.entries)
         + "\n  bytes: " + std::to_string(c.memory_bytes)
         + "\n  hits: " + std::to_string(c.hits)
         + "\n  disk hits: " + std::to_string(c.disk_hits)
         + "\n  misses: " + std::to_string(c.misses)
         + "\n  expired: " + std::to_string(c.expired)
         + "\n  evictions: " + std::to_string(c.evictions)
         + "\n  writes: " + std::to_string(c.writes)
         + "\n  errors: " + std::to_string(c.errors) + "\n";
  if (!c.last_error.empty())
    out += "  last error: " + c.last_error + " (" + utc_text(c.last_error_at)
           + "; the cache serves from memory what it cannot write)\n";
}

nlohmann::json cache_json(bool ok, const cache_stats& c) {
  if (!ok)
    return nullptr;
  return {{"entries", c.entries}, {"bytes", c.memory_bytes}, {"hits", c.hits},
          {"disk_hits", c.disk_hits}, {"misses", c.misses}, {"expired", c.expired},
          {"evictions", c.evictions}, {"writes", c.writes}, {"errors", c.errors},
          {"last_error", c.last_error}, {"last_error_at", c.last_error_at}};
}

uint64_t total_errors(const daemon_snapshot& s) {
  return s.attrs.errors + s.dirs.errors + s.content.errors + s.content.checksum_failures
         + s.content.disk_full + s.solr.failures;
}

}  // namespace

caf::error validate(const status_config& cfg) {
  if (cfg.timeout_ms == 0 || cfg.stats_timeout_ms == 0)
    return make_error(ec::invalid_argument, "status timeouts must be > 0");
  return {};
}

std::string daemon_text(const daemon_snapshot& s) {
  char uptime[32];
  std::snprintf(uptime, sizeof uptime, "%.1f", s.uptime_seconds);
  std::string out = "d1drive daemon\n";
  out += "uptime seconds: " + std::string{uptime} + "\n";
  out += "base URL: " + s.base_url + "\n";
  out += "errors: " + std::to_string(total_errors(s))
         + " (cache storage errors + checksum failures + full-disk writes + failed Solr "
           "queries)\n";
  // What the budgets account for beside what the process holds: the rest is the fixed
  // base (code, libraries, thread stacks, allocator slack; docs/hardening.md).
  uint64_t accounted = s.attrs.memory_bytes + s.dirs.memory_bytes + s.inode_bytes;
  out += "memory: resident " + mib(s.rss_bytes) + "; accounted " + mib(accounted)
         + " (attribute cache " + mib(s.attrs.memory_bytes) + ", directory cache "
         + mib(s.dirs.memory_bytes) + ", inode table " + mib(s.inode_bytes) + ")\n";
  if (s.gauges_ok)
    out += "inodes: " + std::to_string(s.inodes) + " held, " + std::to_string(s.invalidated)
           + " dropped from the kernel's cache to bound them\nactor restarts: "
           + std::to_string(s.actor_restarts) + "\n";
  append_cache(out, "attribute cache", s.attrs_ok, s.attrs);
  append_cache(out, "directory cache", s.dirs_ok, s.dirs);
  // For the content cache, entries/bytes are verified objects on disk.
  append_cache(out, "content cache", s.content_ok, s.content);
  if (s.content_ok)
    out += "  partial bytes: " + std::to_string(s.content.partial_bytes)
           + "\n  downloads in progress: " + std::to_string(s.content.active_downloads)
           + "\n  checksum failures: " + std::to_string(s.content.checksum_failures)
           + "\n  writes refused by a full disk: " + std::to_string(s.content.disk_full) + "\n";
  out += "solr:";
  if (!s.solr_ok) {
    out += " unavailable (did not answer)\n";
  } else {
    out += "\n  queries: " + std::to_string(s.solr.selects)
           + "\n  requests sent: " + std::to_string(s.solr.requests_sent)
           + "\n  retries: " + std::to_string(s.solr.retries)
           + "\n  coalesced: " + std::to_string(s.solr.coalesced)
           + "\n  failures: " + std::to_string(s.solr.failures) + "\n";
  }
  out += "node list requests: " + std::to_string(s.node_list_requests) + "\n";
  if (s.content_ok)
    out += "bytes fetched: " + std::to_string(s.content.fetched_bytes) + "\n";
  return out;
}

std::string daemon_json(const daemon_snapshot& s) {
  nlohmann::json j;
  j["uptime_seconds"] = s.uptime_seconds;
  j["base_url"] = s.base_url;
  j["errors"] = total_errors(s);
  j["attr_cache"] = cache_json(s.attrs_ok, s.attrs);
  j["dir_cache"] = cache_json(s.dirs_ok, s.dirs);
  j["content_cache"] = cache_json(s.content_ok, s.content);
  if (s.content_ok) {
    j["content_cache"]["partial_bytes"] = s.content.partial_bytes;
    j["content_cache"]["active_downloads"] = s.content.active_downloads;
    j["content_cache"]["checksum_failures"] = s.content.checksum_failures;
    j["content_cache"]["disk_full"] = s.content.disk_full;
  }
  if (s.content_ok)
    j["bytes_fetched"] = s.content.fetched_bytes;
  if (s.solr_ok)
    j["solr"] = {{"queries", s.solr.selects}, {"requests_sent", s.solr.requests_sent},
                 {"retries", s.solr.retries}, {"coalesced", s.solr.coalesced},
                 {"failures", s.solr.failures}};
  else
    j["solr"] = nullptr;
  j["node_list_requests"] = s.node_list_requests;
  j["memory"] = {{"resident_bytes", s.rss_bytes},
                 {"accounted_bytes", s.attrs.memory_bytes + s.dirs.memory_bytes + s.inode_bytes},
                 {"inode_bytes", s.inode_bytes}};
  if (s.gauges_ok) {
    j["inodes"] = {{"held", s.inodes}, {"dropped", s.invalidated}};
    j["actor_restarts"] = s.actor_restarts;
  }
  // The base URL may hold any bytes: replace invalid UTF-8 rather than throw.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string node_text(const node_description& n) {
  std::string out;
  out += "name: " + n.name + "\n";
  out += "identifier: " + n.identifier + "\n";
  out += "type: " + std::string{n.type == "cn" ? "coordinating node (cn)"
                                : n.type == "mn" ? "member node (mn)"
                                                 : n.type} + "\n";
  out += "base URL: " + n.base_url + "\n";
  out += "state: " + n.state + "\n";
  out += "replicate: " + std::string{n.replicate ? "yes" : "no"} + "\n";
  out += "synchronize: " + std::string{n.synchronize ? "yes" : "no"} + "\n";
  if (!n.description.empty())
    out += "description: " + n.description + "\n";
  out += "services:\n";
  for (auto& svc : n.services)
    out += "  " + svc + "\n";
  return out;
}

std::string node_file_name(const node_description& node) {
  return shorten_segment(escape_segment(node.identifier) + ".txt");
}

resolver_actor::behavior_type status(resolver_actor::stateful_pointer<status_state> self,
                                     status_config config, node_client_actor nodes,
                                     attr_cache_actor attrs, dir_cache_actor dirs,
                                     content_cache_actor content, solr_querier_actor solr) {
  if (auto err = validate(config)) {
    self->quit(err);
    return resolver_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.config = std::move(config);
  st.nodes = std::move(nodes);
  st.attrs = std::move(attrs);
  st.dirs = std::move(dirs);
  st.content = std::move(content);
  st.solr = std::move(solr);
  st.started = self->clock().now();
  return {
    [=](get_attr_atom, const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return live_dir();
      auto& name = req.current();
      if (req.remaining() == 1 && (name == daemon_txt_name || name == daemon_json_name)) {
        auto rp = self->make_response_promise<node_info>();
        bool text = name == daemon_txt_name;
        with_snapshot(self, [=](const daemon_snapshot& s) mutable {
          rp.deliver(live_text(text ? daemon_text(s) : daemon_json(s)));
        });
        return rp;
      }
      if (req.remaining() == 1 && name == downloads_name) {
        auto rp = self->make_response_promise<node_info>();
        with_snapshot(self, [=](const daemon_snapshot& s) mutable {
          if (s.downloads_ok)
            rp.deliver(live_text(s.downloads));
          else
            rp.deliver(make_error(ec::unavailable, "content_cache did not answer"));
        });
        return rp;
      }
      if (req.remaining() == 1 && name == crawl_name && self->state.config.crawl) {
        auto rp = self->make_response_promise<node_info>();
        with_snapshot(self, [=](const daemon_snapshot& s) mutable {
          if (s.crawl_ok)
            rp.deliver(live_text(s.crawl));
          else
            rp.deliver(make_error(ec::unavailable, "crawl_guard did not answer"));
        });
        return rp;
      }
      if (req.remaining() == 1 && (name == content_txt_name || name == content_json_name)) {
        auto rp = self->make_response_promise<node_info>();
        bool text = name == content_txt_name;
        with_content(self, [=](caf::expected<content_report> r) mutable {
          if (!r)
            rp.deliver(make_error(ec::unavailable,
                                  "content_cache did not answer: " + describe(r.error())));
          else
            rp.deliver(live_text(text ? content_text(*r) : pretty_json(content_json(*r))));
        });
        return rp;
      }
      if (name == jobs_name && self->state.config.jobs) {
        if (req.remaining() == 1)
          return live_dir();
        if (req.remaining() > 2)
          return make_error(ec::not_found, "below a file of Status/jobs");
        auto rp = self->make_response_promise<node_info>();
        auto child = req.segments[req.depth + 1];
        with_jobs(self, [=](caf::expected<std::vector<job_record>> jobs) mutable {
          auto file = job_status_file(jobs, child);
          if (file)
            rp.deliver(std::move(*file));
          else
            rp.deliver(std::move(file.error()));
        });
        return rp;
      }
      if (req.remaining() == 1 && name == jobs_json_name && self->state.config.jobs) {
        auto rp = self->make_response_promise<node_info>();
        with_jobs(self, [=](caf::expected<std::vector<job_record>> jobs) mutable {
          if (!jobs)
            rp.deliver(make_error(ec::unavailable,
                                  "job_manager did not answer: " + describe(jobs.error())));
          else
            rp.deliver(live_text(pretty_json(jobs_json(*jobs, now_ms()))));
        });
        return rp;
      }
      if (name != nodes_name)
        return make_error(ec::not_found, "no '" + name + "' in Status");
      if (req.remaining() == 1)
        return live_dir();
      if (req.remaining() > 3)
        return make_error(ec::not_found, "below a file of Status/nodes");
      auto rp = self->make_response_promise<node_info>();
      auto path = path_upto(req, req.depth + 1);
      with_node_list(self, [=](caf::expected<std::vector<node_description>> list) mutable {
        auto child = req.segments[req.depth + 1];
        if (!list) {
          auto p = problem_from_error(list.error(), "the CN node list", path);
          if (req.remaining() == 2) {
            if (auto f = error_folder_child(p, child)) {
              rp.deliver(std::move(*f));
              return;
            }
          }
          rp.deliver(make_error(ec::not_found, "no '" + child + "' in Status/nodes"));
          return;
        }
        if (req.remaining() == 2)
          for (auto& n : *list)
            if (node_file_name(n) == child) {
              rp.deliver(live_text(node_text(n)));
              return;
            }
        rp.deliver(make_error(ec::not_found, "no '" + child + "' in Status/nodes"));
      });
      return rp;
    },
    [=](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      if (req.remaining() == 0) {
        auto rp = self->make_response_promise<listing>();
        // One source after the other: each is bounded by stats_timeout_ms.
        with_snapshot(self, [=](const daemon_snapshot& s) mutable {
          with_content(self, [=](caf::expected<content_report> content) mutable {
            with_jobs(self, [=](caf::expected<std::vector<job_record>> jobs) mutable {
              rp.deliver(status_listing(s, content, bool{self->state.config.jobs}, jobs));
            });
          });
        });
        return rp;
      }
      if (req.remaining() == 1 && req.current() == jobs_name && self->state.config.jobs) {
        auto rp = self->make_response_promise<listing>();
        auto path = path_upto(req, req.depth + 1);
        with_jobs(self, [=](caf::expected<std::vector<job_record>> jobs) mutable {
          if (jobs) {
            rp.deliver(jobs_listing(*jobs));
            return;
          }
          auto l = error_folder_listing(problem_from_error(jobs.error(), "the job list", path));
          l.cache = cache_class::live;
          rp.deliver(std::move(l));
        });
        return rp;
      }
      if (req.remaining() != 1 || req.current() != nodes_name)
        return make_error(ec::not_found, "'" + req.current() + "' is not a folder of Status");
      auto rp = self->make_response_promise<listing>();
      auto path = path_upto(req, req.depth + 1);
      with_node_list(self, [=](caf::expected<std::vector<node_description>> list) mutable {
        if (list) {
          rp.deliver(nodes_listing(*list));
        } else {
          auto l = error_folder_listing(problem_from_error(list.error(), "the CN node list",
                                                           path));
          l.cache = cache_class::live;
          rp.deliver(std::move(l));
        }
      });
      return rp;
    },
  };
}

}  // namespace d1
