// The job manager on real directories under the deterministic scheduler: real workers,
// a real catalogue (LMDB), a 4-frame AD_TIFF resource under root a, a second root b.
// Tests derive from it and may swap in fake workers or a fault-injecting disk.
#pragma once

#include "actors/mobile/copy_batch.hpp"
#include "actors/mobile/datum_hash.hpp"
#include "actors/mobile/file_checks.hpp"
#include "actors/mobile/job_manager.hpp"
#include "actors/mobile/remove_batch.hpp"
#include "actors/mobile/workers.hpp"
#include "messages/error.hpp"
#include "tests/actors/mobile/copy_items.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/actor_fixture.hpp"
#include "tests/support/files.hpp"

#include <filesystem>
#include <functional>

namespace d1::test {

namespace fs = std::filesystem;

inline const char* tiff_kwargs
  = R"({"template":"%s%s_%3.3d.tif","filename":"img","frame_per_point":2,"num_points":2})";

// A hash worker that holds every request (files and datums) until told to answer
// (done_atom), then answers them as the real one would.
using fake_hasher_actor = hash_worker_actor::extend<caf::reacts_to<done_atom>>;

struct fake_hasher_state {
  static constexpr const char* name = "fake_hasher";
  std::vector<std::pair<caf::typed_response_promise<std::vector<hash_result>>,
                        std::vector<hash_request>>>
    held_batches;
  std::vector<std::pair<caf::typed_response_promise<std::vector<datum_hash_result>>,
                        std::vector<datum_hash_request>>>
    held_datums;
};

inline fake_hasher_actor::behavior_type
fake_hasher(fake_hasher_actor::stateful_pointer<fake_hasher_state> self) {
  return {
    [self](hash_atom, const std::vector<hash_request>& rs,
           uint64_t) -> caf::result<std::vector<hash_result>> {
      auto rp = self->make_response_promise<std::vector<hash_result>>();
      self->state.held_batches.emplace_back(rp, rs);
      return rp;
    },
    [self](datum_atom,
           const std::vector<datum_hash_request>& rs) -> caf::result<std::vector<datum_hash_result>> {
      auto rp = self->make_response_promise<std::vector<datum_hash_result>>();
      self->state.held_datums.emplace_back(rp, rs);
      return rp;
    },
    [self](done_atom) {
      for (auto& [rp, rs] : self->state.held_batches)
        rp.deliver(check_files(test::io(), rs));
      self->state.held_batches.clear();
      for (auto& [rp, rs] : self->state.held_datums) {
        auto io = test::io();
        std::vector<datum_hash_result> out;
        for (auto& r : rs)
          out.push_back(hash_datum(io, r));
        rp.deliver(out);
      }
      self->state.held_datums.clear();
    },
  };
}

class job_fixture : public actor_fixture {
protected:
  void SetUp() override {
    a_ = dir_ / "a";
    b_ = dir_ / "b";
    fs::create_directories(a_);
    fs::create_directories(b_);
    for (int i = 0; i < 4; ++i)
      test::write_file(a_ + "/scan/img_00" + std::to_string(i) + ".tif",
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
    setup_.fs = disk_;
    job_manager_config cfg;
    cfg.db = db_;
    cfg.fs = disk_;
    cfg.interrupts = setup_.interrupts;
    cfg.recheck = recheck_;
    cfg.file_retries = file_retries_;
    cfg.retry_backoff = std::chrono::milliseconds(100);
    cfg.scrub_every = scrub_every_;
    cfg.scrub_check = std::chrono::minutes(1);
    cfg.prefs = host_preferences{"test-host", {b_}, {}};
    for (int i = 0; i < 2; ++i) {
      cfg.copiers.push_back(sys_.spawn(copy_worker, copy_finisher_actor{}, setup_));
      cfg.hashers.push_back(sys_.spawn(hash_worker, setup_));
    }
    workers_ = cfg;
    if (fake_hasher_)
      cfg.hashers = {fake_hasher_};
    if (fake_copier_)
      cfg.copiers = {fake_copier_};
    cfg.new_copier = new_copier_;
    cfg.copy_batch_files = batch_files_;
    cfg.copy_batch_bytes = batch_bytes_;
    cfg.max_active_jobs = max_active_jobs_;
    cfg.commit_files = commit_files_;
    cfg.commit_interval = commit_interval_;
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

  // The job a ticket names, once it ended; an empty record (and a failure) without one.
  job_record wait_for(const caf::expected<job_ticket>& t) {
    EXPECT_TRUE(t) << sys_.render(t.error());
    if (!t)
      return {};
    return wait(t->job_id);
  }

  // A registration of resource `uid` (`spec`) at root/path.
  static job_request registration(const std::string& uid, const std::string& spec,
                                  const std::string& root, const std::string& path,
                                  const std::string& kwargs = {}) {
    job_request r;
    r.uid = uid;
    r.spec = spec;
    r.root = root;
    r.path = path;
    r.kwargs = kwargs;
    return r;
  }

  // Registers through the manager and waits for the hashing job.
  job_record register_and_wait(const job_request& r) {
    return wait_for(request<job_ticket>(jm_, register_atom::value, r));
  }

  // Registers the 4-frame AD_TIFF resource "t" at a_ and waits for its hashes.
  void register_tiff() {
    auto j = register_and_wait(registration("t", "AD_TIFF", a_, "scan", tiff_kwargs));
    ASSERT_EQ(j.state, job_state::done) << j.error;
  }

  job_record submit_and_wait(const job_request& r) {
    return wait_for(request<job_ticket>(jm_, submit_atom::value, r));
  }

  // Restarts the manager with one fake_hasher (it holds every request until sent
  // done_atom); returns the fake.
  fake_hasher_actor use_fake_hasher() {
    stop();
    auto fake = sys_.spawn(fake_hasher);
    fake_hasher_ = caf::actor_cast<hash_worker_actor>(fake);
    start();
    return fake;
  }

  // Stops the manager and `fake`; the next start() uses the real hash workers.
  void stop_fake_hasher(const fake_hasher_actor& fake) {
    stop();
    caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
    fake_hasher_ = nullptr;
  }

  job_state state_of(uint64_t id) {
    auto j = request<job_record>(jm_, get_atom::value, job_atom::value, id);
    return j ? j->state : job_state::failed;
  }

  // Lets `fake` (a worker holding what it is sent) answer, round by round, until job `id`
  // is done; at most ten rounds.
  template <class Worker>
  void release_until_done(const Worker& fake, uint64_t id) {
    for (int round = 0; round < 10 && state_of(id) != job_state::done; ++round) {
      self_->send(fake, done_atom::value);
      run();
    }
  }

  temp_dir dir_;
  std::string a_, b_;
  std::shared_ptr<catalogue_db> db_;
  job_manager_config workers_;
  worker_setup setup_{make_posix_file_system(), true, std::make_shared<job_interrupts>()};
  std::shared_ptr<file_system> disk_ = make_posix_file_system();  // the workers' disk
  recheck_mode recheck_ = recheck_mode::stat;
  uint32_t file_retries_ = 3;
  std::chrono::milliseconds scrub_every_{0};
  hash_worker_actor fake_hasher_;
  copy_worker_actor fake_copier_;
  std::function<copy_worker_actor()> new_copier_;  // how the manager replaces a copy worker
  uint32_t batch_files_ = 256;
  uint64_t batch_bytes_ = 256ull << 20;
  uint32_t max_active_jobs_ = 2;
  uint32_t commit_files_ = 1024;
  // Not the default: a slow machine must not turn the counts of commits below into timing.
  std::chrono::milliseconds commit_interval_ = std::chrono::hours(1);
  job_manager_actor jm_;
};

}  // namespace d1::test
