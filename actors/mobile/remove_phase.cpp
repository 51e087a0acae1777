// Removal batches (remove, and the second phase of move): each file goes to a copy worker
// with the other copies that make its deletion safe (its witnesses), to be re-checked
// there right before the deletion. A file another record still names, by path or by
// identity, is kept: only its record goes.
#include "actors/mobile/job_phases.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <set>

namespace d1 {

namespace {

// Up to this many other copies are sent with a file: the first that checks out suffices.
constexpr size_t max_witnesses = 4;

catalogue_change drop_of(const file_record& rec) {
  return [rec](catalogue_txn& txn) -> caf::error {
    auto left = txn.drop_file(rec);
    return left ? caf::error{} : std::move(left.error());
  };
}

// The other records that name `f`'s bytes: by path (another resource registered the same
// file) or by identity (the same file under another spelling: an alias root, a bind
// mount, a hard link). Returns a description of the first ("" if none), or the error.
caf::expected<std::string> other_references(catalogue_db& db, const file_record& f) {
  auto by_path = db.refs(f.abs_path);
  if (!by_path)
    return std::move(by_path.error());
  for (auto& r : by_path->refs)
    if (r.file_uid != f.file_uid)
      return "shared with resource " + r.resource_uid;
  if (f.stat.ino == 0)
    return std::string{};
  auto by_identity = db.refs_by_identity(f.stat);
  if (!by_identity)
    return std::move(by_identity.error());
  for (auto& r : by_identity->refs)
    if (!(r.file_uid == f.file_uid && r.resource_uid == f.resource_uid))
      return "the same file is recorded for resource " + r.resource_uid
             + " under another path (an alias)";
  return std::string{};
}

// The verified copies of `f` on other roots, this host's preferred first.
std::vector<remove_witness> witnesses_of(const active_job& a, const file_record& f,
                                         const std::vector<std::string>& roots) {
  std::vector<remove_witness> out;
  for (auto& root : roots) {
    if (root == f.root || out.size() >= max_witnesses)
      continue;
    auto w = a.lookup(root, f.rel_path);
    if (!w || w->state != file_state::ok || !w->exists || w->digest.empty()
        || w->digest != f.digest || w->algorithm != f.algorithm || same_file(w->stat, f.stat))
      continue;
    out.push_back(remove_witness{w->root, w->rel_path, w->algorithm, w->digest, w->stat});
  }
  return out;
}

// The roots of the resource's copies, this host's preference first.
std::vector<std::string> copy_roots(const active_job& a, const host_preferences& prefs) {
  std::vector<std::string> out;
  for (auto& c : copies_of(a.res, prefs))
    out.push_back(c.root);
  return out;
}

// The witness records that failed their re-check: their state as found.
catalogue_change witness_findings(const active_job& a, const remove_item& item,
                                  const std::vector<witness_finding>& findings, int64_t now) {
  std::vector<file_record> changed;
  for (auto& f : findings) {
    // A failure to look (state unknown: EIO…) says nothing about that copy.
    if (f.witness >= item.witnesses.size() || f.state == file_state::unknown)
      continue;
    auto& w = item.witnesses[f.witness];
    auto rec = a.lookup(w.root, w.rel_path);
    if (!rec)
      continue;
    auto r = *rec;
    r.state = f.state;
    r.exists = f.state != file_state::missing;
    r.verified_at = now;
    changed.push_back(std::move(r));
  }
  return [changed = std::move(changed)](catalogue_txn& txn) -> caf::error {
    for (auto& r : changed)
      txn.put_file(r);
    return {};
  };
}

// A removal batch as sent to worker `w`.
struct sent_remove_batch {
  uint64_t id = 0;
  size_t w = 0;
  uint64_t gen = 0;  // of worker w when sent
  std::vector<size_t> indices;  // the job files sent, in order
  std::vector<file_record> recs;  // the record of each file to delete
  std::vector<remove_item> items;  // as sent, with their witnesses
};

// The answer to a removal batch (rs null: the worker failed with `err`): each file's record
// dropped or its step failed, and the witnesses that did not check out, committed
// together; a cancelled one is pending again.
void apply_remove_results(job_self self, const sent_remove_batch& sent,
                          const std::vector<remove_outcome>* rs, const caf::error& err) {
  worker_done(self, true, sent.w, sent.gen);
  if (!rs)
    after_worker_error(self, true, sent.w, err);
  auto* a = find_active(self, sent.id);
  std::vector<catalogue_change> changes;
  std::vector<size_t> finished;
  auto now = now_ms();
  for (size_t k = 0; k < sent.indices.size(); ++k) {
    const remove_outcome* o = rs && k < rs->size() ? &(*rs)[k] : nullptr;
    if (o && !o->findings.empty() && a)
      changes.push_back(witness_findings(*a, sent.items[k], o->findings, now));
    auto e = o ? o->error
               : (err ? err : make_error(ec::io_error, "the copy worker gave no outcome"));
    if (!e) {
      changes.push_back(drop_of(sent.recs[k]));
      if (a) {
        set_step(*a, sent.indices[k], step_state::done, o->removed ? "" : "already gone",
                 sent.recs[k].size);
        finished.push_back(sent.indices[k]);
      }
      continue;
    }
    if (a && code_of(e) == ec::cancelled) {
      a->cursor = std::min(a->cursor, sent.indices[k]);  // not attempted: pending again
      continue;
    }
    if (a && fail_step(self, *a, sent.indices[k], describe(e),
                       o ? o->transient : is_worker_lost(err)))
      finished.push_back(sent.indices[k]);
  }
  record_batch(self, sent.id, a, finished, std::move(changes));
}

}  // namespace

// Sends the next files of a removal to copy worker `w` as one batch (all at one root).
void launch_remove_batch(job_self self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto& req = job.request;
  size_t slots = st.cfg_.copiers.size() * st.cfg_.batches_per_copier;
  auto limit = std::max<size_t>(
    1, std::min<size_t>(st.cfg_.copy_batch_files, (job.files.size() + slots - 1) / slots));
  // A move's removal is never the last copy: the copy it just made is its witness.
  bool force = req.kind == job_kind::remove && req.force_last;
  remove_batch_request br;
  br.job_id = job.id;
  br.recheck = st.cfg_.recheck;
  br.force_last = force;
  std::vector<size_t> indices;  // files sent to the worker
  std::vector<file_record> recs;
  std::vector<size_t> settled;  // files completed here (kept, skipped, failed)
  std::vector<catalogue_change> settled_changes;
  auto roots = copy_roots(a, st.cfg_.prefs);
  while (a.cursor < job.files.size() && indices.size() + settled.size() < limit) {
    auto i = a.cursor;
    auto& jf = job.files[i];
    if (jf.state != step_state::pending || a.waits_for_retry(i)) {
      ++a.cursor;
      continue;
    }
    if (!indices.empty() && jf.root != br.root)
      break;
    ++a.cursor;
    auto f = a.lookup(jf.root, jf.rel_path);
    if (!f) {
      set_step(a, i, step_state::skipped, "no record at " + jf.root, 0);
      settled.push_back(i);
      continue;
    }
    auto others = other_references(*st.cfg_.db, *f);
    if (!others) {
      // A reference record that does not decode stops the job: never guess.
      set_step(a, i, step_state::failed, describe(others.error()), 0);
      a.stop_dispatch = true;
      settled.push_back(i);
      continue;
    }
    if (!others->empty()) {  // another record names these bytes: keep them
      set_step(a, i, step_state::done, "kept: " + *others, 0);
      settled.push_back(i);
      settled_changes.push_back(drop_of(*f));
      continue;
    }
    br.root = jf.root;
    remove_item item{f->rel_path, f->algorithm, f->digest, f->stat, {}};
    if (!force)
      item.witnesses = witnesses_of(a, *f, roots);
    br.items.push_back(std::move(item));
    indices.push_back(i);
    recs.push_back(*f);
  }
  if (!settled.empty())
    record_steps(self, a, settled, std::move(settled_changes));
  if (indices.empty())
    return;
  uint64_t bytes = 0;
  if (st.cfg_.recheck == recheck_mode::hash)
    for (auto& r : recs)
      bytes += 2 * r.size;
  ++st.copier_load_[w];
  ++a.in_flight;
  auto gen = worker_generation(self, true, w);
  auto id = job.id;
  sent_remove_batch sent{id, w, gen, indices, recs, br.items};
  auto done = [self, sent](const std::vector<remove_outcome>* rs, const caf::error& err) {
    apply_remove_results(self, sent, rs, err);
  };
  self->request(st.cfg_.copiers[w], worker_timeout(self, bytes), remove_atom::value,
                std::move(br))
    .then([done](const std::vector<remove_outcome>& rs) { done(&rs, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

}  // namespace d1
