// Datum values of an AD_TIFF resource: one TIFF image per frame, read with libtiff (any
// compression this libtiff decodes: none, LZW, Deflate, PackBits, …; strips or tiles;
// either byte order) and stacked frame after frame.
#pragma once

#include "actors/mobile/datum_value.hpp"

#include <caf/error.hpp>

#include <string>
#include <vector>

namespace d1 {

/// Delivers the images of root/rels[0], root/rels[1], … to `sink`, stacked in that order:
/// shape (n, height, width), or (n, height, width, samples) for more than one sample per
/// pixel. Each file holds exactly one image; every image has the first one's size and
/// element type. Streams strip by strip (a row of tiles for tiled images): never a whole
/// frame more than the file's own strips hold. Returns, naming the file: the errors of
/// datum_file::open; ec::parse_error for a file libtiff cannot read (not a TIFF, corrupt or
/// truncated data, a second image in the file); ec::invalid_argument for an unsupported
/// element type, compression, planar layout, or an image whose size or type differs from
/// the first.
caf::error read_tiff_stack(const std::string& root, const std::vector<std::string>& rels,
                           value_sink& sink);

}  // namespace d1
