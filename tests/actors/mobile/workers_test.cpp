// The worker actors under the deterministic scheduler: a copy worker's reply comes from
// its finisher (delegated, values only) with the files under their final names; batch
// hashing and batch removal answer one result per item, refusals included.
#include "actors/mobile/workers.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "tests/actors/mobile/copy_items.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/files.hpp"

#include <filesystem>

namespace d1 {
namespace {

namespace fs = std::filesystem;
using test::write_file;

class workers_test : public test::actor_fixture {
protected:
  // Writes `bytes` as src/rel and returns the batch item with its true SHA-256.
  copy_item add(const std::string& rel, const std::string& bytes) {
    return test::write_item(src_, rel, bytes);
  }

  test::temp_dir dir_;
  std::string src_ = dir_ / "src";
  std::string dst_ = dir_ / "dst";
  worker_setup setup_{make_posix_file_system(), true, std::make_shared<job_interrupts>()};
};

TEST_F(workers_test, a_pipelined_copy_worker_answers_through_its_finisher) {
  auto finisher = sys_.spawn(copy_finisher, setup_);
  auto worker = sys_.spawn(copy_worker, finisher, setup_);
  std::vector<copy_batch_result> results;
  for (int b = 0; b < 2; ++b) {
    copy_batch_request req{0, src_, dst_, "SHA-256",
                           {add("b" + std::to_string(b) + "/x", "batch " + std::to_string(b)),
                            add("b" + std::to_string(b) + "/y", std::string(70000, 'y'))},
                           false};
    auto r = request<copy_batch_result>(worker, copy_batch_atom::value, req);
    ASSERT_TRUE(r) << sys_.render(r.error());
    results.push_back(*r);
  }
  for (auto& r : results) {
    ASSERT_EQ(r.outcomes.size(), 2u);
    for (auto& o : r.outcomes)
      EXPECT_FALSE(o.error) << describe(o.error);
  }
  EXPECT_EQ(test::slurp(dst_ + "/b1/x"), "batch 1");
  EXPECT_EQ(test::slurp(dst_ + "/b0/y"), std::string(70000, 'y'));
  EXPECT_EQ(test::count_temp_files(dst_), 0);
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(finisher, caf::exit_reason::user_shutdown);
}

TEST_F(workers_test, batch_hashing_answers_every_request_and_names_refusals) {
  write_file(src_ + "/a", "alpha");
  auto hasher = sys_.spawn(hash_worker, setup_);
  hash_request ok{0, src_, "a", "SHA-256", check_level::hash, 0, {}, false, {}};
  hash_request missing{0, src_, "nope", "SHA-256", check_level::hash, 0, {}, false, {}};
  hash_request escape{0, src_, "../a", "SHA-256", check_level::hash, 0, {}, false, {}};
  hash_request unknown{0, src_, "a", "CRC-7", check_level::hash, 0, {}, false, {}};
  auto r = request<std::vector<hash_result>>(hasher, hash_atom::value,
                                             std::vector<hash_request>{ok, missing, escape,
                                                                       unknown},
                                             uint64_t{1} << 20);
  ASSERT_TRUE(r) << sys_.render(r.error());
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].state, file_state::ok);
  EXPECT_EQ((*r)[0].digest, *hash_file(src_ + "/a", "SHA-256"));
  EXPECT_EQ((*r)[1].state, file_state::missing);
  EXPECT_EQ((*r)[2].state, file_state::error);
  EXPECT_NE((*r)[2].detail.find(".."), std::string::npos) << (*r)[2].detail;
  EXPECT_EQ((*r)[3].state, file_state::error);
  EXPECT_NE((*r)[3].detail.find("CRC-7"), std::string::npos) << (*r)[3].detail;
  caf::anon_send_exit(hasher, caf::exit_reason::user_shutdown);
}

TEST_F(workers_test, batch_removal_answers_one_outcome_per_path) {
  write_file(dst_ + "/d/a", "a");
  auto worker = sys_.spawn(copy_worker, copy_finisher_actor{}, setup_);
  remove_batch_request req;
  req.root = dst_;
  req.force_last = true;  // no witnesses: these files were never hashed
  for (auto rel : {"d/a", "d/a", "../x"})
    req.items.push_back(remove_item{rel, "SHA-256", {}, {}, {}});
  auto r = request<std::vector<remove_outcome>>(worker, remove_atom::value, req);
  ASSERT_TRUE(r) << sys_.render(r.error());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_TRUE((*r)[0].removed) << describe((*r)[0].error);
  EXPECT_FALSE((*r)[1].error);
  EXPECT_FALSE((*r)[1].removed);  // the same path again: already gone
  EXPECT_EQ(code_of((*r)[2].error), ec::invalid_path);
  EXPECT_FALSE(fs::exists(dst_ + "/d/a"));
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace d1
