// job_manager on real directories (deterministic scheduler, real workers, real LMDB):
// register+hash, copy, move, remove (last-copy refusal, shared files), change_root,
// verify (flipped byte), dry run, cancel with a fake worker, resume, disk full (tmpfs),
// copy batches (by count, by bytes, one commit each, dispatch ahead, a mismatch inside a
// batch, cancel between batches), jobs running at once, and a catalogue store that
// refuses writes mid-copy.
#include "actors/mobile/job_manager.hpp"

#include "hashing/checksum.hpp"
#include "storage/memory_store.hpp"
#include "tests/actors/mobile/job_fixture.hpp"

#include <sys/mount.h>

#include <filesystem>
#include <map>

namespace d1 {
namespace {

namespace fs = std::filesystem;
using test::count_temp_files;
using test::write_file;

using test::tiff_kwargs;
using job_manager_test = test::job_fixture;

TEST_F(job_manager_test, register_hashes_then_copy_records_a_second_verified_copy) {
  register_tiff();
  auto d = db_->get_resource("t");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->files.size(), 4u);
  for (auto& f : d->files) {
    EXPECT_EQ(f.state, file_state::ok);
    EXPECT_EQ(f.digest, *hash_file(f.abs_path, "SHA-256"));
    EXPECT_EQ(f.size, fs::file_size(f.abs_path));
  }
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  auto j = submit_and_wait(copy);
  ASSERT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(j.progress.files_done, 4u);
  EXPECT_EQ(j.progress.bytes_done, j.progress.bytes_total);
  for (int i = 0; i < 4; ++i) {
    auto rel = "/scan/img_00" + std::to_string(i) + ".tif";
    EXPECT_EQ(test::slurp(b_ + rel), test::slurp(a_ + rel));
  }
  EXPECT_EQ(count_temp_files(b_), 0);
  auto loc = db_->locate("t", host_preferences{"h", {b_}, {}});
  ASSERT_TRUE(loc);
  ASSERT_EQ(loc->copies.size(), 2u);
  EXPECT_TRUE(loc->copies[0].verified && loc->copies[1].verified);
  EXPECT_EQ(loc->preferred_root, b_);
  auto h = db_->history("t");
  ASSERT_EQ(h->size(), 2u);
  EXPECT_EQ((*h)[1].action, "copy");
  EXPECT_EQ((*h)[1].to_root, b_);
  auto journal = db_->journal(0, 0);
  ASSERT_EQ(journal->size(), 2u);
  EXPECT_EQ((*journal)[1].command, "copy");
  EXPECT_TRUE((*journal)[1].success);
  // Copying again adopts what is there (b is now this host's preferred copy: name a).
  copy.src_root = a_;
  auto again = submit_and_wait(copy);
  EXPECT_EQ(again.state, job_state::done) << again.error;
  EXPECT_EQ(again.files[0].detail, "adopted");
}

TEST_F(job_manager_test, verify_reports_a_flipped_byte_and_repairs_nothing) {
  register_tiff();
  auto victim = a_ + "/scan/img_002.tif";
  auto bytes = test::slurp(victim);
  bytes[100] ^= 1;
  write_file(victim, bytes);
  auto v = req(job_kind::verify, "t");
  v.level = check_level::size;
  // The size is right, but the file was written after its hash: reported, not vouched for.
  auto sized = submit_and_wait(v);
  EXPECT_EQ(sized.state, job_state::failed);
  EXPECT_NE(sized.files[2].detail.find("changed"), std::string::npos) << sized.files[2].detail;
  v.level = check_level::hash;
  auto j = submit_and_wait(v);
  ASSERT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("1 of 4"), std::string::npos) << j.error;
  EXPECT_NE(j.files[2].detail.find("hash_mismatch"), std::string::npos) << j.files[2].detail;
  EXPECT_EQ(test::slurp(victim), bytes);  // never repaired
  auto d = db_->get_resource("t");
  int mismatches = 0;
  for (auto& f : d->files)
    mismatches += f.state == file_state::hash_mismatch;
  EXPECT_EQ(mismatches, 1);
  // A corrupt copy is no source for a copy.
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  auto refused = request<job_ticket>(jm_, submit_atom::value, copy);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), ec::invalid_argument);
  fs::remove(victim);
  v.level = check_level::exists;
  j = submit_and_wait(v);
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.files[2].detail.find("missing"), std::string::npos);
}

TEST_F(job_manager_test, the_status_list_bounds_ended_jobs_and_keeps_only_failed_steps) {
  register_tiff();
  fs::remove(a_ + "/scan/img_002.tif");
  auto v = req(job_kind::verify, "t");
  v.level = check_level::exists;
  auto failed = submit_and_wait(v);
  ASSERT_EQ(failed.state, job_state::failed);
  ASSERT_EQ(failed.files.size(), 4u);
  auto all = request<std::vector<job_record>>(jm_, list_atom::value, job_atom::value);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  auto one = request<std::vector<job_record>>(jm_, list_atom::value, job_atom::value,
                                              uint32_t{1});
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u) << "more ended jobs than asked for";
  EXPECT_EQ((*one)[0].id, failed.id);
  EXPECT_EQ((*one)[0].progress.files_failed, 1u);
  ASSERT_EQ((*one)[0].files.size(), 1u) << "steps that did not fail were sent";
  EXPECT_EQ((*one)[0].files[0].rel_path, failed.files[2].rel_path);
  EXPECT_NE((*one)[0].files[0].detail.find("missing"), std::string::npos)
    << (*one)[0].files[0].detail;
  auto both = request<std::vector<job_record>>(jm_, list_atom::value, job_atom::value,
                                               uint32_t{50});
  ASSERT_TRUE(both);
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[1].request.kind, job_kind::register_hash);
  EXPECT_TRUE((*both)[1].files.empty());
}

TEST_F(job_manager_test, remove_refuses_the_last_copy_and_keeps_shared_files) {
  register_tiff();
  // A second resource shares one frame file.
  ASSERT_EQ(register_and_wait(registration("s", "RAW", a_, "scan/img_000.tif")).state,
            job_state::done);
  auto rm = req(job_kind::remove, "t");
  rm.src_root = a_;
  auto refused = request<job_ticket>(jm_, submit_atom::value, rm);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), ec::refused);
  EXPECT_NE(context_of(refused.error()).find("last verified copy"), std::string::npos);
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  // Dry run: a plan, nothing done.
  rm.dry_run = true;
  auto plan = request<job_ticket>(jm_, submit_atom::value, rm);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->dry_run);
  ASSERT_EQ(plan->plan.size(), 4u);
  int keeps = 0;
  for (auto& step : plan->plan)
    keeps += step.action == "keep";
  EXPECT_EQ(keeps, 1);  // img_000.tif is shared with "s"
  EXPECT_TRUE(fs::exists(a_ + "/scan/img_001.tif"));
  rm.dry_run = false;
  auto j = submit_and_wait(rm);
  ASSERT_EQ(j.state, job_state::done) << j.error;
  EXPECT_TRUE(fs::exists(a_ + "/scan/img_000.tif"));  // still referenced by "s"
  EXPECT_FALSE(fs::exists(a_ + "/scan/img_001.tif"));
  EXPECT_EQ(db_->refs(a_ + "/scan/img_000.tif")->refs.size(), 1u);
  EXPECT_TRUE(db_->refs(a_ + "/scan/img_001.tif")->refs.empty());
  auto d = db_->get_resource("t");
  for (auto& f : d->files)
    EXPECT_EQ(f.root, b_);
  // b is now the last verified copy.
  auto rm_b = req(job_kind::remove, "t");
  rm_b.src_root = b_;
  auto refused_b = request<job_ticket>(jm_, submit_atom::value, rm_b);
  ASSERT_FALSE(refused_b);
  EXPECT_EQ(code_of(refused_b.error()), ec::refused);
  rm_b.force_last = true;
  EXPECT_EQ(submit_and_wait(rm_b).state, job_state::done);
  EXPECT_FALSE(fs::exists(b_ + "/scan/img_001.tif"));
  EXPECT_EQ(db_->history("t")->back().action, "remove_forced");
}

TEST_F(job_manager_test, move_copies_then_removes_the_source) {
  register_tiff();
  auto mv = req(job_kind::move, "t");
  mv.dst_root = b_;
  mv.dry_run = true;
  auto plan = request<job_ticket>(jm_, submit_atom::value, mv);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->plan.size(), 8u);
  EXPECT_TRUE(fs::is_empty(b_));
  mv.dry_run = false;
  auto j = submit_and_wait(mv);
  ASSERT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(j.phase, 1);
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(fs::exists(a_ + "/scan/img_00" + std::to_string(i) + ".tif"));
    EXPECT_TRUE(fs::exists(b_ + "/scan/img_00" + std::to_string(i) + ".tif"));
  }
  auto d = db_->get_resource("t");
  ASSERT_EQ(d->files.size(), 4u);
  for (auto& f : d->files)
    EXPECT_EQ(f.root, b_);
  EXPECT_EQ(db_->history("t")->back().action, "move");
}

TEST_F(job_manager_test, change_root_records_an_out_of_band_move_only_if_hashes_match) {
  register_tiff();
  auto c = dir_ / "c";
  fs::rename(a_, c);
  auto cr = req(job_kind::change_root, "t");
  cr.dst_root = dir_ / "c";
  // First a corrupt file at the new place: nothing changes.
  auto victim = c + "/scan/img_001.tif";
  auto good = test::slurp(victim);
  write_file(victim, good + "x");
  auto bad = submit_and_wait(cr);
  ASSERT_EQ(bad.state, job_state::failed);
  EXPECT_EQ(db_->get_resource("t")->resource.root, a_);
  write_file(victim, good);
  auto j = submit_and_wait(cr);
  ASSERT_EQ(j.state, job_state::done) << j.error;
  auto d = db_->get_resource("t");
  EXPECT_EQ(d->resource.root, c);
  for (auto& f : d->files) {
    EXPECT_EQ(f.root, c);
    EXPECT_EQ(f.state, file_state::ok);
  }
  EXPECT_TRUE(db_->refs(a_ + "/scan/img_000.tif")->refs.empty());
  EXPECT_EQ(db_->history("t")->back().action, "change_root");
}

// shift_root: at once and journaled, refused (nothing changed) while a job holds the
// resource or past either end; afterwards the files are found where they always were.
TEST_F(job_manager_test, shift_root_moves_the_split_at_once_and_waits_for_no_job) {
  register_tiff();
  auto fake = use_fake_hasher();
  auto held = request<job_ticket>(jm_, submit_atom::value, req(job_kind::verify, "t"));
  ASSERT_TRUE(held);
  auto busy = request<root_shift>(jm_, shift_atom::value, std::string{"t"}, int32_t{-1});
  ASSERT_FALSE(busy);
  EXPECT_EQ(code_of(busy.error()), ec::refused);
  EXPECT_NE(context_of(busy.error()).find("has job " + std::to_string(held->job_id)),
            std::string::npos)
    << context_of(busy.error());
  EXPECT_EQ(db_->get_resource("t")->resource.root, a_);
  self_->send(fake, done_atom::value);
  run();
  EXPECT_EQ(wait(held->job_id).state, job_state::done);
  stop_fake_hasher(fake);
  start();
  auto past = request<root_shift>(jm_, shift_atom::value, std::string{"t"}, int32_t{1});
  ASSERT_FALSE(past);  // path "scan" keeps its one component
  EXPECT_EQ(code_of(past.error()), ec::invalid_argument);
  auto s = request<root_shift>(jm_, shift_atom::value, std::string{"t"}, int32_t{-1});
  ASSERT_TRUE(s) << sys_.render(s.error());
  EXPECT_EQ(s->before.root, a_);
  EXPECT_EQ(s->after.root, dir_.path());
  EXPECT_EQ(s->after.path, "a/scan");
  EXPECT_EQ(s->files, 4u);
  auto d = db_->get_resource("t");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->resource.root, dir_.path());
  EXPECT_EQ(d->resource.path, "a/scan");
  EXPECT_EQ(db_->history("t")->back().action, "shift_root");
  // The journal has the refusals and the shift, with the resource before and after.
  auto journal = db_->journal(0, 0);
  ASSERT_TRUE(journal);
  std::vector<journal_entry> shifts;
  for (auto& e : *journal)
    if (e.command == "shift_root")
      shifts.push_back(e);
  ASSERT_EQ(shifts.size(), 3u);
  EXPECT_FALSE(shifts[0].success);
  EXPECT_FALSE(shifts[1].success);
  EXPECT_TRUE(shifts[2].success);
  EXPECT_NE(shifts[2].kwargs.find("\"new\":{\"path\":\"a/scan\""), std::string::npos)
    << shifts[2].kwargs;
  EXPECT_NE(shifts[2].kwargs.find("\"old\":{\"path\":\"scan\""), std::string::npos);
  // The files are where they were: a verify by hash and a copy find them.
  auto v = submit_and_wait(req(job_kind::verify, "t"));
  EXPECT_EQ(v.state, job_state::done) << v.error;
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  auto c = submit_and_wait(copy);
  ASSERT_EQ(c.state, job_state::done) << c.error;
  // The copy took the new split: b_ + "/a/scan/…".
  EXPECT_TRUE(fs::exists(b_ + "/a/scan/img_000.tif"));
  auto report = db_->check();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

TEST_F(job_manager_test, refuses_escaping_roots_and_symlinks_out_of_a_root) {
  register_tiff();
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_ + "/../x";
  auto r = request<job_ticket>(jm_, submit_atom::value, copy);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::invalid_argument);
  // A symlink inside the destination root pointing out of it is not followed.
  auto outside = dir_ / "outside";
  fs::create_directories(outside);
  fs::create_directory_symlink(outside, b_ + "/scan");
  copy.dst_root = b_;
  auto j = submit_and_wait(copy);
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_TRUE(fs::is_empty(outside));
}

// Two removals accepted while each saw another verified copy: they wait behind a verify
// of the same resource (held at a fake hasher), the first removes a's copy, and the second
// then finds b's copy the last one and fails as refused, removing nothing.
TEST_F(job_manager_test, a_queued_removal_of_what_became_the_last_copy_is_refused) {
  register_tiff();
  auto copy = req(job_kind::copy, "t");
  copy.dst_root = b_;
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  auto fake = use_fake_hasher();
  auto verify = request<job_ticket>(jm_, submit_atom::value, req(job_kind::verify, "t"));
  ASSERT_TRUE(verify);
  auto rm_a = req(job_kind::remove, "t");
  rm_a.src_root = a_;
  auto rm_b = req(job_kind::remove, "t");
  rm_b.src_root = b_;
  auto first = request<job_ticket>(jm_, submit_atom::value, rm_a);
  auto second = request<job_ticket>(jm_, submit_atom::value, rm_b);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second) << "accepted: a's copy was still there when it was submitted";
  EXPECT_EQ(state_of(first->job_id), job_state::queued);
  EXPECT_EQ(state_of(second->job_id), job_state::queued);
  release_until_done(fake, verify->job_id);
  EXPECT_EQ(wait(verify->job_id).state, job_state::done);
  EXPECT_EQ(wait(first->job_id).state, job_state::done);
  auto j = wait(second->job_id);
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_EQ(j.error.rfind("refused:", 0), 0u) << j.error;
  EXPECT_EQ(j.error_code, ec::refused);
  EXPECT_NE(j.error.find("last verified copy"), std::string::npos) << j.error;
  EXPECT_TRUE(fs::exists(b_ + "/scan/img_001.tif"));
  EXPECT_FALSE(fs::exists(a_ + "/scan/img_001.tif"));
  caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
}

// A cancelled job ends at once; the batch at the worker is still recorded when it answers,
// and a queued job on the same files waits for that answer.
TEST_F(job_manager_test, cancel_ends_at_once_records_files_in_flight_and_queued_jobs_resume) {
  register_tiff();
  auto fake = use_fake_hasher();
  auto v = req(job_kind::verify, "t");
  auto t1 = request<job_ticket>(jm_, submit_atom::value, v);
  auto t2 = request<job_ticket>(jm_, submit_atom::value, v);
  ASSERT_TRUE(t1 && t2);
  auto running = request<job_record>(jm_, get_atom::value, job_atom::value, t1->job_id);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->state, job_state::running);
  auto c = request<job_record>(jm_, cancel_atom::value, t1->job_id);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, job_state::cancelled);  // at once, though a batch is at the worker
  EXPECT_EQ(wait(t1->job_id).state, job_state::cancelled);
  EXPECT_EQ(state_of(t2->job_id), job_state::queued);  // its files are still at the worker
  // The files change before the held batch answers: what it then finds is recorded.
  std::map<std::string, std::string> original;
  for (auto& e : fs::recursive_directory_iterator(a_)) {
    if (!e.is_regular_file())
      continue;
    original[e.path()] = test::slurp(e.path());
    write_file(e.path(), original[e.path()] + "!");
  }
  self_->send(fake, done_atom::value);
  run();
  auto after = db_->get_resource("t");
  ASSERT_TRUE(after);
  size_t found = 0;
  for (auto& f : after->files)
    found += f.state == file_state::size_mismatch ? 1 : 0;
  EXPECT_GT(found, 0u);
  for (auto& [path, bytes] : original)
    write_file(path, bytes);
  // Job 2 started once the cancelled job's batch answered; stop the manager with it
  // unfinished and start a new one.
  EXPECT_EQ(state_of(t2->job_id), job_state::running);
  stop_fake_hasher(fake);
  start();
  auto j2 = wait(t2->job_id);
  EXPECT_EQ(j2.state, job_state::done) << j2.error;
  auto jobs = request<std::vector<job_record>>(jm_, list_atom::value, job_atom::value);
  ASSERT_TRUE(jobs);
  EXPECT_EQ(jobs->front().id, t2->job_id);  // newest first
}

// Disk full on a 1 MiB tmpfs: the job fails clearly, nothing partial stays, the source
// is intact, and a retry after space is freed succeeds.
TEST_F(job_manager_test, disk_full_fails_cleanly_and_a_retry_succeeds) {
  if (geteuid() != 0)
    GTEST_SKIP() << "needs root to mount a tmpfs";
  auto small = dir_ / "small";
  fs::create_directories(small);
  ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  struct unmounter {
    std::string dir;
    ~unmounter() {
      ::umount2(dir.c_str(), MNT_DETACH);
    }
  } guard{small};
  for (int i = 0; i < 3; ++i)
    write_file(a_ + "/big/f" + std::to_string(i), std::string(450 * 1024, static_cast<char>('k' + i)));
  auto big = registration("big", "AD_TIFF", a_, "big",
                          R"({"template":"%s%s%d","filename":"f","frame_per_point":3,"num_points":1})");
  ASSERT_EQ(register_and_wait(big).state, job_state::done);
  auto before = *hash_file(a_ + "/big/f2", "SHA-256");
  auto copy = req(job_kind::copy, "big");
  copy.dst_root = small;
  auto j = submit_and_wait(copy);
  ASSERT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("no space left"), std::string::npos) << j.error;
  EXPECT_EQ(count_temp_files(small), 0);
  EXPECT_EQ(*hash_file(a_ + "/big/f2", "SHA-256"), before);
  // Every recorded file at the destination is complete.
  auto d = db_->get_resource("big");
  for (auto& f : d->files) {
    if (f.root == small) {
      EXPECT_EQ(*hash_file(f.abs_path, "SHA-256"), f.digest);
    }
  }
  ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=4m"), 0)
    << std::strerror(errno);
  auto retry = submit_and_wait(copy);
  EXPECT_EQ(retry.state, job_state::done) << retry.error;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(test::slurp(small + "/big/f" + std::to_string(i)),
              test::slurp(a_ + "/big/f" + std::to_string(i)));
}

// A copy worker that records the size of every batch and either answers at once (real
// copy_files) or holds the batches until told to answer (done_atom).
using fake_copier_actor = copy_worker_actor::extend<caf::reacts_to<done_atom>>;

struct fake_copier_state {
  static constexpr const char* name = "fake_copier";
  bool hold = false;
  std::vector<size_t> batches;  // items per batch, in arrival order
  std::vector<std::pair<caf::typed_response_promise<copy_batch_result>, copy_batch_request>>
    held;
};

fake_copier_actor::behavior_type
fake_copier(fake_copier_actor::stateful_pointer<fake_copier_state> self, bool hold) {
  self->state.hold = hold;
  return {
    [self](copy_batch_atom, const copy_batch_request& r) -> caf::result<copy_batch_result> {
      self->state.batches.push_back(r.items.size());
      if (!self->state.hold)
        return copy_files(test::io(), r);
      auto rp = self->make_response_promise<copy_batch_result>();
      self->state.held.emplace_back(rp, r);
      return rp;
    },
    [](remove_atom, const remove_batch_request& r) -> std::vector<remove_outcome> {
      return remove_files(test::io(), r);
    },
    [self](done_atom) {
      auto held = std::move(self->state.held);
      self->state.held.clear();
      for (auto& [rp, r] : held)
        rp.deliver(copy_files(test::io(), r));
    },
  };
}

class job_manager_batch_test : public job_manager_test {
protected:
  // Writes `sizes.size()` files many/f_<i>.bin under a_ and registers them as AD_TIFF
  // resource `uid` (one frame each); waits for the hashes.
  void register_many(const std::string& uid, const std::vector<size_t>& sizes) {
    for (size_t i = 0; i < sizes.size(); ++i)
      write_file(a_ + "/" + uid + "/f_" + std::to_string(i) + ".bin",
                 std::string(sizes[i], static_cast<char>('A' + i % 26)));
    auto j = register_and_wait(registration(
      uid, "AD_TIFF", a_, uid,
      R"({"template":"%s%s_%d.bin","filename":"f","frame_per_point":)"
        + std::to_string(sizes.size()) + R"(,"num_points":1})"));
    ASSERT_EQ(j.state, job_state::done) << j.error;
  }

  // Restarts the manager with one fake copy worker (holding its batches or not).
  caf::actor use_fake_copier(bool hold) {
    stop();
    auto fake = sys_.spawn(fake_copier, hold);
    fake_copier_ = caf::actor_cast<copy_worker_actor>(fake);
    start();
    return caf::actor_cast<caf::actor>(fake);
  }

  // Copies 10 files of a new resource "m" to b_ in batches of 3 through the fake copier;
  // checks the batches and that every checkpoint was stored. Returns the copy's commits.
  size_t commits_of_copying_ten_in_batches_of_three() {
    batch_files_ = 3;
    auto fake = use_fake_copier(false);
    register_many("m", std::vector<size_t>(10, 2000));
    auto copy = req(job_kind::copy, "m");
    copy.dst_root = b_;
    auto before = db_->commits();
    auto j = submit_and_wait(copy);
    auto commits = db_->commits() - before;
    EXPECT_EQ(j.state, job_state::done) << j.error;
    EXPECT_EQ(batches_of(fake), (std::vector<size_t>{3, 3, 3, 1}));
    auto stored = db_->get_job(j.id);
    EXPECT_TRUE(stored);
    if (stored) {
      EXPECT_EQ(stored->files.size(), 10u);
      for (auto& f : stored->files)
        EXPECT_EQ(f.state, step_state::done) << f.rel_path;
    }
    return commits;
  }

  std::vector<size_t> batches_of(const caf::actor& fake) {
    auto ptr = caf::actor_cast<caf::abstract_actor*>(fake);
    auto typed = dynamic_cast<fake_copier_actor::stateful_base<fake_copier_state>*>(ptr);
    return typed ? typed->state.batches : std::vector<size_t>{};
  }

  void TearDown() override {
    stop();
    if (fake_copier_)
      caf::anon_send_exit(fake_copier_, caf::exit_reason::user_shutdown);
    run();
  }
};

TEST_F(job_manager_batch_test, copies_in_batches_by_count_with_one_commit_per_batch) {
  commit_files_ = 1;  // every batch commits on its own
  // The journal entry and job at submit, "running", 4 batches, the end.
  EXPECT_EQ(commits_of_copying_ten_in_batches_of_three(), 1u + 1u + 4u + 1u);
  auto d = db_->get_resource("m");
  int at_b = 0;
  for (auto& f : d->files)
    if (f.root == b_) {
      ++at_b;
      EXPECT_EQ(f.state, file_state::ok);
      EXPECT_EQ(*hash_file(f.abs_path, "SHA-256"), f.digest);
    }
  EXPECT_EQ(at_b, 10);
  EXPECT_EQ(count_temp_files(b_), 0);
}

TEST_F(job_manager_batch_test, hashes_verifies_and_removes_in_batches_with_one_commit_each) {
  batch_files_ = 3;
  commit_files_ = 1;  // every batch commits on its own
  stop();
  start();
  auto before = db_->commits();
  register_many("h", std::vector<size_t>(10, 1500));
  // Journal + job at submit, "running", then each phase (a look at the files, then their
  // hashes) in 2 hashers x 2 batches each of ceil(10/4) = 3, 3, 3, 1 files, with the
  // switch between the phases; the end.
  EXPECT_EQ(db_->commits() - before, 1u + 1u + 4u + 1u + 4u + 1u);
  auto d = db_->get_resource("h");
  ASSERT_TRUE(d);
  for (auto& f : d->files)
    EXPECT_EQ(f.digest, *hash_file(f.abs_path, "SHA-256")) << f.rel_path;
  // A flipped byte in one file of a batch fails that file only.
  auto victim = a_ + "/h/f_4.bin";
  auto bytes = test::slurp(victim);
  bytes[7] ^= 1;
  write_file(victim, bytes);
  auto j = submit_and_wait(req(job_kind::verify, "h"));
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_EQ(j.progress.files_failed, 1u);
  for (auto& f : j.files)
    EXPECT_EQ(f.state, f.rel_path == "h/f_4.bin" ? step_state::failed : step_state::done)
      << f.rel_path;
  // Nothing was repaired: the copy at a_ is not verified until it checks out again.
  auto copy = req(job_kind::copy, "h");
  copy.dst_root = b_;
  EXPECT_FALSE(request<job_ticket>(jm_, submit_atom::value, copy));
  bytes[7] ^= 1;
  write_file(victim, bytes);
  ASSERT_EQ(submit_and_wait(req(job_kind::verify, "h")).state, job_state::done);
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  // Removing the copy at a_: 10 files in batches of 3 at the 2 copy workers.
  before = db_->commits();
  auto rm = req(job_kind::remove, "h");
  rm.src_root = a_;
  auto r = submit_and_wait(rm);
  ASSERT_EQ(r.state, job_state::done) << r.error;
  EXPECT_EQ(db_->commits() - before, 1u + 1u + 4u + 1u);
  EXPECT_FALSE(fs::exists(a_ + "/h/f_0.bin"));
  EXPECT_TRUE(fs::exists(b_ + "/h/f_0.bin"));
  auto after = db_->get_resource("h");
  ASSERT_TRUE(after);
  for (auto& f : after->files)
    EXPECT_EQ(f.root, b_);
  EXPECT_EQ(after->files.size(), 10u);
}

TEST_F(job_manager_batch_test, a_hash_worker_stopping_at_the_batch_bytes_leaves_the_rest_pending) {
  // Registration cannot know the sizes: batches of 3 files (10 / 4 slots), but a worker
  // stops after 2000 bytes, i.e. after 2 files of 1500; the third goes in a later batch.
  batch_bytes_ = 2000;
  commit_files_ = 1;  // one commit per batch: the commits count the batches
  stop();
  start();
  auto before = db_->commits();
  register_many("p", std::vector<size_t>(10, 1500));
  EXPECT_GT(db_->commits() - before, 1u + 1u + 4u + 1u);
  auto d = db_->get_resource("p");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->files.size(), 10u);
  for (auto& f : d->files) {
    EXPECT_EQ(f.state, file_state::ok) << f.rel_path;
    EXPECT_EQ(f.digest, *hash_file(f.abs_path, "SHA-256")) << f.rel_path;
  }
  // verify knows the sizes: batches of one file (1500 + 1500 > 2000), all checked.
  auto j = submit_and_wait(req(job_kind::verify, "p"));
  EXPECT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(j.progress.files_done, 10u);
}

TEST_F(job_manager_batch_test, batches_commit_together_up_to_commit_files_or_when_none_is_left) {
  commit_files_ = 6;
  // Submit, "running"; batches 1+2 (6 files), then 3+4 (nothing left at the worker); the end.
  EXPECT_EQ(commits_of_copying_ten_in_batches_of_three(), 1u + 1u + 2u + 1u);
  auto d = db_->get_resource("m");  // the grouped commits stored every batch's records
  ASSERT_TRUE(d);
  EXPECT_EQ(d->files.size(), 20u);
}

TEST_F(job_manager_batch_test, by_default_a_small_job_commits_its_batches_once) {
  batch_files_ = 3;
  auto before = db_->commits();
  // 2 hashers x 2 batches: all four batches of a phase at once, committed when the last
  // replies; two phases (look, hash) and the switch between them.
  register_many("h", std::vector<size_t>(10, 1500));
  EXPECT_EQ(db_->commits() - before, 1u + 1u + 1u + 1u + 1u + 1u);
  ASSERT_EQ(submit_and_wait(req(job_kind::verify, "h")).state, job_state::done);
  auto copy = req(job_kind::copy, "h");
  copy.dst_root = b_;
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  before = db_->commits();
  auto rm = req(job_kind::remove, "h");
  rm.src_root = a_;
  ASSERT_EQ(submit_and_wait(rm).state, job_state::done);
  EXPECT_EQ(db_->commits() - before, 1u + 1u + 1u + 1u);
  auto d = db_->get_resource("h");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->files.size(), 10u);
  for (auto& f : d->files) {
    EXPECT_EQ(f.root, b_);
    EXPECT_FALSE(fs::exists(a_ + "/" + f.rel_path));
  }
}

TEST_F(job_manager_batch_test, commit_interval_zero_commits_every_batch) {
  commit_interval_ = std::chrono::milliseconds(0);
  EXPECT_EQ(commits_of_copying_ten_in_batches_of_three(), 1u + 1u + 4u + 1u);
}

// Copies four of eight files (two batches released, two held at the worker) with their
// checkpoints not yet committed.
class job_manager_uncommitted_test : public job_manager_batch_test {
protected:
  uint64_t copy_half_uncommitted() {
    batch_files_ = 2;
    fake_ = use_fake_copier(true);
    register_many("m", std::vector<size_t>(8, 3000));
    auto copy = req(job_kind::copy, "m");
    copy.dst_root = b_;
    auto t = request<job_ticket>(jm_, submit_atom::value, copy);
    EXPECT_TRUE(t);
    self_->send(fake_, done_atom::value);
    run();
    EXPECT_EQ(batches_of(fake_), (std::vector<size_t>{2, 2, 2, 2}));
    auto running = request<job_record>(jm_, get_atom::value, job_atom::value, t->job_id);
    EXPECT_TRUE(running);
    if (running) {
      EXPECT_EQ(running->progress.files_done, 4u);
    }
    return t ? t->job_id : 0;
  }

  // Restarts the manager with the real workers: it resumes the job.
  job_record resume(uint64_t id) {
    stop();
    caf::anon_send_exit(fake_, caf::exit_reason::user_shutdown);
    run();
    fake_copier_ = nullptr;
    start();
    return wait(id);
  }

  size_t stored_done(uint64_t id) {
    auto stored = db_->get_job(id);
    EXPECT_TRUE(stored);
    return stored ? std::count_if(stored->files.begin(), stored->files.end(),
                                  [](const job_file& f) { return f.state == step_state::done; })
                  : 0;
  }

  void expect_all_eight_at_b(const job_record& j) {
    ASSERT_EQ(j.state, job_state::done) << j.error;
    auto d = db_->get_resource("m");
    ASSERT_TRUE(d);
    int at_b = 0;
    for (auto& f : d->files)
      if (f.root == b_) {
        ++at_b;
        EXPECT_EQ(*hash_file(f.abs_path, "SHA-256"), f.digest) << f.rel_path;
      }
    EXPECT_EQ(at_b, 8);
    EXPECT_EQ(count_temp_files(b_), 0);
  }

  caf::actor fake_;
};

TEST_F(job_manager_uncommitted_test, a_crash_before_the_commit_loses_work_not_files) {
  auto id = copy_half_uncommitted();
  // Files 0-3 are at b under their final names; neither their checkpoints nor their
  // records are committed.
  EXPECT_EQ(stored_done(id), 0u);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(fs::exists(b_ + "/m/f_" + std::to_string(i) + ".bin")) << i;
  auto d = db_->get_resource("m");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->files.size(), 8u);
  // The manager dies without its exit handler (as under kill -9).
  caf::anon_send_exit(jm_, caf::exit_reason::kill);
  run();
  auto j = resume(id);
  expect_all_eight_at_b(j);
  for (size_t i = 0; i < 8; ++i)
    EXPECT_EQ(j.files[i].detail, i < 4 ? "adopted" : "") << i;
}

TEST_F(job_manager_uncommitted_test, a_graceful_stop_commits_what_is_done) {
  auto id = copy_half_uncommitted();
  EXPECT_EQ(stored_done(id), 0u);
  stop();  // the manager's exit handler commits
  EXPECT_EQ(stored_done(id), 4u);
  auto j = resume(id);
  expect_all_eight_at_b(j);
  for (size_t i = 0; i < 8; ++i)
    EXPECT_EQ(j.files[i].detail, "") << i;  // nothing adopted: nothing copied twice
}

// The same copy over an in-memory catalogue store whose writes can be made to fail (as
// LMDB does with MDB_MAP_FULL or a full disk under the state dir).
class job_manager_store_fault_test : public job_manager_uncommitted_test {
protected:
  void SetUp() override {
    job_manager_uncommitted_test::SetUp();
    stop();
    store_ = std::make_shared<storage::memory_store>();
    db_ = std::make_shared<catalogue_db>(store_);
    start();
  }

  void fail_writes(bool on) {
    storage::memory_store::faults f;
    f.fail_writes = on;
    store_->set_faults(f);
  }

  std::shared_ptr<storage::memory_store> store_;
};

// The catalogue stops taking writes while half the files are copied and uncommitted:
// the job fails with a clear error and records nothing it could not store; once the
// store takes writes again, a restarted manager resumes the job from what was stored and
// ends with all eight files at b, each recorded with its hash, nothing temporary left.
TEST_F(job_manager_store_fault_test, a_catalogue_that_refuses_writes_fails_the_job_and_a_restart_completes_it) {
  auto id = copy_half_uncommitted();
  fail_writes(true);
  self_->send(fake_, done_atom::value);  // the last two batches come back: nothing commits
  run();
  // Its end is answered from memory: the store refused even the failure.
  auto failed = wait(id);
  EXPECT_EQ(failed.state, job_state::failed);
  auto listed = request<std::vector<job_record>>(jm_, list_atom::value, job_atom::value);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->front().state, job_state::failed);
  EXPECT_NE(failed.error.find("could not record"), std::string::npos) << failed.error;
  EXPECT_NE(failed.error.find("MDB_MAP_FULL"), std::string::npos) << failed.error;
  EXPECT_EQ(failed.error_code, ec::storage_error);
  EXPECT_EQ(count_temp_files(b_), 0);
  // Nothing of the copy reached the store: no file record at b, no done checkpoint.
  fail_writes(false);
  auto d = db_->get_resource("m");
  ASSERT_TRUE(d);
  for (auto& f : d->files)
    EXPECT_NE(f.root, b_) << f.rel_path;
  EXPECT_EQ(stored_done(id), 0u);
  auto stored = db_->get_job(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, job_state::running) << "the failure itself could not be stored";
  auto j = resume(id);
  expect_all_eight_at_b(j);
}

TEST_F(job_manager_batch_test, copies_in_batches_by_bytes_and_a_large_file_goes_alone) {
  batch_bytes_ = 12000;
  auto fake = use_fake_copier(false);
  // 1000 + 6000 fit; 11000 would overflow the batch; 16000 is larger than a batch.
  register_many("m", {1000, 6000, 11000, 16000, 500});
  auto copy = req(job_kind::copy, "m");
  copy.dst_root = b_;
  auto j = submit_and_wait(copy);
  ASSERT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(batches_of(fake), (std::vector<size_t>{2, 1, 1, 1}));
  EXPECT_EQ(j.progress.bytes_done, 34500u);
  for (int i = 0; i < 5; ++i) {
    auto rel = "/m/f_" + std::to_string(i) + ".bin";
    EXPECT_EQ(test::slurp(b_ + rel), test::slurp(a_ + rel));
  }
}

TEST_F(job_manager_batch_test, dispatches_two_batches_ahead_and_cancel_stops_between_batches) {
  batch_files_ = 2;
  auto fake = use_fake_copier(true);
  register_many("m", std::vector<size_t>(8, 3000));
  auto copy = req(job_kind::copy, "m");
  copy.dst_root = b_;
  auto t = request<job_ticket>(jm_, submit_atom::value, copy);
  ASSERT_TRUE(t);
  // Two batches wait at the one worker before any reply (nothing committed yet).
  EXPECT_EQ(batches_of(fake), (std::vector<size_t>{2, 2}));
  auto running = request<job_record>(jm_, get_atom::value, job_atom::value, t->job_id);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->progress.files_done, 0u);
  EXPECT_EQ(running->files.size(), 8u);
  // The progress view of the running job: the same counters, no per-file states, and the
  // job keeps its files.
  auto progress = request<job_record>(jm_, progress_atom::value, t->job_id);
  ASSERT_TRUE(progress);
  EXPECT_EQ(progress->state, job_state::running);
  EXPECT_EQ(progress->progress.files_total, 8u);
  EXPECT_TRUE(progress->files.empty());
  auto again = request<job_record>(jm_, get_atom::value, job_atom::value, t->job_id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->files.size(), 8u);
  auto c = request<job_record>(jm_, cancel_atom::value, t->job_id);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, job_state::cancelled);  // at once, with its batches at the worker
  self_->send(fake, done_atom::value);
  run();
  auto ended = wait(t->job_id);
  EXPECT_EQ(ended.state, job_state::cancelled);
  EXPECT_EQ(batches_of(fake).size(), 2u);  // nothing sent after the cancel
  ASSERT_EQ(ended.files.size(), 8u);
  for (size_t i = 0; i < 8; ++i) {
    auto rel = "/m/f_" + std::to_string(i) + ".bin";
    EXPECT_EQ(ended.files[i].state, step_state::pending) << i;  // it ended before them
    if (i < 4)
      EXPECT_EQ(test::slurp(b_ + rel), test::slurp(a_ + rel));
    else
      EXPECT_FALSE(fs::exists(b_ + rel));
  }
  // What the batches at the worker did is still recorded: the four copied files at b.
  int at_b = 0;
  auto d = db_->get_resource("m");
  ASSERT_TRUE(d);
  for (auto& f : d->files)
    at_b += f.root == b_;
  EXPECT_EQ(at_b, 4);
  // A finished job's progress view comes from the catalogue, without files too.
  auto done = request<job_record>(jm_, progress_atom::value, t->job_id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->state, job_state::cancelled);
  EXPECT_TRUE(done->files.empty());
  EXPECT_FALSE(request<job_record>(jm_, progress_atom::value, uint64_t{999}));
}

TEST_F(job_manager_batch_test, a_mismatch_inside_a_batch_fails_that_file_only) {
  batch_files_ = 4;
  register_many("m", std::vector<size_t>(10, 2500));
  // The source changes after it was hashed: its copy cannot match the record.
  auto victim = a_ + "/m/f_5.bin";
  auto bytes = test::slurp(victim);
  bytes[7] ^= 1;
  write_file(victim, bytes);
  auto copy = req(job_kind::copy, "m");
  copy.dst_root = b_;
  auto j = submit_and_wait(copy);
  ASSERT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("1 of 10"), std::string::npos) << j.error;
  ASSERT_EQ(j.files.size(), 10u);
  for (size_t i = 0; i < 10; ++i) {
    auto rel = "/m/f_" + std::to_string(i) + ".bin";
    if (i == 5) {
      EXPECT_EQ(j.files[i].state, step_state::failed);
      EXPECT_NE(j.files[i].detail.find("checksum_mismatch"), std::string::npos)
        << j.files[i].detail;
      EXPECT_FALSE(fs::exists(b_ + rel));
    } else {
      EXPECT_EQ(j.files[i].state, step_state::done) << i << ": " << j.files[i].detail;
      EXPECT_EQ(test::slurp(b_ + rel), test::slurp(a_ + rel));
    }
  }
  EXPECT_EQ(count_temp_files(b_), 0);
  int at_b = 0;
  auto d = db_->get_resource("m");
  ASSERT_TRUE(d);
  for (auto& f : d->files)
    if (f.root == b_) {
      ++at_b;
      EXPECT_NE(f.rel_path, "m/f_5.bin");
    }
  EXPECT_EQ(at_b, 9);
}

TEST_F(job_manager_batch_test, jobs_on_disjoint_files_run_at_once_and_a_job_on_busy_files_waits) {
  auto fake = use_fake_copier(true);
  register_many("p", {4000, 4000});
  register_many("q", {5000, 5000});
  auto c = dir_ / "c";
  fs::create_directories(c);
  auto copy_p = req(job_kind::copy, "p");
  copy_p.dst_root = b_;
  auto copy_q = req(job_kind::copy, "q");
  copy_q.dst_root = b_;
  auto copy_p_again = req(job_kind::copy, "p");
  copy_p_again.src_root = a_;
  copy_p_again.dst_root = c;
  auto t1 = request<job_ticket>(jm_, submit_atom::value, copy_p);
  auto t2 = request<job_ticket>(jm_, submit_atom::value, copy_q);
  auto t3 = request<job_ticket>(jm_, submit_atom::value, copy_p_again);
  ASSERT_TRUE(t1 && t2 && t3);
  EXPECT_EQ(state_of(t1->job_id), job_state::running);
  EXPECT_EQ(state_of(t2->job_id), job_state::running);
  EXPECT_EQ(state_of(t3->job_id), job_state::queued);  // same resource as job 1
  // Both running jobs have a batch at the shared worker (its two slots, one each).
  EXPECT_EQ(batches_of(fake), (std::vector<size_t>{2, 2}));
  release_until_done(fake, t3->job_id);
  for (auto* t : {&t1, &t2, &t3}) {
    auto j = wait((*t)->job_id);
    EXPECT_EQ(j.state, job_state::done) << j.error;
  }
  EXPECT_EQ(test::slurp(c + "/p/f_1.bin"), test::slurp(a_ + "/p/f_1.bin"));
  EXPECT_EQ(test::slurp(b_ + "/q/f_0.bin"), test::slurp(a_ + "/q/f_0.bin"));
}

TEST_F(job_manager_batch_test, max_active_jobs_one_runs_jobs_in_turn) {
  max_active_jobs_ = 1;
  auto fake = use_fake_copier(true);
  register_many("p", {4000});
  register_many("q", {5000});
  auto copy_p = req(job_kind::copy, "p");
  copy_p.dst_root = b_;
  auto copy_q = req(job_kind::copy, "q");
  copy_q.dst_root = b_;
  auto t1 = request<job_ticket>(jm_, submit_atom::value, copy_p);
  auto t2 = request<job_ticket>(jm_, submit_atom::value, copy_q);
  ASSERT_TRUE(t1 && t2);
  EXPECT_EQ(state_of(t1->job_id), job_state::running);
  EXPECT_EQ(state_of(t2->job_id), job_state::queued);
  release_until_done(fake, t2->job_id);
  EXPECT_EQ(wait(t1->job_id).state, job_state::done);
  EXPECT_EQ(wait(t2->job_id).state, job_state::done);
}

TEST_F(job_manager_batch_test, a_file_already_at_its_final_name_is_adopted_in_a_batch) {
  batch_files_ = 8;
  register_many("m", std::vector<size_t>(5, 1500));
  // As after a kill -9 between a batch's renames and its commit.
  write_file(b_ + "/m/f_2.bin", test::slurp(a_ + "/m/f_2.bin"));
  auto copy = req(job_kind::copy, "m");
  copy.dst_root = b_;
  auto j = submit_and_wait(copy);
  ASSERT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(j.files[2].detail, "adopted");
  EXPECT_EQ(j.files[1].detail, "");
  // A different file at a final name is never overwritten: that file fails.
  write_file(dir_ / "c/m/f_3.bin", "something else");
  copy.src_root = a_;
  copy.dst_root = dir_ / "c";
  auto other = submit_and_wait(copy);
  EXPECT_EQ(other.state, job_state::failed);
  EXPECT_EQ(test::slurp(dir_ / "c/m/f_3.bin"), "something else");
  EXPECT_EQ(other.files[3].state, step_state::failed);
  EXPECT_EQ(other.files[4].state, step_state::done);
}

}  // namespace
}  // namespace d1
