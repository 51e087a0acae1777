// job_manager on real directories (deterministic scheduler, real workers, real LMDB):
// register+hash, copy, move, remove (last-copy refusal, shared files), change_root,
// verify (flipped byte), dry run, cancel with a fake worker, resume, disk full (tmpfs).
#include "actors/mobile/job_manager.hpp"

#include "actors/dataone/checksum.hpp"
#include "actors/mobile/file_ops.hpp"
#include "actors/mobile/workers.hpp"
#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"

#include <sys/mount.h>

#include <filesystem>
#include <fstream>

namespace d1 {
namespace {

namespace fs = std::filesystem;

void write_file(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

int count_temp_files(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.path().filename().string().find(".d1part") != std::string::npos)
      ++n;
  return n;
}

const char* tiff_kwargs
  = R"({"template":"%s%s_%3.3d.tif","filename":"img","frame_per_point":2,"num_points":2})";

class job_manager_test : public test::actor_fixture {
protected:
  void SetUp() override {
    a_ = dir_ / "a";
    b_ = dir_ / "b";
    fs::create_directories(a_);
    fs::create_directories(b_);
    for (int i = 0; i < 4; ++i)
      write_file(a_ + "/scan/img_00" + std::to_string(i) + ".tif",
                 std::string(1000 + i * 5000, static_cast<char>('a' + i)));
    auto db = catalogue_db::open(dir_ / "cat");
    ASSERT_TRUE(db) << describe(db.error());
    db_ = *db;
    start();
  }

  void TearDown() override {
    stop();
  }

  void start() {
    job_manager_config cfg;
    cfg.db = db_;
    cfg.prefs = host_preferences{"test-host", {b_}};
    for (int i = 0; i < 2; ++i) {
      cfg.copiers.push_back(sys_.spawn(copy_worker));
      cfg.hashers.push_back(sys_.spawn(hash_worker));
    }
    workers_ = cfg;
    if (fake_hasher_)
      cfg.hashers = {fake_hasher_};
    jm_ = sys_.spawn(job_manager, cfg);
    run();
  }

  void stop() {
    caf::anon_send_exit(jm_, caf::exit_reason::user_shutdown);
    for (auto& c : workers_.copiers)
      caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
    for (auto& h : workers_.hashers)
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    run();
  }

  job_request req(job_kind kind, const std::string& uid) {
    job_request r;
    r.kind = kind;
    r.uid = uid;
    return r;
  }

  job_record wait(uint64_t id) {
    auto r = request<job_record>(jm_, wait_atom::value, id);
    EXPECT_TRUE(r) << sys_.render(r.error());
    return r ? *r : job_record{};
  }

  // Registers the 4-frame AD_TIFF resource "t" at a_ and waits for its hashes.
  void register_tiff() {
    job_request r;
    r.uid = "t";
    r.spec = "AD_TIFF";
    r.root = a_;
    r.path = "scan";
    r.kwargs = tiff_kwargs;
    auto t = request<job_ticket>(jm_, register_atom::value, r);
    ASSERT_TRUE(t) << sys_.render(t.error());
    auto j = wait(t->job_id);
    ASSERT_EQ(j.state, job_state::done) << j.error;
  }

  job_record submit_and_wait(const job_request& r) {
    auto t = request<job_ticket>(jm_, submit_atom::value, r);
    EXPECT_TRUE(t) << sys_.render(t.error());
    if (!t)
      return {};
    return wait(t->job_id);
  }

  test::temp_dir dir_;
  std::string a_, b_;
  std::shared_ptr<catalogue_db> db_;
  job_manager_config workers_;
  hash_worker_actor fake_hasher_;
  job_manager_actor jm_;
};

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
    EXPECT_EQ(read_file(b_ + rel), read_file(a_ + rel));
  }
  EXPECT_EQ(count_temp_files(b_), 0);
  auto loc = db_->locate("t", host_preferences{"h", {b_}});
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
  auto bytes = read_file(victim);
  bytes[100] ^= 1;
  write_file(victim, bytes);
  auto v = req(job_kind::verify, "t");
  v.level = check_level::size;
  EXPECT_EQ(submit_and_wait(v).state, job_state::done);
  v.level = check_level::hash;
  auto j = submit_and_wait(v);
  ASSERT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("1 of 4"), std::string::npos) << j.error;
  EXPECT_NE(j.files[2].detail.find("hash_mismatch"), std::string::npos) << j.files[2].detail;
  EXPECT_EQ(read_file(victim), bytes);  // never repaired
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

TEST_F(job_manager_test, remove_refuses_the_last_copy_and_keeps_shared_files) {
  register_tiff();
  // A second resource shares one frame file.
  job_request shared;
  shared.uid = "s";
  shared.spec = "RAW";
  shared.root = a_;
  shared.path = "scan/img_000.tif";
  auto t = request<job_ticket>(jm_, register_atom::value, shared);
  ASSERT_TRUE(t);
  ASSERT_EQ(wait(t->job_id).state, job_state::done);
  auto rm = req(job_kind::remove, "t");
  rm.src_root = a_;
  auto refused = request<job_ticket>(jm_, submit_atom::value, rm);
  ASSERT_FALSE(refused);
  EXPECT_EQ(code_of(refused.error()), ec::invalid_argument);
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
  EXPECT_FALSE(request<job_ticket>(jm_, submit_atom::value, rm_b));
  rm_b.force_last = true;
  EXPECT_EQ(submit_and_wait(rm_b).state, job_state::done);
  EXPECT_FALSE(fs::exists(b_ + "/scan/img_001.tif"));
  EXPECT_EQ(db_->history("t")->back().action, "remove");
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
  auto good = read_file(victim);
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

// A hash worker that holds every request until told to answer (done_atom).
using fake_hasher_actor = hash_worker_actor::extend<caf::reacts_to<done_atom>>;

struct fake_hasher_state {
  static constexpr const char* name = "fake_hasher";
  std::vector<std::pair<caf::typed_response_promise<hash_result>, hash_request>> held;
};

fake_hasher_actor::behavior_type
fake_hasher(fake_hasher_actor::stateful_pointer<fake_hasher_state> self) {
  return {
    [self](hash_atom, const hash_request& r) -> caf::result<hash_result> {
      auto rp = self->make_response_promise<hash_result>();
      self->state.held.emplace_back(rp, r);
      return rp;
    },
    [self](done_atom) {
      for (auto& [rp, r] : self->state.held)
        rp.deliver(*check_file(r));
      self->state.held.clear();
    },
  };
}

TEST_F(job_manager_test, cancel_waits_for_files_in_flight_and_queued_jobs_resume) {
  register_tiff();
  stop();
  auto fake = sys_.spawn(fake_hasher);
  fake_hasher_ = caf::actor_cast<hash_worker_actor>(fake);
  start();
  auto v = req(job_kind::verify, "t");
  auto t1 = request<job_ticket>(jm_, submit_atom::value, v);
  auto t2 = request<job_ticket>(jm_, submit_atom::value, v);
  ASSERT_TRUE(t1 && t2);
  auto running = request<job_record>(jm_, get_atom::value, job_atom::value, t1->job_id);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->state, job_state::running);
  auto c = request<job_record>(jm_, cancel_atom::value, t1->job_id);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, job_state::running);  // one file is at the worker
  self_->send(fake, done_atom::value);
  run();
  auto ended = request<job_record>(jm_, get_atom::value, job_atom::value, t1->job_id);
  EXPECT_EQ(ended->state, job_state::cancelled);
  EXPECT_EQ(ended->files[0].state, step_state::done);  // the file in flight was recorded
  // Job 2 is running now; stop the manager with it unfinished and start a new one.
  stop();
  caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
  fake_hasher_ = nullptr;
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
  job_request r;
  r.uid = "big";
  r.spec = "AD_TIFF";
  r.root = a_;
  r.path = "big";
  r.kwargs = R"({"template":"%s%s%d","filename":"f","frame_per_point":3,"num_points":1})";
  auto t = request<job_ticket>(jm_, register_atom::value, r);
  ASSERT_TRUE(t);
  ASSERT_EQ(wait(t->job_id).state, job_state::done);
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
  for (auto& f : d->files)
    if (f.root == small)
      EXPECT_EQ(*hash_file(f.abs_path, "SHA-256"), f.digest);
  ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=4m"), 0)
    << std::strerror(errno);
  auto retry = submit_and_wait(copy);
  EXPECT_EQ(retry.state, job_state::done) << retry.error;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(read_file(small + "/big/f" + std::to_string(i)),
              read_file(a_ + "/big/f" + std::to_string(i)));
}

}  // namespace
}  // namespace d1
