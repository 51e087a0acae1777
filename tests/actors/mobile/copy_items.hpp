// Test helper for copy batches: a source file written and described as a copy_item.
#pragma once

#include "actors/dataone/checksum.hpp"
#include "messages/mobile_types.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <string>

namespace d1::test {

/// Writes `bytes` as root/rel and returns its copy_item with the true SHA-256.
inline copy_item write_item(const std::string& root, const std::string& rel,
                            const std::string& bytes) {
  write_file(root + "/" + rel, bytes);
  auto digest = hash_file(root + "/" + rel, "SHA-256");
  EXPECT_TRUE(digest);
  return copy_item{rel, digest ? *digest : std::string{}, bytes.size()};
}

}  // namespace d1::test
