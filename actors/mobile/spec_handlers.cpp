// Spec handlers as pure functions of (spec, path, kwargs). The AD_TIFF template is parsed
// here and each conversion formatted on its own, so a user-supplied format string never
// reaches printf whole (%n and friends are refused).
#include "actors/mobile/spec_handlers.hpp"

#include "hashing/checksum.hpp"
#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace d1 {

namespace {

// AD_TIFF resources larger than this are surely a mistake in kwargs.
constexpr int64_t max_frames = 10'000'000;

caf::error bad(const std::string& spec, const std::string& what) {
  return make_error(ec::invalid_argument, spec + ": " + what);
}

caf::expected<int64_t> get_int(const nlohmann::json& kw, const std::string& spec,
                               const char* key, bool required, int64_t fallback,
                               int64_t min) {
  auto it = kw.find(key);
  if (it == kw.end()) {
    if (required)
      return bad(spec, std::string{"kwargs lacks '"} + key + "'");
    return fallback;
  }
  if (!it->is_number_integer())
    return bad(spec, std::string{"kwargs '"} + key + "' must be an integer");
  auto v = it->get<int64_t>();
  if (v < min)
    return bad(spec, std::string{"kwargs '"} + key + "' must be at least "
                       + std::to_string(min));
  return v;
}

caf::expected<std::string> get_string(const nlohmann::json& kw, const std::string& spec,
                                      const char* key) {
  auto it = kw.find(key);
  if (it == kw.end())
    return bad(spec, std::string{"kwargs lacks '"} + key + "'");
  if (!it->is_string())
    return bad(spec, std::string{"kwargs '"} + key + "' must be a string");
  return it->get<std::string>();
}

}  // namespace

const std::vector<std::string>& known_specs() {
  static const std::vector<std::string> specs{"RAW", "AD_TIFF", "AD_HDF5", "NPY_FRAMEWISE",
                                              "DATAONE"};
  return specs;
}

caf::expected<std::string> format_ad_template(const std::string& tmpl,
                                              const std::string& file_path,
                                              const std::string& file_name, int64_t number) {
  std::string out;
  int conversion = 0;  // 0, 1: the two %s; 2: the number
  for (size_t i = 0; i < tmpl.size(); ++i) {
    char c = tmpl[i];
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '%') {
      out += '%';
      ++i;
      continue;
    }
    // %[flags][width][.precision]conversion
    size_t j = i + 1;
    std::string spec = "%";
    while (j < tmpl.size() && std::string_view{"-+ 0#"}.find(tmpl[j]) != std::string::npos)
      spec += tmpl[j++];
    size_t digits = 0;
    while (j < tmpl.size() && std::isdigit(static_cast<unsigned char>(tmpl[j])) && digits < 3)
      spec += tmpl[j++], ++digits;
    if (j < tmpl.size() && tmpl[j] == '.') {
      spec += tmpl[j++];
      digits = 0;
      while (j < tmpl.size() && std::isdigit(static_cast<unsigned char>(tmpl[j]))
             && digits < 3)
        spec += tmpl[j++], ++digits;
    }
    if (j >= tmpl.size())
      return make_error(ec::invalid_argument, "template '" + tmpl + "' ends inside a conversion");
    char conv = tmpl[j];
    char buf[512];
    if (conversion < 2) {
      if (conv != 's')
        return make_error(ec::invalid_argument,
                          "template '" + tmpl + "': conversion "
                            + std::to_string(conversion + 1)
                            + " must be %s (file path, then file name)");
      spec += 's';
      const auto& arg = conversion == 0 ? file_path : file_name;
      auto n = std::snprintf(buf, sizeof buf, spec.c_str(), arg.c_str());
      if (n < 0 || static_cast<size_t>(n) >= sizeof buf)
        return make_error(ec::invalid_argument, "template '" + tmpl + "' gives a name too long");
      out += buf;
    } else if (conversion == 2) {
      if (conv != 'd' && conv != 'i')
        return make_error(ec::invalid_argument,
                          "template '" + tmpl + "': conversion 3 must be an integer (%d)");
      spec += "lld";
      auto n = std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<long long>(number));
      if (n < 0 || static_cast<size_t>(n) >= sizeof buf)
        return make_error(ec::invalid_argument, "template '" + tmpl + "' gives a name too long");
      out += buf;
    } else {
      return make_error(ec::invalid_argument,
                        "template '" + tmpl + "' has more than three conversions");
    }
    ++conversion;
    i = j;
  }
  if (conversion != 3)
    return make_error(ec::invalid_argument,
                      "template '" + tmpl
                        + "' must have three conversions: %s (path), %s (name), %d (number)");
  return out;
}

namespace {

// DATAONE: one file, with the checksum its kwargs give (pid, checksum, checksum_algorithm).
caf::expected<spec_listing> list_dataone(const std::string& spec, const nlohmann::json& kw,
                                         const std::string& rel) {
  spec_listing out;
  auto pid = get_string(kw, spec, "pid");
  if (!pid)
    return std::move(pid.error());
  auto sum = get_string(kw, spec, "checksum");
  if (!sum)
    return std::move(sum.error());
  auto alg = get_string(kw, spec, "checksum_algorithm");
  if (!alg)
    return std::move(alg.error());
  auto canonical = normalize_algorithm(*alg);
  if (!canonical)
    return bad(spec, context_of(canonical.error()));
  std::string hex = *sum;
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t want = *canonical == "MD5" ? 32 : *canonical == "SHA-1" ? 40 : 64;
  if (hex.size() != want
      || !std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c); }))
    return bad(spec, "checksum is not a " + *canonical + " hex digest");
  out.rel_paths.push_back(rel);
  out.algorithm = *canonical;
  out.expected_digest = hex;
  return out;
}

// AD_TIFF: the frames its template names from the kwargs' filename, frame_per_point,
// num_points and first_frame, beneath `rel`.
caf::expected<spec_listing> list_ad_tiff(const std::string& spec, const nlohmann::json& kw,
                                         const std::string& rel) {
  spec_listing out;
  auto tmpl = get_string(kw, spec, "template");
  if (!tmpl)
    return std::move(tmpl.error());
  auto name = get_string(kw, spec, "filename");
  if (!name)
    return std::move(name.error());
  auto fpp = get_int(kw, spec, "frame_per_point", true, 1, 1);
  if (!fpp)
    return std::move(fpp.error());
  auto points = get_int(kw, spec, "num_points", true, 1, 1);
  if (!points)
    return std::move(points.error());
  auto first = get_int(kw, spec, "first_frame", false, 0, 0);
  if (!first)
    return std::move(first.error());
  if (*fpp > max_frames || *points > max_frames || *fpp * *points > max_frames)
    return bad(spec, "more than " + std::to_string(max_frames) + " frames");
  auto frames = *fpp * *points;
  // areaDetector's file numbers are C ints; this also keeps first + frames from overflowing.
  if (*first > INT32_MAX - frames)
    return bad(spec, "kwargs 'first_frame' plus the frames exceeds 2147483647");
  for (int64_t n = *first; n < *first + frames; ++n) {
    auto file = format_ad_template(*tmpl, rel + "/", *name, n);
    if (!file)
      return bad(spec, context_of(file.error()));
    auto norm = normalize_rel_path(*file);
    if (!norm)
      return bad(spec, "template gives '" + *file + "': " + context_of(norm.error()));
    out.rel_paths.push_back(std::move(*norm));
  }
  auto sorted = out.rel_paths;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
    return bad(spec, "template gives the same name to two frames (no frame number in it?)");
  return out;
}

}  // namespace

caf::expected<spec_listing> list_spec_files(const std::string& spec, const std::string& path,
                                            const std::string& kwargs_json) {
  if (std::find(known_specs().begin(), known_specs().end(), spec) == known_specs().end())
    return make_error(ec::invalid_argument,
                      "unknown spec '" + spec
                        + "' (known: RAW, AD_TIFF, AD_HDF5, NPY_FRAMEWISE, DATAONE)");
  nlohmann::json kw = nlohmann::json::object();
  if (!kwargs_json.empty()) {
    try {
      kw = nlohmann::json::parse(kwargs_json);
    } catch (const std::exception& e) {
      return bad(spec, std::string{"kwargs are not JSON: "} + e.what());
    }
    if (!kw.is_object())
      return bad(spec, "kwargs must be a JSON object");
  }
  auto rel = normalize_rel_path(path);
  if (!rel)
    return make_error(ec::invalid_argument, spec + ": " + context_of(rel.error()));
  spec_listing out;
  if (spec == "RAW" || spec == "AD_HDF5" || spec == "NPY_FRAMEWISE") {
    out.rel_paths.push_back(*rel);
    return out;
  }
  if (spec == "DATAONE")
    return list_dataone(spec, kw, *rel);
  return list_ad_tiff(spec, kw, *rel);
}

}  // namespace d1
