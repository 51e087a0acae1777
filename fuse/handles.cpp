// Open file handles: the local fd is set once, by whichever reply gets there first.
#include "fuse/handles.hpp"

#include <unistd.h>

namespace d1 {

file_handle::file_handle(const node_info& info)
  : content(info.content), cache(info.cache), text(info.text()), object(info.object()) {
}

file_handle::~file_handle() {
  if (int fd = fd_.load(); fd >= 0)
    ::close(fd);
}

int file_handle::local_fd() const {
  return fd_.load(std::memory_order_acquire);
}

int file_handle::adopt_local_fd(int fd) {
  int expected = -1;
  if (fd_.compare_exchange_strong(expected, fd, std::memory_order_acq_rel))
    return fd;
  ::close(fd);
  return expected;
}

}  // namespace d1
