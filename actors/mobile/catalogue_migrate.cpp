// Catalogue schema 1 → 2: file records gain the file's identity and the time of its last
// matching hash, job files an attempt count, job requests the files of a retry. 2 → 3: job
// records gain the code of their error. Older records are read with their old layout and
// written anew, in one transaction.
#include "actors/mobile/catalogue_db.hpp"

#include "actors/mobile/catalogue_codec.hpp"

#include "messages/error.hpp"
#include "storage/codec.hpp"

#include <caf/meta/type_name.hpp>

#include <optional>
#include <string_view>

namespace d1 {

namespace {

constexpr uint8_t schema_1 = 1;

struct file_record_v1 {
  uint16_t version = 1;
  std::string file_uid, resource_uid, root, rel_path, abs_path;
  uint64_t size = 0;
  std::string algorithm, digest, expected_digest;
  bool exists = false;
  file_state state = file_state::unknown;
  int64_t verified_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, file_record_v1& x) {
  return f(caf::meta::type_name("file_record"), x.version, x.file_uid, x.resource_uid,
           x.root, x.rel_path, x.abs_path, x.size, x.algorithm, x.digest,
           x.expected_digest, x.exists, x.state, x.verified_at);
}

struct job_file_v1 {
  std::string root, rel_path;
  uint64_t size = 0;
  step_state state = step_state::pending;
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_file_v1& x) {
  return f(caf::meta::type_name("job_file"), x.root, x.rel_path, x.size, x.state, x.detail);
}

struct job_request_v1 {
  job_kind kind = job_kind::verify;
  std::string uid, src_root, dst_root;
  check_level level = check_level::hash;
  bool force_last = false;
  bool dry_run = false;
  std::string spec, root, path, kwargs, algorithm;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_request_v1& x) {
  return f(caf::meta::type_name("job_request"), x.kind, x.uid, x.src_root, x.dst_root,
           x.level, x.force_last, x.dry_run, x.spec, x.root, x.path, x.kwargs,
           x.algorithm);
}

// A job of schema 1 or 2: that schema's request and files, no error code.
template <class Request, class File>
struct frozen_job_record {
  uint16_t version = 0;  // as stored
  uint64_t id = 0;
  Request request;
  job_state state = job_state::queued;
  uint8_t phase = 0;
  std::vector<File> files;
  job_progress progress;
  std::string error;
  uint64_t journal_seq = 0;
  int64_t created = 0, started = 0, finished = 0;
};

template <class Inspector, class Request, class File>
typename Inspector::result_type inspect(Inspector& f, frozen_job_record<Request, File>& x) {
  return f(caf::meta::type_name("job_record"), x.version, x.id, x.request, x.state,
           x.phase, x.files, x.progress, x.error, x.journal_seq, x.created, x.started,
           x.finished);
}

using job_record_v1 = frozen_job_record<job_request_v1, job_file_v1>;
using job_record_v2 = frozen_job_record<job_request, job_file>;  // today's request and files

// The code an older job's error text starts with (describe() wrote "code: context"); the
// only place a code is read back from text, once, when the record is migrated.
ec code_in_text(const std::string& described) {
  for (auto c = static_cast<uint8_t>(ec::unspecified);
       c <= static_cast<uint8_t>(ec::actor_failed); ++c) {
    std::string prefix = to_string(static_cast<ec>(c));
    prefix += ':';
    if (described.compare(0, prefix.size(), prefix) == 0)
      return static_cast<ec>(c);
  }
  return ec::unspecified;
}

job_file upgrade(const job_file_v1& x) {
  return job_file{x.root, x.rel_path, x.size, x.state, x.detail, 0};
}

job_file upgrade(const job_file& x) {
  return x;
}

file_record upgrade(const file_record_v1& x) {
  file_record out;
  out.file_uid = x.file_uid;
  out.resource_uid = x.resource_uid;
  out.root = x.root;
  out.rel_path = x.rel_path;
  out.abs_path = x.abs_path;
  out.size = x.size;
  out.algorithm = x.algorithm;
  out.digest = x.digest;
  out.expected_digest = x.expected_digest;
  out.exists = x.exists;
  out.state = x.state;
  out.verified_at = x.verified_at;
  // Its last check was a hash only if it has a digest and was ok; its identity is
  // unknown, so the next removal or check before one hashes it.
  out.hashed_at = !x.digest.empty() && x.state == file_state::ok ? x.verified_at : 0;
  return out;
}

job_request upgrade(const job_request_v1& r) {
  job_request out;
  out.kind = r.kind;
  out.uid = r.uid;
  out.src_root = r.src_root;
  out.dst_root = r.dst_root;
  out.level = r.level;
  out.force_last = r.force_last;
  out.dry_run = r.dry_run;
  out.spec = r.spec;
  out.root = r.root;
  out.path = r.path;
  out.kwargs = r.kwargs;
  out.algorithm = r.algorithm;
  return out;
}

job_request upgrade(const job_request& r) {
  return r;
}

template <class Request, class File>
job_record upgrade(const frozen_job_record<Request, File>& x) {
  job_record out;
  copy_job_header(x, out);
  out.request = upgrade(x.request);
  for (auto& f : x.files)
    out.files.push_back(upgrade(f));
  out.error_code = code_in_text(x.error);
  return out;
}

// The record in `bytes` (catalogue byte first) decoded with type T.
template <class T>
caf::expected<T> decode_as(std::string_view bytes, const char* table) {
  std::string copy{bytes};
  copy[0] = static_cast<char>(storage::schema_version);
  auto out = storage::decode<T>(copy);
  if (!out)
    return make_error(ec::storage_error, std::string{"migrating the catalogue: a record in "}
                                           + table + " " + context_of(out.error()));
  return out;
}

// The record in `bytes`, of the older layout Old, in today's layout.
template <class Old>
caf::expected<std::string> upgraded(std::string_view bytes, const char* table) {
  auto x = decode_as<Old>(bytes, table);
  if (!x)
    return std::move(x.error());
  return pack(upgrade(*x));
}

// Converts a record of an older schema whose layout changed (its schema is its first byte);
// none: only the first byte changes.
using record_converter =
  std::function<std::optional<caf::expected<std::string>>(uint8_t, std::string_view)>;

// Rewrites every record of `table` of an older schema: with `convert` where the layout
// changed, else only its first byte.
caf::error migrate_table(storage::kv_store& store, const char* table, storage::write_batch& batch,
                         const record_converter& convert) {
  caf::error failure;
  auto err = store.scan_prefix(table, "", [&](std::string_view k, std::string_view v) {
    if (v.empty() || static_cast<uint8_t>(v[0]) >= catalogue_schema_version)
      return true;
    std::string updated;
    auto converted = convert ? convert(static_cast<uint8_t>(v[0]), v) : std::nullopt;
    if (converted) {
      auto& c = *converted;
      if (!c) {
        failure = std::move(c.error());
        return false;
      }
      updated = std::move(*c);
    } else {
      updated = std::string{v};
      updated[0] = static_cast<char>(catalogue_schema_version);
    }
    batch.put(table, std::string{k}, std::move(updated));
    return true;
  });
  return err ? err : failure;
}

}  // namespace

caf::error migrate_catalogue(storage::kv_store& store) {
  auto marker = store.get("meta", "schema");
  if (!marker)
    return std::move(marker.error());
  if (*marker && **marker == std::to_string(catalogue_schema_version))
    return {};
  storage::write_batch batch;
  auto files = [](uint8_t schema, std::string_view v) -> std::optional<caf::expected<std::string>> {
    if (schema == schema_1)
      return upgraded<file_record_v1>(v, "files");
    return std::nullopt;
  };
  auto jobs = [](uint8_t schema, std::string_view v) -> std::optional<caf::expected<std::string>> {
    if (schema == schema_1)
      return upgraded<job_record_v1>(v, "jobs");
    return upgraded<job_record_v2>(v, "jobs");
  };
  auto job_files = [](uint8_t schema,
                      std::string_view v) -> std::optional<caf::expected<std::string>> {
    if (schema == schema_1)
      return upgraded<job_file_v1>(v, "job_files");
    return std::nullopt;
  };
  struct step {
    const char* table;
    record_converter convert;
  };
  // Every table of encoded records (datums_by_resource and meta hold plain strings).
  const step steps[] = {{"resources", {}},     {"files", files},        {"files_by_path", {}},
                        {"files_by_identity", {}}, {"history", {}},     {"journal", {}},
                        {"jobs", jobs},        {"job_files", job_files}, {"datums", {}},
                        {"datum_stats", {}}};
  for (auto& s : steps)
    if (auto err = migrate_table(store, s.table, batch, s.convert))
      return err;
  batch.put("meta", "schema", std::to_string(catalogue_schema_version));
  return store.write(batch);
}

}  // namespace d1
