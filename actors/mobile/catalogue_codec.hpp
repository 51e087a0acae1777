// Catalogue records as bytes: storage's codec behind the catalogue's own version byte.
// Internal to the catalogue's files.
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "messages/error.hpp"
#include "storage/codec.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace d1 {

// The catalogue's tables (the datums' own: catalogue_datums.cpp).
inline constexpr const char* t_resources = "resources";
inline constexpr const char* t_files = "files";
inline constexpr const char* t_paths = "files_by_path";
inline constexpr const char* t_identity = "files_by_identity";
inline constexpr const char* t_history = "history";
inline constexpr const char* t_journal = "journal";
inline constexpr const char* t_jobs = "jobs";
inline constexpr const char* t_job_files = "job_files";
inline constexpr const char* t_meta = "meta";

/// `x` in decimal, zero-padded to `width` digits: keys that sort by number.
std::string pad(uint64_t x, int width = 20);

/// `x` as a catalogue record: catalogue_schema_version, then its inspect() fields.
template <class T>
std::string pack(const T& x) {
  auto bytes = storage::encode(x);
  bytes[0] = static_cast<char>(catalogue_schema_version);
  return bytes;
}

/// The record in `bytes` (read from `table`), or ec::storage_error naming the table for a
/// record of another schema version, or one that does not decode.
template <class T>
caf::expected<T> unpack(std::string_view bytes, const char* table) {
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != catalogue_schema_version)
    return make_error(ec::storage_error,
                      std::string{"catalogue record in "} + table
                        + " is empty or of another catalogue schema version");
  std::string copy{bytes};
  copy[0] = static_cast<char>(storage::schema_version);
  auto out = storage::decode<T>(copy);
  if (!out)
    return make_error(ec::storage_error,
                      std::string{"catalogue record in "} + table + ": "
                        + context_of(out.error()));
  return out;
}

/// An empty error if `uid` can name a resource or a datum (1 to 200 bytes, no control
/// character); ec::invalid_argument naming `what` ("resource uid", "datum uid") otherwise.
caf::error check_uid(const std::string& uid, const char* what);

/// A file of resource `r` at its root, as registration records it: not hashed yet.
file_record unhashed_record(const resource_record& r, const std::string& rel,
                            const std::string& expected_digest);

/// Copies from `from` to `to` what every stored layout of a job has besides its version,
/// request, files and error code: the job header's other fields.
template <class Job>
void copy_job_header(const Job& from, job_record& to) {
  to.id = from.id;
  to.state = from.state;
  to.phase = from.phase;
  to.progress = from.progress;
  to.error = from.error;
  to.journal_seq = from.journal_seq;
  to.created = from.created;
  to.started = from.started;
  to.finished = from.finished;
}

/// A copy of `j` without its per-file states (the jobs table's header record).
inline job_record job_header_of(const job_record& j) {
  job_record h;
  copy_job_header(j, h);
  h.version = j.version;
  h.request = j.request;
  h.error_code = j.error_code;
  return h;
}

}  // namespace d1
