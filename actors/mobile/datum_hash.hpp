// One datum's values read from one copy of its resource, hashed canonically and described
// (docs/datums.md): the work of a datum hash worker, as a blocking library call.
#pragma once

#include "actors/mobile/datum_files.hpp"
#include "actors/mobile/datum_value.hpp"
#include "messages/datum_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>

namespace d1 {

/// Delivers the values `selection` names, in root, to `sink`, with the reader of `spec`.
/// Returns the reader's error (naming the file and why).
caf::error read_datum(const std::string& spec, const std::string& root,
                      const datum_selection& selection, value_sink& sink);

/// Reads the datum of `req` and returns its canonical hash, dtype, shape and statistics
/// (reading wide-typed datums over datum_digest's keep limit twice, for the histogram).
/// Returns ec::invalid_argument for a bad request (spec, kwargs, algorithm), else the
/// reader's error.
caf::expected<datum_summary> summarize_datum(const datum_hash_request& req,
                                             const datum_selection& selection,
                                             const digest_options& options = {});

/// The worker's answer to `req`: state ok (hash, dtype, shape, stats, files), hash_mismatch
/// (the same, and a detail naming the datum, both hashes and the files), or error (a detail
/// naming the datum, the file and the reason). Never fails as a whole.
datum_hash_result hash_datum(const datum_hash_request& req, const digest_options& options = {});

}  // namespace d1
