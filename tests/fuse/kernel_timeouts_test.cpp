// Mount options that set the per-class timeouts are taken out before libfuse sees them.
#include "fuse/kernel_timeouts.hpp"

#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace {

TEST(fuse_kernel_timeouts, defaults_follow_the_cache_class) {
  d1::kernel_timeouts t;
  EXPECT_GE(t.entry.of(d1::cache_class::immutable), 3600);
  EXPECT_EQ(t.attr.of(d1::cache_class::metadata), 60);
  EXPECT_GE(t.attr.of(d1::cache_class::search), 5);
  EXPECT_LE(t.attr.of(d1::cache_class::search), 30);
  EXPECT_EQ(t.attr.of(d1::cache_class::error), 5);
  EXPECT_EQ(t.attr.of(d1::cache_class::transient), 1);
  EXPECT_EQ(t.attr.of(d1::cache_class::live), 0);
  EXPECT_EQ(t.table.of(d1::cache_class::live), 0);
  EXPECT_EQ(t.negative, 0);
}

// The mount and [cache.kernel_ttl] start from the same seconds.
TEST(fuse_kernel_timeouts, defaults_are_the_configuration_defaults) {
  d1::kernel_timeouts t;
  d1::daemon_config cfg;
  for (auto c : {d1::cache_class::immutable, d1::cache_class::metadata,
                 d1::cache_class::search, d1::cache_class::error, d1::cache_class::transient,
                 d1::cache_class::live})
    for (auto* cs : {&t.entry, &t.attr, &t.table})
      EXPECT_EQ(cs->of(c), cfg.kernel_ttl.of(c)) << static_cast<int>(c);
}

TEST(fuse_kernel_timeouts, takes_timeout_options_and_keeps_the_rest) {
  d1::kernel_timeouts t;
  auto rest = d1::take_timeout_options({"allow_other,attr_timeout=0", "entry_timeout=2.5,,debug",
                                        "negative_timeout=7"},
                                       t);
  ASSERT_TRUE(rest) << d1::describe(rest.error());
  EXPECT_EQ(*rest, "allow_other,debug");
  EXPECT_EQ(t.attr.of(d1::cache_class::immutable), 0);
  EXPECT_EQ(t.attr.of(d1::cache_class::search), 0);
  EXPECT_EQ(t.entry.of(d1::cache_class::live), 2.5);
  EXPECT_EQ(t.negative, 7);
  EXPECT_EQ(t.table.of(d1::cache_class::immutable), 3600);  // only the kernel's caches change
}

TEST(fuse_kernel_timeouts, rejects_bad_numbers) {
  for (const char* bad : {"attr_timeout=", "attr_timeout=x", "entry_timeout=-1",
                          "negative_timeout=1s", "attr_timeout=inf"}) {
    d1::kernel_timeouts t;
    auto rest = d1::take_timeout_options({bad}, t);
    ASSERT_FALSE(rest) << bad;
    EXPECT_EQ(d1::code_of(rest.error()), d1::ec::invalid_argument);
  }
  d1::kernel_timeouts t;
  auto empty = d1::take_timeout_options({}, t);
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, "");
}

}  // namespace
