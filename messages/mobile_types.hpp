// Values of the mobile-files side (DESIGN "Mobile files"): catalogue records (resources,
// files, reference counts, history, journal, jobs) and the requests and results exchanged
// with catalogue, job_manager, copy_worker and hash_worker. Persisted records carry a
// `version` field (see catalogue_schema_version in actors/mobile/catalogue_db.hpp).
#pragma once

#include "messages/error.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>


#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

/// How deep a check goes: the file is there, it has the recorded size, its bytes hash to
/// the recorded digest; or, at level datum, every datum's values read again hash to the
/// recorded datum hash (docs/datums.md).
enum class check_level : uint8_t { exists = 0, size = 1, hash = 2, datum = 3 };

/// What the last check of one file copy found. `unknown`: never checked (just registered).
enum class file_state : uint8_t {
  unknown = 0,
  ok,
  missing,
  size_mismatch,
  hash_mismatch,
  error,  // could not be read (permission, I/O error, symlink out of the root…)
  changed,  // its identity, size or times differ from when it was hashed (not re-hashed)
};

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

// -- what a file is on disk -----------------------------------------------------------

/// A file as fstat(2) saw it: identity (filesystem, device, inode), type and permission
/// bits, owner, size and times. Recorded when a file is hashed, so a later check can tell
/// whether it is still the same file with the same bytes without reading them, and so two
/// spellings of one file (a symlinked or bind-mounted root) are known to be one.
struct file_stat {
  uint64_t fs_id = 0;  // statfs f_fsid (stable across reboots on local filesystems); 0: none
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t mode = 0;  // st_mode: type and permission bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, file_stat& x) {
  return f(caf::meta::type_name("file_stat"), x.fs_id, x.dev, x.ino, x.mode, x.uid, x.gid,
           x.nlink, x.size, x.mtime_ns, x.ctime_ns);
}

inline bool operator==(const file_stat& a, const file_stat& b) {
  return a.fs_id == b.fs_id && a.dev == b.dev && a.ino == b.ino && a.mode == b.mode
         && a.uid == b.uid && a.gid == b.gid && a.nlink == b.nlink && a.size == b.size
         && a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns;
}

/// Whether `a` and `b` are one file on disk. The inode must match, and the filesystem:
/// by fs_id where both have one (device numbers can change across reboots), else by
/// device. Never true for a stat that was never taken (ino 0). Two filesystems that share
/// an fs_id (cloned images mounted together) would read as one: every use of this errs
/// toward refusing (a copy, a deletion), never toward losing a file.
inline bool same_file(const file_stat& a, const file_stat& b) {
  if (a.ino == 0 || a.ino != b.ino)
    return false;
  if (a.fs_id != 0 && b.fs_id != 0)
    return a.fs_id == b.fs_id;
  return a.dev == b.dev;
}

/// Whether `now` is the file `then` described, unchanged since: same file, same size, same
/// modification and change times. What a re-check before a deletion compares.
inline bool unchanged_since(const file_stat& then, const file_stat& now) {
  return same_file(then, now) && then.size == now.size && then.mtime_ns == now.mtime_ns
         && then.ctime_ns == now.ctime_ns;
}

// -- catalogue records ----------------------------------------------------------------

/// A registered resource: where it was registered and how its files are named.
struct resource_record {
  uint16_t version = 1;
  std::string uid;
  std::string spec;       // RAW, AD_TIFF, AD_HDF5, NPY_FRAMEWISE, DATAONE
  std::string root;       // the root it was registered under (absolute, normalised)
  std::string path;       // relative to root (no leading '/', no '..')
  std::string kwargs;     // JSON object text, as given
  std::string algorithm;  // "SHA-256" (default), "SHA-1" or "MD5"
  int64_t created = 0;    // ms since the epoch
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resource_record& x) {
  return f(caf::meta::type_name("resource_record"), x.version, x.uid, x.spec, x.root,
           x.path, x.kwargs, x.algorithm, x.created);
}

/// One file of one resource on one root (a "copy" of a resource is its files on a root).
struct file_record {
  uint16_t version = 2;
  std::string file_uid;      // 32 hex chars: sha256(resource uid, root, rel_path)
  std::string resource_uid;
  std::string root;          // absolute, normalised
  std::string rel_path;      // relative to root, same for every copy of the resource
  std::string abs_path;      // root + "/" + rel_path
  uint64_t size = 0;         // recorded size (valid when digest is not empty)
  std::string algorithm;     // of digest
  std::string digest;        // lowercase hex; empty until hashed
  std::string expected_digest;  // DATAONE: from system metadata (checked when hashing)
  bool exists = false;       // at the last check
  file_state state = file_state::unknown;  // result of the last check
  int64_t verified_at = 0;   // ms since the epoch of the last check (0: never)
  int64_t hashed_at = 0;     // ms since the epoch of the last hash that matched (0: never)
  file_stat stat;            // the file as it was when it was hashed (ino 0: unknown)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, file_record& x) {
  return f(caf::meta::type_name("file_record"), x.version, x.file_uid, x.resource_uid,
           x.root, x.rel_path, x.abs_path, x.size, x.algorithm, x.digest,
           x.expected_digest, x.exists, x.state, x.verified_at, x.hashed_at, x.stat);
}

/// A reference from files_by_path to one file record.
struct file_ref {
  std::string resource_uid;
  std::string file_uid;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, file_ref& x) {
  return f(caf::meta::type_name("file_ref"), x.resource_uid, x.file_uid);
}

/// Every file record naming one absolute path: the path's reference count is refs.size().
/// A file on disk is deleted only when its last reference goes.
struct path_refs {
  uint16_t version = 1;
  std::string abs_path;
  std::vector<file_ref> refs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, path_refs& x) {
  return f(caf::meta::type_name("path_refs"), x.version, x.abs_path, x.refs);
}

/// One change of location of a resource.
struct history_entry {
  uint16_t version = 1;
  std::string resource_uid;
  int64_t time = 0;       // ms since the epoch
  std::string action;     // register, copy, move, remove, change_root, shift_root
  std::string from_root;  // empty for register
  std::string to_root;    // empty for remove
  uint64_t job_id = 0;    // 0 when not from a job
  uint32_t files = 0;     // files affected
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_entry& x) {
  return f(caf::meta::type_name("history_entry"), x.version, x.resource_uid, x.time,
           x.action, x.from_root, x.to_root, x.job_id, x.files);
}

/// One command received (register, copy, move, remove, change_root, verify, cancel),
/// written when it starts and completed when it finishes.
struct journal_entry {
  uint16_t version = 1;
  uint64_t seq = 0;
  std::string command;
  std::vector<std::string> args;  // positional: uid, roots…
  std::string kwargs;             // JSON object text (level, force_last, dry_run, …)
  int64_t started = 0;            // ms since the epoch
  int64_t finished = 0;           // 0 while running
  bool success = false;
  std::string error;              // describe() of the failure
  uint64_t job_id = 0;            // the job it started (0: none, e.g. refused or dry run)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, journal_entry& x) {
  return f(caf::meta::type_name("journal_entry"), x.version, x.seq, x.command, x.args,
           x.kwargs, x.started, x.finished, x.success, x.error, x.job_id);
}

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

// -- locate ----------------------------------------------------------------------------

/// One copy of a resource (its files on one root).
struct copy_location {
  std::string root;
  uint32_t files = 0;          // file records on this root
  uint32_t files_expected = 0; // files the spec lists
  uint32_t files_ok = 0;       // hashed, and ok at the last check
  bool verified = false;       // every expected file present and ok
  int32_t preference = -1;     // index in this host's preferred roots; -1: not listed
  int64_t verified_at = 0;     // oldest check among its files
  int64_t hashed_at = 0;       // oldest hash among its verified files (0: none)
  uint32_t files_bad = 0;      // missing, changed, mismatched or unreadable at the last check
  std::string problem;         // the first of those, for people ("x: hash_mismatch …")
  std::string local_root;      // where the root is on this host's disk ([hosts] root_map);
                               // empty: at the root itself
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, copy_location& x) {
  return f(caf::meta::type_name("copy_location"), x.root, x.files, x.files_expected,
           x.files_ok, x.verified, x.preference, x.verified_at, x.hashed_at, x.files_bad,
           x.problem, x.local_root);
}

/// Where a resource is: its copies, best first (verified before unverified, then by this
/// host's preference), and the root a read or a job would use.
struct location_report {
  std::string resource_uid;
  std::string host;
  std::string preferred_root;  // empty if no verified copy
  std::vector<copy_location> copies;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, location_report& x) {
  return f(caf::meta::type_name("location_report"), x.resource_uid, x.host,
           x.preferred_root, x.copies);
}

/// A resource with every file record it has (all roots).
struct resource_detail {
  resource_record resource;
  std::vector<std::string> rel_paths;  // as the spec lists them
  std::vector<file_record> files;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, resource_detail& x) {
  return f(caf::meta::type_name("resource_detail"), x.resource, x.rel_paths, x.files);
}

/// What `resource shift-root` changed: the resource before and after (the same files,
/// another split of root and path) and how many file records were renamed.
struct root_shift {
  resource_record before;
  resource_record after;
  uint32_t files = 0;  // file records renamed (every copy's)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, root_shift& x) {
  return f(caf::meta::type_name("root_shift"), x.before, x.after, x.files);
}

/// What `catalogue check` found: the records it read and every invariant that does not
/// hold, one line each (empty: the catalogue is consistent).
struct catalogue_report {
  uint64_t resources = 0;
  uint64_t files = 0;
  uint64_t paths = 0;
  uint64_t jobs = 0;
  std::vector<std::string> problems;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, catalogue_report& x) {
  return f(caf::meta::type_name("catalogue_report"), x.resources, x.files, x.paths, x.jobs,
           x.problems);
}

// -- workers ---------------------------------------------------------------------------

/// Check or hash one file beneath a root (hash_worker).
struct hash_request {
  uint64_t job_id = 0;  // the job it serves: the worker stops early once it is cancelled
  std::string root;
  std::string rel_path;
  std::string algorithm;
  check_level level = check_level::hash;
  uint64_t expected_size = 0;      // compared for level >= size when has_expected
  std::string expected_digest;     // compared for level hash when not empty
  bool has_expected = false;
  // The file as it was when last hashed (ino 0: unknown). At levels exists and size a
  // different identity, size or time is state `changed`: those levels never vouch for
  // bytes they did not read.
  file_stat expected_stat;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hash_request& x) {
  return f(caf::meta::type_name("hash_request"), x.job_id, x.root, x.rel_path, x.algorithm,
           x.level, x.expected_size, x.expected_digest, x.has_expected, x.expected_stat);
}

/// What a hash_worker found. A missing file or a mismatch is a result, not an error.
struct hash_result {
  file_state state = file_state::unknown;  // ok, missing, changed, …_mismatch, error
  uint64_t size = 0;
  std::string digest;   // level hash only
  std::string detail;   // human-readable reason when not ok
  file_stat stat;       // the file as read (ino 0: not opened)
  bool transient = false;  // state error from a failure that a retry may not meet (EIO…)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hash_result& x) {
  return f(caf::meta::type_name("hash_result"), x.state, x.size, x.digest, x.detail, x.stat,
           x.transient);
}

/// A completed copy: the destination holds exactly the expected bytes under its final
/// name, fsynced, with the source's owner, mode and modification time. `adopted`: the
/// destination already had them (nothing written). `stat`: the final file, after its
/// rename.
struct copy_result {
  uint64_t size = 0;
  std::string digest;
  bool adopted = false;
  file_stat stat;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, copy_result& x) {
  return f(caf::meta::type_name("copy_result"), x.size, x.digest, x.adopted, x.stat);
}

/// One file of a copy_batch_request.
struct copy_item {
  std::string rel_path;
  std::string expected_digest;  // the copy is kept only if its bytes hash to this
  uint64_t expected_size = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, copy_item& x) {
  return f(caf::meta::type_name("copy_item"), x.rel_path, x.expected_digest,
           x.expected_size);
}

/// Copy several files of one job at once (copy_worker): each is written under a fresh
/// temporary name and hashed while it is copied (the digest is of the bytes written);
/// then one syncfs(2) makes all of them durable, they are renamed to their final names
/// and each destination directory is fsynced once. Cheaper than one fsync per file.
struct copy_batch_request {
  uint64_t job_id = 0;  // the worker stops early once the job is cancelled
  std::string src_root;
  std::string dst_root;
  std::string algorithm;
  std::vector<copy_item> items;
  // A resumed job: temporaries of these files that a crash left behind are deleted.
  bool clean_temporaries = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, copy_batch_request& x) {
  return f(caf::meta::type_name("copy_batch_request"), x.job_id, x.src_root, x.dst_root,
           x.algorithm, x.items, x.clean_temporaries);
}

/// The outcome of one copy_item: `error` empty means `result` holds (the bytes are
/// durable under their final name); otherwise nothing of it is left behind.
struct copy_outcome {
  copy_result result;
  caf::error error;
  bool transient = false;  // the error may not recur (EIO, a vanished temporary…)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, copy_outcome& x) {
  return f(caf::meta::type_name("copy_outcome"), x.result, x.error, x.transient);
}

/// One outcome per item of a copy_batch_request, in the same order.
struct copy_batch_result {
  std::vector<copy_outcome> outcomes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, copy_batch_result& x) {
  return f(caf::meta::type_name("copy_batch_result"), x.outcomes);
}

/// One file of a copy batch written under its temporary name, waiting for the batch's
/// sync and rename (a copy worker hands these to its finisher).
struct staged_copy {
  uint32_t index = 0;     // in the batch
  std::string rel_dir;    // its directory, relative to the destination root
  std::string leaf;       // its final name
  std::string tmp_leaf;   // its temporary name, in the same directory
  copy_result result;     // digest and size of the bytes written
  file_stat source;       // the source as it was copied (owner, identity)
  file_stat temp;         // the temporary file (its inode must still be there)
  bool checked_final = false;  // the final name was looked up before the copy
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, staged_copy& x) {
  return f(caf::meta::type_name("staged_copy"), x.index, x.rel_dir, x.leaf, x.tmp_leaf,
           x.result, x.source, x.temp, x.checked_final);
}

/// A copy batch between its two halves: the outcomes of the items that already failed or
/// were adopted, and the copies waiting under their temporary names. Values only (paths,
/// not descriptors), so the half that syncs and renames could run anywhere that sees the
/// destination.
struct staged_copy_batch {
  uint64_t job_id = 0;
  std::string dst_root;
  std::string algorithm;
  bool direct_reads = true;
  copy_batch_result out;
  std::vector<staged_copy> staged;
  std::vector<std::string> adopted_dirs;  // directories holding adopted files (fsynced)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, staged_copy_batch& x) {
  return f(caf::meta::type_name("staged_copy_batch"), x.job_id, x.dst_root, x.algorithm,
           x.direct_reads, x.out, x.staged, x.adopted_dirs);
}

/// How a removal re-checks, at the moment of deleting, the copies that make it safe and
/// the file it deletes ([mobile] recheck).
enum class recheck_mode : uint8_t {
  stat = 0,  // same identity, size, modification and change time as when last hashed
  hash = 1,  // and the bytes hashed again
};

/// Another copy of a file about to be deleted: the deletion goes ahead only if at least
/// one of these checks out on disk at that moment.
struct remove_witness {
  std::string root;
  std::string rel_path;
  std::string algorithm;
  std::string digest;
  file_stat stat;  // as last hashed (ino 0: unknown, then it is hashed)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_witness& x) {
  return f(caf::meta::type_name("remove_witness"), x.root, x.rel_path, x.algorithm,
           x.digest, x.stat);
}

/// One file to delete: it must still be what its record says.
struct remove_item {
  std::string rel_path;
  std::string algorithm;
  std::string digest;  // empty: never hashed
  file_stat stat;      // as last hashed (ino 0: unknown)
  std::vector<remove_witness> witnesses;  // best first; empty with force_last
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_item& x) {
  return f(caf::meta::type_name("remove_item"), x.rel_path, x.algorithm, x.digest, x.stat,
           x.witnesses);
}

/// Delete files beneath one root (copy_worker), each only after it and one of its
/// witnesses were re-checked.
struct remove_batch_request {
  uint64_t job_id = 0;
  std::string root;
  recheck_mode recheck = recheck_mode::stat;
  bool force_last = false;  // no witness is needed (the file itself is still re-checked)
  std::vector<remove_item> items;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_batch_request& x) {
  return f(caf::meta::type_name("remove_batch_request"), x.job_id, x.root, x.recheck,
           x.force_last, x.items);
}

/// A witness that did not check out, and why (the catalogue records it, unless the state
/// is `unknown`: it could not be looked at, e.g. EIO, which says nothing of that copy).
struct witness_finding {
  uint32_t witness = 0;  // index in remove_item::witnesses
  file_state state = file_state::unknown;
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, witness_finding& x) {
  return f(caf::meta::type_name("witness_finding"), x.witness, x.state, x.detail);
}

/// The outcome of one file of a batch removal: `error` empty means it is gone (`removed`
/// false: it was gone already). `findings`: witnesses that failed their re-check (also
/// when another one passed).
struct remove_outcome {
  bool removed = false;
  caf::error error;
  bool transient = false;
  std::vector<witness_finding> findings;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_outcome& x) {
  return f(caf::meta::type_name("remove_outcome"), x.removed, x.error, x.transient,
           x.findings);
}

/// Returns the lowercase name ("hash", "queued", "hash_mismatch", "register_hash", …).
inline const char* to_string(check_level x) {
  switch (x) {
    case check_level::exists: return "exists";
    case check_level::size: return "size";
    case check_level::hash: return "hash";
    case check_level::datum: return "datum";
  }
  return "?";
}

inline const char* to_string(file_state x) {
  switch (x) {
    case file_state::unknown: return "unknown";
    case file_state::ok: return "ok";
    case file_state::missing: return "missing";
    case file_state::size_mismatch: return "size_mismatch";
    case file_state::hash_mismatch: return "hash_mismatch";
    case file_state::error: return "error";
    case file_state::changed: return "changed";
  }
  return "?";
}

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

inline const char* to_string(recheck_mode x) {
  switch (x) {
    case recheck_mode::stat: return "stat";
    case recheck_mode::hash: return "hash";
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

