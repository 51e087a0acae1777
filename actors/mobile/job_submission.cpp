// Submitting jobs: a request is checked against its resource and its kind's rules, then
// persisted with its journal entry (a registration in the same transaction) and queued;
// retries, datum registrations and root shifts are submissions too.
#include "actors/mobile/job_submission.hpp"

#include "actors/mobile/beneath.hpp"
#include "actors/mobile/job_phases.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>

namespace d1 {

namespace {

std::string kwargs_of(const job_request& r) {
  nlohmann::json j;
  j["src_root"] = r.src_root;
  j["dst_root"] = r.dst_root;
  if (r.kind == job_kind::verify || r.kind == job_kind::scrub)
    j["level"] = to_string(r.level);
  if ((r.kind == job_kind::copy || r.kind == job_kind::move) && r.level == check_level::datum)
    j["verify"] = "datum";
  if (r.kind == job_kind::remove)
    j["force_last"] = r.force_last;
  if (r.kind == job_kind::datum_hash)
    j["algorithm"] = r.algorithm;
  j["dry_run"] = r.dry_run;
  if (r.retry_of != 0) {
    j["retry_of"] = r.retry_of;
    j["files"] = r.only.size();
  }
  return j.dump();
}

// What a registration writes in submit's transaction (a new resource, or new datums of
// one): it completes the request (uid; only the files to hash) and returns the resource
// as its register job will see it. `queue` false: nothing to hash, no job (and so a
// catalogue change made at once, journaled like a submission: shift_root).
struct registration {
  std::string command;  // journal
  std::vector<std::string> args;
  std::string kwargs;
  std::function<caf::expected<resource_detail>(catalogue_txn&, job_request&, bool& queue)>
    write;
};

registration resource_registration(const job_request& req) {
  registration out;
  out.command = "register";
  out.args = {req.spec, req.root, req.path};
  out.kwargs = req.kwargs.empty() ? "{}" : req.kwargs;
  out.write = [](catalogue_txn& txn, job_request& r, bool&) -> caf::expected<resource_detail> {
    auto detail = txn.register_resource(r);
    if (detail)
      r.uid = detail->resource.uid;
    return detail;
  };
  return out;
}

// Why a submission is refused before its transaction, if it is: its resource is missing or
// its kind's rules refuse it (a registration is checked by its own write), or a dry run
// cannot be planned. The rules' check may complete `req` (its roots normalised). Fills
// `detail` with the resource as checked and `ticket` with a dry run's plan.
caf::error check_submission(job_self self, job_request& req, const job_kind_rules& rules,
                            bool registering, resource_detail& detail, job_ticket& ticket) {
  caf::error refusal;
  if (!registering) {
    auto checked = self->state.cfg_.db->get_resource(req.uid);
    if (!checked)
      refusal = std::move(checked.error());
    else if (auto err = rules.check(req, *checked, job_env_of(self)))
      refusal = std::move(err);
    else
      detail = std::move(*checked);
  }
  if (!refusal && req.dry_run) {
    auto plan = rules.plan(req, detail, job_env_of(self));
    if (!plan) {
      refusal = std::move(plan.error());
    } else {
      ticket.dry_run = true;
      ticket.plan = std::move(*plan);
    }
  }
  return refusal;
}

// A new job of `req`, queued, with its first phase's files, journaled as `seq`.
job_record new_job(job_self self, uint64_t id, uint64_t seq, const job_request& req,
                   const job_kind_rules& rules, const resource_detail& detail) {
  job_record job;
  job.id = id;
  job.request = req;
  job.state = job_state::queued;
  job.files = rules.first_phase(req, detail, job_env_of(self));
  job.journal_seq = seq;
  job.created = now_ms();
  job.progress.files_total = job.files.size();
  for (auto& f : job.files)
    job.progress.bytes_total += f.size;
  return job;
}

// Journals `refusal` of the submission `j` in a transaction of its own.
caf::error journal_refusal(job_self self, const journal_entry& j, const caf::error& refusal) {
  return self->state.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    auto seq = txn.begin_journal(j);
    if (!seq)
      return std::move(seq.error());
    return txn.end_journal(*seq, false, describe(refusal), 0);
  });
}

// Queues the stored `job` and starts what may start. The job and (unless it registers:
// begin() reads the new records) the resource as checked are handed over: nothing else
// can change them before start_queued() returns.
void queue_job(job_self self, job_record job, resource_detail detail, bool registering) {
  auto& st = self->state;
  auto id = job.id;
  st.queue_.push_back(id);
  st.fresh_id_ = id;
  st.fresh_job_ = std::move(job);
  if (!registering)
    st.fresh_detail_.emplace(id, std::move(detail));
  start_queued(self);
  st.fresh_id_ = 0;
  st.fresh_job_ = job_record{};
  st.fresh_detail_.reset();
}

// Persists a new job (and its journal entry) and queues it; a registration (`reg`) is
// written in the same transaction and its register job hashes what it added. Returns the
// ticket (job_id 0 when a registration added nothing to hash).
caf::expected<job_ticket> submit(job_self self, job_request req,
                                 const registration* reg = nullptr) {
  auto& st = self->state;
  bool registering = reg != nullptr;
  auto& rules = registering ? rules_for(job_kind::register_hash) : rules_for(req);
  journal_entry j;
  j.command = registering ? reg->command : rules.command();
  j.args = registering ? reg->args : std::vector<std::string>{req.uid};
  j.kwargs = registering ? reg->kwargs : kwargs_of(req);
  j.started = now_ms();
  resource_detail detail;
  job_ticket ticket;
  ticket.resource_uid = req.uid;
  auto refusal = check_submission(self, req, rules, registering, detail, ticket);
  job_record job;
  bool queue = true;
  // A registration refused halfway has changed the transaction already (datums, counters):
  // it is rolled back and the refusal journaled on its own.
  bool rolled_back = false;
  auto err = st.cfg_.db->update([&](catalogue_txn& txn) -> caf::error {
    auto seq = txn.begin_journal(j);
    if (!seq)
      return std::move(seq.error());
    if (registering && !refusal) {
      auto registered = reg->write(txn, req, queue);
      if (!registered) {
        refusal = std::move(registered.error());
        rolled_back = true;
        return refusal;
      } else {
        detail = std::move(*registered);
        req.kind = job_kind::register_hash;
        ticket.resource_uid = req.uid;
      }
    }
    if (refusal)
      return txn.end_journal(*seq, false, describe(refusal), 0);
    if (ticket.dry_run || !queue)
      return txn.end_journal(*seq, true, {}, 0);
    auto id = txn.next("job");
    if (!id)
      return std::move(id.error());
    job = new_job(self, *id, *seq, req, rules, detail);
    txn.put_job(job);
    return {};
  });
  if (rolled_back)
    err = journal_refusal(self, j, refusal);
  if (err)
    return err;
  if (refusal)
    return refusal;
  if (ticket.dry_run || !queue)
    return ticket;
  ticket.job_id = job.id;
  queue_job(self, std::move(job), std::move(detail), registering);
  return ticket;
}

// The first job (running, draining or queued) on resource `uid`, 0 if none.
uint64_t job_holding(job_self self, const std::string& uid) {
  auto& st = self->state;
  auto key = "uid:" + uid;
  for (auto& [id, a] : st.active_)
    if (a.footprint.count(key))
      return id;
  for (auto& [id, d] : st.draining_)
    if (d.footprint.count(key))
      return id;
  for (auto id : st.queue_) {
    auto j = stored_job(self, id);
    if (j && !job_ended(j->state) && j->request.uid == uid)
      return id;
  }
  return 0;
}

}  // namespace

caf::expected<job_ticket> submit_job(job_self self, job_request req) {
  return submit(self, std::move(req));
}

caf::expected<job_ticket> register_resource(job_self self, job_request req) {
  auto reg = resource_registration(req);
  return submit(self, std::move(req), &reg);
}

// `job ID --retry`: the files a finished job did not complete, as a new job.
caf::expected<job_ticket> retry_job(job_self self, uint64_t id) {
  auto job = stored_job(self, id);
  if (!job)
    return std::move(job.error());
  if (!job_ended(job->state) || find_active(self, id) != nullptr)
    return make_error(ec::invalid_argument, "job " + std::to_string(id)
                                              + " has not ended; cancel it or wait for it");
  auto req = job->request;
  req.only.clear();
  for (auto& f : job->files)
    if (f.state == step_state::failed || f.state == step_state::pending)
      req.only.push_back(f.rel_path);
  if (req.only.empty())
    return make_error(ec::invalid_argument,
                      "job " + std::to_string(id) + " left no file to retry");
  std::sort(req.only.begin(), req.only.end());
  req.only.erase(std::unique(req.only.begin(), req.only.end()), req.only.end());
  req.retry_of = id;
  req.dry_run = false;
  if (req.kind == job_kind::register_hash) {
    // The resource exists now: its files are checked again by hash.
    req.kind = job_kind::verify;
    req.level = check_level::hash;
    req.src_root.clear();
  }
  if (works_on_datums(*job) && job->request.kind != job_kind::datum_hash
      && job->request.kind != job_kind::verify) {
    // A copy or move that failed its datum check: the copy is made, so the datums that
    // did not match are read there again.
    req.kind = job_kind::verify;
    req.level = check_level::datum;
    req.src_root = req.dst_root;
    req.dst_root.clear();
  }
  return submit(self, std::move(req));
}

// Datums added to a resource; the files they add to its list are hashed by a register
// job of only those files.
caf::expected<datum_ticket> register_datums(job_self self, const datum_registration& reg) {
  datum_ticket out;
  out.resource_uid = reg.resource_uid;
  registration r;
  r.command = "datum_register";
  r.args = {reg.resource_uid};
  r.kwargs = nlohmann::json{{"datums", reg.datums.size()}}.dump();
  r.write = [&](catalogue_txn& txn, job_request& req,
                bool& queue) -> caf::expected<resource_detail> {
    auto added = txn.add_datums(reg);
    if (!added)
      return std::move(added.error());
    out.datum_ids = std::move(added->datum_ids);
    out.new_files = static_cast<uint32_t>(added->new_files.size());
    req.only = std::move(added->new_files);
    queue = !req.only.empty();
    return std::move(added->detail);
  };
  job_request req;
  req.uid = reg.resource_uid;
  auto ticket = submit(self, std::move(req), &r);
  if (!ticket)
    return std::move(ticket.error());
  out.job_id = ticket->job_id;
  return out;
}

// `resource shift-root`: a catalogue change made at once (no file is touched), refused
// while a job holds the resource, since its checkpoint names the files by the old split.
caf::expected<root_shift> shift_resource_root(job_self self, const std::string& uid,
                                             int32_t by) {
  root_shift out;
  registration r;
  r.command = "shift_root";
  r.args = {uid};
  // The journal names the resource before and after (the history keeps the two roots).
  nlohmann::json kwargs{{"by", by}};
  if (auto d = self->state.cfg_.db->get_resource(uid)) {
    auto& res = d->resource;
    kwargs["old"] = {{"root", res.root}, {"path", res.path}};
    if (auto loc = shift_location(res.root, res.path, by))
      kwargs["new"] = {{"root", loc->root}, {"path", loc->path}};
  }
  r.kwargs = kwargs.dump();
  caf::error busy;
  if (auto id = job_holding(self, uid))
    busy = make_error(ec::refused, "resource '" + uid + "' has job " + std::to_string(id)
                                     + " queued or running: shift its root once that job "
                                       "has ended (or cancel it)");
  r.write = [&](catalogue_txn& txn, job_request&,
                bool& queue) -> caf::expected<resource_detail> {
    queue = false;
    if (busy)
      return busy;
    auto shifted = txn.shift_root(uid, by);
    if (!shifted)
      return std::move(shifted.error());
    out = std::move(*shifted);
    return resource_detail{out.after, {}, {}};
  };
  job_request req;
  req.uid = uid;
  auto ticket = submit(self, std::move(req), &r);
  if (!ticket)
    return std::move(ticket.error());
  return out;
}

void queue_due_scrub(job_self self) {
  auto& st = self->state;
  auto& cfg = st.cfg_;
  if (cfg.scrub_every.count() <= 0)
    return;
  self->delayed_send(self, cfg.scrub_check, scrub_atom::value);
  for (auto& [id, a] : st.active_)
    if (a.job.request.kind == job_kind::scrub)
      return;  // one at a time
  for (auto id : st.queue_) {
    auto j = cfg.db->get_job(id);
    if (j && j->request.kind == job_kind::scrub)
      return;
  }
  auto due = cfg.db->due_for_scrub(now_ms() - cfg.scrub_every.count());
  if (!due || due->empty())
    return;
  job_request req;
  req.kind = job_kind::scrub;
  req.uid = due->front().first;
  req.src_root = due->front().second;
  req.level = check_level::hash;
  submit(self, std::move(req));
}

}  // namespace d1
