// Reading files for copies and hashes: through one reused buffer for small files, with
// O_DIRECT and a helper thread for large ones (the bytes go from the disk to the hasher
// without the page cache), and hashing an open file either way.
#pragma once

#include "hashing/checksum.hpp"
#include "actors/mobile/beneath.hpp"

#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace d1 {

/// The size of the buffer small files are read through.
constexpr size_t read_buffer_bytes = size_t{1} << 20;

/// Files up to this size are read through the page cache (and read ahead, many at a
/// time); larger ones with O_DIRECT where the filesystem allows it.
constexpr uint64_t small_file_bytes = uint64_t{4} << 20;

/// A read buffer of read_buffer_bytes, not zeroed: hashing a 30 KiB file must not cost a
/// 1 MiB memset (it was 11 % of a verify of 10k small files).
std::unique_ptr<char[]> make_read_buffer();

/// Hands every piece of `fd` (from offset 0, `size` bytes at its fstat) to
/// `use(data, n)`, which returns 0 or an errno, reading with O_DIRECT through a helper
/// thread. Returns false, with the fd as it was and `use` never called, where O_DIRECT is
/// not worth it or not possible (a small file, a filesystem or device that refuses it, no
/// thread); otherwise true with `err` 0 or the errno of the read or of `use`.
bool read_direct_pieces(file_system& fs, int fd, uint64_t size, int& err,
                        const std::function<int(const char*, size_t)>& use);

/// Hashes the open file `fd` (`size` bytes at its fstat) from offset 0 through `buf`
/// (read_buffer_bytes), or in O_DIRECT pieces if io.direct_reads and the file is large.
/// Returns the digest; ec::invalid_argument for an unknown algorithm, ec::io_error (the
/// errno in `os_error`), ec::cancelled once io.interrupted() says so.
caf::expected<file_digest> hash_fd(const worker_io& io, int fd, uint64_t size,
                                   const std::string& algorithm, const std::string& what,
                                   char* buf, int* os_error = nullptr);

}  // namespace d1
