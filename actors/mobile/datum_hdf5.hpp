// Datum values of an AD_HDF5 resource: rows of the dataset /entry/data/data (areaDetector's
// NDFileHDF5 layout) read with libhdf5, contiguous or chunked (gzip, szip, shuffle: the
// filters this libhdf5 has), either byte order.
#pragma once

#include "actors/mobile/datum_source.hpp"
#include "actors/mobile/datum_value.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace d1 {

/// Where areaDetector writes the frames.
inline constexpr const char* ad_hdf5_dataset = "/entry/data/data";

/// Delivers rows `first_row … first_row + rows - 1` of `dataset` in rel beneath `src` to
/// `sink`: shape (rows, the dataset's other dimensions…). Streams a few MiB at a time.
/// Returns, naming the file: the errors of datum_root::open; ec::cancelled once `src` is
/// interrupted; ec::parse_error for a file libhdf5
/// cannot read (not HDF5, corrupt, truncated, a filter it lacks, a file locked by a
/// writer); ec::invalid_argument for a missing dataset, rows past its end, or an
/// unsupported element type.
caf::error read_hdf5_rows(datum_root& src, const std::string& rel,
                          const std::string& dataset, uint64_t first_row, uint64_t rows,
                          value_sink& sink);

/// The same rows from an HDF5 file held in memory (`image`, through libhdf5's core driver;
/// nothing is read from or written to disk), named `name` in errors, never interrupted.
/// The same errors but those of datum_root::open.
caf::error read_hdf5_image_rows(std::string_view image, const std::string& name,
                                const std::string& dataset, uint64_t first_row, uint64_t rows,
                                value_sink& sink);

}  // namespace d1
