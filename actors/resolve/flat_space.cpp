// FlatSpace: unescapes the PID segment (a shortened one through the recent objects and
// the long-name table); a malformed segment is an error folder. Recent objects: one record.
#include "actors/resolve/flat_space.hpp"

#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/node_attrs.hpp"
#include "messages/path_codec.hpp"

#include "storage/codec.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

namespace d1 {

namespace {

// d1_object bounds its own network work (timeout_ms, then an error folder); this only
// keeps a hung one from pinning the pending answer forever.
constexpr auto objects_bound = std::chrono::minutes(10);

node_info folder_attr() {
  return folder_attr(cache_class::immutable);
}

// A visited PID may since have failed to resolve: list it with a short-lived class so
// the cached attributes never outlive what the object resolver says about it.
node_info visited_attr(int64_t uploaded) {
  auto info = folder_attr();
  info.cache = cache_class::search;
  info.mtime = uploaded;
  return info;
}

constexpr const char* recent_table = "flat_space";
constexpr const char* recent_key = "recent_objects";

// The name of a PID in the FlatSpace listing: escaped, and shortened past NAME_MAX.
std::string listed_name(flat_space_state& st, const std::string& pid) {
  return st.long_names->name_for(escape_segment(pid));
}

// A segment back to its PID. A shortened name cannot be unescaped: it maps back through
// the long-name table, which every listing that shortened a name wrote to.
caf::expected<std::string> pid_of(flat_space_state& st, const std::string& segment) {
  if (is_shortened(segment)) {
    if (auto full = st.long_names->full_of(segment))
      return unescape_segment(*full);
    return make_error(ec::invalid_path, "the shortened name '" + segment
                                          + "' is not one the mount listed");
  }
  return unescape_segment(segment);
}

void load_recent(flat_space_state& st) {
  if (!st.config.store)
    return;
  auto bytes = st.config.store->get(recent_table, recent_key);
  if (!bytes) {
    spdlog::warn("flat_space: recent objects not read: {}", describe(bytes.error()));
    return;
  }
  if (!*bytes)
    return;
  auto record = storage::decode<recent_objects_record>(**bytes);
  if (!record || record->pids.size() != record->uploaded.size()) {
    spdlog::warn("flat_space: the saved recent objects are unreadable; starting empty");
    return;
  }
  for (size_t i = 0; i < record->pids.size() && st.visited.size() < st.config.recent_objects;
       ++i)
    st.visited.push_back(flat_space_state::visit{record->pids[i], record->uploaded[i]});
}

// One short write per new visit (the table is in the non-durable cache environment).
void save_recent(flat_space_state& st) {
  if (!st.config.store)
    return;
  recent_objects_record record;
  for (auto& v : st.visited) {
    record.pids.push_back(v.pid);
    record.uploaded.push_back(v.uploaded);
  }
  if (auto err = st.config.store->put(recent_table, recent_key, storage::encode(record)))
    spdlog::warn("flat_space: recent objects not saved: {}", describe(err));
}

std::string path_upto(const resolve_request& req, size_t n) {
  std::vector<std::string> head(req.segments.begin(),
                                req.segments.begin() + std::min(n, req.segments.size()));
  return join_path(head);
}

void remember(flat_space_state& st, const std::string& pid, int64_t uploaded) {
  if (!st.visited.empty() && st.visited.front().pid == pid
      && st.visited.front().uploaded == uploaded)
    return;  // nothing changes: no write
  auto i = std::find_if(st.visited.begin(), st.visited.end(),
                        [&](auto& v) { return v.pid == pid; });
  if (i != st.visited.end())
    st.visited.erase(i);
  st.visited.push_front(flat_space_state::visit{pid, uploaded});
  while (st.visited.size() > st.config.recent_objects)
    st.visited.pop_back();
  save_recent(st);
}

}  // namespace

caf::error validate(const flat_space_config& cfg) {
  if (cfg.recent_objects == 0 || cfg.recent_objects > max_recent_objects)
    return make_error(ec::invalid_argument, "flat_space recent_objects must be 1 to "
                                              + std::to_string(max_recent_objects) + ", not "
                                              + std::to_string(cfg.recent_objects));
  if (cfg.max_long_names == 0)
    return make_error(ec::invalid_argument, "flat_space max_long_names must be ≥ 1");
  return {};
}

resolver_actor::behavior_type flat_space(resolver_actor::stateful_pointer<flat_space_state> self,
                                         flat_space_config config, d1_object_actor objects) {
  if (auto err = validate(config)) {
    self->quit(err);
    return resolver_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.config = std::move(config);
  st.objects = std::move(objects);
  st.long_names = std::make_unique<long_name_map>(st.config.store, st.config.max_long_names);
  load_recent(st);
  return {
    [=](get_attr_atom, const resolve_request& req) -> caf::result<node_info> {
      if (req.remaining() == 0)
        return folder_attr();
      auto pid = pid_of(self->state, req.current());
      if (!pid) {
        auto p = problem_from_error(pid.error(), "segment '" + req.current() + "'",
                                    path_upto(req, req.depth + 1));
        if (req.remaining() == 1)
          return error_folder_attr(p);
        if (req.remaining() == 2) {
          auto child = error_folder_child(p, req.segments[req.depth + 1]);
          if (!child)
            return child.error();
          return std::move(*child);
        }
        return make_error(ec::not_found, "below an error folder");
      }
      if (req.remaining() > 1)
        return self->delegate(self->state.objects, get_attr_atom::value, *pid, req.next());
      // The object folder itself: remember it as visited once it proved to be an object.
      auto rp = self->make_response_promise<node_info>();
      self->request(self->state.objects, objects_bound, get_attr_atom::value, *pid, req.next())
        .then(
          [=, pid = *pid](node_info& info) mutable {
            if (info.cache != cache_class::error && info.cache != cache_class::transient)
              remember(self->state, pid, info.mtime);
            rp.deliver(std::move(info));
          },
          [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      if (req.remaining() == 0) {
        listing out;
        out.cache = cache_class::live;
        auto& st = self->state;
        for (auto& v : st.visited)
          out.entries.push_back(dir_entry{listed_name(st, v.pid), visited_attr(v.uploaded)});
        st.long_names->flush();
        return out;
      }
      auto pid = pid_of(self->state, req.current());
      if (!pid) {
        auto p = problem_from_error(pid.error(), "segment '" + req.current() + "'",
                                    path_upto(req, req.depth + 1));
        if (req.remaining() == 1)
          return error_folder_listing(p);
        return make_error(ec::not_found, "below an error folder");
      }
      return self->delegate(self->state.objects, get_dir_atom::value, *pid, req.next());
    },
  };
}

}  // namespace d1
