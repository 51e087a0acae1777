// register: the files of a newly registered resource, first looked at (present, regular,
// their sizes), then hashed and recorded. A DATAONE file must match its system metadata.
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

namespace d1 {

namespace {

class register_rules final : public job_kind_rules {
public:
  std::string command() const override {
    return "register";
  }

  caf::error check(job_request&, const resource_detail&, const job_env&) const override {
    return make_error(ec::invalid_argument, "register_hash jobs are queued by register");
  }

  std::vector<job_file> first_phase(const job_request& req, const resource_detail& d,
                                    const job_env& env) const override {
    std::vector<job_file> out;
    for (auto& rel : d.rel_paths)
      out.push_back(job_file{d.resource.root, rel, 0, step_state::pending, {}, 0});
    keep_only(req, out);
    return out;
  }

  // Phase 0 learns the sizes (a stat each), so phase 1's batches and deadlines know how
  // many bytes they carry; a missing file fails before anything is read.
  phase_work work(uint8_t) const override {
    return phase_work::hash;
  }

  std::optional<hash_request> hash_request_for(const active_job& a, const job_file& f,
                                               std::string& why) const override {
    const file_record* rec = nullptr;
    auto hr = hash_request_from_record(a, f, rec, why);
    if (!hr)
      return std::nullopt;
    hr->level = a.job.phase == 0 ? check_level::exists : check_level::hash;
    hr->expected_size = f.size;
    hr->expected_digest = rec->expected_digest;
    return hr;
  }

  std::optional<file_record> record_hash(const job_record& job, const file_record& rec,
                                         const hash_result& r, int64_t now) const override {
    if (job.phase == 0 && r.state == file_state::ok)
      return std::nullopt;
    auto f = rec;
    f.exists = r.state != file_state::missing;
    f.state = r.state;
    f.verified_at = now;
    if (job.phase == 1) {
      f.size = r.size;
      f.digest = r.digest;
    }
    if (r.state == file_state::ok) {
      f.hashed_at = now;
      f.stat = r.stat;
    }
    return f;
  }

  phase_end end_phase(active_job& a, const job_env&, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary(a.job.phase == 0 ? "could not be read"
                                           : "could not be hashed or did not match");
      return out;
    }
    if (a.job.phase == 0) {
      a.job.phase = 1;
      for (auto& f : a.job.files) {
        f.state = step_state::pending;
        f.detail.clear();
      }
      out.next_phase = true;
    }
    return out;
  }
};

}  // namespace

const job_kind_rules& register_job_rules() {
  static const register_rules rules;
  return rules;
}

}  // namespace d1
