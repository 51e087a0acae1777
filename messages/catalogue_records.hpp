// Catalogue records of the mobile-files side (DESIGN "Mobile files"): what a file is on
// disk, resources, file copies, reference counts, history, journal, and the reports built
// from them (locate, show, shift-root, check). Persisted records carry a `version` field
// (see catalogue_schema_version in actors/mobile/catalogue_db.hpp).
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
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

/// Returns the lowercase name ("hash", "hash_mismatch", …).
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

}  // namespace d1
