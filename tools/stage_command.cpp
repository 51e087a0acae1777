// The `stage` client command: one request over the control socket, then (with --wait) the
// register jobs of the staged files followed to their ends.
#include "tools/stage_command.hpp"

#include "actors/control/control_server.hpp"
#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"
#include "tools/client_commands.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace d1 {

namespace {

using json = nlohmann::json;

// Sends `request` and returns the daemon's result line (progress lines are skipped).
caf::expected<json> ask(control_connection& conn, const json& request) {
  if (auto err = conn.send(request))
    return err;
  for (;;) {
    auto line = conn.read_line(-1);  // a stage lasts as long as its downloads
    if (!line)
      return std::move(line.error());
    auto msg = json::parse(*line, nullptr, false);
    if (msg.is_discarded() || !msg.is_object())
      return make_error(ec::parse_error, "the daemon sent a malformed line: " + *line);
    if (msg.value("type", "") != "progress")
      return msg;
  }
}

void print_files(const json& result) {
  for (auto& f : result.value("files", json::array()))
    std::printf("%-8s %s  %s%s\n", f.value("outcome", "").c_str(), f.value("pid", "").c_str(),
                f.value("path", "").c_str(),
                f.value("outcome", "") == "failed" ? ("\n         " + f.value("detail", "")).c_str()
                                                   : "");
  std::printf("%llu fetched (%llu bytes), %llu adopted, %llu failed\n",
              static_cast<unsigned long long>(result.value("fetched", 0)),
              static_cast<unsigned long long>(result.value("fetched_bytes", 0)),
              static_cast<unsigned long long>(result.value("adopted", 0)),
              static_cast<unsigned long long>(result.value("failed", 0)));
}

// Follows the register jobs of the staged files; false if one did not end done.
bool follow_jobs(control_connection& conn, const json& result, bool quiet) {
  bool ok = true;
  for (auto& f : result.value("files", json::array())) {
    auto id = f.value("job", uint64_t{0});
    if (id == 0)
      continue;
    auto msg = ask(conn, json{{"command", "job.wait"}, {"args", {{"id", id}}}});
    bool done = msg && msg->value("ok", false);
    if (!done && !quiet)
      std::fprintf(stderr, "d1drive: register job %llu of %s did not end done\n",
                   static_cast<unsigned long long>(id), f.value("pid", "").c_str());
    ok = ok && done;
  }
  return ok;
}

}  // namespace

CLI::App* add_stage_command(CLI::App& app, stage_options& o) {
  auto* cmd = app.add_subcommand(
    "stage", "Download a DataONE object or package beneath ROOT, verified, and register it");
  cmd->add_option("pid", o.pid, "The PID of an object or a resource map")->required();
  cmd->add_option("--to", o.root, "The folder to stage into (absolute)")->required();
  cmd->add_flag("--dry-run", o.dry_run, "List what would be staged; write nothing");
  cmd->add_flag("--wait", o.wait, "Also wait for the register jobs of the staged files");
  cmd->add_flag("--json", o.json, "Print the daemon's answer as JSON");
  cmd->add_option("--state-dir", o.state_dir, "The daemon's state dir (default as for serve)");
  cmd->add_option("--config", o.config_file, "TOML config file (default as for serve)");
  return cmd;
}

int run_stage_command(const stage_options& o) {
  auto fail = [&](int code, const std::string& message) {
    std::cerr << "d1drive: " << message << std::endl;
    return code;
  };
  std::string state_dir = o.state_dir;
  if (state_dir.empty()) {
    daemon_config cfg;
    cfg.state_dir = default_state_dir();
    auto path = o.config_file.empty() ? default_config_path() : o.config_file;
    auto loaded = load_config(path, !o.config_file.empty(), cfg);
    if (!loaded)
      return fail(exit_usage_error, describe(loaded.error()));
    state_dir = loaded->state_dir;
  }
  auto conn = control_connection::connect(control_socket_path(state_dir));
  if (!conn)
    return code_of(conn.error()) == ec::unavailable
             ? fail(exit_no_daemon, "no d1drive daemon is running with state dir " + state_dir
                                      + "; start one with `d1drive serve`")
             : fail(exit_failed, describe(conn.error()));
  json args{{"pid", o.pid}, {"to", o.root}};
  if (o.dry_run)
    args["dry_run"] = true;
  auto msg = ask(*conn, json{{"command", "stage"}, {"args", args}});
  if (!msg)
    return fail(exit_failed, describe(msg.error()));
  bool ok = msg->value("ok", false);
  auto result = msg->value("result", json::object());
  if (ok && o.wait && !o.dry_run && !follow_jobs(*conn, result, o.json))
    ok = false;
  msg->erase("type");
  if (o.json)
    std::cout << msg->dump(2) << std::endl;
  else
    print_files(result);
  if (ok)
    return 0;
  auto error = msg->value("error", json::object());
  if (!o.json && !error.empty())
    std::cerr << "d1drive: " << error.value("message", "") << std::endl;
  auto code = error.value("code", std::string{"unspecified"});
  return code == "stage_incomplete" ? exit_failed : exit_code_for(code);
}

}  // namespace d1
