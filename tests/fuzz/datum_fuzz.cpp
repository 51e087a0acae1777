// The datum-file fuzz targets' scratch files and contract-checking sink.
#include "tests/fuzz/datum_fuzz.hpp"

#include "actors/mobile/file_system.hpp"
#include "tests/storage/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

namespace d1::fuzz {

namespace {

// One directory for the whole run (created at the first input, removed at exit).
const std::string& scratch() {
  static test::temp_dir dir;
  return dir.path();
}

}  // namespace

worker_io& disk_io() {
  static auto fs = make_posix_file_system();
  static worker_io io{*fs};
  return io;
}

std::string scratch_file(const std::string& name, std::string_view bytes) {
  const auto& dir = scratch();
  std::ofstream out(dir + "/" + name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  check(bool(out), "cannot write the scratch file");
  return dir;
}

std::string written_by(const std::string& name, bool (*write)(const std::string& path)) {
  auto path = scratch() + "/" + name;
  if (!write(path))
    return {};
  auto bytes = read_file(path);
  std::error_code ec;
  std::filesystem::remove(path, ec);
  return bytes;
}

caf::error checking_sink::begin(const datum_dtype& dtype, const std::vector<uint64_t>& shape) {
  check(!begun_, "begin called twice");
  begun_ = true;
  check(dtype.size == 1 || dtype.size == 2 || dtype.size == 4 || dtype.size == 8,
        "an element size that is not 1, 2, 4 or 8");
  element_ = dtype.size;
  uint64_t n = 0;
  check(element_count(shape, n), "begin with a shape whose count overflows");
  check(n <= std::numeric_limits<uint64_t>::max() / element_, "a shape of too many bytes");
  expected_ = n * element_;
  return {};
}

void checking_sink::values(const void* data, size_t bytes) {
  check(begun_, "values before begin");
  check(bytes % element_ == 0, "a delivery that is not whole elements");
  check(delivered_ + bytes <= expected_, "more values than the shape holds");
  delivered_ += bytes;
  auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < bytes; ++i)
    sum_ = static_cast<uint8_t>(sum_ + p[i]);
}

void checking_sink::finish(bool ok) const {
  if (ok)
    check(begun_ && delivered_ == expected_, "a successful read that did not fill its shape");
}

}  // namespace d1::fuzz
