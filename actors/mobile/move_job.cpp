// move: a copy (phase 0), then, only if every file was copied and verified, the removal
// of the source copy (phase 1), each deletion re-checked against the new copy on disk.
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

namespace d1 {

namespace {

class move_rules final : public job_kind_rules {
public:
  std::string command() const override {
    return "move";
  }

  caf::error check(job_request& req, const resource_detail& d,
                   const job_env& env) const override {
    return check_copy_request(req, d, env);
  }

  std::vector<job_file> first_phase(const job_request& req,
                                    const resource_detail& d) const override {
    return rules_for(job_kind::copy).first_phase(req, d);
  }

  caf::expected<std::vector<plan_step>> plan(const job_request& req, const resource_detail& d,
                                             const job_env& env) const override {
    auto plan = copy_plan(req, d);
    auto removal = removal_plan(req, d, env);
    if (!removal)
      return std::move(removal.error());
    plan.insert(plan.end(), removal->begin(), removal->end());
    return plan;
  }

  phase_work work(uint8_t phase) const override {
    return phase == 0 ? phase_work::copy : phase_work::remove;
  }

  phase_end end_phase(active_job& a, const job_env& env, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    auto& job = a.job;
    auto& req = job.request;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary(job.phase == 0 ? "not copied (the source is kept)"
                                         : "not removed from the source");
      return out;
    }
    if (job.phase == 0) {
      // Every file is now verified (and committed) at the destination: remove the source
      // copy, with the records as they now are (the new copy is each file's witness).
      auto detail = env.db.get_resource(req.uid);
      if (!detail) {
        out.state = job_state::failed;
        out.error = describe(detail.error());
        return out;
      }
      a.res = std::move(*detail);
      a.index_files();
      job.phase = 1;
      job.files = removal_files(a.res, req.src_root);
      keep_only(req, job.files);
      out.next_phase = true;
      return out;
    }
    out.change = history_change(make_history(job, "move", req.src_root, req.dst_root));
    return out;
  }
};

}  // namespace

const job_kind_rules& move_job_rules() {
  static const move_rules rules;
  return rules;
}

}  // namespace d1
