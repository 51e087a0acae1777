// Values of the datum side of mobile files (docs/datums.md): the catalogue's datum records
// and datum statistics, datum registration, what a datum hash worker is asked (one datum
// of one resource on one root) and what it answers (the canonical value hash, dtype, shape
// and statistics). Values only, so a worker can run on another node. Persisted records
// carry a `version` field (catalogue_schema_version in actors/mobile/catalogue_db.hpp).
#pragma once

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

/// Statistics of a datum's values. Non-finite values are left out of every figure and
/// counted instead (`nan_count`, `inf_count`).
struct datum_stats {
  uint64_t count = 0;      // finite values
  uint64_t nan_count = 0;
  uint64_t inf_count = 0;  // +inf and -inf
  double min = 0;
  double max = 0;
  double mean = 0;
  double std = 0;          // population standard deviation (numpy's default, ddof=0)
  std::vector<uint64_t> histogram;  // 64 equal bins over [min, max] as numpy.histogram
                                    // draws them; empty when count == 0
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_stats& x) {
  return f(caf::meta::type_name("datum_stats"), x.count, x.nan_count, x.inf_count, x.min,
           x.max, x.mean, x.std, x.histogram);
}

/// Read one datum's values from one copy of its resource: hash them canonically and
/// describe them. The worker derives the datum's files from spec, path and kwargs.
struct datum_hash_request {
  std::string datum_id;
  std::string resource_uid;     // named in the result's detail only
  std::string spec;             // AD_TIFF, AD_HDF5, NPY_FRAMEWISE, NPY, RAW
  std::string root;             // the copy to read (absolute, as mounted on this host)
  std::string resource_path;    // relative to root
  std::string resource_kwargs;  // JSON object text
  std::string datum_kwargs;     // JSON object text
  std::string algorithm;        // "SHA-1" (default when empty) or "SHA-256"
  std::string expected_hash;    // verify: the recorded datum hash (compared when not empty)
  uint64_t job_id = 0;          // the job it serves: the worker stops once it is cancelled
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_hash_request& x) {
  return f(caf::meta::type_name("datum_hash_request"), x.datum_id, x.resource_uid, x.spec,
           x.root, x.resource_path, x.resource_kwargs, x.datum_kwargs, x.algorithm,
           x.expected_hash, x.job_id);
}

/// What hashing one datum found. A datum that cannot be read or differs from its recorded
/// hash is a result, not an error.
enum class datum_state : uint8_t {
  unknown = 0,
  ok,
  hash_mismatch,  // read fine, but the values hash differently from expected_hash
  error,          // missing or unreadable file, corrupt data, bad kwargs, unsupported type
};

/// The answer to a datum_hash_request.
struct datum_hash_result {
  std::string datum_id;
  datum_state state = datum_state::unknown;
  std::string algorithm;           // canonical name: "SHA-1" or "SHA-256"
  std::string hash;                // lowercase hex of the canonical bytes (empty on error)
  std::string dtype;               // numpy dtype.str, little-endian: "<u2", "|u1", "<f8"
  std::vector<uint64_t> shape;     // C order
  datum_stats stats;
  std::vector<std::string> files;  // the files read, relative to the root
  std::string detail;              // state error/hash_mismatch: what and which file
  bool transient = false;          // state error from a failure a retry may not meet (EIO…)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_hash_result& x) {
  return f(caf::meta::type_name("datum_hash_result"), x.datum_id, x.state, x.algorithm,
           x.hash, x.dtype, x.shape, x.stats, x.files, x.detail, x.transient);
}

// -- catalogue records -------------------------------------------------------------------

/// One datum of a resource, as the filestore names it: it belongs to the resource, not to
/// a location, so it outlives every copy, move and change of root.
struct datum_record {
  uint16_t version = 1;
  std::string datum_id;
  std::string resource_uid;
  std::string kwargs;    // JSON object text, as given (AD specs: {"point_number": N})
  int64_t created = 0;   // ms since the epoch
  uint64_t seq = 0;      // registration order within its resource (from 1)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_record& x) {
  return f(caf::meta::type_name("datum_record"), x.version, x.datum_id, x.resource_uid,
           x.kwargs, x.created, x.seq);
}

/// What the last datum hash of one datum found (the datum_stats table: rebuildable from
/// the files, so a datum hash job may replace it at any time).
struct datum_stats_record {
  uint16_t version = 1;
  std::string datum_id;
  std::string resource_uid;
  std::string algorithm;           // "SHA-1" or "SHA-256": the resource's datum algorithm
  std::string hash;                // lowercase hex of the canonical bytes
  std::string dtype;
  std::vector<uint64_t> shape;
  datum_stats stats;
  std::vector<std::string> files;  // the files read, relative to the root
  std::string root;                // the copy that was read
  int64_t hashed_at = 0;           // ms since the epoch
  uint64_t job_id = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_stats_record& x) {
  return f(caf::meta::type_name("datum_stats_record"), x.version, x.datum_id,
           x.resource_uid, x.algorithm, x.hash, x.dtype, x.shape, x.stats, x.files, x.root,
           x.hashed_at, x.job_id);
}

/// A datum and what is known of its values (stats.hash empty: never hashed).
struct datum_detail {
  datum_record datum;
  datum_stats_record stats;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_detail& x) {
  return f(caf::meta::type_name("datum_detail"), x.datum, x.stats);
}

// -- registration ---------------------------------------------------------------------------

/// Datums to add to a registered resource. A datum_id left empty is generated as
/// "<resource uid>/<n>" (as the filestore's compose_datum does); version, resource_uid,
/// created and seq are filled in by the catalogue.
struct datum_registration {
  std::string resource_uid;
  std::vector<datum_record> datums;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_registration& x) {
  return f(caf::meta::type_name("datum_registration"), x.resource_uid, x.datums);
}

/// The answer to a datum registration.
struct datum_ticket {
  std::string resource_uid;
  std::vector<std::string> datum_ids;  // in the order given
  uint32_t new_files = 0;  // files the datums added to the resource's list
  uint64_t job_id = 0;     // the job hashing those files (0: none added)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_ticket& x) {
  return f(caf::meta::type_name("datum_ticket"), x.resource_uid, x.datum_ids, x.new_files,
           x.job_id);
}

}  // namespace d1
