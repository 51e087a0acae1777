// The catalogue subcommands: a structural check of catalogue.lmdb with its backups listed,
// and putting a backup in place of a damaged catalogue (kept aside, never deleted).
#include "tools/catalogue_command.hpp"

#include "tools/daemon_process.hpp"

#include "actors/control/control_server.hpp"
#include "messages/error.hpp"
#include "storage/backup.hpp"

#include <iostream>

namespace d1 {

catalogue_command::catalogue_command(CLI::App& app) {
  catalogue_ = app.add_subcommand("catalogue", "Check the mobile-files catalogue or restore "
                                               "it from an automatic backup");
  catalogue_->require_subcommand(1);
  for (auto* sub : {check_ = catalogue_->add_subcommand("check", "Check catalogue.lmdb (works "
                                                                 "while a daemon runs)"),
                    restore_ = catalogue_->add_subcommand(
                      "restore", "Replace catalogue.lmdb by a backup (no daemon may run); "
                                 "the old one is kept as catalogue.lmdb.damaged-TIME")}) {
    sub->add_option("--state-dir", opts_.state_dir, "The daemon's state dir");
    sub->add_option("--config", opts_.config_file, "TOML config file (for state_dir)");
  }
  restore_->add_option("--from", opts_.from, "A backup folder (default: the newest)");
}

bool catalogue_command::selected() const {
  return catalogue_->parsed();
}

int catalogue_command::run() {
  auto cfg = load_daemon_config(opts_.config_file, "", opts_.state_dir, "");
  if (!cfg)
    return fail(exit_usage, describe(cfg.error()));
  auto backups = storage::list_backups(cfg->catalogue_backup_dir());
  if (check_->parsed()) {
    auto report = storage::check_environment_dir(cfg->catalogue_db_dir(), {});
    if (report)
      std::cout << "catalogue " << cfg->catalogue_db_dir() << ": ok (" << report->tables
                << " tables, " << report->records << " records, " << report->bytes
                << " bytes)\n";
    else
      std::cout << "catalogue " << cfg->catalogue_db_dir() << ": DAMAGED: "
                << context_of(report.error()) << "\n";
    std::cout << "automatic backups in " << cfg->catalogue_backup_dir() << ":";
    if (backups.empty())
      std::cout << " none\n";
    else
      std::cout << "\n";
    for (auto& b : backups)
      std::cout << "  " << b.stamp << "  " << b.bytes << " bytes  " << b.dir << "\n";
    if (!report && !backups.empty())
      std::cout << "restore the newest with `d1drive catalogue restore --state-dir "
                << cfg->state_dir << "`\n";
    return report ? exit_ok : exit_failure;
  }
  // restore: never under a running daemon (it has the catalogue open).
  if (auto probe = control_connection::connect(control_socket_path(cfg->state_dir)))
    return fail(3, "a d1drive daemon is running with state dir " + cfg->state_dir
                     + "; stop it before restoring the catalogue");
  storage::backup_info chosen;
  if (!opts_.from.empty()) {
    chosen.dir = absolute(opts_.from);
    chosen.stamp = chosen.dir.substr(chosen.dir.rfind('/') + 1);
  } else if (!backups.empty()) {
    chosen = backups.front();
  } else {
    return fail(exit_failure, "no automatic backup in " + cfg->catalogue_backup_dir());
  }
  auto moved = storage::restore_backup(cfg->catalogue_db_dir(), chosen);
  if (!moved)
    return fail(exit_failure, describe(moved.error()));
  std::cout << "restored " << cfg->catalogue_db_dir() << " from " << chosen.dir;
  if (!moved->empty())
    std::cout << "; the previous catalogue is kept as " << *moved;
  std::cout << "\nchanges after " << chosen.stamp
            << " (UTC) are not in it: `d1drive resource verify` checks what is on disk\n";
  return exit_ok;
}

}  // namespace d1
