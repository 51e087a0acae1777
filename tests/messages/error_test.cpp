// ec rendering and the single errno mapping.
#include "messages/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace d1 {
namespace {

TEST(error, carries_code_and_context) {
  auto err = make_error(ec::not_found, "no object 'x'");
  EXPECT_EQ(code_of(err), ec::not_found);
  EXPECT_EQ(context_of(err), "no object 'x'");
  EXPECT_EQ(describe(err), "not_found: no object 'x'");
}

TEST(error, maps_to_errno) {
  EXPECT_EQ(to_errno(make_error(ec::not_found)), ENOENT);
  EXPECT_EQ(to_errno(make_error(ec::read_only)), EROFS);
  EXPECT_EQ(to_errno(make_error(ec::checksum_mismatch)), EIO);
  EXPECT_EQ(to_errno(make_error(ec::timeout)), ETIMEDOUT);
  EXPECT_EQ(to_errno(caf::error{}), 0);
}

}  // namespace
}  // namespace d1
