// verify at level datum: every datum's values read again from each checked copy and
// hashed with the algorithm its statistics were recorded with; a datum whose values hash
// differently fails, naming the datum and the files behind it. Catches what a file's size
// cannot (a value changed in place) and ignores what does not change values (a TIFF
// recompressed). Reports only: nothing in the catalogue changes.
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace d1 {

namespace {

class verify_datum_rules final : public job_kind_rules {
public:
  std::string command() const override {
    return "verify";
  }

  caf::error check(job_request& req, const resource_detail& d,
                   const job_env& env) const override {
    if (!req.src_root.empty()) {
      if (auto err = normalize_in_place(req.src_root, "root"))
        return err;
      if (!has_copy_at(d, req.src_root))
        return make_error(ec::not_found,
                          "resource '" + req.uid + "' has no copy at " + req.src_root);
    }
    return check_recorded_datums(req, env);
  }

  std::vector<job_file> first_phase(const job_request& req, const resource_detail& d,
                                    const job_env& env) const override {
    auto datums = env.db.datum_details(req.uid);
    if (!datums)
      return {};
    std::vector<std::string> roots;
    if (!req.src_root.empty())
      roots.push_back(req.src_root);
    else
      for (auto& c : copies_of(d, env.prefs))
        roots.push_back(c.root);
    std::sort(roots.begin(), roots.end());
    return datum_steps(req, d, *datums, roots);
  }

  phase_work work(uint8_t) const override {
    return phase_work::datum;
  }

  caf::error prepare(active_job& a, const job_env& env) const override {
    return load_datums(a, env);
  }

  std::optional<datum_hash_request> datum_request_for(const active_job& a, const job_file& f,
                                                      std::string& why) const override {
    return datum_check_request(a, f, why);
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
};

}  // namespace

const job_kind_rules& verify_datum_job_rules() {
  static const verify_datum_rules rules;
  return rules;
}

}  // namespace d1
