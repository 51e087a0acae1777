// The job state machine. A job is queued → running → done | failed | cancelled. Each
// file's outcome (a batch's outcomes together) and its catalogue change are committed in
// one transaction with the job's checkpoint, so after a crash the catalogue and the
// checkpoint agree and the job resumes with the files still pending. What a kind of job
// does is its rules' business (job_kinds.hpp); this file runs them.
#include "actors/mobile/job_manager.hpp"

#include "actors/mobile/beneath.hpp"
#include "actors/mobile/catalogue_codec.hpp"
#include "actors/mobile/job_phases.hpp"
#include "actors/mobile/job_submission.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace d1 {

namespace {

// What a job touches: its resource and every absolute path it reads, writes or deletes.
// Two jobs run at once only if these are disjoint. (A job on datums only reads its
// resource's files, and its steps are datums, not paths: its resource is enough.)
std::set<std::string> footprint_of(const job_record& j) {
  std::set<std::string> out;
  out.insert("uid:" + j.request.uid);
  auto& r = j.request;
  if (works_on_datums(j))
    return out;
  bool two_roots = r.kind == job_kind::copy || r.kind == job_kind::move
                   || r.kind == job_kind::change_root;
  for (auto& f : j.files) {
    out.insert(join_path(f.root, f.rel_path));
    if (two_roots) {
      if (!r.src_root.empty())
        out.insert(join_path(r.src_root, f.rel_path));
      if (!r.dst_root.empty())
        out.insert(join_path(r.dst_root, f.rel_path));
    }
  }
  return out;
}

bool overlaps(const std::set<std::string>& a, const std::set<std::string>& b) {
  auto i = a.begin();
  auto j = b.begin();
  while (i != a.end() && j != b.end()) {
    if (*i < *j)
      ++i;
    else if (*j < *i)
      ++j;
    else
      return true;
  }
  return false;
}

// A copy of `job` without its per-file states, for views of many jobs or frequent polls.
job_record summary_of(job_record& job) {
  auto files = std::move(job.files);
  job_record out = job;
  job.files = std::move(files);
  return out;
}

// A copy of `job` for Status: its failed steps only, at most a few of them.
job_record status_view_of(const job_record& job) {
  constexpr size_t max_failed_shown = 10;
  auto out = job_header_of(job);
  for (auto& f : job.files)
    if (f.state == step_state::failed && out.files.size() < max_failed_shown)
      out.files.push_back(f);
  return out;
}

void reply_waiters(job_self self, const job_record& job) {
  auto& st = self->state;
  if (auto i = st.waiters_.find(job.id); i != st.waiters_.end()) {
    for (auto& rp : i->second)
      rp.deliver(job);
    st.waiters_.erase(i);
  }
}

void update_rate(active_job& a) {
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - a.run_start)
                .count();
  auto bytes = a.job.progress.bytes_done - a.run_bytes_base;
  a.job.progress.rate = secs > 0 ? static_cast<double>(bytes) / secs : 0;
}

void start_next(job_self self);

// Ends running job `id` (`error` and its `code` say why, if it did not succeed); `extra`
// adds the catalogue change that completes it (history, change_root's records) to the same
// transaction.
void finish(job_self self, uint64_t id, job_state state, ec code, std::string error,
            const catalogue_change& extra = {}) {
  auto& st = self->state;
  auto* a = find_active(self, id);
  if (!a)
    return;
  auto& job = a->job;
  // Normally nothing is left uncommitted here (record_steps commits once nothing is at
  // the workers); if something is and it cannot be stored, the job did not succeed.
  auto unsaved_before = a->unsaved.size();
  commit_uncommitted(self, *a);
  bool lost = a->unsaved.size() > unsaved_before && state == job_state::done;
  if (lost) {
    state = job_state::failed;
    code = ec::storage_error;
    error = "could not record the outcomes of " + std::to_string(a->unsaved.size() - unsaved_before)
            + " files: " + job.files[a->unsaved.back()].detail;
  }
  job.state = state;
  job.error = std::move(error);
  job.error_code = code;
  job.finished = now_ms();
  update_rate(*a);
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    if (extra && !lost)
      if (auto e = extra(txn))
        return e;
    // Every file's checkpoint is stored already, but for those whose commit failed.
    txn.put_job_steps(job, a->unsaved);
    if (job.journal_seq != 0)
      return txn.end_journal(job.journal_seq, state == job_state::done, job.error, job.id);
    return {};
  });
  if (err) {
    // The completing change did not commit: record the failure without it.
    job.state = job_state::failed;
    job.error = "could not record the end of the job: " + describe(err);
    job.error_code = code_of(err);
    auto again = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
      txn.put_job(job);
      if (job.journal_seq != 0)
        return txn.end_journal(job.journal_seq, false, job.error, job.id);
      return {};
    });
    if (again)
      st.unrecorded_[id] = job;
  }
  if (a->in_flight > 0)
    st.draining_[id] = draining_job{a->footprint, a->in_flight};
  else if (st.cfg_.interrupts)
    st.cfg_.interrupts->forget(id);
  auto done = std::move(job);
  st.active_.erase(id);
  reply_waiters(self, done);
  start_next(self);
  // The pools' shares grew: let the others use them.
  dispatch_all(self);
}

// Ends running job `id` as failed because of `err`.
void fail(job_self self, uint64_t id, const caf::error& err) {
  finish(self, id, job_state::failed, code_of(err), describe(err));
}

// The first failed or unfinished file's (datum's) detail, and how many there are.
std::string first_failure(const job_record& job, size_t& failed) {
  failed = 0;
  std::string first;
  bool datums = works_on_datums(job);
  for (auto& f : job.files) {
    if (f.state == step_state::failed || f.state == step_state::pending) {
      if (failed++ == 0)
        first = !f.detail.empty() ? f.detail
                : datums          ? "datum " + f.rel_path + " at " + f.root + ": not done"
                                  : join_path(f.root, f.rel_path) + ": not done";
    }
  }
  return first;
}

void dispatch(job_self self, uint64_t id);

// The current phase has nothing left to dispatch: the rules say how the job goes on.
void finish_phase(job_self self, uint64_t id) {
  auto& st = self->state;
  auto* a = find_active(self, id);
  if (!a)
    return;
  commit_uncommitted(self, *a);  // a no-op but after a fault: see finish()
  auto& job = a->job;
  size_t failed = 0;
  auto first = first_failure(job, failed);
  const char* steps = works_on_datums(job) ? " datums " : " files ";
  auto summary = [&](const std::string& what) {
    return std::to_string(failed) + " of " + std::to_string(job.files.size()) + steps + what
           + "; first: " + first;
  };
  auto end = rules_for(job.request).end_phase(*a, job_env_of(self), failed, summary);
  if (!end.next_phase)
    return finish(self, id, end.state, ec::unspecified, std::move(end.error), end.change);
  job.progress.files_done = 0;
  job.progress.files_failed = 0;
  job.progress.files_total = job.files.size();
  a->seen.clear();
  a->retrying.clear();
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    txn.put_job(job);
    return {};
  });
  if (err)
    return fail(self, id, err);
  a->cursor = 0;
  dispatch(self, id);
}

// Sends job `id`'s pending files to free workers up to its share; ends the phase (or the
// job, if cancelled) once nothing is pending or in flight.
void dispatch(job_self self, uint64_t id) {
  auto* a = find_active(self, id);
  if (!a || !a->started)
    return;
  launch_batches(self, *a);
  if (a->in_flight > 0)
    return;
  auto& files = a->job.files;
  bool pending = std::any_of(files.begin(), files.end(), [](const job_file& f) {
    return f.state == step_state::pending;
  });
  if (!pending || a->stop_dispatch)
    finish_phase(self, id);
}

// Starts running job `id` (already in active_): loads its resource, persists `running`,
// dispatches.
void begin(job_self self, uint64_t id) {
  auto& st = self->state;
  auto* a = find_active(self, id);
  if (!a)
    return;
  auto& job = a->job;
  a->in_flight = 0;
  a->cursor = 0;
  a->cancel = false;
  a->stop_dispatch = false;
  a->resumed = job.started != 0;
  // Counters are recomputed from the checkpoint (a resumed job may have done some).
  job.progress.files_total = job.files.size();
  job.progress.files_done = 0;
  job.progress.files_failed = 0;
  for (auto& f : job.files) {
    if (f.state != step_state::pending)
      ++job.progress.files_done;
    if (f.state == step_state::failed)
      ++job.progress.files_failed;
  }
  a->run_start = std::chrono::steady_clock::now();
  a->run_bytes_base = job.progress.bytes_done;
  auto detail = st.fresh_detail_ && st.fresh_detail_->first == id
                  ? caf::expected<resource_detail>{std::move(st.fresh_detail_->second)}
                  : st.cfg_.db->get_resource(job.request.uid);
  st.fresh_detail_.reset();
  if (!detail)
    return fail(self, id, detail.error());
  a->res = std::move(*detail);
  a->index_files();
  auto& rules = rules_for(job.request);
  if (auto err = rules.prepare(*a, job_env_of(self)))
    return fail(self, id, err);
  if (auto err = rules.check_at_start(*a, job_env_of(self)))
    return fail(self, id, err);
  job.state = job_state::running;
  if (job.started == 0)
    job.started = now_ms();
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    txn.put_job_step(job, job.files.size());  // the header: the checkpoint is stored
    return {};
  });
  if (err)
    return fail(self, id, err);
  a->started = true;
  dispatch(self, id);
}

// Starts queued jobs, in order, while fewer than max_active_jobs run. A job waits while
// it touches a resource or path of a running job, of a cancelled one whose batches are
// still at the workers, or of an earlier waiting one, so jobs on the same files keep
// their submission order.
void start_next(job_self self) {
  auto& st = self->state;
  std::deque<uint64_t> waiting;
  std::set<std::string> blocked;
  std::vector<uint64_t> starting;
  for (auto& [id, d] : st.draining_)
    blocked.insert(d.footprint.begin(), d.footprint.end());
  while (!st.queue_.empty()) {
    auto id = st.queue_.front();
    st.queue_.pop_front();
    if (st.active_.size() >= st.cfg_.max_active_jobs) {
      waiting.push_back(id);
      continue;
    }
    caf::expected<job_record> job{job_record{}};
    if (id == st.fresh_id_) {
      job = std::move(st.fresh_job_);
      st.fresh_id_ = 0;
    } else {
      job = st.cfg_.db->get_job(id);
    }
    if (!job || job_ended(job->state))
      continue;
    auto fp = footprint_of(*job);
    bool conflict = overlaps(fp, blocked);
    for (auto& [other, x] : st.active_)
      conflict = conflict || overlaps(fp, x.footprint);
    if (conflict) {
      blocked.insert(fp.begin(), fp.end());
      waiting.push_back(id);
      continue;
    }
    auto& a = st.active_[id];
    a.job = std::move(*job);
    a.footprint = std::move(fp);
    starting.push_back(id);
  }
  st.queue_ = std::move(waiting);
  // Only now (the queue is whole again): begin() may finish a job, which re-enters here.
  for (auto id : starting)
    begin(self, id);
}


// Cancels job `id`: a running one ends now (its batches at the workers stop within a
// file or a piece, and what they did is still recorded); a queued one is dropped.
caf::expected<job_record> cancel(job_self self, uint64_t id) {
  auto& st = self->state;
  if (auto* a = find_active(self, id)) {
    a->cancel = true;
    if (st.cfg_.interrupts)
      st.cfg_.interrupts->cancel(id);
    finish(self, id, job_state::cancelled, ec::cancelled, "cancelled by request");
    return stored_job(self, id);
  }
  auto j = stored_job(self, id);
  if (!j || job_ended(j->state))
    return j;
  st.queue_.erase(std::remove(st.queue_.begin(), st.queue_.end(), id), st.queue_.end());
  j->state = job_state::cancelled;
  j->error = "cancelled by request";
  j->finished = now_ms();
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    txn.put_job(*j);
    if (j->journal_seq != 0)
      return txn.end_journal(j->journal_seq, false, j->error, j->id);
    return {};
  });
  if (err)
    return err;
  reply_waiters(self, *j);
  return j;
}

template <class T>
caf::result<T> reply(caf::expected<T> x) {
  if (!x)
    return std::move(x.error());
  return std::move(*x);
}

// Every job, newest first, running ones as they are now, without their per-file states.
caf::expected<std::vector<job_record>> list_summaries(job_self self) {
  auto jobs = self->state.cfg_.db->list_jobs();
  if (!jobs)
    return std::move(jobs.error());
  std::reverse(jobs->begin(), jobs->end());
  for (auto& j : *jobs) {
    if (auto* a = find_active(self, j.id))
      j = summary_of(a->job);
    else if (auto i = self->state.unrecorded_.find(j.id); i != self->state.unrecorded_.end())
      j = summary_of(i->second);
  }
  return std::move(*jobs);
}

// The jobs Status shows, newest first: all that have not ended and the last `ended` that
// have, each with its first failed steps.
caf::expected<std::vector<job_record>> list_for_status(job_self self, uint32_t ended) {
  auto jobs = self->state.cfg_.db->list_jobs();
  if (!jobs)
    return std::move(jobs.error());
  std::vector<job_record> out;
  uint32_t ended_shown = 0;
  for (auto j = jobs->rbegin(); j != jobs->rend(); ++j) {
    const job_record* current = &*j;  // a header: no files
    if (auto* a = find_active(self, j->id))
      current = &a->job;
    else if (auto i = self->state.unrecorded_.find(j->id); i != self->state.unrecorded_.end())
      current = &i->second;
    if (job_ended(current->state) && ended_shown++ >= ended)
      continue;
    // The failed steps of a stored job are read only for the jobs shown.
    if (current == &*j && j->progress.files_failed > 0)
      if (auto full = self->state.cfg_.db->get_job(j->id)) {
        out.push_back(status_view_of(*full));
        continue;
      }
    out.push_back(status_view_of(*current));
  }
  return out;
}

// A retry or pacing time of job `id` has come: the files waiting for it are in reach again.
void on_retry_due(job_self self, uint64_t id) {
  auto* a = find_active(self, id);
  if (!a)
    return;
  auto now = self->clock().now();
  auto& r = a->retrying;
  for (auto& [index, due] : r)
    if (due <= now)
      a->cursor = std::min(a->cursor, index);
  r.erase(std::remove_if(r.begin(), r.end(), [&](auto& x) { return x.second <= now; }),
          r.end());
  dispatch(self, id);
}

// Queues what a previous run left unfinished, in submission order, and starts it.
void resume_jobs(job_self self) {
  auto& st = self->state;
  if (auto jobs = st.cfg_.db->list_jobs()) {
    for (auto& j : *jobs)
      if (!job_ended(j.state))
        st.queue_.push_back(j.id);
  }
  start_next(self);
}

// Sizes the pools' loads and generations and monitors every worker: one that fails
// (fail_loudly logged why) is replaced, like one that timed out.
void watch_workers(job_self self) {
  auto& st = self->state;
  st.copier_load_.assign(st.cfg_.copiers.size(), 0);
  st.hasher_load_.assign(st.cfg_.hashers.size(), 0);
  st.copier_gen_.assign(st.cfg_.copiers.size(), 0);
  st.hasher_gen_.assign(st.cfg_.hashers.size(), 0);
  for (auto& w : st.cfg_.copiers)
    self->monitor(w);
  for (auto& w : st.cfg_.hashers)
    self->monitor(w);
  self->set_down_handler([self](caf::down_msg& down) { after_worker_down(self, down); });
}

}  // namespace

bool job_ended(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled;
}

job_env job_env_of(job_self self) {
  auto& cfg = self->state.cfg_;
  return job_env{*cfg.db, cfg.prefs, *cfg.fs};
}

caf::expected<job_record> stored_job(job_self self, uint64_t id) {
  auto& st = self->state;
  if (auto i = st.unrecorded_.find(id); i != st.unrecorded_.end())
    return i->second;
  return st.cfg_.db->get_job(id);
}

void start_queued(job_self self) {
  start_next(self);
}

void dispatch_all(job_self self) {
  auto& st = self->state;
  std::vector<uint64_t> ids;
  for (auto& [id, a] : st.active_)
    ids.push_back(id);
  if (ids.empty())
    return;
  auto first = st.turn_++ % ids.size();
  for (size_t k = 0; k < ids.size(); ++k)
    dispatch(self, ids[(first + k) % ids.size()]);
}

caf::error validate(const job_manager_config& cfg) {
  if (!cfg.db)
    return make_error(ec::invalid_argument, "job_manager without a catalogue");
  if (cfg.copiers.empty() || cfg.hashers.empty())
    return make_error(ec::invalid_argument,
                      "job_manager needs at least one copy worker and one hash worker");
  if (cfg.copy_batch_files < 1 || cfg.copy_batch_bytes < 1 || cfg.batches_per_copier < 1
      || cfg.max_active_jobs < 1 || cfg.commit_files < 1 || cfg.commit_bytes < 1)
    return make_error(ec::invalid_argument, "job_manager: copy_batch_files, copy_batch_bytes, "
                                            "batches_per_copier, max_active_jobs, commit_files "
                                            "and commit_bytes must be at least 1");
  if (cfg.file_retries > 100 || cfg.worker_timeout.count() < 1 || cfg.scrub_rate < 1)
    return make_error(ec::invalid_argument, "job_manager: file_retries must be at most 100, "
                                            "worker_timeout and scrub_rate positive");
  return {};
}

job_manager_actor::behavior_type
job_manager(job_manager_actor::stateful_pointer<job_manager_state> self,
            job_manager_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return job_manager_actor::behavior_type::make_empty_behavior();
  }
  auto& st = self->state;
  st.cfg_ = std::move(cfg);
  if (!st.cfg_.fs)
    st.cfg_.fs = make_posix_file_system();
  if (!st.cfg_.interrupts)
    st.cfg_.interrupts = std::make_shared<job_interrupts>();
  watch_workers(self);
  resume_jobs(self);
  if (st.cfg_.scrub_every.count() > 0)
    self->send(self, scrub_atom::value);
  // Asked to stop (the daemon's shutdown): commit what is done before quitting, so a
  // restart need not adopt it again.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [id, a] : self->state.active_)
      commit_uncommitted(self, a);
    self->quit(msg.reason);
  });
  return {
    [self](register_atom, job_request req) -> caf::result<job_ticket> {
      return reply(register_resource(self, std::move(req)));
    },
    [self](register_atom, datum_atom, const datum_registration& reg)
      -> caf::result<datum_ticket> { return reply(register_datums(self, reg)); },
    [self](submit_atom, job_request req) -> caf::result<job_ticket> {
      if (req.kind == job_kind::register_hash)
        return make_error(ec::invalid_argument, "register_hash jobs are queued by register");
      return reply(submit_job(self, std::move(req)));
    },
    [self](list_atom, job_atom) -> caf::result<std::vector<job_record>> {
      return reply(list_summaries(self));
    },
    [self](list_atom, job_atom, uint32_t ended) -> caf::result<std::vector<job_record>> {
      return reply(list_for_status(self, ended));
    },
    [self](get_atom, job_atom, uint64_t id) -> caf::result<job_record> {
      if (auto* a = find_active(self, id))
        return a->job;
      return reply(stored_job(self, id));
    },
    [self](progress_atom, uint64_t id) -> caf::result<job_record> {
      if (auto* a = find_active(self, id))
        return summary_of(a->job);
      auto j = stored_job(self, id);
      if (j)
        j->files.clear();
      return reply(std::move(j));
    },
    [self](cancel_atom, uint64_t id) -> caf::result<job_record> {
      return reply(cancel(self, id));
    },
    [self](wait_atom, uint64_t id) -> caf::result<job_record> {
      if (!find_active(self, id)) {
        auto j = stored_job(self, id);
        if (!j || job_ended(j->state))
          return reply(std::move(j));
      }
      auto rp = self->make_response_promise<job_record>();
      self->state.waiters_[id].push_back(rp);
      return rp;
    },
    [self](retry_atom, uint64_t id) -> caf::result<job_ticket> {
      return reply(retry_job(self, id));
    },
    [self](shift_atom, const std::string& uid, int32_t by) -> caf::result<root_shift> {
      return reply(shift_resource_root(self, uid, by));
    },
    [self](tick_atom, uint64_t id) { on_retry_due(self, id); },
    [self](scrub_atom) { queue_due_scrub(self); },
  };
}

}  // namespace d1
