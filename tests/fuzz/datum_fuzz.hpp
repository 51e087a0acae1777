// What the datum-file fuzz targets share: the input written to a scratch file (the readers
// open files, as they do under a resource's root) and a sink that checks the readers'
// contract: begin once, then exactly the values the shape holds, in whole elements.
#pragma once

#include "actors/mobile/datum_source.hpp"
#include "actors/mobile/datum_value.hpp"
#include "tests/fuzz/fuzz_target.hpp"

#include <string>
#include <string_view>

namespace d1::fuzz {

/// A directory of this process (removed at exit) and `bytes` written in it as `name`.
/// Returns the directory: the file is <dir>/<name>.
std::string scratch_file(const std::string& name, std::string_view bytes);

/// The real disk as the datum readers reach it (a worker that is never interrupted).
worker_io& disk_io();

/// The whole content of a file written by `write(path)` into the scratch directory, or ""
/// if it could not be written (seeds made with the formats' own writers).
std::string written_by(const std::string& name, bool (*write)(const std::string& path));

/// Checks what a reader delivers (fuzz::check aborts on a broken contract).
class checking_sink : public value_sink {
public:
  caf::error begin(const datum_dtype& dtype, const std::vector<uint64_t>& shape) override;
  void values(const void* data, size_t bytes) override;

  /// After the reader returned `ok`: a successful read delivered the whole shape.
  void finish(bool ok) const;

private:
  bool begun_ = false;
  size_t element_ = 1;
  uint64_t expected_ = 0;  // bytes the shape holds
  uint64_t delivered_ = 0;
  uint8_t sum_ = 0;  // touches every byte (uninitialised memory shows under MSan/valgrind)
};

}  // namespace d1::fuzz
