// Test helpers for the workers' batch functions: the real disk as a worker_io, random
// bytes, and a source file written and described as a copy_item.
#pragma once

#include "hashing/checksum.hpp"
#include "actors/mobile/beneath.hpp"
#include "messages/mobile_types.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace d1::test {

/// The real disk, read with O_DIRECT for large files (`direct`) or through the page cache.
inline worker_io io(bool direct = true) {
  static auto real = make_posix_file_system();
  worker_io out{*real};
  out.direct_reads = direct;
  return out;
}

/// `n` pseudo-random bytes (the same for the same seed).
inline std::string random_bytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out)
    c = static_cast<char>(gen() & 0xff);
  return out;
}

/// Writes `bytes` as root/rel and returns its copy_item with the true SHA-256.
inline copy_item write_item(const std::string& root, const std::string& rel,
                            const std::string& bytes) {
  write_file(root + "/" + rel, bytes);
  auto digest = hash_file(root + "/" + rel, "SHA-256");
  EXPECT_TRUE(digest);
  return copy_item{rel, digest ? *digest : std::string{}, bytes.size()};
}

}  // namespace d1::test
