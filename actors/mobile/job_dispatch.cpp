// The job manager's bookkeeping between batches: per-file outcomes and their grouped
// commits, retries, fair shares of the worker pools, request deadlines.
#include "actors/mobile/job_phases.hpp"

#include "messages/error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace d1 {

namespace {

// Commits the job's uncommitted outcomes (set by set_step) and their catalogue changes in
// ONE transaction with their checkpoints. If the commit fails, those files count as
// failed and the job stops dispatching. Nothing to commit: nothing happens.
void commit_now(job_self self, active_job& a) {
  if (a.uncommitted.empty() && a.uncommitted_changes.empty())
    return;
  auto indices = std::move(a.uncommitted);
  auto changes = std::move(a.uncommitted_changes);
  a.uncommitted.clear();
  a.uncommitted_changes.clear();
  a.uncommitted_bytes = 0;
  auto& job = a.job;
  auto err = self->state.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    for (auto& change : changes)
      if (change)
        if (auto e = change(txn))
          return e;
    txn.put_job_steps(job, indices);
    return {};
  });
  if (!err)
    return;
  for (auto index : indices) {
    auto& jf = job.files[index];
    if (jf.state != step_state::failed) {  // a file that failed keeps its own reason
      if (jf.state == step_state::pending)
        ++job.progress.files_done;
      jf.state = step_state::failed;
      jf.detail = "catalogue: " + describe(err);
      ++job.progress.files_failed;
    }
    a.unsaved.push_back(index);
  }
  a.stop_dispatch = true;
}

// Does this job's current phase use the copy workers (else the hash workers)?
bool on_copiers(const active_job& a) {
  return !on_hash_pool(rules_for(a.job.request).work(a.job.phase));
}

// How many requests job `a` may have at workers: its fair share of its pool among the
// running jobs that still dispatch to that pool.
size_t share(job_self self, const active_job& a) {
  auto& st = self->state;
  bool copies = on_copiers(a);
  size_t capacity = (copies ? st.cfg_.copiers.size() : st.cfg_.hashers.size())
                    * st.cfg_.batches_per_copier;
  size_t jobs = 0;
  for (auto& [id, x] : st.active_)
    if (x.started && on_copiers(x) == copies && !x.cancel && !x.stop_dispatch
        && x.cursor < x.job.files.size())
      ++jobs;
  jobs = std::max<size_t>(jobs, 1);
  return std::max<size_t>(1, (capacity + jobs - 1) / jobs);
}

// The least loaded worker with room (load below `depth`), or -1.
int pick(const std::vector<uint32_t>& load, uint32_t depth) {
  int best = -1;
  for (size_t i = 0; i < load.size(); ++i)
    if (load[i] < depth && (best < 0 || load[i] < load[static_cast<size_t>(best)]))
      best = static_cast<int>(i);
  return best;
}

}  // namespace

active_job* find_active(job_self self, uint64_t id) {
  auto& active = self->state.active_;
  auto i = active.find(id);
  return i == active.end() ? nullptr : &i->second;
}

void set_step(active_job& a, size_t index, step_state state, std::string detail,
              uint64_t bytes) {
  auto& job = a.job;
  auto& file = job.files[index];
  file.state = state;
  file.detail = std::move(detail);
  ++job.progress.files_done;
  if (state == step_state::failed)
    ++job.progress.files_failed;
  job.progress.bytes_done += bytes;
}

bool fail_step(job_self self, active_job& a, size_t index, const std::string& detail,
               bool transient) {
  auto& cfg = self->state.cfg_;
  auto& file = a.job.files[index];
  if (!transient || a.cancel || file.attempts >= cfg.file_retries) {
    set_step(a, index, step_state::failed, detail, 0);
    return true;
  }
  // Pending again; launch_batches skips it until its tick puts it back in reach.
  ++file.attempts;
  file.detail = "retrying (" + std::to_string(file.attempts) + " of "
                + std::to_string(cfg.file_retries) + "): " + detail;
  auto delay = cfg.retry_backoff * (1u << std::min<uint32_t>(file.attempts - 1, 10));
  a.retrying.emplace_back(index, self->clock().now() + delay);
  self->delayed_send(self, delay, tick_atom::value, a.job.id);
  return false;
}

void record_steps(job_self self, active_job& a, const std::vector<size_t>& indices,
                  std::vector<catalogue_change> changes) {
  auto& cfg = self->state.cfg_;
  auto now = std::chrono::steady_clock::now();
  if (a.uncommitted.empty() && a.uncommitted_changes.empty())
    a.uncommitted_since = now;
  for (auto index : indices) {
    a.uncommitted.push_back(index);
    a.uncommitted_bytes += a.job.files[index].size;
  }
  for (auto& change : changes)
    a.uncommitted_changes.push_back(std::move(change));
  if (a.in_flight == 0 || a.cancel || a.stop_dispatch || a.uncommitted.size() >= cfg.commit_files
      || a.uncommitted_bytes >= cfg.commit_bytes
      || now - a.uncommitted_since >= cfg.commit_interval)
    commit_now(self, a);
}

void commit_uncommitted(job_self self, active_job& a) {
  commit_now(self, a);
}

void record_batch(job_self self, uint64_t id, active_job* a, const std::vector<size_t>& finished,
                  std::vector<catalogue_change> changes) {
  if (!a) {
    record_late(self, id, std::move(changes));
  } else {
    --a->in_flight;
    launch_batches(self, *a);
    record_steps(self, *a, finished, std::move(changes));
  }
  dispatch_all(self);
}

void record_late(job_self self, uint64_t id, std::vector<catalogue_change> changes) {
  auto& st = self->state;
  if (!changes.empty()) {
    // Best effort: a failure leaves the catalogue behind the disk the safe way round (a
    // copy not recorded is adopted later; a deletion not recorded is found by verify).
    st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
      for (auto& change : changes)
        if (change)
          if (auto e = change(txn))
            return e;
      return {};
    });
  }
  auto i = st.draining_.find(id);
  if (i != st.draining_.end() && --i->second.in_flight == 0) {
    st.draining_.erase(i);
    if (st.cfg_.interrupts)
      st.cfg_.interrupts->forget(id);
    // A job that waited for these files may start now.
    start_queued(self);
  }
}

void launch_batches(job_self self, active_job& a) {
  auto& st = self->state;
  if (!a.started)
    return;
  auto& rules = rules_for(a.job.request);
  auto work = rules.work(a.job.phase);
  auto limit = share(self, a);
  bool copies = !on_hash_pool(work);
  // A scrub keeps to its rate: no batch before its pacing time.
  auto now = self->clock().now();
  if (a.paced_until > now) {
    if (a.in_flight == 0)
      self->delayed_send(self, a.paced_until - now, tick_atom::value, a.job.id);
    return;
  }
  while (!a.cancel && !a.stop_dispatch && a.in_flight < limit) {
    auto& files = a.job.files;
    while (a.cursor < files.size()
           && (files[a.cursor].state != step_state::pending || a.waits_for_retry(a.cursor)))
      ++a.cursor;
    if (a.cursor >= files.size())
      break;
    int w = copies ? pick(st.copier_load_, st.cfg_.batches_per_copier)
                   : pick(st.hasher_load_, st.cfg_.batches_per_copier);
    if (w < 0)
      break;  // the pool is busy (with other jobs too): their replies dispatch again
    switch (work) {
      case phase_work::copy: launch_copy_batch(self, a, static_cast<size_t>(w)); break;
      case phase_work::remove: launch_remove_batch(self, a, static_cast<size_t>(w)); break;
      case phase_work::hash: launch_hash_batch(self, a, static_cast<size_t>(w)); break;
      case phase_work::datum: launch_datum_batch(self, a, static_cast<size_t>(w)); break;
    }
    if (a.paced_until > self->clock().now())
      break;
  }
}

void dispatch_all(job_self self);

caf::timespan worker_timeout(job_self self, uint64_t bytes) {
  auto& cfg = self->state.cfg_;
  auto rate = std::max<uint64_t>(cfg.worker_min_rate, 1);
  auto extra = std::chrono::seconds(bytes / rate);
  return std::chrono::duration_cast<caf::timespan>(cfg.worker_timeout + extra);
}

void worker_done(job_self self, bool copy_pool, size_t w, uint64_t gen) {
  auto& st = self->state;
  auto& load = copy_pool ? st.copier_load_ : st.hasher_load_;
  auto& gens = copy_pool ? st.copier_gen_ : st.hasher_gen_;
  if (gens[w] == gen && load[w] > 0)
    --load[w];
}

uint64_t worker_generation(job_self self, bool copy_pool, size_t w) {
  return copy_pool ? self->state.copier_gen_[w] : self->state.hasher_gen_[w];
}

bool is_worker_timeout(const caf::error& err) {
  return err.category() == caf::atom("system")
         && err.code() == static_cast<uint8_t>(caf::sec::request_timeout);
}

void replace_worker(job_self self, bool copy_pool, size_t w) {
  auto& cfg = self->state.cfg_;
  if (copy_pool && cfg.new_copier && w < cfg.copiers.size()) {
    self->send_exit(cfg.copiers[w], caf::exit_reason::user_shutdown);
    cfg.copiers[w] = cfg.new_copier();
    self->monitor(cfg.copiers[w]);
    self->state.copier_load_[w] = 0;
    ++self->state.copier_gen_[w];
  } else if (!copy_pool && cfg.new_hasher && w < cfg.hashers.size()) {
    self->send_exit(cfg.hashers[w], caf::exit_reason::user_shutdown);
    cfg.hashers[w] = cfg.new_hasher();
    self->monitor(cfg.hashers[w]);
    self->state.hasher_load_[w] = 0;
    ++self->state.hasher_gen_[w];
  }
}

bool is_worker_lost(const caf::error& err) {
  return is_worker_timeout(err) || code_of(err) == ec::actor_failed
         || (err.category() == caf::atom("system")
             && err.code() == static_cast<uint8_t>(caf::sec::request_receiver_down));
}

void after_worker_error(job_self self, bool copy_pool, size_t w, const caf::error& err) {
  if (is_worker_lost(err))
    replace_worker(self, copy_pool, w);
}

void after_worker_down(job_self self, const caf::down_msg& down) {
  if (down.reason == caf::exit_reason::user_shutdown)
    return;  // replaced by us, or the daemon's shutdown
  auto& cfg = self->state.cfg_;
  auto replace = [&](const auto& pool, bool copy_pool) {
    for (size_t w = 0; w < pool.size(); ++w)
      if (pool[w].address() == down.source) {
        spdlog::warn("job_manager: {} worker {} stopped ({}); starting a new one",
                     copy_pool ? "copy" : "hash", w, describe(down.reason));
        replace_worker(self, copy_pool, w);
        return;
      }
  };
  replace(cfg.copiers, true);
  replace(cfg.hashers, false);
}

}  // namespace d1
