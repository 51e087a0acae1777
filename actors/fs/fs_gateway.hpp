// fs_gateway: where every FUSE request enters the actor world. It answers from attr_cache
// and dir_cache when it can, asks the resolver chain (root …) otherwise, stores what it
// learned, and replies through the fs_reply handle the request carried.
#pragma once

#include "actors/network_config.hpp"
#include "messages/interfaces.hpp"
#include "messages/listing_stream.hpp"

#include <caf/actor_clock.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace d1 {

struct fs_gateway_config {
  // Resolvers answer (or give an error folder) by then.
  uint32_t timeout_ms = network_defaults.timeout_ms;
  // Asked before every cold query of a search or object folder (null: no limit).
  crawl_guard_actor guard;
};

struct fs_gateway_state {
  static constexpr const char* name = "fs_gateway";
  fs_gateway_config config;
  attr_cache_actor attrs;
  dir_cache_actor dirs;
  resolver_actor root;
  content_cache_actor content;
  // Concurrent cold listings of one folder open the stream of the one being resolved, and
  // a listing resolved a moment ago is reused: its dir_cache put may still be behind a
  // caller's cache check, and without this a second query would go out (single-flight per
  // path). Weak: reused while dir_cache, a pending write or an open handle still holds
  // it, never kept alive for this alone (a 100k-entry listing is tens of MB).
  std::unordered_map<std::string, listing_stream_ptr> listing_streams;
  std::unordered_map<std::string,
                     std::pair<std::weak_ptr<const listing>, caf::actor_clock::time_point>>
    recent_listings;
};

fs_gateway_actor::behavior_type
fs_gateway(fs_gateway_actor::stateful_pointer<fs_gateway_state> self, fs_gateway_config config,
           attr_cache_actor attrs, dir_cache_actor dirs, resolver_actor root,
           content_cache_actor content);

}  // namespace d1
