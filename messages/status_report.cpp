// Renders the content cache's report and job records for Status/ and `d1drive status`.
#include "messages/status_report.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

namespace d1 {

namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

std::string rate_text(double bytes_per_s) {
  return human_bytes(static_cast<uint64_t>(bytes_per_s)) + "/s";
}

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0)
    return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.1f %%)", 100.0 * double(part) / double(whole));
  return buf;
}

std::string iso_time(int64_t ms) {
  char buf[32];
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string source_text(const object_location& loc) {
  return loc.node_identifier + " (" + (loc.url.empty() ? loc.base_url : loc.url) + ")";
}

// What a job's steps are: files, or datums for jobs on datums.
const char* steps_name(const job_record& job) {
  return works_on_datums(job) ? "datums" : "files";
}

double elapsed_seconds(const job_record& job, int64_t now_ms) {
  if (job.started == 0)
    return 0;
  auto end = job.finished != 0 ? job.finished : now_ms;
  return end > job.started ? double(end - job.started) / 1000.0 : 0;
}

// Seconds left at the current rate, or a negative number when not known.
double eta_seconds(const job_record& job) {
  auto& p = job.progress;
  if (job.state != job_state::running || !std::isfinite(p.rate) || p.rate <= 0
      || p.bytes_total < p.bytes_done)
    return -1;
  return double(p.bytes_total - p.bytes_done) / p.rate;
}

}  // namespace

std::string utc_text(int64_t seconds) {
  char buf[32];
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 30))
    std::snprintf(buf, sizeof buf, "%.1f GiB", double(n) / double(1ull << 30));
  else if (n >= (1ull << 20))
    std::snprintf(buf, sizeof buf, "%.1f MiB", double(n) / double(1ull << 20));
  else
    std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(n));
  return buf;
}

std::string content_text(const content_report& r) {
  std::string out = "content cache: " + std::to_string(r.verified_objects)
                    + " verified objects, " + human_bytes(r.verified_bytes) + "; "
                    + std::to_string(r.partial_objects) + " partial objects, "
                    + human_bytes(r.partial_bytes) + "; " + human_bytes(r.max_bytes)
                    + " allowed\n";
  out += "bytes fetched: " + std::to_string(r.fetched_bytes) + "\n";
  out += "checksum failures: " + std::to_string(r.checksum_failures) + "\n";
  out += "writes refused by a full state disk: " + std::to_string(r.disk_full) + "\n";
  out += "downloads in flight:\n";
  if (r.downloads.empty())
    out += "  none\n";
  for (auto& d : r.downloads) {
    std::string nodes;
    for (auto& n : d.nodes)
      nodes += (nodes.empty() ? "" : ", ") + n;
    out += "  " + d.pid + ": " + std::to_string(d.bytes_present) + " of "
           + std::to_string(d.size) + " bytes" + percent(d.bytes_present, d.size) + ", "
           + rate_text(double(d.rate)) + " for " + seconds_text(double(d.elapsed_ms) / 1000)
           + ", " + std::to_string(d.transfers) + " transfer(s) from "
           + (nodes.empty() ? "?" : nodes) + ", " + std::to_string(d.readers)
           + " reader(s)\n";
  }
  out += "last checksum failures (oldest first; the bytes were discarded):\n";
  if (r.failures.empty())
    out += "  none\n";
  for (auto& f : r.failures) {
    out += "  " + iso_time(f.at_ms) + " " + f.pid + "\n";
    std::string from;
    for (auto& s : f.sources)
      from += (from.empty() ? "" : ", ") + source_text(s);
    out += "    from: " + (from.empty() ? std::string{"?"} : from) + "\n";
    out += "    size: " + std::to_string(f.bytes) + " bytes\n";
    out += "    expected " + f.algorithm + ": " + f.expected + "\n";
    out += "    computed " + f.algorithm + ": " + f.computed + "\n";
  }
  return out;
}

nlohmann::json content_json(const content_report& r) {
  auto downloads = nlohmann::json::array();
  for (auto& d : r.downloads)
    downloads.push_back({{"pid", d.pid},
                         {"bytes_present", d.bytes_present},
                         {"size", d.size},
                         {"rate_bytes_per_s", d.rate},
                         {"elapsed_s", double(d.elapsed_ms) / 1000},
                         {"transfers", d.transfers},
                         {"readers", d.readers},
                         {"nodes", d.nodes}});
  auto failures = nlohmann::json::array();
  for (auto& f : r.failures) {
    auto sources = nlohmann::json::array();
    for (auto& s : f.sources)
      sources.push_back({{"node", s.node_identifier}, {"base_url", s.base_url}, {"url", s.url}});
    failures.push_back({{"time", iso_time(f.at_ms)},
                        {"at_ms", f.at_ms},
                        {"pid", f.pid},
                        {"sources", sources},
                        {"algorithm", f.algorithm},
                        {"expected", f.expected},
                        {"computed", f.computed},
                        {"size", f.bytes}});
  }
  return {{"verified_objects", r.verified_objects},
          {"verified_bytes", r.verified_bytes},
          {"partial_objects", r.partial_objects},
          {"partial_bytes", r.partial_bytes},
          {"max_bytes", r.max_bytes},
          {"fetched_bytes", r.fetched_bytes},
          {"checksum_failures", r.checksum_failures},
          {"disk_full", r.disk_full},
          {"downloads", downloads},
          {"recent_checksum_failures", failures}};
}

std::string job_file_name(const job_record& job) {
  return std::to_string(job.id) + "-" + to_string(job.request.kind) + ".txt";
}

std::string job_text(const job_record& job, int64_t now_ms) {
  auto& r = job.request;
  auto& p = job.progress;
  std::string out = "job " + std::to_string(job.id) + ": " + to_string(r.kind) + "\n";
  out += "resource: " + r.uid + "\n";
  out += "state: " + std::string{to_string(job.state)} + "\n";
  if (!r.src_root.empty())
    out += "from: " + r.src_root + "\n";
  if (!r.dst_root.empty())
    out += "to: " + r.dst_root + "\n";
  out += std::string{steps_name(job)} + ": " + std::to_string(p.files_done) + " of "
         + std::to_string(p.files_total) + " done, " + std::to_string(p.files_failed)
         + " failed\n";
  out += "bytes: " + std::to_string(p.bytes_done) + " of " + std::to_string(p.bytes_total)
         + percent(p.bytes_done, p.bytes_total) + "\n";
  out += "rate: " + rate_text(std::isfinite(p.rate) ? p.rate : 0) + "\n";
  out += "elapsed: " + seconds_text(elapsed_seconds(job, now_ms)) + "\n";
  if (auto eta = eta_seconds(job); eta >= 0)
    out += "ETA: " + seconds_text(eta) + "\n";
  out += "created: " + utc_text(job.created / 1000) + "\n";
  if (job.started != 0)
    out += "started: " + utc_text(job.started / 1000) + "\n";
  if (job.finished != 0)
    out += "finished: " + utc_text(job.finished / 1000) + "\n";
  out += "error: " + (job.error.empty() ? std::string{"none"} : job.error) + "\n";
  if (!job.files.empty()) {
    out += std::string{"failed "} + steps_name(job) + " (first "
           + std::to_string(job.files.size()) + "):\n";
    for (auto& f : job.files)
      out += "  " + f.rel_path + (f.root.empty() ? "" : " at " + f.root) + ": " + f.detail
             + "\n";
  }
  return out;
}

nlohmann::json job_json(const job_record& job, int64_t now_ms) {
  auto& r = job.request;
  auto& p = job.progress;
  auto failed = nlohmann::json::array();
  for (auto& f : job.files)
    failed.push_back({{works_on_datums(job) ? "datum_id" : "rel_path", f.rel_path},
                      {"root", f.root},
                      {"detail", f.detail}});
  auto eta = eta_seconds(job);
  return {{"id", job.id},
          {"file", job_file_name(job)},
          {"kind", to_string(r.kind)},
          {"resource", r.uid},
          {"state", to_string(job.state)},
          {"from", r.src_root},
          {"to", r.dst_root},
          {"steps", steps_name(job)},
          {"files_done", p.files_done},
          {"files_total", p.files_total},
          {"files_failed", p.files_failed},
          {"bytes_done", p.bytes_done},
          {"bytes_total", p.bytes_total},
          {"rate_bytes_per_s", std::isfinite(p.rate) ? p.rate : 0.0},
          {"elapsed_s", elapsed_seconds(job, now_ms)},
          {"eta_s", eta >= 0 ? nlohmann::json(eta) : nlohmann::json(nullptr)},
          {"created_ms", job.created},
          {"started_ms", job.started},
          {"finished_ms", job.finished},
          {"error", job.error},
          {"failed", failed}};
}

nlohmann::json jobs_json(const std::vector<job_record>& jobs, int64_t now_ms) {
  auto out = nlohmann::json::array();
  for (auto& j : jobs)
    out.push_back(job_json(j, now_ms));
  return {{"jobs", out}};
}

std::string jobs_summary_text(const std::vector<job_record>& jobs, int64_t now_ms) {
  if (jobs.empty())
    return "  none\n";
  std::string out;
  for (auto& j : jobs) {
    auto& p = j.progress;
    char head[96];
    std::snprintf(head, sizeof head, "%6llu  %-13s %-9s ", static_cast<unsigned long long>(j.id),
                  to_string(j.request.kind), to_string(j.state));
    out += head + j.request.uid + "  " + std::to_string(p.files_done) + "/"
           + std::to_string(p.files_total) + " " + steps_name(j) + ", "
           + human_bytes(p.bytes_done) + " of " + human_bytes(p.bytes_total);
    if (j.state == job_state::running)
      out += ", " + rate_text(std::isfinite(p.rate) ? p.rate : 0);
    if (auto eta = eta_seconds(j); eta >= 0)
      out += ", ETA " + seconds_text(eta);
    out += ", " + seconds_text(elapsed_seconds(j, now_ms));
    if (p.files_failed > 0)
      out += ", " + std::to_string(p.files_failed) + " failed";
    if (!j.error.empty())
      out += ": " + j.error;
    out += "\n";
  }
  return out;
}

std::string pretty_json(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace d1
