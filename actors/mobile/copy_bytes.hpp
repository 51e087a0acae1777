// The bytes of one copy: moved and hashed in one pass, by the method the filesystems allow
// (one piece, O_DIRECT reads, copy_file_range), with writeback and readahead kept going.
// Internal to actors/mobile (copy_batch.cpp stages its copies with it).
#pragma once

#include "actors/mobile/copy_batch.hpp"
#include "hashing/checksum.hpp"

#include <cstdint>
#include <vector>

namespace d1 {

/// Copies every byte of `in` (from offset 0, `in_size` bytes at its fstat) to `out` and
/// hashes the bytes copied, by `method` (automatic: a file that fits the buffer is read,
/// hashed and written in one piece; a larger one is read with O_DIRECT, or goes through
/// copy_file_range where the filesystem offloads copies). Each method falls back to the
/// next where it cannot work. `read_ahead`: the source was already asked for. Returns 0,
/// the errno, or ECANCELED once io.interrupted().
int copy_and_hash(const worker_io& io, int in, int out, uint64_t in_size, bool read_ahead,
                  copy_method method, streaming_hasher& hasher, std::vector<char>& buf,
                  file_digest& digest);

}  // namespace d1
