// Requests and results exchanged with the mobile-files workers: hash_worker checks and
// hashes files; copy_worker copies files in batches (staged, synced, renamed) and deletes
// them after re-checking their witnesses.
#pragma once

#include "messages/catalogue_records.hpp"

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

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

/// Returns the lowercase name ("stat", "hash").
inline const char* to_string(recheck_mode x) {
  switch (x) {
    case recheck_mode::stat: return "stat";
    case recheck_mode::hash: return "hash";
  }
  return "?";
}

}  // namespace d1
