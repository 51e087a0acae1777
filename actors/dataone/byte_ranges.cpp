// byte_ranges: a std::map of disjoint runs keyed by their first byte.
#include "actors/dataone/byte_ranges.hpp"

#include <algorithm>
#include <iterator>

namespace d1 {

void byte_ranges::add(uint64_t begin, uint64_t end) {
  if (begin >= end)
    return;
  // The first run that could touch [begin, end): the one starting at or before begin.
  auto it = runs_.upper_bound(begin);
  if (it != runs_.begin() && std::prev(it)->second >= begin)
    --it;
  while (it != runs_.end() && it->first <= end) {
    begin = std::min(begin, it->first);
    end = std::max(end, it->second);
    it = runs_.erase(it);
  }
  runs_.emplace(begin, end);
}

void byte_ranges::remove(uint64_t begin, uint64_t end) {
  if (begin >= end)
    return;
  auto it = runs_.upper_bound(begin);
  if (it != runs_.begin())
    --it;
  while (it != runs_.end() && it->first < end) {
    auto [b, e] = *it;
    if (e <= begin) {
      ++it;
      continue;
    }
    it = runs_.erase(it);
    if (b < begin)
      runs_.emplace(b, begin);
    if (e > end) {
      runs_.emplace(end, e);
      break;
    }
  }
}

bool byte_ranges::contains(uint64_t begin, uint64_t end) const {
  if (begin >= end)
    return true;
  auto it = runs_.upper_bound(begin);
  if (it == runs_.begin())
    return false;
  --it;
  return it->first <= begin && it->second >= end;
}

uint64_t byte_ranges::run_end(uint64_t at) const {
  auto it = runs_.upper_bound(at);
  if (it == runs_.begin())
    return at;
  --it;
  return it->second > at ? it->second : at;
}

std::vector<byte_ranges::range> byte_ranges::gaps(uint64_t begin, uint64_t end) const {
  std::vector<range> out;
  auto at = begin;
  auto it = runs_.upper_bound(begin);
  if (it != runs_.begin())
    --it;
  for (; it != runs_.end() && at < end; ++it) {
    if (it->second <= at)
      continue;
    if (it->first >= end)
      break;
    if (it->first > at)
      out.emplace_back(at, it->first);
    at = std::max(at, it->second);
  }
  if (at < end)
    out.emplace_back(at, end);
  return out;
}

uint64_t byte_ranges::total() const {
  uint64_t n = 0;
  for (auto& [b, e] : runs_)
    n += e - b;
  return n;
}

std::vector<byte_ranges::range> byte_ranges::runs() const {
  return {runs_.begin(), runs_.end()};
}

std::vector<uint64_t> byte_ranges::flatten() const {
  std::vector<uint64_t> out;
  out.reserve(runs_.size() * 2);
  for (auto& [b, e] : runs_) {
    out.push_back(b);
    out.push_back(e);
  }
  return out;
}

byte_ranges byte_ranges::from_flat(const std::vector<uint64_t>& flat, uint64_t limit) {
  byte_ranges out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2)
    out.add(std::min(flat[i], limit), std::min(flat[i + 1], limit));
  return out;
}

}  // namespace d1
