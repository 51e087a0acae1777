// fs_gateway: cache first, then the resolvers; every reply goes out exactly once.
#include "actors/fs/fs_gateway.hpp"

#include "actors/fs/crawl_guard.hpp"
#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/path_codec.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>

namespace d1 {

namespace {

using self_ptr = fs_gateway_actor::stateful_pointer<fs_gateway_state>;
using std::chrono::milliseconds;

// Cache actors answer from memory or a local LMDB read: if they take longer than this,
// something is wrong and the resolvers are asked instead.
constexpr milliseconds cache_timeout{2000};

milliseconds resolve_timeout(const fs_gateway_state& st) {
  // The resolvers bound their own network work by timeout_ms and then answer with an
  // error folder; this outer bound only catches a resolver that died.
  return milliseconds(st.config.timeout_ms * 2 + 1000);
}

// crawl_guard answers from memory; if it does not within this, the query goes ahead.
constexpr milliseconds guard_timeout{1000};

// Runs `go` if the guard lets `pid` spend a cold query on `path`, else `paused(reason)`.
// Only the cold path comes here: cache hits never message the guard.
// `admitted` (default: `go`) runs instead of `go` when the guard was asked.
void with_guard(self_ptr self, const std::string& path, int32_t pid, bool listing,
                std::function<void()> go, std::function<void(const std::string&)> paused,
                std::function<void()> admitted = nullptr) {
  if (!admitted)
    admitted = go;
  auto& guard = self->state.config.guard;
  if (!guard || pid <= 0 || !costs_query(path, listing)) {
    go();
    return;
  }
  self->request(guard, guard_timeout, admit_atom::value, pid, path, listing)
    .then(
      [=](std::string& reason) {
        if (reason.empty()) {
          admitted();
          return;
        }
        paused(reason);
      },
      [=](caf::error& err) {
        spdlog::warn("fs_gateway: crawl_guard did not answer for {}: {}", path, describe(err));
        go();
      });
}

bool is_paused_file(const std::string& path) {
  auto segs = split_path(path);
  return !segs.empty() && segs.back() == paused_file_name();
}

void resolve_attr_miss(self_ptr self, const std::string& path, int32_t pid, bool lookup,
                       std::function<void(caf::expected<node_info>)> done);

// Answers from the cached listing of the parent of `path` (listed children have no
// attr_cache record of their own), else runs `otherwise`.
void on_listing_miss(self_ptr self, const std::string& path,
                     std::function<void(caf::expected<node_info>)> done,
                     std::function<void()> otherwise) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || path.size() <= 1) {
    otherwise();
    return;
  }
  auto parent = slash == 0 ? std::string{"/"} : path.substr(0, slash);
  self->request(self->state.dirs, cache_timeout, get_atom::value, std::move(parent),
                path.substr(slash + 1))
    .then(
      [=](cached_attr& hit) {
        if (hit.found)
          done(std::move(hit.info));
        else
          otherwise();
      },
      [=](caf::error&) { otherwise(); });
}

void resolve_attr(self_ptr self, const std::string& path, int32_t pid, bool lookup,
                  std::function<void(caf::expected<node_info>)> done) {
  if (is_paused_file(path)) {
    // The file of a paused folder: never a query (it is no name in the index).
    auto parent = path.substr(0, path.rfind('/'));
    done(error_folder_child(paused_problem(parent.empty() ? "/" : parent,
                                           "recursive searches are paused"),
                            paused_file_name()));
    return;
  }
  self->request(self->state.attrs, cache_timeout, get_atom::value, path)
    .then(
      [=](cached_attr& hit) {
        if (hit.found) {
          done(std::move(hit.info));
          return;
        }
        on_listing_miss(self, path, done,
                        [=] { resolve_attr_miss(self, path, pid, lookup, done); });
      },
      [=](caf::error& err) {
        spdlog::error("fs_gateway: attr_cache failed for {}: {}", path, describe(err));
        done(std::move(err));
      });
}

void resolve_attr_miss(self_ptr self, const std::string& path, int32_t pid, bool lookup,
                       std::function<void(caf::expected<node_info>)> done) {
  auto go = [=] {
    resolve_request req{split_path(path), 0, pid};
    self->request(self->state.root, resolve_timeout(self->state), get_attr_atom::value,
                  req)
      .then(
        [=](node_info& info) {
          if (info.cache != cache_class::live)
            self->send(self->state.attrs, put_atom::value, path, info);
          done(std::move(info));
        },
        [=](caf::error& err) {
          if (code_of(err) != ec::not_found) {
            spdlog::warn("fs_gateway: attributes of {}: {}", path, describe(err));
          }
          done(std::move(err));
        });
  };
  if (!lookup) {
    go();  // a known inode whose attributes expired: not a new name
    return;
  }
  // As for listings: a concurrent caller may have stored it while the guard answered.
  auto recheck = [=] {
    self->request(self->state.attrs, cache_timeout, get_atom::value, path)
      .then(
        [=](cached_attr& again) {
          if (again.found)
            done(std::move(again.info));
          else
            go();
        },
        [=](caf::error&) { go(); });
  };
  // Shown as a paused folder (not cached): opening it shows why.
  with_guard(
    self, path, pid, false, go,
    [=](const std::string& reason) {
      done(error_folder_attr(paused_problem(path, reason)));
    },
    recheck);
}

// How long a resolved listing is reused for callers whose cache check raced its put.
constexpr std::chrono::seconds recent_listing_window{2};

// Drops reused listings older than the window (else a large one stays held).
void forget_old_listings(self_ptr self) {
  auto& recent = self->state.recent_listings;
  if (recent.empty())
    return;
  auto now = self->clock().now();
  for (auto i = recent.begin(); i != recent.end();)
    i = now - i->second.second >= recent_listing_window || i->second.first.expired()
          ? recent.erase(i)
          : std::next(i);
}

// Answers an opendir from `stream` once it has something to open: its first entries (the
// stream itself), the complete listing, or the error it failed with before either.
listing_stream::opener open_when_ready(fs_reply_ptr reply, listing_stream_ptr stream) {
  return [reply, stream](caf::expected<listing_ptr> opened) {
    if (!opened)
      reply->error(opened.error());
    else if (*opened)
      reply->directory(std::move(*opened));
    else
      reply->directory_stream(stream);
  };
}

// Resolves `path` at the root unless the same listing is being resolved (open its stream)
// or was resolved within recent_listing_window (reuse it); stores what it learns in the
// caches. The resolver may append entries to the request's stream as they arrive (search
// listings, page by page): the opendir is answered at the first of them.
void resolve_listing_once(self_ptr self, const std::string& path, int32_t pid,
                          fs_reply_ptr reply) {
  auto& st = self->state;
  auto now = self->clock().now();
  if (auto i = st.recent_listings.find(path); i != st.recent_listings.end()) {
    if (now - i->second.second < recent_listing_window) {
      if (auto held = i->second.first.lock()) {
        reply->directory(std::move(held));
        return;
      }
    }
    st.recent_listings.erase(i);
  }
  if (auto i = st.listing_streams.find(path); i != st.listing_streams.end()) {
    i->second->when_ready(open_when_ready(reply, i->second));  // joined the one in flight
    return;
  }
  auto stream = std::make_shared<listing_stream>();
  st.listing_streams.emplace(path, stream);
  stream->when_ready(open_when_ready(reply, stream));
  resolve_request req{split_path(path), 0, pid};
  req.stream = stream;
  self->request(st.root, resolve_timeout(st), get_dir_atom::value, req)
    .then(
      [=](listing& result) {
        auto& st = self->state;
        st.listing_streams.erase(path);
        // Held once from here on: the replies, dir_cache and open handles share it. A
        // resolver that streamed every entry sealed them into the listing (its answer is
        // then empty).
        auto shared = stream->sealed();
        if (!shared)
          shared = std::make_shared<const listing>(std::move(result));
        // Cached before the stream ends: a lookup after the end of the directory (sent to
        // this actor, then by it to dir_cache) finds the child in the listing, with no
        // attr_cache record per child.
        if (shared->cache != cache_class::live) {
          self->send(st.dirs, put_atom::value, path, shared);
          forget_old_listings(self);
          st.recent_listings[path] = {shared, self->clock().now()};
        }
        stream->finish(std::move(shared));
      },
      [=](caf::error& err) {
        self->state.listing_streams.erase(path);
        spdlog::warn("fs_gateway: listing of {}: {}", path, describe(err));
        stream->fail(std::move(err));
      });
}

// Answers an opendir of `path`: from dir_cache, else resolved (see resolve_listing_once).
void resolve_listing(self_ptr self, const std::string& path, int32_t pid, fs_reply_ptr reply) {
  self->request(self->state.dirs, cache_timeout, get_atom::value, path)
    .then(
      [=](listing_ptr& hit) {
        if (hit) {
          reply->directory(std::move(hit));
          return;
        }
        auto go = [=] { resolve_listing_once(self, path, pid, reply); };
        // A refused listing is the paused folder, never cached, never EIO.
        // While the guard answered, a concurrent caller may have stored this listing:
        // look again (same sender, same receiver: its put is seen first), so concurrent
        // cold listings still cost one query.
        auto recheck = [=] {
          self->request(self->state.dirs, cache_timeout, get_atom::value, path)
            .then(
              [=](listing_ptr& again) {
                if (again)
                  reply->directory(std::move(again));
                else
                  go();
              },
              [=](caf::error&) { go(); });
        };
        with_guard(
          self, path, pid, true, go,
          [=](const std::string& reason) {
            reply->directory(std::make_shared<const listing>(
              error_folder_listing(paused_problem(path, reason))));
          },
          recheck);
      },
      [=](caf::error& err) {
        spdlog::error("fs_gateway: dir_cache failed for {}: {}", path, describe(err));
        reply->error(err);
      });
}

}  // namespace

fs_gateway_actor::behavior_type
fs_gateway(fs_gateway_actor::stateful_pointer<fs_gateway_state> self, fs_gateway_config config,
           attr_cache_actor attrs, dir_cache_actor dirs, resolver_actor root,
           content_cache_actor content) {
  auto& st = self->state;
  st.config = config;
  st.attrs = std::move(attrs);
  st.dirs = std::move(dirs);
  st.root = std::move(root);
  st.content = std::move(content);
  return {
    [=](lookup_atom, fs_reply_ptr reply, const std::string& parent, const std::string& name,
        int32_t pid) {
      if (is_os_probe_name(name)) {
        reply->error(make_error(ec::not_found, "name probed by the OS"));
        return;
      }
      resolve_attr(self, child_path(parent, name), pid, true, [reply](caf::expected<node_info> r) {
        if (r)
          reply->entry(*r);
        else
          reply->error(r.error());
      });
    },
    [=](get_attr_atom, fs_reply_ptr reply, const std::string& path, int32_t pid) {
      resolve_attr(self, path, pid, false, [reply](caf::expected<node_info> r) {
        if (r)
          reply->attr(*r);
        else
          reply->error(r.error());
      });
    },
    [=](opendir_atom, fs_reply_ptr reply, const std::string& path, int32_t pid) {
      forget_old_listings(self);
      resolve_listing(self, path, pid, std::move(reply));
    },
    [=](open_atom, fs_reply_ptr reply, const object_ref& obj, int32_t pid) {
      auto& guard = self->state.config.guard;
      if (guard)
        self->send(guard, read_atom::value, pid);  // reading files: not a pure crawl
      self->request(self->state.content, cache_timeout, open_atom::value, obj)
        .then(
          [=](object_bytes_ptr& bytes) {
            if (bytes->verified() || !guard || pid <= 0) {
              reply->object(std::move(bytes));
              return;
            }
            // An uncached object costs its size from the process's byte budget.
            self->request(guard, guard_timeout, admit_atom::value, pid, obj.pid, obj.size)
              .then(
                [=](std::string& reason) mutable {
                  if (reason.empty()) {
                    reply->object(std::move(bytes));
                    return;
                  }
                  spdlog::info("open of '{}' refused: {}", obj.pid, reason);
                  reply->error(make_error(ec::throttled, reason));
                },
                [=](caf::error& err) mutable {
                  spdlog::warn("fs_gateway: crawl_guard did not answer for {}: {}", obj.pid,
                               describe(err));
                  reply->object(std::move(bytes));
                });
          },
          [=](caf::error& err) {
            spdlog::error("open of '{}' refused: {}", obj.pid, describe(err));
            reply->error(err);
          });
    },
  };
}

}  // namespace d1
