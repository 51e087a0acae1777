// read_raw: a file's bytes as |u1 values of shape (size,), and the safe open's refusals.
#include "actors/mobile/datum_raw.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

namespace d1 {
namespace {

TEST(datum_raw, delivers_the_bytes_as_u1) {
  test::temp_dir dir;
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<char>(i * 31);
  test::write_file(dir / "f.bin", bytes);
  test::collecting_sink sink;
  ASSERT_FALSE(read_raw(dir.path, "f.bin", sink));
  EXPECT_EQ(sink.dtype, (datum_dtype{'u', 1}));
  EXPECT_EQ(sink.shape, (std::vector<uint64_t>{bytes.size()}));
  EXPECT_TRUE(sink.bytes == bytes);
}

TEST(datum_raw, a_fifo_is_refused_without_waiting) {
  test::temp_dir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  test::collecting_sink sink;
  auto err = read_raw(dir.path, "fifo", sink);
  ASSERT_TRUE(err);
  EXPECT_NE(context_of(err).find("FIFO"), std::string::npos) << describe(err);
  EXPECT_EQ(sink.begins, 0);
}

}  // namespace
}  // namespace d1
