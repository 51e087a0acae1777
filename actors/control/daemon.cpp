// The daemon's wiring: the one place that knows every actor's constructor.
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
#include "actors/resolve/root.hpp"
#include "actors/resolve/science_object.hpp"
#include "actors/resolve/status.hpp"
#include "messages/error.hpp"
#include "storage/lmdb_store.hpp"

#include <caf/scoped_actor.hpp>

#include <spdlog/spdlog.h>

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

caf::expected<daemon_actors> start_daemon(caf::actor_system& sys, const daemon_config& cfg) {
  daemon_actors a;
  a.system = &sys;
  storage::environment_options env_opts;
  env_opts.durable = false;  // caches: a crash may lose the last writes, never corrupt
  auto store = storage::lmdb_store::open(cfg.cache_db_dir(), env_opts);
  if (!store)
    return store.error();
  a.cache_store = *store;

  http_client_config http_cfg;
  http_cfg.ca_file = cfg.ca_file;
  http_cfg.client_cert = cfg.client_cert;
  http_cfg.client_key = cfg.client_key;
  http_cfg.connect_timeout_ms = cfg.connect_timeout_ms;
  if (auto err = validate(http_cfg))
    return err;
  a.http = sys.spawn(http_client, http_cfg);

  node_client_config node_cfg;
  node_cfg.base_url = cfg.base_url;
  node_cfg.timeout_ms = cfg.timeout_ms;
  node_cfg.stall_ms = cfg.stall_ms;
  node_cfg.max_retries = cfg.max_retries;
  node_cfg.retry_base_delay_ms = cfg.retry_base_delay_ms;
  if (auto err = validate(node_cfg))
    return err;
  a.nodes = sys.spawn(node_client, node_cfg, a.http);

  solr_querier_config solr_cfg;
  solr_cfg.base_url = cfg.base_url;
  solr_cfg.timeout_ms = cfg.timeout_ms;
  solr_cfg.max_retries = cfg.max_retries;
  solr_cfg.retry_base_delay_ms = cfg.retry_base_delay_ms;
  if (auto err = validate(solr_cfg))
    return err;
  a.solr = sys.spawn(solr_querier, solr_cfg, a.http);

  content_cache_config content_cfg;
  content_cfg.directory = cfg.content_dir();
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
  a.content = sys.spawn(content_cache, content_cfg, a.nodes);

  auto attr_cfg = cache_config(cfg, a.cache_store, "attr", cfg.attr_cache_memory_bytes);
  auto dir_cfg = cache_config(cfg, a.cache_store, "dir", cfg.dir_cache_memory_bytes);
  if (auto err = validate(attr_cfg))
    return err;
  a.attrs = sys.spawn(attr_cache, attr_cfg);
  a.dirs = sys.spawn(dir_cache, dir_cfg);

  a.science = sys.spawn(science_object);
  package_config pkg_cfg;
  pkg_cfg.timeout_ms = cfg.timeout_ms;
  if (auto err = validate(pkg_cfg))
    return err;
  a.package = sys.spawn(package, pkg_cfg, a.content, a.solr);
  d1_object_config obj_cfg;
  obj_cfg.timeout_ms = cfg.timeout_ms;
  obj_cfg.package = a.package;
  a.objects = sys.spawn(d1_object, obj_cfg, a.nodes, a.solr, a.science);
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
  a.crawl = sys.spawn(crawl_guard, crawl_cfg);
  sys.registry().put(crawl_guard_registry_key, a.crawl);  // for the control socket
  status_config status_cfg;
  status_cfg.crawl = a.crawl;
  status_cfg.timeout_ms = cfg.timeout_ms;
  status_cfg.base_url = cfg.base_url;
  if (auto err = validate(status_cfg))
    return err;
  a.status = sys.spawn(status, status_cfg, a.nodes, a.attrs, a.dirs, a.content, a.solr);
  a.flat_space = sys.spawn(flat_space, a.objects, size_t{100});
  faceted_search_config search_cfg;
  search_cfg.base_url = cfg.base_url;
  search_cfg.timeout_ms = cfg.timeout_ms;
  search_cfg.max_retries = cfg.max_retries;
  search_cfg.retry_base_delay_ms = cfg.retry_base_delay_ms;
  search_cfg.object_limit = cfg.search.object_limit;
  search_cfg.page_size = cfg.search.page_size;
  search_cfg.value_limit = cfg.search.value_limit;
  search_cfg.value_sort = cfg.search.value_sort;
  if (cfg.search.allow_fields_set)
    search_cfg.allow_fields = cfg.search.allow_fields;
  search_cfg.deny_fields = cfg.search.deny_fields;
  if (auto err = validate(search_cfg))
    return err;
  std::vector<named_search> searches;
  for (auto& s : cfg.searches)
    searches.push_back(named_search{s.name, s.fq});
  if (auto err = validate(searches))
    return err;
  a.faceted = sys.spawn(faceted_search, search_cfg, a.solr, a.objects, a.http);
  a.preconfigured = sys.spawn(preconfigured_search, searches, a.faceted);
  a.root = sys.spawn(root_with, a.flat_space,
                     std::vector<top_folder>{{"FacetedSearch", a.faceted},
                                             {"PreconfiguredSearch", a.preconfigured},
                                             {"Status", a.status}});

  fs_gateway_config gw_cfg;
  gw_cfg.timeout_ms = cfg.timeout_ms;
  gw_cfg.guard = a.crawl;
  a.gateway = sys.spawn(fs_gateway, gw_cfg, a.attrs, a.dirs, a.root, a.content);

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

void daemon_actors::shutdown() {
  if (!system)
    return;
  caf::scoped_actor self{*system};
  std::vector<caf::actor> order{
    caf::actor_cast<caf::actor>(gateway), caf::actor_cast<caf::actor>(root),
    caf::actor_cast<caf::actor>(preconfigured), caf::actor_cast<caf::actor>(faceted),
    caf::actor_cast<caf::actor>(flat_space), caf::actor_cast<caf::actor>(objects),
    caf::actor_cast<caf::actor>(status), caf::actor_cast<caf::actor>(crawl),
    caf::actor_cast<caf::actor>(package),
    caf::actor_cast<caf::actor>(science), caf::actor_cast<caf::actor>(dirs),
    caf::actor_cast<caf::actor>(attrs), caf::actor_cast<caf::actor>(content),
    caf::actor_cast<caf::actor>(solr), caf::actor_cast<caf::actor>(nodes),
    caf::actor_cast<caf::actor>(http)};
  for (auto& h : order) {
    if (!h)
      continue;
    self->monitor(h);
    self->send_exit(h, caf::exit_reason::user_shutdown);
    self->receive([](const caf::down_msg&) {},
                  caf::after(std::chrono::seconds(10)) >> [] {
                    spdlog::warn("an actor did not stop within 10 s");
                  });
  }
  if (crawl)
    system->registry().erase(crawl_guard_registry_key);
  system = nullptr;
}

}  // namespace d1
