// The daemon's side of the HDF5 reader process (docs/hardening.md). libhdf5 is not hardened
// against malformed files, and d1drive runs as root: a crash inside libhdf5 must cost one
// datum, not the mount and every job. So each worker thread that reads AD_HDF5 keeps one
// reader process (d1drive-hdf5-reader), started with posix_spawn (no fork of this
// multithreaded process), every other descriptor closed. Each read sends it the already
// opened and checked file's descriptor (SCM_RIGHTS) and takes back framed values, checking
// every frame. A reader that crashes, exits, sends a malformed frame or falls silent is
// killed and reaped, the read fails naming the file, and the next read starts a new one.
// One process per thread rather than per read: starting one (exec, libhdf5 and its ~40
// shared libraries) took 37 ms of CPU on the 2-core VM, more than hashing a 16 MiB datum
// (about 13 ms at 1.2 GB/s) (docs/benchmarks.md).
#include "actors/mobile/datum_hdf5.hpp"
#include "actors/mobile/hdf5_frames.hpp"

#include "messages/error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

extern char** environ;

namespace d1 {

namespace {

using clock = std::chrono::steady_clock;

// How often a waiting read looks at the job's cancellation.
constexpr auto poll_slice = std::chrono::milliseconds{200};

std::string default_program() {
  if (const char* env = std::getenv("D1DRIVE_HDF5_READER"); env && *env)
    return env;
  char self[4096];
  auto n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return "d1drive-hdf5-reader";  // no /proc: from PATH
  std::string path(self, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + "d1drive-hdf5-reader";
}

std::string exit_text(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = ::sigabbrev_np(sig);
    return "signal " + std::to_string(sig) + (name ? std::string{", SIG"} + name : "");
  }
  if (WIFEXITED(status))
    return "exit status " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

// One reader process and the socket to it.
class reader_process {
public:
  reader_process() = default;
  reader_process(const reader_process&) = delete;
  reader_process& operator=(const reader_process&) = delete;
  ~reader_process() {
    stop();
  }

  bool running() const {
    return pid_ > 0;
  }
  const std::string& program() const {
    return program_;
  }
  int socket() const {
    return sock_;
  }

  caf::error start(const std::string& program) {
    stop();
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return make_error(ec::io_error, std::string{"socketpair: "} + std::strerror(errno));
    // Room for two frames in the socket: the reader reads the next block while this thread
    // takes the last one, instead of waiting for every 200 KiB (the default) to be taken.
    // Root may exceed net.core.wmem_max (FORCE); otherwise the default stays.
    int room = static_cast<int>(2 * hdf5_frames::max_values);
    if (::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof room) != 0)
      ::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &room, sizeof room);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // The socket is the reader's stdin; stdout goes nowhere, stderr to the daemon's log.
    posix_spawn_file_actions_adddup2(&actions, sv[1], 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char* argv[] = {const_cast<char*>(program.c_str()), nullptr};
    pid_t pid = -1;
    int rc = program.find('/') == std::string::npos
               ? ::posix_spawnp(&pid, program.c_str(), &actions, &attr, argv, environ)
               : ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (rc != 0) {
      ::close(sv[0]);
      return make_error(ec::io_error, "cannot start the HDF5 reader " + program + ": "
                                        + std::strerror(rc));
    }
    pid_ = pid;
    sock_ = sv[0];
    program_ = program;
    return caf::none;
  }

  // Closes the socket and reaps the process: waits up to `grace` for it to end by itself
  // (a crash in progress), then kills it. Returns its wait status, or -1 if none ran.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds{0}) {
    if (sock_ >= 0)
      ::close(std::exchange(sock_, -1));
    if (pid_ <= 0)
      return -1;
    int status = 0;
    auto pid = std::exchange(pid_, -1);
    for (auto waited = std::chrono::milliseconds{0}; waited < grace; waited += poll_slice / 20) {
      if (::waitpid(pid, &status, WNOHANG) == pid)
        return status;
      ::usleep(static_cast<useconds_t>(poll_slice.count() * 1000 / 20));
    }
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

private:
  pid_t pid_ = -1;
  int sock_ = -1;
  std::string program_;
};

thread_local reader_process this_thread_reader;

// Sends the request with the file's descriptor beside it. False if the reader is gone.
bool send_request(int sock, int fd, const hdf5_frames::request& req) {
  auto body = hdf5_frames::encode(req);
  uint64_t length = body.size();
  iovec iov[2] = {{&length, sizeof length}, {body.data(), body.size()}};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  auto* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
  ssize_t sent;
  do
    sent = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  return sent == static_cast<ssize_t>(sizeof length + body.size());
}

// Reads the reader's frames for one request, checking each, into a sink.
class frame_reader {
public:
  frame_reader(reader_process& proc, datum_root& src, const std::string& path,
               const hdf5_reader_options& options)
    : proc_(proc), src_(src), path_(path), options_(options) {
  }

  // The values of `rows` rows delivered to `sink`, or the error (the reader's own, or one
  // about the reader, which is then stopped).
  caf::error run(uint64_t rows, value_sink& sink) {
    hdf5_frames::header h;
    if (auto err = read_exact(&h, sizeof h))
      return err;
    if (h.kind == hdf5_frames::error)
      return reader_error(h);
    if (h.kind != hdf5_frames::begin)
      return malformed("the first frame is not the values' type and shape");
    if (auto err = begin(h, rows, sink))
      return err;
    for (;;) {
      if (auto err = read_exact(&h, sizeof h))
        return err;
      if (h.kind == hdf5_frames::error)
        return reader_error(h);
      if (h.kind == hdf5_frames::done) {
        if (h.length != 0 || received_ != total_)
          return malformed("done after " + std::to_string(received_) + " of "
                           + std::to_string(total_) + " bytes");
        return caf::none;
      }
      if (h.kind != hdf5_frames::values || h.length == 0 || h.length > hdf5_frames::max_values
          || h.length % dtype_.size != 0 || h.length > total_ - received_)
        return malformed("a frame of kind " + std::to_string(h.kind) + " and "
                         + std::to_string(h.length) + " bytes after "
                         + std::to_string(received_) + " of " + std::to_string(total_));
      auto buf = sink.buffer(static_cast<size_t>(h.length));
      if (auto err = read_exact(buf, static_cast<size_t>(h.length)))
        return err;
      sink.values(buf, static_cast<size_t>(h.length));
      received_ += h.length;
    }
  }

private:
  caf::error begin(const hdf5_frames::header& h, uint64_t rows, value_sink& sink) {
    uint32_t rank = static_cast<uint32_t>((h.length - 8) / 8);
    if (h.length < 16 || h.length > 8 + 8 * hdf5_frames::max_rank || h.length % 8 != 0)
      return malformed("a type and shape of " + std::to_string(h.length) + " bytes");
    std::vector<unsigned char> payload(static_cast<size_t>(h.length));
    if (auto err = read_exact(payload.data(), payload.size()))
      return err;
    uint32_t said_rank = 0;
    std::memcpy(&said_rank, payload.data() + 4, 4);
    std::vector<uint64_t> shape(rank);
    std::memcpy(shape.data(), payload.data() + 8, 8 * rank);
    auto dtype = make_dtype(static_cast<char>(payload[0]), payload[1]);
    uint64_t count = 0;
    if (!dtype || said_rank != rank || shape[0] != rows || !element_count(shape, count)
        || __builtin_mul_overflow(count, dtype->size, &total_))
      return malformed("a type or shape that is not the one asked for (" + shape_text(shape)
                       + ", " + std::to_string(rows) + " rows asked)");
    dtype_ = *dtype;
    if (auto err = sink.begin(dtype_, shape)) {
      proc_.stop();
      return make_error(code_of(err), path_ + ": " + context_of(err));
    }
    return caf::none;
  }

  // The reader's own error (it stays ready for the next request).
  caf::error reader_error(const hdf5_frames::header& h) {
    if (h.length > hdf5_frames::max_error)
      return malformed("an error of " + std::to_string(h.length) + " bytes");
    std::string text(static_cast<size_t>(h.length), '\0');
    if (auto err = read_exact(text.data(), text.size()))
      return err;
    auto code = h.code >= static_cast<uint32_t>(ec::unspecified)
                    && h.code <= static_cast<uint32_t>(ec::actor_failed)
                  ? static_cast<ec>(h.code)
                  : ec::parse_error;
    if (text.find(path_) == std::string::npos)
      text = path_ + ": " + text;
    return make_error(code, std::move(text));
  }

  caf::error malformed(const std::string& what) {
    proc_.stop();
    return make_error(ec::io_error, "the HDF5 reader sent a malformed frame reading " + path_
                                      + " (" + what + "); stopped");
  }

  // Exactly `n` bytes from the reader; the reader is stopped on every error.
  caf::error read_exact(void* buf, size_t n) {
    auto out = static_cast<char*>(buf);
    auto last_progress = clock::now();
    for (size_t done = 0; done < n;) {
      if (src_.interrupted()) {
        proc_.stop();
        return make_error(ec::cancelled, path_ + ": reading stopped (job cancelled)");
      }
      auto silent = clock::now() - last_progress;
      if (silent >= options_.no_progress) {
        proc_.stop();
        return make_error(ec::io_error,
                          "the HDF5 reader sent nothing for "
                            + std::to_string(options_.no_progress.count()) + " ms reading "
                            + path_ + "; killed");
      }
      pollfd p{proc_.socket(), POLLIN, 0};
      auto wait = std::min(poll_slice, std::chrono::duration_cast<std::chrono::milliseconds>(
                                         options_.no_progress - silent));
      int ready = ::poll(&p, 1, static_cast<int>(wait.count()) + 1);
      if (ready < 0 && errno != EINTR)
        return gone("poll: " + std::string{std::strerror(errno)});
      if (ready <= 0)
        continue;
      auto got = ::read(proc_.socket(), out + done, n - done);
      if (got < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (got <= 0)
        return gone(got < 0 ? std::strerror(errno) : "");
      done += static_cast<size_t>(got);
      last_progress = clock::now();
    }
    return caf::none;
  }

  // The reader closed its end or failed: how it ended.
  caf::error gone(const std::string& why) {
    int status = proc_.stop(std::chrono::seconds{1});
    if (status != -1 && WIFSIGNALED(status) && WTERMSIG(status) != SIGKILL)
      return make_error(ec::io_error, "libhdf5 crashed reading " + path_ + " ("
                                        + exit_text(status) + ")");
    return make_error(ec::io_error, "the HDF5 reader ended while reading " + path_ + " ("
                                      + (why.empty() ? exit_text(status) : why) + ")");
  }

  reader_process& proc_;
  datum_root& src_;
  const std::string& path_;
  const hdf5_reader_options& options_;
  datum_dtype dtype_;
  uint64_t total_ = 0;
  uint64_t received_ = 0;
};

}  // namespace

caf::error read_hdf5_rows(datum_root& src, const std::string& rel,
                          const std::string& dataset, uint64_t first_row, uint64_t rows,
                          value_sink& sink, const hdf5_reader_options& options) {
  auto file = src.open(rel);
  if (!file)
    return std::move(file.error());
  hdf5_frames::request req{first_row, rows, dataset, file->path(),
                           src.fs().local_path(file->path())};
  auto program = options.program.empty() ? default_program() : options.program;
  auto& proc = this_thread_reader;
  // A reader found gone when asked (ended while idle) is started again, once.
  bool sent = false;
  for (int attempt = 0; attempt < 2 && !sent; ++attempt) {
    if (!proc.running() || proc.program() != program || attempt > 0)
      if (auto err = proc.start(program))
        return make_error(code_of(err), file->path() + ": " + context_of(err));
    sent = send_request(proc.socket(), file->fd(), req);
  }
  if (!sent) {
    auto status = proc.stop(std::chrono::seconds{1});
    return make_error(ec::io_error, "the HDF5 reader " + program + " did not take a request for "
                                      + file->path() + " (" + exit_text(status) + ")");
  }
  return frame_reader{proc, src, file->path(), options}.run(rows, sink);
}

}  // namespace d1
