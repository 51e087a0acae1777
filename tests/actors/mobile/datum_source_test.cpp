// datum_file::open: regular files only, no symlink followed (leaf or directory on the
// way), and a FIFO refused at once instead of blocking the worker.
#include "actors/mobile/datum_source.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace d1 {
namespace {

TEST(datum_source, opens_a_regular_file_beneath_the_root) {
  test::temp_dir dir;
  test::write_file(dir / "a/b/f.bin", "0123456789");
  auto f = datum_file::open(dir.path, "a//b/./f.bin");
  ASSERT_TRUE(f) << describe(f.error());
  EXPECT_EQ(f->size(), 10u);
  EXPECT_EQ(f->path(), dir / "a/b/f.bin");
  char buf[4];
  EXPECT_FALSE(f->read_at(buf, 4, 6));
  EXPECT_EQ(std::string(buf, 4), "6789");
  auto short_read = f->read_at(buf, 4, 8);
  ASSERT_TRUE(short_read);
  EXPECT_EQ(code_of(short_read), ec::parse_error);
  EXPECT_NE(context_of(short_read).find("truncated"), std::string::npos);
}

TEST(datum_source, refuses_symlinks_fifos_directories_and_escapes) {
  test::temp_dir dir;
  test::write_file(dir / "real/f.bin", "x");
  ASSERT_EQ(::symlink((dir / "real/f.bin").c_str(), (dir / "link.bin").c_str()), 0);
  ASSERT_EQ(::symlink((dir / "real").c_str(), (dir / "linkdir").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  auto expect_refused = [&](const std::string& rel, ec code, const std::string& words) {
    auto f = datum_file::open(dir.path, rel);
    ASSERT_FALSE(f) << rel;
    EXPECT_EQ(code_of(f.error()), code) << rel << ": " << describe(f.error());
    EXPECT_NE(context_of(f.error()).find(words), std::string::npos)
      << rel << ": " << describe(f.error());
  };
  expect_refused("link.bin", ec::io_error, "symlink");
  expect_refused("linkdir/f.bin", ec::io_error, "symlink");
  // Without O_NONBLOCK this open would wait for a writer forever.
  expect_refused("fifo", ec::io_error, "FIFO");
  expect_refused("real", ec::io_error, "directory");
  expect_refused("missing.bin", ec::not_found, "no such file");
  expect_refused("../etc/passwd", ec::invalid_path, "");
  expect_refused("/etc/passwd", ec::invalid_path, "");
}

}  // namespace
}  // namespace d1
