// Datum batches: a job's pending datums to a hash worker (datum_hash, verify at level
// datum), each result applied through the kind's rules. Like hash batches: a byte budget
// of the datums' expected reads, the phase spread over the pool, results committed
// together, transient failures retried, a deadline per batch, and the answers of a
// cancelled job still recorded.
#include "actors/mobile/job_phases.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace d1 {

namespace {

// How many datums each batch takes: up to copy_batch_files, but the phase spread over
// every request the pool can hold, so a few large datums still hash in parallel.
size_t batch_limit(job_self self, const active_job& a) {
  auto& cfg = self->state.cfg_;
  size_t slots = cfg.hashers.size() * cfg.batches_per_copier;
  size_t spread = (a.job.files.size() + slots - 1) / slots;
  return std::max<size_t>(1, std::min<size_t>(cfg.copy_batch_files, spread));
}

// A datum batch as sent to worker `w`.
struct sent_datum_batch {
  uint64_t id = 0;
  size_t w = 0;
  uint64_t gen = 0;  // of worker w when sent
  std::vector<size_t> indices;  // the job files sent, in order
  std::vector<job_file> steps;  // as sent (root, datum id, expected bytes)
  job_record header;  // rules_view_of the job
};

// The answer to a datum batch (rs null: the worker failed with `err`): each step done or
// failed and its datum's statistics, committed together; the datums the worker did not
// get to are pending again.
void apply_datum_results(job_self self, const sent_datum_batch& sent,
                         const std::vector<datum_hash_result>* rs, const caf::error& err) {
  worker_done(self, false, sent.w, sent.gen);
  if (!rs)
    after_worker_error(self, false, sent.w, err);
  auto* a = find_active(self, sent.id);
  auto& rules = rules_for(sent.header.request);
  std::vector<catalogue_change> changes;
  std::vector<size_t> finished;
  auto now = now_ms();
  for (size_t k = 0; k < sent.indices.size(); ++k) {
    if (rs && k >= rs->size()) {
      // The worker stopped early (interrupted): pending again.
      if (a)
        a->cursor = std::min(a->cursor, sent.indices[k]);
      break;
    }
    if (!rs) {
      if (a && fail_step(self, *a, sent.indices[k], describe(err), is_worker_lost(err)))
        finished.push_back(sent.indices[k]);
      continue;
    }
    auto& r = (*rs)[k];
    if (r.state == datum_state::error && r.transient) {
      if (a && fail_step(self, *a, sent.indices[k], r.detail, true))
        finished.push_back(sent.indices[k]);
      continue;  // retried later (nothing recorded yet), or failed for good
    }
    if (auto s = rules.record_datum(sent.header, sent.steps[k], r, now))
      changes.push_back([s = std::move(*s)](catalogue_txn& txn) -> caf::error {
        txn.put_datum_stats(s);
        return {};
      });
    if (!a)
      continue;
    bool ok = r.state == datum_state::ok;
    set_step(*a, sent.indices[k], ok ? step_state::done : step_state::failed,
             ok                                        ? std::string{}
             : r.state == datum_state::hash_mismatch ? "hash_mismatch: " + r.detail
                                                       : "error: " + r.detail,
             sent.steps[k].size);
    finished.push_back(sent.indices[k]);
  }
  record_batch(self, sent.id, a, finished, std::move(changes));
}

}  // namespace

// Sends the next datums of a datum phase to hash worker `w` as one batch (copy_batch_bytes
// of expected reads at most, a larger datum alone). Datums a worker did not get to (the
// job was cancelled, the daemon stops) are pending again.
void launch_datum_batch(job_self self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto& rules = rules_for(job.request);
  auto limit = batch_limit(self, a);
  std::vector<datum_hash_request> reqs;
  std::vector<size_t> indices;
  std::vector<size_t> unreadable;  // nothing to read: failed at once
  uint64_t bytes = 0;
  while (a.cursor < job.files.size() && reqs.size() < limit) {
    auto i = a.cursor;
    auto& jf = job.files[i];
    if (jf.state != step_state::pending || a.waits_for_retry(i)) {
      ++a.cursor;
      continue;
    }
    if (!reqs.empty() && bytes + jf.size > st.cfg_.copy_batch_bytes)
      break;
    ++a.cursor;
    std::string why;
    auto dr = rules.datum_request_for(a, jf, why);
    if (!dr) {
      set_step(a, i, step_state::failed, why, 0);
      unreadable.push_back(i);
      continue;
    }
    dr->job_id = job.id;
    bytes += jf.size;
    reqs.push_back(std::move(*dr));
    indices.push_back(i);
  }
  if (!unreadable.empty())
    record_steps(self, a, unreadable, {});
  if (reqs.empty())
    return;
  ++st.hasher_load_[w];
  ++a.in_flight;
  auto gen = worker_generation(self, false, w);
  auto id = job.id;
  std::vector<job_file> steps;  // the steps as sent (root, datum id, expected bytes)
  for (auto i : indices)
    steps.push_back(job.files[i]);
  sent_datum_batch sent{id, w, gen, indices, steps, rules_view_of(job)};
  auto done = [self, sent](const std::vector<datum_hash_result>* rs, const caf::error& err) {
    apply_datum_results(self, sent, rs, err);
  };
  self->request(st.cfg_.hashers[w], worker_timeout(self, bytes), datum_atom::value,
                std::move(reqs))
    .then([done](const std::vector<datum_hash_result>& rs) { done(&rs, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

}  // namespace d1
