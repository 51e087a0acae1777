// Fuzz target: numpy .npy files as a resource may hold them (actors/mobile/datum_npy.hpp):
// the header parser on the bytes, then the reader over them as a file, whole and as
// frame 0 and 1 of a stack.
#include "actors/mobile/datum_npy.hpp"
#include "tests/fuzz/datum_fuzz.hpp"

#include <cstring>

namespace {

using d1::fuzz::check;

// A version-1.0 .npy file: magic, version, header length, the dict padded to 64 bytes.
std::string npy(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

}  // namespace

D1_FUZZ_SEEDS(npy_file) {
  std::string u16(2 * 3 * 4 * 2, '\x07');
  std::string f8(2 * 2 * 8, '\x3f');
  return {
    npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4), }", u16),
    npy("{'descr': '>u2', 'fortran_order': False, 'shape': (2, 3, 4), }", u16),
    npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", f8),
    npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", "\x05"),
    npy("{'descr': '<i4', 'fortran_order': True, 'shape': (1, 1), }", "abcd"),
    npy("{'descr': '<u2', 'fortran_order': False, 'shape': (2, 3, 4), }", u16.substr(7)),
  };
}

D1_FUZZ_TARGET(npy_file) {
  auto header = d1::parse_npy_header(std::string{input});
  if (header) {
    uint64_t n = 0;
    check(d1::element_count(header->shape, n), "a parsed shape whose count overflows");
    check(header->data_offset <= input.size(), "values said to start past the header read");
  }
  auto dir = d1::fuzz::scratch_file("a.npy", input);
  d1::datum_root root{d1::fuzz::disk_io(), dir};
  for (std::optional<uint64_t> frame : {std::optional<uint64_t>{}, std::optional<uint64_t>{0},
                                        std::optional<uint64_t>{1}}) {
    d1::fuzz::checking_sink sink;
    auto err = d1::read_npy(root, "a.npy", frame, sink);
    sink.finish(!err);
  }
}
