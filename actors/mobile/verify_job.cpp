// verify and scrub: copies checked where they are. Only a hash marks a file verified: the
// exists and size levels report what they see (and downgrade a file that moved) but never
// upgrade one. A scrub is a verify by hash that the job manager schedules itself, paced.
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

namespace d1 {

namespace {

class verify_rules : public job_kind_rules {
public:
  explicit verify_rules(bool scrub) : scrub_(scrub) {
  }

  std::string command() const override {
    return scrub_ ? "scrub" : "verify";
  }

  bool paced() const override {
    return scrub_;
  }

  caf::error check(job_request& req, const resource_detail& d, const job_env&) const override {
    if (scrub_)
      req.level = check_level::hash;
    if (!req.src_root.empty()) {
      if (auto err = normalize_in_place(req.src_root, "root"))
        return err;
      if (!has_copy_at(d, req.src_root))
        return make_error(ec::not_found,
                          "resource '" + req.uid + "' has no copy at " + req.src_root);
    }
    return {};
  }

  std::vector<job_file> first_phase(const job_request& req, const resource_detail& d,
                                    const job_env& env) const override {
    std::vector<job_file> out;
    for (auto& f : d.files)
      if (req.src_root.empty() || f.root == req.src_root)
        out.push_back(job_file{f.root, f.rel_path, f.size, step_state::pending, {}, 0});
    sort_files(out);
    keep_only(req, out);
    return out;
  }

  phase_work work(uint8_t) const override {
    return phase_work::hash;
  }

  std::optional<hash_request> hash_request_for(const active_job& a, const job_file& f,
                                               std::string& why) const override {
    const file_record* rec = nullptr;
    auto hr = hash_request_from_record(a, f, rec, why);
    if (!hr)
      return std::nullopt;
    hr->level = a.job.request.level;
    hr->has_expected = !rec->digest.empty();
    hr->expected_size = rec->size;
    hr->expected_digest = rec->digest;
    hr->expected_stat = rec->stat;
    return hr;
  }

  std::optional<file_record> record_hash(const job_record& job, const file_record& rec,
                                         const hash_result& r, int64_t now) const override {
    auto f = rec;
    f.exists = r.state != file_state::missing;
    f.verified_at = now;
    if (job.request.level == check_level::hash) {
      f.state = r.state;
      if (r.state == file_state::ok) {
        f.hashed_at = now;
        f.stat = r.stat;
      }
    } else if (r.state != file_state::ok) {
      f.state = r.state;  // a lighter check may downgrade, never upgrade
    }
    return f;
  }

  phase_end end_phase(active_job&, const job_env&, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary("do not match");
    }
    return out;
  }

private:
  bool scrub_;
};

}  // namespace

const job_kind_rules& verify_job_rules() {
  static const verify_rules rules{false};
  return rules;
}

const job_kind_rules& scrub_job_rules() {
  static const verify_rules rules{true};
  return rules;
}

}  // namespace d1
