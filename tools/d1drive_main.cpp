// d1drive: one executable, subcommands in the git/rclone style, plus the form mount.fuse3
// calls (`d1drive SOURCE MOUNTPOINT -o OPTIONS`). This file only parses the command line
// and dispatches; the work is in mount_command.cpp and the libraries. Its help text is
// also the man page (help2man), so the footer carries what a man page must say.
//
// Exit codes (documented in the README): 0 success, 1 runtime failure (mount failed,
// daemon error), 2 usage or configuration error; client subcommands also 3 (no daemon),
// 4 (refused) and 5 (verification mismatch), see tools/client_commands.hpp.
#include "actors/control/daemon_config.hpp"
#include "messages/error.hpp"
#include "tools/client_commands.hpp"
#include "tools/stage_command.hpp"
#include "tools/daemon_process.hpp"
#include "tools/mount_command.hpp"
#include "tools/mount_helper.hpp"
#include "tools/serve_command.hpp"
#include "tools/version.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

constexpr const char* help_footer = R"(
Mount helper form (mount -t fuse.d1drive and /etc/fstab, run by mount.fuse3):
  d1drive SOURCE MOUNTPOINT [-o OPTIONS]
  SOURCE is the Coordinating Node's base URL, or "d1drive" for the configured one.
  OPTIONS are FUSE options plus d1drive's own state_dir=DIR, config=FILE and
  log_level=LEVEL. It detaches like `mount --daemon`; `umount MOUNTPOINT` stops it.
  /etc/fstab line:
    https://cn.dataone.org/cn /mnt/dataone fuse.d1drive defaults,_netdev,allow_other 0 0

Files:
  /etc/d1drive/d1drive.toml   the configuration when run as root (others:
                              $XDG_CONFIG_HOME/d1drive/d1drive.toml); every key optional
  /var/lib/d1drive/           the state when run as root (others: $XDG_STATE_HOME/d1drive):
                              caches, the mobile-files catalogue, control.sock, d1drive.log

Logging:
  In the foreground d1drive logs to stderr, or to the journal when systemd started it;
  with --daemon (and the mount helper form) to <state dir>/d1drive.log, or [log] file.
  SIGHUP reopens the log file (for logrotate); it stops only a foreground daemon that
  logs to stderr (its terminal hung up). SIGTERM and SIGINT stop the daemon cleanly.

Exit status:
  0 success; 1 runtime failure; 2 usage or configuration error; the client subcommands
  also 3 (no daemon running), 4 (refused) and 5 (a verification found mismatches).
)";

// `d1drive SOURCE MOUNTPOINT -o OPTIONS`: what mount.fuse3 runs; detaches like --daemon.
int run_mount_helper_form(int argc, char** argv) {
  CLI::App helper{"d1drive as a mount helper (mount -t fuse.d1drive)", "d1drive"};
  std::string source;
  d1::mount_options mount;
  helper.add_option("source", source, "Base URL, or d1drive for the configured one")
    ->required();
  helper.add_option("mountpoint", mount.mountpoint, "An existing empty directory")
    ->required();
  helper.add_option("-o", mount.fuse_options, "FUSE and d1drive options, comma separated")
    ->take_all()
    ->delimiter(',');
  try {
    helper.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return helper.exit(e) == 0 ? 0 : d1::exit_usage;
  }
  mount.base_url = d1::base_url_of_source(source);
  mount.source = source;
  mount.daemonize = true;
  mount.quiet = true;
  return d1::run_mount_command(mount);
}

// True when argv[1] is neither an option nor a subcommand: mount.fuse3's form.
bool is_mount_helper_form(CLI::App& app, int argc, char** argv) {
  if (argc < 2 || argv[1][0] == '-')
    return false;
  std::string first = argv[1];
  return app.get_subcommands([&](CLI::App* sub) { return sub->check_name(first); }).empty();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"d1drive: the DataONE federation as a filesystem, and files that move "
               "without getting lost"};
  app.require_subcommand(1);
  app.set_version_flag("--version", d1::version_line());
  app.set_help_all_flag("--help-all", "Print this help and that of every subcommand");

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

  // Mobile files: the daemon without a mount, and the control-socket clients.
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
  d1::stage_options stage;
  auto* stage_cmd = d1::add_stage_command(app, stage);
  app.footer(help_footer);  // after the subcommands, which would inherit it

  if (is_mount_helper_form(app, argc, argv))
    return run_mount_helper_form(argc, argv);
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
  if (*stage_cmd)
    return d1::run_stage_command(stage);
  if (clients.selected())
    return clients.run();
  return 2;
}
