// What the kinds of job share: the default rules, the helpers, and the table of kinds.
#include "actors/mobile/job_kinds.hpp"

#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <tuple>

namespace d1 {

// One function per kind, each in its own file.
const job_kind_rules& register_job_rules();
const job_kind_rules& copy_job_rules();
const job_kind_rules& move_job_rules();
const job_kind_rules& remove_job_rules();
const job_kind_rules& change_root_job_rules();
const job_kind_rules& verify_job_rules();
const job_kind_rules& scrub_job_rules();

const job_kind_rules& rules_for(job_kind kind) {
  switch (kind) {
    case job_kind::register_hash: return register_job_rules();
    case job_kind::copy: return copy_job_rules();
    case job_kind::move: return move_job_rules();
    case job_kind::remove: return remove_job_rules();
    case job_kind::change_root: return change_root_job_rules();
    case job_kind::verify: return verify_job_rules();
    case job_kind::scrub: return scrub_job_rules();
  }
  return verify_job_rules();
}

void active_job::index_files() {
  file_index.clear();
  for (size_t i = 0; i < res.files.size(); ++i)
    file_index[res.files[i].root + '\n' + res.files[i].rel_path] = i;
}

const file_record* active_job::lookup(const std::string& root, const std::string& rel) const {
  auto i = file_index.find(root + '\n' + rel);
  return i == file_index.end() ? nullptr : &res.files[i->second];
}

bool active_job::waits_for_retry(size_t index) const {
  for (auto& r : retrying)
    if (r.first == index)
      return true;
  return false;
}

caf::expected<std::vector<plan_step>>
job_kind_rules::plan(const job_request&, const resource_detail&, const job_env&) const {
  return make_error(ec::invalid_argument, "dry run is for copy, move and remove");
}

caf::error job_kind_rules::check_at_start(const active_job&, const job_env&) const {
  return {};
}

std::optional<hash_request> job_kind_rules::hash_request_for(const active_job&,
                                                             const job_file& f,
                                                             std::string& why) const {
  why = "a " + command() + " job does not hash " + f.rel_path;
  return std::nullopt;
}

std::optional<file_record> job_kind_rules::record_hash(const job_record&, const file_record&,
                                                       const hash_result&, int64_t) const {
  return std::nullopt;
}

bool job_kind_rules::step_ok(const job_record&, const hash_result& r) const {
  return r.state == file_state::ok;
}

caf::error normalize_in_place(std::string& root, const char* what) {
  auto r = normalize_root(root);
  if (!r)
    return make_error(ec::invalid_argument, std::string{what} + ": " + context_of(r.error()));
  root = *r;
  return {};
}

std::unordered_map<std::string, const file_record*> files_at(const resource_detail& d,
                                                             const std::string& root) {
  std::unordered_map<std::string, const file_record*> out;
  for (auto& f : d.files)
    if (f.root == root)
      out[f.rel_path] = &f;
  return out;
}

bool has_copy_at(const resource_detail& d, const std::string& root) {
  return std::any_of(d.files.begin(), d.files.end(),
                     [&](const file_record& f) { return f.root == root; });
}

bool other_verified_copy(const resource_detail& d, const std::string& root,
                         const host_preferences& prefs) {
  for (auto& c : copies_of(d, prefs))
    if (c.root != root && c.verified)
      return true;
  return false;
}

caf::error last_copy_refusal(const job_request& r) {
  return make_error(ec::refused, "refusing to remove the last verified copy of '" + r.uid
                                   + "' (at " + r.src_root + "); use force_last");
}

void sort_files(std::vector<job_file>& files) {
  std::sort(files.begin(), files.end(), [](const job_file& a, const job_file& b) {
    return std::tie(a.root, a.rel_path) < std::tie(b.root, b.rel_path);
  });
}

std::vector<job_file> removal_files(const resource_detail& d, const std::string& root) {
  std::vector<job_file> out;
  for (auto& f : d.files)
    if (f.root == root)
      out.push_back(job_file{root, f.rel_path, f.size, step_state::pending, {}, 0});
  sort_files(out);
  return out;
}

void keep_only(const job_request& req, std::vector<job_file>& files) {
  if (req.only.empty())
    return;
  std::vector<std::string> only = req.only;
  std::sort(only.begin(), only.end());
  files.erase(std::remove_if(files.begin(), files.end(),
                             [&](const job_file& f) {
                               return !std::binary_search(only.begin(), only.end(), f.rel_path);
                             }),
              files.end());
}

history_entry make_history(const job_record& job, const char* action, const std::string& from,
                           const std::string& to) {
  history_entry h;
  h.resource_uid = job.request.uid;
  h.time = now_ms();
  h.action = action;
  h.from_root = from;
  h.to_root = to;
  h.job_id = job.id;
  h.files = static_cast<uint32_t>(job.files.size());
  return h;
}

catalogue_change history_change(history_entry h) {
  return [h = std::move(h)](catalogue_txn& txn) -> caf::error {
    txn.add_history(h);
    return {};
  };
}

}  // namespace d1
