// RAW datums: the bytes streamed in 1 MiB reads (smaller reads cost throughput, STACK.md).
#include "actors/mobile/datum_raw.hpp"

#include "actors/mobile/datum_source.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace d1 {

caf::error read_raw(const std::string& root, const std::string& rel, value_sink& sink) {
  constexpr size_t read_bytes = size_t{1} << 20;
  auto file = datum_file::open(root, rel);
  if (!file)
    return std::move(file.error());
  if (auto err = sink.begin(datum_dtype{'u', 1}, {file->size()}))
    return make_error(code_of(err), file->path() + ": " + context_of(err));
  for (uint64_t offset = 0; offset < file->size();) {
    auto take = static_cast<size_t>(std::min<uint64_t>(read_bytes, file->size() - offset));
    auto buf = sink.buffer(take);
    if (auto err = file->read_at(buf, take, offset))
      return err;
    sink.values(buf, take);
    offset += take;
  }
  return caf::none;
}

}  // namespace d1
