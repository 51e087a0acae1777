// The worker actors: thin wrappers over the batch functions, errors passed through as
// replies.
#include "actors/mobile/workers.hpp"

#include "actors/mobile/copy_batch.hpp"
#include "actors/mobile/file_checks.hpp"
#include "actors/mobile/remove_batch.hpp"

namespace d1 {

namespace {

// The worker_io of one request of job `job_id`.
worker_io io_for(const worker_setup& setup, uint64_t job_id) {
  worker_io io{*setup.fs};
  io.direct_reads = setup.direct_reads;
  if (auto interrupts = setup.interrupts)
    io.interrupted = [interrupts, job_id] { return interrupts->interrupted(job_id); };
  return io;
}

}  // namespace

copy_worker_actor::behavior_type
copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self,
            copy_finisher_actor finisher, worker_setup setup) {
  self->state.finisher = std::move(finisher);
  self->state.setup = std::move(setup);
  // The finisher ends with its worker (a replaced worker's finisher too).
  if (self->state.finisher)
    self->link_to(self->state.finisher);
  return {
    [self](copy_batch_atom, const copy_batch_request& req) -> caf::result<copy_batch_result> {
      auto io = io_for(self->state.setup, req.job_id);
      auto staged = stage_copy_batch(io, req);
      if (!self->state.finisher)
        return finish_copy_batch(io, staged);
      // The finisher syncs and renames this batch while this worker writes the next.
      return self->delegate(self->state.finisher, copy_batch_atom::value, std::move(staged));
    },
    [self](remove_atom, const remove_batch_request& req) -> std::vector<remove_outcome> {
      auto io = io_for(self->state.setup, req.job_id);
      return remove_files(io, req);
    },
  };
}

copy_finisher_actor::behavior_type
copy_finisher(copy_finisher_actor::stateful_pointer<copy_finisher_state> self,
              worker_setup setup) {
  self->state.setup = std::move(setup);
  return {
    [self](copy_batch_atom, staged_copy_batch& batch) -> copy_batch_result {
      auto io = io_for(self->state.setup, batch.job_id);
      return finish_copy_batch(io, batch);
    },
  };
}

hash_worker_actor::behavior_type
hash_worker(hash_worker_actor::stateful_pointer<hash_worker_state> self, worker_setup setup) {
  self->state.setup = std::move(setup);
  return {
    [self](hash_atom, const std::vector<hash_request>& reqs,
           uint64_t max_bytes) -> std::vector<hash_result> {
      auto io = io_for(self->state.setup, reqs.empty() ? 0 : reqs.front().job_id);
      return check_files(io, reqs, max_bytes);
    },
  };
}

}  // namespace d1
