// The catalogue's tables over a kv_store (LMDB in production): resources, files,
// files_by_path (reference counts), history, journal, jobs, counters, datums (with their
// index by resource) and datum_stats. No actors: the catalogue and job_manager actors share
// one instance; every logical change is one transaction built with update().
#pragma once

#include "actors/mobile/root_map.hpp"
#include "actors/mobile/spec_handlers.hpp"
#include "messages/datum_types.hpp"
#include "messages/mobile_types.hpp"
#include "storage/kv_store.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace d1 {

/// The first byte of every catalogue record. Separate from storage::schema_version (the
/// caches' byte): bumping a cache layout must never make the catalogue unreadable. A
/// catalogue of an older version is migrated in place when it is opened
/// (catalogue_migrate.cpp). 2: files carry their identity; 3: jobs their error code.
constexpr uint8_t catalogue_schema_version = 3;

/// Milliseconds since the epoch.
int64_t now_ms();

/// The file uid of (resource, root, rel_path): 32 lowercase hex chars.
std::string make_file_uid(const std::string& resource_uid, const std::string& root,
                          const std::string& rel_path);

/// Which roots this host prefers, best first, and where recorded roots are on its disk.
struct host_preferences {
  std::string host;
  std::vector<std::string> roots;  // normalised, as recorded
  root_map local;                  // [hosts."NAME"] root_map

  /// Index of the first preferred root equal to or containing `root`; -1 if none.
  int32_t rank(const std::string& root) const;
};

/// Returns the copies of a resource, best first: verified before not, then by this host's
/// preference (listed before unlisted), then by root.
std::vector<copy_location> copies_of(const resource_detail& detail,
                                     const host_preferences& prefs);

/// Returns the root of the best verified copy, or "" if there is none.
std::string preferred_verified_root(const resource_detail& detail,
                                    const host_preferences& prefs);

class catalogue_db;

/// What a datum registration wrote.
struct datums_added {
  resource_detail detail;              // the resource, its file list with the new datums,
                                       // and the records of the files they added
  std::vector<std::string> datum_ids;  // in the order given
  std::vector<std::string> new_files;  // rel_paths the datums added to the list
};

/// Where a resource is after `resource shift-root`: the same files (the same absolute
/// paths), named by another split of root and path.
struct shifted_location {
  std::string root;  // normalised
  std::string path;  // normalised, relative to root
};

/// `root` and `path` after `by` leading components of `path` moved to the end of `root`
/// (`by` < 0: -by trailing components of `root` moved to the front of `path`). The path
/// keeps at least one component, the root may become "/". ec::invalid_argument for 0 and
/// for a shift past either end, saying how far it can go.
caf::expected<shifted_location> shift_location(const std::string& root,
                                               const std::string& path, int32_t by);

/// The changes of one transaction. Reads see the store plus what this builder already
/// changed (path reference counts compose within a transaction).
class catalogue_txn {
public:
  void put_resource(const resource_record& r);
  /// Inserts or replaces a file record and adds its reference to files_by_path.
  void put_file(const file_record& f);
  /// Erases a file record and its references. Returns the references left on its path.
  caf::expected<path_refs> drop_file(const file_record& f);
  /// The references of a path (empty refs if none).
  caf::expected<path_refs> refs(const std::string& abs_path);
  /// The records of the file with this identity (empty refs if none or ino 0).
  caf::expected<path_refs> refs_by_identity(const file_stat& st);
  void add_history(history_entry h);
  /// Returns the next value of a persistent counter ("journal", "job", "history").
  caf::expected<uint64_t> next(const std::string& counter);
  /// Appends a journal entry (seq assigned here) and returns its seq.
  caf::expected<uint64_t> begin_journal(journal_entry e);
  /// Completes journal entry `seq`.
  caf::error end_journal(uint64_t seq, bool success, const std::string& error,
                         uint64_t job_id);
  /// Writes a job: its header (jobs table) and every file of its checkpoint (job_files).
  void put_job(const job_record& j);
  /// Writes a job's header and only its file `index`: the per-file checkpoint, O(1).
  void put_job_step(const job_record& j, size_t index);
  /// Writes a job's header once and its files `indices`: one batch's checkpoint.
  void put_job_steps(const job_record& j, const std::vector<size_t>& indices);
  /// Registers a resource: the handler's files as unhashed records on its root, and a
  /// history entry. Returns the detail; ec::invalid_argument as list_resource_files, for a
  /// bad root or uid, or a uid already registered. An AD_TIFF resource without num_points
  /// has no files until datums name them.
  caf::expected<resource_detail> register_resource(const job_request& req);
  /// Adds datums to a registered resource: each checked against its resource's spec
  /// (select_datum), given its id (generated "<uid>/<n>" when empty) and its place in the
  /// resource's order; the files they add to the resource's list (AD_TIFF without
  /// num_points) get unhashed records on the resource's root. Returns what was written;
  /// ec::not_found for an unknown resource, ec::invalid_argument naming the datum for bad
  /// kwargs or an id that is malformed or taken.
  caf::expected<datums_added> add_datums(const datum_registration& reg);
  /// Moves `by` components between resource `uid`'s root and path (shift_location):
  /// every copy's root moves with it, so each file record keeps its absolute path under
  /// its new root and rel_path (and file uid), as do the checkpoints of the resource's
  /// (ended) jobs; a history entry `shift_root` (from the old root to the new). Nothing on
  /// disk is touched. ec::not_found for an unknown resource;
  /// ec::invalid_argument for a shift past either end, a copy whose root does not end in
  /// the components moved back, or a file the new split would name elsewhere.
  caf::expected<root_shift> shift_root(const std::string& uid, int32_t by);
  /// Records (replaces) what the last datum hash of a datum found.
  void put_datum_stats(const datum_stats_record& s);

private:
  friend class catalogue_db;
  explicit catalogue_txn(catalogue_db& db) : db_(db) {
  }
  // A reference list (files_by_path or files_by_identity) as this transaction sees it.
  caf::expected<path_refs*> refs_in(const char* table, const std::string& key,
                                    const std::string& name);
  // The stored record of `f`'s key as this transaction sees it (nullopt: none).
  caf::expected<std::optional<file_record>> stored(const file_record& f);
  void fail(caf::error err);
  // add_datums' steps: the id and place (seq) of datum `d` of resource `uid`, given or
  // generated, not taken before nor in `ids` (this registration's); and the records of
  // the files the datums add to `r`'s list (none unless its files come from its datums).
  caf::expected<uint64_t> assign_datum_id(const std::string& uid, datum_record& d,
                                          const std::string& which,
                                          const std::set<std::string>& ids);
  caf::error add_datum_files(const resource_record& r,
                             const std::vector<std::string>& old_kwargs,
                             const std::vector<std::string>& all_kwargs, datums_added& out);

  catalogue_db& db_;
  storage::write_batch batch_;
  caf::error error_;  // the first read that failed: the transaction is not committed
  std::map<std::string, path_refs> refs_;          // by table + key, changed here
  std::map<std::string, std::optional<file_record>> files_;  // by files key, written here
  std::map<std::string, uint64_t> counters_;       // changed here
  std::map<uint64_t, journal_entry> journal_;      // written or read here
};

class catalogue_db {
public:
  /// Opens (creating) the durable LMDB environment in `dir`. Returns the catalogue, or
  /// ec::storage_error.
  static caf::expected<std::shared_ptr<catalogue_db>> open(const std::string& dir);

  explicit catalogue_db(std::shared_ptr<storage::kv_store> store);

  /// Runs `fn` and commits what it changed in ONE transaction; nothing is written if `fn`
  /// returns an error. Changes are serialised (one update at a time in this process).
  caf::error update(const std::function<caf::error(catalogue_txn&)>& fn);

  /// How many update() transactions with changes were committed (for tests and stats).
  uint64_t commits() const {
    return commits_.load();
  }

  /// Returns the resource and all its file records (every root); ec::not_found.
  caf::expected<resource_detail> get_resource(const std::string& uid);
  /// The files of `r`: its spec handler's list, or its datums' files where they name them
  /// (list_resource_files). Errors as list_resource_files, or reading the datums.
  caf::expected<spec_listing> listing_of(const resource_record& r);
  /// The datums of resource `uid` in registration order (none for an unknown uid).
  caf::expected<std::vector<datum_record>> list_datums(const std::string& uid);
  /// The datums of resource `uid` in registration order with their recorded statistics;
  /// ec::not_found for an unknown resource.
  caf::expected<std::vector<datum_detail>> datum_details(const std::string& uid);
  /// One datum with its recorded statistics; ec::not_found.
  caf::expected<datum_detail> get_datum(const std::string& datum_id);
  caf::expected<std::vector<resource_record>> list_resources();
  /// Every file record (all resources), by key.
  caf::expected<std::vector<file_record>> list_files();
  /// The references of one path (refs empty if none).
  caf::expected<path_refs> refs(const std::string& abs_path);
  /// The records of the file with this identity (refs empty if none or ino 0).
  caf::expected<path_refs> refs_by_identity(const file_stat& st);
  /// The copies (resource uid, root) with a file whose last matching hash is older than
  /// `hashed_before` (ms since the epoch), oldest first.
  caf::expected<std::vector<std::pair<std::string, std::string>>>
  due_for_scrub(int64_t hashed_before);
  /// Checks the database's pages (kv_store::check_structure), then reads every record and
  /// checks the invariants (see catalogue_actor's check_atom). Damaged pages are the one
  /// problem reported: records are not read from them.
  caf::expected<catalogue_report> check();

  /// check() without a daemon, for `d1drive catalogue check`: opens the catalogue in `dir`
  /// as the daemon does (a version-1 catalogue is migrated). One that cannot be opened is
  /// a report with that one problem. Returns ec::not_found if `dir` holds no catalogue.
  static caf::expected<catalogue_report> check_dir(const std::string& dir);
  /// History of one resource ("" = all), oldest first.
  caf::expected<std::vector<history_entry>> history(const std::string& uid);
  caf::expected<std::vector<journal_entry>> journal(uint64_t after_seq, uint32_t limit);
  caf::expected<location_report> locate(const std::string& uid, const host_preferences& prefs);
  /// One job; ec::not_found.
  caf::expected<job_record> get_job(uint64_t id);
  /// Every job, in id order, without their per-file lists (files empty).
  caf::expected<std::vector<job_record>> list_jobs();

  storage::kv_store& store() {
    return *store_;
  }

private:
  friend class catalogue_txn;
  std::shared_ptr<storage::kv_store> store_;
  std::mutex update_mutex_;
  std::atomic<uint64_t> commits_{0};
};

/// Keys, exposed for tests.
std::string file_key(const std::string& resource_uid, const std::string& file_uid);
std::string path_key(const std::string& abs_path);
std::string identity_key(const file_stat& st);
std::string job_key(uint64_t id);
/// The key of a datum in datums_by_resource: its resource, then its place in that order.
std::string datum_index_key(const std::string& resource_uid, uint64_t seq);

/// Migrates a catalogue of schema version 1 (records without file identities) or 2 (jobs
/// without error codes) to the current one in one transaction; a no-op for a current or empty catalogue. Returns
/// ec::storage_error for a record that does not decode (nothing is changed then).
caf::error migrate_catalogue(storage::kv_store& store);

}  // namespace d1
