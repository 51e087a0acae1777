// The on-disk schema version of every LMDB record d1drive writes. Bump it when a persisted
// value type changes layout; readers refuse records of another version (treated as a miss).
#pragma once

#include <cstdint>

namespace d1::storage {

/// The first byte of every persisted record.
constexpr uint8_t schema_version = 2;  // 2: node_info carries local copies

}  // namespace d1::storage
