// A deterministic actor fixture for an actor that talks to an http_client: the scripted
// fake client of tests/actors/dataone/fake_http_client.hpp, the actor under test spawned
// with it, and sends whose replies are collected later (to step simulated time between).
#pragma once

#include "tests/actors/dataone/fake_http_client.hpp"
#include "tests/support/actor_fixture.hpp"

#include <caf/send.hpp>

#include <memory>
#include <utility>

namespace d1::test {

/// `Subject` is the handle type of the actor under test (e.g. node_client_actor).
template <class Subject>
class fake_http_fixture : public actor_fixture {
protected:
  fake_http_fixture()
    : script_(std::make_shared<fake_http_script>()), http_(spawn_fake_http(sys_, script_)) {
  }

  ~fake_http_fixture() override {
    if (subject_)
      caf::anon_send_exit(subject_, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(http_, caf::exit_reason::user_shutdown);
  }

  /// Spawns the actor under test as fun(self, xs..., http_), runs until idle and returns
  /// its handle (also kept in subject_ and stopped with the fixture).
  template <class F, class... Ts>
  Subject spawn_subject(F fun, Ts&&... xs) {
    subject_ = sys_.spawn(fun, std::forward<Ts>(xs)..., http_);
    run();
    return subject_;
  }

  /// Sends to the actor under test without waiting: collect the answer with reply<R>().
  template <class... Ts>
  void send(Ts&&... xs) {
    post(subject_, std::forward<Ts>(xs)...);
  }

  std::shared_ptr<fake_http_script> script_;  // what the fake answers and was asked
  http_client_actor http_;
  Subject subject_;
};

}  // namespace d1::test
