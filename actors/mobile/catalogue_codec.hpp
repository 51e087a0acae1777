// Catalogue records as bytes: storage's codec behind the catalogue's own version byte.
// Internal to the catalogue's files.
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "messages/error.hpp"
#include "storage/codec.hpp"

#include <string>
#include <string_view>

namespace d1 {

/// `x` as a catalogue record: catalogue_schema_version, then its inspect() fields.
template <class T>
std::string pack(const T& x) {
  auto bytes = storage::encode(x);
  bytes[0] = static_cast<char>(catalogue_schema_version);
  return bytes;
}

/// The record in `bytes` (read from `table`), or ec::storage_error naming the table for a
/// record of another schema version, or one that does not decode.
template <class T>
caf::expected<T> unpack(std::string_view bytes, const char* table) {
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != catalogue_schema_version)
    return make_error(ec::storage_error,
                      std::string{"catalogue record in "} + table
                        + " is empty or of another catalogue schema version");
  std::string copy{bytes};
  copy[0] = static_cast<char>(storage::schema_version);
  auto out = storage::decode<T>(copy);
  if (!out)
    return make_error(ec::storage_error,
                      std::string{"catalogue record in "} + table + ": "
                        + context_of(out.error()));
  return out;
}

}  // namespace d1
