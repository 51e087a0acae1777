// Which files a datum reads, and a resource's file list when it comes from its datums (an
// AD_TIFF resource registered without num_points, as the filestore registers them). Pure
// functions of spec, path and kwargs: nothing is opened.
#pragma once

#include "actors/mobile/spec_handlers.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace d1 {

/// What one datum reads: its files (relative to the root, in reading order) and, within
/// them, which values.
struct datum_selection {
  std::vector<std::string> files;
  uint64_t first_row = 0;            // AD_HDF5: rows first_row … first_row + rows - 1
  uint64_t rows = 0;
  std::optional<uint64_t> frame_no;  // NPY_FRAMEWISE: array[frame_no]
};

/// The specs whose datums have values: AD_TIFF, AD_HDF5, NPY_FRAMEWISE, NPY, RAW.
const std::vector<std::string>& datum_specs();

/// Returns what the datum with `datum_kwargs` (JSON object text, "" for {}) of a resource
/// (spec, path, kwargs) reads. Datum kwargs: AD_TIFF and AD_HDF5 `point_number` (int >= 0,
/// below num_points when the resource has it), NPY_FRAMEWISE `frame_no` (int >= 0), NPY
/// and RAW none. Resource kwargs: AD_TIFF as list_spec_files takes them (num_points
/// optional here), AD_HDF5 `frame_per_point` (int >= 1). Returns ec::invalid_argument
/// naming the spec and the problem (unknown spec, non-JSON, missing, mistyped or unknown
/// keys, a bad path or template).
caf::expected<datum_selection> select_datum(const std::string& spec, const std::string& path,
                                            const std::string& resource_kwargs,
                                            const std::string& datum_kwargs);

/// Returns the files of a resource given its datums' kwargs: for AD_TIFF without
/// num_points, the files of every datum, each once, in frame order (none without datums);
/// NPY: `path`; otherwise list_spec_files (the datums are not needed). Errors as
/// list_spec_files and select_datum give them.
caf::expected<spec_listing> list_resource_files(const std::string& spec,
                                                const std::string& path,
                                                const std::string& kwargs,
                                                const std::vector<std::string>& datum_kwargs);

}  // namespace d1
