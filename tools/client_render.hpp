// The client's rendering of the control protocol's result lines for people (the client
// subcommands print these unless --json), and the accessors it reads them with.
#pragma once

#include "tools/progress_display.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace d1 {

/// j[key] when j is an object holding a string there; else "".
std::string str(const nlohmann::json& j, const char* key);

/// j[key] when j is an object holding a number there; else 0.
uint64_t num(const nlohmann::json& j, const char* key);

/// The progress counters of a job's JSON view (control_json.hpp), for progress_display.
progress_sample sample_of(const nlohmann::json& job);

/// One line: the job's id, kind, state, counts, bytes and duration.
void print_job_summary(const nlohmann::json& job);

/// People's rendering of the successful result `r` of protocol command `command`.
void print_result(const std::string& command, const nlohmann::json& r);

/// One line per mismatched file or datum of a verify-like result (none: nothing).
void print_mismatches(const nlohmann::json& r);

}  // namespace d1
