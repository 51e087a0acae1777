// Datum selections as pure functions. An AD_TIFF datum's files are the spec handler's
// listing of a one-point resource starting at the datum's first frame, so the template
// rules (and their refusals) live in one place: spec_handlers.cpp.
#include "actors/mobile/datum_files.hpp"

#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace d1 {

namespace {

caf::error bad(const std::string& spec, const std::string& what) {
  return make_error(ec::invalid_argument, spec + ": " + what);
}

caf::expected<nlohmann::json> parse_object(const std::string& spec, const std::string& text,
                                           const char* what) {
  if (text.empty())
    return nlohmann::json::object();
  nlohmann::json out;
  try {
    out = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return bad(spec, std::string{what} + " are not JSON: " + e.what());
  }
  if (!out.is_object())
    return bad(spec, std::string{what} + " must be a JSON object");
  return out;
}

// An integer kwarg >= `min`; `fallback` when absent and not required.
caf::expected<uint64_t> int_kwarg(const nlohmann::json& kw, const std::string& spec,
                                  const char* what, const char* key, bool required,
                                  uint64_t fallback, int64_t min) {
  auto it = kw.find(key);
  if (it == kw.end()) {
    if (required)
      return bad(spec, std::string{what} + " lack '" + key + "'");
    return fallback;
  }
  if (!it->is_number_integer())
    return bad(spec, std::string{what} + " '" + key + "' must be an integer");
  auto v = it->get<int64_t>();
  if (v < min)
    return bad(spec, std::string{what} + " '" + key + "' must be at least "
                       + std::to_string(min));
  return static_cast<uint64_t>(v);
}

// Datum kwargs may hold only `allowed` keys (the filestore passes them to its handler as
// keyword arguments, where any other key is an error too).
caf::error only_keys(const nlohmann::json& kw, const std::string& spec,
                     std::initializer_list<const char*> allowed) {
  for (auto& item : kw.items()) {
    const auto& key = item.key();  // a lambda may not capture a structured binding (C++17)
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string names;
      for (auto a : allowed)
        names += names.empty() ? std::string{a} : std::string{", "} + a;
      return bad(spec, "datum kwargs: unknown key '" + key + "' (takes: "
                         + (names.empty() ? std::string{"none"} : names) + ")");
    }
  }
  return caf::none;
}

// The first frame of point p: first_frame + p * frame_per_point, checked for overflow.
caf::expected<uint64_t> first_frame_of(const std::string& spec, uint64_t point, uint64_t fpp,
                                       uint64_t first_frame) {
  uint64_t out = 0;
  if (__builtin_mul_overflow(point, fpp, &out) || __builtin_add_overflow(out, first_frame, &out)
      || out > static_cast<uint64_t>(INT64_MAX))
    return bad(spec, "point_number " + std::to_string(point) + " is out of range");
  return out;
}

// The files of AD_TIFF point `point`: the spec handler's listing of one point from its
// first frame.
caf::expected<std::vector<std::string>> ad_tiff_point_files(const std::string& path,
                                                            const nlohmann::json& kw,
                                                            uint64_t point) {
  const std::string spec = "AD_TIFF";
  auto fpp = int_kwarg(kw, spec, "kwargs", "frame_per_point", true, 1, 1);
  if (!fpp)
    return std::move(fpp.error());
  auto first = int_kwarg(kw, spec, "kwargs", "first_frame", false, 0, 0);
  if (!first)
    return std::move(first.error());
  auto start = first_frame_of(spec, point, *fpp, *first);
  if (!start)
    return std::move(start.error());
  auto one = kw;
  one["num_points"] = 1;
  one["first_frame"] = *start;
  auto listing = list_spec_files(spec, path, one.dump());
  if (!listing)
    return std::move(listing.error());
  return std::move(listing->rel_paths);
}

}  // namespace

const std::vector<std::string>& datum_specs() {
  static const std::vector<std::string> specs{"AD_TIFF", "AD_HDF5", "NPY_FRAMEWISE", "NPY",
                                              "RAW"};
  return specs;
}

caf::expected<datum_selection> select_datum(const std::string& spec, const std::string& path,
                                            const std::string& resource_kwargs,
                                            const std::string& datum_kwargs) {
  if (std::find(datum_specs().begin(), datum_specs().end(), spec) == datum_specs().end())
    return make_error(ec::invalid_argument,
                      "spec '" + spec
                        + "' has no datum values (datums: AD_TIFF, AD_HDF5, NPY_FRAMEWISE, "
                          "NPY, RAW)");
  auto kw = parse_object(spec, resource_kwargs, "kwargs");
  if (!kw)
    return std::move(kw.error());
  auto dkw = parse_object(spec, datum_kwargs, "datum kwargs");
  if (!dkw)
    return std::move(dkw.error());
  auto rel = normalize_rel_path(path);
  if (!rel)
    return bad(spec, context_of(rel.error()));
  datum_selection out;
  if (spec == "NPY" || spec == "RAW") {
    if (auto err = only_keys(*dkw, spec, {}))
      return err;
    out.files.push_back(*rel);
    return out;
  }
  if (spec == "NPY_FRAMEWISE") {
    if (auto err = only_keys(*dkw, spec, {"frame_no"}))
      return err;
    auto frame = int_kwarg(*dkw, spec, "datum kwargs", "frame_no", true, 0, 0);
    if (!frame)
      return std::move(frame.error());
    out.files.push_back(*rel);
    out.frame_no = *frame;
    return out;
  }
  // AD_TIFF, AD_HDF5: one point of frame_per_point frames.
  if (auto err = only_keys(*dkw, spec, {"point_number"}))
    return err;
  auto point = int_kwarg(*dkw, spec, "datum kwargs", "point_number", true, 0, 0);
  if (!point)
    return std::move(point.error());
  auto points = int_kwarg(*kw, spec, "kwargs", "num_points", false, 0, 1);
  if (!points)
    return std::move(points.error());
  if (kw->contains("num_points") && *point >= *points)
    return bad(spec, "point_number " + std::to_string(*point) + " is past num_points "
                       + std::to_string(*points));
  if (spec == "AD_TIFF") {
    auto files = ad_tiff_point_files(path, *kw, *point);
    if (!files)
      return std::move(files.error());
    out.files = std::move(*files);
    return out;
  }
  auto fpp = int_kwarg(*kw, spec, "kwargs", "frame_per_point", true, 1, 1);
  if (!fpp)
    return std::move(fpp.error());
  auto first = first_frame_of(spec, *point, *fpp, 0);
  if (!first)
    return std::move(first.error());
  out.files.push_back(*rel);
  out.first_row = *first;
  out.rows = *fpp;
  return out;
}

bool files_from_datums(const std::string& spec, const std::string& kwargs) {
  if (spec != "AD_TIFF")
    return false;
  auto kw = parse_object(spec, kwargs, "kwargs");
  return kw && !kw->contains("num_points");
}

caf::expected<spec_listing> list_resource_files(const std::string& spec,
                                                const std::string& path,
                                                const std::string& kwargs,
                                                const std::vector<std::string>& datum_kwargs) {
  if (spec == "NPY") {
    // Checked like any datum's resource; NPY datums take no kwargs, so {} stands in.
    auto one = select_datum(spec, path, kwargs, "");
    if (!one)
      return std::move(one.error());
    spec_listing out;
    out.rel_paths = std::move(one->files);
    return out;
  }
  if (spec != "AD_TIFF")
    return list_spec_files(spec, path, kwargs);
  if (!files_from_datums(spec, kwargs))
    return list_spec_files(spec, path, kwargs);
  auto kw = parse_object(spec, kwargs, "kwargs");
  if (!kw)
    return std::move(kw.error());
  // The kwargs are checked even when no datum is there yet: point 0's listing.
  if (auto probe = ad_tiff_point_files(path, *kw, 0); !probe)
    return std::move(probe.error());
  std::set<uint64_t> points;
  for (auto& text : datum_kwargs) {
    auto dkw = parse_object(spec, text, "datum kwargs");
    if (!dkw)
      return std::move(dkw.error());
    if (auto err = only_keys(*dkw, spec, {"point_number"}))
      return err;
    auto point = int_kwarg(*dkw, spec, "datum kwargs", "point_number", true, 0, 0);
    if (!point)
      return std::move(point.error());
    points.insert(*point);
  }
  spec_listing out;
  std::set<std::string> seen;
  for (auto p : points) {
    auto files = ad_tiff_point_files(path, *kw, p);
    if (!files)
      return std::move(files.error());
    for (auto& f : *files)
      if (seen.insert(f).second)
        out.rel_paths.push_back(std::move(f));
  }
  return out;
}

}  // namespace d1
