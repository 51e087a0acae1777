// OpenSSL EVP digests under DataONE's algorithm names, and the file hash used to verify
// downloaded objects (1 MiB reads: 16 KiB reads cost ~15 % of throughput, STACK.md).
#include "hashing/checksum.hpp"

#include "messages/error.hpp"

#include <openssl/evp.h>

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace d1 {

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

const EVP_MD* digest_of(const std::string& canonical) {
  if (canonical == "MD5")
    return EVP_md5();
  if (canonical == "SHA-1")
    return EVP_sha1();
  if (canonical == "SHA-256")
    return EVP_sha256();
  return nullptr;
}

// Closes the descriptor on every path out of hash_file_with_size.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

}  // namespace

caf::expected<std::string> normalize_algorithm(std::string_view dataone_name) {
  auto name = upper(dataone_name);
  if (name == "MD5")
    return std::string{"MD5"};
  if (name == "SHA-1" || name == "SHA1")
    return std::string{"SHA-1"};
  if (name == "SHA-256" || name == "SHA256")
    return std::string{"SHA-256"};
  return make_error(ec::invalid_argument,
                    "unknown checksum algorithm '" + std::string(dataone_name) + "'");
}

void streaming_hasher::ctx_deleter::operator()(evp_md_ctx_st* ctx) const {
  EVP_MD_CTX_free(ctx);
}

streaming_hasher::streaming_hasher(std::string algorithm,
                                   std::unique_ptr<evp_md_ctx_st, ctx_deleter> ctx)
  : algorithm_(std::move(algorithm)), ctx_(std::move(ctx)) {
}

streaming_hasher::streaming_hasher(streaming_hasher&&) noexcept = default;
streaming_hasher& streaming_hasher::operator=(streaming_hasher&&) noexcept = default;
streaming_hasher::~streaming_hasher() = default;

caf::expected<streaming_hasher> streaming_hasher::make(std::string_view algorithm) {
  auto canonical = normalize_algorithm(algorithm);
  if (!canonical)
    return std::move(canonical.error());
  std::unique_ptr<evp_md_ctx_st, ctx_deleter> ctx{EVP_MD_CTX_new()};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), digest_of(*canonical), nullptr) != 1)
    return make_error(ec::unspecified, "OpenSSL could not start a " + *canonical + " digest");
  return streaming_hasher{std::move(*canonical), std::move(ctx)};
}

void streaming_hasher::update(const void* data, size_t size) {
  if (size > 0)
    EVP_DigestUpdate(ctx_.get(), data, size);
}

std::string streaming_hasher::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  EVP_DigestInit_ex(ctx_.get(), digest_of(algorithm_), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 0x0f];
  }
  return out;
}

caf::expected<file_digest> hash_file_with_size(const std::string& path,
                                               std::string_view algorithm) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  fd_guard file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0)
    return make_error(ec::io_error, "cannot open " + path + ": " + std::strerror(errno));
  ::posix_fadvise(file.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<unsigned char> buf(1u << 20);
  file_digest out;
  for (;;) {
    auto n = ::read(file.fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return make_error(ec::io_error, "cannot read " + path + ": " + std::strerror(errno));
    }
    if (n == 0)
      break;
    hasher->update(buf.data(), static_cast<size_t>(n));
    out.size += static_cast<uint64_t>(n);
  }
  out.hex = hasher->hex_digest();
  return out;
}

caf::expected<std::string> hash_file(const std::string& path, std::string_view algorithm) {
  auto digest = hash_file_with_size(path, algorithm);
  if (!digest)
    return std::move(digest.error());
  return std::move(digest->hex);
}

}  // namespace d1
