// change_root: files moved out of band are recorded at their new root, after every one
// was found there with the recorded size and digest; nothing changes otherwise.
#include "actors/mobile/beneath.hpp"
#include "actors/mobile/job_kinds.hpp"
#include "messages/error.hpp"

namespace d1 {

namespace {

caf::error bad(const std::string& what) {
  return make_error(ec::invalid_argument, what);
}

class change_root_rules final : public job_kind_rules {
public:
  std::string command() const override {
    return "change_root";
  }

  caf::error check(job_request& req, const resource_detail& d,
                   const job_env& env) const override {
    if (req.dst_root.empty())
      return bad("the new root is required");
    if (auto err = normalize_in_place(req.dst_root, "new root"))
      return err;
    if (req.src_root.empty()) {
      auto copies = copies_of(d, env.prefs);
      if (copies.size() != 1)
        return bad("resource '" + req.uid + "' has " + std::to_string(copies.size())
                   + " copies: name the old root");
      req.src_root = copies.front().root;
    } else if (auto err = normalize_in_place(req.src_root, "old root")) {
      return err;
    }
    if (!has_copy_at(d, req.src_root))
      return make_error(ec::not_found, "resource '" + req.uid + "' has no copy at " + req.src_root);
    if (req.src_root == req.dst_root)
      return bad("old and new root are the same");
    auto at_src = files_at(d, req.src_root);
    for (auto& rel : d.rel_paths) {
      auto i = at_src.find(rel);
      if (i == at_src.end() || i->second->digest.empty())
        return bad("file " + rel + " has no recorded hash at " + req.src_root
                   + ": change_root needs one to check the new location");
    }
    return {};
  }

  std::vector<job_file> first_phase(const job_request& req,
                                    const resource_detail& d) const override {
    auto at_src = files_at(d, req.src_root);
    std::vector<job_file> out;
    for (auto& rel : d.rel_paths) {
      auto i = at_src.find(rel);
      out.push_back(job_file{req.dst_root, rel, i == at_src.end() ? 0 : i->second->size,
                             step_state::pending, {}, 0});
    }
    return out;
  }

  phase_work work(uint8_t) const override {
    return phase_work::hash;
  }

  std::optional<hash_request> hash_request_for(const active_job& a, const job_file& f,
                                               std::string& why) const override {
    auto& req = a.job.request;
    auto rec = a.lookup(req.src_root, f.rel_path);
    if (!rec) {
      why = "no record of " + f.rel_path + " at " + req.src_root;
      return std::nullopt;
    }
    hash_request hr;
    hr.root = req.dst_root;
    hr.rel_path = f.rel_path;
    hr.algorithm = rec->algorithm;
    hr.level = check_level::hash;
    hr.has_expected = true;
    hr.expected_size = rec->size;
    hr.expected_digest = rec->digest;
    return hr;
  }

  phase_end end_phase(active_job& a, const job_env&, size_t failed,
                      const std::function<std::string(const std::string&)>& summary)
    const override {
    phase_end out;
    auto& job = a.job;
    auto& req = job.request;
    if (failed) {
      out.state = job_state::failed;
      out.error = summary("do not match at " + req.dst_root + " (nothing changed)");
      return out;
    }
    // Every file matched: the records move in one transaction with the job's end.
    std::vector<file_record> old_records;
    std::vector<file_record> new_records;
    auto now = now_ms();
    for (size_t i = 0; i < job.files.size(); ++i) {
      auto& rel = job.files[i].rel_path;
      auto old = a.lookup(req.src_root, rel);
      if (!old)
        continue;
      old_records.push_back(*old);
      file_record f = *old;
      f.root = req.dst_root;
      f.abs_path = join_path(req.dst_root, rel);
      f.file_uid = make_file_uid(req.uid, req.dst_root, rel);
      f.exists = true;
      f.state = file_state::ok;
      f.verified_at = now;
      f.hashed_at = now;
      auto seen = a.seen.find(i);
      f.stat = seen == a.seen.end() ? file_stat{} : seen->second;  // unknown: hashed later
      new_records.push_back(std::move(f));
    }
    auto resource = a.res.resource;
    bool move_resource_root = resource.root == req.src_root;
    resource.root = req.dst_root;
    auto history = make_history(job, "change_root", req.src_root, req.dst_root);
    out.change = [old_records, new_records, resource, move_resource_root,
                  history](catalogue_txn& txn) -> caf::error {
      for (auto& old : old_records)
        if (auto left = txn.drop_file(old); !left)
          return std::move(left.error());
      for (auto& f : new_records)
        txn.put_file(f);
      if (move_resource_root)
        txn.put_resource(resource);
      txn.add_history(history);
      return {};
    };
    return out;
  }
};

}  // namespace

const job_kind_rules& change_root_job_rules() {
  static const change_root_rules rules;
  return rules;
}

}  // namespace d1
