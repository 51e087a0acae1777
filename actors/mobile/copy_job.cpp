// copy: every file of a resource from a verified copy to the same layout under another
// root, written, hashed, given its owner and mode, synced and renamed; one history entry.
#include "actors/mobile/beneath.hpp"
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

#include <set>

namespace d1 {

namespace {

caf::error bad(const std::string& what) {
  return make_error(ec::invalid_argument, what);
}

// The identity of the directory `root`, if it exists (ino 0 otherwise).
file_stat root_identity(file_system& fs, const std::string& root) {
  file_stat out;
  int fd = fs.open_root(root);
  if (fd >= 0) {
    if (fs.stat_fd(fd, out) != 0)
      out = file_stat{};
    fs.close(fd);
  }
  return out;
}

class copy_rules : public job_kind_rules {
public:
  std::string command() const override {
    return "copy";
  }

  caf::error check(job_request& req, const resource_detail& d,
                   const job_env& env) const override {
    return check_copy_request(req, d, env);
  }

  std::vector<job_file> first_phase(const job_request& req,
                                    const resource_detail& d) const override {
    auto at_src = files_at(d, req.src_root);
    std::vector<job_file> out;
    for (auto& rel : d.rel_paths) {
      auto i = at_src.find(rel);
      out.push_back(job_file{req.src_root, rel, i == at_src.end() ? 0 : i->second->size,
                             step_state::pending, {}, 0});
    }
    keep_only(req, out);
    return out;
  }

  caf::expected<std::vector<plan_step>> plan(const job_request& req, const resource_detail& d,
                                             const job_env&) const override {
    return copy_plan(req, d);
  }

  phase_work work(uint8_t) const override {
    return phase_work::copy;
  }

  phase_end end_phase(active_job& a, const job_env&, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    auto& req = a.job.request;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary("not copied");
      return out;
    }
    out.change = history_change(make_history(a.job, "copy", req.src_root, req.dst_root));
    return out;
  }
};

}  // namespace

caf::error check_copy_request(job_request& req, const resource_detail& d, const job_env& env) {
  if (req.dst_root.empty())
    return bad("a destination root is required");
  if (auto err = normalize_in_place(req.dst_root, "destination root"))
    return err;
  if (req.src_root.empty()) {
    req.src_root = preferred_verified_root(d, env.prefs);
    if (req.src_root.empty())
      return bad("resource '" + req.uid + "' has no verified copy to copy from");
  } else {
    if (auto err = normalize_in_place(req.src_root, "source root"))
      return err;
    bool verified = false;
    for (auto& c : copies_of(d, env.prefs))
      verified = verified || (c.root == req.src_root && c.verified);
    if (!verified)
      return bad("resource '" + req.uid + "' has no verified copy at " + req.src_root);
  }
  if (req.src_root == req.dst_root)
    return bad("source and destination are the same root " + req.src_root);
  // Identity, not spelling: a destination that is one of the copies' directories under
  // another name would "copy" the files onto themselves and count them twice.
  auto dst = root_identity(env.fs, req.dst_root);
  if (dst.ino == 0)
    return {};  // not there yet: made by the copy, so no alias of anything
  std::set<std::string> roots;
  for (auto& f : d.files)
    roots.insert(f.root);
  for (auto& root : roots) {
    if (root == req.dst_root)
      continue;  // the copy already there, by its own name: copying again adopts it
    auto id = root_identity(env.fs, root);
    if (same_file(id, dst))
      return make_error(ec::refused,
                        "destination " + req.dst_root + " is the same directory as "
                          + (root == req.src_root ? "the source " : "the copy at ") + root
                          + " (a symlink or bind mount of it); a copy there would not be a "
                            "second copy");
  }
  return {};
}

std::vector<plan_step> copy_plan(const job_request& req, const resource_detail& d) {
  std::vector<plan_step> plan;
  auto at_src = files_at(d, req.src_root);
  std::vector<std::string> rels = d.rel_paths;
  for (auto& rel : rels) {
    auto i = at_src.find(rel);
    plan.push_back(plan_step{"copy", join_path(req.src_root, rel), join_path(req.dst_root, rel),
                             i == at_src.end() ? 0 : i->second->size, {}});
  }
  return plan;
}

const job_kind_rules& copy_job_rules() {
  static const copy_rules rules;
  return rules;
}

}  // namespace d1
