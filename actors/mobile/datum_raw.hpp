// Datum values of a RAW resource: the file's bytes, dtype |u1, shape (size,).
#pragma once

#include "actors/mobile/datum_value.hpp"

#include <caf/error.hpp>

#include <string>

namespace d1 {

/// Delivers the bytes of root/rel to `sink` as |u1 values of shape (size at open,).
/// Returns the errors of datum_file::open, or ec::parse_error "truncated" if the file
/// shrinks while it is read, ec::io_error for a read error.
caf::error read_raw(const std::string& root, const std::string& rel, value_sink& sink);

}  // namespace d1
