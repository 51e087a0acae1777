// The one error vocabulary of d1drive: every caf::error an actor returns uses `ec` and the
// "d1" category, with a human-readable context string. `to_errno` is the single place that
// decides what a FUSE caller sees.
#pragma once

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace d1 {

enum class ec : uint8_t {
  unspecified = 1,
  not_found,          // no such object, path or record
  invalid_path,       // a path segment that the grammar rejects
  invalid_argument,   // bad option, config value or request
  timeout,            // a remote did not answer in time
  network,            // connection refused, reset, TLS or DNS failure
  http_status,        // a remote answered with an unexpected HTTP status
  parse_error,        // a remote answered with something we cannot parse
  checksum_mismatch,  // bytes do not match the system metadata checksum
  io_error,           // local disk read/write failed
  read_only,          // a write on the read-only mount
  storage_error,      // LMDB failure
  unavailable,        // a service or actor is not (yet) there
  cancelled,          // the caller or the operator gave up
  throttled,          // crawl guard refused a cold query
  refused,            // a safety rule forbids it: removing the last verified copy
  no_space,           // a local disk is full (ENOSPC) or over quota (EDQUOT)
  actor_failed,       // the actor handling the request failed (an exception) and stopped
};

/// The category atom of all d1drive errors.
constexpr caf::atom_value error_category = caf::atom("d1");

/// Returns the lowercase name of `code`, e.g. "not_found".
const char* to_string(ec code);

/// Makes an error of category "d1" carrying `context` as a human-readable detail.
caf::error make_error(ec code, std::string context = {});

/// Returns the `ec` of `err`, or `ec::unspecified` for errors from another category.
ec code_of(const caf::error& err);

/// Returns the context string of a d1 error (empty if none).
std::string context_of(const caf::error& err);

/// Renders any error for logs and error files: "not_found: <context>".
std::string describe(const caf::error& err);

/// Maps an error to the errno a FUSE caller sees. The only such mapping in the project.
int to_errno(const caf::error& err);

}  // namespace d1
