// d1_object: from a PID to everything needed to show its folder (system metadata from the
// CN, the Solr record, the file name), fetched once per PID with concurrent requests
// coalesced, then handed to the object resolver that fits the object's format type.
#pragma once

#include "actors/network_config.hpp"
#include "actors/single_flight.hpp"
#include "messages/interfaces.hpp"

#include <caf/actor_clock.hpp>
#include <caf/timespan.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>

#include <functional>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

struct d1_object_config {
  uint32_t timeout_ms = network_defaults.timeout_ms;  // the user-facing bound on resolving one PID
  size_t max_descriptors = 10000;
  // A PID that failed to resolve is not asked for again this soon: a lookup followed by a
  // listing of its error folder costs one round of requests, not two.
  caf::timespan failure_ttl = std::chrono::seconds(2);
  // Metadata documents (isDocumentedBy) shown in one data object's folder at most.
  size_t max_documents = 16;
  // Resolves objects of formatType RESOURCE (packages); unset: they show as science objects.
  object_resolver_actor package;
};

struct d1_object_state {
  static constexpr const char* name = "d1_object";
  d1_object_config config;
  node_client_actor nodes;
  solr_querier_actor solr;
  object_resolver_actor science;
  // Descriptors in memory, most recently used first (PIDs are immutable: no expiry).
  std::list<object_descriptor> lru;
  std::unordered_map<std::string, std::list<object_descriptor>::iterator> by_pid;
  // Requests waiting for a descriptor that is being fetched.
  using descriptor_callback = std::function<void(caf::expected<object_descriptor>)>;
  single_flight<std::string, caf::expected<object_descriptor>> fetching;
  // Recent failures: PID → (error, when it happened).
  std::unordered_map<std::string, std::pair<caf::error, caf::actor_clock::time_point>> failures;
  uint64_t fetches = 0;
};

/// The name the object's bytes get in its folder: the Solr fileName, else the system
/// metadata fileName, else the escaped PID plus the extension of its format. Always one
/// valid path segment, never "system.xml" or "search_fields.txt".
std::string object_file_name(const object_descriptor& desc,
                             const std::vector<object_format>& formats);

/// The metadata documents beside a data object's bytes, from their descriptors (`found`,
/// in isDocumentedBy order; an error marks one that could not be resolved): each under its
/// own file name, or under its escaped PID when that name is taken in the folder; a name
/// taken either way is left out.
void attach_documents(object_descriptor& data,
                      const std::vector<caf::expected<object_descriptor>>& found);

d1_object_actor::behavior_type d1_object(d1_object_actor::stateful_pointer<d1_object_state> self,
                                         d1_object_config config, node_client_actor nodes,
                                         solr_querier_actor solr,
                                         object_resolver_actor science);

}  // namespace d1
