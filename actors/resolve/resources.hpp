// Resources/: the catalogue's tracked resources, one folder per uid (and @by-pid/<pid> for
// DATAONE resources), holding each resource's files under their relative paths. A file is
// read from the best local copy on this host (fuse/local_copy), never through the network.
#pragma once

#include "actors/network_config.hpp"
#include "actors/resolve/resource_tree.hpp"
#include "actors/single_flight.hpp"
#include "messages/interfaces.hpp"

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace d1 {

struct resources_config {
  catalogue_actor catalogue;
  uint32_t timeout_ms = network_defaults.timeout_ms;  // bound of each catalogue request
  uint32_t tree_ttl_ms = 1000;      // a resource's tree is asked again after this long
  size_t max_trees = 64;            // trees kept between lookups
  int64_t mount_time = 0;           // seconds since the epoch: the folders' date
};

/// ec::invalid_argument naming the setting when one is out of range or no catalogue is set.
caf::error validate(const resources_config& cfg);

struct resources_state {
  static constexpr const char* name = "resources";
  resources_config cfg;
  struct kept_tree {
    std::chrono::steady_clock::time_point until;
    resource_tree_ptr tree;
  };
  std::map<std::string, kept_tree> trees;  // by uid
  single_flight<std::string, caf::expected<resource_tree_ptr>> asking;  // by uid
};

/// Spawn detached: attributes come from stat() of the local copies.
resolver_actor::behavior_type resources(resolver_actor::stateful_pointer<resources_state> self,
                                        resources_config cfg);

}  // namespace d1
