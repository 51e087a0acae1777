// The two worker actors: thin wrappers over file_ops, errors passed through as replies.
#include "actors/mobile/workers.hpp"

#include "actors/mobile/file_ops.hpp"

namespace d1 {

copy_worker_actor::behavior_type
copy_worker(copy_worker_actor::stateful_pointer<copy_worker_state>) {
  return {
    [](copy_batch_atom, const copy_batch_request& req) -> copy_batch_result {
      return copy_files(req);
    },
    [](remove_atom, const std::string& root,
       const std::string& rel) -> caf::result<remove_result> {
      auto r = remove_file(root, rel);
      if (!r)
        return std::move(r.error());
      return *r;
    },
  };
}

hash_worker_actor::behavior_type
hash_worker(hash_worker_actor::stateful_pointer<hash_worker_state>) {
  return {
    [](hash_atom, const hash_request& req) -> caf::result<hash_result> {
      auto r = check_file(req);
      if (!r)
        return std::move(r.error());
      return std::move(*r);
    },
  };
}

}  // namespace d1
