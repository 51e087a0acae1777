// A datum's values as the readers deliver them (element type, shape, then the values in C
// order) and what is made of them in one pass: the canonical datum hash and the statistics
// (docs/datums.md). Pure library code: no actors, no files.
#pragma once

#include "hashing/checksum.hpp"
#include "messages/datum_types.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

/// A buffer for one datum's reads or counts, taken from the calling thread's spare buffers
/// and given back when it goes: fresh pages for every datum would each be faulted in again,
/// a measurable share of hashing a datum from the page cache. At most eight spare buffers
/// of up to 16 MiB each are kept per thread. Movable, not copyable.
class reusable_buffer {
public:
  explicit reusable_buffer(size_t bytes);
  reusable_buffer(reusable_buffer&&) noexcept = default;
  reusable_buffer& operator=(reusable_buffer&&) noexcept = default;
  reusable_buffer(const reusable_buffer&) = delete;
  reusable_buffer& operator=(const reusable_buffer&) = delete;
  ~reusable_buffer();

  /// At least the bytes asked for, uninitialised.
  unsigned char* data() const {
    return data_.get();
  }

  /// Makes the buffer at least `bytes` long (the contents are not kept).
  void reserve(size_t bytes);

private:
  std::unique_ptr<unsigned char[]> data_;
  size_t size_ = 0;
};

/// The element types a datum may have: 8/16/32/64-bit integers, 32/64-bit floats.
struct datum_dtype {
  char kind = 'u';   // 'u' unsigned, 'i' signed, 'f' IEEE float
  uint8_t size = 1;  // bytes: 1, 2, 4, 8 (floats: 4, 8)

  /// numpy's dtype.str of the little-endian form: "|u1", "|i1", "<u2", "<f8", …
  std::string str() const;

  friend bool operator==(const datum_dtype& a, const datum_dtype& b) {
    return a.kind == b.kind && a.size == b.size;
  }
  friend bool operator!=(const datum_dtype& a, const datum_dtype& b) {
    return !(a == b);
  }
};

/// Returns the dtype for `kind` and `size`, or ec::invalid_argument naming what is not
/// supported (e.g. a 16-bit float, a 128-bit integer).
caf::expected<datum_dtype> make_dtype(char kind, size_t size);

/// The number of elements of `shape` (1 for a scalar); false if it overflows 64 bits.
bool element_count(const std::vector<uint64_t>& shape, uint64_t& out);

/// "2,512,512" (empty for a scalar).
std::string shape_text(const std::vector<uint64_t>& shape);

/// The hashed prefix: dtype.str, '\n', shape_text, '\n'.
std::string canonical_header(const datum_dtype& dtype, const std::vector<uint64_t>& shape);

/// Where a reader delivers one datum. begin once, then values until the shape is full.
/// A reader reads into buffer() and hands that memory to values(): the sink may go on
/// reading a delivery after values() returned (hashing it on another thread while the
/// reader reads the next), until the next values() call, finish, or its destruction.
class value_sink {
public:
  value_sink() = default;
  value_sink(value_sink&&) noexcept = default;
  value_sink& operator=(value_sink&&) noexcept = default;
  virtual ~value_sink() = default;

  /// The element type and shape, before any value. An error stops the reader.
  virtual caf::error begin(const datum_dtype& dtype, const std::vector<uint64_t>& shape) = 0;

  /// The next `bytes` bytes of values in C order, in little-endian byte order (the host's:
  /// readers convert), `bytes` a multiple of the element size. `data` must stay unchanged
  /// until the next values() call (buffer() gives such memory).
  virtual void values(const void* data, size_t bytes) = 0;

  /// Memory for the next delivery, at least `bytes` long, owned by the sink: two buffers
  /// used in turn, so the one filled now is not the one the sink may still be reading.
  unsigned char* buffer(size_t bytes) {
    auto& b = turn_ ? second_ : first_;
    turn_ = !turn_;
    b.reserve(bytes);
    return b.data();
  }

private:
  reusable_buffer first_{0};
  reusable_buffer second_{0};
  bool turn_ = false;
};

/// What a datum is: its canonical hash, dtype, shape and statistics.
struct datum_summary {
  std::string algorithm;  // "SHA-1" or "SHA-256"
  std::string hash;       // lowercase hex
  datum_dtype dtype;
  std::vector<uint64_t> shape;
  datum_stats stats;
};

/// How datum_digest works.
struct digest_options {
  /// Values of types wider than 16 bits are kept in memory for the histogram up to this
  /// many bytes; a larger datum needs a second read (histogram_pass).
  uint64_t keep_bytes = uint64_t{256} << 20;
  /// A datum of at least this many bytes is hashed on a second thread while the calling
  /// thread computes the statistics and reads the next delivery (values() returns once the
  /// previous delivery is hashed and this one counted). 0: never.
  uint64_t stats_thread_bytes = uint64_t{8} << 20;
};

/// The sink that hashes values canonically and computes their statistics in the same pass.
/// Statistics of 8- and 16-bit integers come from a table of value counts (exact, no second
/// look at the values). For wider types the values are also kept (digest_options) so the
/// histogram can be drawn once min and max are known; a larger datum needs histogram_pass
/// (a second read of its values) before finish. Large datums are hashed on a second thread
/// beside the statistics and the reads (digest_options::stats_thread_bytes).
class datum_digest final : public value_sink {
public:
  /// Returns a digest for `algorithm` ("SHA-1" when empty; any spelling
  /// normalize_algorithm takes, MD5 excepted); ec::invalid_argument otherwise.
  static caf::expected<datum_digest> make(const std::string& algorithm,
                                          const digest_options& options = {});

  datum_digest(datum_digest&&) noexcept;
  datum_digest& operator=(datum_digest&&) noexcept;
  ~datum_digest() override;

  caf::error begin(const datum_dtype& dtype, const std::vector<uint64_t>& shape) override;
  void values(const void* data, size_t bytes) override;

  /// True when finish needs the values once more through the sink histogram_pass returns.
  bool needs_histogram_pass() const;

  /// A sink that draws the histogram from a second delivery of the same values (same
  /// dtype and shape); valid while this digest lives.
  value_sink& histogram_pass();

  /// Returns the summary once every value arrived (and the histogram pass, if needed);
  /// ec::parse_error if the reader delivered fewer or more bytes than the shape holds,
  /// ec::unspecified if begin was never called.
  caf::expected<datum_summary> finish();

private:
  struct impl;
  explicit datum_digest(std::unique_ptr<impl> self);
  std::unique_ptr<impl> self_;
};

}  // namespace d1
