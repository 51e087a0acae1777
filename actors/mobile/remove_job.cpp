// remove: the files of one copy deleted, each only after a re-check on disk of itself and
// of another copy; refused for the last verified copy unless force_last. A file another
// record still names (by path or identity) is kept; only its record goes.
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

namespace d1 {

namespace {

class remove_rules final : public job_kind_rules {
public:
  std::string command() const override {
    return "remove";
  }

  caf::error check(job_request& req, const resource_detail& d,
                   const job_env& env) const override {
    if (req.src_root.empty())
      return make_error(ec::invalid_argument, "the root of the copy to remove is required");
    if (auto err = normalize_in_place(req.src_root, "root"))
      return err;
    if (!has_copy_at(d, req.src_root))
      return make_error(ec::not_found, "resource '" + req.uid + "' has no copy at " + req.src_root);
    if (!req.force_last && !other_verified_copy(d, req.src_root, env.prefs))
      return last_copy_refusal(req);
    return {};
  }

  std::vector<job_file> first_phase(const job_request& req,
                                    const resource_detail& d) const override {
    auto out = removal_files(d, req.src_root);
    keep_only(req, out);
    return out;
  }

  caf::expected<std::vector<plan_step>> plan(const job_request& req, const resource_detail& d,
                                             const job_env& env) const override {
    return removal_plan(req, d, env);
  }

  phase_work work(uint8_t) const override {
    return phase_work::remove;
  }

  // Queued behind a job that removed the other copy, it must not run.
  caf::error check_at_start(const active_job& a, const job_env& env) const override {
    auto& req = a.job.request;
    if (!req.force_last && a.job.progress.files_done == 0
        && !other_verified_copy(a.res, req.src_root, env.prefs))
      return last_copy_refusal(req);
    return {};
  }

  phase_end end_phase(active_job& a, const job_env& env, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    auto& req = a.job.request;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary("not removed");
    }
    // A forced removal of what was the last verified copy is recorded as such, so that
    // `catalogue check` can tell a resource removed on purpose from one that was lost.
    bool forced = false;
    if (req.force_last && !failed) {
      auto now = env.db.get_resource(req.uid);
      forced = now && preferred_verified_root(*now, env.prefs).empty();
    }
    out.change = history_change(
      make_history(a.job, forced ? "remove_forced" : "remove", req.src_root, {}));
    return out;
  }
};

}  // namespace

caf::expected<std::vector<plan_step>> removal_plan(const job_request& req,
                                                   const resource_detail& d, const job_env& env) {
  std::vector<plan_step> plan;
  for (auto& f : d.files) {
    if (f.root != req.src_root)
      continue;
    auto refs = env.db.refs(f.abs_path);
    if (!refs)
      return std::move(refs.error());
    std::string other;
    for (auto& r : refs->refs)
      if (r.file_uid != f.file_uid && other.empty())
        other = r.resource_uid;
    if (other.empty() && f.stat.ino != 0) {
      auto ids = env.db.refs_by_identity(f.stat);
      if (!ids)
        return std::move(ids.error());
      for (auto& r : ids->refs)
        if (r.file_uid != f.file_uid && other.empty())
          other = r.resource_uid;
    }
    if (other.empty())
      plan.push_back(plan_step{"delete", f.abs_path, {}, f.size, {}});
    else
      plan.push_back(plan_step{"keep", f.abs_path, {}, f.size, "shared with resource " + other});
  }
  return plan;
}

const job_kind_rules& remove_job_rules() {
  static const remove_rules rules;
  return rules;
}

}  // namespace d1
