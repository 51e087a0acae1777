// d1drive as a service: sd_notify readiness (a datagram socket of the test's standing in
// for systemd's), SIGHUP reopening the log (by hand and through the shipped logrotate
// file), journald output (in a private mount namespace whose journal socket is the
// test's), and a restart over the stale mount a killed daemon leaves behind.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace d1::integration {
namespace {

// A datagram socket where the daemon's sd_notify messages arrive ($NOTIFY_SOCKET).
class notify_socket {
public:
  explicit notify_socket(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~notify_socket() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  bool bound() const {
    return bound_;
  }
  const std::string& path() const {
    return path_;
  }

  // The next message, or "" after `timeout_ms`.
  std::string next(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1)
      return {};
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
  }

private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

class service_test : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    node_dir_ = new temp_dir;
    node_ = new test_node(node_dir_->path(), {"--no-fixtures", "--synthetic", "20"});
  }

  static void TearDownTestSuite() {
    delete node_;
    delete node_dir_;
    node_ = nullptr;
    node_dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(node_->running());
    state_ = dir_.path() + "/state";
    mnt_ = dir_.path() + "/mnt";
    config_ = dir_.path() + "/d1drive.toml";
    ASSERT_EQ(sh("mkdir -p " + quote(mnt_) + " && : > " + quote(config_)).status, 0);
  }

  void TearDown() override {
    // Whatever a failed test left running: stop it (bounded), then detach its mount.
    for (auto& pid_file : {state_ + "/d1drive.pid", mount_pid_file()})
      sh("p=$(cat " + quote(pid_file) + " 2>/dev/null) || exit 0; kill $p 2>/dev/null; "
         "for i in $(seq 50); do kill -0 $p 2>/dev/null || exit 0; sleep 0.1; done; "
         "kill -9 $p",
         20);
    sh("grep -q ' " + mnt_ + " ' /proc/self/mounts && umount -l " + quote(mnt_), 10);
  }

  std::string d1drive() const {
    return binary_dir() + "/d1drive";
  }

  std::string mount_pid_file() const {
    auto name = mnt_;
    for (auto& c : name)
      if (c == '/')
        c = '_';
    return "/run/d1drive/" + name + ".pid";
  }

  // Starts `args` in the background with `env`, output to dir/out; returns its pid.
  int start_background(const std::string& env, const std::string& args) {
    auto r = sh(env + " " + d1drive() + " " + args + " >" + quote(dir_.path() + "/out")
                + " 2>&1 </dev/null & echo $!");
    return std::atoi(r.out.c_str());
  }

  // Waits (bounded) until `pid` has exited; true if it did.
  static bool exited(int pid, int timeout_s = 20) {
    return sh("for i in $(seq " + std::to_string(timeout_s * 10)
                + "); do kill -0 " + std::to_string(pid)
                + " 2>/dev/null || exit 0; sleep 0.1; done; exit 1",
              timeout_s + 5)
             .status
           == 0;
  }

  // Waits (bounded) until `path` exists and holds `text`.
  static bool file_holds(const std::string& path, const std::string& text, int timeout_s = 20) {
    for (int i = 0; i < timeout_s * 10; ++i) {
      if (read_file(path).find(text) != std::string::npos)
        return true;
      usleep(100000);
    }
    return false;
  }

  static bool is_mounted(const std::string& dir) {
    return read_file("/proc/self/mounts").find(" " + dir + " ") != std::string::npos;
  }

  static inline temp_dir* node_dir_ = nullptr;
  static inline test_node* node_ = nullptr;
  temp_dir dir_;
  std::string state_, mnt_, config_;
};

TEST_F(service_test, integration_serve_notifies_ready_once_its_socket_is_live_and_stopping_on_sigterm) {
  notify_socket notify{dir_.path() + "/notify"};
  ASSERT_TRUE(notify.bound());
  auto pid = start_background("NOTIFY_SOCKET=" + quote(notify.path()),
                              "serve --state-dir " + quote(state_) + " --config "
                                + quote(config_));
  ASSERT_GT(pid, 0);
  auto ready = notify.next(30000);
  // The control socket answers by the time READY=1 arrives.
  auto status = sh(d1drive() + " status --state-dir " + quote(state_), 20);
  EXPECT_EQ(ready.substr(0, 8), "READY=1\n") << ready << read_file(dir_.path() + "/out");
  EXPECT_NE(ready.find("STATUS=serving state dir " + state_), std::string::npos) << ready;
  EXPECT_EQ(status.status, 0) << status.out << status.err;
  ::kill(pid, SIGTERM);
  EXPECT_EQ(notify.next(20000), "STOPPING=1");
  EXPECT_TRUE(exited(pid));
  EXPECT_NE(read_file(dir_.path() + "/out").find("d1drive stopped"), std::string::npos);
}

TEST_F(service_test, integration_mount_notifies_ready_once_the_mount_is_live) {
  notify_socket notify{dir_.path() + "/notify"};
  ASSERT_TRUE(notify.bound());
  auto pid = start_background("NOTIFY_SOCKET=" + quote(notify.path()),
                              "mount " + quote(mnt_) + " --base-url " + quote(node_->cn_url())
                                + " --state-dir " + quote(state_) + " --config "
                                + quote(config_));
  ASSERT_GT(pid, 0);
  auto ready = notify.next(30000);
  bool mounted_when_ready = is_mounted(mnt_);
  EXPECT_EQ(ready.substr(0, 8), "READY=1\n") << ready << read_file(dir_.path() + "/out");
  EXPECT_NE(ready.find("mounted at " + mnt_), std::string::npos) << ready;
  EXPECT_TRUE(mounted_when_ready);
  EXPECT_FALSE(ls(mnt_).empty());
  ::kill(pid, SIGTERM);
  EXPECT_EQ(notify.next(20000), "STOPPING=1");
  EXPECT_TRUE(exited(pid));
  EXPECT_FALSE(is_mounted(mnt_));
}

TEST_F(service_test, integration_sighup_reopens_the_log_of_a_detached_serve_and_loses_no_line) {
  auto r = sh(d1drive() + " serve --daemon --state-dir " + quote(state_) + " --config "
                + quote(config_),
              30);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto pid = std::atoi(read_file(state_ + "/d1drive.pid").c_str());
  ASSERT_GT(pid, 0);
  auto log = state_ + "/d1drive.log";
  ASSERT_TRUE(file_holds(log, "serving; control socket"));
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  ::kill(pid, SIGHUP);
  ASSERT_TRUE(file_holds(log, "log file reopened")) << read_file(log + ".1");
  EXPECT_EQ(::kill(pid, 0), 0) << "SIGHUP stopped the daemon";
  EXPECT_EQ(sh(d1drive() + " status --state-dir " + quote(state_), 20).status, 0);
  ::kill(pid, SIGTERM);
  ASSERT_TRUE(exited(pid));
  auto old_log = read_file(log + ".1");
  auto new_log = read_file(log);
  EXPECT_NE(old_log.find("serving; control socket"), std::string::npos) << old_log;
  EXPECT_NE(old_log.find("reopening the log file"), std::string::npos) << old_log;
  EXPECT_EQ(old_log.find("stopped"), std::string::npos) << old_log;
  EXPECT_NE(new_log.find("d1drive stopped"), std::string::npos) << new_log;
}

TEST_F(service_test, integration_shipped_logrotate_file_rotates_a_detached_mount_log_and_the_mount_stays) {
  auto r = sh(d1drive() + " mount --daemon " + quote(mnt_) + " --base-url "
                + quote(node_->cn_url()) + " --state-dir " + quote(state_) + " --config "
                + quote(config_),
              30);
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  auto log = state_ + "/d1drive.log";
  ASSERT_TRUE(file_holds(log, "mounted at"));
  // The shipped file, pointed at this test's state dir and at a pid dir holding only this
  // mount's pid (the host's /run/d1drive may hold other daemons' pid files).
  auto pids = dir_.path() + "/run";
  auto conf = dir_.path() + "/logrotate.conf";
  ASSERT_EQ(sh("mkdir -p " + quote(pids) + " && cp " + quote(mount_pid_file()) + " "
               + quote(pids) + "/ && sed -e 's|/var/lib/d1drive|" + state_ + "|g' -e 's|/run/d1drive|"
               + pids + "|g' " + quote(source_dir() + "/config/d1drive.logrotate") + " > "
               + quote(conf))
              .status,
            0);
  auto rotated = sh("logrotate -f -s " + quote(dir_.path() + "/logrotate.status") + " "
                      + quote(conf),
                    30);
  ASSERT_EQ(rotated.status, 0) << rotated.out << rotated.err;
  ASSERT_TRUE(file_holds(log, "log file reopened")) << read_file(log + ".1");
  EXPECT_NE(read_file(log + ".1").find("mounted at"), std::string::npos);
  EXPECT_TRUE(is_mounted(mnt_));
  EXPECT_FALSE(ls(mnt_).empty());
  EXPECT_EQ(sh(d1drive() + " unmount " + quote(mnt_), 60).status, 0);
  EXPECT_TRUE(file_holds(log, "d1drive stopped"));
}

TEST_F(service_test, integration_under_systemd_the_log_goes_to_the_journal) {
  // In a private mount namespace, /run/systemd/journal/socket is this test's receiver;
  // the daemon's stderr is a file whose device and inode are in $JOURNAL_STREAM, as
  // systemd sets them for a unit whose output goes to the journal.
  auto received = dir_.path() + "/journal";
  auto err = dir_.path() + "/stderr";
  auto receiver = "import socket, sys\n"
                  "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                  "s.bind('/run/systemd/journal/socket')\n"
                  "s.settimeout(30)\n"
                  "out = open(sys.argv[1], 'wb', buffering=0)\n"
                  "while True:\n"
                  "    out.write(s.recv(65536) + b'\\n--\\n')\n";
  auto script =
    "set -e\n"
    "mount -t tmpfs -o size=1m d1drive-test /run/systemd\n"
    "mkdir -p /run/systemd/journal\n"
    "/usr/bin/python3 -c " + quote(receiver) + " " + quote(received) + " &\n"
    "receiver=$!\n"
    "for i in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done\n"
    ": > " + quote(err) + "\n"
    "JOURNAL_STREAM=$(stat -c %d:%i " + quote(err) + ") " + d1drive() + " serve --state-dir "
    + quote(state_) + " --config " + quote(config_) + " 2>>" + quote(err) + " &\n"
    "daemon=$!\n"
    "for i in $(seq 200); do [ -S " + quote(state_ + "/control.sock") + " ] && break; "
    "sleep 0.1; done\n"
    "kill -TERM $daemon; wait $daemon; echo \"daemon exit $?\"\n"
    "sleep 0.5; kill $receiver\n";
  auto r = sh("unshare --mount --propagation private /bin/sh -c " + quote(script), 60);
  EXPECT_NE(r.out.find("daemon exit 0"), std::string::npos) << r.out << r.err;
  auto journal = read_file(received);
  EXPECT_NE(journal.find("MESSAGE=" ), std::string::npos) << journal;
  EXPECT_NE(journal.find("serving; control socket"), std::string::npos) << journal;
  EXPECT_NE(journal.find("SYSLOG_IDENTIFIER=d1drive"), std::string::npos) << journal;
  EXPECT_NE(journal.find("PRIORITY=6"), std::string::npos) << journal;
  EXPECT_NE(journal.find("d1drive stopped"), std::string::npos) << journal;
  EXPECT_EQ(read_file(err), "") << "logged to stderr instead of the journal";
}

TEST_F(service_test, integration_mount_over_the_stale_mount_of_a_killed_daemon) {
  auto mount = d1drive() + " mount --daemon " + quote(mnt_) + " --base-url "
               + quote(node_->cn_url()) + " --state-dir " + quote(state_) + " --config "
               + quote(config_);
  auto first = sh(mount, 30);
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  auto pid = std::atoi(read_file(mount_pid_file()).c_str());
  ASSERT_GT(pid, 0);
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(exited(pid));
  auto stale = sh("stat " + quote(mnt_));
  ASSERT_NE(stale.err.find("not connected"), std::string::npos) << stale.err;
  auto second = sh(mount, 30);
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  EXPECT_NE(second.err.find("unmounted the stale d1drive mount"), std::string::npos)
    << second.err;
  EXPECT_FALSE(ls(mnt_).empty());
  EXPECT_EQ(sh(d1drive() + " unmount " + quote(mnt_), 60).status, 0);
  EXPECT_FALSE(is_mounted(mnt_));
}

TEST_F(service_test, integration_mount_refuses_a_mount_point_that_holds_another_filesystem) {
  ASSERT_EQ(sh("mount -t tmpfs -o size=1m d1drive-test " + quote(mnt_)).status, 0);
  auto r = sh(d1drive() + " mount --daemon " + quote(mnt_) + " --base-url "
                + quote(node_->cn_url()) + " --state-dir " + quote(state_) + " --config "
                + quote(config_),
              30);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("already a mount point"), std::string::npos) << r.err;
  EXPECT_NE(sh("grep ' " + mnt_ + " ' /proc/self/mounts").out.find("tmpfs"), std::string::npos);
  sh("umount " + quote(mnt_));
}

}  // namespace
}  // namespace d1::integration
