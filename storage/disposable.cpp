// Moving damaged disposable state aside and starting fresh.
#include "storage/disposable.hpp"

#include "messages/error.hpp"
#include "storage/lmdb_store.hpp"
#include "storage/memory_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <vector>

namespace d1::storage {

namespace fs = std::filesystem;

namespace {

constexpr const char* damaged_suffix = ".damaged-";
constexpr size_t damaged_copies_kept = 2;

// Removes the oldest moved-aside copies of `path` beyond `keep`. The stamp
// sorts by time; a copy that cannot be removed stays (best effort).
void prune_damaged(const fs::path& path, size_t keep) {
  std::vector<fs::path> copies;
  std::error_code err;
  auto prefix = path.filename().string() + damaged_suffix;
  for (auto& e : fs::directory_iterator(path.parent_path(), err))
    if (e.path().filename().string().rfind(prefix, 0) == 0)
      copies.push_back(e.path());
  std::sort(copies.begin(), copies.end());
  for (size_t i = 0; i + keep < copies.size(); ++i)
    fs::remove_all(copies[i], err);
}

// True if a file can be created in `dir`.
bool writable_dir(const std::string& dir) {
  std::error_code err;
  if (!fs::is_directory(dir, err))
    return false;
  auto probe = dir + "/.d1drive-probe";
  int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return false;
  ::close(fd);
  return ::unlink(probe.c_str()) == 0;
}

caf::expected<std::shared_ptr<lmdb_store>> open_checked(const std::string& dir,
                                                        const environment_options& options) {
  auto store = lmdb_store::open(dir, options);
  if (!store)
    return store.error();
  if (auto err = (*store)->env()->check())
    return err;
  return store;
}

}  // namespace

std::string utc_stamp() {
  char buf[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

caf::expected<std::string> move_aside(const std::string& path, size_t keep) {
  fs::path p{path};
  auto target = path + damaged_suffix + utc_stamp();
  std::error_code err;
  for (int n = 2; fs::exists(target, err); ++n)
    target = path + damaged_suffix + utc_stamp() + "-" + std::to_string(n);
  if (::rename(path.c_str(), target.c_str()) != 0)
    return make_error(ec::io_error, "cannot move " + path + " aside: " + std::strerror(errno));
  if (keep > 0)
    prune_damaged(p, keep);
  return target;
}

disposable_store open_disposable_store(const std::string& dir, environment_options options) {
  disposable_store out;
  auto first = open_checked(dir, options);
  if (first) {
    out.store = std::move(*first);
    return out;
  }
  out.problem = context_of(first.error());
  std::error_code err;
  if (fs::exists(fs::symlink_status(dir, err))) {
    auto moved = move_aside(dir, damaged_copies_kept);
    if (moved)
      out.moved_aside = *moved;
    else
      out.problem += "; " + context_of(moved.error());
  }
  if (out.moved_aside.empty() && fs::exists(fs::symlink_status(dir, err))) {
    // Nothing was moved: the same failure would come again.
    out.store = std::make_shared<memory_store>();
    out.persistent = false;
    return out;
  }
  auto fresh = open_checked(dir, options);
  if (fresh) {
    out.store = std::move(*fresh);
    return out;
  }
  out.problem += "; a fresh one fails too: " + context_of(fresh.error());
  out.store = std::make_shared<memory_store>();
  out.persistent = false;
  return out;
}

caf::expected<std::string> prepare_disposable_dir(const std::string& dir) {
  std::error_code err;
  if (writable_dir(dir))
    return std::string{};
  std::string moved;
  if (fs::exists(fs::symlink_status(dir, err))) {
    auto aside = move_aside(dir, damaged_copies_kept);
    if (!aside)
      return aside.error();
    moved = *aside;
  }
  fs::create_directories(dir, err);
  if (err || !writable_dir(dir))
    return make_error(ec::io_error, "cannot make " + dir + " a writable directory"
                                      + (err ? ": " + err.message() : std::string{}));
  return moved;
}

}  // namespace d1::storage
