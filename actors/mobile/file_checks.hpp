// Checking files where they are (hash_worker): present, a regular file, the recorded size
// and times, the recorded digest. Only a hash vouches for bytes: the cheaper levels report
// a file whose identity, size or times moved as `changed`.
#pragma once

#include "actors/mobile/beneath.hpp"
#include "messages/mobile_types.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <vector>

namespace d1 {

/// Checks root/rel_path to `req.level`. A missing file, a symlink, a FIFO or device, a
/// change or a mismatch is a result (state missing/error/changed/…_mismatch), not an
/// error; nothing ever blocks on a non-regular file. Returns ec::invalid_path for a bad
/// path, ec::invalid_argument for an unknown algorithm.
caf::expected<hash_result> check_file(const worker_io& io, const hash_request& req);

/// check_file for each request, the next files read ahead; a request check_file refuses
/// (bad path, unknown algorithm) is a result with state error and the refusal as detail.
/// Stops after the request that brings the bytes read past `max_bytes` (at least one
/// request is checked), or once io.interrupted(): the results are then fewer than the
/// requests.
std::vector<hash_result> check_files(const worker_io& io, const std::vector<hash_request>& reqs,
                                     uint64_t max_bytes = UINT64_MAX);

}  // namespace d1
