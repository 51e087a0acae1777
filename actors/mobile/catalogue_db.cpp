// The catalogue's tables: one durable LMDB environment, records encoded with storage's
// codec behind the catalogue's own version byte, one write transaction per logical change
// (catalogue_txn.cpp). This file holds the keys, the copies' ranking and the reads.
#include "actors/mobile/catalogue_db.hpp"

#include "actors/mobile/catalogue_codec.hpp"

#include "hashing/checksum.hpp"
#include "actors/mobile/beneath.hpp"
#include "actors/mobile/datum_files.hpp"
#include "messages/error.hpp"
#include "storage/codec.hpp"
#include "storage/lmdb_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <unordered_set>

namespace d1 {

namespace {

// Longest path used as a key as is; longer ones are keyed by their hash.
constexpr size_t max_plain_path_key = 400;

std::string sha256_hex(const std::string& s) {
  auto h = streaming_hasher::make("SHA-256");
  h->update(s.data(), s.size());
  return h->hex_digest();
}

}  // namespace

std::string pad(uint64_t x, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*llu", width, static_cast<unsigned long long>(x));
  return buf;
}

caf::error check_uid(const std::string& uid, const char* what) {
  if (uid.empty() || uid.size() > 200)
    return make_error(ec::invalid_argument, std::string{what} + " must be 1 to 200 bytes");
  for (unsigned char c : uid)
    if (c < 0x20 || c == 0x7f)
      return make_error(ec::invalid_argument,
                        std::string{what} + " contains a control character");
  return {};
}

file_record unhashed_record(const resource_record& r, const std::string& rel,
                            const std::string& expected_digest) {
  file_record f;
  f.file_uid = make_file_uid(r.uid, r.root, rel);
  f.resource_uid = r.uid;
  f.root = r.root;
  f.rel_path = rel;
  f.abs_path = join_path(r.root, rel);
  f.algorithm = r.algorithm;
  f.expected_digest = expected_digest;
  return f;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string make_file_uid(const std::string& resource_uid, const std::string& root,
                          const std::string& rel_path) {
  std::string s = resource_uid;
  s += '\0';
  s += root;
  s += '\0';
  s += rel_path;
  return sha256_hex(s).substr(0, 32);
}

std::string file_key(const std::string& resource_uid, const std::string& file_uid) {
  return resource_uid + '\0' + file_uid;
}

std::string path_key(const std::string& abs_path) {
  if (abs_path.size() <= max_plain_path_key)
    return abs_path;
  return "#" + sha256_hex(abs_path);
}

std::string identity_key(const file_stat& st) {
  char buf[64];
  if (st.fs_id != 0)
    std::snprintf(buf, sizeof buf, "f%llx:%llx", static_cast<unsigned long long>(st.fs_id),
                  static_cast<unsigned long long>(st.ino));
  else
    std::snprintf(buf, sizeof buf, "d%llx:%llx", static_cast<unsigned long long>(st.dev),
                  static_cast<unsigned long long>(st.ino));
  return buf;
}

std::string job_key(uint64_t id) {
  return pad(id);
}

int32_t host_preferences::rank(const std::string& root) const {
  for (size_t i = 0; i < roots.size(); ++i) {
    auto& r = roots[i];
    if (root == r || r == "/"
        || (root.size() > r.size() && root.compare(0, r.size(), r) == 0
            && root[r.size()] == '/'))
      return static_cast<int32_t>(i);
  }
  return -1;
}

std::vector<copy_location> copies_of(const resource_detail& detail,
                                     const host_preferences& prefs) {
  // Hashed views: a resource of many files on several roots is one pass, no string copies.
  std::map<std::string, copy_location> by_root;
  std::map<std::string, std::unordered_set<std::string_view>> ok_paths;
  std::unordered_set<std::string_view> expected(detail.rel_paths.begin(),
                                                detail.rel_paths.end());
  for (auto& f : detail.files) {
    auto& c = by_root[f.root];
    c.root = f.root;
    ++c.files;
    if (!f.digest.empty() && f.exists && f.state == file_state::ok
        && expected.count(f.rel_path)) {
      ok_paths[f.root].insert(f.rel_path);
      c.verified_at = c.verified_at == 0 ? f.verified_at : std::min(c.verified_at, f.verified_at);
      c.hashed_at = c.hashed_at == 0 ? f.hashed_at : std::min(c.hashed_at, f.hashed_at);
    } else if (f.state != file_state::ok && f.state != file_state::unknown) {
      if (c.files_bad++ == 0)
        c.problem = f.rel_path + ": " + to_string(f.state);
    }
  }
  std::vector<copy_location> out;
  for (auto& [root, c] : by_root) {
    c.files_expected = static_cast<uint32_t>(expected.size());
    c.files_ok = static_cast<uint32_t>(ok_paths[root].size());
    c.verified = !expected.empty() && c.files_ok == expected.size();
    c.preference = prefs.rank(root);
    out.push_back(c);
  }
  std::stable_sort(out.begin(), out.end(), [](const copy_location& a, const copy_location& b) {
    if (a.verified != b.verified)
      return a.verified;
    auto ra = a.preference < 0 ? INT32_MAX : a.preference;
    auto rb = b.preference < 0 ? INT32_MAX : b.preference;
    if (ra != rb)
      return ra < rb;
    return a.root < b.root;
  });
  return out;
}

std::string preferred_verified_root(const resource_detail& detail,
                                    const host_preferences& prefs) {
  auto copies = copies_of(detail, prefs);
  if (!copies.empty() && copies.front().verified)
    return copies.front().root;
  return {};
}

// -- catalogue_db ----------------------------------------------------------------------

caf::expected<std::shared_ptr<catalogue_db>> catalogue_db::open(const std::string& dir) {
  storage::environment_options opts;
  opts.durable = true;
  auto store = storage::lmdb_store::open(dir, opts);
  if (!store)
    return std::move(store.error());
  if (auto err = migrate_catalogue(**store))
    return err;
  return std::make_shared<catalogue_db>(*store);
}

catalogue_db::catalogue_db(std::shared_ptr<storage::kv_store> store)
  : store_(std::move(store)) {
}

caf::error catalogue_db::update(const std::function<caf::error(catalogue_txn&)>& fn) {
  std::lock_guard<std::mutex> guard{update_mutex_};
  catalogue_txn txn{*this};
  if (auto err = fn(txn))
    return err;
  if (txn.error_)
    return txn.error_;
  if (txn.batch_.empty())
    return {};
  auto err = store_->write(txn.batch_);
  if (!err)
    ++commits_;
  return err;
}

caf::expected<resource_detail> catalogue_db::get_resource(const std::string& uid) {
  if (uid.empty() || uid.size() > 200)
    return make_error(ec::not_found, "resource '" + uid + "'");
  auto raw = store_->get(t_resources, uid);
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return make_error(ec::not_found, "resource '" + uid + "' is not registered");
  auto r = unpack<resource_record>(**raw, t_resources);
  if (!r)
    return std::move(r.error());
  resource_detail out;
  out.resource = std::move(*r);
  auto listing = listing_of(out.resource);
  if (!listing)
    return std::move(listing.error());
  out.rel_paths = std::move(listing->rel_paths);
  caf::error decode_err;
  auto err = store_->scan_prefix(t_files, uid + '\0', [&](std::string_view, std::string_view v) {
    auto f = unpack<file_record>(v, t_files);
    if (!f) {
      decode_err = std::move(f.error());
      return false;
    }
    out.files.push_back(std::move(*f));
    return true;
  });
  if (err)
    return err;
  if (decode_err)
    return decode_err;
  return out;
}

namespace {

template <class T>
caf::expected<std::vector<T>> scan_all(storage::kv_store& store, const char* table,
                                       const std::string& prefix) {
  std::vector<T> out;
  caf::error decode_err;
  auto err = store.scan_prefix(table, prefix, [&](std::string_view, std::string_view v) {
    auto x = unpack<T>(v, table);
    if (!x) {
      decode_err = std::move(x.error());
      return false;
    }
    out.push_back(std::move(*x));
    return true;
  });
  if (err)
    return err;
  if (decode_err)
    return decode_err;
  return out;
}

}  // namespace

caf::expected<std::vector<resource_record>> catalogue_db::list_resources() {
  return scan_all<resource_record>(*store_, t_resources, "");
}

caf::expected<std::vector<file_record>> catalogue_db::list_files() {
  return scan_all<file_record>(*store_, t_files, "");
}

caf::expected<path_refs> catalogue_db::refs(const std::string& abs_path) {
  auto raw = store_->get(t_paths, path_key(abs_path));
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return path_refs{2, abs_path, {}};
  return unpack<path_refs>(**raw, t_paths);
}

caf::expected<path_refs> catalogue_db::refs_by_identity(const file_stat& st) {
  if (st.ino == 0)
    return path_refs{};
  auto key = identity_key(st);
  auto raw = store_->get(t_identity, key);
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return path_refs{2, key, {}};
  return unpack<path_refs>(**raw, t_identity);
}

caf::expected<std::vector<std::pair<std::string, std::string>>>
catalogue_db::due_for_scrub(int64_t hashed_before) {
  auto files = list_files();
  if (!files)
    return std::move(files.error());
  // The oldest hash of each copy; a copy with a file never hashed is not scrubbed (it
  // was never verified: a verify, not a scrub, is what it needs).
  std::map<std::pair<std::string, std::string>, int64_t> oldest;
  for (auto& f : *files) {
    if (f.digest.empty() || f.state != file_state::ok)
      continue;
    auto key = std::make_pair(f.resource_uid, f.root);
    auto i = oldest.find(key);
    if (i == oldest.end() || f.hashed_at < i->second)
      oldest[key] = f.hashed_at;
  }
  std::vector<std::pair<int64_t, std::pair<std::string, std::string>>> due;
  for (auto& [copy, at] : oldest)
    if (at < hashed_before)
      due.emplace_back(at, copy);
  std::sort(due.begin(), due.end());
  std::vector<std::pair<std::string, std::string>> out;
  for (auto& d : due)
    out.push_back(d.second);
  return out;
}

caf::expected<std::vector<history_entry>> catalogue_db::history(const std::string& uid) {
  auto out = scan_all<history_entry>(*store_, t_history, uid.empty() ? "" : uid + '\0');
  if (out && uid.empty())
    std::stable_sort(out->begin(), out->end(),
                     [](const history_entry& a, const history_entry& b) { return a.time < b.time; });
  return out;
}

caf::expected<std::vector<journal_entry>> catalogue_db::journal(uint64_t after_seq,
                                                                uint32_t limit) {
  std::vector<journal_entry> out;
  caf::error decode_err;
  auto start = pad(after_seq);
  auto err = store_->scan(t_journal, [&](std::string_view k, std::string_view v) {
    if (k <= start)
      return true;
    auto x = unpack<journal_entry>(v, t_journal);
    if (!x) {
      decode_err = std::move(x.error());
      return false;
    }
    out.push_back(std::move(*x));
    return limit == 0 || out.size() < limit;
  });
  if (err)
    return err;
  if (decode_err)
    return decode_err;
  return out;
}

caf::expected<location_report> catalogue_db::locate(const std::string& uid,
                                                    const host_preferences& prefs) {
  auto detail = get_resource(uid);
  if (!detail)
    return std::move(detail.error());
  location_report out;
  out.resource_uid = uid;
  out.host = prefs.host;
  out.copies = copies_of(*detail, prefs);
  for (auto& c : out.copies)
    if (auto here = prefs.local.local(c.root); here != c.root)
      c.local_root = here;
  if (!out.copies.empty() && out.copies.front().verified)
    out.preferred_root = out.copies.front().root;
  return out;
}

caf::expected<job_record> catalogue_db::get_job(uint64_t id) {
  auto raw = store_->get(t_jobs, job_key(id));
  if (!raw)
    return std::move(raw.error());
  if (!*raw)
    return make_error(ec::not_found, "job " + std::to_string(id));
  auto job = unpack<job_record>(**raw, t_jobs);
  if (!job)
    return job;
  auto files = scan_all<job_file>(*store_, t_job_files, job_key(id));
  if (!files)
    return std::move(files.error());
  // A later phase may have fewer files than an earlier one: the header's count rules.
  if (files->size() > job->progress.files_total)
    files->resize(job->progress.files_total);
  job->files = std::move(*files);
  return job;
}

caf::expected<std::vector<job_record>> catalogue_db::list_jobs() {
  return scan_all<job_record>(*store_, t_jobs, "");
}

}  // namespace d1

