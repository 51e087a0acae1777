// A set of byte ranges of one object (which bytes are on disk, which are being fetched):
// half-open [begin, end) runs, merged when they touch, in order.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace d1 {

class byte_ranges {
public:
  using range = std::pair<uint64_t, uint64_t>;  // [first, second)

  /// Adds [begin, end); an empty range changes nothing.
  void add(uint64_t begin, uint64_t end);

  /// Removes [begin, end) (splitting a run if needed).
  void remove(uint64_t begin, uint64_t end);

  /// True if every byte of [begin, end) is in the set (an empty range is).
  bool contains(uint64_t begin, uint64_t end) const;

  /// True if the byte at `at` is in the set.
  bool contains(uint64_t at) const {
    return contains(at, at + 1);
  }

  /// Returns the end of the run holding the byte at `at`, or `at` if it is not in the set.
  uint64_t run_end(uint64_t at) const;

  /// Returns the parts of [begin, end) that are not in the set, in order.
  std::vector<range> gaps(uint64_t begin, uint64_t end) const;

  /// Returns the number of bytes in the set.
  uint64_t total() const;

  /// Returns the runs in order.
  std::vector<range> runs() const;

  bool empty() const {
    return runs_.empty();
  }

  /// Returns the runs flattened: begin, end, begin, end, … (for a persisted record).
  std::vector<uint64_t> flatten() const;

  /// Returns the set of the flattened runs `flat`; pairs with begin ≥ end and an odd last
  /// element are skipped, everything is clipped to `limit`.
  static byte_ranges from_flat(const std::vector<uint64_t>& flat, uint64_t limit);

private:
  std::map<uint64_t, uint64_t> runs_;  // begin → end, disjoint and not touching
};

}  // namespace d1
