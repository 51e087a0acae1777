// datum_hash: every datum of a resource read from one verified copy, its values hashed
// canonically and described; what each datum was found to be is recorded in datum_stats
// (replacing what an earlier datum hash found). The resource's datum algorithm is the one
// asked for, else the one its statistics were recorded with, else SHA-1.
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

namespace d1 {

namespace {

caf::error no_datums(const job_request& req) {
  return make_error(ec::invalid_argument, "resource '" + req.uid
                                            + "' has no datums (register them with "
                                              "`d1drive datum register`)");
}

class datum_hash_rules final : public job_kind_rules {
public:
  std::string command() const override {
    return "datum_hash";
  }

  caf::error check(job_request& req, const resource_detail& d,
                   const job_env& env) const override {
    auto datums = env.db.datum_details(req.uid);
    if (!datums)
      return std::move(datums.error());
    if (datums->empty())
      return no_datums(req);
    auto algorithm = datum_algorithm(req.algorithm, *datums);
    if (!algorithm)
      return std::move(algorithm.error());
    req.algorithm = *algorithm;
    // The values recorded are the reference a datum verification compares with: they are
    // read from a copy whose files were verified by hash.
    auto copies = copies_of(d, env.prefs);
    if (req.src_root.empty()) {
      req.src_root = preferred_verified_root(d, env.prefs);
      if (req.src_root.empty())
        return make_error(ec::invalid_argument, "resource '" + req.uid
                                                  + "' has no verified copy to read its "
                                                    "datums from");
      return {};
    }
    if (auto err = normalize_in_place(req.src_root, "root"))
      return err;
    for (auto& c : copies)
      if (c.root == req.src_root && c.verified)
        return {};
    return make_error(ec::invalid_argument, "resource '" + req.uid + "' has no verified copy at "
                                              + req.src_root);
  }

  std::vector<job_file> first_phase(const job_request& req, const resource_detail& d,
                                    const job_env& env) const override {
    auto datums = env.db.datum_details(req.uid);
    if (!datums)
      return {};
    return datum_steps(req, d, *datums, {req.src_root});
  }

  phase_work work(uint8_t) const override {
    return phase_work::datum;
  }

  caf::error prepare(active_job& a, const job_env& env) const override {
    return load_datums(a, env);
  }

  std::optional<datum_hash_request> datum_request_for(const active_job& a, const job_file& f,
                                                      std::string& why) const override {
    auto x = a.datum(f.rel_path);
    if (!x) {
      why = "datum '" + f.rel_path + "' is not a datum of resource '" + a.job.request.uid + "'";
      return std::nullopt;
    }
    auto out = datum_request(a.res, *x, f.root);
    out.algorithm = a.job.request.algorithm;
    return out;
  }

  std::optional<datum_stats_record> record_datum(const job_record& job, const job_file& f,
                                                 const datum_hash_result& r,
                                                 int64_t now) const override {
    if (r.state != datum_state::ok)
      return std::nullopt;
    datum_stats_record s;
    s.datum_id = r.datum_id;
    s.resource_uid = job.request.uid;
    s.algorithm = r.algorithm;
    s.hash = r.hash;
    s.dtype = r.dtype;
    s.shape = r.shape;
    s.stats = r.stats;
    s.files = r.files;
    s.root = f.root;
    s.hashed_at = now;
    s.job_id = job.id;
    return s;
  }

  phase_end end_phase(active_job& a, const job_env&, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary("could not be read");
    }
    return out;
  }
};

}  // namespace

const job_kind_rules& datum_hash_job_rules() {
  static const datum_hash_rules rules;
  return rules;
}

}  // namespace d1
