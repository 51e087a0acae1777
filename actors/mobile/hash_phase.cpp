// Hash batches: a job's pending files to a hash worker (register, verify, scrub,
// change_root), each result applied through the kind's rules.
#include "actors/mobile/job_phases.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace d1 {

namespace {

// How many files each batch of a hash phase takes: up to copy_batch_files, but the phase
// spread over every request the pool can hold, so a few large files still hash in
// parallel.
size_t batch_limit(job_self self, const active_job& a) {
  auto& cfg = self->state.cfg_;
  size_t slots = cfg.hashers.size() * cfg.batches_per_copier;
  size_t spread = (a.job.files.size() + slots - 1) / slots;
  return std::max<size_t>(1, std::min<size_t>(cfg.copy_batch_files, spread));
}

// A hash batch as sent to worker `w`.
struct sent_hash_batch {
  uint64_t id = 0;
  size_t w = 0;
  uint64_t gen = 0;  // of worker w when sent
  std::vector<size_t> indices;  // the job files sent, in order
  std::vector<file_record> recs;  // the record each result updates
  job_record header;  // rules_view_of the job
};

// The answer to a hash batch (rs null: the worker failed with `err`): each step done or
// failed and its record's new check, committed together; the files the worker did not
// get to are pending again.
void apply_hash_results(job_self self, const sent_hash_batch& sent,
                        const std::vector<hash_result>* rs, const caf::error& err) {
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
      // The worker stopped at its byte budget (or was interrupted): pending again.
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
    if (r.state == file_state::error && r.transient) {
      if (a && fail_step(self, *a, sent.indices[k], r.detail, true))
        finished.push_back(sent.indices[k]);
      continue;  // retried later (nothing recorded yet), or failed for good
    }
    if (auto f = rules.record_hash(sent.header, sent.recs[k], r, now))
      changes.push_back([f = std::move(*f)](catalogue_txn& txn) -> caf::error {
        txn.put_file(f);
        return {};
      });
    if (!a)
      continue;
    bool ok = rules.step_ok(a->job, r);
    auto& jf = a->job.files[sent.indices[k]];
    if (ok && jf.size == 0 && r.size != 0) {  // learnt (registration): for the next phase
      jf.size = r.size;
      a->job.progress.bytes_total += r.size;
    }
    set_step(*a, sent.indices[k], ok ? step_state::done : step_state::failed,
             ok ? "" : std::string{to_string(r.state)} + ": " + r.detail,
             r.digest.empty() ? 0 : r.size);
    finished.push_back(sent.indices[k]);
    if (ok && r.stat.ino != 0)
      a->seen[sent.indices[k]] = r.stat;
  }
  record_batch(self, sent.id, a, finished, std::move(changes));
}

}  // namespace

// Sends the next files of a hash phase to hash worker `w` as one batch (copy_batch_bytes
// of recorded sizes at most, a larger file alone); their results are committed together.
// The files a worker did not get to (it stops at the batch's bytes, which registration
// cannot know beforehand) are pending again.
void launch_hash_batch(job_self self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto& rules = rules_for(job.request);
  auto limit = batch_limit(self, a);
  std::vector<hash_request> reqs;
  std::vector<size_t> indices;
  std::vector<file_record> recs;
  std::vector<size_t> unknown;  // nothing to check: failed at once
  uint64_t bytes = 0;           // recorded sizes (0 before registration hashes them)
  while (a.cursor < job.files.size() && reqs.size() < limit) {
    auto i = a.cursor;
    auto& jf = job.files[i];
    if (jf.state != step_state::pending || a.waits_for_retry(i)) {
      ++a.cursor;
      continue;
    }
    std::string why;
    auto hr = rules.hash_request_for(a, jf, why);
    if (hr && !reqs.empty() && bytes + hr->expected_size > st.cfg_.copy_batch_bytes)
      break;
    ++a.cursor;
    if (!hr) {
      set_step(a, i, step_state::failed, why, 0);
      unknown.push_back(i);
      continue;
    }
    hr->job_id = job.id;
    bytes += hr->expected_size;
    // The record the result updates: the file's own (the request's root and path).
    auto rec = a.lookup(jf.root, jf.rel_path);
    recs.push_back(rec ? *rec : file_record{});
    reqs.push_back(std::move(*hr));
    indices.push_back(i);
  }
  if (!unknown.empty())
    record_steps(self, a, unknown, {});
  if (reqs.empty())
    return;
  if (rules.paced()) {
    auto rate = std::max<uint64_t>(st.cfg_.scrub_rate, 1);
    auto now = self->clock().now();
    a.paced_until = std::max(a.paced_until, now)
                    + std::chrono::microseconds(bytes * 1000000 / rate);
  }
  ++st.hasher_load_[w];
  ++a.in_flight;
  auto gen = worker_generation(self, false, w);
  auto id = job.id;
  sent_hash_batch sent{id, w, gen, indices, recs, rules_view_of(job)};
  auto done = [self, sent](const std::vector<hash_result>* rs, const caf::error& err) {
    apply_hash_results(self, sent, rs, err);
  };
  // Registration does not know the sizes yet: the worker keeps to the batch's bytes.
  self->request(st.cfg_.hashers[w], worker_timeout(self, bytes), hash_atom::value,
                std::move(reqs), st.cfg_.copy_batch_bytes)
    .then([done](const std::vector<hash_result>& rs) { done(&rs, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

}  // namespace d1
