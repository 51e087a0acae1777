// Checksums as DataONE names them (MD5, SHA-1, SHA-256), computed with OpenSSL EVP:
// a streaming hasher for bytes as they pass, and a whole-file hash for verification.
#pragma once

#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace d1 {

/// Returns the canonical DataONE spelling ("MD5", "SHA-1", "SHA-256") of `dataone_name`,
/// which may be any of MD5, SHA-1, SHA1, SHA-256, SHA256 in any case;
/// ec::invalid_argument for any other algorithm.
caf::expected<std::string> normalize_algorithm(std::string_view dataone_name);

/// An incremental digest over bytes fed in pieces. Movable, not copyable.
class streaming_hasher {
public:
  /// Returns a hasher for `algorithm` (any spelling normalize_algorithm accepts);
  /// ec::invalid_argument for an unknown algorithm.
  static caf::expected<streaming_hasher> make(std::string_view algorithm);

  streaming_hasher(streaming_hasher&&) noexcept;
  streaming_hasher& operator=(streaming_hasher&&) noexcept;
  ~streaming_hasher();

  /// Adds `size` bytes at `data` to the digest.
  void update(const void* data, size_t size);

  /// Returns the lowercase hex digest of everything added so far, and starts over:
  /// the next update begins a new digest.
  std::string hex_digest();

  /// The canonical DataONE name of the algorithm.
  const std::string& algorithm() const {
    return algorithm_;
  }

private:
  struct ctx_deleter {
    void operator()(evp_md_ctx_st* ctx) const;
  };

  streaming_hasher(std::string algorithm, std::unique_ptr<evp_md_ctx_st, ctx_deleter> ctx);

  std::string algorithm_;
  std::unique_ptr<evp_md_ctx_st, ctx_deleter> ctx_;
};

/// Returns the lowercase hex digest of the file at `path` (read in 1 MiB pieces);
/// ec::invalid_argument for an unknown algorithm, ec::io_error (with strerror) if the
/// file cannot be opened or read.
caf::expected<std::string> hash_file(const std::string& path, std::string_view algorithm);

/// A digest and the number of bytes it covers.
struct file_digest {
  std::string hex;
  uint64_t size = 0;
};

/// Like hash_file, and also returns how many bytes were read.
caf::expected<file_digest> hash_file_with_size(const std::string& path,
                                               std::string_view algorithm);

}  // namespace d1
