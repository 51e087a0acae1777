// Faults at every step of copy, move, remove and verify, injected into the workers' disk
// (faulty_file_system) on real directories: a transient failure is retried, a lasting one
// fails the file and `retry` resubmits only what failed; whatever fails, no byte of the
// last good copy is lost, nothing unverified is recorded and no temporary stays behind.
#include "actors/control/supervision.hpp"
#include "tests/actors/mobile/job_fixture.hpp"
#include "tests/support/faulty_file_system.hpp"

#include <stdexcept>

#include <map>

namespace d1 {
namespace {

namespace fs = std::filesystem;

using test::fault;
using test::fault_kind;
using test::fs_op;

bool terminal(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled;
}

class job_dispatch_test : public test::job_fixture {
protected:
  void SetUp() override {
    job_fixture::SetUp();
    stop();
    faulty_ = std::make_shared<test::faulty_file_system>();
    disk_ = faulty_;
    start();
    register_tiff();
    auto d = db_->get_resource("t");
    ASSERT_TRUE(d);
    for (auto& f : d->files)
      digests_[f.rel_path] = f.digest;
  }

  // Waits for job `id` to end, letting simulated time pass for retries (bounded).
  job_record settle(uint64_t id) {
    for (int round = 0; round < 400; ++round) {
      auto j = request<job_record>(jm_, get_atom::value, job_atom::value, id);
      if (j && terminal(j->state))
        return *j;
      advance(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "job " << id << " did not end";
    return {};
  }

  // Runs a job to its end; a refused submission (e.g. the removal of a copy a failed copy
  // never made) is a failed record carrying the refusal.
  job_record run_job(job_request r) {
    auto t = request<job_ticket>(jm_, submit_atom::value, r);
    if (t)
      return settle(t->job_id);
    job_record refused;
    refused.state = job_state::failed;
    refused.error = sys_.render(t.error());
    return refused;
  }

  // The invariant that matters: for every file of "t", some root holds bytes that hash to
  // the catalogue's digest. And: every record that says ok is true to the disk, and no
  // temporary file is left under any root.
  void check_invariants(const std::string& when) {
    SCOPED_TRACE(when);
    auto d = db_->get_resource("t");
    ASSERT_TRUE(d);
    std::set<std::string> roots{a_};
    for (auto& f : d->files)
      roots.insert(f.root);
    for (auto& [rel, digest] : digests_) {
      bool somewhere = false;
      for (auto& root : roots) {
        auto h = hash_file(root + "/" + rel, "SHA-256");
        somewhere = somewhere || (h && *h == digest);
      }
      EXPECT_TRUE(somewhere) << rel << " has no good copy left";
    }
    for (auto& f : d->files) {
      if (f.state != file_state::ok || f.digest.empty())
        continue;
      auto h = hash_file(f.abs_path, f.algorithm);
      EXPECT_TRUE(h && *h == f.digest) << f.abs_path << " is recorded ok but is not";
    }
    for (auto& root : roots) {
      if (fs::exists(root)) {
        EXPECT_EQ(test::count_temp_files(root), 0) << root;
      }
    }
  }

  std::shared_ptr<test::faulty_file_system> faulty_;
  std::map<std::string, std::string> digests_;
};

TEST_F(job_dispatch_test, a_transient_read_error_is_retried_and_the_copy_completes) {
  faulty_->add({fs_op::pread, "a/scan/img_001.tif", 1, 1, fault_kind::fail, EIO});
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  auto j = run_job(copy);
  EXPECT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(faulty_->hits(), 1);
  bool retried = false;
  for (auto& f : j.files)
    retried = retried || (f.rel_path == "scan/img_001.tif" && f.attempts == 1);
  EXPECT_TRUE(retried);
  check_invariants("after the retried copy");
}

TEST_F(job_dispatch_test, a_lasting_error_fails_the_file_and_retry_redoes_only_it) {
  faulty_->add({fs_op::pread, "a/scan/img_002.tif", 1, -1, fault_kind::fail, EIO});
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  auto j = run_job(copy);
  ASSERT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("img_002.tif"), std::string::npos) << j.error;
  for (auto& f : j.files) {
    if (f.rel_path == "scan/img_002.tif") {
      EXPECT_EQ(f.attempts, file_retries_);
    }
  }
  faulty_->clear();
  auto t = request<job_ticket>(jm_, retry_atom::value, j.id);
  ASSERT_TRUE(t) << sys_.render(t.error());
  auto again = settle(t->job_id);
  EXPECT_EQ(again.state, job_state::done) << again.error;
  ASSERT_EQ(again.files.size(), 1u);
  EXPECT_EQ(again.files[0].rel_path, "scan/img_002.tif");
  EXPECT_EQ(again.request.retry_of, j.id);
  auto none = request<job_ticket>(jm_, retry_atom::value, again.id);
  EXPECT_FALSE(none);  // nothing left to retry
  check_invariants("after the retry");
}

// Every disk operation a copy, a move, a removal and a verify make, failing (EIO, ENOSPC,
// EINTR), short, or with its temporary file vanishing, at its 1st and 2nd call: the
// invariants hold after each job.
TEST_F(job_dispatch_test, faults_at_every_step_never_lose_the_last_good_copy) {
  struct shape {
    fault_kind kind;
    int err;
  };
  const fs_op ops[] = {fs_op::open_root, fs_op::open_dir,  fs_op::make_dir, fs_op::open_file,
                       fs_op::create,    fs_op::stat_fd,   fs_op::stat_at,  fs_op::pread,
                       fs_op::pwrite,    fs_op::copy_range, fs_op::fsync,   fs_op::syncfs,
                       fs_op::set_owner, fs_op::set_mode,  fs_op::set_times, fs_op::rename,
                       fs_op::unlink};
  const shape shapes[] = {{fault_kind::fail, EIO},
                          {fault_kind::fail, ENOSPC},
                          {fault_kind::fail, EINTR},
                          {fault_kind::short_io, 0},
                          {fault_kind::vanish, 0}};
  int round = 0;
  for (auto op : ops)
    for (auto& sh : shapes)
      for (int nth : {1, 2}) {
        bool io_op = op == fs_op::pread || op == fs_op::pwrite;
        if (sh.kind == fault_kind::short_io && !io_op)
          continue;
        // Vanishing is what happens to a temporary (someone cleaning up), never to a
        // source: that one would be a loss the test itself caused.
        bool vanishable = io_op || op == fs_op::rename || op == fs_op::open_file;
        if (sh.kind == fault_kind::vanish && !vanishable)
          continue;
        auto where = sh.kind == fault_kind::vanish ? std::string{".d1part"} : std::string{};
        auto label = std::string{to_string(op)} + " #" + std::to_string(nth) + " "
                     + (sh.kind == fault_kind::fail ? std::strerror(sh.err)
                        : sh.kind == fault_kind::short_io ? "short" : "vanish");
        ++round;
        auto dst = dir_ / ("c" + std::to_string(round));
        faulty_->clear();
        faulty_->add({op, where, nth, 1, sh.kind, sh.err});
        auto copy = req(job_kind::copy, "t");
        copy.dst_root = dst;
        run_job(copy);
        check_invariants(label + ", copy");
        // A move from the copy (if it is complete) back out, and a removal of it.
        faulty_->clear();
        faulty_->add({op, where, nth, 1, sh.kind, sh.err});
        auto move = req(job_kind::move, "t");
        move.src_root = a_;
        move.dst_root = dst + "-moved";
        run_job(move);
        check_invariants(label + ", move");
        faulty_->clear();
        faulty_->add({op, where, nth, 1, sh.kind, sh.err});
        auto verify = req(job_kind::verify, "t");
        run_job(verify);
        check_invariants(label + ", verify");
        faulty_->clear();
        faulty_->add({op, where, nth, 1, sh.kind, sh.err});
        auto rm = req(job_kind::remove, "t");
        rm.src_root = dst;
        run_job(rm);
        check_invariants(label + ", remove");
        faulty_->clear();
        // Back to one copy at a, for the next round: what the faults left unsure is hashed
        // again first (a copy is only forced away once a is verified).
        run_job(req(job_kind::verify, "t"));
        auto verified_at_a = [&] {
          auto d = db_->get_resource("t");
          for (auto& c : d ? copies_of(*d, host_preferences{}) : std::vector<copy_location>{})
            if (c.root == a_)
              return c.verified;
          return false;
        };
        if (!verified_at_a()) {
          auto back = req(job_kind::move, "t");  // from the best verified copy
          back.dst_root = a_;
          auto moved = run_job(back);
          EXPECT_EQ(moved.state, job_state::done) << label << ": " << moved.error;
        }
        ASSERT_TRUE(verified_at_a()) << label;
        auto d = db_->get_resource("t");
        ASSERT_TRUE(d);
        for (auto& c : copies_of(*d, host_preferences{})) {
          if (c.root == a_)
            continue;
          auto drop = req(job_kind::remove, "t");
          drop.src_root = c.root;
          drop.force_last = true;
          auto dropped = run_job(drop);
          EXPECT_EQ(dropped.state, job_state::done) << label << ": " << dropped.error;
        }
        check_invariants(label + ", reset");
        if (HasFailure())
          return;
      }
  EXPECT_GT(round, 40);
}

// A copy worker with a bug: every request throws.
copy_worker_actor::behavior_type throwing_copier(copy_worker_actor::pointer) {
  return {
    [](copy_batch_atom, const copy_batch_request&) -> copy_batch_result {
      throw std::runtime_error("a bug in the copy worker");
    },
    [](remove_atom, const remove_batch_request&) -> std::vector<remove_outcome> {
      throw std::runtime_error("a bug in the copy worker");
    },
  };
}

TEST_F(job_dispatch_test, a_copy_worker_that_fails_is_replaced_and_its_files_retried) {
  stop();
  auto broken = spawn_loud(sys_, throwing_copier);
  fake_copier_ = broken;
  std::vector<copy_worker_actor> made;
  new_copier_ = [this, &made] {
    made.push_back(sys_.spawn(copy_worker, copy_finisher_actor{}, setup_));
    return made.back();
  };
  start();
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  auto j = run_job(copy);
  EXPECT_EQ(j.state, job_state::done) << j.error;
  // Only the broken worker was replaced: the replacement copied everything.
  EXPECT_EQ(made.size(), 1u);
  for (auto& [rel, digest] : digests_) {
    auto h = hash_file(b_ + "/" + rel, "SHA-256");
    EXPECT_TRUE(h && *h == digest) << rel;
  }
  check_invariants("after the replacement");
  for (auto& w : made)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  new_copier_ = nullptr;
}

}  // namespace
}  // namespace d1
