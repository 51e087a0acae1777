// The datum hash worker's one call: select the datum's files, read its values once through
// datum_digest (twice for a wide datum too large to keep for the histogram), and answer
// with values only.
#include "actors/mobile/datum_hash.hpp"

#include "actors/mobile/datum_hdf5.hpp"
#include "actors/mobile/datum_npy.hpp"
#include "actors/mobile/datum_raw.hpp"
#include "actors/mobile/datum_tiff.hpp"
#include "messages/error.hpp"

namespace d1 {

caf::error read_datum(const std::string& spec, const std::string& root,
                      const datum_selection& selection, value_sink& sink) {
  if (selection.files.empty())
    return make_error(ec::invalid_argument, spec + ": the datum names no file");
  const auto& file = selection.files.front();
  if (spec == "AD_TIFF")
    return read_tiff_stack(root, selection.files, sink);
  if (spec == "AD_HDF5")
    return read_hdf5_rows(root, file, ad_hdf5_dataset, selection.first_row, selection.rows,
                          sink);
  if (spec == "NPY_FRAMEWISE" || spec == "NPY")
    return read_npy(root, file, selection.frame_no, sink);
  if (spec == "RAW")
    return read_raw(root, file, sink);
  return make_error(ec::invalid_argument, "spec '" + spec + "' has no datum reader");
}

caf::expected<datum_summary> summarize_datum(const datum_hash_request& req,
                                             const datum_selection& selection,
                                             const digest_options& options) {
  auto digest = datum_digest::make(req.algorithm, options);
  if (!digest)
    return std::move(digest.error());
  if (auto err = read_datum(req.spec, req.root, selection, *digest))
    return err;
  if (digest->needs_histogram_pass())
    if (auto err = read_datum(req.spec, req.root, selection, digest->histogram_pass()))
      return err;
  return digest->finish();
}

datum_hash_result hash_datum(const datum_hash_request& req, const digest_options& options) {
  datum_hash_result out;
  out.datum_id = req.datum_id;
  const auto who = "datum " + req.datum_id
                   + (req.resource_uid.empty() ? std::string{}
                                               : " of resource " + req.resource_uid);
  auto fail = [&](const caf::error& err) {
    out.state = datum_state::error;
    out.detail = who + ": " + context_of(err);
    return out;
  };
  auto selection = select_datum(req.spec, req.resource_path, req.resource_kwargs,
                                req.datum_kwargs);
  if (!selection)
    return fail(selection.error());
  out.files = selection->files;
  auto summary = summarize_datum(req, *selection, options);
  if (!summary)
    return fail(summary.error());
  out.algorithm = summary->algorithm;
  out.hash = std::move(summary->hash);
  out.dtype = summary->dtype.str();
  out.shape = std::move(summary->shape);
  out.stats = std::move(summary->stats);
  out.state = datum_state::ok;
  if (!req.expected_hash.empty() && req.expected_hash != out.hash) {
    out.state = datum_state::hash_mismatch;
    std::string files;
    for (auto& f : out.files)
      files += (files.empty() ? "" : ", ") + f;
    out.detail = who + ": values hash " + out.algorithm + " " + out.hash
                 + ", recorded " + req.expected_hash + " (under " + req.root + ": " + files
                 + ")";
  }
  return out;
}

}  // namespace d1
