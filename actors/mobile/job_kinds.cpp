// What the kinds of job share: the default rules, the helpers, and the table of kinds.
#include "actors/mobile/job_kinds.hpp"

#include "hashing/checksum.hpp"
#include "actors/mobile/beneath.hpp"
#include "actors/mobile/datum_files.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <map>
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
const job_kind_rules& datum_hash_job_rules();
const job_kind_rules& verify_datum_job_rules();

const job_kind_rules& rules_for(job_kind kind) {
  switch (kind) {
    case job_kind::register_hash: return register_job_rules();
    case job_kind::copy: return copy_job_rules();
    case job_kind::move: return move_job_rules();
    case job_kind::remove: return remove_job_rules();
    case job_kind::change_root: return change_root_job_rules();
    case job_kind::verify: return verify_job_rules();
    case job_kind::scrub: return scrub_job_rules();
    case job_kind::datum_hash: return datum_hash_job_rules();
  }
  return verify_job_rules();
}

const job_kind_rules& rules_for(const job_request& req) {
  if (req.kind == job_kind::verify && req.level == check_level::datum)
    return verify_datum_job_rules();
  return rules_for(req.kind);
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

void active_job::set_datums(std::vector<datum_detail> xs) {
  datums = std::move(xs);
  datum_index.clear();
  for (size_t i = 0; i < datums.size(); ++i)
    datum_index[datums[i].datum.datum_id] = i;
}

const datum_detail* active_job::datum(const std::string& id) const {
  auto i = datum_index.find(id);
  return i == datum_index.end() ? nullptr : &datums[i->second];
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

caf::error job_kind_rules::prepare(active_job&, const job_env&) const {
  return {};
}

caf::error job_kind_rules::check_at_start(const active_job&, const job_env&) const {
  return {};
}

std::optional<datum_hash_request> job_kind_rules::datum_request_for(const active_job&,
                                                                    const job_file& f,
                                                                    std::string& why) const {
  why = "a " + command() + " job does not read datum " + f.rel_path;
  return std::nullopt;
}

std::optional<datum_stats_record>
job_kind_rules::record_datum(const job_record&, const job_file&, const datum_hash_result&,
                             int64_t) const {
  return std::nullopt;
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

std::optional<hash_request> hash_request_from_record(const active_job& a, const job_file& f,
                                                      const file_record*& rec, std::string& why) {
  rec = a.lookup(f.root, f.rel_path);
  if (!rec) {
    why = "no record of " + f.rel_path + " at " + f.root;
    return std::nullopt;
  }
  hash_request hr;
  hr.root = rec->root;
  hr.rel_path = rec->rel_path;
  hr.algorithm = rec->algorithm;
  return hr;
}

std::vector<job_file> datum_steps(const job_request& req, const resource_detail& d,
                                  const std::vector<datum_detail>& datums,
                                  const std::vector<std::string>& roots) {
  auto& r = d.resource;
  // Each datum's files (none if it cannot be selected: its step will say why), and how
  // many datums read each file, so a file shared by many datums (AD_HDF5) is split.
  std::vector<std::vector<std::string>> files(datums.size());
  std::map<std::string, size_t> readers;
  for (size_t i = 0; i < datums.size(); ++i) {
    auto sel = select_datum(r.spec, r.path, r.kwargs, datums[i].datum.kwargs);
    if (!sel)
      continue;
    files[i] = std::move(sel->files);
    for (auto& f : files[i])
      ++readers[f];
  }
  std::vector<job_file> out;
  for (auto& root : roots) {
    auto at_root = files_at(d, root);
    auto at_home = files_at(d, r.root);
    for (size_t i = 0; i < datums.size(); ++i) {
      uint64_t bytes = 0;
      for (auto& f : files[i]) {
        // The size recorded at this root, else at the resource's own (not hashed yet: 0).
        const file_record* rec = nullptr;
        if (auto x = at_root.find(f); x != at_root.end())
          rec = x->second;
        else if (auto y = at_home.find(f); y != at_home.end())
          rec = y->second;
        if (rec)
          bytes += rec->size / readers[f];
      }
      out.push_back(job_file{root, datums[i].datum.datum_id, bytes, step_state::pending, {}, 0});
    }
  }
  keep_only(req, out);
  return out;
}

datum_hash_request datum_request(const resource_detail& d, const datum_detail& x,
                                 const std::string& root) {
  datum_hash_request out;
  out.datum_id = x.datum.datum_id;
  out.resource_uid = d.resource.uid;
  out.spec = d.resource.spec;
  out.root = root;
  out.resource_path = d.resource.path;
  out.resource_kwargs = d.resource.kwargs;
  out.datum_kwargs = x.datum.kwargs;
  return out;
}

caf::error load_datums(active_job& a, const job_env& env) {
  auto datums = env.db.datum_details(a.job.request.uid);
  if (!datums)
    return std::move(datums.error());
  a.set_datums(std::move(*datums));
  return {};
}

caf::error check_recorded_datums(const job_request& req, const job_env& env) {
  auto datums = env.db.datum_details(req.uid);
  if (!datums)
    return std::move(datums.error());
  for (auto& x : *datums)
    if (!x.stats.hash.empty())
      return {};
  return make_error(ec::invalid_argument,
                    "resource '" + req.uid + "' has no datum with a recorded hash to compare "
                                             "with (run `d1drive datum hash " + req.uid + "`)");
}

std::optional<datum_hash_request> datum_check_request(const active_job& a, const job_file& f,
                                                      std::string& why) {
  auto x = a.datum(f.rel_path);
  if (!x) {
    why = "datum '" + f.rel_path + "' is not a datum of resource '" + a.job.request.uid + "'";
    return std::nullopt;
  }
  if (x->stats.hash.empty()) {
    why = "datum '" + f.rel_path + "' has no recorded hash (run `d1drive datum hash "
          + a.job.request.uid + "`)";
    return std::nullopt;
  }
  auto out = datum_request(a.res, *x, f.root);
  out.algorithm = x->stats.algorithm;
  out.expected_hash = x->stats.hash;
  return out;
}

std::vector<job_file> datum_check_steps(const active_job& a) {
  auto req = a.job.request;
  req.only.clear();  // a retried copy's files are no datums: every datum is checked
  return datum_steps(req, a.res, a.datums, {req.dst_root});
}

caf::expected<std::string> datum_algorithm(const std::string& asked,
                                           const std::vector<datum_detail>& datums) {
  std::string name = asked;
  if (name.empty()) {
    for (auto& x : datums)
      if (!x.stats.algorithm.empty()) {
        name = x.stats.algorithm;
        break;
      }
  }
  if (name.empty())
    return std::string{"SHA-1"};
  auto canonical = normalize_algorithm(name);
  if (!canonical || *canonical == "MD5")
    return make_error(ec::invalid_argument,
                      "datum hashes are SHA-1 or SHA-256, not '" + name + "'");
  return canonical;
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
