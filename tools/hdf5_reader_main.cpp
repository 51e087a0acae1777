// d1drive-hdf5-reader: the process in which the daemon runs libhdf5 (docs/hardening.md).
// Started by the daemon with its socket as stdin; serves requests until the socket closes:
// each request comes with an open file's descriptor, and is answered with frames
// (actors/mobile/hdf5_frames.hpp): begin, values…, done, or an error. A crash here costs one
// datum; the daemon sees the signal and goes on. Not meant to be run by hand.
#include "actors/mobile/datum_hdf5.hpp"
#include "actors/mobile/hdf5_frames.hpp"
#include "messages/error.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace {

namespace frames = d1::hdf5_frames;

constexpr int sock = 0;

// Address space for libhdf5: its chunk cache (at most 512 MiB), two read blocks, metadata.
// A corrupt file asking for more gets a failed allocation (an error), not the host's memory.
// Sanitizer builds reserve terabytes of shadow memory, so they run without this limit.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr rlim_t address_space = RLIM_INFINITY;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr rlim_t address_space = RLIM_INFINITY;
#else
constexpr rlim_t address_space = rlim_t{4} << 30;
#endif
#else
constexpr rlim_t address_space = rlim_t{4} << 30;
#endif

bool write_all(const void* data, size_t n) {
  auto p = static_cast<const char*>(data);
  while (n > 0) {
    auto sent = ::send(sock, p, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR)
      continue;
    if (sent <= 0)
      return false;
    p += sent;
    n -= static_cast<size_t>(sent);
  }
  return true;
}

bool read_all(void* data, size_t n) {
  auto p = static_cast<char*>(data);
  while (n > 0) {
    auto got = ::read(sock, p, n);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool send_frame(uint32_t kind, uint32_t code, const void* payload, uint64_t length) {
  frames::header h{kind, code, length};
  return write_all(&h, sizeof h) && write_all(payload, static_cast<size_t>(length));
}

// Frames the reader's deliveries; remembers a failed write (the daemon went away).
class frame_sink final : public d1::value_sink {
public:
  caf::error begin(const d1::datum_dtype& dtype, const std::vector<uint64_t>& shape) override {
    std::string payload(8, '\0');
    payload[0] = dtype.kind;
    payload[1] = static_cast<char>(dtype.size);
    auto rank = static_cast<uint32_t>(shape.size());
    std::memcpy(payload.data() + 4, &rank, 4);
    payload.append(reinterpret_cast<const char*>(shape.data()), 8 * shape.size());
    ok_ = ok_ && send_frame(frames::begin, 0, payload.data(), payload.size());
    return ok_ ? caf::none : d1::make_error(d1::ec::io_error, "the daemon went away");
  }

  void values(const void* data, size_t bytes) override {
    auto p = static_cast<const char*>(data);
    while (ok_ && bytes > 0) {
      auto n = std::min<size_t>(bytes, frames::max_values);
      ok_ = send_frame(frames::values, 0, p, n);
      p += n;
      bytes -= n;
    }
  }

  bool ok() const {
    return ok_;
  }

private:
  bool ok_ = true;
};

// The next request and its descriptor; false at the end of the socket or on a bad request.
bool receive(frames::request& req, int& fd) {
  uint64_t length = 0;
  iovec iov{&length, sizeof length};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do
    got = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (got < 0 && errno == EINTR);
  auto* cmsg = CMSG_FIRSTHDR(&msg);
  fd = -1;
  if (cmsg && cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS
      && cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  if (got != sizeof length || fd < 0 || length > frames::max_request)
    return false;
  std::string body(static_cast<size_t>(length), '\0');
  return read_all(body.data(), body.size()) && frames::decode(body, req);
}

#ifdef D1_HDF5_READER_FAULTS
// The test build's faults, chosen by the file's first bytes: a real libhdf5 crash input is
// not at hand, so these stand in for one (a crash, a hang, a malformed answer).
bool inject_fault(int fd) {
  char head[16] = {};
  if (::pread(fd, head, sizeof head - 1, 0) <= 0)
    return false;
  std::string what = head;
  if (what.rfind("D1-FAULT segv", 0) == 0) {
    // The default action, as an uninstrumented libhdf5 crash ends: a sanitizer's handler
    // would otherwise report it and exit with a status instead.
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
  }
  if (what.rfind("D1-FAULT hang", 0) == 0)
    for (int i = 0; i < 3600; ++i)
      ::sleep(1);
  if (what.rfind("D1-FAULT frame", 0) == 0) {
    uint64_t junk = 0;
    send_frame(frames::values, 0, &junk, sizeof junk);
    return true;
  }
  return false;
}
#endif

}  // namespace

int main() {
  // Ends with the thread that started it; no core files of a crash on a malformed file.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  rlimit none{0, 0}, space{address_space, address_space};
  ::setrlimit(RLIMIT_CORE, &none);
  ::setrlimit(RLIMIT_AS, &space);
  // A bounded number of requests is not needed: the socket's end ends the loop.
  for (;;) {
    frames::request req;
    int fd = -1;
    if (!receive(req, fd))
      return fd < 0 ? 0 : 2;
#ifdef D1_HDF5_READER_FAULTS
    if (inject_fault(fd)) {
      ::close(fd);
      continue;
    }
#endif
    frame_sink sink;
    auto err = d1::read_hdf5_fd_rows(fd, req.path, req.local_path, req.dataset, req.first_row,
                                     req.rows, [] { return false; }, sink);
    ::close(fd);
    if (!sink.ok())
      return 3;
    bool sent = err ? [&] {
      auto text = d1::context_of(err).substr(0, frames::max_error);
      return send_frame(frames::error, static_cast<uint32_t>(d1::code_of(err)), text.data(),
                        text.size());
    }()
                    : send_frame(frames::done, 0, nullptr, 0);
    if (!sent)
      return 3;
  }
}
