// d1drive: one executable, subcommands in the git/rclone style. This file only parses the
// command line and dispatches; the work is in mount_command.cpp and the libraries.
//
// Exit codes (documented in the README): 0 success, 1 runtime failure (mount failed,
// daemon error), 2 usage or configuration error; client subcommands also 3 (no daemon),
// 4 (refused) and 5 (verification mismatch), see tools/client_commands.hpp.
#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"
#include "tools/catalogue_command.hpp"
#include "tools/client_commands.hpp"
#include "tools/mount_command.hpp"
#include "tools/serve_command.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"d1drive: the DataONE federation as a filesystem, and files that move "
               "without getting lost"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "d1drive 0.1.0");

  d1::mount_options mount;
  auto* mount_cmd = app.add_subcommand("mount", "Mount the DataONE federation at MOUNTPOINT");
  mount_cmd->add_option("mountpoint", mount.mountpoint, "An existing empty directory")
    ->required();
  mount_cmd->add_option("--base-url", mount.base_url,
                        "Coordinating Node base URL (default https://cn.dataone.org/cn)");
  mount_cmd->add_option("--state-dir", mount.state_dir,
                        "Caches and logs (default /var/lib/d1drive for root, else "
                        "$XDG_STATE_HOME/d1drive)");
  mount_cmd->add_option("--config", mount.config_file,
                        "TOML config file (default /etc/d1drive/d1drive.toml for root, else "
                        "$XDG_CONFIG_HOME/d1drive/d1drive.toml)");
  mount_cmd->add_option("-o", mount.fuse_options,
                        "FUSE mount options, comma separated (e.g. allow_other)")
    ->take_all()
    ->delimiter(',');
  mount_cmd->add_flag("--daemon", mount.daemonize,
                      "Detach; return only once the mount is live (exit 0) or failed");
  mount_cmd->add_option("--log-level", mount.log_level,
                        "trace, debug, info, warn, error or off (overrides the config)");

  std::string unmount_point;
  auto* unmount_cmd = app.add_subcommand("unmount", "Unmount a d1drive mount cleanly");
  unmount_cmd->add_option("mountpoint", unmount_point, "The mount point")->required();

  // Mobile files (issue 4): the daemon without a mount, and the control-socket clients.
  d1::serve_options serve;
  auto* serve_cmd = app.add_subcommand("serve", "Run the daemon without a mount: mobile-files "
                                                "jobs and the control socket only");
  serve_cmd->add_option("--state-dir", serve.state_dir,
                        "Catalogue, jobs, control socket and log (default as for mount)");
  serve_cmd->add_option("--config", serve.config_file, "TOML config file (default as for mount)");
  serve_cmd->add_flag("--daemon", serve.daemonize,
                      "Detach; return once the control socket is live (exit 0) or failed");
  serve_cmd->add_option("--log-level", serve.log_level,
                        "trace, debug, info, warn, error or off (overrides the config)");
  d1::client_commands clients{app};
  d1::catalogue_command catalogue{app};

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (*mount_cmd)
    return d1::run_mount_command(mount);
  if (*unmount_cmd)
    return d1::run_unmount_command(unmount_point);
  if (*serve_cmd)
    return d1::run_serve_command(serve);
  if (clients.selected())
    return clients.run();
  if (catalogue.selected())
    return catalogue.run();
  return 2;
}
