// Jobs of the mobile-files side: what a client asks the job manager to do, the answer to
// a submission, and the job record persisted in the jobs table (with its per-file
// checkpoint and progress counters).
#pragma once

#include "messages/catalogue_records.hpp"
#include "messages/error.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

enum class job_kind : uint8_t {
  register_hash = 0,  // hash the files of a newly registered resource
  copy,
  move,
  remove,
  change_root,
  verify,
  scrub,  // a verify by hash that the job manager schedules itself ([mobile] scrub_every)
  datum_hash,  // hash and describe the values of every datum of a resource
};

enum class job_state : uint8_t { queued = 0, running, done, failed, cancelled };

/// The state of one file within one job phase (the per-file checkpoint).
enum class step_state : uint8_t { pending = 0, done, failed, skipped };

// -- jobs ------------------------------------------------------------------------------

/// The per-file checkpoint of a job (per datum for jobs that work on datums).
struct job_file {
  std::string root;       // the root this step works on (verify: each checked copy)
  std::string rel_path;   // the file; the datum id when works_on_datums()
  uint64_t size = 0;      // expected bytes (0 if not yet known, e.g. register_hash)
  step_state state = step_state::pending;
  std::string detail;     // why it failed or was skipped; mismatch description for verify
  uint32_t attempts = 0;  // failed attempts that were retried ([mobile] file_retries)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_file& x) {
  return f(caf::meta::type_name("job_file"), x.root, x.rel_path, x.size, x.state, x.detail,
           x.attempts);
}

/// What a client asks the job manager to do. Fields not used by a kind are ignored.
struct job_request {
  job_kind kind = job_kind::verify;
  std::string uid;        // resource uid (register: optional, generated if empty)
  std::string src_root;   // copy/move: source (empty: preferred verified copy);
                          // remove: the copy to remove; change_root: old root (empty:
                          // the only copy); verify: the copy to check (empty: all)
  std::string dst_root;   // copy/move/change_root: destination
  check_level level = check_level::hash;  // verify; copy/move: datum also checks the
                                          // destination's datums (datum_check_phase)
  bool force_last = false;  // remove: allow removing the last verified copy
  bool dry_run = false;     // copy/move/remove: reply the plan, do nothing
  // Only these files (rel_paths) instead of all of the resource's: `job ID --retry`
  // resubmits the files job `retry_of` did not finish.
  std::vector<std::string> only;
  uint64_t retry_of = 0;
  // register only:
  std::string spec;
  std::string root;
  std::string path;
  std::string kwargs;     // JSON object text ("" = {})
  std::string algorithm;  // register: of the files ("" = SHA-256); datum_hash: of the
                          // datums ("" = the resource's recorded one, else SHA-1)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_request& x) {
  return f(caf::meta::type_name("job_request"), x.kind, x.uid, x.src_root, x.dst_root,
           x.level, x.force_last, x.dry_run, x.only, x.retry_of, x.spec, x.root, x.path,
           x.kwargs, x.algorithm);
}

/// One action of a plan (dry run) or of a job: "copy A -> B", "delete A", "keep A (shared
/// with resource X)".
struct plan_step {
  std::string action;  // copy, delete, keep, record, hash, check
  std::string from;    // absolute path
  std::string to;      // absolute path (copy) or empty
  uint64_t size = 0;
  std::string note;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, plan_step& x) {
  return f(caf::meta::type_name("plan_step"), x.action, x.from, x.to, x.size, x.note);
}

/// The job manager's answer to a submission.
struct job_ticket {
  uint64_t job_id = 0;       // 0 for a dry run
  std::string resource_uid;  // register: the uid given or generated
  bool dry_run = false;
  std::vector<plan_step> plan;  // filled for a dry run
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_ticket& x) {
  return f(caf::meta::type_name("job_ticket"), x.job_id, x.resource_uid, x.dry_run,
           x.plan);
}

/// Progress counters of a job.
struct job_progress {
  uint64_t files_done = 0;   // done, failed or skipped in the current phase
  uint64_t files_total = 0;
  uint64_t files_failed = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
  double rate = 0;           // bytes per second since the job (re)started
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_progress& x) {
  // CAF 0.17 packs a double in loops that never end for an infinity (ieee_754.hpp) and
  // converts a NaN to an integer: a rate that is not finite (from a damaged record, say)
  // is written and read as 0.
  if constexpr (Inspector::reads_state) {
    double rate = std::isfinite(x.rate) ? x.rate : 0;
    return f(caf::meta::type_name("job_progress"), x.files_done, x.files_total,
             x.files_failed, x.bytes_done, x.bytes_total, rate);
  } else {
    return f(caf::meta::type_name("job_progress"), x.files_done, x.files_total,
             x.files_failed, x.bytes_done, x.bytes_total, x.rate,
             caf::meta::load_callback([&]() -> caf::error {
               if (!std::isfinite(x.rate))
                 x.rate = 0;
               return caf::none;
             }));
  }
}

/// A job as persisted in the jobs table and reported to clients.
struct job_record {
  uint16_t version = 3;
  uint64_t id = 0;
  job_request request;       // with src_root filled in once chosen
  job_state state = job_state::queued;
  uint8_t phase = 0;         // move: 0 copy, 1 remove old copy; copy/move at level datum:
                             // datum_check_phase between them; others: 0
  std::vector<job_file> files;  // checkpoint of the current phase
  job_progress progress;
  std::string error;         // describe() of why it failed (empty otherwise)
  ec error_code = ec::unspecified;  // the code of that failure (when error is not empty)
  uint64_t journal_seq = 0;
  int64_t created = 0;       // ms since the epoch
  int64_t started = 0;
  int64_t finished = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_record& x) {
  return f(caf::meta::type_name("job_record"), x.version, x.id, x.request, x.state,
           x.phase, x.files, x.progress, x.error, x.error_code, x.journal_seq, x.created,
           x.started, x.finished);
}

/// The phase of a copy or move at level datum that reads the destination's datums again
/// and compares their values with the recorded datum hashes (after the copy, before a
/// move removes its source).
constexpr uint8_t datum_check_phase = 2;

/// Whether the job's current steps are datums (their ids in job_file::rel_path), not
/// files: datum_hash, verify at level datum, and a copy or move's datum check.
inline bool works_on_datums(const job_record& j) {
  auto& r = j.request;
  return r.kind == job_kind::datum_hash
         || (r.kind == job_kind::verify && r.level == check_level::datum)
         || ((r.kind == job_kind::copy || r.kind == job_kind::move)
             && j.phase == datum_check_phase);
}

/// Returns the lowercase name ("register_hash", "queued", "done", …).
inline const char* to_string(job_kind x) {
  switch (x) {
    case job_kind::register_hash: return "register_hash";
    case job_kind::copy: return "copy";
    case job_kind::move: return "move";
    case job_kind::remove: return "remove";
    case job_kind::change_root: return "change_root";
    case job_kind::verify: return "verify";
    case job_kind::scrub: return "scrub";
    case job_kind::datum_hash: return "datum_hash";
  }
  return "?";
}

inline const char* to_string(job_state x) {
  switch (x) {
    case job_state::queued: return "queued";
    case job_state::running: return "running";
    case job_state::done: return "done";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "?";
}

inline const char* to_string(step_state x) {
  switch (x) {
    case step_state::pending: return "pending";
    case step_state::done: return "done";
    case step_state::failed: return "failed";
    case step_state::skipped: return "skipped";
  }
  return "?";
}

}  // namespace d1
