// Writing staged objects: temporaries, verification, no-replace publication.
#include "actors/stage/stage_file.hpp"

#include "actors/dataone/range_sink.hpp"
#include "messages/error.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace d1 {

namespace {

caf::error errno_error(int err, const std::string& what) {
  auto code = err == ENOSPC || err == EDQUOT ? ec::no_space : ec::io_error;
  return make_error(code, what + ": " + std::strerror(err));
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Writes all of `size` bytes at `data` to `fd`.
caf::error write_all(int fd, const char* data, size_t size, const std::string& what) {
  while (size > 0) {
    auto n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return errno_error(n < 0 ? errno : EIO, what);
    data += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

std::string stage_temp_path(const std::string& final_path) {
  auto slash = final_path.rfind('/');
  auto dir = slash == std::string::npos ? std::string{} : final_path.substr(0, slash + 1);
  auto name = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
  // A name too long for a prefix still gets a temporary of its own length class.
  auto temp = ".d1stage." + name;
  if (temp.size() > 255)
    temp = temp.substr(0, 255);
  return dir + temp;
}

caf::expected<bool> file_matches(const std::string& path, const std::string& algorithm,
                                 const std::string& hex) {
  auto hasher = streaming_hasher::make(algorithm);
  if (!hasher)
    return std::move(hasher.error());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return errno == ENOENT ? make_error(ec::not_found, path) : errno_error(errno, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(ec::io_error, path + ": not a regular file");
  }
  std::vector<char> buf(1 << 20);
  for (;;) {
    auto n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      auto err = errno_error(errno, path);
      ::close(fd);
      return err;
    }
    if (n == 0)
      break;
    hasher->update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return hasher->hex_digest() == lower(hex);
}

caf::error make_folders(const std::string& path) {
  std::error_code err;
  std::filesystem::create_directories(path, err);
  if (err)
    return make_error(ec::io_error, path + ": " + err.message());
  return {};
}

caf::error publish_no_replace(const std::string& temp, const std::string& final_path) {
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) == 0)
    return {};
  if (errno == EEXIST)
    return make_error(ec::refused, final_path + " exists; not replaced");
  if (errno != EINVAL && errno != ENOSYS)
    return errno_error(errno, final_path);
  // A file system without RENAME_NOREPLACE: a hard link fails the same way on a taken name.
  if (::link(temp.c_str(), final_path.c_str()) != 0)
    return errno == EEXIST ? make_error(ec::refused, final_path + " exists; not replaced")
                           : errno_error(errno, final_path);
  ::unlink(temp.c_str());
  return {};
}

caf::error write_whole(const std::string& path, const std::string& bytes) {
  std::error_code ec_size;
  if (std::filesystem::file_size(path, ec_size) == bytes.size() && !ec_size) {
    auto same = file_matches(path, "SHA-256", [&] {
      auto h = streaming_hasher::make("SHA-256");
      h->update(bytes.data(), bytes.size());
      return h->hex_digest();
    }());
    if (same && *same)
      return {};
  }
  auto temp = stage_temp_path(path);
  ::unlink(temp.c_str());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return errno_error(errno, temp);
  auto err = write_all(fd, bytes.data(), bytes.size(), temp);
  if (!err && ::fsync(fd) != 0)
    err = errno_error(errno, temp);
  ::close(fd);
  if (!err && ::rename(temp.c_str(), path.c_str()) != 0)
    err = errno_error(errno, path);
  if (err)
    ::unlink(temp.c_str());
  return err;
}

stage_sink::stage_sink(int fd, uint64_t size, streaming_hasher hasher)
  : fd_(fd), size_(size), hasher_(std::move(hasher)) {
}

body_sink::decision stage_sink::headers_done(uint16_t status,
                                             const std::vector<http_header>& headers) {
  auto answer = check_range_response(status, headers, 0, size_, size_);
  if (!answer) {
    failure_ = std::move(answer.error());
    return status >= 300 ? decision::keep_in_memory : decision::abort;
  }
  return decision::accept;
}

bool stage_sink::write(const char* data, size_t size) {
  if (written_ + size > size_) {
    failure_ = make_error(ec::http_status, "the body is longer than the system metadata's "
                                             + std::to_string(size_) + " bytes");
    return false;
  }
  if (auto err = write_all(fd_, data, size, "staged bytes")) {
    failure_ = std::move(err);
    return false;
  }
  hasher_.update(data, size);
  written_ += size;
  return true;
}

std::string stage_sink::digest() {
  return hasher_.hex_digest();
}

}  // namespace d1
