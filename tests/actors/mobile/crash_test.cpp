// kill -9 during a move and during a removal: a child process (this test binary,
// re-executed in a helper mode before main) runs the daemon's mobile actors and is
// SIGKILLed at a random moment; the test then restarts them on the same state and checks
// that the job completes, every file has a good copy on disk, no partial file is left or
// registered, the catalogue matches the disk and `catalogue check` finds nothing wrong.
#include "hashing/checksum.hpp"
#include "actors/mobile/mobile.hpp"
#include "messages/error.hpp"
#include "messages/type_registry.hpp"
#include "tests/storage/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

namespace d1 {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* child_env = "D1_MOBILE_CRASH_CHILD";
constexpr int file_count = 12;

struct system_config : caf::actor_system_config {
  system_config() {
    set("logger.verbosity", caf::atom("quiet"));
    d1::add_message_types(*this);
  }
};

daemon_config config_for(const std::string& state) {
  daemon_config cfg;
  cfg.state_dir = state;
  cfg.copy_workers = 2;
  cfg.hash_workers = 2;
  // Several copy batches (12 files → 3), two per worker in flight. Their checkpoints
  // commit together once none is left at the workers (job_manager_config::commit_files),
  // so kills land with files copied but not committed (the resumed job adopts them) and
  // inside that commit.
  cfg.jobs.copy_batch_files = 4;
  return cfg;
}

// Sends one request and waits for the reply (bounded).
template <class Result, class Handle, class... Ts>
caf::expected<Result> ask(caf::actor_system& sys, const Handle& h, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Result> out{make_error(ec::timeout, "no reply in 60 s")};
  self->request(h, std::chrono::seconds(60), std::forward<Ts>(xs)...)
    .receive([&](Result& r) { out = std::move(r); }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

// Child mode: start the mobile actors on the state dir given in the environment, submit
// the move if no job exists yet, wait for every job, exit.
// The job a run is about: a move of "res" from src to dst, or the removal of its copy at
// src (it has a verified copy at dst).
job_request job_of(job_kind kind, const std::string& src, const std::string& dst) {
  job_request r;
  r.kind = kind;
  r.uid = "res";
  if (kind == job_kind::move)
    r.dst_root = dst;
  else
    r.src_root = src;
  return r;
}

int run_child(const std::string& arg) {
  auto sep1 = arg.find('|');
  auto sep2 = arg.find('|', sep1 + 1);
  auto sep3 = arg.find('|', sep2 + 1);
  auto state = arg.substr(0, sep1);
  auto src = arg.substr(sep1 + 1, sep2 - sep1 - 1);
  auto dst = arg.substr(sep2 + 1, sep3 - sep2 - 1);
  auto kind = arg.substr(sep3 + 1) == "remove" ? job_kind::remove : job_kind::move;
  system_config cfg;
  caf::actor_system sys{cfg};
  auto m = start_mobile(sys, config_for(state));
  if (!m)
    return 3;
  auto jobs = ask<std::vector<job_record>>(sys, m->jobs, list_atom::value, job_atom::value);
  if (!jobs)
    return 4;
  uint64_t id = 0;
  for (auto& j : *jobs)
    if (j.request.kind == kind)
      id = j.id;
  if (id == 0) {
    auto t = ask<job_ticket>(sys, m->jobs, submit_atom::value, job_of(kind, src, dst));
    if (!t)
      return 5;
    id = t->job_id;
  }
  auto done = ask<job_record>(sys, m->jobs, wait_atom::value, id);
  m->shutdown();
  return done && done->state == job_state::done ? 0 : 6;
}

// The child's entry: the crash test re-executes this binary with this one test selected
// and the environment variable set. Outside that it does nothing (and says so).
TEST(mobile_crash_child, helper_mode_runs_only_inside_the_crash_test) {
  auto arg = std::getenv(child_env);
  if (!arg) {
    SUCCEED() << "not a child: nothing to do";
    return;
  }
  std::_Exit(run_child(arg));
}

std::string content_of(int i) {
  // Distinct, non-trivial bytes per file: 64 KiB to ~400 KiB, and two files over 4 MiB
  // (read with O_DIRECT by a helper thread: kills land inside that copy too).
  size_t size = i == 3 || i == 8 ? (size_t{5} << 20) + size_t(i) * 4099 : 65536 + i * 30000;
  std::string s(size, '\0');
  for (size_t k = 0; k < s.size(); ++k)
    s[k] = static_cast<char>((k * 131 + i * 7) % 251);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct run_dirs {
  test::temp_dir tmp;
  std::string src = tmp / "src";
  std::string dst = tmp / "dst";
  std::string state = tmp / "state";
};

void prepare(run_dirs& d, job_kind kind) {
  fs::create_directories(d.src + "/run");
  fs::create_directories(d.dst);
  for (int i = 0; i < file_count; ++i) {
    std::ofstream out(d.src + "/run/f_" + std::to_string(i) + ".bin", std::ios::binary);
    out << content_of(i);
  }
  system_config cfg;
  caf::actor_system sys{cfg};
  auto m = start_mobile(sys, config_for(d.state));
  ASSERT_TRUE(m) << describe(m.error());
  job_request r;
  r.uid = "res";
  r.spec = "AD_TIFF";
  r.root = d.src;
  r.path = "run";
  r.kwargs = R"({"template":"%s%s_%d.bin","filename":"f","frame_per_point":)"
             + std::to_string(file_count) + R"(,"num_points":1})";
  auto t = ask<job_ticket>(sys, m->jobs, register_atom::value, r);
  ASSERT_TRUE(t) << describe(t.error());
  auto j = ask<job_record>(sys, m->jobs, wait_atom::value, t->job_id);
  ASSERT_TRUE(j);
  ASSERT_EQ(j->state, job_state::done) << j->error;
  if (kind == job_kind::remove) {  // a second verified copy, so the first may go
    job_request copy;
    copy.kind = job_kind::copy;
    copy.uid = "res";
    copy.dst_root = d.dst;
    auto c = ask<job_ticket>(sys, m->jobs, submit_atom::value, copy);
    ASSERT_TRUE(c) << describe(c.error());
    auto cj = ask<job_record>(sys, m->jobs, wait_atom::value, c->job_id);
    ASSERT_TRUE(cj);
    ASSERT_EQ(cj->state, job_state::done) << cj->error;
  }
  m->shutdown();
}

// Runs the child and kills it after `delay` (if it is still running). Returns its
// exit status, or -9 if it was killed.
int run_and_kill(const run_dirs& d, job_kind kind, std::chrono::microseconds delay) {
  auto arg = d.state + "|" + d.src + "|" + d.dst + "|" + to_string(kind);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv(child_env, arg.c_str(), 1);
    // Quiet: GoogleTest's banner would interleave with the parent's output.
    if (int null = ::open("/dev/null", O_WRONLY); null >= 0)
      ::dup2(null, STDOUT_FILENO);
    ::execl("/proc/self/exe", "d1drive_tests",
            "--gtest_filter=mobile_crash_child.helper_mode_runs_only_inside_the_crash_test",
            nullptr);
    std::_Exit(127);
  }
  // Poll for an early exit so the caller can measure how long a whole run takes.
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + delay;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(200us);
  }
  if (WIFSIGNALED(status))
    return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

// Restarts on the same state, lets every job finish, and checks the invariant. Counts in
// `resumed` the runs that found the move recorded but unfinished (killed mid-job).
void check_after_restart(const run_dirs& d, job_kind kind, int run, int& resumed) {
  SCOPED_TRACE("run " + std::to_string(run));
  system_config cfg;
  caf::actor_system sys{cfg};
  auto m = start_mobile(sys, config_for(d.state));
  ASSERT_TRUE(m) << describe(m.error());
  auto jobs = ask<std::vector<job_record>>(sys, m->jobs, list_atom::value, job_atom::value);
  ASSERT_TRUE(jobs);
  uint64_t id = 0;
  for (auto& j : *jobs)
    if (j.request.kind == kind) {
      id = j.id;
      resumed += j.state == job_state::running || j.state == job_state::queued;
    }
  if (id == 0) {  // killed before the job was recorded: submit it now
    auto t = ask<job_ticket>(sys, m->jobs, submit_atom::value, job_of(kind, d.src, d.dst));
    ASSERT_TRUE(t) << describe(t.error());
    id = t->job_id;
  }
  auto done = ask<job_record>(sys, m->jobs, wait_atom::value, id);
  ASSERT_TRUE(done) << describe(done.error());
  EXPECT_EQ(done->state, job_state::done) << done->error;
  auto detail = m->db->get_resource("res");
  ASSERT_TRUE(detail);
  // Catalogue: every file recorded once, at the destination, verified.
  ASSERT_EQ(detail->files.size(), static_cast<size_t>(file_count));
  for (auto& f : detail->files) {
    EXPECT_EQ(f.root, d.dst);
    EXPECT_EQ(f.state, file_state::ok);
    EXPECT_EQ(*hash_file(f.abs_path, "SHA-256"), f.digest) << f.abs_path;
    EXPECT_EQ(m->db->refs(f.abs_path)->refs.size(), 1u);
    EXPECT_TRUE(m->db->refs(d.src + "/" + f.rel_path)->refs.empty());
  }
  // Disk: every file at the destination with its bytes, none left at the source, no
  // temporary files anywhere.
  for (int i = 0; i < file_count; ++i) {
    auto rel = "/run/f_" + std::to_string(i) + ".bin";
    EXPECT_EQ(read_file(d.dst + rel), content_of(i)) << rel;
    EXPECT_FALSE(fs::exists(d.src + rel)) << rel;
  }
  for (auto* root : {&d.src, &d.dst})
    for (auto& e : fs::recursive_directory_iterator(*root))
      EXPECT_EQ(e.path().filename().string().find(".d1part"), std::string::npos) << e.path();
  auto report = m->db->check();
  ASSERT_TRUE(report);
  for (auto& p : report->problems)
    ADD_FAILURE() << "catalogue check: " << p;
  m->shutdown();
}

// Kills children doing `kind` at a uniformly random moment of the time a whole child run
// takes, at least 20 times (bounded to 150 s), restarting and checking after each.
void crash_runs(job_kind kind) {
  auto t0 = std::chrono::steady_clock::now();
  int resumed = 0;
  {
    run_dirs d;
    prepare(d, kind);
    ASSERT_EQ(run_and_kill(d, kind, 0us), -SIGKILL);  // killed at once
    check_after_restart(d, kind, 0, resumed);
  }
  std::chrono::microseconds span;
  {
    run_dirs d;
    prepare(d, kind);
    auto start = std::chrono::steady_clock::now();
    auto rc = run_and_kill(d, kind, 10s);
    span = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
    ASSERT_EQ(rc, 0) << "the child could not complete the job on its own";
    check_after_restart(d, kind, 1, resumed);
  }
  std::mt19937 rng{kind == job_kind::move ? 12345u : 54321u};
  auto budget = std::chrono::steady_clock::now() + 150s;
  int runs = 0;
  int killed = 0;
  for (int run = 2; run < 24 && std::chrono::steady_clock::now() < budget; ++run) {
    run_dirs d;
    prepare(d, kind);
    std::uniform_int_distribution<long> pick(0, static_cast<long>(span.count()));
    auto rc = run_and_kill(d, kind, std::chrono::microseconds(pick(rng)));
    killed += rc == -SIGKILL;
    check_after_restart(d, kind, run, resumed);
    ++runs;
    if (::testing::Test::HasFatalFailure())
      return;
  }
  EXPECT_GE(runs, 20);
  EXPECT_GT(resumed, 0) << "no kill landed inside a job: the test proved nothing";
  std::cout << to_string(kind) << " crash runs: " << runs << ", killed mid-way: " << killed
            << ", resumed unfinished: " << resumed
            << ", uninterrupted child: " << span.count() / 1000 << " ms, total "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - t0)
                 .count()
            << " ms\n";
}

TEST(mobile_crash, kill_9_during_a_move_then_restart_keeps_every_file) {
  crash_runs(job_kind::move);
}

TEST(mobile_crash, kill_9_during_a_removal_then_restart_keeps_every_file) {
  crash_runs(job_kind::remove);
}

}  // namespace
}  // namespace d1
