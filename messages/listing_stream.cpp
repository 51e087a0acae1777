#include "messages/listing_stream.hpp"

#include <utility>

namespace d1 {

void listing_stream::notify(std::vector<opener> openers, std::vector<waiter> waiters,
                            const caf::expected<listing_ptr>& opened) {
  for (auto& ready : openers)
    ready(opened);
  for (auto& wake : waiters)
    wake();
}

void listing_stream::append(std::vector<dir_entry> more) {
  if (more.empty())
    return;
  std::vector<opener> openers;
  std::vector<waiter> waiters;
  {
    std::lock_guard<std::mutex> lock{mutex_};
    if (done_ || sealed_)
      return;
    if (streamed_.empty() && streamed_.capacity() < more.size())
      streamed_ = std::move(more);
    else
      streamed_.insert(streamed_.end(), std::make_move_iterator(more.begin()),
                       std::make_move_iterator(more.end()));
    openers.swap(openers_);
    waiters.swap(waiters_);
  }
  notify(std::move(openers), std::move(waiters), listing_ptr{});
}

bool listing_stream::showing() const {
  return !streamed_.empty() || (sealed_ && !complete_->entries.empty());
}

void listing_stream::reserve(size_t n) {
  std::lock_guard<std::mutex> lock{mutex_};
  if (!done_ && !sealed_)
    streamed_.reserve(n);
}

listing_ptr listing_stream::seal(cache_class c) {
  std::lock_guard<std::mutex> lock{mutex_};
  if (done_ || sealed_)
    return complete_;
  listing whole;
  whole.entries = std::move(streamed_);
  whole.cache = c;
  streamed_ = {};
  complete_ = std::make_shared<const listing>(std::move(whole));
  sealed_ = true;
  return complete_;
}

listing_ptr listing_stream::sealed() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return sealed_ ? complete_ : nullptr;
}

void listing_stream::end(const std::function<void(caf::expected<listing_ptr>&)>& settle) {
  std::vector<opener> openers;
  std::vector<waiter> waiters;
  caf::expected<listing_ptr> opened{listing_ptr{}};
  {
    std::lock_guard<std::mutex> lock{mutex_};
    if (done_)
      return;
    done_ = true;
    settle(opened);
    openers.swap(openers_);
    waiters.swap(waiters_);
  }
  notify(std::move(openers), std::move(waiters), opened);
}

void listing_stream::finish(listing_ptr complete) {
  if (!complete)
    complete = std::make_shared<const listing>();
  end([&](caf::expected<listing_ptr>& opened) {
    const auto& all = complete->entries;
    if (sealed_) {
      if (complete_->entries.empty())
        opened = complete_;  // nothing was streamed
    } else if (streamed_.empty()) {
      complete_ = complete;
      opened = complete;  // nothing streamed: open the listing itself
    } else {
      streamed_.insert(streamed_.end(), all.begin(), all.end());
    }
  });
}

void listing_stream::fail(caf::error err) {
  end([&](caf::expected<listing_ptr>& opened) {
    error_ = err;
    if (!showing())
      opened = std::move(err);
  });
}

void listing_stream::when_ready(opener ready) {
  caf::expected<listing_ptr> opened{listing_ptr{}};
  {
    std::lock_guard<std::mutex> lock{mutex_};
    if (!showing()) {
      if (!done_) {
        openers_.push_back(std::move(ready));
        return;
      }
      if (complete_)
        opened = complete_;
      else
        opened = error_;
    }
  }
  ready(opened);
}

bool listing_stream::read(size_t from, const std::function<void(const view&)>& read,
                          waiter wake) {
  std::unique_lock<std::mutex> lock{mutex_};
  view v;
  if (complete_ && streamed_.empty()) {
    v.entries = complete_->entries.data();
    v.count = complete_->entries.size();
  } else {
    v.entries = streamed_.data();
    v.count = streamed_.size();
  }
  v.done = done_;
  v.error = error_;
  if (from >= v.count && !v.done) {
    waiters_.push_back(std::move(wake));
    return false;
  }
  read(v);
  return true;
}

bool listing_stream::done() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return done_;
}

cache_class listing_stream::cache() const {
  std::lock_guard<std::mutex> lock{mutex_};
  return complete_ ? complete_->cache : cache_class::search;
}

}  // namespace d1
