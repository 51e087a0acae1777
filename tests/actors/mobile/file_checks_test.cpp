// check_files on real directories: many files read ahead, per-file results in order, the
// byte budget of a batch; what each level reports, FIFOs and devices never blocking, and
// a file that changed since it was hashed.
#include "actors/mobile/file_checks.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "tests/actors/mobile/copy_items.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace d1 {
namespace {

namespace fs = std::filesystem;
using test::io;
using test::random_bytes;
using test::write_file;

TEST(check_files_test, hashes_many_files_read_ahead_in_order_with_per_file_results) {
  test::temp_dir dir;
  std::string root = dir / "root";
  std::vector<hash_request> reqs;
  std::vector<std::string> bytes;
  // More files than the read-ahead window, one larger than it reads ahead, one missing.
  for (int i = 0; i < 150; ++i) {
    auto rel = "scan/f" + std::to_string(i);
    bytes.push_back(random_bytes(i == 70 ? (size_t{5} << 20) : 3000 + i * 37, 100 + i));
    if (i != 90)
      write_file(root + "/" + rel, bytes.back());
    reqs.push_back(hash_request{0, root, rel, "SHA-256", check_level::hash, 0, {}, false, {}});
  }
  auto out = check_files(io(), reqs);
  ASSERT_EQ(out.size(), reqs.size());
  for (int i = 0; i < 150; ++i) {
    if (i == 90) {
      EXPECT_EQ(out[90].state, file_state::missing);
      continue;
    }
    EXPECT_EQ(out[i].state, file_state::ok) << i << ": " << out[i].detail;
    EXPECT_EQ(out[i].size, bytes[i].size()) << i;
    EXPECT_EQ(out[i].digest, *hash_file(root + "/" + reqs[i].rel_path, "SHA-256")) << i;
  }
}

TEST(check_files_test, stops_after_the_file_that_passes_the_byte_budget) {
  test::temp_dir dir;
  std::string root = dir / "root";
  std::vector<hash_request> reqs;
  for (int i = 0; i < 5; ++i) {
    write_file(root + "/f" + std::to_string(i), std::string(1500, 'x'));
    reqs.push_back(hash_request{0, root, "f" + std::to_string(i), "SHA-256", check_level::hash, 0,
                                {}, false, {}});
  }
  EXPECT_EQ(check_files(io(), reqs, 2000).size(), 2u);  // 1500, then 3000 > 2000: stop
  EXPECT_EQ(check_files(io(), reqs, 3000).size(), 3u);
  EXPECT_EQ(check_files(io(), reqs, 0).size(), 1u);  // at least one
  EXPECT_EQ(check_files(io(), reqs).size(), 5u);
}

}  // namespace
}  // namespace d1
