// `d1drive catalogue check` without a daemon, the backup list, and `catalogue restore`:
// what an operator runs when the daemon refuses a damaged catalogue.
#include "tools/catalogue_command.hpp"

#include "actors/control/control_requests.hpp"
#include "actors/control/control_server.hpp"
#include "actors/mobile/catalogue_db.hpp"
#include "messages/error.hpp"
#include "storage/backup.hpp"
#include "tools/client_commands.hpp"
#include "tools/daemon_process.hpp"

#include <cstdio>
#include <iostream>

namespace d1 {

nlohmann::json check_catalogue_offline(const daemon_config& cfg) {
  auto report = catalogue_db::check_dir(cfg.catalogue_db_dir());
  if (!report)
    return {{"type", "result"},
            {"ok", false},
            {"error", {{"code", "not_found"}, {"message", context_of(report.error())}}}};
  return catalogue_check_line(*report);
}

nlohmann::json catalogue_backups_json(const daemon_config& cfg) {
  auto out = nlohmann::json::array();
  for (auto& b : storage::list_backups(cfg.catalogue_backup_dir()))
    out.push_back({{"dir", b.dir}, {"stamp", b.stamp}, {"bytes", b.bytes}});
  return out;
}

void print_catalogue_backups(const daemon_config& cfg, const nlohmann::json& backups,
                             bool problems) {
  std::printf("automatic backups in %s:%s\n", cfg.catalogue_backup_dir().c_str(),
              backups.empty() ? " none" : "");
  for (auto& b : backups)
    std::printf("  %s  %llu bytes  %s\n", b.value("stamp", "").c_str(),
                static_cast<unsigned long long>(b.value("bytes", uint64_t{0})),
                b.value("dir", "").c_str());
  if (problems && !backups.empty())
    std::printf("to put the newest in place: stop the daemon, then `d1drive catalogue "
                "restore --state-dir %s`\n",
                cfg.state_dir.c_str());
}

int restore_catalogue(const daemon_config& cfg, const std::string& from, bool json) {
  auto done = [json](int code, const std::string& message, nlohmann::json result) {
    if (json)
      std::cout << nlohmann::json{{"ok", code == exit_ok}, {"result", std::move(result)},
                                  {"message", message}}
                     .dump(2)
                << std::endl;
    else if (code == exit_ok)
      std::cout << message << std::endl;
    if (code != exit_ok)
      std::cerr << "d1drive: " << message << std::endl;
    return code;
  };
  // Never under a running daemon: it has the catalogue open.
  if (control_connection::connect(control_socket_path(cfg.state_dir)))
    return done(exit_refused, "a d1drive daemon is running with state dir " + cfg.state_dir
                                + "; stop it before restoring the catalogue", {});
  auto backups = storage::list_backups(cfg.catalogue_backup_dir());
  storage::backup_info chosen;
  if (!from.empty()) {
    chosen.dir = absolute(from);
    chosen.stamp = chosen.dir.substr(chosen.dir.rfind('/') + 1);
  } else if (!backups.empty()) {
    chosen = backups.front();
  } else {
    return done(exit_failed, "no automatic backup in " + cfg.catalogue_backup_dir(), {});
  }
  auto moved = storage::restore_backup(cfg.catalogue_db_dir(), chosen);
  if (!moved)
    return done(exit_failed, describe(moved.error()), {});
  auto message = "restored " + cfg.catalogue_db_dir() + " from " + chosen.dir;
  if (!moved->empty())
    message += "; the previous catalogue is kept as " + *moved;
  message += "\nchanges after " + chosen.stamp
             + " (UTC) are not in it: `d1drive resource verify` checks what is on disk";
  return done(exit_ok, message,
              {{"restored_from", chosen.dir}, {"previous_kept_as", *moved}});
}

}  // namespace d1
