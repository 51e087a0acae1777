// The worker actors: thin wrappers over file_ops, errors passed through as replies.
#include "actors/mobile/workers.hpp"

#include "actors/mobile/file_ops.hpp"

namespace d1 {

copy_worker_actor::behavior_type
pipelined_copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self,
                      copy_finisher_actor finisher, bool direct_reads) {
  self->state.finisher = std::move(finisher);
  self->state.direct_reads = direct_reads;
  return {
    [self](copy_batch_atom,
           const copy_batch_request& req) -> caf::result<copy_batch_result> {
      auto staged = stage_copy_batch(req, read_options{self->state.direct_reads});
      if (!self->state.finisher)
        return finish_copy_batch(*staged);
      // The finisher syncs and renames this batch while this worker writes the next.
      return self->delegate(self->state.finisher, copy_batch_atom::value, std::move(staged));
    },
    [](remove_atom, const std::string& root,
       const std::vector<std::string>& rels) -> std::vector<remove_outcome> {
      return remove_files(root, rels);
    },
  };
}

copy_worker_actor::behavior_type
copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state> self) {
  return pipelined_copy_worker(self, copy_finisher_actor{}, true);
}

copy_finisher_actor::behavior_type copy_finisher(copy_finisher_actor::pointer) {
  return {
    [](copy_batch_atom, const staged_copy_batch_ptr& batch) -> copy_batch_result {
      return finish_copy_batch(*batch);
    },
  };
}

hash_worker_actor::behavior_type
hash_worker(hash_worker_actor::stateful_pointer<hash_worker_state> self, bool direct_reads) {
  self->state.direct_reads = direct_reads;
  return {
    [self](hash_atom, const std::vector<hash_request>& reqs,
           uint64_t max_bytes) -> std::vector<hash_result> {
      return check_files(reqs, max_bytes, read_options{self->state.direct_reads});
    },
  };
}

}  // namespace d1
