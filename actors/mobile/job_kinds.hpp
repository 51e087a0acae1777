// The rules of each kind of job (register, copy, move, remove, change_root, verify,
// scrub, datum_hash, verify at level datum), one file each: what a submission must
// satisfy, which files (or datums) each phase works on, what a file's result writes to the catalogue and how a phase ends. The job manager
// runs every kind through this interface and never switches on the kind.
#pragma once

#include "actors/mobile/catalogue_db.hpp"
#include "actors/mobile/file_system.hpp"
#include "messages/datum_types.hpp"
#include "messages/mobile_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <optional>
#include <set>
#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

namespace d1 {

/// What a phase does with its files, and so which worker pool it uses.
enum class phase_work : uint8_t {
  copy,    // copy batches (copy workers)
  hash,    // check or hash batches (hash workers)
  remove,  // removal batches, re-checked (copy workers)
  datum,   // datum batches: values read, hashed and described (hash workers)
};

/// Whether a phase of `work` uses the hash workers (else the copy workers).
inline bool on_hash_pool(phase_work work) {
  return work == phase_work::hash || work == phase_work::datum;
}

/// What the rules of a kind may consult.
struct job_env {
  catalogue_db& db;
  const host_preferences& prefs;
  file_system& fs;  // roots' identities at submission
};

/// A catalogue change, applied in the transaction that records its outcome.
using catalogue_change = std::function<caf::error(catalogue_txn&)>;

/// One job while it runs: its record, its resource, and where its dispatch is.
struct active_job {
  job_record job;
  resource_detail res;                 // its resource, as loaded when (re)started
  std::unordered_map<std::string, size_t> file_index;  // root + '\n' + rel → res.files
  std::set<std::string> footprint;     // "uid:" + uid and every absolute path it touches
  size_t in_flight = 0;                // requests of this job at workers (a batch is one)
  size_t cursor = 0;                   // next file index to consider
  bool cancel = false;                 // cancel requested
  bool stop_dispatch = false;          // a failure that dooms the rest (disk full)
  bool started = false;                // begun: its resource is loaded
  bool resumed = false;                // begun before a restart: clean up leftovers
  std::vector<size_t> unsaved;         // files whose checkpoint commit failed
  // Pending files waiting for their retry time, with that time.
  std::vector<std::pair<size_t, std::chrono::steady_clock::time_point>> retrying;
  /// Whether file `index` waits for its retry time.
  bool waits_for_retry(size_t index) const;
  // What the hash phase saw of each file (by checkpoint index), for kinds that record
  // their files only at the end (change_root).
  std::unordered_map<size_t, file_stat> seen;
  // Outcomes set in memory, not yet committed (see job_manager_config::commit_files).
  std::vector<size_t> uncommitted;
  std::vector<catalogue_change> uncommitted_changes;
  uint64_t uncommitted_bytes = 0;
  std::chrono::steady_clock::time_point uncommitted_since;
  std::chrono::steady_clock::time_point run_start;
  std::chrono::steady_clock::time_point paced_until;  // scrub: no batch before this
  uint64_t run_bytes_base = 0;

  // Jobs on datums: the resource's datums with their recorded statistics (prepare()).
  std::vector<datum_detail> datums;
  std::unordered_map<std::string, size_t> datum_index;  // datum id → datums

  /// Rebuilds file_index from res.files.
  void index_files();
  /// The record of `rel` at `root` (nullptr if none), through file_index.
  const file_record* lookup(const std::string& root, const std::string& rel) const;
  /// Sets datums and rebuilds datum_index.
  void set_datums(std::vector<datum_detail> xs);
  /// The datum `id` (nullptr if the resource has none such).
  const datum_detail* datum(const std::string& id) const;
};

/// How a phase that has no file left to dispatch goes on.
struct phase_end {
  bool next_phase = false;  // job.phase and job.files were set to the next phase's
  job_state state = job_state::done;
  std::string error;
  catalogue_change change;  // history, records: committed with the job's end
};

class job_kind_rules {
public:
  virtual ~job_kind_rules() = default;

  /// The journal's name of the command ("register", "copy", …).
  virtual std::string command() const = 0;

  /// Checks a submission and completes it (roots normalised, a source chosen): an empty
  /// error, or the refusal (ec::invalid_argument, ec::not_found, ec::refused).
  virtual caf::error check(job_request& req, const resource_detail& d,
                           const job_env& env) const = 0;

  /// The per-file checkpoint of phase 0 (per datum for jobs on datums).
  virtual std::vector<job_file> first_phase(const job_request& req, const resource_detail& d,
                                            const job_env& env) const = 0;

  /// The plan of a dry run; ec::invalid_argument for kinds that have none.
  virtual caf::expected<std::vector<plan_step>> plan(const job_request& req,
                                                     const resource_detail& d,
                                                     const job_env& env) const;

  /// What phase `phase` of this kind does.
  virtual phase_work work(uint8_t phase) const = 0;

  /// Loads what the job needs beyond its resource's records when it starts (jobs on
  /// datums: the datums and their statistics). An empty error, or why it cannot run.
  virtual caf::error prepare(active_job& a, const job_env& env) const;

  /// Checked again when the job starts (it may have waited behind others): an empty error
  /// or why it must not run.
  virtual caf::error check_at_start(const active_job& a, const job_env& env) const;

  /// Hash phases: the check of one file of the checkpoint, or nullopt if there is no
  /// record to check (the file fails with `why`).
  virtual std::optional<hash_request> hash_request_for(const active_job& a, const job_file& f,
                                                       std::string& why) const;

  /// Hash phases: the record a result leaves (nullopt: nothing is written), and whether
  /// the file's step succeeded.
  virtual std::optional<file_record> record_hash(const job_record& job, const file_record& rec,
                                                 const hash_result& r, int64_t now) const;

  /// Whether a hash result makes the file's step a success.
  virtual bool step_ok(const job_record& job, const hash_result& r) const;

  /// Datum phases: the request that reads the datum of one step of the checkpoint, or
  /// nullopt if it cannot be read (the step fails with `why`).
  virtual std::optional<datum_hash_request>
  datum_request_for(const active_job& a, const job_file& f, std::string& why) const;

  /// Datum phases: the statistics a result records (nullopt: nothing is written). A step
  /// succeeds when its result's state is ok.
  virtual std::optional<datum_stats_record>
  record_datum(const job_record& job, const job_file& f, const datum_hash_result& r,
               int64_t now) const;

  /// Whether its batches keep to [mobile] scrub_rate (a background scrub).
  virtual bool paced() const {
    return false;
  }

  /// The end of the current phase: every file done, failed or skipped (or dispatching
  /// stopped). `failed` files did not succeed; `summary(what)` words that for errors.
  virtual phase_end end_phase(active_job& a, const job_env& env, size_t failed,
                              const std::function<std::string(const std::string&)>& summary)
    const = 0;
};

/// The rules of `kind` (static; never null).
const job_kind_rules& rules_for(job_kind kind);

/// The rules a request runs by: those of its kind, but verify at level datum has its own.
const job_kind_rules& rules_for(const job_request& req);

// -- helpers the kinds share -------------------------------------------------------------

/// Normalises `root` in place; ec::invalid_argument naming `what` otherwise.
caf::error normalize_in_place(std::string& root, const char* what);

/// The file records of `d` on `root`, by rel_path.
std::unordered_map<std::string, const file_record*> files_at(const resource_detail& d,
                                                             const std::string& root);

bool has_copy_at(const resource_detail& d, const std::string& root);

/// Whether another verified copy than the one at `root` exists.
bool other_verified_copy(const resource_detail& d, const std::string& root,
                         const host_preferences& prefs);

/// The refusal of removing the last verified copy without force_last.
caf::error last_copy_refusal(const job_request& r);

/// Files of a job in a stable order a person can follow: by root, then path.
void sort_files(std::vector<job_file>& files);

/// The checkpoint of the removal of the copy at `root`.
std::vector<job_file> removal_files(const resource_detail& d, const std::string& root);

/// Keeps only the files `req.only` names (all if it names none).
void keep_only(const job_request& req, std::vector<job_file>& files);

/// A hash request for file `f` of job `a` from its record (root, path, algorithm; the
/// caller sets the level and what to expect). std::nullopt with `why` set if the file has
/// no record.
std::optional<hash_request> hash_request_from_record(const active_job& a, const job_file& f,
                                                      const file_record*& rec, std::string& why);

/// Checks a copy or move submission (destination given and usable, a verified source,
/// and the destination neither the source nor another copy of the resource under another
/// spelling: a symlink or bind mount of it; at level datum, recorded datum hashes).
caf::error check_copy_request(job_request& req, const resource_detail& d, const job_env& env);

/// The copy steps of a dry run of copy or move.
std::vector<plan_step> copy_plan(const job_request& req, const resource_detail& d);

/// The removal steps of a dry run (delete, or keep: another record names the bytes).
caf::expected<std::vector<plan_step>> removal_plan(const job_request& req,
                                                   const resource_detail& d, const job_env& env);

/// The datum steps of a job on datums: one per datum of `datums` (those `req.only` names,
/// if any) at each root of `roots`, in order, each carrying the bytes it is expected to
/// read (its files' recorded sizes, shared files split among their datums).
std::vector<job_file> datum_steps(const job_request& req, const resource_detail& d,
                                  const std::vector<datum_detail>& datums,
                                  const std::vector<std::string>& roots);

/// The request that reads datum `x` of `d` at `root` (no expected hash, default algorithm).
datum_hash_request datum_request(const resource_detail& d, const datum_detail& x,
                                 const std::string& root);

/// Loads the resource's datums and their statistics into `a` (prepare() of the jobs that
/// read datums). An empty error, or the catalogue's.
caf::error load_datums(active_job& a, const job_env& env);

/// Checks a job that compares datums with their recorded hashes (verify at level datum, a
/// copy or move's datum check): ec::invalid_argument if no datum of the resource has one.
caf::error check_recorded_datums(const job_request& req, const job_env& env);

/// The request that reads datum step `f` again and compares it with its recorded hash
/// (with that hash's algorithm); nullopt, and `why`, for a datum the resource does not have
/// or one never hashed.
std::optional<datum_hash_request> datum_check_request(const active_job& a, const job_file& f,
                                                      std::string& why);

/// The steps of a copy or move's datum check: each datum of `a` at the destination.
std::vector<job_file> datum_check_steps(const active_job& a);

/// The datum algorithm of a resource whose datums are `datums`: `asked` if given
/// ("SHA-1", "SHA-256", any spelling normalize_algorithm takes; MD5 refused), else the one
/// their statistics were recorded with, else SHA-1. ec::invalid_argument for a bad one.
caf::expected<std::string> datum_algorithm(const std::string& asked,
                                           const std::vector<datum_detail>& datums);

/// The history entry of a job's end.
history_entry make_history(const job_record& job, const char* action, const std::string& from,
                           const std::string& to);

/// A change that appends `h` to the history.
catalogue_change history_change(history_entry h);

}  // namespace d1
