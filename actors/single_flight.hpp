// single_flight: callers asking an actor for the same thing while it is being fetched wait
// for the one fetch instead of starting their own. Used inside one actor, so not locked.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <utility>
#include <variant>
#include <vector>

namespace d1 {

/// The waiters of each fetch in flight, by the key of what is fetched. `Result` is what
/// every waiter gets (usually a caf::expected<T>: a failure reaches them all). A key is
/// free again as soon as its fetch finished: the next caller starts a new one.
template <class Key, class Result>
class single_flight {
public:
  using waiter = std::function<void(Result)>;

  /// Adds `done` to the waiters of `key`. Returns true if no fetch of `key` was in flight:
  /// the caller must start it (and call finish when it ends); false if `done` joined one.
  bool join(const Key& key, waiter done) {
    auto [i, fresh] = flights_.try_emplace(key);
    i->second.push_back(std::move(done));
    return fresh;
  }

  /// Marks a fetch of `key` as in flight with no waiter yet (a fetch made ahead of its
  /// caller). Returns false if one was in flight already.
  bool start(const Key& key) {
    return flights_.try_emplace(key).second;
  }

  bool in_flight(const Key& key) const {
    return flights_.count(key) > 0;
  }

  /// The number of callers waiting for `key` (0 also when none is in flight).
  size_t waiting(const Key& key) const {
    auto i = flights_.find(key);
    return i == flights_.end() ? 0 : i->second.size();
  }

  /// The number of fetches in flight.
  size_t size() const {
    return flights_.size();
  }

  /// Ends the fetch of `key` and returns its waiters (none if it was not in flight), so a
  /// caller can decide what to do with a result nobody waited for.
  std::vector<waiter> take(const Key& key) {
    auto i = flights_.find(key);
    if (i == flights_.end())
      return {};
    auto waiters = std::move(i->second);
    flights_.erase(i);
    return waiters;
  }

  /// Ends the fetch of `key` and answers its waiters with `result`. Returns how many it
  /// answered.
  size_t finish(const Key& key, Result result) {
    auto waiters = take(key);
    answer(waiters, std::move(result));
    return waiters.size();
  }

  /// Gives `result` to every waiter: copies to all but the last, which takes it (usually
  /// the only one: a large listing is not copied).
  static void answer(std::vector<waiter>& waiters, Result result) {
    for (size_t k = 0; k + 1 < waiters.size(); ++k)
      waiters[k](result);
    if (!waiters.empty())
      waiters.back()(std::move(result));
  }

private:
  std::map<Key, std::vector<waiter>> flights_;
};

/// A single_flight for the one thing an actor fetches (a node list, a format list).
template <class Result>
class single_flight_one {
public:
  using waiter = typename single_flight<std::monostate, Result>::waiter;

  bool join(waiter done) {
    return flights_.join({}, std::move(done));
  }
  bool in_flight() const {
    return flights_.in_flight({});
  }
  size_t waiting() const {
    return flights_.waiting({});
  }
  size_t finish(Result result) {
    return flights_.finish({}, std::move(result));
  }

private:
  single_flight<std::monostate, Result> flights_;
};

}  // namespace d1
