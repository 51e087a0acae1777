// listing_stream: a cold listing while it is being resolved. A search listing arrives one
// cursor page at a time; the resolver appends each page's entries here, and an open
// directory reads what has arrived and waits (without holding a thread) for the rest, so
// `ls` of a large cold folder starts after the first page instead of after the last and
// the kernel's readdir round trips overlap the remaining pages. Thread-safe: appended by
// a resolver actor, read by FUSE threads, ended by fs_gateway.
#pragma once

#include "messages/fs_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace d1 {

class listing_stream {
public:
  /// Told once when there is something to open: a null listing_ptr when entries were
  /// streamed (open the stream); the complete listing when it ended before any entry was
  /// streamed (a resolver that does not stream); the error when it failed before that.
  using opener = std::function<void(caf::expected<listing_ptr>)>;

  /// Told once, when entries beyond those already read arrive or the stream ends.
  using waiter = std::function<void()>;

  /// What a reader sees: entries [0, count) are readable; more may follow unless `done`.
  /// After a failure (`done` with `error` set) reads past `count` fail with it.
  struct view {
    const dir_entry* entries = nullptr;
    size_t count = 0;
    bool done = false;
    caf::error error;
  };

  // -- producer (resolver, fs_gateway) --

  /// Adds entries after those streamed so far. Ignored once the stream has ended or was
  /// sealed.
  void append(std::vector<dir_entry> more);

  /// Makes room for `n` entries in all (the resolver knows the total after one page), so
  /// the sealed listing is sized exactly.
  void reserve(size_t n);

  /// The resolver streamed the whole listing: its entries become the complete listing
  /// (moved, not copied; readers go on in it) of class `c`, returned and kept for the
  /// caches. The stream still ends with finish(), whose argument is then ignored.
  listing_ptr seal(cache_class c);

  /// The listing seal() made, or null.
  listing_ptr sealed() const;

  /// Ends the stream with the resolver's listing, unless seal() made it: the whole listing
  /// if nothing was streamed (a resolver that does not stream); else what followed the
  /// streamed entries (a failure after some pages becomes an error folder listing), so
  /// offsets handed out stay valid.
  void finish(listing_ptr complete);

  /// Ends the stream with an error: what was streamed stays readable.
  void fail(caf::error err);

  // -- consumers (fs_gateway's opendir, FUSE readdir) --

  /// Runs `ready` now if there is something to open, else when there is.
  void when_ready(opener ready);

  /// Runs `read(view)` under the stream's lock if entries past `from` are there or the
  /// stream has ended, and returns true; else keeps `wake` for the next change and
  /// returns false.
  bool read(size_t from, const std::function<void(const view&)>& read, waiter wake);

  /// True once finish() or fail() ran.
  bool done() const;

  /// The class of the listing: search while streaming, then the complete listing's.
  cache_class cache() const;

private:
  // True if entries were streamed (readers open the stream itself). Under the lock.
  bool showing() const;

  // Ends the stream once: `settle` runs under the lock (and may say what openers get),
  // then the openers and waiters are told.
  void end(const std::function<void(caf::expected<listing_ptr>&)>& settle);

  // Calls the openers and waiters taken out under the lock.
  static void notify(std::vector<opener> openers, std::vector<waiter> waiters,
                     const caf::expected<listing_ptr>& opened);

  mutable std::mutex mutex_;
  std::vector<dir_entry> streamed_;  // until seal() moves them into complete_
  listing_ptr complete_;             // after seal() or finish(): served instead of streamed_
  bool sealed_ = false;
  bool done_ = false;
  caf::error error_;
  std::vector<opener> openers_;
  std::vector<waiter> waiters_;
};

using listing_stream_ptr = std::shared_ptr<listing_stream>;

}  // namespace d1
