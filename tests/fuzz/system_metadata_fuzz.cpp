// Fuzz target: systemMetadata documents (actors/dataone/dataone_xml.hpp) as a CN sends
// them for meta/{pid}.
#include "actors/dataone/dataone_xml.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <cstdint>
#include <limits>

D1_FUZZ_TARGET(system_metadata) {
  auto meta = d1::parse_system_metadata(input);
  if (!meta)
    return;
  d1::fuzz::check(!meta->identifier.empty() && !meta->format_id.empty()
                    && !meta->checksum.algorithm.empty() && !meta->checksum.value.empty(),
                  "system metadata accepted without a required element");
  d1::fuzz::check(meta->size <= uint64_t(std::numeric_limits<int64_t>::max()),
                  "system metadata accepted a size no file can have");
}

// The KNB system metadata fixtures (read in place).
D1_FUZZ_SEEDS(system_metadata) {
  return d1::fuzz::fixture_files("knb/sysmeta");
}
