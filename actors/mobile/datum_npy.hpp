// Datum values from numpy's .npy files: NPY (the whole array) and NPY_FRAMEWISE (one
// frame, array[frame_no], of a stack). The header is numpy's format 1.0/2.0/3.0; values
// are streamed from the file, big-endian ones swapped on the way.
#pragma once

#include "actors/mobile/datum_value.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace d1 {

/// What a .npy header says.
struct npy_header {
  datum_dtype dtype;
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<uint64_t> shape;
  uint64_t data_offset = 0;  // where the values start in the file
};

/// Parses the start of a .npy file (`bytes`: at least the magic, version, length and
/// header). Returns the header; ec::parse_error naming what is wrong (bad magic, unknown
/// version, a header that is not numpy's dict, a shape that overflows), ec::invalid_argument
/// for an element type that is not supported (bool, complex, strings, records, …).
caf::expected<npy_header> parse_npy_header(const std::string& bytes);

/// Delivers the values of root/rel to `sink`: the whole array, or with `frame_no`
/// array[frame_no] (shape without its first axis). Returns ec::parse_error naming the
/// file for a corrupt header, a truncated file or bytes after the array, ec::invalid_argument
/// for an unsupported type, Fortran order, or a frame_no past the stack; open errors as
/// datum_file::open gives them.
caf::error read_npy(const std::string& root, const std::string& rel,
                    std::optional<uint64_t> frame_no, value_sink& sink);

}  // namespace d1
