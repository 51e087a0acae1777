// The schema version is a compile-time constant (schema.hpp); this unit only checks the
// contract that the codec relies on.
#include "storage/schema.hpp"

namespace d1::storage {

static_assert(schema_version != 0, "0 would be indistinguishable from zeroed pages");

}  // namespace d1::storage
