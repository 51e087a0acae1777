// Values of the datum side of mobile files (docs/datums.md): what a datum hash worker is
// asked (one datum of one resource on one root) and what it answers (the canonical value
// hash, dtype, shape and statistics). Values only, so a worker can run on another node.
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
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_hash_request& x) {
  return f(caf::meta::type_name("datum_hash_request"), x.datum_id, x.resource_uid, x.spec,
           x.root, x.resource_path, x.resource_kwargs, x.datum_kwargs, x.algorithm,
           x.expected_hash);
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
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, datum_hash_result& x) {
  return f(caf::meta::type_name("datum_hash_result"), x.datum_id, x.state, x.algorithm,
           x.hash, x.dtype, x.shape, x.stats, x.files, x.detail);
}

}  // namespace d1
