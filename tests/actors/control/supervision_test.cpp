// Actors that fail loudly and recover: an exception in a handler stops the actor with an
// error that names it and the message, logged; actor_watch reports it (never an orderly
// stop); daemon_supervisor restarts the mount's actors and gives up after too many
// restarts. Real actor system (the watch runs detached), every wait bounded.
#include "actors/control/control_requests.hpp"
#include "actors/control/daemon.hpp"
#include "actors/control/daemon_system.hpp"
#include "actors/control/supervision.hpp"
#include "actors/mobile/mobile.hpp"

#include "messages/error.hpp"
#include "messages/type_registry.hpp"
#include "tests/storage/temp_dir.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

namespace d1 {
namespace {

using namespace std::chrono_literals;

struct thrower_state {
  static constexpr const char* name = "thrower";
};

caf::behavior thrower(caf::stateful_actor<thrower_state>* self) {
  return {
    [](const std::string& text) -> std::string {
      if (text == "invariant")
        check_invariant(false, "a broken promise");
      if (text != "fine")
        throw std::runtime_error("boom");
      return "ok";
    },
  };
}

struct sys_config : caf::actor_system_config {
  sys_config() {
    set("scheduler.policy", caf::atom("sharing"));
    set("logger.verbosity", caf::atom("quiet"));
    d1::add_message_types(*this);
  }
};

// Captures what spdlog writes while it lives.
class log_capture {
public:
  log_capture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~log_capture() {
    spdlog::set_default_logger(previous_);
  }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Failure reports of an actor_watch, waited for with a bound.
struct reports {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::pair<std::string, std::string>> got;  // name, describe(reason)

  actor_watch::failure_fn fn() {
    return [this](const std::string& name, const caf::error& reason) {
      std::lock_guard<std::mutex> guard{mtx};
      got.emplace_back(name, describe(reason));
      cv.notify_all();
    };
  }
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout, [&] { return got.size() >= n; });
  }
};

caf::actor spawn_loud_thrower(caf::actor_system& sys) {
  return sys.spawn([](caf::stateful_actor<thrower_state>* self) {
    fail_loudly(self);
    return thrower(self);
  });
}

TEST(supervision, an_exception_stops_the_actor_with_its_name_and_message_in_the_log) {
  log_capture log;
  sys_config cfg;
  caf::actor_system sys{cfg};
  auto a = spawn_loud_thrower(sys);
  caf::scoped_actor self{sys};
  self->monitor(a);
  self->send(a, std::string{"the message that kills"});
  caf::error reason;
  self->receive([&](const caf::down_msg& dm) { reason = dm.reason; },
                caf::after(10s) >> [] { FAIL() << "no down message"; });
  auto text = describe(reason);
  EXPECT_NE(text.find("thrower failed on"), std::string::npos) << text;
  EXPECT_NE(text.find("the message that kills"), std::string::npos) << text;
  EXPECT_NE(text.find("boom"), std::string::npos) << text;
  auto logged = log.text();
  EXPECT_NE(logged.find("thrower failed on"), std::string::npos) << logged;
  EXPECT_NE(logged.find("the message that kills"), std::string::npos) << logged;
}

TEST(supervision, a_request_that_kills_the_actor_is_answered_with_the_failure_at_once) {
  log_capture log;
  sys_config cfg;
  caf::actor_system sys{cfg};
  auto a = spawn_loud_thrower(sys);
  caf::scoped_actor self{sys};
  caf::error got;
  // Unanswered, the request would end with the request's own timeout (another error).
  self->request(a, 60s, std::string{"invariant"})
    .receive([](const std::string&) { ADD_FAILURE() << "an answer from a broken actor"; },
             [&](caf::error& err) { got = std::move(err); });
  EXPECT_EQ(code_of(got), ec::actor_failed) << describe(got);
  EXPECT_NE(describe(got).find("a broken promise"), std::string::npos) << describe(got);
}

TEST(supervision, the_watch_reports_failures_and_ignores_orderly_stops) {
  sys_config cfg;
  caf::actor_system sys{cfg};
  reports r;
  {
    actor_watch watch{sys, r.fn()};
    auto stops_orderly = sys.spawn(thrower);
    auto fails = spawn_loud_thrower(sys);
    watch.watch(caf::actor_cast<caf::actor>(stops_orderly), "orderly one");
    watch.watch(caf::actor_cast<caf::actor>(fails), "failing one");
    caf::anon_send_exit(stops_orderly, caf::exit_reason::user_shutdown);
    caf::anon_send(fails, std::string{"invariant"});
    ASSERT_TRUE(r.wait_for(1));
    std::this_thread::sleep_for(100ms);  // an (unexpected) second report would be here
  }
  std::lock_guard<std::mutex> guard{r.mtx};
  ASSERT_EQ(r.got.size(), 1u);
  EXPECT_EQ(r.got[0].first, "failing one");
  EXPECT_NE(r.got[0].second.find("a broken promise"), std::string::npos) << r.got[0].second;
}

// An actor system and a daemon_config over a fresh state dir, whose node nobody answers.
struct daemon_fixture {
  daemon_fixture() {
    dc.state_dir = dir.path();
    dc.base_url = "http://127.0.0.1:9/cn";
  }
  sys_config cfg;
  caf::actor_system sys{cfg};
  test::temp_dir dir;
  daemon_config dc;

  // The supervisor's reports: the gateway of each restarted set, and why it gave up.
  // `on_restart` runs first with the fresh set.
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<fs_gateway_actor> gateways;
  std::string gave_up;
  std::function<void(const daemon_actors&)> on_restart;

  daemon_supervisor::hooks hooks() {
    daemon_supervisor::hooks h;
    h.restarted = [this](const daemon_actors& fresh) {
      if (on_restart)
        on_restart(fresh);
      std::lock_guard<std::mutex> guard{mtx};
      gateways.push_back(fresh.gateway);
      cv.notify_all();
    };
    h.give_up = [this](const std::string& why) {
      std::lock_guard<std::mutex> guard{mtx};
      gave_up = why;
      cv.notify_all();
    };
    return h;
  }

  // Waits (30 s at most) until `n` restarts or a give-up were reported.
  bool wait_for_restarts(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, 30s, [&] { return gateways.size() >= n || !gave_up.empty(); });
  }
};

TEST(supervision, the_mounts_actors_restart_after_a_failure_and_give_up_after_too_many) {
  daemon_fixture f;
  auto& sys = f.sys;
  auto& dc = f.dc;
  auto state = open_daemon_state(dc);
  ASSERT_TRUE(state) << describe(state.error());
  auto sup = daemon_supervisor::start(sys, dc, *state, f.hooks());
  ASSERT_TRUE(sup) << describe(sup.error());
  auto first = (*sup)->actors();
  // A failed crawl guard (once: an exception from a huge `crawl allow` pid) must not leave
  // the mount without one: every actor is started anew.
  caf::anon_send_exit(first.crawl, caf::exit_reason::unhandled_exception);
  ASSERT_TRUE(f.wait_for_restarts(1));
  auto second = (*sup)->actors();
  EXPECT_NE(second.gateway, first.gateway);
  EXPECT_NE(second.crawl, first.crawl);
  EXPECT_EQ((*sup)->restarts(), 1u);
  caf::scoped_actor self{sys};
  std::string listed;
  self->request(second.crawl, 10s, list_atom::value)
    .receive([&](std::string& text) { listed = text; },
             [&](caf::error& err) { FAIL() << describe(err); });
  EXPECT_NE(listed.find("crawl guard"), std::string::npos) << listed;
  // Failing again and again: it gives up after max_restarts within the window.
  for (size_t i = 1; i <= daemon_supervisor::max_restarts; ++i) {
    auto current = (*sup)->actors();
    caf::anon_send_exit(current.attrs, caf::exit_reason::unhandled_exception);
    ASSERT_TRUE(f.wait_for_restarts(i + 1)) << i;
  }
  std::lock_guard<std::mutex> guard{f.mtx};
  EXPECT_NE(f.gave_up.find("attr_cache failed"), std::string::npos) << f.gave_up;
  EXPECT_EQ(f.gateways.size(), daemon_supervisor::max_restarts);
}

// Status/jobs.json as the status actor of `actors` answers it: the text, or the error.
caf::expected<std::string> jobs_json_of(caf::actor_system& sys, const daemon_actors& actors) {
  caf::scoped_actor self{sys};
  caf::expected<std::string> out = caf::make_error(caf::sec::request_timeout);
  self->request(actors.status, 10s, get_attr_atom::value,
                resolve_request{{"Status", "jobs.json"}, 1, 1})
    .receive([&](node_info& info) { out = info.text(); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

TEST(supervision, a_restarted_status_still_has_the_mobile_halfs_job_manager) {
  daemon_fixture f;
  auto& sys = f.sys;
  auto& dc = f.dc;
  auto mobile = start_mobile(sys, dc);
  ASSERT_TRUE(mobile) << describe(mobile.error());
  auto state = open_daemon_state(dc);
  ASSERT_TRUE(state) << describe(state.error());
  state->mobile.jobs = mobile->jobs;
  auto sup = daemon_supervisor::start(sys, dc, *state, f.hooks());
  ASSERT_TRUE(sup) << describe(sup.error());
  auto before = jobs_json_of(sys, (*sup)->actors());
  ASSERT_TRUE(before) << describe(before.error());
  EXPECT_EQ(nlohmann::json::parse(*before)["jobs"], nlohmann::json::array());
  caf::anon_send_exit((*sup)->actors().content, caf::exit_reason::unhandled_exception);
  ASSERT_TRUE(f.wait_for_restarts(1));
  auto after = jobs_json_of(sys, (*sup)->actors());
  ASSERT_TRUE(after) << "the restarted status lost the job manager: " << describe(after.error());
  EXPECT_TRUE(nlohmann::json::parse(*after)["jobs"].is_array());
  (*sup)->shutdown();
  mobile->shutdown();
}

// Captures the lines a control handler writes for one request.
class captured_lines : public request_context {
public:
  bool write(const nlohmann::json& line) override {
    lines.push_back(line);
    return true;
  }
  bool cancelled() override {
    return false;
  }
  std::vector<nlohmann::json> lines;
};

nlohmann::json result_of(const request_handler& handler, const nlohmann::json& request) {
  captured_lines ctx;
  handler(request, ctx);
  return ctx.lines.empty() ? nlohmann::json{} : ctx.lines.back();
}

TEST(supervision, the_control_socket_talks_to_the_restarted_sets_crawl_guard) {
  daemon_fixture f;
  auto& sys = f.sys;
  auto& dc = f.dc;
  auto state = open_daemon_state(dc);
  ASSERT_TRUE(state) << describe(state.error());
  auto link = std::make_shared<mount_link>();
  auto handler = make_control_handler(sys, {}, {}, control_info{}, link);
  nlohmann::json list{{"command", "crawl.list"}};
  // No mount yet: the same clear error as under `d1drive serve`.
  auto none = result_of(handler, list);
  EXPECT_EQ(none["ok"], false) << none;
  EXPECT_EQ(none["error"]["code"], "unavailable") << none;
  f.on_restart = [&link](const daemon_actors& fresh) { link->set({fresh.crawl, fresh.content}); };
  auto sup = daemon_supervisor::start(sys, dc, *state, f.hooks());
  ASSERT_TRUE(sup) << describe(sup.error());
  auto first = (*sup)->actors();
  link->set({first.crawl, first.content});
  auto before = result_of(handler, list);
  EXPECT_EQ(before["ok"], true) << before;
  caf::scoped_actor self{sys};
  self->monitor(first.crawl);
  caf::anon_send_exit(first.crawl, caf::exit_reason::unhandled_exception);
  self->receive([](const caf::down_msg&) {},
                caf::after(10s) >> [] { FAIL() << "the first crawl guard did not stop"; });
  ASSERT_TRUE(f.wait_for_restarts(1));
  // The first guard is gone: an answer can only come from the restarted set's.
  auto second = (*sup)->actors();
  ASSERT_NE(second.crawl, first.crawl);
  EXPECT_EQ(link->get().crawl, second.crawl);
  auto after = result_of(handler, list);
  EXPECT_EQ(after["ok"], true) << after;
  EXPECT_NE(after["result"]["text"].get<std::string>().find("crawl guard"), std::string::npos)
    << after;
  auto allowed = result_of(handler, {{"command", "crawl.allow"}, {"args", {{"who", "find"}}}});
  EXPECT_EQ(allowed["ok"], true) << allowed;
  (*sup)->shutdown();
  link->set({});
  auto gone = result_of(handler, list);
  EXPECT_EQ(gone["error"]["code"], "unavailable") << gone;
}

// One request over the control socket at `socket`: its result line, or null.
nlohmann::json ask_socket(const std::string& socket, const nlohmann::json& request) {
  auto conn = control_connection::connect(socket);
  if (!conn || conn->send(request))
    return {};
  auto line = conn->read_line(10000);
  return line ? nlohmann::json::parse(*line, nullptr, false) : nlohmann::json{};
}

TEST(supervision, the_daemon_system_wires_the_control_socket_to_the_current_mount) {
  daemon_fixture f;
  auto& sys = f.sys;
  auto& dc = f.dc;
  dc.backup_every_s = 0;
  auto state = open_daemon_state(dc);
  ASSERT_TRUE(state) << describe(state.error());
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<fs_gateway_actor> gateways;
  std::string failed;
  daemon_system::hooks hooks;
  hooks.restarted = [&](const fs_gateway_actor& g) {
    std::lock_guard<std::mutex> guard{mtx};
    gateways.push_back(g);
    cv.notify_all();
  };
  hooks.failed = [&](const std::string& why) {
    std::lock_guard<std::mutex> guard{mtx};
    failed = why;
  };
  auto socket = control_socket_path(dc.state_dir);
  nlohmann::json list{{"command", "crawl.list"}};
  {
    // `d1drive serve`: no mount, so no crawl guard.
    auto served = daemon_system::start(sys, dc, make_control_info(dc, ""), nullptr, hooks);
    ASSERT_TRUE(served) << describe(served.error());
    EXPECT_FALSE((*served)->gateway());
    auto none = ask_socket(socket, list);
    EXPECT_EQ(none["error"]["code"], "unavailable") << none;
    (*served)->stop();
  }
  auto mounted = daemon_system::start(sys, dc, make_control_info(dc, "/mnt"), &*state, hooks);
  ASSERT_TRUE(mounted) << describe(mounted.error());
  auto first = (*mounted)->gateway();
  ASSERT_TRUE(first);
  auto before = ask_socket(socket, list);
  EXPECT_EQ(before["ok"], true) << before;
  // A failed mount actor restarts the set; the socket then reaches the new crawl guard.
  caf::anon_send_exit(first, caf::exit_reason::unhandled_exception);
  {
    std::unique_lock<std::mutex> guard{mtx};
    ASSERT_TRUE(cv.wait_for(guard, 30s, [&] { return gateways.size() == 1; }));
  }
  EXPECT_NE((*mounted)->gateway(), first);
  EXPECT_EQ((*mounted)->gateway(), gateways[0]);
  auto after = ask_socket(socket, list);
  EXPECT_EQ(after["ok"], true) << after;
  (*mounted)->stop();
  EXPECT_FALSE(control_connection::connect(socket));  // the socket is gone
  std::lock_guard<std::mutex> guard{mtx};
  EXPECT_EQ(failed, "");
}

}  // namespace
}  // namespace d1
