// The daemon's wiring: the one place that knows every actor's constructor, and the
// supervisor that restarts them.
#include "actors/control/daemon.hpp"

#include "actors/dataone/content_cache.hpp"
#include "actors/dataone/http_client.hpp"
#include "actors/dataone/node_client.hpp"
#include "actors/dataone/solr_querier.hpp"
#include "actors/fs/attr_cache.hpp"
#include "actors/fs/dir_cache.hpp"
#include "actors/control/control_requests.hpp"
#include "actors/fs/crawl_guard.hpp"
#include "actors/fs/fs_gateway.hpp"
#include "actors/resolve/d1_object.hpp"
#include "actors/resolve/faceted_search.hpp"
#include "actors/resolve/flat_space.hpp"
#include "actors/resolve/package.hpp"
#include "actors/resolve/preconfigured_search.hpp"
#include "actors/resolve/resources.hpp"
#include "actors/resolve/root.hpp"
#include "actors/resolve/science_object.hpp"
#include "actors/resolve/status.hpp"
#include "messages/error.hpp"
#include "storage/disposable.hpp"

#include <caf/scoped_actor.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace d1 {

namespace {

// Spawned actors that quit at once (invalid config) are detected by monitoring them
// briefly; each returns its exit reason.
template <class Handle>
caf::error check_alive(caf::actor_system& sys, const Handle& h, const char* what) {
  caf::scoped_actor self{sys};
  caf::error reason;
  self->monitor(h);
  self->receive([&](const caf::down_msg& dm) { reason = dm.reason; },
                caf::after(std::chrono::milliseconds(20)) >> [] {});
  self->demonitor(h);
  if (reason)
    return make_error(ec::invalid_argument,
                      std::string{what} + " did not start: " + describe(reason));
  return {};
}

path_cache_config cache_config(const daemon_config& cfg, std::shared_ptr<storage::kv_store> store,
                               const char* table, uint64_t budget) {
  path_cache_config pc;
  pc.memory_budget = budget;
  pc.ttl.metadata = cfg.ttl.metadata;
  pc.ttl.search = cfg.ttl.search;
  pc.ttl.error = cfg.ttl.error;
  pc.ttl.transient = cfg.ttl.transient;
  pc.store = std::move(store);
  pc.table = table;
  return pc;
}

}  // namespace

caf::expected<daemon_state> open_daemon_state(const daemon_config& cfg) {
  daemon_state state;
  storage::environment_options env_opts;
  // Caches: commits are not synced, so a crash of the system (not of the daemon) may tear
  // the environment; it is then moved aside at the next start (docs/hardening.md).
  env_opts.durable = false;
  auto cache = storage::open_disposable_store(cfg.cache_db_dir(), env_opts);
  if (!cache.problem.empty())
    spdlog::warn("cache {} is unusable ({}); {}", cfg.cache_db_dir(), cache.problem,
                 !cache.persistent ? "the caches stay in memory until the next start"
                 : cache.moved_aside.empty()
                   ? "started empty"
                   : "moved aside to " + cache.moved_aside + ", started empty");
  state.cache_store = std::move(cache.store);
  state.cache_persistent = cache.persistent;
  state.content_dir = cfg.content_dir();
  auto moved = storage::prepare_disposable_dir(state.content_dir);
  if (moved && !moved->empty())
    spdlog::warn("content folder {} was unusable: moved aside to {}, started empty",
                 state.content_dir, *moved);
  if (!moved) {
    // Somewhere private, so that objects can still be read this time.
    std::string tmp = (std::filesystem::temp_directory_path() / "d1drive-content-XXXXXX").string();
    if (::mkdtemp(tmp.data()) == nullptr)
      return make_error(ec::io_error, context_of(moved.error())
                                        + "; no temporary content folder either");
    spdlog::warn("{}; object bytes go to {} until the next start", context_of(moved.error()),
                 tmp);
    state.content_dir = tmp;
  }
  return state;
}

caf::expected<daemon_actors> start_daemon(caf::actor_system& sys, const daemon_config& cfg,
                                          const daemon_state& state) {
  daemon_actors a;
  a.system = &sys;
  a.cache_store = state.cache_store;

  http_client_config http_cfg;
  http_cfg.ca_file = cfg.ca_file;
  http_cfg.client_cert = cfg.client_cert;
  http_cfg.client_key = cfg.client_key;
  http_cfg.connect_timeout_ms = cfg.connect_timeout_ms;
  if (auto err = validate(http_cfg))
    return err;
  a.http = spawn_loud(sys, http_client, http_cfg);

  node_client_config node_cfg;
  node_cfg.base_url = cfg.base_url;
  node_cfg.timeout_ms = cfg.timeout_ms;
  node_cfg.stall_ms = cfg.stall_ms;
  node_cfg.max_retries = cfg.max_retries;
  node_cfg.retry_base_delay_ms = cfg.retry_base_delay_ms;
  if (auto err = validate(node_cfg))
    return err;
  a.nodes = spawn_loud(sys, node_client, node_cfg, a.http);

  solr_querier_config solr_cfg;
  solr_cfg.base_url = cfg.base_url;
  solr_cfg.timeout_ms = cfg.timeout_ms;
  solr_cfg.max_retries = cfg.max_retries;
  solr_cfg.retry_base_delay_ms = cfg.retry_base_delay_ms;
  if (auto err = validate(solr_cfg))
    return err;
  a.solr = spawn_loud(sys, solr_querier, solr_cfg, a.http);

  content_cache_config content_cfg;
  content_cfg.directory = state.content_dir;
  content_cfg.max_bytes = cfg.content_cache_bytes;
  content_cfg.chunk_bytes = cfg.chunk_bytes;
  content_cfg.readahead_bytes = cfg.readahead_bytes;
  content_cfg.retries_per_location = cfg.max_retries;
  // node_client retries resolve itself: each try within timeout_ms, then a backoff.
  content_cfg.resolve_timeout
    = std::chrono::milliseconds(2ull * cfg.timeout_ms * (cfg.max_retries + 1) + 60000);
  content_cfg.store = a.cache_store;  // partial objects resume after a restart
  if (auto err = validate(content_cfg))
    return err;
  a.content = spawn_loud(sys, content_cache, content_cfg, a.nodes);
  sys.registry().put(content_cache_registry_key, a.content);  // for `d1drive status`

  auto attr_cfg = cache_config(cfg, a.cache_store, "attr", cfg.attr_cache_memory_bytes);
  auto dir_cfg = cache_config(cfg, a.cache_store, "dir", cfg.dir_cache_memory_bytes);
  if (auto err = validate(attr_cfg))
    return err;
  a.attrs = spawn_loud(sys, attr_cache, attr_cfg);
  a.dirs = spawn_loud(sys, dir_cache, dir_cfg);

  a.science = spawn_loud(sys, science_object);
  package_config pkg_cfg;
  pkg_cfg.timeout_ms = cfg.timeout_ms;
  if (auto err = validate(pkg_cfg))
    return err;
  a.package = spawn_loud(sys, package, pkg_cfg, a.content, a.solr);
  d1_object_config obj_cfg;
  obj_cfg.timeout_ms = cfg.timeout_ms;
  obj_cfg.package = a.package;
  a.objects = spawn_loud(sys, d1_object, obj_cfg, a.nodes, a.solr, a.science);
  caf::anon_send(a.package, put_atom::value, a.objects);  // they need each other
  crawl_config crawl_cfg;
  crawl_cfg.enabled = cfg.crawl.enabled;
  if (cfg.crawl.crawler_names_set)
    crawl_cfg.crawler_names = cfg.crawl.crawler_names;
  crawl_cfg.rate_per_s = cfg.crawl.rate_per_s;
  crawl_cfg.burst = cfg.crawl.burst;
  crawl_cfg.depth_first_threshold = cfg.crawl.depth_first_threshold;
  crawl_cfg.window_s = cfg.crawl.window_s;
  crawl_cfg.cooldown_s = cfg.crawl.cooldown_s;
  crawl_cfg.cold_bytes_burst = cfg.crawl.cold_burst_mb * (1 << 20);
  crawl_cfg.cold_bytes_per_s = cfg.crawl.cold_mb_per_s * (1 << 20);
  if (auto err = validate(crawl_cfg))
    return err;
  a.crawl = spawn_loud(sys, crawl_guard, crawl_cfg);
  sys.registry().put(crawl_guard_registry_key, a.crawl);  // for the control socket
  status_config status_cfg;
  status_cfg.crawl = a.crawl;
  status_cfg.timeout_ms = cfg.timeout_ms;
  status_cfg.base_url = cfg.base_url;
  status_cfg.gauges = state.gauges;
  status_cfg.jobs = state.mobile.jobs;
  if (auto err = validate(status_cfg))
    return err;
  a.status = spawn_loud(sys, status, status_cfg, a.nodes, a.attrs, a.dirs, a.content, a.solr);
  a.flat_space = spawn_loud(sys, flat_space, flat_space_config{cfg.recent_objects, a.cache_store},
                           a.objects);
  faceted_search_config search_cfg;
  search_cfg.timeout_ms = cfg.timeout_ms;
  search_cfg.object_limit = cfg.search.object_limit;
  search_cfg.page_size = cfg.search.page_size;
  search_cfg.value_limit = cfg.search.value_limit;
  search_cfg.value_sort = cfg.search.value_sort;
  if (cfg.search.allow_fields_set)
    search_cfg.allow_fields = cfg.search.allow_fields;
  search_cfg.deny_fields = cfg.search.deny_fields;
  search_cfg.store = a.cache_store;  // shortened names resolve after a restart
  if (auto err = validate(search_cfg))
    return err;
  std::vector<named_search> searches;
  for (auto& s : cfg.searches)
    searches.push_back(named_search{s.name, s.fq});
  if (auto err = validate(searches))
    return err;
  a.faceted = spawn_loud(sys, faceted_search, search_cfg, a.solr, a.objects);
  a.preconfigured = spawn_loud(sys, preconfigured_search, searches, a.faceted);
  std::vector<top_folder> top{{"FacetedSearch", a.faceted},
                              {"PreconfiguredSearch", a.preconfigured},
                              {"Status", a.status}};
  if (state.mobile.catalogue) {
    resources_config res_cfg;
    res_cfg.catalogue = state.mobile.catalogue;
    res_cfg.timeout_ms = cfg.timeout_ms;
    res_cfg.mount_time = state.mount_time;
    if (auto err = validate(res_cfg))
      return err;
    // Detached: it stats the local copies.
    a.resources = spawn_loud<caf::detached>(sys, resources, res_cfg);
    top.insert(top.begin() + 2, top_folder{"Resources", a.resources});
  }
  a.root = spawn_loud(sys, root_with, a.flat_space, std::move(top));

  fs_gateway_config gw_cfg;
  gw_cfg.timeout_ms = cfg.timeout_ms;
  gw_cfg.guard = a.crawl;
  a.gateway = spawn_loud(sys, fs_gateway, gw_cfg, a.attrs, a.dirs, a.root, a.content);

  for (auto [h, what] : {std::pair{caf::actor_cast<caf::actor>(a.http), "http_client"},
                         std::pair{caf::actor_cast<caf::actor>(a.content), "content_cache"},
                         std::pair{caf::actor_cast<caf::actor>(a.attrs), "attr_cache"},
                         std::pair{caf::actor_cast<caf::actor>(a.dirs), "dir_cache"}}) {
    if (auto err = check_alive(sys, h, what)) {
      a.shutdown();
      return err;
    }
  }
  return a;
}

std::vector<std::pair<caf::actor, std::string>> daemon_actors::all() const {
  auto h = [](const auto& x) { return caf::actor_cast<caf::actor>(x); };
  return {{h(gateway), "fs_gateway"},     {h(root), "root"},
          {h(preconfigured), "preconfigured_search"},
          {h(faceted), "faceted_search"}, {h(flat_space), "flat_space"},
          {h(objects), "d1_object"},      {h(status), "status"},
          {h(resources), "resources"},
          {h(crawl), "crawl_guard"},      {h(package), "package"},
          {h(science), "science_object"}, {h(dirs), "dir_cache"},
          {h(attrs), "attr_cache"},       {h(content), "content_cache"},
          {h(solr), "solr_querier"},      {h(nodes), "node_client"},
          {h(http), "http_client"}};
}

void daemon_actors::shutdown() {
  if (!system)
    return;
  caf::scoped_actor self{*system};
  for (auto& [h, name] : all()) {
    if (!h)
      continue;
    self->monitor(h);
    self->send_exit(h, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds(10)) >> [name = name] {
                    spdlog::warn("{} did not stop within 10 s", name);
                  });
  }
  if (crawl)
    system->registry().erase(crawl_guard_registry_key);
  if (content)
    system->registry().erase(content_cache_registry_key);
  system = nullptr;
}

// -- daemon_supervisor -------------------------------------------------------------------

daemon_supervisor::daemon_supervisor(caf::actor_system& sys, daemon_config cfg,
                                     daemon_state state, hooks h)
  : sys_(sys), cfg_(std::move(cfg)), state_(std::move(state)), hooks_(std::move(h)) {
}

caf::expected<std::unique_ptr<daemon_supervisor>>
daemon_supervisor::start(caf::actor_system& sys, const daemon_config& cfg, daemon_state state,
                         hooks h) {
  std::unique_ptr<daemon_supervisor> s{new daemon_supervisor(sys, cfg, std::move(state),
                                                             std::move(h))};
  auto actors = start_daemon(sys, cfg, s->state_);
  if (!actors)
    return std::move(actors.error());
  s->actors_ = std::move(*actors);
  s->watch_ = std::make_unique<actor_watch>(
    sys, [p = s.get()](const std::string& name, const caf::error& reason) {
      p->on_failure(name, reason);
    });
  s->watch_all();
  return s;
}

daemon_supervisor::~daemon_supervisor() {
  shutdown();
  watch_.reset();  // waits until no report is being handled
}

void daemon_supervisor::watch_all() {
  for (auto& [h, name] : actors_.all())
    if (h)
      watch_->watch(h, name);
}

void daemon_supervisor::on_failure(const std::string& name, const caf::error& reason) {
  std::unique_lock<std::mutex> guard{mtx_};
  if (stopped_)
    return;
  auto now = std::chrono::steady_clock::now();
  restart_times_.erase(std::remove_if(restart_times_.begin(), restart_times_.end(),
                                      [&](auto t) { return now - t > restart_window; }),
                       restart_times_.end());
  watch_->clear();
  actors_.shutdown();
  if (restart_times_.size() >= max_restarts) {
    stopped_ = true;
    auto why = name + " failed (" + describe(reason) + ") after "
               + std::to_string(max_restarts) + " restarts within "
               + std::to_string(restart_window.count()) + " minutes";
    spdlog::critical("giving up: {}", why);
    guard.unlock();
    if (hooks_.give_up)
      hooks_.give_up(why);
    return;
  }
  restart_times_.push_back(now);
  ++restarts_;
  ++state_.gauges->actor_restarts;
  auto fresh = start_daemon(sys_, cfg_, state_);
  if (!fresh) {
    stopped_ = true;
    auto why = "cannot restart the actors after " + name + " failed: " + describe(fresh.error());
    spdlog::critical("{}", why);
    guard.unlock();
    if (hooks_.give_up)
      hooks_.give_up(why);
    return;
  }
  actors_ = std::move(*fresh);
  watch_all();
  spdlog::warn("restarted every actor of the mount after {} failed ({} restart(s) within {} "
               "minutes)",
               name, restart_times_.size(), restart_window.count());
  auto gateway = actors_.gateway;
  guard.unlock();
  if (hooks_.restarted)
    hooks_.restarted(gateway);
}

daemon_actors daemon_supervisor::actors() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return actors_;
}

size_t daemon_supervisor::restarts() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return restarts_;
}

void daemon_supervisor::shutdown() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (stopped_ && !actors_.system)
    return;
  stopped_ = true;
  if (watch_)
    watch_->clear();
  actors_.shutdown();
}

}  // namespace d1
