// Spec handlers: the files of a resource from its spec, path and kwargs, without opening
// any data (RAW, AD_TIFF, AD_HDF5, NPY_FRAMEWISE, DATAONE; docs/mobile-files.md).
#pragma once

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

/// What a handler says about a resource.
struct spec_listing {
  std::vector<std::string> rel_paths;  // normalised, relative to the root, in order
  std::string algorithm;               // non-empty if the spec dictates it (DATAONE)
  std::string expected_digest;         // DATAONE: the system-metadata checksum (lowercase)
};

/// Returns the files of a resource; ec::invalid_argument for an unknown spec, kwargs
/// that are not a JSON object or lack/mistype a required key, or a path or generated
/// name that is absolute or contains "..".
caf::expected<spec_listing> list_spec_files(const std::string& spec, const std::string& path,
                                            const std::string& kwargs_json);

/// Applies an areaDetector FileTemplate to (file_path, file_name, number) as
/// epicsSnprintf does, accepting only "%s", "%s", one integer conversion, "%%" and
/// literal text. Returns the name, or ec::invalid_argument naming what is wrong.
caf::expected<std::string> format_ad_template(const std::string& tmpl,
                                              const std::string& file_path,
                                              const std::string& file_name, int64_t number);

/// The specs list_spec_files knows.
const std::vector<std::string>& known_specs();

}  // namespace d1
