// catalogue_txn: one write transaction of the catalogue, gathered in a batch: resources,
// files with their path and identity references, counters, history, the journal, job
// checkpoints and registrations. The catalogue's reads are in catalogue_db.cpp.
#include "actors/mobile/catalogue_db.hpp"

#include "actors/mobile/catalogue_codec.hpp"

#include "actors/mobile/beneath.hpp"
#include "actors/mobile/datum_files.hpp"
#include "hashing/checksum.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <random>
#include <string_view>
#include <unordered_set>

namespace d1 {

namespace {

std::string random_uid() {
  std::random_device rd;
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (int i = 0; i < 32; ++i)
    out += hex[rd() & 15];
  return out;
}

}  // namespace

void catalogue_txn::put_resource(const resource_record& r) {
  batch_.put(t_resources, r.uid, pack(r));
}

void catalogue_txn::fail(caf::error err) {
  if (!error_)
    error_ = std::move(err);
}

caf::expected<path_refs*> catalogue_txn::refs_in(const char* table, const std::string& key,
                                                 const std::string& name) {
  auto cache_key = std::string{table} + '\0' + key;
  if (auto i = refs_.find(cache_key); i != refs_.end())
    return &i->second;
  auto raw = db_.store_->get(table, key);
  if (!raw)
    return std::move(raw.error());
  path_refs out;
  out.abs_path = name;
  if (*raw) {
    // A reference list that does not decode is never replaced: the other references it
    // held would be lost, and with them what keeps a shared file from deletion.
    auto decoded = unpack<path_refs>(**raw, table);
    if (!decoded)
      return std::move(decoded.error());
    out = std::move(*decoded);
  }
  return &refs_.emplace(cache_key, std::move(out)).first->second;
}

caf::expected<path_refs> catalogue_txn::refs(const std::string& abs_path) {
  auto r = refs_in(t_paths, path_key(abs_path), abs_path);
  if (!r)
    return std::move(r.error());
  return **r;
}

caf::expected<path_refs> catalogue_txn::refs_by_identity(const file_stat& st) {
  if (st.ino == 0)
    return path_refs{};
  auto key = identity_key(st);
  auto r = refs_in(t_identity, key, key);
  if (!r)
    return std::move(r.error());
  return **r;
}

caf::expected<std::optional<file_record>> catalogue_txn::stored(const file_record& f) {
  auto key = file_key(f.resource_uid, f.file_uid);
  if (auto i = files_.find(key); i != files_.end())
    return i->second;
  auto raw = db_.store_->get(t_files, key);
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return std::optional<file_record>{};
  auto decoded = unpack<file_record>(**raw, t_files);
  if (!decoded)
    return std::move(decoded.error());
  return std::optional<file_record>{std::move(*decoded)};
}

namespace {

void add_ref(path_refs& r, const file_record& f) {
  auto same = [&](const file_ref& x) {
    return x.file_uid == f.file_uid && x.resource_uid == f.resource_uid;
  };
  if (std::none_of(r.refs.begin(), r.refs.end(), same))
    r.refs.push_back(file_ref{f.resource_uid, f.file_uid});
}

void drop_ref(path_refs& r, const file_record& f) {
  r.refs.erase(std::remove_if(r.refs.begin(), r.refs.end(),
                              [&](const file_ref& x) {
                                return x.file_uid == f.file_uid
                                       && x.resource_uid == f.resource_uid;
                              }),
               r.refs.end());
}

}  // namespace

void catalogue_txn::put_file(const file_record& f) {
  auto key = file_key(f.resource_uid, f.file_uid);
  auto old = stored(f);
  if (!old)
    return fail(std::move(old.error()));
  batch_.put(t_files, key, pack(f));
  files_[key] = f;
  auto paths = refs_in(t_paths, path_key(f.abs_path), f.abs_path);
  if (!paths)
    return fail(std::move(paths.error()));
  add_ref(**paths, f);
  batch_.put(t_paths, path_key(f.abs_path), pack(**paths));
  // The identity index follows the file: off its old identity, onto its new one.
  auto old_id = *old ? (*old)->stat : file_stat{};
  if (old_id.ino != 0 && !(f.stat.ino != 0 && identity_key(old_id) == identity_key(f.stat))) {
    auto k = identity_key(old_id);
    auto ids = refs_in(t_identity, k, k);
    if (!ids)
      return fail(std::move(ids.error()));
    drop_ref(**ids, f);
    if ((*ids)->refs.empty())
      batch_.erase(t_identity, k);
    else
      batch_.put(t_identity, k, pack(**ids));
  }
  if (f.stat.ino != 0) {
    auto k = identity_key(f.stat);
    auto ids = refs_in(t_identity, k, k);
    if (!ids)
      return fail(std::move(ids.error()));
    add_ref(**ids, f);
    batch_.put(t_identity, k, pack(**ids));
  }
}

caf::expected<path_refs> catalogue_txn::drop_file(const file_record& f) {
  auto key = file_key(f.resource_uid, f.file_uid);
  auto old = stored(f);
  if (!old)
    return std::move(old.error());
  batch_.erase(t_files, key);
  files_[key] = std::nullopt;
  auto id = *old ? (*old)->stat : f.stat;
  if (id.ino != 0) {
    auto k = identity_key(id);
    auto ids = refs_in(t_identity, k, k);
    if (!ids)
      return std::move(ids.error());
    drop_ref(**ids, f);
    if ((*ids)->refs.empty())
      batch_.erase(t_identity, k);
    else
      batch_.put(t_identity, k, pack(**ids));
  }
  auto r = refs_in(t_paths, path_key(f.abs_path), f.abs_path);
  if (!r)
    return std::move(r.error());
  drop_ref(**r, f);
  if ((*r)->refs.empty())
    batch_.erase(t_paths, path_key(f.abs_path));
  else
    batch_.put(t_paths, path_key(f.abs_path), pack(**r));
  return **r;
}

caf::expected<uint64_t> catalogue_txn::next(const std::string& counter) {
  auto i = counters_.find(counter);
  uint64_t value = 0;
  if (i != counters_.end()) {
    value = i->second;
  } else {
    auto raw = db_.store_->get(t_meta, counter);
    if (!raw)
      return std::move(raw.error());
    if (*raw)
      value = std::strtoull((*raw)->c_str(), nullptr, 10);
  }
  ++value;
  counters_[counter] = value;
  batch_.put(t_meta, counter, std::to_string(value));
  return value;
}

void catalogue_txn::add_history(history_entry h) {
  auto seq = next("history");
  batch_.put(t_history,
             h.resource_uid + '\0' + pad(static_cast<uint64_t>(h.time)) + pad(seq ? *seq : 0),
             pack(h));
}

caf::expected<uint64_t> catalogue_txn::begin_journal(journal_entry e) {
  auto seq = next("journal");
  if (!seq)
    return seq;
  e.seq = *seq;
  batch_.put(t_journal, pad(e.seq), pack(e));
  journal_[e.seq] = e;
  return e.seq;
}

caf::error catalogue_txn::end_journal(uint64_t seq, bool success, const std::string& error,
                                      uint64_t job_id) {
  journal_entry e;
  if (auto i = journal_.find(seq); i != journal_.end()) {
    e = i->second;
  } else {
    auto raw = db_.store_->get(t_journal, pad(seq));
    if (!raw)
      return std::move(raw.error());
    if (!*raw)
      return make_error(ec::not_found, "journal entry " + std::to_string(seq));
    auto decoded = unpack<journal_entry>(**raw, t_journal);
    if (!decoded)
      return std::move(decoded.error());
    e = std::move(*decoded);
  }
  e.finished = now_ms();
  e.success = success;
  e.error = error;
  if (job_id != 0)
    e.job_id = job_id;
  batch_.put(t_journal, pad(seq), pack(e));
  journal_[seq] = e;
  return {};
}

void catalogue_txn::put_job(const job_record& j) {
  auto h = job_header_of(j);
  // The header counts the files so a reader knows which job_files records are current.
  h.progress.files_total = j.files.size();
  batch_.put(t_jobs, job_key(j.id), pack(h));
  for (size_t i = 0; i < j.files.size(); ++i)
    batch_.put(t_job_files, job_key(j.id) + pad(i), pack(j.files[i]));
}

void catalogue_txn::put_job_step(const job_record& j, size_t index) {
  auto h = job_header_of(j);
  h.progress.files_total = j.files.size();
  batch_.put(t_jobs, job_key(j.id), pack(h));
  if (index < j.files.size())
    batch_.put(t_job_files, job_key(j.id) + pad(index), pack(j.files[index]));
}

void catalogue_txn::put_job_steps(const job_record& j, const std::vector<size_t>& indices) {
  auto h = job_header_of(j);
  h.progress.files_total = j.files.size();
  batch_.put(t_jobs, job_key(j.id), pack(h));
  for (auto index : indices)
    if (index < j.files.size())
      batch_.put(t_job_files, job_key(j.id) + pad(index), pack(j.files[index]));
}

caf::expected<resource_detail> catalogue_txn::register_resource(const job_request& req) {
  resource_record r;
  r.uid = req.uid.empty() ? random_uid() : req.uid;
  if (auto err = check_uid(r.uid, "resource uid"))
    return err;
  auto existing = db_.store_->get(t_resources, r.uid);
  if (!existing)
    return std::move(existing.error());
  if (*existing)
    return make_error(ec::invalid_argument, "resource '" + r.uid + "' is already registered");
  auto root = normalize_root(req.root);
  if (!root)
    return make_error(ec::invalid_argument, context_of(root.error()));
  // A new resource has no datums yet.
  auto listing = list_resource_files(req.spec, req.path, req.kwargs, {});
  if (!listing)
    return std::move(listing.error());
  std::string algorithm = req.algorithm.empty() ? "SHA-256" : req.algorithm;
  auto canonical = normalize_algorithm(algorithm);
  if (!canonical)
    return std::move(canonical.error());
  if (!listing->algorithm.empty()) {
    if (!req.algorithm.empty() && *canonical != listing->algorithm)
      return make_error(ec::invalid_argument,
                        req.spec + ": files are hashed with the system-metadata algorithm "
                          + listing->algorithm);
    *canonical = listing->algorithm;
  }
  r.spec = req.spec;
  r.root = *root;
  r.path = *normalize_rel_path(req.path);
  r.kwargs = req.kwargs.empty() ? "{}" : req.kwargs;
  r.algorithm = *canonical;
  r.created = now_ms();
  put_resource(r);
  resource_detail out;
  out.resource = r;
  out.rel_paths = listing->rel_paths;
  for (auto& rel : listing->rel_paths) {
    auto f = unhashed_record(r, rel, listing->expected_digest);
    put_file(f);
    out.files.push_back(std::move(f));
  }
  history_entry h;
  h.resource_uid = r.uid;
  h.time = r.created;
  h.action = "register";
  h.to_root = r.root;
  h.files = static_cast<uint32_t>(out.files.size());
  add_history(h);
  return out;
}

}  // namespace d1
