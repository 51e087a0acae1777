// Resources/: folders from the catalogue's resources, files served from local copies.
#include "actors/resolve/resources.hpp"

#include "messages/error.hpp"
#include "messages/error_folder.hpp"
#include "messages/node_attrs.hpp"
#include "messages/path_codec.hpp"

#include <sys/stat.h>

#include <functional>
#include <optional>
#include <utility>

namespace d1 {

namespace {

using self_ptr = resolver_actor::stateful_pointer<resources_state>;
using tree_result = caf::expected<resource_tree_ptr>;

constexpr const char* by_pid_name = "@by-pid";

// Everything here changes when jobs run: never cached, asked again on each lookup.
node_info live_folder_attr(int64_t mtime) {
  return folder_attr(cache_class::live, mtime);
}

// What the disk says of a file's copies, in one pass: whether any of them is there, and
// the mtime of the first still as it was verified (a regular file of the recorded size).
struct copies_on_disk {
  bool any = false;
  std::optional<int64_t> verified_mtime;
};

copies_on_disk look_on_disk(const std::vector<local_copy>& copies) {
  copies_on_disk out;
  for (auto& c : copies) {
    struct stat st {};
    if (::stat(c.path.c_str(), &st) != 0)
      continue;
    out.any = true;
    if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == c.size) {
      out.verified_mtime = st.st_mtim.tv_sec;
      break;
    }
  }
  return out;
}

// Size and mtime of the first copy still on disk as it was verified, else the recorded
// ones (an open then fails, naming each copy). `seen`: what look_on_disk said of these
// copies just now, if it was asked.
node_info file_attr(const std::vector<local_copy>& copies,
                    const copies_on_disk* seen = nullptr) {
  node_info info;
  info.kind = entry_kind::file;
  info.cache = cache_class::live;
  info.content = content_kind::local_file;
  info.size = copies.front().size;
  info.mtime = copies.front().mtime_ns / 1000000000;
  auto on_disk = seen ? *seen : look_on_disk(copies);
  if (on_disk.verified_mtime)
    info.mtime = *on_disk.verified_mtime;
  content_source src;
  src.copies = copies;
  info.set_source(std::move(src));
  return info;
}

std::string mount_path(const resolve_request& req, size_t upto) {
  std::vector<std::string> head{"Resources"};
  for (size_t i = req.depth; i < std::min(upto, req.segments.size()); ++i)
    head.push_back(req.segments[i]);
  return join_path(head);
}

// The path below the resource folder whose segment is at `depth`.
std::string rel_below(const resolve_request& req, size_t depth) {
  std::string rel;
  for (size_t i = depth + 1; i < req.segments.size(); ++i)
    rel += (rel.empty() ? "" : "/") + req.segments[i];
  return rel;
}

std::string listed_name(const std::string& id) {
  return shorten_segment(escape_segment(id));
}

// An unknown uid may be registered a moment later: its error folder is short-lived.
problem missing_problem(const caf::error& err, const std::string& what,
                        const std::string& path) {
  auto p = problem_from_error(err, what, path);
  p.transient = true;
  return p;
}

// The error folder at segment `depth` (the uid or PID segment), or what is below it.
caf::expected<node_info> problem_attr(const problem& p, const resolve_request& req,
                                      size_t depth) {
  auto below = req.segments.size() - depth - 1;
  if (below == 0)
    return error_folder_attr(p);
  if (below == 1)
    return error_folder_child(p, req.segments[depth + 1]);
  return make_error(ec::not_found, "below an error folder");
}

caf::expected<listing> problem_listing(const problem& p, const resolve_request& req,
                                       size_t depth) {
  if (req.segments.size() - depth - 1 == 0)
    return error_folder_listing(p);
  return make_error(ec::not_found, "below an error folder");
}

void keep(resources_state& st, const std::string& uid, resource_tree_ptr tree) {
  auto now = std::chrono::steady_clock::now();
  if (st.trees.size() >= st.cfg.max_trees)
    for (auto i = st.trees.begin(); i != st.trees.end();)
      i = i->second.until <= now ? st.trees.erase(i) : std::next(i);
  if (st.trees.size() >= st.cfg.max_trees)
    st.trees.erase(st.trees.begin());
  st.trees[uid] = {now + std::chrono::milliseconds(st.cfg.tree_ttl_ms), std::move(tree)};
}

// Calls `done` with the resource's tree: kept (unless `fresh`), or asked of the catalogue
// (one request per uid however many lookups wait for it).
void with_tree(self_ptr self, const std::string& uid, bool fresh,
               std::function<void(tree_result)> done) {
  auto& st = self->state;
  auto i = st.trees.find(uid);
  if (i != st.trees.end() && i->second.until > std::chrono::steady_clock::now()) {
    if (!fresh) {
      done(i->second.tree);
      return;
    }
    st.trees.erase(i);
  }
  if (!st.asking.join(uid, std::move(done)))
    return;
  auto bound = std::chrono::milliseconds(st.cfg.timeout_ms);
  auto fail = [self, uid](caf::error& err) { self->state.asking.finish(uid, std::move(err)); };
  self->request(st.cfg.catalogue, bound, get_atom::value, resource_atom::value, uid)
    .then(
      [=](resource_detail& detail) {
        self->request(self->state.cfg.catalogue, bound, locate_atom::value, uid)
          .then(
            [=, detail = std::move(detail)](location_report& where) {
              auto tree = std::make_shared<const resource_tree>(
                make_resource_tree(detail, where));
              keep(self->state, uid, tree);
              self->state.asking.finish(uid, tree);
            },
            fail);
      },
      fail);
}

// Calls `done` with the uid of the DATAONE resource whose PID is `pid`.
void with_uid_of_pid(self_ptr self, const std::string& pid,
                     std::function<void(caf::expected<std::string>)> done) {
  auto bound = std::chrono::milliseconds(self->state.cfg.timeout_ms);
  self->request(self->state.cfg.catalogue, bound, list_atom::value, resource_atom::value)
    .then(
      [=](std::vector<resource_record>& all) {
        for (auto& r : all)
          if (dataone_pid_of(r) == pid) {
            done(r.uid);
            return;
          }
        done(make_error(ec::not_found, "no DATAONE resource has the PID '" + pid + "'"));
      },
      [=](caf::error& err) { done(std::move(err)); });
}

// The resource segment at `depth` (a uid, or a PID below @by-pid) to a uid.
void with_uid(self_ptr self, const resolve_request& req, size_t depth, bool by_pid,
              std::function<void(caf::expected<std::string>)> done) {
  auto id = unescape_segment(req.segments[depth]);
  if (!id) {
    done(std::move(id.error()));
    return;
  }
  if (by_pid)
    with_uid_of_pid(self, *id, std::move(done));
  else
    done(std::move(*id));
}

// What the disk says of the copies of `rel`, if it is a file of `tree`.
std::optional<copies_on_disk> look_at_file(const resource_tree& tree, const std::string& rel) {
  auto copies = file_at(tree, rel);
  if (!copies)
    return std::nullopt;
  return look_on_disk(*copies);
}

// Answers for `rel` in a resource's tree; `seen`, if not null, is what the disk said of
// the copies of `rel` (a file) just now.
template <class T>
using answer_fn = std::function<caf::expected<T>(const resource_tree&, const std::string& rel,
                                                 const copies_on_disk* seen)>;

// Resolves the resource segment at `depth` and answers with `answer` on its tree, or with
// the error folder of an unknown resource.
template <class T>
caf::result<T> in_resource(self_ptr self, const resolve_request& req, size_t depth,
                           bool by_pid, answer_fn<T> answer,
                           caf::expected<T> (*on_problem)(const problem&,
                                                          const resolve_request&, size_t)) {
  auto rp = self->make_response_promise<T>();
  auto what = std::string{by_pid ? "DATAONE resource '" : "resource '"} + req.segments[depth]
              + "'";
  auto path = mount_path(req, depth + 1);
  auto fail = [=](const caf::error& err) mutable {
    auto r = on_problem(missing_problem(err, what, path), req, depth);
    if (r)
      rp.deliver(std::move(*r));
    else
      rp.deliver(std::move(r.error()));
  };
  with_uid(self, req, depth, by_pid, [=](caf::expected<std::string> uid) mutable {
    if (!uid) {
      fail(uid.error());
      return;
    }
    auto rel = rel_below(req, depth);
    auto deliver = [=](tree_result tree, const copies_on_disk* seen) mutable {
      if (!tree) {
        fail(tree.error());
        return;
      }
      auto r = answer(**tree, rel, seen);
      if (r)
        rp.deliver(std::move(*r));
      else
        rp.deliver(std::move(r.error()));
    };
    with_tree(self, *uid, false, [=](tree_result tree) mutable {
      // A kept tree may predate a job that moved the file: none of its copies is there any
      // more. Ask once more before answering with copies that cannot be opened.
      auto seen = tree ? look_at_file(**tree, rel) : std::nullopt;
      if (seen && !seen->any)
        with_tree(self, *uid, true,
                  [deliver](tree_result fresh) mutable { deliver(std::move(fresh), nullptr); });
      else
        deliver(std::move(tree), seen ? &*seen : nullptr);
    });
  });
  return rp;
}

caf::expected<node_info> attr_in_tree(const resource_tree& tree, const std::string& rel,
                                      const copies_on_disk* seen) {
  if (is_folder(tree, rel))
    return live_folder_attr(tree.created_s);
  if (auto copies = file_at(tree, rel))
    return file_attr(*copies, seen);
  return make_error(ec::not_found, "resource " + tree.uid + " has no file '" + rel + "'");
}

caf::expected<listing> listing_in_tree(const resource_tree& tree, const std::string& rel,
                                       const copies_on_disk*) {
  if (!is_folder(tree, rel)) {
    return make_error(ec::not_found, "resource " + tree.uid + " has no folder '" + rel + "'");
  }
  listing out;
  out.cache = cache_class::live;
  for (auto& child : children_of(tree, rel))
    out.entries.push_back(dir_entry{child.name, child.folder ? live_folder_attr(tree.created_s)
                                                             : file_attr(*child.copies)});
  return out;
}

// Resources/ or Resources/@by-pid/: the resources' folders, from the catalogue's list.
caf::result<listing> list_resources(self_ptr self, bool by_pid) {
  auto rp = self->make_response_promise<listing>();
  auto mtime = self->state.cfg.mount_time;
  auto bound = std::chrono::milliseconds(self->state.cfg.timeout_ms);
  self->request(self->state.cfg.catalogue, bound, list_atom::value, resource_atom::value)
    .then(
      [=](std::vector<resource_record>& all) mutable {
        listing out;
        out.cache = cache_class::live;
        bool any_pid = false;
        for (auto& r : all) {
          auto pid = dataone_pid_of(r);
          any_pid = any_pid || !pid.empty();
          if (!by_pid)
            out.entries.push_back(
              dir_entry{listed_name(r.uid), live_folder_attr(r.created / 1000)});
          else if (!pid.empty())
            out.entries.push_back(dir_entry{listed_name(pid), live_folder_attr(r.created / 1000)});
        }
        if (!by_pid && any_pid)
          out.entries.insert(out.entries.begin(), dir_entry{by_pid_name, live_folder_attr(mtime)});
        rp.deliver(std::move(out));
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

}  // namespace

caf::error validate(const resources_config& cfg) {
  if (!cfg.catalogue)
    return make_error(ec::invalid_argument, "resources: no catalogue");
  if (cfg.timeout_ms == 0)
    return make_error(ec::invalid_argument, "resources: timeout_ms must be > 0");
  if (cfg.max_trees == 0)
    return make_error(ec::invalid_argument, "resources: max_trees must be > 0");
  return caf::none;
}

resolver_actor::behavior_type resources(resolver_actor::stateful_pointer<resources_state> self,
                                        resources_config cfg) {
  self->state.cfg = std::move(cfg);
  return {
    [=](get_attr_atom, const resolve_request& req) -> caf::result<node_info> {
      auto n = req.remaining();
      if (n == 0 || (n == 1 && req.current() == by_pid_name))
        return live_folder_attr(self->state.cfg.mount_time);
      bool by_pid = req.current() == by_pid_name;
      return in_resource<node_info>(self, req, req.depth + (by_pid ? 1 : 0), by_pid,
                                    attr_in_tree, problem_attr);
    },
    [=](get_dir_atom, const resolve_request& req) -> caf::result<listing> {
      auto n = req.remaining();
      if (n == 0)
        return list_resources(self, false);
      if (n == 1 && req.current() == by_pid_name)
        return list_resources(self, true);
      bool by_pid = req.current() == by_pid_name;
      return in_resource<listing>(self, req, req.depth + (by_pid ? 1 : 0), by_pid,
                                  listing_in_tree, problem_listing);
    },
  };
}

}  // namespace d1
