// The offline half of `d1drive catalogue`: the catalogue check when no daemon has the
// catalogue open, the automatic backups an operator can restore, and `catalogue restore`
// (client_commands.cpp parses the command line and asks a running daemon first).
#pragma once

#include "actors/control/daemon_config.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace d1 {

/// The result line of `catalogue.check` (control_requests.hpp) for the catalogue of
/// `cfg.state_dir`, checked in this process; an error line "not_found" if there is none.
nlohmann::json check_catalogue_offline(const daemon_config& cfg);

/// The automatic backups of the catalogue, newest first: [{"dir", "stamp", "bytes"}…].
nlohmann::json catalogue_backups_json(const daemon_config& cfg);

/// Prints the backups (and, if the check found problems, how to restore the newest).
void print_catalogue_backups(const daemon_config& cfg, const nlohmann::json& backups,
                             bool problems);

/// Puts a backup (`from`, default the newest) in place of the catalogue; the old one is
/// kept as catalogue.lmdb.damaged-TIME. Refused (exit 4) while a daemon serves the state
/// dir. Returns the exit code: 0 restored, 1 failed, 4 refused.
int restore_catalogue(const daemon_config& cfg, const std::string& from, bool json);

}  // namespace d1
