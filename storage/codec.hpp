// Typed LMDB values: any type with an inspect() becomes bytes with CAF's binary
// serializer, behind one leading byte, storage::schema_version. A record written by
// another schema version, or one that does not decode, is refused (callers treat it as
// a miss and overwrite it).
#pragma once

#include "messages/error.hpp"
#include "storage/schema.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/expected.hpp>
#include <caf/serializer_impl.hpp>

#include <exception>
#include <string>
#include <string_view>

namespace d1::storage {

/// Returns `x` as bytes: schema_version, then the binary form of its inspect() fields.
template <class T>
std::string encode(const T& x) {
  std::string buf;
  buf.push_back(static_cast<char>(schema_version));
  // No actor system needed: our types hold no actor handles.
  caf::serializer_impl<std::string> sink{static_cast<caf::execution_unit*>(nullptr), buf};
  // Serializing only reads `x`; CAF's inspect() takes a mutable reference for both ways.
  auto err = sink(const_cast<T&>(x));
  static_cast<void>(err);  // the binary serializer fails only on unsupported types
  return buf;
}

/// Returns the bytes encode() gives for a value whose inspect() lists exactly `xs`, in
/// this order (its type_name annotation writes nothing), without building that value:
/// a large member is written where it lies instead of being copied into a record first.
template <class... Ts>
std::string encode_fields(const Ts&... xs) {
  std::string buf;
  buf.push_back(static_cast<char>(schema_version));
  caf::serializer_impl<std::string> sink{static_cast<caf::execution_unit*>(nullptr), buf};
  auto err = sink(const_cast<Ts&>(xs)...);
  static_cast<void>(err);
  return buf;
}

/// Returns the value encoded in `bytes`, or ec::storage_error if the record is empty,
/// of another schema version, truncated, or followed by trailing bytes.
template <class T>
caf::expected<T> decode(std::string_view bytes) {
  if (bytes.empty())
    return make_error(ec::storage_error, "empty record");
  auto version = static_cast<uint8_t>(bytes[0]);
  if (version != schema_version)
    return make_error(ec::storage_error, "record of schema version "
                                           + std::to_string(version) + ", expected "
                                           + std::to_string(schema_version));
  T result{};
  try {
    caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr),
                                    bytes.data() + 1, bytes.size() - 1};
    if (auto err = source(result))
      return make_error(ec::storage_error, "record does not decode (truncated or corrupt)");
    if (source.remaining() != 0)
      return make_error(ec::storage_error, "record has " + std::to_string(source.remaining())
                                             + " trailing bytes");
  } catch (const std::exception& e) {
    // A corrupt length prefix can ask for an absurd allocation.
    return make_error(ec::storage_error, std::string{"record does not decode: "} + e.what());
  }
  return result;
}

}  // namespace d1::storage
