// Integration harness: processes, temp dirs and shell commands for the mount tests.
#include "tests/integration/harness.hpp"
#include "tests/support/test_paths.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace d1::integration {

std::string source_dir() {
  return d1::test::source_dir();
}

std::string binary_dir() {
  return d1::test::binary_dir();
}

std::string fixtures_dir() {
  std::string dir;
  if (auto env = std::getenv("D1_FIXTURES"); env && *env)
    dir = env;
  else
    dir = source_dir() + "/../shared/fixtures/dataone";
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return dir;
  return {};
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

std::vector<std::string> ls(const std::string& path, int timeout_seconds) {
  return lines(sh("ls -A1 " + quote(path), timeout_seconds).out);
}

std::string first_word(const std::string& text) {
  return text.substr(0, text.find_first_of(" \n"));
}

std::string quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

command_result sh(const std::string& command, int timeout_seconds) {
  command_result result;
  char out_tmpl[] = "/tmp/d1it-out-XXXXXX";
  char err_tmpl[] = "/tmp/d1it-err-XXXXXX";
  int out_fd = mkstemp(out_tmpl);
  int err_fd = mkstemp(err_tmpl);
  close(out_fd);
  close(err_fd);
  auto full = "timeout -k 5 " + std::to_string(timeout_seconds) + " /bin/sh -c "
              + quote(command) + " >" + out_tmpl + " 2>" + err_tmpl + " </dev/null";
  int rc = std::system(full.c_str());
  result.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
  result.out = read_file(out_tmpl);
  result.err = read_file(err_tmpl);
  unlink(out_tmpl);
  unlink(err_tmpl);
  return result;
}

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/d1drive-it-XXXXXX";
  path_ = mkdtemp(tmpl);
}

temp_dir::~temp_dir() {
  // Unmount anything a failed test left below, then remove the tree.
  sh("grep -o ' " + path_ + "[^ ]*' /proc/self/mounts | xargs -r -n1 umount -l", 20);
  sh("rm -rf " + quote(path_), 60);
}

test_node::test_node(const std::string& work_dir, const std::vector<std::string>& args)
  : dir_(work_dir), log_(work_dir + "/node.log") {
  auto port_file = work_dir + "/node.port";
  auto script = source_dir() + "/tools/d1-test-node/d1-test-node";
  std::vector<std::string> argv{"python3", script, "--port", "0", "--port-file", port_file,
                                "--log", log_};
  argv.insert(argv.end(), args.begin(), args.end());
  auto out_path = work_dir + "/node.out";
  pid_ = fork();
  if (pid_ == 0) {
    FILE* out = std::fopen(out_path.c_str(), "w");
    if (out) {
      dup2(fileno(out), 1);
      dup2(fileno(out), 2);
    }
    std::vector<char*> cargs;
    for (auto& a : argv)
      cargs.push_back(const_cast<char*>(a.c_str()));
    cargs.push_back(nullptr);
    execvp("python3", cargs.data());
    _exit(127);
  }
  // Bounded wait for the port file (a 100k synthetic corpus takes a few seconds).
  for (int i = 0; i < 600; ++i) {
    auto text = read_file(port_file);
    if (!text.empty() && text.back() == '\n')
      text.pop_back();
    if (!text.empty()) {
      port_ = std::atoi(text.c_str());
      if (port_ > 0)
        return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop();
}

test_node::~test_node() {
  stop();
}

void test_node::stop() {
  if (pid_ <= 0)
    return;
  kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string test_node::cn_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/cn";
}

std::string test_node::mn_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/mn";
}

size_t test_node::request_count() const {
  std::ifstream in{log_};
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded())
      continue;
    if (doc.value("side", "") != "control")
      ++n;
  }
  return n;
}

size_t test_node::select_count() const {
  size_t n = 0;
  for (auto& line : lines(read_file(log_)))
    n += line.find("\"endpoint\": \"query/solr/\"") != std::string::npos
         || line.find("\"endpoint\":\"query/solr/\"") != std::string::npos;
  return n;
}

void test_node::add_fault(const std::string& json) {
  sh("curl -sf -X POST -H 'Content-Type: application/json' --data " + quote(json) + " "
       + quote("http://127.0.0.1:" + std::to_string(port_) + "/_faults"),
     10);
}

void test_node::clear_faults() {
  sh("curl -sf -X DELETE " + quote("http://127.0.0.1:" + std::to_string(port_) + "/_faults"),
     10);
}

mounted_drive::mounted_drive(const std::string& work_dir, const std::string& base_url,
                             const std::string& state_dir, const std::string& extra_config,
                             const std::string& fuse_options)
  : mountpoint_(work_dir + "/mnt"), state_dir_(state_dir) {
  ::mkdir(mountpoint_.c_str(), 0755);
  auto config = work_dir + "/d1drive.toml";
  std::ofstream{config} << extra_config;
  auto r = sh(binary_dir() + "/d1drive mount " + quote(mountpoint_) + " --base-url "
                + quote(base_url) + " --state-dir " + quote(state_dir) + " --config "
                + quote(config) + " --daemon"
                + (fuse_options.empty() ? "" : " -o " + quote(fuse_options)),
              60);
  mount_output_ = r.out + r.err;
  live_ = r.status == 0;
}

mounted_drive::~mounted_drive() {
  if (live_)
    unmount();
}

int mounted_drive::unmount() {
  auto r = sh(binary_dir() + "/d1drive unmount " + quote(mountpoint_), 60);
  if (r.status != 0)
    sh("fusermount3 -u " + quote(mountpoint_) + " || umount -l " + quote(mountpoint_), 20);
  live_ = false;
  return r.status;
}

std::string mounted_drive::log() const {
  return read_file(state_dir_ + "/d1drive.log");
}

nlohmann::json node_select(const test_node& node, const std::string& params) {
  auto r = sh("curl -sf " + quote(node.cn_url() + "/v2/query/solr/?" + params + "&wt=json"), 60);
  if (r.status != 0)
    return {};
  return nlohmann::json::parse(r.out, nullptr, false);
}

namespace {

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string fq_params(const std::vector<std::string>& fq) {
  std::string out = "q=*:*";
  for (auto& q : fq)
    out += "&fq=" + url_encode(q);
  return out;
}

std::vector<std::pair<std::string, uint64_t>> node_facet(const test_node& node,
                                                         const std::string& field,
                                                         const std::vector<std::string>& fq) {
  auto j = node_select(node, fq_params(fq) + "&rows=0&facet=true&facet.field=" + field
                               + "&facet.mincount=1&facet.limit=-1");
  std::vector<std::pair<std::string, uint64_t>> out;
  if (!j.is_object())
    return out;
  auto& flat = j["facet_counts"]["facet_fields"][field];
  for (size_t i = 0; i + 1 < flat.size(); i += 2)
    out.emplace_back(flat[i].get<std::string>(), flat[i + 1].get<uint64_t>());
  return out;
}

std::string shared_mount::start(const mount_options& options) {
  if (options.needs_fixtures && fixtures_dir().empty())
    return {};
  dir = std::make_unique<temp_dir>();
  auto args = options.node_args;
  if (options.prepare) {
    auto more = options.prepare(dir->path());
    args.insert(args.end(), more.begin(), more.end());
  }
  node = std::make_unique<test_node>(dir->path(), args);
  if (!node->running())
    return "the node did not start: " + read_file(dir->path() + "/node.out");
  drive = std::make_unique<mounted_drive>(dir->path(), node->cn_url(), dir->path() + "/state",
                                          options.config);
  if (!drive->live())
    return "the mount failed: " + drive->mount_output();
  return {};
}

void shared_mount::stop() {
  drive.reset();
  node.reset();
  dir.reset();
}

std::string segment_for(const std::string& pid) {
  // DESIGN.md: % → %25, / → %2F, a leading @ or # escaped, "." and ".." escaped.
  std::string out;
  for (size_t i = 0; i < pid.size(); ++i) {
    char c = pid[i];
    if (c == '%')
      out += "%25";
    else if (c == '/')
      out += "%2F";
    else if (i == 0 && c == '@')
      out += "%40";
    else if (i == 0 && c == '#')
      out += "%23";
    else if (c == '\0')
      out += "%00";
    else
      out += c;
  }
  // A PID that looks like a name the OS probes for (AppleDouble "._x") would be answered
  // ENOENT: its first byte is escaped.
  if (out.rfind("._", 0) == 0)
    out = "%2E" + out.substr(1);
  if (pid == ".")
    return "%2E";
  if (pid == "..")
    return "%2E%2E";
  return out;
}

}  // namespace d1::integration
