// The Debian package, as `make deb` builds it (cpack -G DEB from the build dir): its control
// data, its files (`dpkg -x` into a scratch root), and `dpkg -i` / `dpkg -r` / `dpkg
// --purge` on this very Debian 12 system seen through a copy-on-write overlay in a private
// mount namespace (the host's files stay untouched). In that installed root the units pass
// `systemd-analyze verify` and the fstab line mounts the stand-in node with the package's
// own binary through mount(8) and mount.fuse3.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

namespace d1::integration {
namespace {

class install_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir;
    auto out = dir_->path() + "/pkg";
    // What `make deb` runs, with the package written to a directory of the test's.
    auto r = sh("cd " + quote(binary_dir()) + " && cpack -G DEB -B " + quote(out), 300);
    cpack_output_ = r.out + r.err;
    deb_ = first_word(sh("ls " + quote(out) + "/d1drive_*.deb").out);
  }

  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_FALSE(deb_.empty()) << "cpack built no package:\n" << cpack_output_;
  }

  // Runs `script` (sh, errexit) as root of this system with the package installed by
  // `dpkg -i`, in a private mount namespace over a tmpfs-backed overlay of /. What the
  // script changes is listed under "== changed" afterwards: the files (not directories)
  // the overlay's upper layer holds, relative to /, except dpkg's and man-db's own
  // bookkeeping, logs, /tmp and the package file itself.
  static command_result in_installed_root(const std::string& script, int timeout_s = 180) {
    std::string setup = "set -e\n"
                        "ov=$(mktemp -d " + quote(dir_->path() + "/overlay-XXXXXX") + ")\n";
    setup += "mount -t tmpfs -o size=512m d1drive-overlay \"$ov\"\n"
             "mkdir \"$ov/upper\" \"$ov/work\" \"$ov/root\"\n"
             "mount -t overlay d1drive-overlay "
             "-o lowerdir=/,upperdir=\"$ov/upper\",workdir=\"$ov/work\" \"$ov/root\"\n"
             "for d in proc sys dev; do mount --rbind /$d \"$ov/root/$d\"; done\n";
    setup += "cp " + quote(deb_) + " \"$ov/root/tmp/d1drive.deb\"\n";
    setup += "chroot \"$ov/root\" dpkg -i /tmp/d1drive.deb >/dev/null\n"
             "set +e\n";
    setup += "chroot \"$ov/root\" /bin/sh -ec " + quote(script) + "\n";
    setup += "status=$?\n"
             "chroot \"$ov/root\" sh -c 'grep \" fuse.d1drive \" /proc/self/mounts "
             "| cut -d\" \" -f2 | xargs -r -n1 umount -l'\n"
             "echo '== changed'\n"
             "cd \"$ov/upper\" && find . \\( -type f -o -type l \\) | sed 's|^\\.||' "
             "| grep -v -e '^/var/lib/dpkg/' -e '^/var/log/' -e '^/var/cache/man/' "
             "-e '^/var/cache/debconf/' -e '^/tmp/' | sort\n"
             "exit $status\n";
    return sh("unshare --mount --propagation private /bin/sh -c " + quote(setup), timeout_s);
  }

  // The lines of `out` between "== NAME" and the next "== " line.
  static std::vector<std::string> section(const std::string& out, const std::string& name) {
    std::vector<std::string> found;
    bool inside = false;
    for (auto& line : lines(out)) {
      if (line.rfind("== ", 0) == 0) {
        inside = line == "== " + name;
        continue;
      }
      if (inside)
        found.push_back(line);
    }
    return found;
  }

  static inline temp_dir* dir_ = nullptr;
  static inline std::string deb_;
  static inline std::string cpack_output_;
};

TEST_F(install_test, integration_package_depends_on_the_packages_of_every_linked_library) {
  auto fields = sh("dpkg-deb -f " + quote(deb_) + " Package Version Architecture Depends");
  ASSERT_EQ(fields.status, 0) << fields.err;
  EXPECT_NE(fields.out.find("Package: d1drive\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Version: 0.1.0-1\n"), std::string::npos) << fields.out;
  EXPECT_NE(fields.out.find("Architecture: amd64\n"), std::string::npos) << fields.out;
  auto depends = fields.out.substr(fields.out.find("Depends:"));
  EXPECT_NE(depends.find("fuse3"), std::string::npos) << depends;  // mount.fuse3, fusermount3
  // Every shared library the binary needs, found independently of CPack: its package must
  // be a dependency.
  auto needed = sh("readelf -d " + quote(binary_dir() + "/d1drive")
                   + " | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'");
  ASSERT_FALSE(lines(needed.out).empty()) << needed.err;
  for (auto& lib : lines(needed.out)) {
    // The 64-bit library the loader would use; dpkg may know it as /lib/… where usrmerge
    // resolves it to /usr/lib/….
    auto owner = sh("p=$(readlink -f \"$(ldconfig -p | grep -m1 -F " + quote(lib + " (libc6,x86-64")
                    + " | sed 's/.*=> //')\"); { dpkg -S \"$p\" || dpkg -S \"${p#/usr}\"; } "
                    "2>/dev/null | cut -d: -f1");
    auto package = lines(owner.out).empty() ? "" : lines(owner.out)[0];
    ASSERT_FALSE(package.empty()) << lib << ": " << owner.err;
    EXPECT_NE(depends.find(package), std::string::npos) << lib << " is in " << package
                                                          << ", not in " << depends;
  }
}

TEST_F(install_test, integration_cmake_install_into_destdir_keeps_an_edited_config) {
  auto root = dir_->path() + "/destdir";
  // What `make install PREFIX=/usr/local DESTDIR=…` runs (without --strip, to be quick).
  auto install = "DESTDIR=" + quote(root) + " cmake --install " + quote(binary_dir())
                 + " --prefix /usr/local";
  auto first = sh("rm -rf " + quote(root) + " && " + install, 120);
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  for (auto file : {"/usr/local/bin/d1drive", "/usr/local/bin/d1drive-hdf5-reader",
                    "/usr/local/share/man/man1/d1drive.1.gz",
                    "/usr/local/share/doc/d1drive/install.md", "/etc/d1drive/d1drive.toml",
                    "/etc/logrotate.d/d1drive"})
    EXPECT_EQ(::access((root + file).c_str(), F_OK), 0) << file;
  auto unit = read_file(root + "/usr/local/lib/systemd/system/d1drive.service");
  EXPECT_NE(unit.find("\nExecStart=/usr/local/bin/d1drive mount "), std::string::npos) << unit;
  // An operator's edit survives the next install; the new default goes beside it.
  auto config = root + "/etc/d1drive/d1drive.toml";
  ASSERT_EQ(sh("echo 'base_url = \"http://127.0.0.1:1/cn\"' > " + quote(config)).status, 0);
  auto second = sh(install, 120);
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("Kept the edited /etc/d1drive/d1drive.toml"), std::string::npos)
    << second.out;
  EXPECT_EQ(read_file(config), "base_url = \"http://127.0.0.1:1/cn\"\n");
  EXPECT_EQ(read_file(config + ".new"), read_file(source_dir() + "/config/d1drive.toml"));
  // An unedited one is simply replaced.
  EXPECT_EQ(::access((root + "/etc/logrotate.d/d1drive.new").c_str(), F_OK), -1);
}

TEST_F(install_test, integration_control_has_conffiles_and_executable_maintainer_scripts) {
  auto control = dir_->path() + "/control";
  ASSERT_EQ(sh("rm -rf " + quote(control) + " && dpkg-deb -e " + quote(deb_) + " "
               + quote(control))
              .status,
            0);
  EXPECT_EQ(read_file(control + "/conffiles"),
            "/etc/d1drive/d1drive.toml\n/etc/logrotate.d/d1drive\n");
  auto modes = sh("cd " + quote(control) + " && stat -c '%A %n' postinst prerm postrm");
  EXPECT_EQ(modes.out, "-rwxr-xr-x postinst\n-rwxr-xr-x prerm\n-rwxr-xr-x postrm\n")
    << modes.err;
}

TEST_F(install_test, integration_dpkg_x_puts_every_file_where_the_system_looks_for_it) {
  auto root = dir_->path() + "/scratch";
  ASSERT_EQ(sh("rm -rf " + quote(root) + " && dpkg -x " + quote(deb_) + " " + quote(root))
              .status,
            0);
  auto files = lines(sh("cd " + quote(root) + " && find . -type f -o -type l | sort").out);
  std::vector<std::string> expected{
    "./etc/d1drive/d1drive.toml",
    "./etc/logrotate.d/d1drive",
    "./usr/bin/d1drive",
    "./usr/bin/d1drive-hdf5-reader",
    "./usr/lib/systemd/system/d1drive-serve.service",
    "./usr/lib/systemd/system/d1drive.service",
    "./usr/share/doc/d1drive/README.md",
    "./usr/share/doc/d1drive/control-protocol.md",
    "./usr/share/doc/d1drive/install.md",
    "./usr/share/doc/d1drive/mobile-files.md",
    "./usr/share/doc/d1drive/searches.example.toml",
    "./usr/share/doc/d1drive/updatedb.conf.snippet",
    "./usr/share/man/man1/d1drive.1.gz",
  };
  EXPECT_EQ(files, expected);
  // Owned by root in the archive, with the modes a system tool has.
  auto listing = sh("dpkg-deb -c " + quote(deb_)).out;
  EXPECT_NE(listing.find("-rwxr-xr-x root/root"), std::string::npos) << listing;
  EXPECT_EQ(listing.find("-rw-rw"), std::string::npos) << listing;
  for (auto& line : lines(listing))
    EXPECT_NE(line.find(" root/root "), std::string::npos) << line;
  // The annotated default configuration, as in the source tree.
  EXPECT_EQ(read_file(root + "/etc/d1drive/d1drive.toml"),
            read_file(source_dir() + "/config/d1drive.toml"));
  // The units start the installed binary; the binary is this build's, stripped.
  for (auto unit : {"d1drive.service", "d1drive-serve.service"}) {
    auto text = read_file(root + "/usr/lib/systemd/system/" + unit);
    EXPECT_NE(text.find("\nExecStart=/usr/bin/d1drive "), std::string::npos) << text;
    EXPECT_NE(text.find("\nType=notify\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("@"), std::string::npos) << "unfilled placeholder in " << unit;
  }
  auto version = sh(root + "/usr/bin/d1drive --version");
  EXPECT_EQ(version.out, sh(binary_dir() + "/d1drive --version").out);
  EXPECT_EQ(version.out.rfind("d1drive 0.1.0", 0), 0u) << version.out;
  EXPECT_NE(sh("file " + quote(root + "/usr/bin/d1drive")).out.find(", stripped"),
            std::string::npos);
  // The man page is the command line's help: its version, subcommands and footer.
  auto man = sh("zcat " + quote(root + "/usr/share/man/man1/d1drive.1.gz")).out;
  EXPECT_NE(man.find(".TH D1DRIVE \"1\""), std::string::npos) << man.substr(0, 400);
  EXPECT_NE(man.find(version.out.substr(8, 5)), std::string::npos);
  for (auto text : {"unmount", "resource", "fuse.d1drive", "state_dir=DIR", "SIGHUP",
                    "mount.fuse3"})
    EXPECT_NE(man.find(text), std::string::npos) << text;
}

TEST_F(install_test, integration_installed_units_pass_systemd_analyze_verify) {
  auto r = in_installed_root(
    "echo '== verify'\n"
    "systemd-analyze verify /usr/lib/systemd/system/d1drive.service "
    "/usr/lib/systemd/system/d1drive-serve.service 2>&1 && echo '== verified'\n");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("== verified"), std::string::npos) << r.out << r.err;
  // Nothing said: a warning is a finding too.
  EXPECT_EQ(section(r.out, "verify"), std::vector<std::string>{}) << r.out;
}

TEST_F(install_test, integration_dpkg_i_then_version_man_and_the_fstab_line_mount_with_the_package) {
  test_node node{dir_->path(), {"--no-fixtures", "--synthetic", "20"}};
  ASSERT_TRUE(node.running());
  // The fstab line of the README with the stand-in node's URL; the state dir is the
  // default /var/lib/d1drive of the overlay, not the host's.
  auto r = in_installed_root(
    "echo '== version'; d1drive --version\n"
    "echo '== man'; man -w d1drive\n"
    "mkdir -p /mnt/dataone\n"
    "echo '" + node.cn_url() + " /mnt/dataone fuse.d1drive defaults,_netdev,allow_other 0 0'"
    " >> /etc/fstab\n"
    "mount /mnt/dataone\n"
    "echo '== mounts'; grep ' /mnt/dataone ' /proc/self/mounts\n"
    "echo '== ls'; ls /mnt/dataone\n"
    "pid=$(cat /run/d1drive/_mnt_dataone.pid)\n"
    "echo '== exe'; readlink /proc/$pid/exe\n"
    "umount /mnt/dataone\n"
    "for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done\n"
    "echo '== daemon'; kill -0 $pid 2>/dev/null && echo running || echo exited\n"
    "echo '== log'; cat /var/lib/d1drive/d1drive.log\n");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto version = section(r.out, "version");
  ASSERT_EQ(version.size(), 1u) << r.out;
  EXPECT_EQ(version[0] + "\n", sh(binary_dir() + "/d1drive --version").out);
  EXPECT_EQ(section(r.out, "man"), std::vector<std::string>{"/usr/share/man/man1/d1drive.1.gz"});
  auto mounts = section(r.out, "mounts");
  ASSERT_EQ(mounts.size(), 1u) << r.out;
  EXPECT_EQ(mounts[0].rfind(node.cn_url() + " /mnt/dataone fuse.d1drive ro,", 0), 0u)
    << mounts[0];
  EXPECT_NE(mounts[0].find("allow_other"), std::string::npos) << mounts[0];
  auto listing = section(r.out, "ls");
  EXPECT_NE(std::find(listing.begin(), listing.end(), "FlatSpace"), listing.end()) << r.out;
  EXPECT_EQ(section(r.out, "exe"), std::vector<std::string>{"/usr/bin/d1drive"});
  EXPECT_EQ(section(r.out, "daemon"), std::vector<std::string>{"exited"}) << r.out;
  std::string log_text;
  for (auto& line : section(r.out, "log"))
    log_text += line + "\n";
  EXPECT_NE(log_text.find("mounted at /mnt/dataone"), std::string::npos) << log_text;
  EXPECT_NE(log_text.find("d1drive stopped"), std::string::npos) << log_text;
}

TEST_F(install_test, integration_dpkg_r_leaves_conffiles_and_state_only_and_purge_leaves_nothing) {
  // Used like an operator would: the mount unit enabled (offline, no systemd runs here),
  // a `d1drive serve --daemon` run that leaves state and a log, then removed and purged.
  auto r = in_installed_root(
    "systemctl enable d1drive.service 2>/dev/null\n"
    "echo '== enabled'; ls /etc/systemd/system/multi-user.target.wants/ | grep d1drive\n"
    "d1drive serve --daemon >/dev/null\n"
    "pid=$(cat /var/lib/d1drive/d1drive.pid)\n"
    "kill $pid; for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done\n"
    "dpkg -r d1drive >/dev/null\n"
    "echo '== after remove'\n"
    "find /etc/d1drive /etc/logrotate.d/d1drive /var/lib/d1drive /usr/bin/d1drive "
    "/usr/bin/d1drive-hdf5-reader "
    "/usr/lib/systemd/system/d1drive.service /usr/share/doc/d1drive "
    "/usr/share/man/man1/d1drive.1.gz /etc/systemd/system/multi-user.target.wants/d1drive.service "
    "-maxdepth 0 2>/dev/null || true\n"
    "dpkg --purge d1drive >/dev/null\n");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(section(r.out, "enabled"), std::vector<std::string>{"d1drive.service"}) << r.out;
  // Removed: only the configuration and the state are kept (Debian's remove).
  EXPECT_EQ(section(r.out, "after remove"),
            (std::vector<std::string>{"/etc/d1drive", "/etc/logrotate.d/d1drive",
                                      "/var/lib/d1drive"}))
    << r.out;
  // Purged: no file of the package's, of its units' enablement or of the daemon's is left.
  EXPECT_EQ(section(r.out, "changed"), std::vector<std::string>{}) << r.out;
}

}  // namespace
}  // namespace d1::integration
