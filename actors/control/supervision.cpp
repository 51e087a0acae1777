// fail_loudly's exception handler and actor_watch's monitoring actor.
#include "actors/control/supervision.hpp"

#include "messages/atoms.hpp"
#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <spdlog/spdlog.h>

#include <map>

namespace d1 {

namespace {

// Enough of a message to recognise it in the log, not so much that one floods it.
constexpr size_t shown_message_bytes = 300;

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

struct watch_state {
  std::map<caf::actor_addr, std::string> names;
  actor_watch::failure_fn on_failure;
  static constexpr const char* name = "actor_watch";
};

caf::behavior watch_actor(caf::stateful_actor<watch_state>* self, actor_watch::failure_fn f) {
  self->state.on_failure = std::move(f);
  self->set_down_handler([=](const caf::down_msg& dm) {
    auto i = self->state.names.find(dm.source);
    if (i == self->state.names.end())
      return;
    auto name = std::move(i->second);
    self->state.names.erase(i);
    if (is_orderly_exit(dm.reason))
      return;
    spdlog::error("actor {} stopped: {}", name, describe(dm.reason));
    self->state.on_failure(name, dm.reason);
  });
  return {
    [=](const caf::actor& who, const std::string& name) {
      self->state.names[who.address()] = name;
      self->monitor(who);
    },
    [=](erase_atom) {
      for (auto& [addr, name] : self->state.names)
        self->demonitor(addr);
      self->state.names.clear();
    },
  };
}

}  // namespace

void fail_loudly(caf::scheduled_actor* self) {
  self->set_exception_handler([](caf::scheduled_actor* s, std::exception_ptr& e) -> caf::error {
    std::string message = "(no message)";
    if (auto* element = s->current_mailbox_element())
      message = caf::to_string(element->content());
    if (message.size() > shown_message_bytes)
      message = message.substr(0, shown_message_bytes) + "…";
    auto text = std::string{s->name()} + " failed on " + message + ": " + what_of(e);
    spdlog::error("{}", text);
    auto err = make_error(ec::actor_failed, text);
    // The request being handled gets the failure at once, not its sender's timeout.
    if (auto* element = s->current_mailbox_element(); element && element->mid.is_request()
                                                      && !element->mid.is_answered())
      s->make_response_promise().deliver(err);
    return err;
  });
}

bool is_orderly_exit(const caf::error& reason) {
  // A long-lived actor stops only when told to: even a "normal" exit is a failure.
  return reason == caf::exit_reason::user_shutdown;
}

actor_watch::actor_watch(caf::actor_system& sys, failure_fn on_failure)
  : sys_(sys), watcher_(sys.spawn<caf::detached>(watch_actor, std::move(on_failure))) {
}

actor_watch::~actor_watch() {
  // Waits (bounded) so that no report runs on after its owner is gone.
  caf::scoped_actor self{sys_};
  self->monitor(watcher_);
  self->send_exit(watcher_, caf::exit_reason::user_shutdown);
  self->receive([](const caf::down_msg&) {},
                caf::after(std::chrono::seconds(60)) >> [] {
                  spdlog::error("actor_watch: a failure report did not end within 60 s");
                });
}

void actor_watch::watch(const caf::actor& who, std::string name) {
  caf::anon_send(watcher_, who, std::move(name));
}

void actor_watch::clear() {
  caf::anon_send(watcher_, erase_atom::value);
}

}  // namespace d1
