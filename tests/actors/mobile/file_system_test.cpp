// The real file_system on real files: opens never block on a FIFO, temporaries are
// exclusive and private, identities tell one file from another, and the fault-injecting
// one hits exactly the calls it is told to.
#include "actors/mobile/file_system.hpp"

#include "tests/storage/temp_dir.hpp"
#include "tests/support/faulty_file_system.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

namespace d1 {
namespace {

namespace fs = std::filesystem;

class file_system_test : public ::testing::Test {
protected:
  void SetUp() override {
    root_fd_ = real_->open_root(root_);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    real_->close(root_fd_);
  }

  test::temp_dir dir_;
  std::string root_ = dir_.path();
  std::shared_ptr<file_system> real_ = make_posix_file_system();
  int root_fd_ = -1;
};

TEST_F(file_system_test, a_fifo_opens_at_once_and_says_what_it_is) {
  ASSERT_EQ(::mkfifo((root_ + "/pipe").c_str(), 0644), 0);
  auto start = std::chrono::steady_clock::now();
  int fd = real_->open_file_at(root_fd_, "pipe");  // no writer: a blocking open would hang
  ASSERT_GE(fd, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  file_stat st;
  ASSERT_EQ(real_->stat_fd(fd, st), 0);
  EXPECT_TRUE(S_ISFIFO(st.mode));
  real_->close(fd);
}

TEST_F(file_system_test, temporaries_are_exclusive_private_and_never_follow_a_symlink) {
  int fd = real_->create_exclusive_at(root_fd_, "tmp");
  ASSERT_GE(fd, 0);
  file_stat st;
  ASSERT_EQ(real_->stat_fd(fd, st), 0);
  EXPECT_EQ(st.mode & 07777, 0600u);
  real_->close(fd);
  EXPECT_EQ(real_->create_exclusive_at(root_fd_, "tmp"), -EEXIST);
  test::write_file(dir_ / "target", "someone's file");
  fs::create_symlink(dir_ / "target", dir_ / "planted");
  EXPECT_EQ(real_->create_exclusive_at(root_fd_, "planted"), -EEXIST);
  EXPECT_EQ(test::slurp(dir_ / "target"), "someone's file");
  EXPECT_EQ(real_->open_file_at(root_fd_, "planted"), -ELOOP);
}

TEST_F(file_system_test, identities_tell_aliases_from_copies) {
  test::write_file(dir_ / "a", "bytes");
  test::write_file(dir_ / "b", "bytes");
  ASSERT_EQ(::link((root_ + "/a").c_str(), (root_ + "/hard").c_str()), 0);
  file_stat a, b, hard;
  ASSERT_EQ(real_->stat_at(root_fd_, "a", a), 0);
  ASSERT_EQ(real_->stat_at(root_fd_, "b", b), 0);
  ASSERT_EQ(real_->stat_at(root_fd_, "hard", hard), 0);
  EXPECT_TRUE(same_file(a, hard));
  EXPECT_FALSE(same_file(a, b));
  int fd = real_->open_file_at(root_fd_, "a");
  file_stat with_fs;
  ASSERT_EQ(real_->stat_fd(fd, with_fs), 0);
  real_->close(fd);
  EXPECT_TRUE(same_file(with_fs, hard));  // fs_id on one side only: by device
  EXPECT_TRUE(unchanged_since(a, with_fs));
  test::write_file(dir_ / "a", "other");
  file_stat now;
  ASSERT_EQ(real_->stat_at(root_fd_, "a", now), 0);
  EXPECT_FALSE(unchanged_since(a, now));
}

TEST_F(file_system_test, rename_never_replaces) {
  test::write_file(dir_ / "from", "new");
  test::write_file(dir_ / "to", "old");
  EXPECT_EQ(real_->rename_noreplace_at(root_fd_, "from", "to"), -EEXIST);
  EXPECT_EQ(test::slurp(dir_ / "to"), "old");
  EXPECT_EQ(real_->rename_noreplace_at(root_fd_, "from", "fresh"), 0);
}

TEST_F(file_system_test, the_faulty_one_hits_the_nth_matching_call_only) {
  test::faulty_file_system faulty{real_};
  faulty.add({test::fs_op::pread, "/x", 2, 1, test::fault_kind::fail, EIO});
  test::write_file(dir_ / "x", "0123456789");
  test::write_file(dir_ / "y", "abcdefghijklmnopqrstuvwxyz");
  int root = faulty.open_root(root_);
  int x = faulty.open_file_at(root, "x");
  int y = faulty.open_file_at(root, "y");
  char buf[16];
  EXPECT_EQ(faulty.pread(y, buf, sizeof buf, 0), 16);  // another path: not counted
  EXPECT_EQ(faulty.pread(x, buf, sizeof buf, 0), 10);  // the first matching call
  EXPECT_EQ(faulty.pread(x, buf, sizeof buf, 0), -EIO);
  EXPECT_EQ(faulty.pread(x, buf, sizeof buf, 0), 10);  // once only
  EXPECT_EQ(faulty.hits(), 1);
  faulty.add({test::fs_op::pread, "/y", 1, -1, test::fault_kind::short_io, 0});
  EXPECT_EQ(faulty.pread(y, buf, sizeof buf, 0), 8);  // half of what was asked
  faulty.add({test::fs_op::open_file, "/x", 1, 1, test::fault_kind::vanish, 0});
  EXPECT_EQ(faulty.open_file_at(root, "x"), -ENOENT);
  EXPECT_FALSE(fs::exists(dir_ / "x"));
  for (int fd : {x, y, root})
    faulty.close(fd);
}

}  // namespace
}  // namespace d1
