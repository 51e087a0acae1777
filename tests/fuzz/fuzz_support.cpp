// What the fuzz targets share: the registry the replay driver reads, the seeds' access to
// the fixtures (read in place). Linked into every fuzz executable.
#include "tests/fuzz/fuzz_target.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace d1::fuzz {

std::map<std::string, target_fn>& targets() {
  static std::map<std::string, target_fn> all;
  return all;
}

std::map<std::string, seeds_fn>& seed_makers() {
  static std::map<std::string, seeds_fn> all;
  return all;
}

std::vector<std::string> seeds_of(const std::string& target) {
  auto it = seed_makers().find(target);
  return it == seed_makers().end() ? std::vector<std::string>{} : it->second();
}

bool register_target(const char* name, target_fn fn) {
  targets()[name] = fn;
  return true;
}

bool register_seeds(const char* name, seeds_fn fn) {
  seed_makers()[name] = fn;
  return true;
}

std::string fixtures_dir() {
  std::error_code ec;
  if (auto env = std::getenv("D1_FIXTURES"); env && *env)
    return std::filesystem::is_directory(env, ec) ? env : "";
  std::string dir = D1_SOURCE_DIR "/../shared/fixtures/dataone";
  return std::filesystem::is_directory(dir, ec) ? dir : "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string first_elements(const std::string& doc, const std::string& element, size_t keep) {
  auto close = "</" + element + ">";
  size_t at = 0;
  for (size_t n = 0; n < keep; ++n) {
    at = doc.find(close, at);
    if (at == std::string::npos)
      return doc;
    at += close.size();
  }
  auto root_close = doc.rfind("</");
  if (root_close == std::string::npos || root_close < at)
    return doc;
  return doc.substr(0, at) + "\n" + doc.substr(root_close);
}

std::vector<std::string> fixture_and_cuts(const std::string& subdir, const std::string& part,
                                          const std::string& element) {
  auto out = fixture_files(subdir, part);
  for (size_t i = 0, n = out.size(); i < n; ++i)
    for (size_t keep : {1, 4})
      out.push_back(first_elements(out[i], element, keep));
  return out;
}

std::vector<std::string> fixture_files(const std::string& subdir, const std::string& part) {
  std::vector<std::string> out;
  auto dir = fixtures_dir();
  std::error_code ec;
  if (dir.empty() || !std::filesystem::is_directory(dir + "/" + subdir, ec))
    return out;
  std::vector<std::string> paths;
  for (auto& e : std::filesystem::directory_iterator(dir + "/" + subdir))
    if (e.is_regular_file() && e.path().filename().string().find(part) != std::string::npos)
      paths.push_back(e.path().string());
  std::sort(paths.begin(), paths.end());
  for (auto& p : paths)
    out.push_back(read_file(p));
  return out;
}

}  // namespace d1::fuzz
