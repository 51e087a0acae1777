// The folder of one object: its bytes under their real name, system.xml (the system
// metadata as the CN sent it), search_fields.txt (its Solr record, one field a line) and,
// for a data object, the science metadata documents that describe it.
#pragma once

#include "messages/interfaces.hpp"

#include <string>

namespace d1 {

struct science_object_state {
  static constexpr const char* name = "science_object";
};

/// The entries of an object folder, in listing order: the bytes, system.xml,
/// search_fields.txt, then the metadata documents in desc.documented_by.
listing object_folder_listing(const object_descriptor& desc);

/// search_fields.txt: "field: value" per line, one line per value of multi-valued fields.
std::string search_fields_text(const object_descriptor& desc);

/// Seconds since the epoch of an ISO 8601 timestamp ("2012-12-05T00:00:00.000+00:00",
/// "2012-12-05T00:00:00Z"); 0 if it cannot be read.
int64_t parse_iso8601(const std::string& text);

object_resolver_actor::behavior_type
science_object(object_resolver_actor::stateful_pointer<science_object_state> self);

}  // namespace d1
