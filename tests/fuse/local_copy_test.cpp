// Opening a tracked file's local copy: the first one still as verified (size, mtime,
// regular file) wins, the others are passed over; the caller's ids decide like the disk's
// permission bits would; reads get the descriptor at once.
#include "fuse/local_copy.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace d1::test {
namespace {

local_copy write_copy(const std::string& path, const std::string& bytes, mode_t mode = 0644) {
  std::ofstream{path, std::ios::binary} << bytes;
  ::chmod(path.c_str(), mode);
  struct stat st {};
  ::stat(path.c_str(), &st);
  return local_copy{path, static_cast<uint64_t>(st.st_size),
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

std::string read_all(const object_bytes_ptr& bytes) {
  std::string out;
  bytes->read(0, bytes->size(), [&](caf::expected<int> fd) {
    ASSERT_TRUE(fd);
    out.resize(bytes->size());
    ASSERT_EQ(::pread(*fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
  });
  return out;
}

TEST(local_copy_test, the_first_copy_still_as_verified_is_read) {
  temp_dir dir;
  auto a = write_copy(dir.path() + "/a", "first copy");
  auto b = write_copy(dir.path() + "/b", "other copy");
  auto opened = open_local_copy("/Resources/u/f", {a, b}, reader_identity{});
  ASSERT_TRUE(opened) << describe(opened.error());
  EXPECT_EQ(read_all(*opened), "first copy");
  EXPECT_TRUE((*opened)->verified());
}

TEST(local_copy_test, vanished_changed_and_replaced_copies_are_passed_over) {
  temp_dir dir;
  auto gone = write_copy(dir.path() + "/gone", "xxxxxxxxxx");
  ::unlink(gone.path.c_str());
  auto grown = write_copy(dir.path() + "/grown", "0123456789");
  std::ofstream{grown.path, std::ios::app} << "more";
  auto touched = write_copy(dir.path() + "/touched", "0123456789");
  touched.mtime_ns -= 1;  // same size, another mtime: changed since it was verified
  auto fifo = local_copy{dir.path() + "/fifo", 10, 0};
  ASSERT_EQ(::mkfifo(fifo.path.c_str(), 0644), 0);
  auto link = local_copy{dir.path() + "/link", 10, 0};
  auto good = write_copy(dir.path() + "/good", "the copy ok");
  ASSERT_EQ(::symlink(good.path.c_str(), link.path.c_str()), 0);
  auto opened = open_local_copy("/Resources/u/f", {gone, grown, touched, fifo, link, good},
                                reader_identity{});
  ASSERT_TRUE(opened) << describe(opened.error());
  EXPECT_EQ(read_all(*opened), "the copy ok");
  auto none = open_local_copy("/Resources/u/f", {gone, grown, fifo}, reader_identity{});
  ASSERT_FALSE(none);
  EXPECT_EQ(code_of(none.error()), ec::io_error);
  auto what = describe(none.error());
  EXPECT_NE(what.find(grown.path + ": size 14, verified with 10"), std::string::npos) << what;
  EXPECT_NE(what.find(fifo.path + ": not a regular file"), std::string::npos) << what;
  EXPECT_NE(what.find(gone.path), std::string::npos) << what;
  EXPECT_EQ(code_of(open_local_copy("/x", {}, reader_identity{}).error()), ec::not_found);
}

TEST(local_copy_test, the_callers_ids_decide_as_the_permission_bits_would) {
  reader_identity root{0, 0, {}};
  reader_identity owner{1000, 1000, {}};
  reader_identity member{2000, 2000, {50}};
  reader_identity other{3000, 3000, {60}};
  EXPECT_TRUE(may_read(0600, 1000, 50, root));
  EXPECT_TRUE(may_read(0600, 1000, 50, owner));
  EXPECT_FALSE(may_read(0600, 1000, 50, member));
  EXPECT_TRUE(may_read(0640, 1000, 50, member));
  EXPECT_FALSE(may_read(0640, 1000, 50, other));
  EXPECT_TRUE(may_read(0644, 1000, 50, other));
  EXPECT_FALSE(may_read(0044, 1000, 50, owner));  // the owner's own bits decide for it

  temp_dir dir;
  auto secret = write_copy(dir.path() + "/secret", "root only", 0600);  // owned by us: root
  auto refused = open_local_copy("/Resources/u/secret", {secret}, other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), ec::refused);
  EXPECT_TRUE(open_local_copy("/Resources/u/secret", {secret}, root));
}

}  // namespace
}  // namespace d1::test
