// .npy readers. The header is a Python dict literal with three keys ('descr',
// 'fortran_order', 'shape'); this parser accepts exactly the literals numpy writes there
// (strings, True/False, tuples of integers) and refuses everything else.
#include "actors/mobile/datum_npy.hpp"

#include "actors/mobile/datum_source.hpp"
#include "messages/error.hpp"

#include <endian.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

namespace d1 {

namespace {

constexpr size_t read_bytes = size_t{1} << 20;

// The largest header numpy writes is far below this; more is a corrupt file.
constexpr uint64_t max_header_bytes = uint64_t{1} << 20;

caf::error corrupt(const std::string& what) {
  return make_error(ec::parse_error, "not a valid .npy header: " + what);
}

// A cursor over the header dict.
class literal_parser {
public:
  explicit literal_parser(std::string_view text) : text_(text) {
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])))
      ++pos_;
  }

  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }

  bool string(std::string& out) {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"'))
      return false;
    char quote = text_[pos_++];
    auto end = text_.find(quote, pos_);
    if (end == std::string_view::npos)
      return false;
    out = std::string(text_.substr(pos_, end - pos_));
    if (out.find('\\') != std::string::npos)
      return false;
    pos_ = end + 1;
    return true;
  }

  bool boolean(bool& out) {
    skip_space();
    for (auto [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      auto len = std::strlen(word);
      if (text_.substr(pos_, len) == word) {
        pos_ += len;
        out = value;
        return true;
      }
    }
    return false;
  }

  // "(3, 4)", "(5,)", "()"; numpy never writes a dimension with a sign or 'L' suffix.
  caf::error tuple(std::vector<uint64_t>& out) {
    if (!eat('('))
      return corrupt("'shape' is not a tuple");
    out.clear();
    for (;;) {
      if (eat(')'))
        return caf::none;
      skip_space();
      if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
        return corrupt("'shape' holds something other than integers");
      uint64_t v = 0;
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
        if (__builtin_mul_overflow(v, 10, &v)
            || __builtin_add_overflow(v, static_cast<uint64_t>(text_[pos_] - '0'), &v))
          return corrupt("a dimension of 'shape' overflows 64 bits");
        ++pos_;
      }
      out.push_back(v);
      if (!eat(',')) {
        if (eat(')'))
          return caf::none;
        return corrupt("'shape' is not a tuple of integers");
      }
    }
  }

private:
  std::string_view text_;
  size_t pos_ = 0;
};

caf::expected<std::pair<datum_dtype, bool>> parse_descr(const std::string& descr) {
  if (descr.size() < 3)
    return corrupt("'descr' " + descr);
  char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    return corrupt("'descr' " + descr + " has no byte order");
  char kind = descr[1];
  auto digits = descr.substr(2);
  if (digits.empty() || digits.size() > 2
      || !std::all_of(digits.begin(), digits.end(),
                      [](unsigned char c) { return std::isdigit(c); }))
    return make_error(ec::invalid_argument,
                      "unsupported element type '" + descr
                        + "' (supported: 8/16/32/64-bit integers, 32/64-bit floats)");
  auto size = static_cast<size_t>(std::stoi(digits));
  if (kind != 'u' && kind != 'i' && kind != 'f')
    return make_error(ec::invalid_argument,
                      "unsupported element type '" + descr
                        + "' (supported: 8/16/32/64-bit integers, 32/64-bit floats)");
  auto dtype = make_dtype(kind, size);
  if (!dtype)
    return std::move(dtype.error());
  return std::pair{*dtype, order == '>' && size > 1};
}

// Swaps each element of `size` bytes in place.
void swap_elements(unsigned char* data, size_t bytes, size_t size) {
  switch (size) {
    case 2:
      for (size_t i = 0; i + 2 <= bytes; i += 2) {
        uint16_t v;
        std::memcpy(&v, data + i, 2);
        v = __builtin_bswap16(v);
        std::memcpy(data + i, &v, 2);
      }
      break;
    case 4:
      for (size_t i = 0; i + 4 <= bytes; i += 4) {
        uint32_t v;
        std::memcpy(&v, data + i, 4);
        v = __builtin_bswap32(v);
        std::memcpy(data + i, &v, 4);
      }
      break;
    case 8:
      for (size_t i = 0; i + 8 <= bytes; i += 8) {
        uint64_t v;
        std::memcpy(&v, data + i, 8);
        v = __builtin_bswap64(v);
        std::memcpy(data + i, &v, 8);
      }
      break;
    default:
      break;
  }
}

}  // namespace

caf::expected<npy_header> parse_npy_header(const std::string& bytes) {
  static constexpr char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, magic, 6) != 0)
    return corrupt("no \\x93NUMPY magic");
  auto major = static_cast<unsigned char>(bytes[6]);
  uint64_t header_len = 0;
  uint64_t prefix = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8])
                 | static_cast<uint64_t>(static_cast<unsigned char>(bytes[9])) << 8;
    prefix = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return corrupt("file ends inside the header length");
    for (int i = 0; i < 4; ++i)
      header_len |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    prefix = 12;
  } else {
    return corrupt("unknown format version " + std::to_string(major));
  }
  if (header_len > max_header_bytes)
    return corrupt("header length " + std::to_string(header_len) + " is implausible");
  if (bytes.size() < prefix + header_len)
    return corrupt("file ends inside the header");
  literal_parser p{std::string_view{bytes}.substr(prefix, header_len)};
  npy_header out;
  out.data_offset = prefix + header_len;
  bool have_descr = false, have_order = false, have_shape = false;
  if (!p.eat('{'))
    return corrupt("the header is not a dict");
  for (;;) {
    if (p.eat('}'))
      break;
    std::string key;
    if (!p.string(key) || !p.eat(':'))
      return corrupt("expected 'key': value in the header dict");
    if (key == "descr") {
      std::string descr;
      if (!p.string(descr))
        return make_error(ec::invalid_argument,
                          "unsupported element type: a structured (record) array");
      auto parsed = parse_descr(descr);
      if (!parsed)
        return std::move(parsed.error());
      out.dtype = parsed->first;
      out.big_endian = parsed->second;
      have_descr = true;
    } else if (key == "fortran_order") {
      if (!p.boolean(out.fortran_order))
        return corrupt("'fortran_order' is not True or False");
      have_order = true;
    } else if (key == "shape") {
      if (auto err = p.tuple(out.shape))
        return err;
      have_shape = true;
    } else {
      return corrupt("unexpected key '" + key + "'");
    }
    if (!p.eat(',')) {
      if (!p.eat('}'))
        return corrupt("expected ',' or '}' in the header dict");
      break;
    }
  }
  if (!p.at_end())
    return corrupt("text after the header dict");
  if (!have_descr || !have_order || !have_shape)
    return corrupt("the header lacks 'descr', 'fortran_order' or 'shape'");
  uint64_t n = 0, total = 0;
  if (!element_count(out.shape, n) || __builtin_mul_overflow(n, out.dtype.size, &total)
      || __builtin_add_overflow(total, out.data_offset, &total))
    return corrupt("shape " + shape_text(out.shape) + " overflows 64 bits");
  return out;
}

caf::error read_npy(const std::string& root, const std::string& rel,
                    std::optional<uint64_t> frame_no, value_sink& sink) {
  auto file = datum_file::open(root, rel);
  if (!file)
    return std::move(file.error());
  auto named = [&](const caf::error& err) {
    return make_error(code_of(err), file->path() + ": " + context_of(err));
  };
  // The header is read in two steps: its fixed prefix (magic, version, length) says how
  // long the rest is; parse_npy_header judges whatever arrived.
  std::string head(std::min<uint64_t>(file->size(), 12), '\0');
  if (auto err = file->read_at(head.data(), head.size(), 0))
    return err;
  if (head.size() >= 10) {
    uint64_t len = 0;
    if (head[6] == 1) {
      len = 10 + (static_cast<unsigned char>(head[8])
                  | static_cast<uint64_t>(static_cast<unsigned char>(head[9])) << 8);
    } else if (head.size() == 12) {
      uint32_t v;
      std::memcpy(&v, head.data() + 8, 4);
      len = 12 + uint64_t{le32toh(v)};
    }
    len = std::min<uint64_t>({len, file->size(), 12 + max_header_bytes});
    if (len > head.size()) {
      head.resize(len);
      if (auto err = file->read_at(head.data(), head.size(), 0))
        return err;
    }
  }
  auto parsed = parse_npy_header(head);
  if (!parsed)
    return named(parsed.error());
  auto& h = *parsed;
  if (h.fortran_order && h.shape.size() > 1)
    return named(make_error(ec::invalid_argument,
                            "Fortran-ordered arrays are not supported (save the array "
                            "with numpy.ascontiguousarray)"));
  uint64_t n = 0;
  element_count(h.shape, n);
  uint64_t array_bytes = n * h.dtype.size;
  if (file->size() < h.data_offset + array_bytes)
    return named(make_error(ec::parse_error,
                            "truncated: shape " + shape_text(h.shape) + " of "
                              + h.dtype.str() + " needs "
                              + std::to_string(h.data_offset + array_bytes)
                              + " bytes, the file has " + std::to_string(file->size())));
  if (file->size() > h.data_offset + array_bytes)
    return named(make_error(ec::parse_error,
                            std::to_string(file->size() - h.data_offset - array_bytes)
                              + " bytes after the array (shape " + shape_text(h.shape)
                              + " of " + h.dtype.str() + ")"));
  std::vector<uint64_t> shape = h.shape;
  uint64_t offset = h.data_offset;
  uint64_t bytes = array_bytes;
  if (frame_no) {
    if (h.shape.empty())
      return named(make_error(ec::invalid_argument,
                              "NPY_FRAMEWISE needs a stack, the array is a scalar"));
    if (*frame_no >= h.shape[0])
      return named(make_error(ec::invalid_argument,
                              "frame_no " + std::to_string(*frame_no) + " is past the stack of "
                                + std::to_string(h.shape[0]) + " frames"));
    shape.erase(shape.begin());
    bytes = h.shape[0] == 0 ? 0 : array_bytes / h.shape[0];
    offset += *frame_no * bytes;
  }
  if (auto err = sink.begin(h.dtype, shape))
    return named(err);
  // A whole number of elements per read, so each read swaps on its own.
  const size_t chunk = read_bytes - read_bytes % h.dtype.size;
  while (bytes > 0) {
    auto take = static_cast<size_t>(std::min<uint64_t>(bytes, chunk));
    auto buf = sink.buffer(take);
    if (auto err = file->read_at(buf, take, offset))
      return err;
    if (h.big_endian)
      swap_elements(buf, take, h.dtype.size);
    sink.values(buf, take);
    offset += take;
    bytes -= take;
  }
  return caf::none;
}

}  // namespace d1
