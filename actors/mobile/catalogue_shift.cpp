// `resource shift-root`: the filestore's shift_root. Components move between a resource's
// root and its path; every copy's root moves with them, so each file keeps its absolute
// path and only its record's split (root, rel_path, file uid) changes.
#include "actors/mobile/catalogue_codec.hpp"
#include "actors/mobile/catalogue_db.hpp"

#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"

#include <map>
#include <optional>

namespace d1 {

namespace {

caf::error bad(const std::string& what) {
  return make_error(ec::invalid_argument, what);
}

std::string join_components(const std::vector<std::string>& xs, size_t from, size_t to) {
  std::string out;
  for (size_t i = from; i < to; ++i)
    out += (out.empty() ? "" : "/") + xs[i];
  return out;
}

std::string as_root(const std::vector<std::string>& xs, size_t count) {
  auto inner = join_components(xs, 0, count);
  return "/" + inner;
}

// The root of a copy at `root` after the shift that moves `moved` (components) to the end
// of the resource's root (by > 0) or from it (by < 0); nullopt when that copy's root does
// not end in them.
std::optional<std::string> shifted_copy_root(const std::string& root, int32_t by,
                                             const std::vector<std::string>& moved) {
  if (by > 0) {
    auto out = root;
    for (auto& c : moved)
      out = join_path(out, c);
    return out;
  }
  auto comps = path_components(root);
  if (comps.size() < moved.size())
    return std::nullopt;
  auto keep = comps.size() - moved.size();
  for (size_t i = 0; i < moved.size(); ++i)
    if (comps[keep + i] != moved[i])
      return std::nullopt;
  return as_root(comps, keep);
}

// What a shift changes: the components that move between root and path, each file's new
// rel_path, and the resource after it.
struct shift_plan {
  int32_t by = 0;
  std::vector<std::string> moved;  // as the copies' roots gain (by < 0) or lose them
  std::map<std::string, std::string> new_rel_of;  // old rel_path → new rel_path
  resource_record after;
};

// The components that move: the first `by` of the path, or the last -by of the root.
std::vector<std::string> moved_components(const resource_record& res, int32_t by) {
  if (by > 0) {
    auto p = path_components(res.path);
    return {p.begin(), p.begin() + by};
  }
  auto r = path_components(res.root);
  return {r.end() + by, r.end()};
}

// Pairs the rel_paths before the shift with `new_rels`, as the spec lists them from the new
// path, into plan.new_rel_of. Fails unless each names the same absolute file.
caf::error map_rel_paths(const std::string& uid, const resource_detail& detail,
                         const std::vector<std::string>& new_rels, shift_plan& plan) {
  auto& res = detail.resource;
  if (new_rels.size() != detail.rel_paths.size())
    return bad("resource '" + uid + "' lists " + std::to_string(new_rels.size())
               + " files after the shift, " + std::to_string(detail.rel_paths.size())
               + " before: not shifted");
  for (size_t i = 0; i < new_rels.size(); ++i) {
    auto& old_rel = detail.rel_paths[i];
    if (join_path(res.root, old_rel) != join_path(plan.after.root, new_rels[i]))
      return bad("resource '" + uid + "': file " + join_path(res.root, old_rel)
                 + " would be " + join_path(plan.after.root, new_rels[i])
                 + " after the shift (its spec does not name it beneath the moved "
                   "components): not shifted");
    plan.new_rel_of[old_rel] = new_rels[i];
  }
  return {};
}

// Every file record of the resource under its shifted root and rel_path (and so its new
// file uid). Fails if a copy's root does not end in the moved components, or a record
// would name another file.
caf::expected<std::vector<file_record>>
renamed_records(const std::string& uid, const resource_detail& detail, const shift_plan& plan) {
  std::vector<file_record> renamed;
  for (auto& f : detail.files) {
    auto root = shifted_copy_root(f.root, plan.by, plan.moved);
    if (!root)
      return bad("resource '" + uid + "' has a copy at " + f.root + ", which does not end in '"
                 + join_components(plan.moved, 0, plan.moved.size()) + "': not shifted");
    auto rel = plan.new_rel_of.find(f.rel_path);
    if (rel == plan.new_rel_of.end() || join_path(*root, rel->second) != f.abs_path)
      return bad("resource '" + uid + "': the record of " + f.abs_path
                 + " does not fit the shift: not shifted");
    file_record g = f;
    g.root = *root;
    g.rel_path = rel->second;
    g.file_uid = make_file_uid(uid, g.root, g.rel_path);
    renamed.push_back(std::move(g));
  }
  return renamed;
}

// Renames the roots and rel_paths a job of the resource names (its request and its
// checkpoint), so that a retry finds the shifted files.
void shift_job(job_record& job, const shift_plan& plan) {
  auto shift_root_of = [&](std::string& root) {
    if (root.empty())
      return;
    if (auto r = shifted_copy_root(root, plan.by, plan.moved))
      root = *r;
  };
  auto shift_rel = [&](std::string& rel) {
    if (auto i = plan.new_rel_of.find(rel); i != plan.new_rel_of.end())
      rel = i->second;
  };
  auto& req = job.request;
  shift_root_of(req.src_root);
  shift_root_of(req.dst_root);
  for (auto& rel : req.only)
    shift_rel(rel);
  if (req.kind == job_kind::register_hash) {
    req.root = plan.after.root;
    req.path = plan.after.path;
  }
  bool datums = works_on_datums(job);
  for (auto& f : job.files) {
    shift_root_of(f.root);
    if (!datums)
      shift_rel(f.rel_path);
  }
}

}  // namespace

caf::expected<shifted_location> shift_location(const std::string& root,
                                               const std::string& path, int32_t by) {
  auto r = path_components(root);
  auto p = path_components(path);
  if (by == 0)
    return bad("a shift of 0 changes nothing: give --by N (N > 0 moves path components "
               "into the root, N < 0 moves root components back)");
  if (by > 0) {
    auto n = static_cast<size_t>(by);
    if (n >= p.size())
      return bad("cannot shift the root by " + std::to_string(by) + ": path '" + path
                 + "' has " + std::to_string(p.size()) + " component"
                 + (p.size() == 1 ? "" : "s") + " and keeps at least one (at most --by "
                 + std::to_string(p.size() - 1) + ")");
    shifted_location out;
    auto moved = join_components(p, 0, n);
    out.root = join_path(root, moved);
    out.path = join_components(p, n, p.size());
    return out;
  }
  auto n = static_cast<size_t>(-static_cast<int64_t>(by));
  if (n > r.size())
    return bad("cannot shift the root by " + std::to_string(by) + ": root '" + root
               + "' has " + std::to_string(r.size()) + " component"
               + (r.size() == 1 ? "" : "s") + " (at least --by -"
               + std::to_string(r.size()) + ")");
  shifted_location out;
  out.root = as_root(r, r.size() - n);
  out.path = join_components(r, r.size() - n, r.size()) + "/" + path;
  return out;
}

caf::expected<root_shift> catalogue_txn::shift_root(const std::string& uid, int32_t by) {
  auto detail = db_.get_resource(uid);
  if (!detail)
    return std::move(detail.error());
  root_shift out;
  out.before = detail->resource;
  auto& res = detail->resource;
  auto loc = shift_location(res.root, res.path, by);
  if (!loc)
    return std::move(loc.error());
  out.after = res;
  out.after.root = loc->root;
  out.after.path = loc->path;
  shift_plan plan{by, moved_components(res, by), {}, out.after};
  // The new split must name the same files: the spec lists them again from the new path.
  auto listing = db_.listing_of(out.after);
  if (!listing)
    return std::move(listing.error());
  if (auto err = map_rel_paths(uid, *detail, listing->rel_paths, plan))
    return err;
  auto renamed = renamed_records(uid, *detail, plan);
  if (!renamed)
    return std::move(renamed.error());
  for (auto& f : detail->files)
    if (auto left = drop_file(f); !left)
      return std::move(left.error());
  for (auto& g : *renamed)
    put_file(g);
  // The resource's jobs (all ended: the job manager refuses a shift while one is not) name
  // its files by root and rel_path: renamed too, so their checkpoints keep naming the
  // resource's files and a retry finds them.
  auto jobs = db_.list_jobs();
  if (!jobs)
    return std::move(jobs.error());
  for (auto& header : *jobs) {
    if (header.request.uid != uid)
      continue;
    auto job = db_.get_job(header.id);
    if (!job)
      return std::move(job.error());
    shift_job(*job, plan);
    put_job(*job);
  }
  put_resource(out.after);
  out.files = static_cast<uint32_t>(renamed->size());
  history_entry h;
  h.resource_uid = uid;
  h.time = now_ms();
  h.action = "shift_root";
  h.from_root = out.before.root;
  h.to_root = out.after.root;
  h.files = out.files;
  add_history(h);
  return out;
}

}  // namespace d1
