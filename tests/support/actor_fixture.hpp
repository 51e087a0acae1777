// A GoogleTest fixture for deterministic actor tests: CAF's test_coordinator scheduler,
// driven by hand (run, advance_time), and a scoped actor to send requests from the test.
#pragma once

#include "messages/type_registry.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

namespace d1::test {

class actor_fixture : public ::testing::Test {
protected:
  struct config : caf::actor_system_config {
    config() {
      set("scheduler.policy", caf::atom("testing"));
      set("logger.verbosity", caf::atom("quiet"));
      d1::add_message_types(*this);
    }
  };

  actor_fixture()
    : sys_(cfg_),
      sched_(dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler())),
      self_(sys_, true) {
  }

  ~actor_fixture() override {
    run();
  }

  /// Runs every pending job (messages, timeouts already due) until nothing is left.
  void run() {
    sched_.run();
  }

  /// Moves the simulated clock forward and runs what became due.
  void advance(std::chrono::milliseconds d) {
    sched_.advance_time(d);
    sched_.run();
  }

  /// Sends from the test's scoped actor and runs the system, without waiting for the
  /// answer: collect it later with reply() (e.g. after advancing the clock).
  template <class Handle, class... Ts>
  void post(const Handle& dest, Ts&&... xs) {
    self_->send(caf::actor_cast<caf::actor>(dest), std::forward<Ts>(xs)...);
    run();
  }

  /// The next answer waiting for the test's scoped actor: the value, or the error it
  /// carries; "no reply" when none is there (received with a zero timeout).
  template <class Result>
  caf::expected<Result> reply() {
    std::optional<caf::expected<Result>> out;
    self_->receive(
      [&](Result& r) { out = std::move(r); },
      [&](caf::error& e) { out = caf::expected<Result>{std::move(e)}; },
      caf::after(std::chrono::seconds(0)) >> [&] {});
    if (!out)
      return caf::make_error(caf::sec::request_receiver_down, "no reply");
    return std::move(*out);
  }

  /// Sends a request from the test's scoped actor, runs the system and returns the
  /// reply (or the error). A request the system cannot answer without more time is
  /// reported as "no reply".
  template <class Result, class Handle, class... Ts>
  caf::expected<Result> request(const Handle& dest, Ts&&... xs) {
    post(dest, std::forward<Ts>(xs)...);
    return reply<Result>();
  }

  config cfg_;
  caf::actor_system sys_;
  caf::scheduler::test_coordinator& sched_;
  caf::scoped_actor self_;
};

}  // namespace d1::test
