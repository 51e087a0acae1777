// The daemon's wiring: the one place that knows every actor's constructor, and the
// supervisor that restarts them.
#include "actors/control/daemon.hpp"

#include "actors/dataone/content_cache.hpp"
#include "actors/dataone/http_client.hpp"
#include "actors/dataone/node_client.hpp"
#include "actors/dataone/solr_querier.hpp"
#include "actors/fs/attr_cache.hpp"
#include "actors/fs/dir_cache.hpp"
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
#include <tuple>

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

mount_configs mount_configs_of(const daemon_config& cfg, const daemon_state& state) {
  mount_configs c;
  auto& net = cfg.network;

  c.http.ca_file = cfg.ca_file;
  c.http.client_cert = cfg.client_cert;
  c.http.client_key = cfg.client_key;
  c.http.connect_timeout_ms = net.connect_timeout_ms;

  auto service = service_settings_of(cfg.base_url, net);
  c.nodes = {service, net.stall_ms};
  c.solr = {service};

  c.content = cfg.content;
  c.content.directory = state.content_dir;
  c.content.retries_per_location = net.max_retries;
  // node_client retries resolve itself: each try within timeout_ms, then a backoff.
  c.content.resolve_timeout
    = std::chrono::milliseconds(2ull * net.timeout_ms * (net.max_retries + 1) + 60000);
  c.content.store = state.cache_store;  // partial objects resume after a restart

  for (auto [pc, table, budget] : {std::tuple{&c.attrs, "attr", cfg.attr_cache_memory_bytes},
                                   std::tuple{&c.dirs, "dir", cfg.dir_cache_memory_bytes}}) {
    pc->memory_budget = budget;
    pc->ttl = cfg.ttl;
    pc->store = state.cache_store;
    pc->table = table;
  }

  c.package.timeout_ms = net.timeout_ms;
  c.objects.timeout_ms = net.timeout_ms;
  c.crawl = cfg.crawl;

  c.status.timeout_ms = net.timeout_ms;
  c.status.base_url = cfg.base_url;
  c.status.gauges = state.gauges;
  c.status.jobs = state.mobile.jobs;

  c.flat_space = cfg.flat_space;
  c.flat_space.store = state.cache_store;  // recent objects are kept across restarts

  c.search = cfg.search;
  c.search.timeout_ms = net.timeout_ms;
  c.search.store = state.cache_store;  // shortened names resolve after a restart
  c.searches = cfg.searches;

  c.resources.catalogue = state.mobile.catalogue;
  c.resources.timeout_ms = net.timeout_ms;
  c.resources.mount_time = state.mount_time;

  c.gateway.timeout_ms = net.timeout_ms;
  return c;
}

caf::error validate(const mount_configs& c) {
  for (auto err : {validate(c.http), validate(c.nodes), validate(c.solr), validate(c.content),
                   validate(c.attrs), validate(c.dirs), validate(c.package), validate(c.crawl),
                   validate(c.status), validate(c.flat_space), validate(c.search),
                   validate(c.searches)})
    if (err)
      return err;
  if (c.resources.catalogue)
    return validate(c.resources);
  return {};
}

caf::expected<daemon_actors> start_daemon(caf::actor_system& sys, const daemon_config& cfg,
                                          const daemon_state& state) {
  auto c = mount_configs_of(cfg, state);
  if (auto err = validate(c))
    return err;
  daemon_actors a;
  a.system = &sys;
  a.cache_store = state.cache_store;
  // Back to front: each actor gets the handles of those it talks to.
  a.http = spawn_loud(sys, http_client, c.http);
  a.nodes = spawn_loud(sys, node_client, c.nodes, a.http);
  a.solr = spawn_loud(sys, solr_querier, c.solr, a.http);
  a.content = spawn_loud(sys, content_cache, c.content, a.nodes);
  a.attrs = spawn_loud(sys, attr_cache, c.attrs);
  a.dirs = spawn_loud(sys, dir_cache, c.dirs);
  a.science = spawn_loud(sys, science_object);
  a.package = spawn_loud(sys, package, c.package, a.content, a.solr);
  c.objects.package = a.package;
  a.objects = spawn_loud(sys, d1_object, c.objects, a.nodes, a.solr, a.science);
  caf::anon_send(a.package, put_atom::value, a.objects);  // they need each other
  a.crawl = spawn_loud(sys, crawl_guard, c.crawl);
  c.status.crawl = a.crawl;
  a.status = spawn_loud(sys, status, c.status, a.nodes, a.attrs, a.dirs, a.content, a.solr);
  a.flat_space = spawn_loud(sys, flat_space, c.flat_space, a.objects);
  a.faceted = spawn_loud(sys, faceted_search, c.search, a.solr, a.objects);
  a.preconfigured = spawn_loud(sys, preconfigured_search, c.searches, a.faceted);
  std::vector<top_folder> top{{"FacetedSearch", a.faceted},
                              {"PreconfiguredSearch", a.preconfigured},
                              {"Status", a.status}};
  if (c.resources.catalogue) {
    // Detached: it stats the local copies.
    a.resources = spawn_loud<caf::detached>(sys, resources, c.resources);
    top.insert(top.begin() + 2, top_folder{"Resources", a.resources});
  }
  a.root = spawn_loud(sys, root_with, a.flat_space, std::move(top));
  c.gateway.guard = a.crawl;
  a.gateway = spawn_loud(sys, fs_gateway, c.gateway, a.attrs, a.dirs, a.root, a.content);

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
  auto fresh_actors = actors_;
  guard.unlock();
  if (hooks_.restarted)
    hooks_.restarted(fresh_actors);
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
