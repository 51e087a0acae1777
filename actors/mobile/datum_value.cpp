// The datum value types: element types (dtypes), shapes and their canonical header, and
// the reusable buffers that values are read into. The digest over the values is in
// datum_digest.cpp.
#include "actors/mobile/datum_value.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace d1 {

namespace {

constexpr size_t spare_buffers = 8;
constexpr size_t spare_buffer_bytes = size_t{16} << 20;

struct spare {
  std::unique_ptr<unsigned char[]> data;
  size_t size = 0;
};

thread_local std::vector<spare> spares;

}  // namespace

reusable_buffer::reusable_buffer(size_t bytes) {
  reserve(bytes);
}

void reusable_buffer::reserve(size_t bytes) {
  // Nothing is taken for an empty buffer: a spare taken and left unused would make the
  // next buffer that needs one allocate (and fault in) fresh memory.
  if (bytes == 0 || (size_ >= bytes && data_))
    return;
  for (auto it = spares.begin(); it != spares.end(); ++it)
    if (it->size >= bytes) {
      data_ = std::move(it->data);
      size_ = it->size;
      spares.erase(it);
      return;
    }
  data_.reset(new unsigned char[std::max<size_t>(bytes, 1)]);
  size_ = bytes;
}

reusable_buffer::~reusable_buffer() {
  if (!data_ || size_ > spare_buffer_bytes)
    return;
  if (spares.size() == spare_buffers) {
    // Keep the larger ones: the smallest spare goes.
    auto smallest = std::min_element(spares.begin(), spares.end(),
                                     [](auto& a, auto& b) { return a.size < b.size; });
    if (smallest->size >= size_)
      return;
    spares.erase(smallest);
  }
  spares.push_back(spare{std::move(data_), size_});
}

std::string datum_dtype::str() const {
  std::string out;
  out += size == 1 ? '|' : '<';
  out += kind;
  out += std::to_string(size);
  return out;
}

caf::expected<datum_dtype> make_dtype(char kind, size_t size) {
  bool ok = (kind == 'u' || kind == 'i') ? (size == 1 || size == 2 || size == 4 || size == 8)
                                         : kind == 'f' && (size == 4 || size == 8);
  if (!ok) {
    std::string name = kind == 'f' ? "float" : kind == 'i' ? "signed integer"
                       : kind == 'u' ? "unsigned integer" : std::string{"'"} + kind + "' type";
    return make_error(ec::invalid_argument,
                      "unsupported element type: " + std::to_string(size * 8) + "-bit " + name
                        + " (supported: 8/16/32/64-bit integers, 32/64-bit floats)");
  }
  return datum_dtype{kind, static_cast<uint8_t>(size)};
}

bool element_count(const std::vector<uint64_t>& shape, uint64_t& out) {
  out = 1;
  for (auto d : shape)
    if (__builtin_mul_overflow(out, d, &out))
      return false;
  return true;
}

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0)
      out += ',';
    out += std::to_string(shape[i]);
  }
  return out;
}

std::string canonical_header(const datum_dtype& dtype, const std::vector<uint64_t>& shape) {
  return dtype.str() + "\n" + shape_text(shape) + "\n";
}

}  // namespace d1
