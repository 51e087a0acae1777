// datum_digest: the canonical datum hash and the statistics, computed as the values stream
// past. Values go through in slices that fit the CPU cache, each hashed and then counted,
// so the one pass over the datum reads each value from memory once.
#include "actors/mobile/datum_value.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <limits>
#include <optional>
#include <type_traits>

namespace d1 {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "values travel in host byte order, which the canonical hash takes to be "
              "little-endian");

namespace {

constexpr size_t histogram_bins = 64;

// Values are hashed and counted in slices of this many bytes (they stay in L2 between).
constexpr size_t slice_bytes = size_t{64} << 10;

// Wide-type statistics merge per block of this many values (mean and M2 of a block are
// exact enough in double; blocks merge with Chan's formula).
constexpr size_t stats_block = 4096;

// The bins numpy.histogram(values, bins=64, range=(min, max)) draws, value by value:
// the same float64 arithmetic, edges and corrections (numpy/lib/histograms.py).
class numpy_bins {
public:
  numpy_bins(double min, double max) {
    first_ = min;
    last_ = max;
    if (first_ == last_) {
      first_ -= 0.5;
      last_ += 0.5;
    }
    double delta = last_ - first_;
    double step = delta / histogram_bins;
    for (size_t i = 0; i <= histogram_bins; ++i)
      edges_[i] = step == 0 ? static_cast<double>(i) / histogram_bins * delta + first_
                            : static_cast<double>(i) * step + first_;
    edges_[histogram_bins] = last_;
    norm_ = histogram_bins / delta;
  }

  size_t operator()(double x) const {
    auto index = static_cast<int64_t>((x - first_) * norm_);
    if (index >= static_cast<int64_t>(histogram_bins))
      index = histogram_bins - 1;
    if (index < 0)
      index = 0;
    if (x < edges_[index] && index > 0)
      --index;
    else if (index != histogram_bins - 1 && x >= edges_[index + 1])
      ++index;
    return static_cast<size_t>(index);
  }

private:
  double first_ = 0;
  double last_ = 0;
  double norm_ = 0;
  std::array<double, histogram_bins + 1> edges_{};
};

// Running count, mean and sum of squared deviations (Chan et al.'s pairwise merge).
struct moments {
  uint64_t n = 0;
  double mean = 0;
  double m2 = 0;

  void merge(uint64_t bn, double bmean, double bm2) {
    if (bn == 0)
      return;
    if (n == 0) {
      n = bn;
      mean = bmean;
      m2 = bm2;
      return;
    }
    auto total = n + bn;
    double delta = bmean - mean;
    mean += delta * static_cast<double>(bn) / static_cast<double>(total);
    m2 += bm2
          + delta * delta * static_cast<double>(n) * static_cast<double>(bn)
              / static_cast<double>(total);
    n = total;
  }
};

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Statistics of types wider than 16 bits: min, max, non-finite counts and moments per
// block of values.
struct wide_stats {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  uint64_t nan_count = 0;
  uint64_t inf_count = 0;
  moments m;

  template <class T>
  void add(const unsigned char* data, size_t n) {
    double block[stats_block];
    for (size_t start = 0; start < n; start += stats_block) {
      size_t count = std::min(stats_block, n - start);
      size_t kept = 0;
      double sum = 0;
      double lo = min, hi = max;
      for (size_t i = 0; i < count; ++i) {
        double v = static_cast<double>(load<T>(data + (start + i) * sizeof(T)));
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(v)) {
            ++nan_count;
            continue;
          }
          if (std::isinf(v)) {
            ++inf_count;
            continue;
          }
        }
        block[kept++] = v;
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      min = lo;
      max = hi;
      if (kept == 0)
        continue;
      double bmean = sum / static_cast<double>(kept);
      double bm2 = 0;
      for (size_t i = 0; i < kept; ++i)
        bm2 += (block[i] - bmean) * (block[i] - bmean);
      m.merge(kept, bmean, bm2);
    }
  }
};

template <class T>
void bin_values(const unsigned char* data, size_t n, const numpy_bins& bins,
                std::vector<uint64_t>& histogram) {
  for (size_t i = 0; i < n; ++i) {
    double v = static_cast<double>(load<T>(data + i * sizeof(T)));
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(v))
        continue;
    }
    ++histogram[bins(v)];
  }
}

// Calls f.template operator()<T>() with T the C++ type of `dtype`.
template <class F>
void with_type(const datum_dtype& dtype, F&& f) {
  switch (dtype.kind) {
    case 'u':
      switch (dtype.size) {
        case 1: return f(uint8_t{});
        case 2: return f(uint16_t{});
        case 4: return f(uint32_t{});
        default: return f(uint64_t{});
      }
    case 'i':
      switch (dtype.size) {
        case 1: return f(int8_t{});
        case 2: return f(int16_t{});
        case 4: return f(int32_t{});
        default: return f(int64_t{});
      }
    default:
      if (dtype.size == 4)
        return f(float{});
      return f(double{});
  }
}

// Counts 8- and 16-bit values in a table of 32-bit counts (one table: on this hardware
// four interleaved tables were twice as slow, the 16-bit ones no longer fitting in L2), folded
// into 64-bit totals before any count could overflow.
class count_table {
public:
  explicit count_table(size_t entries)
    : entries_(entries), small_(entries * sizeof(uint32_t)), total_(entries * sizeof(uint64_t)) {
    std::memset(small_.data(), 0, entries * sizeof(uint32_t));
    std::memset(total_.data(), 0, entries * sizeof(uint64_t));
  }

  template <class T>
  void add(const unsigned char* data, size_t n) {
    using index_t = std::make_unsigned_t<T>;
    constexpr index_t offset = std::is_signed_v<T> ? index_t(1) << (8 * sizeof(T) - 1) : 0;
    auto* table = reinterpret_cast<uint32_t*>(small_.data());
    while (n > 0) {
      size_t take = std::min<uint64_t>(n, fold_every - since_fold_);
      for (size_t i = 0; i < take; ++i)
        ++table[index_t(load<index_t>(data + i * sizeof(T)) + offset)];
      data += take * sizeof(T);
      n -= take;
      since_fold_ += take;
      if (since_fold_ == fold_every)
        fold();
    }
  }

  // The count of each value, index = value + offset (offset: 2^(bits-1) for signed);
  // entries() of them.
  const uint64_t* totals() {
    fold();
    return reinterpret_cast<const uint64_t*>(total_.data());
  }

  size_t entries() const {
    return entries_;
  }

private:
  static constexpr uint64_t fold_every = uint64_t{1} << 31;

  void fold() {
    auto* table = reinterpret_cast<uint32_t*>(small_.data());
    auto* total = reinterpret_cast<uint64_t*>(total_.data());
    for (size_t v = 0; v < entries_; ++v) {
      total[v] += table[v];
      table[v] = 0;
    }
    since_fold_ = 0;
  }

  size_t entries_;
  reusable_buffer small_;
  reusable_buffer total_;
  uint64_t since_fold_ = 0;
};

// Statistics from the value counts of an 8- or 16-bit type.
datum_stats stats_from_counts(const uint64_t* counts, size_t entries, int64_t offset) {
  datum_stats out;
  size_t lo = entries, hi = 0;
  unsigned __int128 sum = 0;
  for (size_t v = 0; v < entries; ++v) {
    if (counts[v] == 0)
      continue;
    lo = std::min(lo, v);
    hi = v;
    out.count += counts[v];
    sum += static_cast<unsigned __int128>(counts[v]) * v;
  }
  if (out.count == 0)
    return out;
  out.min = static_cast<double>(static_cast<int64_t>(lo) - offset);
  out.max = static_cast<double>(static_cast<int64_t>(hi) - offset);
  long double mean_index = static_cast<long double>(sum) / out.count;
  long double m2 = 0;
  numpy_bins bins(out.min, out.max);
  out.histogram.assign(histogram_bins, 0);
  for (size_t v = lo; v <= hi; ++v) {
    if (counts[v] == 0)
      continue;
    long double d = static_cast<long double>(v) - mean_index;
    m2 += d * d * counts[v];
    out.histogram[bins(static_cast<double>(static_cast<int64_t>(v) - offset))] += counts[v];
  }
  out.mean = static_cast<double>(mean_index - offset);
  out.std = static_cast<double>(std::sqrt(m2 / out.count));
  return out;
}

}  // namespace

// -- datum_digest -----------------------------------------------------------------------

namespace {

// The second delivery of a wide datum's values: only the histogram.
class histogram_sink final : public value_sink {
public:
  void arm(const datum_dtype& dtype, const std::vector<uint64_t>& shape, double min,
           double max) {
    dtype_ = dtype;
    shape_ = shape;
    bins_.emplace(min, max);
    histogram_.assign(histogram_bins, 0);
    bytes_ = 0;
  }

  caf::error begin(const datum_dtype& dtype, const std::vector<uint64_t>& shape) override {
    if (dtype != dtype_ || shape != shape_)
      return make_error(ec::parse_error, "the values changed between two reads: "
                                           + dtype.str() + " " + shape_text(shape)
                                           + ", first " + dtype_.str() + " "
                                           + shape_text(shape_));
    return caf::none;
  }

  void values(const void* data, size_t bytes) override {
    bytes_ += bytes;
    if (!bins_)
      return;
    with_type(dtype_, [&](auto t) {
      using T = decltype(t);
      bin_values<T>(static_cast<const unsigned char*>(data), bytes / sizeof(T), *bins_,
                    histogram_);
    });
  }

  uint64_t bytes() const {
    return bytes_;
  }

  std::vector<uint64_t>& histogram() {
    return histogram_;
  }

private:
  datum_dtype dtype_;
  std::vector<uint64_t> shape_;
  std::optional<numpy_bins> bins_;
  std::vector<uint64_t> histogram_;
  uint64_t bytes_ = 0;
};

}  // namespace

// A second thread that runs one job at a time for its owner: the hash of one delivery
// while the owner counts it and reads the next.
class side_thread {
public:
  side_thread() : thread_([this] { loop(); }) {
  }

  ~side_thread() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  void start(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      job_ = std::move(job);
      busy_ = true;
    }
    wake_.notify_all();
  }

  void wait() {
    std::unique_lock<std::mutex> lock{mutex_};
    done_.wait(lock, [this] { return !busy_; });
  }

private:
  void loop() {
    std::unique_lock<std::mutex> lock{mutex_};
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || (busy_ && job_); });
      if (stopping_)
        return;
      auto job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      job();
      lock.lock();
      busy_ = false;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the members above exist
};

struct datum_digest::impl {
  streaming_hasher hasher;
  digest_options options;
  bool begun = false;
  datum_dtype dtype;
  std::vector<uint64_t> shape;
  uint64_t expected_bytes = 0;
  uint64_t received_bytes = 0;
  std::optional<count_table> counts;  // 8/16-bit types
  wide_stats wide;                    // wider types
  bool keeping = false;               // wide values kept for the histogram
  std::vector<unsigned char> kept;
  histogram_sink second_pass;
  bool second_pass_armed = false;
  std::unique_ptr<side_thread> side;  // large datums: the hash beside statistics and reads

  impl(streaming_hasher h, const digest_options& o) : hasher(std::move(h)), options(o) {
  }

  void add_stats(const unsigned char* data, size_t bytes) {
    with_type(dtype, [&](auto t) {
      using T = decltype(t);
      if constexpr (sizeof(T) <= 2)
        counts->add<T>(data, bytes / sizeof(T));
      else
        wide.add<T>(data, bytes / sizeof(T));
    });
    if (keeping)
      kept.insert(kept.end(), data, data + bytes);
  }
};

datum_digest::datum_digest(std::unique_ptr<impl> self) : self_(std::move(self)) {
}
datum_digest::datum_digest(datum_digest&&) noexcept = default;
datum_digest& datum_digest::operator=(datum_digest&&) noexcept = default;
datum_digest::~datum_digest() = default;

caf::expected<datum_digest> datum_digest::make(const std::string& algorithm,
                                               const digest_options& options) {
  auto name = algorithm.empty() ? std::string{"SHA-1"} : algorithm;
  auto canonical = normalize_algorithm(name);
  if (!canonical)
    return std::move(canonical.error());
  if (*canonical == "MD5")
    return make_error(ec::invalid_argument, "datum hashes are SHA-1 or SHA-256, not MD5");
  auto hasher = streaming_hasher::make(*canonical);
  if (!hasher)
    return std::move(hasher.error());
  return datum_digest{std::make_unique<impl>(std::move(*hasher), options)};
}

caf::error datum_digest::begin(const datum_dtype& dtype, const std::vector<uint64_t>& shape) {
  auto& s = *self_;
  if (s.begun)
    return make_error(ec::unspecified, "datum_digest: begin called twice");
  uint64_t n = 0;
  if (!element_count(shape, n) || __builtin_mul_overflow(n, dtype.size, &s.expected_bytes))
    return make_error(ec::parse_error, "shape " + shape_text(shape) + " is too large");
  s.begun = true;
  s.dtype = dtype;
  s.shape = shape;
  auto header = canonical_header(dtype, shape);
  s.hasher.update(header.data(), header.size());
  if (dtype.size <= 2) {
    s.counts.emplace(size_t{1} << (8 * dtype.size));
  } else if (s.expected_bytes <= s.options.keep_bytes) {
    s.keeping = true;
    s.kept.reserve(s.expected_bytes);
  }
  if (s.options.stats_thread_bytes > 0 && s.expected_bytes >= s.options.stats_thread_bytes)
    s.side = std::make_unique<side_thread>();
  return caf::none;
}

void datum_digest::values(const void* data, size_t bytes) {
  auto& s = *self_;
  s.received_bytes += bytes;
  auto p = static_cast<const unsigned char*>(data);
  if (s.side) {
    // The previous delivery is hashed by now (the reader may reuse its buffer next), this
    // one is hashed beside its counting and the next read.
    s.side->wait();
    s.side->start([&s, p, bytes] { s.hasher.update(p, bytes); });
    s.add_stats(p, bytes);
    return;
  }
  // One thread: slices hashed, then counted while still in the cache.
  while (bytes > 0) {
    size_t take = std::min(bytes, slice_bytes);
    s.hasher.update(p, take);
    s.add_stats(p, take);
    p += take;
    bytes -= take;
  }
}

bool datum_digest::needs_histogram_pass() const {
  auto& s = *self_;
  return s.begun && !s.counts && !s.keeping && s.wide.m.n > 0;
}

value_sink& datum_digest::histogram_pass() {
  auto& s = *self_;
  s.second_pass.arm(s.dtype, s.shape, s.wide.min, s.wide.max);
  s.second_pass_armed = true;
  return s.second_pass;
}

caf::expected<datum_summary> datum_digest::finish() {
  auto& s = *self_;
  if (!s.begun)
    return make_error(ec::unspecified, "datum_digest: finish before begin");
  if (s.side)
    s.side->wait();
  if (s.received_bytes != s.expected_bytes)
    return make_error(ec::parse_error,
                      "the values are " + std::to_string(s.received_bytes) + " bytes, shape "
                        + shape_text(s.shape) + " of " + s.dtype.str() + " needs "
                        + std::to_string(s.expected_bytes));
  if (!s.counts && !s.keeping && s.wide.m.n > 0
      && (!s.second_pass_armed || s.second_pass.bytes() != s.expected_bytes))
    return make_error(ec::unspecified,
                      "datum_digest: the histogram pass did not see every value");
  datum_summary out;
  out.algorithm = s.hasher.algorithm();
  out.hash = s.hasher.hex_digest();
  out.dtype = s.dtype;
  out.shape = s.shape;
  if (s.counts) {
    int64_t offset = s.dtype.kind == 'i' ? int64_t{1} << (8 * s.dtype.size - 1) : 0;
    out.stats = stats_from_counts(s.counts->totals(), s.counts->entries(), offset);
    return out;
  }
  auto& w = s.wide;
  out.stats.nan_count = w.nan_count;
  out.stats.inf_count = w.inf_count;
  out.stats.count = w.m.n;
  if (w.m.n == 0)
    return out;
  out.stats.min = w.min;
  out.stats.max = w.max;
  out.stats.mean = w.m.mean;
  out.stats.std = std::sqrt(w.m.m2 / static_cast<double>(w.m.n));
  if (s.keeping) {
    numpy_bins bins(w.min, w.max);
    out.stats.histogram.assign(histogram_bins, 0);
    with_type(s.dtype, [&](auto t) {
      using T = decltype(t);
      bin_values<T>(s.kept.data(), s.kept.size() / sizeof(T), bins, out.stats.histogram);
    });
    s.kept = {};
    return out;
  }
  out.stats.histogram = std::move(s.second_pass.histogram());
  return out;
}

}  // namespace d1
