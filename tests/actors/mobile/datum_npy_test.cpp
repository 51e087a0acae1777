// .npy headers (numpy's format 1.0/2.0, the literals numpy writes, refusals) and the
// reader: whole arrays, frames, big-endian values, truncated and padded files.
#include "actors/mobile/datum_npy.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

// A format-1.0 file: magic, version, header padded as numpy pads it, then `data`.
std::string npy_file(const std::string& dict, const std::string& data, char major = 1) {
  std::string header = dict;
  size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0)
    header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += major;
  out += '\0';
  auto len = header.size();
  out += static_cast<char>(len & 0xff);
  out += static_cast<char>((len >> 8) & 0xff);
  if (major != 1) {
    out += '\0';
    out += '\0';
  }
  return out + header + data;
}

TEST(datum_npy, parses_the_headers_numpy_writes) {
  auto bytes = npy_file("{'descr': '>u2', 'fortran_order': False, 'shape': (2, 3), }", "");
  auto h = parse_npy_header(bytes);
  ASSERT_TRUE(h) << describe(h.error());
  EXPECT_EQ(h->dtype, (datum_dtype{'u', 2}));
  EXPECT_TRUE(h->big_endian);
  EXPECT_FALSE(h->fortran_order);
  EXPECT_EQ(h->shape, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(h->data_offset, bytes.size());
  auto scalar = parse_npy_header(npy_file("{'descr': '<f8', 'fortran_order': False, 'shape': ()}", "", 2));
  ASSERT_TRUE(scalar) << describe(scalar.error());
  EXPECT_TRUE(scalar->shape.empty());
  auto one = parse_npy_header(npy_file("{\"shape\": (5,), \"fortran_order\": True, \"descr\": \"|u1\"}", ""));
  ASSERT_TRUE(one) << describe(one.error());
  EXPECT_EQ(one->shape, (std::vector<uint64_t>{5}));
  EXPECT_FALSE(one->big_endian);
}

TEST(datum_npy, refuses_headers_and_types_it_cannot_vouch_for) {
  auto refused = [](const std::string& bytes, ec code) {
    auto h = parse_npy_header(bytes);
    EXPECT_FALSE(h) << bytes;
    if (!h) {
      EXPECT_EQ(code_of(h.error()), code) << describe(h.error());
    }
  };
  refused("not numpy at all", ec::parse_error);
  refused(npy_file("{'descr': '<u2', 'fortran_order': False}", ""), ec::parse_error);
  refused(npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (2, -3), }", ""),
          ec::parse_error);
  refused(npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (99999999999, 99999999999), }", ""),
          ec::parse_error);
  refused(npy_file("{'descr': '<u2', 'fortran_order': 0, 'shape': (2,), }", ""), ec::parse_error);
  refused(npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), 'x': 1}", ""),
          ec::parse_error);
  refused(npy_file("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", ""),
          ec::invalid_argument);
  refused(npy_file("{'descr': '<c16', 'fortran_order': False, 'shape': (2,), }", ""),
          ec::invalid_argument);
  refused(npy_file("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", ""),
          ec::invalid_argument);
  refused(npy_file("{'descr': '<U5', 'fortran_order': False, 'shape': (2,), }", ""),
          ec::invalid_argument);
  refused(npy_file("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }", ""),
          ec::invalid_argument);
  std::string v9 = npy_file("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", "");
  v9[6] = 9;
  refused(v9, ec::parse_error);
}

TEST(datum_npy, reads_arrays_and_frames_swapping_big_endian_values) {
  test::temp_dir dir;
  std::string be{"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12};
  test::write_file(dir / "a.npy",
                   npy_file("{'descr': '>u2', 'fortran_order': False, 'shape': (3, 2), }", be));
  test::collecting_sink all;
  ASSERT_FALSE(read_npy(dir.path, "a.npy", std::nullopt, all));
  EXPECT_EQ(all.dtype, (datum_dtype{'u', 2}));
  EXPECT_EQ(all.shape, (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(all.as<uint16_t>(), (std::vector<uint16_t>{0x0102, 0x0304, 0x0506, 0x0708,
                                                       0x090a, 0x0b0c}));
  test::collecting_sink frame;
  ASSERT_FALSE(read_npy(dir.path, "a.npy", uint64_t{2}, frame));
  EXPECT_EQ(frame.shape, (std::vector<uint64_t>{2}));
  EXPECT_EQ(frame.as<uint16_t>(), (std::vector<uint16_t>{0x090a, 0x0b0c}));
  test::collecting_sink past;
  auto err = read_npy(dir.path, "a.npy", uint64_t{3}, past);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::invalid_argument);
  EXPECT_NE(context_of(err).find("past the stack of 3"), std::string::npos);
}

TEST(datum_npy, corrupt_files_are_errors_naming_the_file) {
  test::temp_dir dir;
  auto dict = "{'descr': '<u4', 'fortran_order': False, 'shape': (4,), }";
  test::write_file(dir / "short.npy", npy_file(dict, std::string(15, 'x')));
  test::write_file(dir / "long.npy", npy_file(dict, std::string(17, 'x')));
  test::write_file(dir / "cut_header.npy", npy_file(dict, "").substr(0, 30));
  test::write_file(dir / "empty.npy", "");
  test::write_file(dir / "fortran.npy",
                   npy_file("{'descr': '<u1', 'fortran_order': True, 'shape': (2, 2), }", "abcd"));
  for (auto [name, words] : {std::pair{"short.npy", "truncated"},
                             std::pair{"long.npy", "bytes after the array"},
                             std::pair{"cut_header.npy", "header"},
                             std::pair{"empty.npy", "magic"},
                             std::pair{"fortran.npy", "Fortran"}}) {
    test::collecting_sink sink;
    auto err = read_npy(dir.path, name, std::nullopt, sink);
    ASSERT_TRUE(err) << name;
    EXPECT_NE(context_of(err).find(dir / name), std::string::npos) << describe(err);
    EXPECT_NE(context_of(err).find(words), std::string::npos) << describe(err);
  }
}

}  // namespace
}  // namespace d1
