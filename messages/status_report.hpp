// Status/content and Status/jobs as text and JSON: pure functions over the content cache's
// report and the job manager's records, shared by the status resolver (the mount's files)
// and `d1drive status` (the control socket), so both show the same.
#pragma once

#include "messages/cache_types.hpp"
#include "messages/mobile_types.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace d1 {

/// How many finished jobs Status/jobs and `d1drive status` show beside the queued and
/// running ones.
constexpr uint32_t recent_ended_jobs = 50;

/// "2026-12-07 18:30:00 UTC" for seconds since the epoch.
std::string utc_text(int64_t seconds);

/// "512 bytes", "3.4 MiB", "1.2 GiB".
std::string human_bytes(uint64_t n);

/// Status/content.txt: totals, downloads in flight (bytes so far of the size, rate), and
/// each remembered checksum failure with its PID, replica, expected and computed values.
std::string content_text(const content_report& r);

/// Status/content.json: the same figures as one JSON object.
nlohmann::json content_json(const content_report& r);

/// The name of a job's file in Status/jobs/: "<id>-<kind>.txt".
std::string job_file_name(const job_record& job);

/// A job's file: kind, resource, state, files and bytes done of total, rate, elapsed, ETA
/// while running, errors (the job's and its failed steps'). `now_ms`: ms since the epoch.
std::string job_text(const job_record& job, int64_t now_ms);

/// One job as an object of Status/jobs.json (the fields of job_text, numbers as numbers).
nlohmann::json job_json(const job_record& job, int64_t now_ms);

/// Status/jobs.json: {"jobs": [job_json…]} in the order given (newest first).
nlohmann::json jobs_json(const std::vector<job_record>& jobs, int64_t now_ms);

/// One line a job ("  12 copy      running  3/10 files …"), for `d1drive status`.
std::string jobs_summary_text(const std::vector<job_record>& jobs, int64_t now_ms);

/// Pretty-printed JSON text with a final newline; invalid UTF-8 (PIDs, paths) is replaced
/// rather than thrown on.
std::string pretty_json(const nlohmann::json& j);

}  // namespace d1
