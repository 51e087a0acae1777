// The job state machine. A job is queued → running → done | failed | cancelled. Each
// file's outcome (a copy batch's outcomes together) and its catalogue change are
// committed in one transaction with the job's checkpoint, so after a crash the catalogue
// and the checkpoint agree and the job resumes with the files still pending.
#include "actors/mobile/job_manager.hpp"

#include "actors/mobile/file_ops.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

namespace d1 {

namespace {

using self_ptr = job_manager_actor::stateful_pointer<job_manager_state>;

bool terminal(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled;
}

// The file records of `d` on `root`, by rel_path (a resource may have 10k files on
// several roots: a linear search per file would be quadratic).
std::unordered_map<std::string, const file_record*> files_at(const resource_detail& d,
                                                             const std::string& root) {
  std::unordered_map<std::string, const file_record*> out;
  for (auto& f : d.files)
    if (f.root == root)
      out[f.rel_path] = &f;
  return out;
}

const file_record* find_in(const std::unordered_map<std::string, const file_record*>& files,
                           const std::string& rel) {
  auto i = files.find(rel);
  return i == files.end() ? nullptr : i->second;
}

bool has_copy_at(const resource_detail& d, const std::string& root) {
  return std::any_of(d.files.begin(), d.files.end(),
                     [&](const file_record& f) { return f.root == root; });
}

bool verified_at(const resource_detail& d, const std::string& root,
                 const host_preferences& prefs) {
  for (auto& c : copies_of(d, prefs))
    if (c.root == root)
      return c.verified;
  return false;
}

// Another verified copy than `root`?
bool other_verified_copy(const resource_detail& d, const std::string& root,
                         const host_preferences& prefs) {
  for (auto& c : copies_of(d, prefs))
    if (c.root != root && c.verified)
      return true;
  return false;
}

caf::error bad(const std::string& what) {
  return make_error(ec::invalid_argument, what);
}

// Removing the copy at r.src_root would leave no verified copy and r.force_last is unset.
caf::error last_copy_refusal(const job_request& r) {
  return make_error(ec::refused, "refusing to remove the last verified copy of '" + r.uid
                                   + "' (at " + r.src_root + "); use force_last");
}

std::string command_of(job_kind k) {
  return k == job_kind::register_hash ? "register" : to_string(k);
}

std::string kwargs_of(const job_request& r) {
  nlohmann::json j;
  j["src_root"] = r.src_root;
  j["dst_root"] = r.dst_root;
  if (r.kind == job_kind::verify)
    j["level"] = to_string(r.level);
  if (r.kind == job_kind::remove)
    j["force_last"] = r.force_last;
  j["dry_run"] = r.dry_run;
  return j.dump();
}

// The files other than `f` that name its path.
std::vector<file_ref> others_on_path(const path_refs& refs, const file_record& f) {
  std::vector<file_ref> out;
  for (auto& r : refs.refs)
    if (r.file_uid != f.file_uid)
      out.push_back(r);
  return out;
}

// Files of a job in a stable order a person can follow: by root, then path.
void sort_files(std::vector<job_file>& files) {
  std::sort(files.begin(), files.end(), [](const job_file& a, const job_file& b) {
    return std::tie(a.root, a.rel_path) < std::tie(b.root, b.rel_path);
  });
}

// The checkpoint of the removal of the copy at `root`.
std::vector<job_file> removal_files(const resource_detail& d, const std::string& root) {
  std::vector<job_file> out;
  for (auto& f : d.files)
    if (f.root == root)
      out.push_back(job_file{root, f.rel_path, f.size, step_state::pending, {}});
  sort_files(out);
  return out;
}

// Checks a submission and completes it (roots normalised, source chosen). Returns the
// resource, or the refusal.
caf::expected<resource_detail> check_request(self_ptr self, job_request& req) {
  auto& st = self->state;
  auto detail = st.cfg_.db->get_resource(req.uid);
  if (!detail)
    return detail;
  auto norm = [](std::string& root, const char* what) -> caf::error {
    auto r = normalize_root(root);
    if (!r)
      return bad(std::string{what} + ": " + context_of(r.error()));
    root = *r;
    return {};
  };
  switch (req.kind) {
    case job_kind::copy:
    case job_kind::move: {
      if (req.dst_root.empty())
        return bad("a destination root is required");
      if (auto err = norm(req.dst_root, "destination root"))
        return err;
      if (req.src_root.empty()) {
        req.src_root = preferred_verified_root(*detail, st.cfg_.prefs);
        if (req.src_root.empty())
          return bad("resource '" + req.uid + "' has no verified copy to copy from");
      } else {
        if (auto err = norm(req.src_root, "source root"))
          return err;
        if (!verified_at(*detail, req.src_root, st.cfg_.prefs))
          return bad("resource '" + req.uid + "' has no verified copy at " + req.src_root);
      }
      if (req.src_root == req.dst_root)
        return bad("source and destination are the same root " + req.src_root);
      break;
    }
    case job_kind::remove: {
      if (req.src_root.empty())
        return bad("the root of the copy to remove is required");
      if (auto err = norm(req.src_root, "root"))
        return err;
      if (!has_copy_at(*detail, req.src_root))
        return make_error(ec::not_found,
                          "resource '" + req.uid + "' has no copy at " + req.src_root);
      if (!req.force_last && !other_verified_copy(*detail, req.src_root, st.cfg_.prefs))
        return last_copy_refusal(req);
      break;
    }
    case job_kind::change_root: {
      if (req.dst_root.empty())
        return bad("the new root is required");
      if (auto err = norm(req.dst_root, "new root"))
        return err;
      if (req.src_root.empty()) {
        std::vector<std::string> roots;
        for (auto& c : copies_of(*detail, st.cfg_.prefs))
          roots.push_back(c.root);
        if (roots.size() != 1)
          return bad("resource '" + req.uid + "' has " + std::to_string(roots.size())
                     + " copies: name the old root");
        req.src_root = roots.front();
      } else if (auto err = norm(req.src_root, "old root")) {
        return err;
      }
      if (!has_copy_at(*detail, req.src_root))
        return make_error(ec::not_found,
                          "resource '" + req.uid + "' has no copy at " + req.src_root);
      if (req.src_root == req.dst_root)
        return bad("old and new root are the same");
      auto at_src = files_at(*detail, req.src_root);
      for (auto& rel : detail->rel_paths) {
        auto f = find_in(at_src, rel);
        if (!f || f->digest.empty())
          return bad("file " + rel + " has no recorded hash at " + req.src_root
                     + ": change_root needs one to check the new location");
      }
      break;
    }
    case job_kind::verify: {
      if (!req.src_root.empty()) {
        if (auto err = norm(req.src_root, "root"))
          return err;
        if (!has_copy_at(*detail, req.src_root))
          return make_error(ec::not_found,
                            "resource '" + req.uid + "' has no copy at " + req.src_root);
      }
      break;
    }
    case job_kind::register_hash:
      return bad("register_hash jobs are queued by register");
  }
  return detail;
}

// The per-file checkpoint of phase 0 of a job.
std::vector<job_file> initial_files(const job_request& req, const resource_detail& d) {
  std::vector<job_file> out;
  switch (req.kind) {
    case job_kind::register_hash:
      for (auto& rel : d.rel_paths)
        out.push_back(job_file{d.resource.root, rel, 0, step_state::pending, {}});
      break;
    case job_kind::copy:
    case job_kind::move:
    case job_kind::change_root: {
      auto at_src = files_at(d, req.src_root);
      for (auto& rel : d.rel_paths) {
        auto f = find_in(at_src, rel);
        out.push_back(job_file{req.kind == job_kind::change_root ? req.dst_root : req.src_root,
                               rel, f ? f->size : 0, step_state::pending, {}});
      }
      break;
    }
    case job_kind::remove:
      out = removal_files(d, req.src_root);
      break;
    case job_kind::verify:
      for (auto& f : d.files)
        if (req.src_root.empty() || f.root == req.src_root)
          out.push_back(job_file{f.root, f.rel_path, f.size, step_state::pending, {}});
      sort_files(out);
      break;
  }
  return out;
}

std::vector<plan_step> make_plan(self_ptr self, const job_request& req,
                                 const resource_detail& d) {
  std::vector<plan_step> plan;
  if (req.kind == job_kind::copy || req.kind == job_kind::move) {
    auto at_src = files_at(d, req.src_root);
    for (auto& rel : d.rel_paths) {
      auto f = find_in(at_src, rel);
      plan.push_back(plan_step{"copy", join_path(req.src_root, rel),
                               join_path(req.dst_root, rel), f ? f->size : 0, {}});
    }
  }
  if (req.kind == job_kind::remove || req.kind == job_kind::move) {
    for (auto& f : d.files) {
      if (f.root != req.src_root)
        continue;
      auto refs = self->state.cfg_.db->refs(f.abs_path);
      auto others = refs ? others_on_path(*refs, f) : std::vector<file_ref>{};
      if (others.empty())
        plan.push_back(plan_step{"delete", f.abs_path, {}, f.size, {}});
      else
        plan.push_back(plan_step{"keep", f.abs_path, {}, f.size,
                                 "shared with resource " + others.front().resource_uid});
    }
  }
  return plan;
}

void start_next(self_ptr self);
void dispatch(self_ptr self, uint64_t id);
void dispatch_all(self_ptr self);
// Sends job `a`'s pending files to free workers up to its share of its pool, in batches.
// Never ends a phase or the job (dispatch does): a batch's reply calls it before its
// commit, so the workers have the next batches while the catalogue syncs.
void launch_batches(self_ptr self, active_job& a);
void commit_uncommitted(self_ptr self, active_job& a);

active_job* find_active(self_ptr self, uint64_t id) {
  auto& active = self->state.active_;
  auto i = active.find(id);
  return i == active.end() ? nullptr : &i->second;
}

// The job as stored, or as it ended if the catalogue could not store that.
caf::expected<job_record> get_stored(self_ptr self, uint64_t id) {
  auto& st = self->state;
  if (auto i = st.unrecorded_.find(id); i != st.unrecorded_.end())
    return i->second;
  return st.cfg_.db->get_job(id);
}

std::string index_key(const std::string& root, const std::string& rel) {
  return root + '\n' + rel;
}

void index_files(active_job& a) {
  a.file_index.clear();
  for (size_t i = 0; i < a.res.files.size(); ++i)
    a.file_index[index_key(a.res.files[i].root, a.res.files[i].rel_path)] = i;
}

// find_file through the job's index (a job may have 10k files).
const file_record* lookup(const active_job& a, const std::string& root, const std::string& rel) {
  auto i = a.file_index.find(index_key(root, rel));
  return i == a.file_index.end() ? nullptr : &a.res.files[i->second];
}

// What a job touches: its resource and every absolute path it reads, writes or deletes.
// Two jobs run at once only if these are disjoint.
std::set<std::string> footprint_of(const job_record& j) {
  std::set<std::string> out;
  out.insert("uid:" + j.request.uid);
  auto& r = j.request;
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
  // Moved out and back: the files are never copied.
  auto files = std::move(job.files);
  job_record out = job;
  job.files = std::move(files);
  return out;
}

void reply_waiters(self_ptr self, const job_record& job) {
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

// Ends running job `id`; `extra` adds the catalogue change that completes it (history,
// change_root's records) to the same transaction.
void finish(self_ptr self, uint64_t id, job_state state, std::string error,
            const std::function<caf::error(catalogue_txn&)>& extra = {}) {
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
    error = "could not record the outcomes of " + std::to_string(a->unsaved.size() - unsaved_before)
            + " files: " + job.files[a->unsaved.back()].detail;
  }
  job.state = state;
  job.error = std::move(error);
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
    auto again = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
      txn.put_job(job);
      if (job.journal_seq != 0)
        return txn.end_journal(job.journal_seq, false, job.error, job.id);
      return {};
    });
    if (again)
      st.unrecorded_[id] = job;
  }
  auto done = std::move(job);
  st.active_.erase(id);
  reply_waiters(self, done);
  start_next(self);
  // The pools' shares grew: let the others use them.
  dispatch_all(self);
}

// Commits the job's uncommitted outcomes (set by set_step) and their catalogue changes in
// ONE transaction with their checkpoints. If the commit fails, those files count as
// failed and the job stops dispatching. Nothing to commit: nothing happens.
void commit_uncommitted(self_ptr self, active_job& a) {
  if (a.uncommitted.empty() && a.uncommitted_changes.empty())
    return;
  auto indices = std::move(a.uncommitted);
  auto changes = std::move(a.uncommitted_changes);
  a.uncommitted.clear();
  a.uncommitted_changes.clear();
  a.uncommitted_bytes = 0;
  auto& job = a.job;
  update_rate(a);
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
      jf.state = step_state::failed;
      jf.detail = "catalogue: " + describe(err);
      ++job.progress.files_failed;
    }
    a.unsaved.push_back(index);
  }
  a.stop_dispatch = true;
}

// Adds the outcomes of files `indices` (set by set_step) and their catalogue changes
// (`changes` may be empty) to the job's uncommitted ones, and commits them all when due:
// enough files or bytes, the oldest old enough, or nothing of the job left at the
// workers (so a phase never ends with outcomes uncommitted).
void record_steps(self_ptr self, active_job& a, const std::vector<size_t>& indices,
                  std::vector<std::function<caf::error(catalogue_txn&)>> changes) {
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
    commit_uncommitted(self, a);
}

// Sets the outcome of file `index` in the job's memory (committed by record_steps).
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

// Applies the outcomes of one copy batch (files `indices`, sources `srcs`) to the job in
// memory (set_step; a full disk stops dispatching) and returns the new file records that
// record_batch must store with the batch's checkpoints. `r` is the worker's reply, or
// null if the whole request failed with `err`.
std::vector<file_record> apply_batch(active_job& a, const std::vector<size_t>& indices,
                                     const std::vector<file_record>& srcs,
                                     const copy_batch_result* r, const caf::error& err) {
  auto& job = a.job;
  auto& req = job.request;
  std::vector<file_record> records;
  records.reserve(indices.size());
  auto now = now_ms();
  for (size_t k = 0; k < indices.size(); ++k) {
    auto& jf = job.files[indices[k]];
    const copy_outcome* o = r && k < r->outcomes.size() ? &r->outcomes[k] : nullptr;
    caf::error e = o ? o->error
                     : (err ? err
                            : make_error(ec::io_error, "the copy worker gave no outcome for "
                                                         + jf.rel_path));
    if (e) {
      set_step(a, indices[k], step_state::failed, describe(e), 0);
      if (is_out_of_space(e))
        a.stop_dispatch = true;
      continue;
    }
    file_record f = srcs[k];
    f.root = req.dst_root;
    f.abs_path = join_path(req.dst_root, f.rel_path);
    f.file_uid = make_file_uid(req.uid, req.dst_root, f.rel_path);
    f.size = o->result.size;
    f.digest = o->result.digest;
    f.exists = true;
    f.state = file_state::ok;
    f.verified_at = now;
    records.push_back(std::move(f));
    set_step(a, indices[k], step_state::done, o->result.adopted ? "adopted" : "",
             o->result.size);
  }
  return records;
}

// Records (record_steps) the checkpoints of all the batch's files with the file records
// apply_batch returned.
void record_batch(self_ptr self, active_job& a, const std::vector<size_t>& indices,
                  std::vector<file_record> records) {
  std::vector<std::function<caf::error(catalogue_txn&)>> changes;
  changes.push_back([records = std::move(records)](catalogue_txn& txn) -> caf::error {
    for (auto& f : records)
      txn.put_file(f);
    return {};
  });
  record_steps(self, a, indices, std::move(changes));
}

std::string first_failure(const job_record& job, size_t& failed) {
  failed = 0;
  std::string first;
  for (auto& f : job.files) {
    if (f.state == step_state::failed || f.state == step_state::pending) {
      if (failed++ == 0)
        first = f.detail.empty() ? join_path(f.root, f.rel_path) + ": not done" : f.detail;
    }
  }
  return first;
}

history_entry make_history(const job_record& job, const char* action, const std::string& from,
                           const std::string& to) {
  history_entry h;
  h.resource_uid = job.request.uid;
  h.time = now_ms();
  h.action = action;
  h.from_root = from;
  h.to_root = to;
  h.job_id = job.id;
  h.files = static_cast<uint32_t>(job.files.size());
  return h;
}

void finish_phase(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto* a = find_active(self, id);
  if (!a)
    return;
  commit_uncommitted(self, *a);  // a no-op but after a fault: see finish()
  auto& job = a->job;
  auto& req = job.request;
  size_t failed = 0;
  auto first = first_failure(job, failed);
  auto summary = [&](const std::string& what) {
    return std::to_string(failed) + " of " + std::to_string(job.files.size()) + " files "
           + what + "; first: " + first;
  };
  switch (req.kind) {
    case job_kind::register_hash:
      if (failed)
        return finish(self, id, job_state::failed,
                      summary("could not be hashed or did not match"));
      return finish(self, id, job_state::done, {});
    case job_kind::copy:
      if (failed)
        return finish(self, id, job_state::failed, summary("not copied"));
      return finish(self, id, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        txn.add_history(make_history(job, "copy", req.src_root, req.dst_root));
        return {};
      });
    case job_kind::move:
      if (failed)
        return finish(self, id, job_state::failed,
                      summary(job.phase == 0 ? "not copied (the source is kept)"
                                             : "not removed from the source"));
      if (job.phase == 0) {
        // Every file is now verified (and committed) at the destination: remove the
        // source copy.
        auto detail = st.cfg_.db->get_resource(req.uid);
        if (!detail)
          return finish(self, id, job_state::failed, describe(detail.error()));
        a->res = std::move(*detail);
        index_files(*a);
        job.phase = 1;
        job.files = removal_files(a->res, req.src_root);
        job.progress.files_done = 0;
        job.progress.files_failed = 0;
        job.progress.files_total = job.files.size();
        auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
          txn.put_job(job);
          return {};
        });
        if (err)
          return finish(self, id, job_state::failed, describe(err));
        a->cursor = 0;
        return dispatch(self, id);
      }
      return finish(self, id, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        txn.add_history(make_history(job, "move", req.src_root, req.dst_root));
        return {};
      });
    case job_kind::remove:
      return finish(self, id, failed ? job_state::failed : job_state::done,
                    failed ? summary("not removed") : std::string{},
                    [&](catalogue_txn& txn) -> caf::error {
                      txn.add_history(make_history(job, "remove", req.src_root, {}));
                      return {};
                    });
    case job_kind::change_root: {
      if (failed)
        return finish(self, id, job_state::failed,
                      summary("do not match at " + req.dst_root + " (nothing changed)"));
      return finish(self, id, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        auto now = now_ms();
        for (auto& rel : a->res.rel_paths) {
          auto old = lookup(*a, req.src_root, rel);
          if (!old)
            return make_error(ec::not_found, "file " + rel + " at " + req.src_root);
          if (auto left = txn.drop_file(*old); !left)
            return std::move(left.error());
          file_record f = *old;
          f.root = req.dst_root;
          f.abs_path = join_path(req.dst_root, rel);
          f.file_uid = make_file_uid(req.uid, req.dst_root, rel);
          f.exists = true;
          f.state = file_state::ok;
          f.verified_at = now;
          txn.put_file(f);
        }
        if (a->res.resource.root == req.src_root) {
          auto r = a->res.resource;
          r.root = req.dst_root;
          txn.put_resource(r);
        }
        txn.add_history(make_history(job, "change_root", req.src_root, req.dst_root));
        return {};
      });
    }
    case job_kind::verify:
      if (failed)
        return finish(self, id, job_state::failed, summary("do not match"));
      return finish(self, id, job_state::done, {});
  }
}

// Does this job's current phase use the copy workers (else the hash workers)?
bool on_copiers(const active_job& a) {
  auto k = a.job.request.kind;
  return k == job_kind::copy || k == job_kind::move || k == job_kind::remove;
}

// Is this job's current phase a copy (in batches)?
bool copying(const active_job& a) {
  auto k = a.job.request.kind;
  return (k == job_kind::copy || k == job_kind::move) && a.job.phase == 0;
}

// How many requests job `a` may have at workers: its fair share of its pool among the
// running jobs that still dispatch to that pool.
size_t share(self_ptr self, const active_job& a) {
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

// Sends the next batch of pending files of copy job `a` to copy worker `w`: at most
// copy_batch_files files and copy_batch_bytes bytes (a larger file goes alone).
void launch_batch(self_ptr self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto& req = job.request;
  auto& files = job.files;
  copy_batch_request br;
  br.src_root = req.src_root;
  br.dst_root = req.dst_root;
  std::vector<size_t> indices;
  std::vector<file_record> srcs;
  uint64_t bytes = 0;
  while (a.cursor < files.size() && indices.size() < st.cfg_.copy_batch_files
         && !a.stop_dispatch) {
    auto i = a.cursor;
    if (files[i].state != step_state::pending) {
      ++a.cursor;
      continue;
    }
    auto src = lookup(a, req.src_root, files[i].rel_path);
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
  auto id = job.id;
  auto done = [self, id, w, indices, srcs](const copy_batch_result* r, const caf::error& err) {
    --self->state.copier_load_[w];
    if (auto* a = find_active(self, id)) {
      --a->in_flight;
      auto records = apply_batch(*a, indices, srcs, r, err);
      // The next batches go out before this one's commit (two syncs of the catalogue):
      // the workers copy while it syncs. Its files are on disk already; a crash before
      // the commit leaves them pending, and the resumed job adopts them.
      launch_batches(self, *a);
      record_batch(self, *a, indices, std::move(records));
    }
    dispatch_all(self);
  };
  self->request(st.cfg_.copiers[w], caf::infinite, copy_batch_atom::value, std::move(br))
    .then([done](const copy_batch_result& r) { done(&r, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

// Is this job's current phase a removal (remove, or the second phase of move)?
bool removing(const active_job& a) {
  auto k = a.job.request.kind;
  return k == job_kind::remove || (k == job_kind::move && a.job.phase == 1);
}

// How many files each batch of a hash or remove phase takes: up to copy_batch_files, but
// the phase spread over every request the pool can hold, so a few large files still hash
// in parallel.
size_t batch_limit(self_ptr self, const active_job& a, size_t pool) {
  auto& cfg = self->state.cfg_;
  size_t slots = pool * cfg.batches_per_copier;
  size_t spread = (a.job.files.size() + slots - 1) / slots;
  return std::max<size_t>(1, std::min<size_t>(cfg.copy_batch_files, spread));
}

// Sends the next files of a register_hash, verify or change_root job to hash worker `w`
// as one batch (copy_batch_bytes of recorded sizes at most, a larger file alone); their
// results are committed together. The files a worker did not get to (it stops at the
// batch's bytes, which registration cannot know beforehand) are pending again.
void launch_hash_batch(self_ptr self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto& req = job.request;
  auto limit = batch_limit(self, a, st.cfg_.hashers.size());
  bool registering = req.kind == job_kind::register_hash;
  bool moving_root = req.kind == job_kind::change_root;
  std::vector<hash_request> reqs;
  std::vector<size_t> indices;
  std::vector<file_record> recs;
  std::vector<size_t> unknown;  // no record to check: failed at once
  uint64_t bytes = 0;            // recorded sizes (0 before registration hashes them)
  while (a.cursor < job.files.size() && reqs.size() < limit) {
    auto i = a.cursor;
    auto& jf = job.files[i];
    if (jf.state != step_state::pending) {
      ++a.cursor;
      continue;
    }
    auto f = moving_root ? lookup(a, req.src_root, jf.rel_path) : lookup(a, jf.root, jf.rel_path);
    if (f && !reqs.empty() && bytes + f->size > st.cfg_.copy_batch_bytes)
      break;
    ++a.cursor;
    if (!f) {
      set_step(a, i, step_state::failed,
               "no record of " + jf.rel_path + " at " + (moving_root ? req.src_root : jf.root),
               0);
      unknown.push_back(i);
      continue;
    }
    hash_request hr;
    hr.algorithm = f->algorithm;
    if (moving_root) {
      hr.root = req.dst_root;
      hr.rel_path = jf.rel_path;
      hr.level = check_level::hash;
      hr.has_expected = true;
      hr.expected_size = f->size;
      hr.expected_digest = f->digest;
    } else {
      hr.root = f->root;
      hr.rel_path = f->rel_path;
      hr.level = registering ? check_level::hash : req.level;
      hr.has_expected = !registering && !f->digest.empty();
      hr.expected_size = f->size;
      hr.expected_digest = registering ? f->expected_digest : f->digest;
    }
    reqs.push_back(std::move(hr));
    indices.push_back(i);
    recs.push_back(*f);
    bytes += f->size;
  }
  if (!unknown.empty())
    record_steps(self, a, unknown, {});
  if (reqs.empty())
    return;
  ++st.hasher_load_[w];
  ++a.in_flight;
  auto id = job.id;
  auto done = [self, id, w, indices, recs, registering,
               moving_root](const std::vector<hash_result>* rs, const caf::error& err) {
    --self->state.hasher_load_[w];
    auto* a = find_active(self, id);
    if (a) {
      --a->in_flight;
      std::vector<std::function<caf::error(catalogue_txn&)>> changes;
      std::vector<size_t> attempted;
      auto now = now_ms();
      for (size_t k = 0; k < indices.size(); ++k) {
        if (rs && k >= rs->size()) {
          // The worker stopped at its byte budget: the rest is pending again.
          a->cursor = std::min(a->cursor, indices[k]);
          break;
        }
        attempted.push_back(indices[k]);
        if (!rs) {
          set_step(*a, indices[k], step_state::failed, describe(err), 0);
          continue;
        }
        auto& r = (*rs)[k];
        bool ok = r.state == file_state::ok;
        set_step(*a, indices[k], ok ? step_state::done : step_state::failed,
                 ok ? "" : std::string{to_string(r.state)} + ": " + r.detail, r.size);
        if (moving_root)
          continue;  // change_root records the new location when every file matched
        auto f = recs[k];
        f.exists = r.state != file_state::missing;
        f.state = r.state;
        f.verified_at = now;
        if (registering) {
          f.size = r.size;
          f.digest = r.digest;
        }
        changes.push_back([f](catalogue_txn& txn) -> caf::error {
          txn.put_file(f);
          return {};
        });
      }
      launch_batches(self, *a);  // the workers hash while the catalogue syncs
      record_steps(self, *a, attempted, std::move(changes));
    }
    dispatch_all(self);
  };
  // Registration does not know the sizes yet: the worker keeps to the batch's bytes.
  self->request(st.cfg_.hashers[w], caf::infinite, hash_atom::value, std::move(reqs),
                st.cfg_.copy_batch_bytes)
    .then([done](const std::vector<hash_result>& rs) { done(&rs, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

// Sends the next files of a removal to copy worker `w` as one batch (all at one root).
// A file another resource's live copy names is kept (only its record is dropped); the
// records of removed files are dropped with the checkpoints in one transaction.
void launch_remove_batch(self_ptr self, active_job& a, size_t w) {
  auto& st = self->state;
  auto& job = a.job;
  auto limit = batch_limit(self, a, st.cfg_.copiers.size());
  std::string root;
  std::vector<std::string> rels;
  std::vector<size_t> indices;   // files sent to the worker
  std::vector<file_record> recs;
  std::vector<size_t> settled;   // files completed here (kept, skipped, failed)
  std::vector<std::function<caf::error(catalogue_txn&)>> settled_changes;
  auto drop_of = [](const file_record& rec) {
    return [rec](catalogue_txn& txn) -> caf::error {
      auto left = txn.drop_file(rec);
      return left ? caf::error{} : std::move(left.error());
    };
  };
  while (a.cursor < job.files.size() && rels.size() + settled.size() < limit) {
    auto i = a.cursor;
    auto& jf = job.files[i];
    if (jf.state != step_state::pending) {
      ++a.cursor;
      continue;
    }
    if (!rels.empty() && jf.root != root)
      break;
    ++a.cursor;
    auto f = lookup(a, jf.root, jf.rel_path);
    if (!f) {
      set_step(a, i, step_state::skipped, "no record at " + jf.root, 0);
      settled.push_back(i);
      continue;
    }
    auto refs = st.cfg_.db->refs(f->abs_path);
    if (!refs) {
      set_step(a, i, step_state::failed, describe(refs.error()), 0);
      settled.push_back(i);
      continue;
    }
    auto others = others_on_path(*refs, *f);
    if (!others.empty()) {  // another resource's copy names this file: keep the bytes
      set_step(a, i, step_state::done, "kept: shared with resource " + others.front().resource_uid,
               0);
      settled.push_back(i);
      settled_changes.push_back(drop_of(*f));
      continue;
    }
    root = jf.root;
    rels.push_back(f->rel_path);
    indices.push_back(i);
    recs.push_back(*f);
  }
  if (!settled.empty())
    record_steps(self, a, settled, std::move(settled_changes));
  if (rels.empty())
    return;
  ++st.copier_load_[w];
  ++a.in_flight;
  auto id = job.id;
  auto done = [self, id, w, indices, recs, drop_of](const std::vector<remove_outcome>* rs,
                                                   const caf::error& err) {
    --self->state.copier_load_[w];
    auto* a = find_active(self, id);
    if (a) {
      --a->in_flight;
      std::vector<std::function<caf::error(catalogue_txn&)>> changes;
      for (size_t k = 0; k < indices.size(); ++k) {
        const remove_outcome* o = rs && k < rs->size() ? &(*rs)[k] : nullptr;
        auto e = o ? o->error
                   : (err ? err : make_error(ec::io_error, "the copy worker gave no outcome"));
        if (e) {
          if (is_out_of_space(e))
            a->stop_dispatch = true;
          set_step(*a, indices[k], step_state::failed, describe(e), 0);
          continue;
        }
        set_step(*a, indices[k], step_state::done, o->result.removed ? "" : "already gone",
                 recs[k].size);
        changes.push_back(drop_of(recs[k]));
      }
      launch_batches(self, *a);  // the workers remove while the catalogue syncs
      record_steps(self, *a, indices, std::move(changes));
    }
    dispatch_all(self);
  };
  self->request(st.cfg_.copiers[w], caf::infinite, remove_atom::value, root, std::move(rels))
    .then([done](const std::vector<remove_outcome>& rs) { done(&rs, caf::error{}); },
          [done](const caf::error& err) { done(nullptr, err); });
}

void launch_batches(self_ptr self, active_job& a) {
  auto& st = self->state;
  if (!a.started)
    return;
  auto limit = share(self, a);
  bool copies = on_copiers(a);
  while (!a.cancel && !a.stop_dispatch && a.in_flight < limit) {
    auto& files = a.job.files;
    while (a.cursor < files.size() && files[a.cursor].state != step_state::pending)
      ++a.cursor;
    if (a.cursor >= files.size())
      break;
    int w = copies ? pick(st.copier_load_, st.cfg_.batches_per_copier)
                   : pick(st.hasher_load_, st.cfg_.batches_per_copier);
    if (w < 0)
      break;  // the pool is busy (with other jobs too): their replies dispatch again
    if (copying(a))
      launch_batch(self, a, static_cast<size_t>(w));
    else if (removing(a))
      launch_remove_batch(self, a, static_cast<size_t>(w));
    else
      launch_hash_batch(self, a, static_cast<size_t>(w));
  }
}

// Sends job `id`'s pending files to free workers up to its share; ends the phase (or the
// job, if cancelled) once nothing is pending or in flight.
void dispatch(self_ptr self, uint64_t id) {
  auto* a = find_active(self, id);
  if (!a || !a->started)
    return;
  launch_batches(self, *a);
  if (a->in_flight > 0)
    return;
  if (a->cancel)
    return finish(self, id, job_state::cancelled, "cancelled by request");
  auto& files = a->job.files;
  bool pending = std::any_of(files.begin(), files.end(), [](const job_file& f) {
    return f.state == step_state::pending;
  });
  if (!pending || a->stop_dispatch)
    finish_phase(self, id);
}

// Dispatches every running job, starting with a different one each time (fair shares).
void dispatch_all(self_ptr self) {
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

// Starts running job `id` (already in active_): loads its resource, persists `running`,
// dispatches.
void begin(self_ptr self, uint64_t id) {
  auto& st = self->state;
  auto* a = find_active(self, id);
  if (!a)
    return;
  auto& job = a->job;
  a->in_flight = 0;
  a->cursor = 0;
  a->cancel = false;
  a->stop_dispatch = false;
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
    return finish(self, id, job_state::failed, describe(detail.error()));
  a->res = std::move(*detail);
  index_files(*a);
  if (job.request.kind == job_kind::remove && !job.request.force_last
      && !other_verified_copy(a->res, job.request.src_root, st.cfg_.prefs)
      && job.progress.files_done == 0)
    return finish(self, id, job_state::failed,
                  describe(last_copy_refusal(job.request)));
  job.state = job_state::running;
  if (job.started == 0)
    job.started = now_ms();
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    txn.put_job_step(job, job.files.size());  // the header: the checkpoint is stored
    return {};
  });
  if (err)
    return finish(self, id, job_state::failed, describe(err));
  a->started = true;
  dispatch(self, id);
}

// Starts queued jobs, in order, while fewer than max_active_jobs run. A job waits while
// it touches a resource or path of a running job or of an earlier waiting one, so jobs
// on the same files keep their submission order.
void start_next(self_ptr self) {
  auto& st = self->state;
  std::deque<uint64_t> waiting;
  std::set<std::string> blocked;
  std::vector<uint64_t> starting;
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
    if (!job || terminal(job->state))
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

// Persists a new job (and its journal entry) and queues it. Returns the ticket.
caf::expected<job_ticket> submit(self_ptr self, job_request req, bool registering) {
  auto& st = self->state;
  journal_entry j;
  j.command = registering ? "register" : command_of(req.kind);
  j.args = registering ? std::vector<std::string>{req.spec, req.root, req.path}
                       : std::vector<std::string>{req.uid};
  j.kwargs = registering ? (req.kwargs.empty() ? "{}" : req.kwargs) : kwargs_of(req);
  j.started = now_ms();
  resource_detail detail;
  caf::error refusal;
  if (!registering) {
    auto checked = check_request(self, req);
    if (!checked)
      refusal = std::move(checked.error());
    else
      detail = std::move(*checked);
  }
  job_ticket ticket;
  ticket.resource_uid = req.uid;
  if (!refusal && req.dry_run) {
    if (req.kind != job_kind::copy && req.kind != job_kind::move
        && req.kind != job_kind::remove)
      refusal = bad("dry run is for copy, move and remove");
    else {
      ticket.dry_run = true;
      ticket.plan = make_plan(self, req, detail);
    }
  }
  job_record job;
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    auto seq = txn.begin_journal(j);
    if (!seq)
      return std::move(seq.error());
    if (registering && !refusal) {
      auto registered = txn.register_resource(req);
      if (!registered) {
        refusal = std::move(registered.error());
      } else {
        detail = std::move(*registered);
        req.uid = detail.resource.uid;
        req.kind = job_kind::register_hash;
        ticket.resource_uid = req.uid;
      }
    }
    if (refusal)
      return txn.end_journal(*seq, false, describe(refusal), 0);
    if (ticket.dry_run)
      return txn.end_journal(*seq, true, {}, 0);
    auto id = txn.next("job");
    if (!id)
      return std::move(id.error());
    job.id = *id;
    job.request = req;
    job.state = job_state::queued;
    job.files = initial_files(req, detail);
    job.journal_seq = *seq;
    job.created = now_ms();
    job.progress.files_total = job.files.size();
    for (auto& f : job.files)
      job.progress.bytes_total += f.size;
    txn.put_job(job);
    return {};
  });
  if (err)
    return err;
  if (refusal)
    return refusal;
  if (ticket.dry_run)
    return ticket;
  ticket.job_id = job.id;
  st.queue_.push_back(job.id);
  // The job and (unless it registers: begin() reads the new records) the resource as
  // checked: nothing else can change them before start_next() returns.
  auto id = job.id;
  st.fresh_id_ = id;
  st.fresh_job_ = std::move(job);
  if (!registering)
    st.fresh_detail_.emplace(id, std::move(detail));
  start_next(self);
  st.fresh_id_ = 0;
  st.fresh_job_ = job_record{};
  st.fresh_detail_.reset();
  return ticket;
}

}  // namespace

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
  return {};
}

job_manager_actor::behavior_type
job_manager(job_manager_actor::stateful_pointer<job_manager_state> self,
            job_manager_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(err);
    return job_manager_actor::behavior_type::make_empty_behavior();
  }
  self->state.cfg_ = std::move(cfg);
  self->state.copier_load_.assign(self->state.cfg_.copiers.size(), 0);
  self->state.hasher_load_.assign(self->state.cfg_.hashers.size(), 0);
  // Resume what a previous run left unfinished, in submission order.
  if (auto jobs = self->state.cfg_.db->list_jobs()) {
    for (auto& j : *jobs)
      if (!terminal(j.state))
        self->state.queue_.push_back(j.id);
  }
  start_next(self);
  // Asked to stop (the daemon's shutdown): commit what is done before quitting, so a
  // restart need not adopt it again.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [id, a] : self->state.active_)
      commit_uncommitted(self, a);
    self->quit(msg.reason);
  });
  return {
    [self](register_atom, job_request req) -> caf::result<job_ticket> {
      auto r = submit(self, std::move(req), true);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](submit_atom, job_request req) -> caf::result<job_ticket> {
      auto r = submit(self, std::move(req), false);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
    [self](list_atom, job_atom) -> caf::result<std::vector<job_record>> {
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
    },
    [self](get_atom, job_atom, uint64_t id) -> caf::result<job_record> {
      if (auto* a = find_active(self, id))
        return a->job;
      auto j = get_stored(self, id);
      if (!j)
        return std::move(j.error());
      return std::move(*j);
    },
    [self](progress_atom, uint64_t id) -> caf::result<job_record> {
      if (auto* a = find_active(self, id))
        return summary_of(a->job);
      auto j = get_stored(self, id);
      if (!j)
        return std::move(j.error());
      j->files.clear();
      return std::move(*j);
    },
    [self](cancel_atom, uint64_t id) -> caf::result<job_record> {
      auto& st = self->state;
      if (auto* a = find_active(self, id)) {
        a->cancel = true;
        auto snapshot = a->job;
        if (a->in_flight == 0)
          finish(self, id, job_state::cancelled, "cancelled by request");
        else
          return snapshot;  // ends once the files at workers are recorded
        auto j = get_stored(self, id);
        if (!j)
          return std::move(j.error());
        return std::move(*j);
      }
      auto j = get_stored(self, id);
      if (!j)
        return std::move(j.error());
      if (terminal(j->state))
        return std::move(*j);
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
      return std::move(*j);
    },
    [self](wait_atom, uint64_t id) -> caf::result<job_record> {
      auto& st = self->state;
      if (!find_active(self, id)) {
        auto j = get_stored(self, id);
        if (!j)
          return std::move(j.error());
        if (terminal(j->state))
          return std::move(*j);
      }
      auto rp = self->make_response_promise<job_record>();
      st.waiters_[id].push_back(rp);
      return rp;
    },
  };
}

}  // namespace d1
