// Removals through the job manager when the disk no longer matches the catalogue: the
// other copy deleted, overwritten or truncated by hand, or the same directory under
// another name; a file another resource reaches under another spelling is kept.
#include "tests/actors/mobile/job_fixture.hpp"

#include <unistd.h>

namespace d1 {
namespace {

namespace fs = std::filesystem;

using test::write_file;

class remove_job_test : public test::job_fixture {
protected:
  // The resource "t" registered at a and copied to b (two verified copies).
  void two_copies() {
    register_tiff();
    auto copy = req(job_kind::copy, "t");
    copy.dst_root = b_;
    ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  }

  job_record remove_from(const std::string& root) {
    auto rm = req(job_kind::remove, "t");
    rm.src_root = root;
    return submit_and_wait(rm);
  }

  const file_record* record(const resource_detail& d, const std::string& root,
                            const std::string& rel) {
    for (auto& f : d.files)
      if (f.root == root && f.rel_path == rel)
        return &f;
    return nullptr;
  }
};

TEST_F(remove_job_test, the_other_copy_deleted_by_hand_keeps_this_one) {
  two_copies();
  fs::remove(b_ + "/scan/img_002.tif");
  auto j = remove_from(a_);
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("img_002.tif"), std::string::npos) << j.error;
  EXPECT_NE(j.error.find("refused"), std::string::npos) << j.error;
  EXPECT_TRUE(fs::exists(a_ + "/scan/img_002.tif"));  // the last real copy is still there
  // What the re-check found is recorded: b is no longer a verified copy.
  auto d = db_->get_resource("t");
  ASSERT_TRUE(d);
  auto rec = record(*d, b_, "scan/img_002.tif");
  ASSERT_NE(rec, nullptr);
  EXPECT_EQ(rec->state, file_state::missing);
  for (auto& c : copies_of(*d, host_preferences{})) {
    if (c.root == b_) {
      EXPECT_FALSE(c.verified);
    }
  }
}

TEST_F(remove_job_test, the_other_copy_overwritten_or_truncated_keeps_this_one) {
  for (int damage = 0; damage < 2; ++damage) {
    SCOPED_TRACE(damage == 0 ? "overwritten" : "truncated");
    if (damage == 0) {
      two_copies();
      write_file(b_ + "/scan/img_001.tif", std::string(6000, 'X'));  // same size, other bytes
    } else {
      // Make b whole again first (verify records what is there now), then truncate.
      write_file(b_ + "/scan/img_001.tif", test::slurp(a_ + "/scan/img_001.tif"));
      auto v = req(job_kind::verify, "t");
      v.src_root = b_;
      ASSERT_EQ(submit_and_wait(v).state, job_state::done);
      ASSERT_EQ(::truncate((b_ + "/scan/img_001.tif").c_str(), 10), 0);
    }
    auto j = remove_from(a_);
    EXPECT_EQ(j.state, job_state::failed);
    EXPECT_NE(j.error.find("img_001.tif"), std::string::npos) << j.error;
    EXPECT_TRUE(fs::exists(a_ + "/scan/img_001.tif"));
    EXPECT_EQ(test::slurp(a_ + "/scan/img_001.tif"), std::string(6000, 'b'));
  }
}

TEST_F(remove_job_test, a_copy_that_is_the_same_directory_under_another_name_is_no_copy) {
  two_copies();
  // Out of band, b becomes a symlink to a: its records now name a's files.
  fs::remove_all(b_);
  fs::create_directory_symlink(a_, b_);
  auto j = remove_from(a_);
  EXPECT_EQ(j.state, job_state::failed);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(fs::exists(a_ + "/scan/img_00" + std::to_string(i) + ".tif"));
}

TEST_F(remove_job_test, a_file_another_resource_reaches_under_another_spelling_is_kept) {
  two_copies();
  std::string alias = dir_ / "alias";
  fs::create_directory_symlink(a_, alias);
  ASSERT_EQ(register_and_wait(registration("u", "RAW", alias, "scan/img_000.tif")).state,
            job_state::done);
  auto j = remove_from(a_);
  EXPECT_EQ(j.state, job_state::done) << j.error;
  EXPECT_TRUE(fs::exists(a_ + "/scan/img_000.tif"));  // u still needs it
  EXPECT_FALSE(fs::exists(a_ + "/scan/img_001.tif"));
  bool kept = false;
  for (auto& f : j.files)
    kept = kept || (f.rel_path == "scan/img_000.tif" && f.detail.find("kept") == 0);
  EXPECT_TRUE(kept);
}

TEST_F(remove_job_test, a_forced_removal_of_the_last_copy_is_recorded_as_such) {
  register_tiff();
  auto rm = req(job_kind::remove, "t");
  rm.src_root = a_;
  rm.force_last = true;
  auto j = submit_and_wait(rm);
  EXPECT_EQ(j.state, job_state::done) << j.error;
  auto h = db_->history("t");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->back().action, "remove_forced");
  auto report = db_->check();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

}  // namespace
}  // namespace d1
