// Verification through the job manager: only a hash marks a file verified; the exists and
// size levels report a file that moved and never vouch for one. Scrubs: copies whose last
// hash is too old are hashed again by the job manager itself, and what they find shows.
#include "tests/actors/mobile/job_fixture.hpp"

#include <optional>
#include <thread>

namespace d1 {
namespace {

namespace fs = std::filesystem;

using test::write_file;

class verify_job_test : public test::job_fixture {
protected:
  job_record verify(const std::string& root, check_level level) {
    auto v = req(job_kind::verify, "t");
    v.src_root = root;
    v.level = level;
    return submit_and_wait(v);
  }

  bool verified(const std::string& root) {
    auto d = db_->get_resource("t");
    if (!d)
      return false;
    for (auto& c : copies_of(*d, host_preferences{}))
      if (c.root == root)
        return c.verified;
    return false;
  }
};

TEST_F(verify_job_test, a_corrupted_copy_checked_for_existence_is_not_verified) {
  register_tiff();
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  ASSERT_TRUE(verified(b_));
  write_file(b_ + "/scan/img_003.tif", std::string(16000, 'Z'));  // same size, other bytes
  auto exists = verify(b_, check_level::exists);
  EXPECT_EQ(exists.state, job_state::failed) << "a file that moved is reported";
  EXPECT_FALSE(verified(b_));
  auto size = verify(b_, check_level::size);
  EXPECT_EQ(size.state, job_state::failed);
  EXPECT_FALSE(verified(b_));
  // Only a hash decides: it finds other bytes.
  auto hash = verify(b_, check_level::hash);
  EXPECT_EQ(hash.state, job_state::failed);
  auto d = db_->get_resource("t");
  ASSERT_TRUE(d);
  for (auto& f : d->files) {
    if (f.root == b_ && f.rel_path == "scan/img_003.tif") {
      EXPECT_EQ(f.state, file_state::hash_mismatch);
    }
  }
  // Put right, a lighter check still does not upgrade it; a hash does.
  write_file(b_ + "/scan/img_003.tif", test::slurp(a_ + "/scan/img_003.tif"));
  verify(b_, check_level::exists);
  EXPECT_FALSE(verified(b_));
  EXPECT_EQ(verify(b_, check_level::hash).state, job_state::done);
  EXPECT_TRUE(verified(b_));
}

TEST_F(verify_job_test, a_scrub_hashes_copies_whose_last_hash_is_old_and_reports_mismatches) {
  stop();
  scrub_every_ = std::chrono::milliseconds(1);  // every hash is "old" a moment later
  start();
  register_tiff();
  write_file(a_ + "/scan/img_002.tif", std::string(11000, 'Q'));  // rot, same size
  // "Old" is by the wall clock (hash times are dates): let 1 ms pass for real.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  post(jm_, scrub_atom::value);
  std::optional<job_record> scrub;
  for (int round = 0; round < 50 && !scrub; ++round) {
    advance(std::chrono::milliseconds(100));
    auto jobs = request<std::vector<job_record>>(jm_, list_atom::value, job_atom::value);
    ASSERT_TRUE(jobs);
    for (auto& j : *jobs)
      if (j.request.kind == job_kind::scrub && (j.state == job_state::failed
                                                || j.state == job_state::done))
        scrub = j;
  }
  ASSERT_TRUE(scrub) << "no scrub ran";
  EXPECT_EQ(scrub->state, job_state::failed);
  EXPECT_EQ(scrub->request.src_root, a_);
  auto where = db_->locate("t", host_preferences{});
  ASSERT_TRUE(where);
  ASSERT_EQ(where->copies.size(), 1u);
  EXPECT_FALSE(where->copies[0].verified);
  EXPECT_EQ(where->copies[0].files_bad, 1u);
  EXPECT_NE(where->copies[0].problem.find("img_002.tif"), std::string::npos);
  auto journal = db_->journal(0, 0);
  ASSERT_TRUE(journal);
  bool journaled = false;
  for (auto& e : *journal)
    journaled = journaled || (e.command == "scrub" && !e.success && e.finished != 0);
  EXPECT_TRUE(journaled);
}

}  // namespace
}  // namespace d1
