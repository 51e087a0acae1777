// The files of `d1drive stage` on disk: an object's bytes land in a temporary beside their
// final name (created O_EXCL), hashed with the system-metadata algorithm as they arrive,
// and take the final name only once they match it, without replacing anything there. A
// file already under its final name is adopted when it hashes right.
#pragma once

#include "hashing/checksum.hpp"
#include "messages/http_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

/// The temporary name the bytes of `final_path` land under (hidden, in the same folder).
std::string stage_temp_path(const std::string& final_path);

/// Whether the file at `path` holds bytes whose `algorithm` digest is `hex` (any case):
/// true or false; ec::not_found if there is no such file, ec::io_error if it cannot be read.
caf::expected<bool> file_matches(const std::string& path, const std::string& algorithm,
                                 const std::string& hex);

/// Creates the folder `path` and its parents (existing ones are fine).
caf::error make_folders(const std::string& path);

/// Gives `temp` the name `final_path` if nothing has it (no replace); ec::exists otherwise.
caf::error publish_no_replace(const std::string& temp, const std::string& final_path);

/// Writes `bytes` to `path` through a temporary and a rename (a reader never sees part of
/// it); a file there with the same bytes is left alone.
caf::error write_whole(const std::string& path, const std::string& bytes);

/// The body of one transfer of a whole object into an open file: the answer's status and
/// length are checked against the object's size before any byte is written, and the bytes
/// are hashed as they are written.
class stage_sink final : public body_sink {
public:
  /// Writes into `fd` (owned by the caller) an object of `size` bytes hashed by `hasher`.
  stage_sink(int fd, uint64_t size, streaming_hasher hasher);

  decision headers_done(uint16_t status, const std::vector<http_header>& headers) override;
  bool write(const char* data, size_t size) override;
  bool cancelled() const override {
    return false;
  }
  void set_waker(std::function<void()>) override {
  }
  caf::error failure() const override {
    return failure_;
  }

  /// Bytes written so far.
  uint64_t written() const {
    return written_;
  }

  /// The digest of the bytes written (lowercase hex); call once, after the transfer.
  std::string digest();

private:
  int fd_;
  uint64_t size_;
  streaming_hasher hasher_;
  uint64_t written_ = 0;
  caf::error failure_;
};

}  // namespace d1
