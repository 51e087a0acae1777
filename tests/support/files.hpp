// Reading a test's input files (the real DataONE fixtures in ../shared/fixtures/dataone,
// files an actor wrote) in place, and writing the files a test starts from.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace d1::test {

/// The whole file as bytes; "" and a test failure when it cannot be opened.
inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Writes `bytes` as the file `path`, making its parent directories.
inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  EXPECT_TRUE(out.flush()) << "cannot write " << path;
}

/// How many temporary copies (".d1part" files) are left beneath `dir`.
inline int count_temp_files(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.path().filename().string().find(".d1part") != std::string::npos)
      ++n;
  return n;
}

}  // namespace d1::test
