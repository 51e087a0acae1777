// The folder of a package (formatType RESOURCE, an OAI-ORE resource map): one object folder
// per member (nested packages are package folders again, through d1_object),
// resource_map.xml (the map's verified bytes), system.xml and search_fields.txt, and, for a
// malformed or unreadable map, one error file that says what is wrong.
#pragma once

#include "actors/network_config.hpp"
#include "actors/single_flight.hpp"
#include "messages/error_folder.hpp"
#include "messages/interfaces.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

struct package_config {
  // Bound on fetching the map and querying its relations.
  uint32_t timeout_ms = network_defaults.timeout_ms;
  size_t max_packages = 1000;     // parsed packages kept in memory (PIDs are immutable)
  uint32_t solr_page_rows = 1000; // rows per page of the resourceMap:<pid> query
  uint32_t max_solr_pages = 100;  // pages walked at most (bounds a runaway cursor)
};

/// Returns an empty error if `cfg` is usable; ec::invalid_argument says what is not.
caf::error validate(const package_config& cfg);

/// What one package holds, as its folder shows it.
struct package_contents {
  std::vector<std::string> members;  // PIDs: the map's order, then members only the index knows
  std::unordered_map<std::string, std::string> pid_by_name;  // listed name → PID
  std::unordered_map<std::string, int64_t> uploaded;         // PID → dateUploaded (index)
  std::optional<problem> trouble;    // malformed map, or the map could not be read
  bool index_ok = true;              // the index's relations were read
};

struct package_state {
  static constexpr const char* name = "package";
  package_config config;
  content_cache_actor content;
  solr_querier_actor solr;
  d1_object_actor objects;  // set by put_atom once d1_object is spawned
  using contents_ptr = std::shared_ptr<const package_contents>;
  // Packages whose map was read, most recently used first.
  std::list<std::pair<std::string, contents_ptr>> lru;
  std::unordered_map<std::string, std::list<std::pair<std::string, contents_ptr>>::iterator>
    by_pid;
  // Callers waiting for a map that is being read.
  single_flight<std::string, contents_ptr> reading;
  uint64_t maps_read = 0;  // resource maps fetched and parsed
};

/// The name a member gets in the package folder (escaped PID, shortened past NAME_MAX).
std::string member_name(const std::string& pid);

/// A member the index relates to a package, with its upload time (seconds, 0 if unknown).
struct indexed_member {
  std::string pid;
  int64_t uploaded = 0;
};

/// Builds the package's contents from the map's bytes (or the error reading them) and the
/// members the index relates to the package (`index_members`, ignored if `index_error`).
/// Never fails: problems become `trouble`. `path` is the folder's mount path, for details.
package_contents make_package_contents(const object_descriptor& desc,
                                       const caf::expected<std::string>& map_bytes,
                                       const std::vector<indexed_member>& index_members,
                                       const caf::error& index_error, const std::string& path);

/// The listing of a package folder: resource_map.xml, system.xml, search_fields.txt, the
/// error file if the map has trouble, then one folder per member.
listing package_listing(const object_descriptor& desc, const package_contents& contents);

/// Spawn with `sys.spawn(package, cfg, content_cache, solr_querier)`, then send it
/// `(put_atom, d1_object)`. Until then member folders are ec::unavailable. An invalid
/// config makes the actor quit at once with that error.
package_actor::behavior_type package(package_actor::stateful_pointer<package_state> self,
                                     package_config config, content_cache_actor content,
                                     solr_querier_actor solr);

}  // namespace d1
