// remove_files on real directories: re-checks of the file and of its witnesses right
// before a deletion, refusals that delete nothing, and paths that never escape the root.
#include "actors/mobile/remove_batch.hpp"

#include "actors/mobile/file_checks.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "tests/actors/mobile/copy_items.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace d1 {
namespace {

namespace fs = std::filesystem;
using test::io;
using test::random_bytes;
using test::write_file;

TEST(remove_files_test, removes_regular_files_and_refuses_the_rest_per_path) {
  test::temp_dir dir;
  std::string root = dir / "root";
  std::string outside = dir / "outside";
  write_file(root + "/a", "a");
  write_file(root + "/d/b", "b");
  write_file(outside + "/keep", "keep");
  fs::create_directories(root + "/sub");
  fs::create_symlink(outside + "/keep", root + "/link");
  fs::create_directory_symlink(outside, root + "/via");
  remove_batch_request req;
  req.root = root;
  req.force_last = true;  // never hashed, no witnesses: only the paths are at stake here
  for (auto rel : {"a", "d/b", "missing", "gone/x", "link", "sub", "../outside/keep", "via/keep"})
    req.items.push_back(remove_item{rel, "SHA-256", {}, {}, {}});
  auto out = remove_files(io(), req);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_FALSE(out[0].error);
  EXPECT_TRUE(out[0].removed);
  EXPECT_FALSE(out[1].error);
  EXPECT_TRUE(out[1].removed);
  EXPECT_FALSE(out[2].error);  // already gone: not an error
  EXPECT_FALSE(out[2].removed);
  EXPECT_FALSE(out[3].error);
  EXPECT_FALSE(out[3].removed);
  EXPECT_EQ(code_of(out[4].error), ec::invalid_path);  // a symlink is not removed
  EXPECT_EQ(code_of(out[5].error), ec::invalid_path);  // nor a directory
  EXPECT_EQ(code_of(out[6].error), ec::invalid_path);  // nor anything through ".."
  EXPECT_EQ(code_of(out[7].error), ec::invalid_path);  // nor through a symlinked directory
  EXPECT_FALSE(fs::exists(root + "/a"));
  EXPECT_FALSE(fs::exists(root + "/d/b"));
  EXPECT_TRUE(fs::is_symlink(root + "/link"));
  EXPECT_TRUE(fs::is_directory(root + "/sub"));
  EXPECT_EQ(test::slurp(outside + "/keep"), "keep");
}


// Two copies of one file, hashed as a job would record them: the removal of a's copy is
// safe only while b's checks out on disk.
class remove_witness_test : public ::testing::Test {
protected:
  void SetUp() override {
    write_file(a_ + "/d/f", random_bytes(20000, 5));
    write_file(b_ + "/d/f", test::slurp(a_ + "/d/f"));
  }

  // What a hash of root/rel records: digest and stat.
  remove_witness recorded(const std::string& root, const std::string& rel) {
    auto r = check_file(io(), hash_request{0, root, rel, "SHA-256", check_level::hash, 0, {},
                                           false, {}});
    EXPECT_TRUE(r && r->state == file_state::ok);
    return remove_witness{root, rel, "SHA-256", r ? r->digest : "", r ? r->stat : file_stat{}};
  }

  remove_batch_request removal_of_a(recheck_mode mode = recheck_mode::stat) {
    auto self = recorded(a_, "d/f");
    remove_batch_request req;
    req.root = a_;
    req.recheck = mode;
    req.items.push_back(remove_item{"d/f", "SHA-256", self.digest, self.stat,
                                    {recorded(b_, "d/f")}});
    return req;
  }

  test::temp_dir dir_;
  std::string a_ = dir_ / "a";
  std::string b_ = dir_ / "b";
};

TEST_F(remove_witness_test, deletes_when_the_other_copy_checks_out) {
  auto out = remove_files(io(), removal_of_a());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].error) << describe(out[0].error);
  EXPECT_TRUE(out[0].removed);
  EXPECT_TRUE(out[0].findings.empty());
  EXPECT_FALSE(fs::exists(a_ + "/d/f"));
  EXPECT_TRUE(fs::exists(b_ + "/d/f"));
}

TEST_F(remove_witness_test, keeps_the_file_when_the_other_copy_was_deleted_by_hand) {
  auto req = removal_of_a();
  fs::remove(b_ + "/d/f");
  auto out = remove_files(io(), req);
  EXPECT_EQ(code_of(out[0].error), ec::refused) << describe(out[0].error);
  EXPECT_NE(context_of(out[0].error).find(a_ + "/d/f"), std::string::npos);
  ASSERT_EQ(out[0].findings.size(), 1u);
  EXPECT_EQ(out[0].findings[0].state, file_state::missing);
  EXPECT_TRUE(fs::exists(a_ + "/d/f"));
}

TEST_F(remove_witness_test, keeps_the_file_when_the_other_copy_was_overwritten_or_truncated) {
  for (auto damage : {0, 1}) {
    auto req = removal_of_a();
    if (damage == 0)
      write_file(b_ + "/d/f", random_bytes(20000, 6));  // same size, other bytes
    else
      ASSERT_EQ(::truncate((b_ + "/d/f").c_str(), 100), 0);
    auto out = remove_files(io(), req);
    EXPECT_EQ(code_of(out[0].error), ec::refused) << describe(out[0].error);
    ASSERT_EQ(out[0].findings.size(), 1u);
    EXPECT_NE(out[0].findings[0].state, file_state::ok);
    EXPECT_TRUE(fs::exists(a_ + "/d/f"));
    write_file(b_ + "/d/f", test::slurp(a_ + "/d/f"));
  }
}

TEST_F(remove_witness_test, the_same_file_under_another_root_is_no_witness) {
  // b is a symlink to a: the "other copy" is the file itself.
  fs::remove_all(b_);
  fs::create_directory_symlink(a_, b_);
  auto self = recorded(a_, "d/f");
  remove_batch_request req;
  req.root = a_;
  remove_witness alias{b_, "d/f", "SHA-256", self.digest, self.stat};
  req.items.push_back(remove_item{"d/f", "SHA-256", self.digest, self.stat, {alias}});
  auto out = remove_files(io(), req);
  EXPECT_EQ(code_of(out[0].error), ec::refused) << describe(out[0].error);
  ASSERT_EQ(out[0].findings.size(), 1u);
  EXPECT_NE(out[0].findings[0].detail.find("the very file"), std::string::npos);
  EXPECT_TRUE(fs::exists(a_ + "/d/f"));
}

TEST_F(remove_witness_test, keeps_a_file_changed_since_it_was_hashed_even_when_forced) {
  auto req = removal_of_a();
  req.force_last = true;
  write_file(a_ + "/d/f", "new data written by hand after the hash");
  auto out = remove_files(io(), req);
  EXPECT_EQ(code_of(out[0].error), ec::refused) << describe(out[0].error);
  EXPECT_NE(context_of(out[0].error).find("changed since it was hashed"), std::string::npos)
    << describe(out[0].error);
  EXPECT_EQ(test::slurp(a_ + "/d/f"), "new data written by hand after the hash");
}

TEST_F(remove_witness_test, a_later_witness_may_vouch_when_the_first_fails_and_is_reported) {
  std::string c = dir_ / "c";
  write_file(c + "/d/f", test::slurp(a_ + "/d/f"));
  auto req = removal_of_a();
  req.items[0].witnesses.push_back(recorded(c, "d/f"));
  fs::remove(b_ + "/d/f");
  auto out = remove_files(io(), req);
  EXPECT_FALSE(out[0].error) << describe(out[0].error);
  EXPECT_TRUE(out[0].removed);
  ASSERT_EQ(out[0].findings.size(), 1u);  // b's, so its record can say it is missing
  EXPECT_EQ(out[0].findings[0].witness, 0u);
}

TEST_F(remove_witness_test, with_recheck_hash_bytes_changed_under_the_same_times_are_caught) {
  auto req = removal_of_a(recheck_mode::hash);
  // Other bytes of the same size, recorded as if nothing had moved: a stat check cannot
  // see it, a hash can.
  write_file(b_ + "/d/f", random_bytes(20000, 9));
  auto now = recorded(b_, "d/f").stat;
  req.items[0].witnesses[0].stat = now;
  auto out = remove_files(io(), req);
  EXPECT_EQ(code_of(out[0].error), ec::refused) << describe(out[0].error);
  ASSERT_EQ(out[0].findings.size(), 1u);
  EXPECT_EQ(out[0].findings[0].state, file_state::hash_mismatch);
  EXPECT_TRUE(fs::exists(a_ + "/d/f"));
}

TEST_F(remove_witness_test, a_fifo_in_place_of_the_file_or_the_witness_never_blocks) {
  auto req = removal_of_a();
  fs::remove(b_ + "/d/f");
  ASSERT_EQ(::mkfifo((b_ + "/d/f").c_str(), 0644), 0);
  auto out = remove_files(io(), req);
  EXPECT_EQ(code_of(out[0].error), ec::refused);
  fs::remove(a_ + "/d/f");
  ASSERT_EQ(::mkfifo((a_ + "/d/f").c_str(), 0644), 0);
  out = remove_files(io(), req);
  EXPECT_EQ(code_of(out[0].error), ec::invalid_path) << describe(out[0].error);
  EXPECT_TRUE(fs::exists(a_ + "/d/f"));
}

}  // namespace
}  // namespace d1
