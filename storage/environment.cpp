// Opening an LMDB environment, its named tables, and the one place where transactions
// begin, commit, abort and where the map grows on MDB_MAP_FULL.
#include "storage/environment.hpp"

#include "messages/error.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

namespace d1::storage {

namespace {

// LMDB forbids two MDB_env over one file in a process (its locks are per process).
std::mutex open_paths_mutex;
std::set<std::string> open_paths;

caf::error open_error(const std::string& dir, const std::string& reason) {
  return make_error(ec::storage_error, "cannot open LMDB environment " + dir + ": " + reason);
}

// Aborts a transaction that was neither committed nor aborted (an exception in `fn`).
struct txn_guard {
  MDB_txn* txn = nullptr;
  ~txn_guard() {
    if (txn != nullptr)
      mdb_txn_abort(txn);
  }
};

// Upper bound on MDB_MAP_FULL retries of one transaction (each doubles the map).
constexpr int max_grow_attempts = 16;

// A non-durable environment holds this file while it is open: the boot it was opened in.
constexpr const char* open_marker = "open-in-boot";

std::string current_boot_id() {
  std::ifstream in{"/proc/sys/kernel/random/boot_id"};
  std::string id;
  std::getline(in, id);
  return id;
}

// Writes `text` as `path` and syncs it, so that the marker outlives a power loss.
bool write_synced(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())
            && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// The names of every named table (the keys of the main database) into `names`.
int table_names(MDB_txn* txn, std::vector<std::string>& names) {
  MDB_dbi main = 0;
  int rc = mdb_dbi_open(txn, nullptr, 0, &main);
  if (rc != MDB_SUCCESS)
    return rc;
  MDB_cursor* cur = nullptr;
  if ((rc = mdb_cursor_open(txn, main, &cur)) != MDB_SUCCESS)
    return rc;
  MDB_val k, v;
  while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == MDB_SUCCESS)
    names.emplace_back(static_cast<const char*>(k.mv_data), k.mv_size);
  mdb_cursor_close(cur);
  return rc == MDB_NOTFOUND ? MDB_SUCCESS : rc;
}

// Creates `dir` (mode 0700) unless it is a directory already. Returns its canonical path.
caf::expected<std::string> prepare_directory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code err;
  bool existed = fs::exists(dir, err);
  if (!existed) {
    fs::create_directories(dir, err);
    if (err)
      return open_error(dir, "cannot create the directory: " + err.message());
    // The cache and the catalogue are private to the daemon's user.
    if (::chmod(dir.c_str(), 0700) != 0)
      return open_error(dir, std::string{"cannot set mode 0700: "} + std::strerror(errno));
  } else if (!fs::is_directory(dir, err)) {
    return open_error(dir, "not a directory");
  }
  auto canonical = fs::canonical(dir, err);
  if (err)
    return open_error(dir, err.message());
  return canonical.string();
}

// Unsynced commits survive a crash of this process (the OS holds them), not one of the
// system: an environment still marked open by another boot may be torn. Fails for such
// an environment, else marks it open in this boot.
caf::error check_and_mark_boot(const std::string& dir, const std::string& key) {
  std::ifstream marker{key + "/" + open_marker};
  std::string boot;
  auto now = current_boot_id();
  if (marker && std::getline(marker, boot) && boot != now)
    return open_error(dir, "it was open (with unsynced writes) when the system went down "
                           "(boot " + boot + "); it may be corrupt");
  if (!write_synced(key + "/" + open_marker, now + "\n"))
    return open_error(dir, std::string{"cannot write "} + open_marker + ": "
                             + std::strerror(errno));
  return {};
}

}  // namespace

caf::expected<std::shared_ptr<environment>>
environment::open(const std::string& dir, environment_options options) {
  if (dir.empty())
    return make_error(ec::storage_error, "cannot open LMDB environment: empty path");
  if (options.map_size == 0 || options.max_map_size < options.map_size)
    return open_error(dir, "map_size must be positive and at most max_map_size");
  auto canonical = prepare_directory(dir);
  if (!canonical)
    return std::move(canonical.error());
  auto key = *canonical;
  {
    std::lock_guard<std::mutex> guard{open_paths_mutex};
    if (open_paths.count(key) > 0)
      return open_error(dir, "already open in this process (share the environment)");
    open_paths.insert(key);
  }
  auto release_path = [&] {
    std::lock_guard<std::mutex> guard{open_paths_mutex};
    open_paths.erase(key);
  };
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != MDB_SUCCESS) {
    release_path();
    return open_error(dir, mdb_strerror(rc));
  }
  auto fail = [&](int code) {
    mdb_env_close(env);
    release_path();
    return open_error(dir, mdb_strerror(code));
  };
  if ((rc = mdb_env_set_mapsize(env, options.map_size)) != MDB_SUCCESS)
    return fail(rc);
  if ((rc = mdb_env_set_maxdbs(env, options.max_dbs)) != MDB_SUCCESS)
    return fail(rc);
  if ((rc = mdb_env_set_maxreaders(env, options.max_readers)) != MDB_SUCCESS)
    return fail(rc);
  // MDB_NOTLS: actors move between threads, so read transactions must not be tied to one.
  unsigned flags = MDB_NOTLS;
  if (!options.durable) {
    flags |= MDB_NOSYNC;
    if (auto torn = check_and_mark_boot(dir, key)) {
      mdb_env_close(env);
      release_path();
      return torn;
    }
  }
  if ((rc = mdb_env_open(env, key.c_str(), flags, 0600)) != MDB_SUCCESS)
    return fail(rc);
  // Reader slots of dead processes would pin old pages forever.
  int stale = 0;
  mdb_reader_check(env, &stale);
  auto max_key = static_cast<size_t>(mdb_env_get_maxkeysize(env));
  std::shared_ptr<environment> result{new environment(key, options, env)};
  result->max_key_size_ = max_key;
  return result;
}

environment::environment(std::string path, environment_options options, MDB_env* env)
  : path_(std::move(path)), options_(options), env_(env), max_key_size_(511) {
}

environment::~environment() {
  // A clean close persists what MDB_NOSYNC left to the OS, and only then says so.
  bool synced = options_.durable || mdb_env_sync(env_, 1) == MDB_SUCCESS;
  mdb_env_close(env_);
  if (!options_.durable && synced)
    ::unlink((path_ + "/" + open_marker).c_str());
  std::lock_guard<std::mutex> guard{open_paths_mutex};
  open_paths.erase(path_);
}

caf::error environment::check() {
  namespace fs = std::filesystem;
  MDB_envinfo info;
  MDB_stat stat;
  {
    std::shared_lock<std::shared_mutex> guard{resize_mutex_};
    mdb_env_info(env_, &info);
    mdb_env_stat(env_, &stat);
  }
  // Pages beyond the end of a truncated file would be read through the map: SIGBUS.
  std::error_code err;
  auto size = fs::file_size(path_ + "/data.mdb", err);
  if (err)
    return make_error(ec::storage_error, "checking " + path_ + ": " + err.message());
  uint64_t needed = (uint64_t{info.me_last_pgno} + 1) * stat.ms_psize;
  if (size < needed)
    return make_error(ec::storage_error,
                      "checking " + path_ + ": data.mdb is truncated (" + std::to_string(size)
                        + " bytes, its pages need " + std::to_string(needed) + ")");
  std::lock_guard<std::mutex> writer{writer_mutex_};  // mdb_dbi_open below
  return read("checking every table", [&](MDB_txn* txn) {
    std::vector<std::string> names;
    int rc = table_names(txn, names);
    MDB_cursor* cur = nullptr;
    MDB_val k, v;
    for (size_t i = 0; rc == MDB_SUCCESS && i < names.size(); ++i) {
      MDB_dbi dbi = 0;
      if ((rc = mdb_dbi_open(txn, names[i].c_str(), 0, &dbi)) != MDB_SUCCESS
          || (rc = mdb_cursor_open(txn, dbi, &cur)) != MDB_SUCCESS)
        break;
      while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == MDB_SUCCESS) {
      }
      mdb_cursor_close(cur);
      if (rc == MDB_NOTFOUND)
        rc = MDB_SUCCESS;
    }
    return rc;
  });
}

caf::error environment::copy_to(const std::string& dest_dir, bool compact) {
  std::shared_lock<std::shared_mutex> guard{resize_mutex_};
  int rc = mdb_env_copy2(env_, dest_dir.c_str(), compact ? MDB_CP_COMPACT : 0);
  if (rc != MDB_SUCCESS)
    return make_storage_error("copying to " + dest_dir, rc);
  return {};
}

caf::expected<std::pair<uint64_t, uint64_t>> environment::count_all() {
  std::pair<uint64_t, uint64_t> out{0, 0};
  std::lock_guard<std::mutex> writer{writer_mutex_};  // mdb_dbi_open below
  auto err = read("counting records", [&](MDB_txn* txn) {
    std::vector<std::string> names;
    int rc = table_names(txn, names);
    for (size_t i = 0; rc == MDB_SUCCESS && i < names.size(); ++i) {
      MDB_dbi dbi = 0;
      MDB_stat st;
      if ((rc = mdb_dbi_open(txn, names[i].c_str(), 0, &dbi)) == MDB_SUCCESS
          && (rc = mdb_stat(txn, dbi, &st)) == MDB_SUCCESS) {
        ++out.first;
        out.second += st.ms_entries;
      }
    }
    return rc;
  });
  if (err)
    return err;
  return out;
}

caf::error environment::make_storage_error(std::string_view what, int rc) const {
  std::string context{what};
  context += " in ";
  context += path_;
  context += ": ";
  context += mdb_strerror(rc);
  return make_error(ec::storage_error, std::move(context));
}

uint64_t environment::map_size() const {
  MDB_envinfo info;
  std::shared_lock<std::shared_mutex> guard{resize_mutex_};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

void environment::adopt_map_size() {
  std::unique_lock<std::shared_mutex> guard{resize_mutex_};
  // Size 0 adopts the size recorded in the file (after another process grew it).
  mdb_env_set_mapsize(env_, 0);
}

caf::error environment::grow(std::string_view what) {
  std::unique_lock<std::shared_mutex> guard{resize_mutex_};
  MDB_envinfo info;
  mdb_env_info(env_, &info);
  uint64_t current = info.me_mapsize;
  if (current >= options_.max_map_size)
    return make_storage_error(what, MDB_MAP_FULL);
  uint64_t next = std::min<uint64_t>(current * 2, options_.max_map_size);
  if (int rc = mdb_env_set_mapsize(env_, next); rc != MDB_SUCCESS)
    return make_storage_error(what, rc);
  return caf::none;
}

caf::expected<MDB_dbi> environment::table(std::string_view name) {
  std::string key{name};
  {
    std::lock_guard<std::mutex> guard{tables_mutex_};
    if (auto i = tables_.find(key); i != tables_.end())
      return i->second;
  }
  if (name.empty())
    return make_error(ec::storage_error, "empty table name in " + path_);
  std::lock_guard<std::mutex> writer{writer_mutex_};
  {
    // Another thread may have created it while we waited for the writer lock.
    std::lock_guard<std::mutex> guard{tables_mutex_};
    if (auto i = tables_.find(key); i != tables_.end())
      return i->second;
  }
  MDB_dbi dbi = 0;
  // mdb_dbi_open must not run in two transactions at once: the writer lock ensures that.
  auto err = write_locked("opening table '" + key + "'", [&](MDB_txn* txn) {
    return mdb_dbi_open(txn, key.c_str(), MDB_CREATE, &dbi);
  });
  if (err)
    return err;
  std::lock_guard<std::mutex> guard{tables_mutex_};
  tables_.emplace(key, dbi);
  return dbi;
}

caf::error environment::write(std::string_view what, const txn_fn& fn) {
  std::lock_guard<std::mutex> writer{writer_mutex_};
  return write_locked(what, fn);
}

caf::error environment::write_locked(std::string_view what, const txn_fn& fn) {
  for (int attempt = 0;; ++attempt) {
    int rc = MDB_SUCCESS;
    {
      std::shared_lock<std::shared_mutex> guard{resize_mutex_};
      txn_guard txn;
      rc = mdb_txn_begin(env_, nullptr, 0, &txn.txn);
      if (rc == MDB_SUCCESS) {
        rc = fn(txn.txn);
        if (rc == MDB_SUCCESS)
          rc = mdb_txn_commit(std::exchange(txn.txn, nullptr));  // frees it, also on failure
      }
    }
    if (rc == MDB_SUCCESS)
      return caf::none;
    if (rc == MDB_MAP_RESIZED && attempt < max_grow_attempts) {
      adopt_map_size();
      continue;
    }
    if (rc == MDB_MAP_FULL && attempt < max_grow_attempts) {
      if (auto err = grow(what))
        return err;
      continue;
    }
    // LMDB reports a write cut short by a full disk as EIO: say what it really is.
    struct statvfs fs {};
    if ((rc == EIO || rc == ENOSPC) && ::statvfs(path_.c_str(), &fs) == 0
        && uint64_t{fs.f_bavail} * fs.f_frsize < (uint64_t{1} << 20))
      return make_storage_error(std::string{what} + " (its filesystem is full)", rc);
    return make_storage_error(what, rc);
  }
}

caf::error environment::read(std::string_view what, const txn_fn& fn) {
  for (int attempt = 0;; ++attempt) {
    int rc = MDB_SUCCESS;
    {
      std::shared_lock<std::shared_mutex> guard{resize_mutex_};
      txn_guard txn;
      rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn.txn);
      if (rc == MDB_SUCCESS)
        rc = fn(txn.txn);
    }
    if (rc == MDB_SUCCESS || rc == MDB_NOTFOUND)
      return caf::none;
    if (rc == MDB_MAP_RESIZED && attempt < max_grow_attempts) {
      adopt_map_size();
      continue;
    }
    return make_storage_error(what, rc);
  }
}

}  // namespace d1::storage
