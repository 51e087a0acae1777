// What the job manager shares with the four kinds of batch it sends to workers (copies,
// hashes, removals, datums) and with its submissions: the bookkeeping of jobs, steps,
// commits and worker loads.
// Internal to actors/mobile.
#pragma once

#include "actors/mobile/job_manager.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/system_messages.hpp>

#include <string>
#include <vector>

namespace d1 {

using job_self = job_manager_actor::stateful_pointer<job_manager_state>;

/// Whether a job in state `s` has ended (done, failed or cancelled).
bool job_ended(job_state s);

/// What a kind's rules work with: the catalogue, the root preferences, the file system.
job_env job_env_of(job_self self);

/// Returns job `id` as stored, or as it ended if the catalogue could not store that; the
/// catalogue's error (ec::not_found for an unknown job) otherwise.
caf::expected<job_record> stored_job(job_self self, uint64_t id);

/// The running job `id`, or nullptr.
active_job* find_active(job_self self, uint64_t id);

/// Sets the outcome of file `index` in the job's memory (committed by record_steps).
void set_step(active_job& a, size_t index, step_state state, std::string detail,
              uint64_t bytes);

/// A failed file: pending again and retried after a backoff if the failure may not recur
/// and it has attempts left ([mobile] file_retries), failed otherwise. Returns true if it
/// failed for good (record it with record_steps); false if it waits for its retry.
bool fail_step(job_self self, active_job& a, size_t index, const std::string& detail,
               bool transient);

/// Adds the outcomes of files `indices` and their catalogue changes to the job's
/// uncommitted ones, and commits them all when due (see job_manager_config).
void record_steps(job_self self, active_job& a, const std::vector<size_t>& indices,
                  std::vector<catalogue_change> changes);

/// Commits the job's uncommitted outcomes now (at its end, or when it stops).
void commit_uncommitted(job_self self, active_job& a);

/// Commits what a job that already ended (cancelled) still had at a worker: the disk
/// changed, so the catalogue follows, without the job's checkpoint. Frees its footprint
/// once nothing of it is left at the workers.
void record_late(job_self self, uint64_t id, std::vector<catalogue_change> changes);

/// A batch of job `id` came back from its worker: with the job still running (`a`), its
/// next batches go out before this one's outcomes (`finished`) and changes are recorded,
/// so the workers work while the catalogue syncs (a crash before the commit leaves the
/// files pending, and the resumed job adopts them); with the job ended (`a` null), the
/// changes are recorded late. Then every running job is dispatched.
void record_batch(job_self self, uint64_t id, active_job* a, const std::vector<size_t>& finished,
                  std::vector<catalogue_change> changes);

/// Sends job `a`'s pending files to free workers up to its share of its pool, in batches.
/// Never ends a phase or the job.
void launch_batches(job_self self, active_job& a);

/// Starts the queued jobs that may run now (their files free, a slot free).
void start_queued(job_self self);

/// Dispatches every running job, starting with a different one each time (fair shares).
void dispatch_all(job_self self);

/// How long a request to a worker carrying `bytes` may take.
caf::timespan worker_timeout(job_self self, uint64_t bytes);

/// A request to worker `w` of a pool, sent when the worker was generation `gen`, has
/// ended: its load drops (unless the worker was replaced since).
void worker_done(job_self self, bool copy_pool, size_t w, uint64_t gen);

/// The current generation of worker `w` of a pool (for worker_done).
uint64_t worker_generation(job_self self, bool copy_pool, size_t w);

/// What a kind's rules need of `job` to apply a batch's answer, should the job end before
/// the answer comes: its id, request and phase.
inline job_record rules_view_of(const job_record& job) {
  job_record view;
  view.id = job.id;
  view.request = job.request;
  view.phase = job.phase;
  return view;
}

/// After a request to worker `w` of a pool ended with `err`: a lost worker (is_worker_lost)
/// is replaced (if the config can make one).
void after_worker_error(job_self self, bool copy_pool, size_t w, const caf::error& err);

/// Worker `w` of a pool is stopped and a new one takes its place (if the config can make
/// one); requests still out to the old one end as failures of their files.
void replace_worker(job_self self, bool copy_pool, size_t w);

/// A monitored worker stopped: one that failed (an exception, not an orderly stop) is
/// replaced, so a pool never keeps a dead slot.
void after_worker_down(job_self self, const caf::down_msg& down);

/// Whether `err` is a worker that did not answer in time.
bool is_worker_timeout(const caf::error& err);

/// Whether `err` says the worker, not the files, failed: it did not answer in time, it
/// failed on the request (ec::actor_failed), or it was gone. Its files are worth a retry.
bool is_worker_lost(const caf::error& err);

/// The four batch senders: the next batch of job `a`'s pending files (datums) to worker `w`.
void launch_copy_batch(job_self self, active_job& a, size_t w);
void launch_hash_batch(job_self self, active_job& a, size_t w);
void launch_remove_batch(job_self self, active_job& a, size_t w);
void launch_datum_batch(job_self self, active_job& a, size_t w);

}  // namespace d1
