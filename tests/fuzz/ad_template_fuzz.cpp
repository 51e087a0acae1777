// Fuzz target: the areaDetector file template and the spec kwargs of a resource
// registration (actors/mobile/spec_handlers.hpp), both typed by users. Input: a selector
// byte, then template, path, name and kwargs separated by NUL bytes.
#include "actors/mobile/spec_handlers.hpp"
#include "messages/path_codec.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <nlohmann/json.hpp>

#include <cstring>
#include <vector>

namespace {

std::vector<std::string_view> split_nul(std::string_view s, size_t parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < parts) {
    auto nul = s.find('\0');
    if (nul == std::string_view::npos)
      break;
    out.push_back(s.substr(0, nul));
    s.remove_prefix(nul + 1);
  }
  out.push_back(s);
  out.resize(parts);
  return out;
}

// True if `tmpl` holds a %n conversion (flags, width and precision allowed), "%%" being a
// literal percent sign.
bool has_n_conversion(const std::string& tmpl) {
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] != '%')
      continue;
    if (i + 1 < tmpl.size() && tmpl[i + 1] == '%') {
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < tmpl.size() && std::string_view{"-+ 0#.0123456789"}.find(tmpl[j]) != std::string_view::npos)
      ++j;
    if (j < tmpl.size() && tmpl[j] == 'n')
      return true;
  }
  return false;
}

// The listing of a resource costs memory and time in proportion to its frames (bounded by
// the handler at ten million); inputs asking for more than this many are not run, so that
// every run stays fast.
bool few_frames(std::string_view kwargs) {
  auto kw = nlohmann::json::parse(kwargs, nullptr, false);
  if (!kw.is_object())
    return true;
  double frames = 1;
  for (auto* key : {"frame_per_point", "num_points"})
    if (auto it = kw.find(key); it != kw.end() && it->is_number())
      frames *= it->get<double>();
  return frames <= 100'000;
}

}  // namespace

D1_FUZZ_TARGET(ad_template) {
  if (input.empty())
    return;
  auto selector = static_cast<unsigned char>(input[0]);
  auto parts = split_nul(input.substr(1), 4);
  int64_t number = 0;
  if (!parts[3].empty())
    std::memcpy(&number, parts[3].data(), std::min(parts[3].size(), sizeof number));
  std::string tmpl{parts[0]};
  auto name = d1::format_ad_template(tmpl, std::string{parts[1]}, std::string{parts[2]}, number);
  if (name) {
    // Only %s, %s, one integer and %% may reach snprintf: never %n.
    d1::fuzz::check(!has_n_conversion(tmpl), "a template with %n was accepted");
  }
  auto& specs = d1::known_specs();
  auto spec = specs[selector % specs.size()];
  if (!few_frames(parts[3]))
    return;
  auto listing = d1::list_spec_files(spec, std::string{parts[1]}, std::string{parts[3]});
  if (!listing)
    return;
  for (auto& rel : listing->rel_paths) {
    d1::fuzz::check(!rel.empty() && rel.front() != '/' && rel.find('\0') == std::string::npos,
                    "a spec listed an absolute or empty path");
    for (auto& segment : d1::split_path(rel))
      d1::fuzz::check(segment != "..", "a spec listed a path outside its root");
  }
}

// The templates and kwargs of the tests and the README.
D1_FUZZ_SEEDS(ad_template) {
  using namespace std::string_literals;
  return {"\x01%s%s_%6.6d.tiff\0scan42\0img\0"
          R"({"template": "%s%s_%6.6d.tiff", "filename": "img", "frame_per_point": 2, "num_points": 50})"s,
          "\x01%s/%s%05d.tif\0a/b\0x\0"
          R"({"template": "%s/%s%05d.tif", "filename": "x", "frame_per_point": 1, "num_points": 3, "first_frame": 7})"s,
          "\x04%s%s%d\0d1\0n\0"
          R"({"pid": "doi:10.5063/F1", "checksum": "0123456789abcdef0123456789abcdef", "checksum_algorithm": "MD5"})"s,
          "\x00%s%s%d\0raw/data.bin\0n\0{}"s};
}
