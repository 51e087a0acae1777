// mdb_env_copy2 with compaction into dated directories; check and restore.
#include "storage/backup.hpp"

#include "messages/error.hpp"
#include "storage/disposable.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace d1::storage {

namespace fs = std::filesystem;

namespace {

constexpr const char* partial_suffix = ".partial";

caf::error sync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return make_error(ec::io_error, "cannot open " + path + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0)
    return make_error(ec::io_error, "cannot sync " + path + ": " + std::strerror(err));
  return {};
}

}  // namespace

caf::expected<backup_info> backup_environment(environment& env, const std::string& backup_root,
                                              size_t keep) {
  std::error_code err;
  fs::create_directories(backup_root, err);
  if (err)
    return make_error(ec::io_error, "cannot create " + backup_root + ": " + err.message());
  backup_info out;
  out.stamp = utc_stamp();
  out.dir = backup_root + "/" + out.stamp;
  for (int n = 2; fs::exists(out.dir, err); ++n)
    out.dir = backup_root + "/" + out.stamp + "-" + std::to_string(n);
  auto partial = out.dir + partial_suffix;
  fs::remove_all(partial, err);
  fs::create_directories(partial, err);
  if (err)
    return make_error(ec::io_error, "cannot create " + partial + ": " + err.message());
  if (auto e = env.copy_to(partial, true)) {
    fs::remove_all(partial, err);
    return e;
  }
  for (auto [path, flags] : {std::pair{partial + "/data.mdb", O_RDONLY},
                             std::pair{partial, O_RDONLY | O_DIRECTORY}})
    if (auto e = sync_path(path, flags)) {
      fs::remove_all(partial, err);
      return e;
    }
  if (::rename(partial.c_str(), out.dir.c_str()) != 0) {
    auto e = make_error(ec::io_error, "cannot rename " + partial + ": " + std::strerror(errno));
    fs::remove_all(partial, err);
    return e;
  }
  static_cast<void>(sync_path(backup_root, O_RDONLY | O_DIRECTORY));
  out.bytes = fs::file_size(out.dir + "/data.mdb", err);
  auto all = list_backups(backup_root);
  for (size_t i = keep; i < all.size(); ++i)
    fs::remove_all(all[i].dir, err);
  return out;
}

std::vector<backup_info> list_backups(const std::string& backup_root) {
  std::vector<backup_info> out;
  std::error_code err;
  for (auto& e : fs::directory_iterator(backup_root, err)) {
    auto name = e.path().filename().string();
    if (!e.is_directory() || name.find(partial_suffix) != std::string::npos)
      continue;
    std::error_code size_err;
    auto bytes = fs::file_size(e.path() / "data.mdb", size_err);
    if (size_err)
      continue;
    out.push_back(backup_info{e.path().string(), name, bytes});
  }
  std::sort(out.begin(), out.end(),
            [](const backup_info& a, const backup_info& b) { return a.stamp > b.stamp; });
  return out;
}

caf::expected<check_report> check_environment_dir(const std::string& dir,
                                                  environment_options options) {
  std::error_code err;
  if (!fs::is_directory(dir, err) || !fs::exists(dir + "/data.mdb", err))
    return make_error(ec::storage_error, dir + " holds no LMDB environment (no data.mdb)");
  auto env = environment::open(dir, options);
  if (!env)
    return env.error();
  if (auto e = (*env)->check())
    return e;
  check_report report;
  report.bytes = fs::file_size(dir + "/data.mdb", err);
  auto counted = (*env)->count_all();
  if (!counted)
    return counted.error();
  report.tables = counted->first;
  report.records = counted->second;
  return report;
}

caf::expected<std::string> restore_backup(const std::string& dir, const backup_info& backup) {
  std::error_code err;
  auto staging = dir + ".restoring";
  fs::remove_all(staging, err);
  fs::create_directories(staging, err);
  if (!err)
    fs::copy_file(backup.dir + "/data.mdb", staging + "/data.mdb", err);
  if (err) {
    fs::remove_all(staging, err);
    return make_error(ec::io_error, "cannot copy " + backup.dir + "/data.mdb: " + err.message());
  }
  if (auto e = sync_path(staging + "/data.mdb", O_RDONLY)) {
    fs::remove_all(staging, err);
    return e;
  }
  if (auto checked = check_environment_dir(staging, {}); !checked) {
    fs::remove_all(staging, err);
    return make_error(ec::storage_error, "backup " + backup.dir + " is damaged too: "
                                           + context_of(checked.error()));
  }
  std::string moved;
  if (fs::exists(fs::symlink_status(dir, err))) {
    auto aside = move_aside(dir);
    if (!aside) {
      fs::remove_all(staging, err);
      return aside.error();
    }
    moved = *aside;
  }
  if (::rename(staging.c_str(), dir.c_str()) != 0) {
    auto e = make_error(ec::io_error, "cannot put the backup in place at " + dir + ": "
                                        + std::strerror(errno));
    if (!moved.empty())
      ::rename(moved.c_str(), dir.c_str());
    return e;
  }
  return moved;
}

}  // namespace d1::storage
