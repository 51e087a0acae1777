// The client subcommands: build a control request from the command line, send it to the
// daemon's socket, show progress lines (--wait) and render the result line.
#include "tools/client_commands.hpp"

#include "actors/control/control_server.hpp"
#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"
#include "messages/status_report.hpp"
#include "tools/catalogue_command.hpp"
#include "tools/progress_display.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <unistd.h>

namespace d1 {

int exit_code_for(const std::string& code) {
  if (code == "refused" || code == "permission_denied")
    return exit_refused;
  if (code == "invalid_argument" || code == "invalid_path")
    return exit_usage_error;
  if (code == "verification_mismatch" || code == "checksum_mismatch"
      || code == "catalogue_inconsistent")
    return exit_mismatch;
  return exit_failed;
}

struct client_commands::state {
  // Common to every client subcommand.
  std::string state_dir;
  std::string config_file;
  bool json = false;
  bool wait = false;
  bool dry_run = false;
  // Arguments.
  std::string uid, spec, root, path, kwargs, algorithm, from, to, level;
  std::string verify;  // copy/move --verify datum
  std::string who;  // crawl allow|forget: a pid or a process name
  std::string datum_id;  // datum register --uid, datum show
  uint64_t points = 0;   // datum register --points
  int32_t by = 0;        // resource shift-root --by
  bool force_last = false;
  uint64_t job_id = 0;
  bool cancel = false;
  bool retry = false;
  uint64_t limit = 50;

  std::string command;  // protocol command, set by the chosen subcommand's callback
  std::vector<CLI::App*> commands;
};

namespace {

using json = nlohmann::json;

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

// People's rendering of a successful result, by command.
void print_result(const std::string& command, const json& r) {
  if (r.value("dry_run", false))
    return print_plan(r);
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
    return;
  }
  if (r.contains("job")
      && (command.rfind("resource.", 0) == 0 || command.rfind("datum.", 0) == 0
          || command == "job.wait" || command == "job.retry")) {
    // A job followed to its end (--wait).
    if (command == "resource.register")
      std::printf("registered %s\n", str(r, "resource_uid").c_str());
    print_job_summary(r["job"]);
    return;
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
    return;
  }
  if (command == "resource.locate") {
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
    return;
  }
  if (command == "resource.shift-root") {
    auto& before = r["before"];
    auto& after = r["after"];
    std::printf("%s: root %s -> %s, path %s -> %s (%llu file records; no file moved)\n",
                str(r, "resource_uid").c_str(), str(before, "root").c_str(),
                str(after, "root").c_str(), str(before, "path").c_str(),
                str(after, "path").c_str(), static_cast<unsigned long long>(num(r, "files")));
    return;
  }
  if (command == "resource.history") {
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
    return;
  }
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
  if (command == "journal") {
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
    return;
  }
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
  if (command == "status") {
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
    return;
  }
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

}  // namespace

client_commands::client_commands(CLI::App& app) : state_(std::make_unique<state>()) {
  auto& s = *state_;
  auto common = [&s](CLI::App* cmd, const std::string& command) {
    cmd->add_option("--state-dir", s.state_dir,
                    "The daemon's state dir, where its control socket is (default: as the "
                    "daemon's)");
    cmd->add_option("--config", s.config_file, "TOML config file (for its state_dir)");
    cmd->add_flag("--json", s.json, "Print one JSON document (machine-readable)");
    cmd->callback([&s, command] { s.command = command; });
    s.commands.push_back(cmd);
  };
  auto waitable = [&s](CLI::App* cmd) {
    cmd->add_flag("--wait", s.wait,
                  "Follow the job to its end (progress bar on a terminal, lines otherwise)");
  };

  auto* resource = app.add_subcommand("resource", "Register, copy, move, remove, re-root, "
                                                  "verify and locate resources");
  resource->require_subcommand(1);

  auto* reg = resource->add_subcommand("register", "Register a resource and hash its files");
  reg->add_option("--spec", s.spec, "RAW, AD_TIFF, AD_HDF5, NPY_FRAMEWISE or DATAONE")
    ->required();
  reg->add_option("--root", s.root, "The storage root (absolute directory)")->required();
  reg->add_option("--path", s.path, "The resource's path relative to the root")->required();
  reg->add_option("--kwargs", s.kwargs, "Spec arguments, a JSON object");
  reg->add_option("--uid", s.uid, "The uid to give it (default: generated)");
  reg->add_option("--algorithm", s.algorithm, "SHA-256 (default), SHA-1 or MD5");
  common(reg, "resource.register");
  waitable(reg);

  auto* copy = resource->add_subcommand("copy", "Copy a resource to another root, verified");
  copy->add_option("uid", s.uid, "Resource uid")->required();
  copy->add_option("--to", s.to, "The new root")->required();
  copy->add_option("--from", s.from, "The copy to read (default: the preferred verified one)");
  copy->add_flag("--dry-run", s.dry_run, "Show the plan; change nothing");
  auto verify_datums = [&s](CLI::App* cmd) {
    cmd->add_option("--verify", s.verify,
                    "datum: also read every datum at the new root and compare it with its "
                    "recorded datum hash (files are always verified by hash)")
      ->check(CLI::IsMember({"hash", "datum"}));
  };
  verify_datums(copy);
  common(copy, "resource.copy");
  waitable(copy);

  auto* move = resource->add_subcommand("move", "Move a resource to another root, verified");
  move->add_option("uid", s.uid, "Resource uid")->required();
  move->add_option("--from", s.from, "The root it leaves")->required();
  move->add_option("--to", s.to, "The new root")->required();
  move->add_flag("--dry-run", s.dry_run, "Show the plan; change nothing");
  verify_datums(move);
  common(move, "resource.move");
  waitable(move);

  auto* remove = resource->add_subcommand("remove", "Remove one copy of a resource");
  remove->add_option("uid", s.uid, "Resource uid")->required();
  remove->add_option("--from", s.from, "The root whose copy goes")->required();
  remove->add_flag("--force-last", s.force_last, "Allow removing the last verified copy");
  remove->add_flag("--dry-run", s.dry_run, "Show the plan; change nothing");
  common(remove, "resource.remove");
  waitable(remove);

  auto* change = resource->add_subcommand(
    "change-root", "Record that a resource's files were moved out of band to a new root");
  change->add_option("uid", s.uid, "Resource uid")->required();
  change->add_option("--to", s.to, "Where the files are now")->required();
  change->add_option("--from", s.from, "The old root (default: the only copy)");
  common(change, "resource.change-root");
  waitable(change);

  auto* shift = resource->add_subcommand(
    "shift-root", "Move leading components of a resource's path into its root (or back); "
                  "the files stay where they are");
  shift->add_option("uid", s.uid, "Resource uid")->required();
  shift->add_option("--by", s.by,
                    "N > 0: the first N components of the path join the root; N < 0: the "
                    "last -N components of the root go back to the path")
    ->required();
  common(shift, "resource.shift-root");

  auto* verify = resource->add_subcommand("verify", "Check a resource's files; repair nothing");
  verify->add_option("uid", s.uid, "Resource uid")->required();
  verify->add_option("--root", s.root, "Check only the copy on this root (default: all)");
  verify->add_option("--level", s.level,
                     "exists, size, hash (default) or datum (every datum's values read "
                     "again and compared with its recorded datum hash)")
    ->check(CLI::IsMember({"exists", "size", "hash", "datum"}));
  common(verify, "resource.verify");
  waitable(verify);

  auto* locate = resource->add_subcommand("locate", "Where a resource's copies are");
  locate->add_option("uid", s.uid, "Resource uid")->required();
  common(locate, "resource.locate");

  auto* history = resource->add_subcommand("history", "Every change of a resource's location");
  history->add_option("uid", s.uid, "Resource uid")->required();
  common(history, "resource.history");

  auto* show = resource->add_subcommand("show", "A resource and all its file records");
  show->add_option("uid", s.uid, "Resource uid")->required();
  common(show, "resource.show");

  auto* list = resource->add_subcommand("list", "Every registered resource");
  common(list, "resource.list");

  auto* datum = app.add_subcommand("datum", "Register a resource's datums, list and show "
                                            "them, hash and describe their values");
  datum->require_subcommand(1);
  auto* dreg = datum->add_subcommand(
    "register", "Register one datum of a resource (prints its uid), or points 0…N-1");
  dreg->add_option("uid", s.uid, "Resource uid")->required();
  auto* dkw = dreg->add_option("--kwargs", s.kwargs,
                               "Datum kwargs, a JSON object (AD_TIFF, AD_HDF5: "
                               "{\"point_number\": N}; NPY_FRAMEWISE: {\"frame_no\": N})");
  auto* duid = dreg->add_option("--uid", s.datum_id, "The datum's uid (default: RESOURCE/n)");
  dreg->add_option("--points", s.points, "Register point_number 0…N-1 (AD_TIFF, AD_HDF5)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}))
    ->excludes(dkw)
    ->excludes(duid);
  common(dreg, "datum.register");
  waitable(dreg);
  auto* dlist = datum->add_subcommand("list", "A resource's datums, with their hashes");
  dlist->add_option("uid", s.uid, "Resource uid")->required();
  common(dlist, "datum.list");
  auto* dshow = datum->add_subcommand(
    "show", "One datum: its resource, kwargs, hash, dtype, shape and statistics");
  dshow->add_option("datum_uid", s.datum_id, "Datum uid")->required();
  common(dshow, "datum.show");
  auto* dhash = datum->add_subcommand(
    "hash", "Read every datum of a resource from a verified copy, hash and describe its "
            "values (a background job)");
  dhash->add_option("uid", s.uid, "Resource uid")->required();
  dhash->add_option("--algorithm", s.algorithm,
                    "SHA-1 or SHA-256 (default: the resource's recorded one, else SHA-1)");
  dhash->add_option("--root", s.root, "The copy to read (default: the preferred verified one)");
  common(dhash, "datum.hash");
  waitable(dhash);

  auto* jobs = app.add_subcommand("jobs", "Every job, newest first");
  common(jobs, "jobs");

  auto* job = app.add_subcommand("job", "One job: show it, follow it, cancel it or retry "
                                        "what it did not finish");
  job->add_option("id", s.job_id, "Job id")->required();
  auto* job_wait = job->add_flag("--wait", s.wait, "Follow the job to its end (with --retry: "
                                                   "the new job)");
  auto* job_cancel = job->add_flag("--cancel", s.cancel, "Cancel it: it ends at once, its "
                                                         "workers stop within a file")
                       ->excludes(job_wait);
  job->add_flag("--retry", s.retry, "Submit again, as a new job, only the files it left "
                                    "failed or undone (it must have ended)")
    ->excludes(job_cancel);
  common(job, "job");

  auto* catalogue = app.add_subcommand("catalogue", "The catalogue itself: check it, restore "
                                                    "it from an automatic backup");
  catalogue->require_subcommand(1);
  auto* check = catalogue->add_subcommand(
    "check", "Check the database's pages, read every record and check the invariants (every "
             "resource has a copy or a forced removal, reference counts equal references, "
             "jobs name their resource's files), and list the automatic backups; asks the "
             "running daemon, or opens the catalogue itself when none runs; exit 0 only if "
             "nothing is wrong, 5 if something is");
  common(check, "catalogue.check");
  auto* restore = catalogue->add_subcommand(
    "restore", "Put an automatic backup in place of the catalogue (no daemon may run); the "
               "old one is kept as catalogue.lmdb.damaged-TIME");
  restore->add_option("--from", s.from, "A backup folder (default: the newest)");
  common(restore, "catalogue.restore");

  auto* journal = app.add_subcommand("journal", "Every command received, oldest first");
  journal->add_option("--limit", s.limit, "Show the last N entries (default 50; 0: all)");
  common(journal, "journal");

  auto* status = app.add_subcommand("status", "The daemon: uptime, version, counts");
  common(status, "status");

  auto* crawl = app.add_subcommand("crawl", "Processes limited as crawlers (find, updatedb, "
                                            "indexers): list them, trust or forget one");
  crawl->require_subcommand(1);
  auto* crawl_list = crawl->add_subcommand("list", "Flagged processes, tokens, refusals");
  common(crawl_list, "crawl.list");
  auto* crawl_allow = crawl->add_subcommand("allow", "Trust a pid or a process name");
  crawl_allow->add_option("who", s.who, "PID or process name (as in /proc/PID/comm)")
    ->required();
  common(crawl_allow, "crawl.allow");
  auto* crawl_forget = crawl->add_subcommand("forget", "Drop the flags and trust of one");
  crawl_forget->add_option("who", s.who, "PID or process name")->required();
  common(crawl_forget, "crawl.forget");
}

client_commands::~client_commands() = default;

bool client_commands::selected() const {
  return !state_->command.empty();
}

int client_commands::run() {
  auto& s = *state_;
  auto fail = [&s](int code, const std::string& error_code, const std::string& message) {
    if (s.json)
      std::cout << json{{"ok", false}, {"error", {{"code", error_code}, {"message", message}}}}
                     .dump(2)
                << std::endl;
    std::cerr << "d1drive: " << message << std::endl;
    return code;
  };

  // Where the daemon is: --state-dir, else the config's state_dir, else the default.
  std::string state_dir = s.state_dir;
  if (state_dir.empty()) {
    daemon_config cfg;
    cfg.state_dir = default_state_dir();
    auto path = s.config_file.empty() ? default_config_path() : s.config_file;
    auto loaded = load_config(path, !s.config_file.empty(), cfg);
    if (!loaded)
      return fail(exit_usage_error, "invalid_argument", describe(loaded.error()));
    state_dir = loaded->state_dir;
  }

  // The request.
  std::string command = s.command;
  json args = json::object();
  auto put = [&args](const char* key, const std::string& value) {
    if (!value.empty())
      args[key] = value;
  };
  if (command == "job") {
    command = s.retry ? "job.retry" : s.cancel ? "job.cancel" : s.wait ? "job.wait" : "job.get";
    args["id"] = s.job_id;
  } else if (command == "journal") {
    args["limit"] = s.limit;
  } else if (command == "datum.register" || command == "datum.show") {
    put("uid", s.uid);
    put("datum_id", s.datum_id);
    if (s.points > 0)
      args["points"] = s.points;
    if (!s.kwargs.empty()) {
      auto kw = json::parse(s.kwargs, nullptr, false);
      if (kw.is_discarded() || !kw.is_object())
        return fail(exit_usage_error, "invalid_argument",
                    "--kwargs must be a JSON object, e.g. '{\"point_number\": 3}'");
      args["kwargs"] = kw;
    }
  } else if (command == "resource.shift-root") {
    put("uid", s.uid);
    args["by"] = s.by;
  } else if (command == "resource.register") {
    put("spec", s.spec);
    put("root", s.root);
    put("path", s.path);
    put("uid", s.uid);
    put("algorithm", s.algorithm);
    if (!s.kwargs.empty()) {
      auto kw = json::parse(s.kwargs, nullptr, false);
      if (kw.is_discarded() || !kw.is_object())
        return fail(exit_usage_error, "invalid_argument",
                    "--kwargs must be a JSON object, e.g. '{\"frame_per_point\": 2}'");
      args["kwargs"] = kw;
    }
  } else {
    put("uid", s.uid);
    put("from", s.from);
    put("to", s.to);
    put("root", s.root);
    put("level", s.level);
    put("verify", s.verify);
    put("who", s.who);
    put("algorithm", s.algorithm);
    if (s.force_last)
      args["force_last"] = true;
    if (s.dry_run)
      args["dry_run"] = true;
  }
  // The catalogue's offline half (catalogue_command.hpp).
  daemon_config offline;
  offline.state_dir = state_dir;
  if (command == "catalogue.restore")
    return restore_catalogue(offline, s.from, s.json);
  json request{{"command", command}, {"args", args}};
  if (s.wait && command != "job.wait")
    request["wait"] = true;

  // The answer: for people, or as JSON; the exit code from its error code.
  auto render = [&](json msg) {
    msg.erase("type");
    bool ok = msg.value("ok", false);
    // The backups are beside the catalogue: listed whoever checked it.
    if (command == "catalogue.check" && (msg.contains("result") || msg.value("ok", false)))
      msg["result"]["backups"] = catalogue_backups_json(offline);
    json result = msg.contains("result") ? msg["result"] : json::object();
    if (s.json) {
      if (command == "status" && msg.contains("result"))  // the text is for people
        for (auto* key : {"recent_jobs_text", "content_text"})
          msg["result"].erase(key);
      std::cout << msg.dump(2) << std::endl;
    } else if (ok) {
      print_result(command, result);
    } else {
      if (msg.contains("result") && result.contains("job"))
        print_job_summary(result["job"]);
      print_mismatches(result);
      if (result.contains("problems"))
        for (auto& p : result["problems"])
          std::printf("  PROBLEM %s\n", p.is_string() ? p.get<std::string>().c_str() : "?");
    }
    if (!s.json && result.contains("backups"))
      print_catalogue_backups(offline, result["backups"], !ok);
    if (ok)
      return 0;
    auto code = msg.contains("error") ? str(msg["error"], "code") : std::string{"unspecified"};
    auto message = msg.contains("error") ? str(msg["error"], "message") : std::string{};
    if (!s.json)
      std::cerr << "d1drive: " << (code == "refused" || code == "verification_mismatch"
                                     ? message
                                     : code + ": " + message)
                << std::endl;
    return exit_code_for(code);
  };

  auto socket = control_socket_path(state_dir);
  auto conn = control_connection::connect(socket);
  if (!conn && command == "catalogue.check" && code_of(conn.error()) == ec::unavailable)
    return render(check_catalogue_offline(offline));
  if (!conn) {
    if (code_of(conn.error()) == ec::unavailable)
      return fail(exit_no_daemon, "unavailable",
                  "no d1drive daemon is running with state dir " + state_dir
                    + "; start one with `d1drive serve`");
    return fail(exit_failed, "io_error", describe(conn.error()));
  }
  if (auto err = conn->send(request))
    return fail(exit_no_daemon, "unavailable", describe(err));

  bool following = s.wait || command == "job.wait";
  std::unique_ptr<progress_display> progress;
  if (following && !s.json)
    progress = std::make_unique<progress_display>(stdout, ::isatty(STDOUT_FILENO) == 1);
  for (;;) {
    // A followed job may run for hours; otherwise the daemon answers within its own
    // request timeout (30 s).
    auto line = conn->read_line(following ? -1 : 60000);
    if (!line) {
      if (progress)
        progress->finish();
      if (code_of(line.error()) == ec::unavailable)
        return fail(exit_failed, "unavailable",
                    "the daemon closed the connection before answering (see its log in "
                      + state_dir + ")");
      return fail(exit_failed, "timeout", describe(line.error()));
    }
    auto msg = json::parse(*line, nullptr, false);
    if (msg.is_discarded() || !msg.is_object())
      return fail(exit_failed, "parse_error", "the daemon sent a malformed line: " + *line);
    if (msg.value("type", "") == "progress") {
      if (progress && msg.contains("job"))
        progress->update(sample_of(msg["job"]));
      continue;
    }
    if (progress)
      progress->finish();
    return render(std::move(msg));
  }
}

}  // namespace d1
