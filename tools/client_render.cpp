// The client's rendering of result lines for people: jobs, resources, datums, plans,
// locations, history, journal and status, one command at a time.
#include "tools/client_render.hpp"

#include "messages/status_report.hpp"
#include "tools/progress_display.hpp"

#include <cstdio>
#include <ctime>

namespace d1 {

using json = nlohmann::json;

namespace {

std::string time_text(int64_t ms) {
  if (ms <= 0)
    return "-";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

std::string str(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_string())
    return j[key].get<std::string>();
  return {};
}

uint64_t num(const json& j, const char* key) {
  if (j.is_object() && j.contains(key) && j[key].is_number())
    return j[key].get<uint64_t>();
  return 0;
}

progress_sample sample_of(const json& job) {
  progress_sample s;
  s.job_id = num(job, "id");
  s.kind = str(job, "kind");
  s.state = str(job, "state");
  if (!str(job, "steps").empty())
    s.unit = str(job, "steps");
  if (job.contains("progress")) {
    auto& p = job["progress"];
    s.files_done = num(p, "files_done");
    s.files_total = num(p, "files_total");
    s.bytes_done = num(p, "bytes_done");
    s.bytes_total = num(p, "bytes_total");
    s.rate = p.value("rate", 0.0);
  }
  return s;
}

void print_job_summary(const json& job) {
  auto s = sample_of(job);
  double seconds = job.value("finished", int64_t{0}) > 0 && job.value("started", int64_t{0}) > 0
                     ? (job["finished"].get<int64_t>() - job["started"].get<int64_t>()) / 1000.0
                     : 0;
  std::printf("job %llu %s %s: %llu/%llu %s, %s in %.1f s\n",
              static_cast<unsigned long long>(s.job_id), s.kind.c_str(), s.state.c_str(),
              static_cast<unsigned long long>(s.files_done),
              static_cast<unsigned long long>(s.files_total), s.unit.c_str(),
              human_bytes(static_cast<double>(s.bytes_done)).c_str(), seconds);
}

namespace {

void print_job(const json& job) {
  print_job_summary(job);
  auto& req = job["request"];
  std::printf("  resource %s", str(req, "uid").c_str());
  if (!str(req, "from").empty())
    std::printf("  from %s", str(req, "from").c_str());
  if (!str(req, "to").empty())
    std::printf("  to %s", str(req, "to").c_str());
  std::printf("\n  created %s  started %s  finished %s\n",
              time_text(job.value("created", int64_t{0})).c_str(),
              time_text(job.value("started", int64_t{0})).c_str(),
              time_text(job.value("finished", int64_t{0})).c_str());
  if (!str(job, "error").empty())
    std::printf("  error: %s\n", str(job, "error").c_str());
  if (job.contains("files"))
    for (auto& f : job["files"]) {
      if (f.contains("datum_id"))
        std::printf("  %-8s datum %s at %s", str(f, "state").c_str(), str(f, "datum_id").c_str(),
                    str(f, "root").c_str());
      else
        std::printf("  %-8s %s", str(f, "state").c_str(), str(f, "rel_path").c_str());
      if (!str(f, "detail").empty())
        std::printf("  (%s)", str(f, "detail").c_str());
      std::printf("\n");
    }
}

std::string shape_text(const json& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? ", " : "") + std::to_string(shape[i].get<uint64_t>());
  return out + (shape.size() == 1 ? ",)" : ")");
}

std::string figure(const json& stats, const char* key) {
  if (!stats.contains(key) || !stats[key].is_number())
    return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", stats[key].get<double>());
  return buf;
}

// One datum on one line: id, kwargs, then its hash, dtype and shape (or "not hashed").
void print_datum_line(const json& d) {
  std::printf("%s  %s", str(d, "datum_id").c_str(), d.value("kwargs", json::object()).dump().c_str());
  if (d.contains("hash") && d["hash"].is_string())
    std::printf("  %s %s  %s %s\n", str(d, "algorithm").c_str(), str(d, "hash").c_str(),
                str(d, "dtype").c_str(), shape_text(d["shape"]).c_str());
  else
    std::printf("  not hashed\n");
}

void print_datum(const json& r) {
  auto& d = r["datum"];
  std::printf("datum %s of resource %s", str(d, "datum_id").c_str(),
              str(d, "resource_uid").c_str());
  if (r.contains("resource")) {
    auto& res = r["resource"];
    std::printf(" (%s %s/%s)", str(res, "spec").c_str(), str(res, "root").c_str(),
                str(res, "path").c_str());
  }
  std::printf("\n  kwargs     %s\n  created    %s\n",
              d.value("kwargs", json::object()).dump().c_str(),
              time_text(d.value("created", int64_t{0})).c_str());
  if (!d.contains("hash") || !d["hash"].is_string()) {
    std::printf("  not hashed yet (`d1drive datum hash %s`)\n", str(d, "resource_uid").c_str());
    return;
  }
  std::printf("  hash       %s %s\n", str(d, "algorithm").c_str(), str(d, "hash").c_str());
  std::printf("  dtype      %s  shape %s\n", str(d, "dtype").c_str(),
              shape_text(d["shape"]).c_str());
  std::string files;
  for (auto& f : d["files"])
    files += (files.empty() ? "" : ", ") + f.get<std::string>();
  std::printf("  files      %s\n  read at    %s, %s (job %llu)\n", files.c_str(),
              str(d, "root").c_str(), time_text(d.value("hashed_at", int64_t{0})).c_str(),
              static_cast<unsigned long long>(num(d, "job_id")));
  auto& st = d["stats"];
  std::printf("  values     %llu finite, %llu NaN, %llu infinite\n",
              static_cast<unsigned long long>(num(st, "count")),
              static_cast<unsigned long long>(num(st, "nan_count")),
              static_cast<unsigned long long>(num(st, "inf_count")));
  std::printf("  min %s  max %s  mean %s  std %s\n", figure(st, "min").c_str(),
              figure(st, "max").c_str(), figure(st, "mean").c_str(), figure(st, "std").c_str());
  if (st.contains("histogram") && !st["histogram"].empty()) {
    std::string bins;
    for (auto& b : st["histogram"])
      bins += (bins.empty() ? "" : " ") + std::to_string(b.get<uint64_t>());
    std::printf("  histogram  %zu bins over [min, max]: %s\n", st["histogram"].size(),
                bins.c_str());
  }
}

void print_plan(const json& result) {
  std::printf("dry run: nothing was changed. The plan:\n");
  for (auto& step : result["plan"]) {
    std::printf("  %-6s %s", str(step, "action").c_str(), str(step, "from").c_str());
    if (!str(step, "to").empty())
      std::printf(" -> %s", str(step, "to").c_str());
    std::printf(" (%s)", human_bytes(static_cast<double>(num(step, "size"))).c_str());
    if (!str(step, "note").empty())
      std::printf("  %s", str(step, "note").c_str());
    std::printf("\n");
  }
  if (result["plan"].empty())
    std::printf("  (nothing to do)\n");
}

// resource.locate: the copies of a resource, best first.
void print_locate(const json& r) {
  std::printf("%s (host %s; preferred root: %s)\n", str(r, "resource_uid").c_str(),
              str(r, "host").c_str(),
              str(r, "preferred_root").empty() ? "none verified"
                                               : str(r, "preferred_root").c_str());
  for (auto& c : r["copies"]) {
    std::printf("  %s", str(c, "root").c_str());
    if (!str(c, "local_root").empty() && str(c, "local_root") != str(c, "root"))
      std::printf(" (here at %s)", str(c, "local_root").c_str());
    std::printf("  %s  %llu/%llu files ok",
                c.value("verified", false) ? "verified" : "NOT VERIFIED",
                static_cast<unsigned long long>(num(c, "files_ok")),
                static_cast<unsigned long long>(num(c, "files_expected")));
    if (c.value("preference", -1) >= 0)
      std::printf("  preference %d", c.value("preference", -1));
    if (c.value("hashed_at", int64_t{0}) > 0)
      std::printf("  hashed %s", time_text(c.value("hashed_at", int64_t{0})).c_str());
    std::printf("\n");
    if (num(c, "files_bad") > 0)
      std::printf("    %llu files need attention; first: %s\n",
                  static_cast<unsigned long long>(num(c, "files_bad")),
                  str(c, "problem").c_str());
  }
}

// resource.history: one line per change of location.
void print_history(const json& r) {
  for (auto& h : r["history"]) {
    std::printf("%s  %-11s", time_text(h.value("time", int64_t{0})).c_str(),
                str(h, "action").c_str());
    if (!str(h, "from").empty())
      std::printf(" %s", str(h, "from").c_str());
    if (!str(h, "from").empty() && !str(h, "to").empty())
      std::printf(" ->");
    if (!str(h, "to").empty())
      std::printf(" %s", str(h, "to").c_str());
    std::printf("  (%llu files", static_cast<unsigned long long>(num(h, "files")));
    if (num(h, "job_id"))
      std::printf(", job %llu", static_cast<unsigned long long>(num(h, "job_id")));
    std::printf(")\n");
  }
}

// journal: one line per command received.
void print_journal(const json& r) {
  for (auto& e : r["journal"]) {
    std::string args;
    for (auto& a : e["args"])
      args += " " + (a.is_string() ? a.get<std::string>() : a.dump());
    auto kwargs = e.contains("kwargs") && !e["kwargs"].empty() ? " " + e["kwargs"].dump()
                                                              : std::string{};
    const char* outcome = e.value("finished", int64_t{0}) == 0 ? "running"
                          : e.value("success", false)          ? "ok"
                                                               : "FAILED";
    std::printf("%6llu  %s  %s%s%s  %s", static_cast<unsigned long long>(num(e, "seq")),
                time_text(e.value("started", int64_t{0})).c_str(),
                str(e, "command").c_str(), args.c_str(), kwargs.c_str(), outcome);
    if (!str(e, "error").empty())
      std::printf(": %s", str(e, "error").c_str());
    if (num(e, "job_id"))
      std::printf("  (job %llu)", static_cast<unsigned long long>(num(e, "job_id")));
    std::printf("\n");
  }
}

// status: the daemon, its mount, jobs, last scrub and content cache.
void print_status(const json& r) {
  std::printf("d1drive %s, pid %llu, up %s\n", str(r, "version").c_str(),
              static_cast<unsigned long long>(num(r, "pid")),
              human_duration(r.value("uptime_s", 0.0)).c_str());
  std::printf("state dir  %s\n", str(r, "state_dir").c_str());
  if (r.value("mounted", false))
    std::printf("mounted    %s at %s\n", str(r, "base_url").c_str(),
                str(r, "mountpoint").c_str());
  else
    std::printf("mounted    no (serve)\n");
  if (r.contains("resources"))
    std::printf("resources  %llu\n", static_cast<unsigned long long>(num(r, "resources")));
  if (r.contains("jobs")) {
    std::printf("jobs      ");
    for (auto& [k, v] : r["jobs"].items())
      std::printf(" %s %llu", k.c_str(), static_cast<unsigned long long>(v.get<uint64_t>()));
    std::printf("\n");
  }
  if (r.contains("last_scrub")) {
    auto& sc = r["last_scrub"];
    std::printf("last scrub job %llu: %s at %s, %s", static_cast<unsigned long long>(num(sc, "job")),
                str(sc, "resource").c_str(), str(sc, "root").c_str(), str(sc, "state").c_str());
    if (num(sc, "files_failed") > 0)
      std::printf(", %llu files do not match: %s",
                  static_cast<unsigned long long>(num(sc, "files_failed")),
                  str(sc, "error").c_str());
    std::printf("\n");
  }
  // The same text as Status/jobs and Status/content.txt in the mount.
  if (r.contains("recent_jobs_text"))
    std::printf("\nrecent jobs (queued, running and the last %u ended):\n%s",
                unsigned{recent_ended_jobs}, str(r, "recent_jobs_text").c_str());
  if (r.contains("content_text"))
    std::printf("\n%s", str(r, "content_text").c_str());
  else if (r.contains("content_error"))
    std::printf("\ncontent cache: %s\n", str(r, "content_error").c_str());
}
// A job submitted (datum.register, or a command queued or followed to its end). Returns
// false for a result that is not one.
bool print_submission(const std::string& command, const json& r) {
  if (command == "datum.register") {
    // The ids on stdout, one a line (for scripts); the job that hashes new files aside.
    for (auto& id : r["datum_ids"])
      std::printf("%s\n", id.get<std::string>().c_str());
    if (r.contains("job"))
      print_job_summary(r["job"]);
    else if (r.contains("job_id"))
      std::fprintf(stderr, "%llu new files; hashing them in job %llu (`d1drive job %llu --wait` "
                           "to follow)\n",
                   static_cast<unsigned long long>(num(r, "new_files")),
                   static_cast<unsigned long long>(num(r, "job_id")),
                   static_cast<unsigned long long>(num(r, "job_id")));
    return true;
  }
  if (r.contains("job")
      && (command.rfind("resource.", 0) == 0 || command.rfind("datum.", 0) == 0
          || command == "job.wait" || command == "job.retry")) {
    // A job followed to its end (--wait).
    if (command == "resource.register")
      std::printf("registered %s\n", str(r, "resource_uid").c_str());
    print_job_summary(r["job"]);
    return true;
  }
  if (r.contains("job_id")) {
    if (command == "resource.register")
      std::printf("registered %s; hashing its files in job %llu (`d1drive job %llu "
                  "--wait` to follow)\n",
                  str(r, "resource_uid").c_str(),
                  static_cast<unsigned long long>(num(r, "job_id")),
                  static_cast<unsigned long long>(num(r, "job_id")));
    else
      std::printf("job %llu queued (`d1drive job %llu --wait` to follow)\n",
                  static_cast<unsigned long long>(num(r, "job_id")),
                  static_cast<unsigned long long>(num(r, "job_id")));
    return true;
  }
  return false;
}

}  // namespace

// People's rendering of a successful result, by command.
void print_result(const std::string& command, const json& r) {
  if (r.value("dry_run", false))
    return print_plan(r);
  if (print_submission(command, r))
    return;
  if (command == "resource.locate")
    return print_locate(r);
  if (command == "resource.shift-root") {
    auto& before = r["before"];
    auto& after = r["after"];
    std::printf("%s: root %s -> %s, path %s -> %s (%llu file records; no file moved)\n",
                str(r, "resource_uid").c_str(), str(before, "root").c_str(),
                str(after, "root").c_str(), str(before, "path").c_str(),
                str(after, "path").c_str(), static_cast<unsigned long long>(num(r, "files")));
    return;
  }
  if (command == "resource.history")
    return print_history(r);
  if (command == "resource.show") {
    auto& res = r["resource"];
    std::printf("%s  %s  %s/%s  (%s)\n", str(res, "uid").c_str(), str(res, "spec").c_str(),
                str(res, "root").c_str(), str(res, "path").c_str(),
                str(res, "algorithm").c_str());
    for (auto& f : r["files"])
      std::printf("  %-13s %s  %s\n", str(f, "state").c_str(), str(f, "abs_path").c_str(),
                  str(f, "digest").c_str());
    return;
  }
  if (command == "datum.list") {
    for (auto& d : r["datums"])
      print_datum_line(d);
    return;
  }
  if (command == "datum.show")
    return print_datum(r);
  if (command == "resource.list") {
    for (auto& res : r["resources"])
      std::printf("%s  %-13s %s/%s\n", str(res, "uid").c_str(), str(res, "spec").c_str(),
                  str(res, "root").c_str(), str(res, "path").c_str());
    return;
  }
  if (command == "jobs") {
    std::printf("%6s  %-13s %-9s %-12s %s\n", "ID", "KIND", "STATE", "FILES", "RESOURCE");
    for (auto& j : r["jobs"]) {
      auto s = sample_of(j);
      auto files = std::to_string(s.files_done) + "/" + std::to_string(s.files_total);
      std::printf("%6llu  %-13s %-9s %-12s %s\n", static_cast<unsigned long long>(s.job_id),
                  s.kind.c_str(), s.state.c_str(), files.c_str(),
                  str(j["request"], "uid").c_str());
    }
    return;
  }
  if (command == "job.get" || command == "job.cancel")
    return print_job(r["job"]);
  if (command == "journal")
    return print_journal(r);
  if (command == "catalogue.check") {
    std::printf("catalogue consistent: %llu resources, %llu file records, %llu references, "
                "%llu jobs\n",
                static_cast<unsigned long long>(num(r, "resources")),
                static_cast<unsigned long long>(num(r, "files")),
                static_cast<unsigned long long>(num(r, "references")),
                static_cast<unsigned long long>(num(r, "jobs")));
    return;
  }
  if (command.rfind("crawl.", 0) == 0) {
    std::printf("%s", str(r, "text").c_str());
    return;
  }
  if (command == "status")
    return print_status(r);
  std::printf("%s\n", r.dump(2).c_str());
}

void print_mismatches(const json& r) {
  if (r.contains("mismatched_files"))
    for (auto& m : r["mismatched_files"])
      std::printf("  MISMATCH %s: %s\n", str(m, "rel_path").c_str(), str(m, "detail").c_str());
  if (r.contains("mismatched_datums"))
    for (auto& m : r["mismatched_datums"])
      std::printf("  MISMATCH datum %s at %s: %s\n", str(m, "datum_id").c_str(),
                  str(m, "root").c_str(), str(m, "detail").c_str());
}

}  // namespace d1
