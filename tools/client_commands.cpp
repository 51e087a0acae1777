// The client subcommands: build a control request from the command line, send it to the
// daemon's socket, show progress lines (--wait) and render the result line.
#include "tools/client_commands.hpp"

#include "actors/control/control_server.hpp"
#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"
#include "tools/catalogue_command.hpp"
#include "tools/client_render.hpp"
#include "tools/progress_display.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
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

using json = nlohmann::json;

namespace {

// The options every client subcommand has; choosing `cmd` sets the protocol `command`.
void common(client_commands::state& s, CLI::App* cmd, const std::string& command) {
  cmd->add_option("--state-dir", s.state_dir,
                  "The daemon's state dir, where its control socket is (default: as the "
                  "daemon's)");
  cmd->add_option("--config", s.config_file, "TOML config file (for its state_dir)");
  cmd->add_flag("--json", s.json, "Print one JSON document (machine-readable)");
  cmd->callback([&s, command] { s.command = command; });
  s.commands.push_back(cmd);
}

// --wait, for the subcommands that submit a job.
void waitable(client_commands::state& s, CLI::App* cmd) {
  cmd->add_flag("--wait", s.wait,
                "Follow the job to its end (progress bar on a terminal, lines otherwise)");
}

// resource register|copy|move|remove.
void add_resource_transfers(client_commands::state& s, CLI::App* resource) {
  auto* reg = resource->add_subcommand("register", "Register a resource and hash its files");
  reg->add_option("--spec", s.spec, "RAW, AD_TIFF, AD_HDF5, NPY_FRAMEWISE or DATAONE")
    ->required();
  reg->add_option("--root", s.root, "The storage root (absolute directory)")->required();
  reg->add_option("--path", s.path, "The resource's path relative to the root")->required();
  reg->add_option("--kwargs", s.kwargs, "Spec arguments, a JSON object");
  reg->add_option("--uid", s.uid, "The uid to give it (default: generated)");
  reg->add_option("--algorithm", s.algorithm, "SHA-256 (default), SHA-1 or MD5");
  common(s, reg, "resource.register");
  waitable(s, reg);

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
  common(s, copy, "resource.copy");
  waitable(s, copy);

  auto* move = resource->add_subcommand("move", "Move a resource to another root, verified");
  move->add_option("uid", s.uid, "Resource uid")->required();
  move->add_option("--from", s.from, "The root it leaves")->required();
  move->add_option("--to", s.to, "The new root")->required();
  move->add_flag("--dry-run", s.dry_run, "Show the plan; change nothing");
  verify_datums(move);
  common(s, move, "resource.move");
  waitable(s, move);

  auto* remove = resource->add_subcommand("remove", "Remove one copy of a resource");
  remove->add_option("uid", s.uid, "Resource uid")->required();
  remove->add_option("--from", s.from, "The root whose copy goes")->required();
  remove->add_flag("--force-last", s.force_last, "Allow removing the last verified copy");
  remove->add_flag("--dry-run", s.dry_run, "Show the plan; change nothing");
  common(s, remove, "resource.remove");
  waitable(s, remove);
}

// resource change-root|shift-root|verify|locate|history|show|list.
void add_resource_records(client_commands::state& s, CLI::App* resource) {
  auto* change = resource->add_subcommand(
    "change-root", "Record that a resource's files were moved out of band to a new root");
  change->add_option("uid", s.uid, "Resource uid")->required();
  change->add_option("--to", s.to, "Where the files are now")->required();
  change->add_option("--from", s.from, "The old root (default: the only copy)");
  common(s, change, "resource.change-root");
  waitable(s, change);

  auto* shift = resource->add_subcommand(
    "shift-root", "Move leading components of a resource's path into its root (or back); "
                  "the files stay where they are");
  shift->add_option("uid", s.uid, "Resource uid")->required();
  shift->add_option("--by", s.by,
                    "N > 0: the first N components of the path join the root; N < 0: the "
                    "last -N components of the root go back to the path")
    ->required();
  common(s, shift, "resource.shift-root");

  auto* verify = resource->add_subcommand("verify", "Check a resource's files; repair nothing");
  verify->add_option("uid", s.uid, "Resource uid")->required();
  verify->add_option("--root", s.root, "Check only the copy on this root (default: all)");
  verify->add_option("--level", s.level,
                     "exists, size, hash (default) or datum (every datum's values read "
                     "again and compared with its recorded datum hash)")
    ->check(CLI::IsMember({"exists", "size", "hash", "datum"}));
  common(s, verify, "resource.verify");
  waitable(s, verify);

  auto* locate = resource->add_subcommand("locate", "Where a resource's copies are");
  locate->add_option("uid", s.uid, "Resource uid")->required();
  common(s, locate, "resource.locate");

  auto* history = resource->add_subcommand("history", "Every change of a resource's location");
  history->add_option("uid", s.uid, "Resource uid")->required();
  common(s, history, "resource.history");

  auto* show = resource->add_subcommand("show", "A resource and all its file records");
  show->add_option("uid", s.uid, "Resource uid")->required();
  common(s, show, "resource.show");

  auto* list = resource->add_subcommand("list", "Every registered resource");
  common(s, list, "resource.list");
}

// datum register|list|show|hash.
void add_datum_commands(client_commands::state& s, CLI::App& app) {
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
  common(s, dreg, "datum.register");
  waitable(s, dreg);
  auto* dlist = datum->add_subcommand("list", "A resource's datums, with their hashes");
  dlist->add_option("uid", s.uid, "Resource uid")->required();
  common(s, dlist, "datum.list");
  auto* dshow = datum->add_subcommand(
    "show", "One datum: its resource, kwargs, hash, dtype, shape and statistics");
  dshow->add_option("datum_uid", s.datum_id, "Datum uid")->required();
  common(s, dshow, "datum.show");
  auto* dhash = datum->add_subcommand(
    "hash", "Read every datum of a resource from a verified copy, hash and describe its "
            "values (a background job)");
  dhash->add_option("uid", s.uid, "Resource uid")->required();
  dhash->add_option("--algorithm", s.algorithm,
                    "SHA-1 or SHA-256 (default: the resource's recorded one, else SHA-1)");
  dhash->add_option("--root", s.root, "The copy to read (default: the preferred verified one)");
  common(s, dhash, "datum.hash");
  waitable(s, dhash);
}

// jobs, job, catalogue check|restore, journal, status, crawl list|allow|forget.
void add_daemon_commands(client_commands::state& s, CLI::App& app) {
  auto* jobs = app.add_subcommand("jobs", "Every job, newest first");
  common(s, jobs, "jobs");

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
  common(s, job, "job");

  auto* catalogue = app.add_subcommand("catalogue", "The catalogue itself: check it, restore "
                                                    "it from an automatic backup");
  catalogue->require_subcommand(1);
  auto* check = catalogue->add_subcommand(
    "check", "Check the database's pages, read every record and check the invariants (every "
             "resource has a copy or a forced removal, reference counts equal references, "
             "jobs name their resource's files), and list the automatic backups; asks the "
             "running daemon, or opens the catalogue itself when none runs; exit 0 only if "
             "nothing is wrong, 5 if something is");
  common(s, check, "catalogue.check");
  auto* restore = catalogue->add_subcommand(
    "restore", "Put an automatic backup in place of the catalogue (no daemon may run); the "
               "old one is kept as catalogue.lmdb.damaged-TIME");
  restore->add_option("--from", s.from, "A backup folder (default: the newest)");
  common(s, restore, "catalogue.restore");

  auto* journal = app.add_subcommand("journal", "Every command received, oldest first");
  journal->add_option("--limit", s.limit, "Show the last N entries (default 50; 0: all)");
  common(s, journal, "journal");

  auto* status = app.add_subcommand("status", "The daemon: uptime, version, counts");
  common(s, status, "status");

  auto* crawl = app.add_subcommand("crawl", "Processes limited as crawlers (find, updatedb, "
                                            "indexers): list them, trust or forget one");
  crawl->require_subcommand(1);
  auto* crawl_list = crawl->add_subcommand("list", "Flagged processes, tokens, refusals");
  common(s, crawl_list, "crawl.list");
  auto* crawl_allow = crawl->add_subcommand("allow", "Trust a pid or a process name");
  crawl_allow->add_option("who", s.who, "PID or process name (as in /proc/PID/comm)")
    ->required();
  common(s, crawl_allow, "crawl.allow");
  auto* crawl_forget = crawl->add_subcommand("forget", "Drop the flags and trust of one");
  crawl_forget->add_option("who", s.who, "PID or process name")->required();
  common(s, crawl_forget, "crawl.forget");
}

}  // namespace

client_commands::client_commands(CLI::App& app) : state_(std::make_unique<state>()) {
  auto& s = *state_;
  auto* resource = app.add_subcommand("resource", "Register, copy, move, remove, re-root, "
                                                  "verify and locate resources");
  resource->require_subcommand(1);
  add_resource_transfers(s, resource);
  add_resource_records(s, resource);
  add_datum_commands(s, app);
  add_daemon_commands(s, app);
}

client_commands::~client_commands() = default;

bool client_commands::selected() const {
  return !state_->command.empty();
}

namespace {

// Reports a failure of the client itself (as JSON too with --json); returns `code`.
int fail(const client_commands::state& s, int code, const std::string& error_code,
         const std::string& message) {
  if (s.json)
    std::cout << json{{"ok", false}, {"error", {{"code", error_code}, {"message", message}}}}
                   .dump(2)
              << std::endl;
  std::cerr << "d1drive: " << message << std::endl;
  return code;
}

// --kwargs as the object args["kwargs"] (nothing when empty); not a JSON object is
// ec::invalid_argument, its message showing `example`.
caf::error put_kwargs(json& args, const std::string& kwargs, const char* example) {
  if (kwargs.empty())
    return {};
  auto kw = json::parse(kwargs, nullptr, false);
  if (kw.is_discarded() || !kw.is_object())
    return make_error(ec::invalid_argument,
                      std::string{"--kwargs must be a JSON object, e.g. '"} + example + "'");
  args["kwargs"] = kw;
  return {};
}

// The request of the chosen subcommand, {"command", "args"} (without "wait"); a usage
// error as ec::invalid_argument.
caf::expected<json> request_of(const client_commands::state& s) {
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
    if (auto err = put_kwargs(args, s.kwargs, "{\"point_number\": 3}"))
      return err;
  } else if (command == "resource.shift-root") {
    put("uid", s.uid);
    args["by"] = s.by;
  } else if (command == "resource.register") {
    put("spec", s.spec);
    put("root", s.root);
    put("path", s.path);
    put("uid", s.uid);
    put("algorithm", s.algorithm);
    if (auto err = put_kwargs(args, s.kwargs, "{\"frame_per_point\": 2}"))
      return err;
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
  return json{{"command", command}, {"args", args}};
}

// Shows the result line `msg` of `command`: for people, or as JSON. Returns the exit code
// of its error code.
int render(const client_commands::state& s, const std::string& command,
           const daemon_config& offline, json msg) {
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
}

// Reads the answer to `command` from `conn`: progress lines (shown unless --json) while
// the job is followed, then the result line, rendered. Returns the exit code.
int read_answer(const client_commands::state& s, const std::string& command,
                const daemon_config& offline, control_connection& conn,
                const std::string& state_dir) {
  bool following = s.wait || command == "job.wait";
  std::unique_ptr<progress_display> progress;
  if (following && !s.json)
    progress = std::make_unique<progress_display>(stdout, ::isatty(STDOUT_FILENO) == 1);
  for (;;) {
    // A followed job may run for hours; otherwise the daemon answers within its own
    // request timeout (30 s).
    auto line = conn.read_line(following ? -1 : 60000);
    if (!line) {
      if (progress)
        progress->finish();
      if (code_of(line.error()) == ec::unavailable)
        return fail(s, exit_failed, "unavailable",
                    "the daemon closed the connection before answering (see its log in "
                      + state_dir + ")");
      return fail(s, exit_failed, "timeout", describe(line.error()));
    }
    auto msg = json::parse(*line, nullptr, false);
    if (msg.is_discarded() || !msg.is_object())
      return fail(s, exit_failed, "parse_error", "the daemon sent a malformed line: " + *line);
    if (msg.value("type", "") == "progress") {
      if (progress && msg.contains("job"))
        progress->update(sample_of(msg["job"]));
      continue;
    }
    if (progress)
      progress->finish();
    return render(s, command, offline, std::move(msg));
  }
}

}  // namespace

int client_commands::run() {
  auto& s = *state_;
  // Where the daemon is: --state-dir, else the config's state_dir, else the default.
  std::string state_dir = s.state_dir;
  if (state_dir.empty()) {
    daemon_config cfg;
    cfg.state_dir = default_state_dir();
    auto path = s.config_file.empty() ? default_config_path() : s.config_file;
    auto loaded = load_config(path, !s.config_file.empty(), cfg);
    if (!loaded)
      return fail(s, exit_usage_error, "invalid_argument", describe(loaded.error()));
    state_dir = loaded->state_dir;
  }
  auto request = request_of(s);
  if (!request)
    return fail(s, exit_usage_error, "invalid_argument", context_of(request.error()));
  std::string command = (*request)["command"];
  // The catalogue's offline half (catalogue_command.hpp).
  daemon_config offline;
  offline.state_dir = state_dir;
  if (command == "catalogue.restore")
    return restore_catalogue(offline, s.from, s.json);
  if (s.wait && command != "job.wait")
    (*request)["wait"] = true;

  auto socket = control_socket_path(state_dir);
  auto conn = control_connection::connect(socket);
  if (!conn && command == "catalogue.check" && code_of(conn.error()) == ec::unavailable)
    return render(s, command, offline, check_catalogue_offline(offline));
  if (!conn) {
    if (code_of(conn.error()) == ec::unavailable)
      return fail(s, exit_no_daemon, "unavailable",
                  "no d1drive daemon is running with state dir " + state_dir
                    + "; start one with `d1drive serve`");
    return fail(s, exit_failed, "io_error", describe(conn.error()));
  }
  if (auto err = conn->send(*request))
    return fail(s, exit_no_daemon, "unavailable", describe(err));

  return read_answer(s, command, offline, *conn, state_dir);
}

}  // namespace d1
