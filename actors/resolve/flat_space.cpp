// FlatSpace: unescapes the PID segment; a malformed segment is an error folder.
#include "actors/resolve/flat_space.hpp"

#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/path_codec.hpp"

#include <algorithm>
#include <chrono>

namespace d1 {

namespace {

// d1_object bounds its own network work (timeout_ms, then an error folder); this only
// keeps a hung one from pinning the pending answer forever.
constexpr auto objects_bound = std::chrono::minutes(10);

node_info folder_attr() {
  node_info info;
  info.kind = entry_kind::directory;
  info.cache = cache_class::immutable;
  return info;
}

// A visited PID may since have failed to resolve: list it with a short-lived class so
// the cached attributes never outlive what the object resolver says about it.
node_info visited_attr(int64_t uploaded) {
  auto info = folder_attr();
  info.cache = cache_class::search;
  info.mtime = uploaded;
  return info;
}

// The name of a PID in the FlatSpace listing: escaped, and shortened past NAME_MAX.
std::string listed_name(const std::string& pid) {
  return shorten_segment(escape_segment(pid));
}

// A segment back to its PID. A shortened name cannot be unescaped: it maps back through
// the PIDs this folder listed. (Search listings persist that map in LMDB.)
caf::expected<std::string> pid_of(const flat_space_state& st, const std::string& segment) {
  if (is_shortened(segment)) {
    for (auto& v : st.visited)
      if (listed_name(v.pid) == segment)
        return v.pid;
    return make_error(ec::invalid_path, "the shortened name '" + segment
                                          + "' is not one this folder listed recently");
  }
  return unescape_segment(segment);
}

std::string path_upto(const resolve_request& req, size_t n) {
  std::vector<std::string> head(req.segments.begin(),
                                req.segments.begin() + std::min(n, req.segments.size()));
  return join_path(head);
}

void remember(flat_space_state& st, const std::string& pid, int64_t uploaded) {
  auto i = std::find_if(st.visited.begin(), st.visited.end(),
                        [&](auto& v) { return v.pid == pid; });
  if (i != st.visited.end())
    st.visited.erase(i);
  st.visited.push_front(flat_space_state::visit{pid, uploaded});
  while (st.visited.size() > st.max_visited)
    st.visited.pop_back();
}

}  // namespace

resolver_actor::behavior_type flat_space(resolver_actor::stateful_pointer<flat_space_state> self,
                                         d1_object_actor objects, size_t max_visited) {
  self->state.objects = std::move(objects);
  self->state.max_visited = max_visited;
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
        for (auto& v : self->state.visited)
          out.entries.push_back(dir_entry{listed_name(v.pid), visited_attr(v.uploaded)});
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
