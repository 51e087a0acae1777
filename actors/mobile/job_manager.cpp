// The job state machine. A job is queued → running → done | failed | cancelled. Each
// file's outcome and its catalogue change are committed in one transaction with the
// job's checkpoint, so after a crash the catalogue and the checkpoint agree and the job
// resumes with the files still pending.
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

const file_record* find_file(const resource_detail& d, const std::string& root,
                             const std::string& rel) {
  for (auto& f : d.files)
    if (f.root == root && f.rel_path == rel)
      return &f;
  return nullptr;
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
        return bad("refusing to remove the last verified copy of '" + req.uid + "' (at "
                   + req.src_root + "); use force_last");
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
      for (auto& rel : detail->rel_paths) {
        auto f = find_file(*detail, req.src_root, rel);
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
    case job_kind::change_root:
      for (auto& rel : d.rel_paths) {
        auto f = find_file(d, req.src_root, rel);
        out.push_back(job_file{req.kind == job_kind::change_root ? req.dst_root : req.src_root,
                               rel, f ? f->size : 0, step_state::pending, {}});
      }
      break;
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
    for (auto& rel : d.rel_paths) {
      auto f = find_file(d, req.src_root, rel);
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
void dispatch(self_ptr self);

void reply_waiters(self_ptr self, const job_record& job) {
  auto& st = self->state;
  if (auto i = st.waiters_.find(job.id); i != st.waiters_.end()) {
    for (auto& rp : i->second)
      rp.deliver(job);
    st.waiters_.erase(i);
  }
}

void update_rate(self_ptr self, job_record& job) {
  auto& st = self->state;
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.run_start_)
                .count();
  auto bytes = job.progress.bytes_done - st.run_bytes_base_;
  job.progress.rate = secs > 0 ? static_cast<double>(bytes) / secs : 0;
}

// Ends the active job; `extra` adds the catalogue change that completes it (history,
// change_root's records) to the same transaction.
void finish(self_ptr self, job_state state, std::string error,
            const std::function<caf::error(catalogue_txn&)>& extra = {}) {
  auto& st = self->state;
  auto& job = *st.active_;
  job.state = state;
  job.error = std::move(error);
  job.finished = now_ms();
  update_rate(self, job);
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    if (extra)
      if (auto e = extra(txn))
        return e;
    txn.put_job(job);
    if (job.journal_seq != 0)
      return txn.end_journal(job.journal_seq, state == job_state::done, job.error, job.id);
    return {};
  });
  if (err) {
    // The completing change did not commit: record the failure without it.
    job.state = job_state::failed;
    job.error = "could not record the end of the job: " + describe(err);
    st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
      txn.put_job(job);
      if (job.journal_seq != 0)
        return txn.end_journal(job.journal_seq, false, job.error, job.id);
      return {};
    });
  }
  auto done = std::move(job);
  st.active_.reset();
  reply_waiters(self, done);
  start_next(self);
}

// Records the outcome of file `index` with `change` (may be empty) and the checkpoint in
// one transaction. Returns false if the commit failed (the job is then failed).
bool complete_step(self_ptr self, size_t index, step_state state, std::string detail,
                   uint64_t bytes,
                   const std::function<caf::error(catalogue_txn&)>& change = {}) {
  auto& st = self->state;
  auto& job = *st.active_;
  auto& file = job.files[index];
  file.state = state;
  file.detail = std::move(detail);
  ++job.progress.files_done;
  if (state == step_state::failed)
    ++job.progress.files_failed;
  job.progress.bytes_done += bytes;
  update_rate(self, job);
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    if (change)
      if (auto e = change(txn))
        return e;
    txn.put_job_step(job, index);
    return {};
  });
  if (err) {
    file.state = step_state::failed;
    file.detail = "catalogue: " + describe(err);
    st.stop_dispatch_ = true;
    return false;
  }
  return true;
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

void finish_phase(self_ptr self) {
  auto& st = self->state;
  auto& job = *st.active_;
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
        return finish(self, job_state::failed, summary("could not be hashed or did not match"));
      return finish(self, job_state::done, {});
    case job_kind::copy:
      if (failed)
        return finish(self, job_state::failed, summary("not copied"));
      return finish(self, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        txn.add_history(make_history(job, "copy", req.src_root, req.dst_root));
        return {};
      });
    case job_kind::move:
      if (failed)
        return finish(self, job_state::failed,
                      summary(job.phase == 0 ? "not copied (the source is kept)"
                                             : "not removed from the source"));
      if (job.phase == 0) {
        // Every file is now verified at the destination: remove the source copy.
        auto detail = st.cfg_.db->get_resource(req.uid);
        if (!detail)
          return finish(self, job_state::failed, describe(detail.error()));
        st.res_ = std::move(*detail);
        job.phase = 1;
        job.files = removal_files(st.res_, req.src_root);
        job.progress.files_done = 0;
        job.progress.files_failed = 0;
        job.progress.files_total = job.files.size();
        auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
          txn.put_job(job);
          return {};
        });
        if (err)
          return finish(self, job_state::failed, describe(err));
        st.cursor_ = 0;
        return dispatch(self);
      }
      return finish(self, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        txn.add_history(make_history(job, "move", req.src_root, req.dst_root));
        return {};
      });
    case job_kind::remove:
      if (failed)
        return finish(self, job_state::failed, summary("not removed"),
                      [&](catalogue_txn& txn) -> caf::error {
                        txn.add_history(make_history(job, "remove", req.src_root, {}));
                        return {};
                      });
      return finish(self, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        txn.add_history(make_history(job, "remove", req.src_root, {}));
        return {};
      });
    case job_kind::change_root: {
      if (failed)
        return finish(self, job_state::failed,
                      summary("do not match at " + req.dst_root + " (nothing changed)"));
      return finish(self, job_state::done, {}, [&](catalogue_txn& txn) -> caf::error {
        auto now = now_ms();
        for (auto& rel : st.res_.rel_paths) {
          auto old = find_file(st.res_, req.src_root, rel);
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
        if (st.res_.resource.root == req.src_root) {
          auto r = st.res_.resource;
          r.root = req.dst_root;
          txn.put_resource(r);
        }
        txn.add_history(make_history(job, "change_root", req.src_root, req.dst_root));
        return {};
      });
    }
    case job_kind::verify:
      if (failed)
        return finish(self, job_state::failed, summary("do not match"));
      return finish(self, job_state::done, {});
  }
}

// Sends file `index` of the active job to a worker (or completes it at once).
void launch(self_ptr self, size_t index) {
  auto& st = self->state;
  auto& job = *st.active_;
  auto& req = job.request;
  auto jf = job.files[index];
  auto id = job.id;
  auto& res = st.res_;
  // A reply for a job that is no longer active (cannot happen while jobs run one at a
  // time, but a stale reply must never touch another job).
  auto still = [self, id] { return self->state.active_ && self->state.active_->id == id; };
  auto failed = [self, index, still](const caf::error& err) {
    if (!still())
      return;
    auto& st = self->state;
    --st.in_flight_;
    if (context_of(err).find("no space left") != std::string::npos)
      st.stop_dispatch_ = true;
    complete_step(self, index, step_state::failed, describe(err), 0);
    dispatch(self);
  };
  auto next_hasher = [&st] {
    return st.cfg_.hashers[st.next_hasher_++ % st.cfg_.hashers.size()];
  };
  auto next_copier = [&st] {
    return st.cfg_.copiers[st.next_copier_++ % st.cfg_.copiers.size()];
  };
  bool removing = req.kind == job_kind::remove
                  || (req.kind == job_kind::move && job.phase == 1);
  if (removing) {
    auto f = find_file(res, jf.root, jf.rel_path);
    if (!f) {
      --st.in_flight_;
      complete_step(self, index, step_state::skipped, "no record at " + jf.root, 0);
      return;
    }
    auto rec = *f;
    auto refs = st.cfg_.db->refs(rec.abs_path);
    if (!refs) {
      --st.in_flight_;
      complete_step(self, index, step_state::failed, describe(refs.error()), 0);
      return;
    }
    auto others = others_on_path(*refs, rec);
    if (!others.empty()) {
      // Another resource's copy names this file: drop our reference, keep the bytes.
      --st.in_flight_;
      complete_step(self, index, step_state::done,
                    "kept: shared with resource " + others.front().resource_uid, 0,
                    [rec](catalogue_txn& txn) -> caf::error {
                      auto left = txn.drop_file(rec);
                      return left ? caf::error{} : std::move(left.error());
                    });
      return;
    }
    self->request(next_copier(), caf::infinite, remove_atom::value, rec.root, rec.rel_path)
      .then(
        [self, index, rec, still](const remove_result& r) {
          if (!still())
            return;
          --self->state.in_flight_;
          complete_step(self, index, step_state::done, r.removed ? "" : "already gone",
                        rec.size, [rec](catalogue_txn& txn) -> caf::error {
                          auto left = txn.drop_file(rec);
                          return left ? caf::error{} : std::move(left.error());
                        });
          dispatch(self);
        },
        failed);
    return;
  }
  switch (req.kind) {
    case job_kind::register_hash:
    case job_kind::verify: {
      auto f = find_file(res, jf.root, jf.rel_path);
      if (!f) {
        --st.in_flight_;
        complete_step(self, index, step_state::failed,
                      "no record of " + jf.rel_path + " at " + jf.root, 0);
        return;
      }
      auto rec = *f;
      hash_request hr;
      hr.root = rec.root;
      hr.rel_path = rec.rel_path;
      hr.algorithm = rec.algorithm;
      bool registering = req.kind == job_kind::register_hash;
      hr.level = registering ? check_level::hash : req.level;
      hr.has_expected = !registering && !rec.digest.empty();
      hr.expected_size = rec.size;
      hr.expected_digest = registering ? rec.expected_digest : rec.digest;
      self->request(next_hasher(), caf::infinite, hash_atom::value, hr)
        .then(
          [self, index, rec, registering, still](const hash_result& r) {
            if (!still())
              return;
            --self->state.in_flight_;
            auto f = rec;
            f.exists = r.state != file_state::missing;
            f.state = r.state;
            f.verified_at = now_ms();
            if (registering) {
              f.size = r.size;
              f.digest = r.digest;
            }
            bool ok = r.state == file_state::ok;
            complete_step(self, index, ok ? step_state::done : step_state::failed,
                          ok ? "" : std::string{to_string(r.state)} + ": " + r.detail,
                          r.size, [f](catalogue_txn& txn) -> caf::error {
                            txn.put_file(f);
                            return {};
                          });
            dispatch(self);
          },
          failed);
      return;
    }
    case job_kind::change_root: {
      auto old = find_file(res, req.src_root, jf.rel_path);
      if (!old) {
        --st.in_flight_;
        complete_step(self, index, step_state::failed, "no record at " + req.src_root, 0);
        return;
      }
      hash_request hr;
      hr.root = req.dst_root;
      hr.rel_path = jf.rel_path;
      hr.algorithm = old->algorithm;
      hr.level = check_level::hash;
      hr.has_expected = true;
      hr.expected_size = old->size;
      hr.expected_digest = old->digest;
      self->request(next_hasher(), caf::infinite, hash_atom::value, hr)
        .then(
          [self, index, still](const hash_result& r) {
            if (!still())
              return;
            --self->state.in_flight_;
            bool ok = r.state == file_state::ok;
            complete_step(self, index, ok ? step_state::done : step_state::failed,
                          ok ? "" : std::string{to_string(r.state)} + ": " + r.detail,
                          r.size);
            dispatch(self);
          },
          failed);
      return;
    }
    case job_kind::copy:
    case job_kind::move: {
      auto src = find_file(res, req.src_root, jf.rel_path);
      if (!src || src->digest.empty()) {
        --st.in_flight_;
        complete_step(self, index, step_state::failed,
                      "no verified record of " + jf.rel_path + " at " + req.src_root, 0);
        return;
      }
      copy_request cr;
      cr.src_root = req.src_root;
      cr.dst_root = req.dst_root;
      cr.rel_path = jf.rel_path;
      cr.algorithm = src->algorithm;
      cr.expected_digest = src->digest;
      cr.expected_size = src->size;
      auto src_rec = *src;
      auto uid = req.uid;
      auto dst_root = req.dst_root;
      self->request(next_copier(), caf::infinite, copy_atom::value, cr)
        .then(
          [self, index, src_rec, uid, dst_root, still](const copy_result& r) {
            if (!still())
              return;
            --self->state.in_flight_;
            file_record f = src_rec;
            f.root = dst_root;
            f.abs_path = join_path(dst_root, src_rec.rel_path);
            f.file_uid = make_file_uid(uid, dst_root, src_rec.rel_path);
            f.size = r.size;
            f.digest = r.digest;
            f.exists = true;
            f.state = file_state::ok;
            f.verified_at = now_ms();
            complete_step(self, index, step_state::done, r.adopted ? "adopted" : "",
                          r.size, [f](catalogue_txn& txn) -> caf::error {
                            txn.put_file(f);
                            return {};
                          });
            dispatch(self);
          },
          failed);
      return;
    }
    case job_kind::remove:
      break;  // handled above
  }
}

size_t pool_size(self_ptr self) {
  auto& st = self->state;
  auto& job = *st.active_;
  bool copies = job.request.kind == job_kind::copy || job.request.kind == job_kind::move
                || job.request.kind == job_kind::remove;
  return copies ? st.cfg_.copiers.size() : st.cfg_.hashers.size();
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  if (!st.active_)
    return;
  auto limit = pool_size(self);
  while (!st.cancel_ && !st.stop_dispatch_ && st.in_flight_ < limit && st.active_) {
    auto& files = st.active_->files;
    while (st.cursor_ < files.size() && files[st.cursor_].state != step_state::pending)
      ++st.cursor_;
    if (st.cursor_ >= files.size())
      break;
    auto index = st.cursor_++;
    ++st.in_flight_;
    launch(self, index);
  }
  if (!st.active_ || st.in_flight_ > 0)
    return;
  if (st.cancel_)
    return finish(self, job_state::cancelled, "cancelled by request");
  auto& files = st.active_->files;
  bool pending = std::any_of(files.begin(), files.end(), [](const job_file& f) {
    return f.state == step_state::pending;
  });
  if (!pending || st.stop_dispatch_)
    finish_phase(self);
}

void start_next(self_ptr self) {
  auto& st = self->state;
  while (!st.active_ && !st.queue_.empty()) {
    auto id = st.queue_.front();
    st.queue_.pop_front();
    auto job = st.cfg_.db->get_job(id);
    if (!job || terminal(job->state))
      continue;
    st.active_ = std::move(*job);
    st.in_flight_ = 0;
    st.cursor_ = 0;
    st.cancel_ = false;
    st.stop_dispatch_ = false;
    auto& a = *st.active_;
    // Counters are recomputed from the checkpoint (a resumed job may have done some).
    a.progress.files_total = a.files.size();
    a.progress.files_done = 0;
    a.progress.files_failed = 0;
    for (auto& f : a.files) {
      if (f.state != step_state::pending)
        ++a.progress.files_done;
      if (f.state == step_state::failed)
        ++a.progress.files_failed;
    }
    st.run_start_ = std::chrono::steady_clock::now();
    st.run_bytes_base_ = a.progress.bytes_done;
    auto detail = st.cfg_.db->get_resource(a.request.uid);
    if (!detail) {
      finish(self, job_state::failed, describe(detail.error()));
      return;
    }
    st.res_ = std::move(*detail);
    if (a.request.kind == job_kind::remove && !a.request.force_last
        && !other_verified_copy(st.res_, a.request.src_root, st.cfg_.prefs)
        && a.progress.files_done == 0) {
      finish(self, job_state::failed,
             describe(bad("refusing to remove the last verified copy (at " + a.request.src_root
                           + "); use force_last")));
      return;
    }
    a.state = job_state::running;
    if (a.started == 0)
      a.started = now_ms();
    auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
      txn.put_job(a);
      return {};
    });
    if (err) {
      finish(self, job_state::failed, describe(err));
      return;
    }
    dispatch(self);
    return;
  }
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
  start_next(self);
  return ticket;
}

}  // namespace

caf::error validate(const job_manager_config& cfg) {
  if (!cfg.db)
    return make_error(ec::invalid_argument, "job_manager without a catalogue");
  if (cfg.copiers.empty() || cfg.hashers.empty())
    return make_error(ec::invalid_argument,
                      "job_manager needs at least one copy worker and one hash worker");
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
  // Resume what a previous run left unfinished, in submission order.
  if (auto jobs = self->state.cfg_.db->list_jobs()) {
    for (auto& j : *jobs)
      if (!terminal(j.state))
        self->state.queue_.push_back(j.id);
  }
  start_next(self);
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
      if (auto& a = self->state.active_)
        for (auto& j : *jobs)
          if (j.id == a->id) {
            j = *a;
            j.files.clear();
          }
      return std::move(*jobs);
    },
    [self](get_atom, job_atom, uint64_t id) -> caf::result<job_record> {
      if (auto& a = self->state.active_; a && a->id == id)
        return *a;
      auto j = self->state.cfg_.db->get_job(id);
      if (!j)
        return std::move(j.error());
      return std::move(*j);
    },
    [self](cancel_atom, uint64_t id) -> caf::result<job_record> {
      auto& st = self->state;
      if (st.active_ && st.active_->id == id) {
        st.cancel_ = true;
        auto snapshot = *st.active_;
        if (st.in_flight_ == 0)
          finish(self, job_state::cancelled, "cancelled by request");
        else
          return snapshot;  // ends once the files at workers are recorded
        auto j = st.cfg_.db->get_job(id);
        if (!j)
          return std::move(j.error());
        return std::move(*j);
      }
      auto j = st.cfg_.db->get_job(id);
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
      if (!(st.active_ && st.active_->id == id)) {
        auto j = st.cfg_.db->get_job(id);
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
