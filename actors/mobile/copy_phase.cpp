// Copy batches: a job's pending files to a copy worker, its outcomes back as file records
// at the destination (copy, and the first phase of move).
#include "actors/mobile/beneath.hpp"
#include "actors/mobile/job_phases.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace d1 {

namespace {

// The record of a file copied to `dst_root` from the source record `src`.
file_record copied_record(const file_record& src, const std::string& uid,
                          const std::string& dst_root, const copy_result& r, int64_t now) {
  file_record f = src;
  f.root = dst_root;
  f.abs_path = join_path(dst_root, f.rel_path);
  f.file_uid = make_file_uid(uid, dst_root, f.rel_path);
  f.size = r.size;
  f.digest = r.digest;
  f.exists = true;
  f.state = file_state::ok;
  f.verified_at = now;
  f.hashed_at = now;
  f.stat = r.stat;
  return f;
}

catalogue_change put_records(std::vector<file_record> records) {
  return [records = std::move(records)](catalogue_txn& txn) -> caf::error {
    for (auto& f : records)
      txn.put_file(f);
    return {};
  };
}

// A copy batch as sent to worker `w`.
struct sent_copy_batch {
  uint64_t id = 0;
  size_t w = 0;
  uint64_t gen = 0;  // of worker w when sent
  std::vector<size_t> indices;  // the job files sent, in order
  std::vector<file_record> srcs;  // the source record of each item
  std::string uid;
  std::string dst_root;
};

// The answer to a copy batch (r null: the worker failed with `err`): each step done, with
// the destination's record, or failed (a cancelled one pending again), committed together.
void apply_copy_results(job_self self, const sent_copy_batch& sent,
                        const copy_batch_result* r, const caf::error& err) {
  worker_done(self, true, sent.w, sent.gen);
  if (!r)
    after_worker_error(self, true, sent.w, err);
  auto* a = find_active(self, sent.id);
  std::vector<file_record> records;
  std::vector<size_t> finished;
  auto now = now_ms();
  for (size_t k = 0; k < sent.indices.size(); ++k) {
    const copy_outcome* o = r && k < r->outcomes.size() ? &r->outcomes[k] : nullptr;
    caf::error e = o ? o->error
                     : (err ? err
                            : make_error(ec::io_error, "the copy worker gave no outcome for "
                                                         + sent.srcs[k].rel_path));
    if (!e) {
      records.push_back(copied_record(sent.srcs[k], sent.uid, sent.dst_root, o->result, now));
      if (a) {
        set_step(*a, sent.indices[k], step_state::done, o->result.adopted ? "adopted" : "",
                 o->result.size);
        finished.push_back(sent.indices[k]);
      }
      continue;
    }
    if (!a)
      continue;
    if (code_of(e) == ec::cancelled) {
      // Not attempted (the daemon stops): pending again, nothing recorded.
      a->cursor = std::min(a->cursor, sent.indices[k]);
      continue;
    }
    if (is_out_of_space(e))
      a->stop_dispatch = true;
    // A worker lost on this batch (stuck, failed, gone) says nothing of its files: retry.
    bool transient = o ? o->transient : is_worker_lost(err);
    if (fail_step(self, *a, sent.indices[k], describe(e), transient))
      finished.push_back(sent.indices[k]);
  }
  std::vector<catalogue_change> changes;
  if (!records.empty())
    changes.push_back(put_records(std::move(records)));
  record_batch(self, sent.id, a, finished, std::move(changes));
}

}  // namespace

// Sends the next batch of pending files of copy job `a` to copy worker `w`: at most
// copy_batch_files files and copy_batch_bytes bytes (a larger file goes alone).
void launch_copy_batch(job_self self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto& req = job.request;
  auto& files = job.files;
  copy_batch_request br;
  br.job_id = job.id;
  br.src_root = req.src_root;
  br.dst_root = req.dst_root;
  br.clean_temporaries = a.resumed;
  std::vector<size_t> indices;
  std::vector<file_record> srcs;
  uint64_t bytes = 0;
  while (a.cursor < files.size() && indices.size() < st.cfg_.copy_batch_files
         && !a.stop_dispatch) {
    auto i = a.cursor;
    if (files[i].state != step_state::pending || a.waits_for_retry(i)) {
      ++a.cursor;
      continue;
    }
    auto src = a.lookup(req.src_root, files[i].rel_path);
    if (!src || src->digest.empty()) {
      ++a.cursor;
      set_step(a, i, step_state::failed,
               "no verified record of " + files[i].rel_path + " at " + req.src_root, 0);
      record_steps(self, a, {i}, {});
      continue;
    }
    if (!indices.empty()
        && (bytes + src->size > st.cfg_.copy_batch_bytes || src->algorithm != br.algorithm))
      break;
    if (indices.empty())
      br.algorithm = src->algorithm;
    br.items.push_back(copy_item{src->rel_path, src->digest, src->size});
    indices.push_back(i);
    srcs.push_back(*src);
    bytes += src->size;
    ++a.cursor;
  }
  if (indices.empty())
    return;
  ++st.copier_load_[w];
  ++a.in_flight;
  auto gen = worker_generation(self, true, w);
  auto id = job.id;
  sent_copy_batch sent{id, w, gen, indices, srcs, req.uid, req.dst_root};
  auto done = [self, sent](const copy_batch_result* r, const caf::error& err) {
    apply_copy_results(self, sent, r, err);
  };
  self->request(st.cfg_.copiers[w], worker_timeout(self, bytes), copy_batch_atom::value,
                std::move(br))
    .then([done](const copy_batch_result& r) { done(&r, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

}  // namespace d1
