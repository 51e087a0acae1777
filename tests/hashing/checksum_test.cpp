// Checksums: known vectors for every DataONE algorithm, and whole-file hashes of real
// KNB objects against the checksum in their own system metadata (Blandy.76.2 is a known bad copy).
#include "hashing/checksum.hpp"
#include "tests/support/test_paths.hpp"

#include "messages/error.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <utility>

namespace d1 {
namespace {

const std::string knb = d1::test::shared_fixtures() + "/knb";

std::string digest_of(std::string_view algorithm, const std::string& bytes) {
  auto h = streaming_hasher::make(algorithm);
  EXPECT_TRUE(h) << describe(h.error());
  h->update(bytes.data(), bytes.size());
  return h->hex_digest();
}

// The <checksum algorithm="...">value</checksum> of a sysmeta document.
std::pair<std::string, std::string> sysmeta_checksum(const std::string& path) {
  std::smatch m;
  auto text = test::slurp(path);
  static const std::regex re{R"re(<checksum algorithm="([^"]+)">([0-9a-fA-F]+)</checksum>)re"};
  if (!std::regex_search(text, m, re))
    return {};
  return {m[1], m[2]};
}

TEST(checksum, normalizes_dataone_names) {
  for (auto [in, out] : {std::pair{"MD5", "MD5"}, {"md5", "MD5"}, {"SHA-1", "SHA-1"},
                         {"sha1", "SHA-1"}, {"Sha-256", "SHA-256"}, {"SHA256", "SHA-256"}}) {
    auto r = normalize_algorithm(in);
    ASSERT_TRUE(r) << in;
    EXPECT_EQ(*r, out);
  }
  for (auto bad : {"", "SHA-512", "CRC32", "SHA 1", "MD5 "}) {
    auto r = normalize_algorithm(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(code_of(r.error()), ec::invalid_argument);
  }
}

TEST(checksum, known_vectors) {
  EXPECT_EQ(digest_of("MD5", ""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(digest_of("MD5", "abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(digest_of("SHA-1", ""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(digest_of("SHA-1", "abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(digest_of("SHA-256", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(digest_of("SHA-256", "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(checksum, streaming_equals_one_shot_and_restarts_after_digest) {
  auto h = streaming_hasher::make("sha256");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->algorithm(), "SHA-256");
  h->update("a", 1);
  h->update("", 0);
  h->update("bc", 2);
  EXPECT_EQ(h->hex_digest(), digest_of("SHA-256", "abc"));
  // After a digest the hasher starts over.
  h->update("abc", 3);
  EXPECT_EQ(h->hex_digest(), digest_of("SHA-256", "abc"));
  // Moving keeps the running state.
  h->update("a", 1);
  auto moved = std::move(*h);
  moved.update("bc", 2);
  EXPECT_EQ(moved.hex_digest(), digest_of("SHA-256", "abc"));
}

TEST(checksum, unknown_algorithm_is_invalid_argument) {
  auto h = streaming_hasher::make("SHA-3");
  ASSERT_FALSE(h);
  EXPECT_EQ(code_of(h.error()), ec::invalid_argument);
  auto f = hash_file(knb + "/data/cbfs.38.9", "whirlpool");
  ASSERT_FALSE(f);
  EXPECT_EQ(code_of(f.error()), ec::invalid_argument);
}

TEST(checksum, real_object_matches_its_sysmeta) {
  auto [algorithm, value] = sysmeta_checksum(knb + "/sysmeta/cbfs.38.9");
  ASSERT_EQ(algorithm, "MD5");
  auto digest = hash_file(knb + "/data/cbfs.38.9", algorithm);
  ASSERT_TRUE(digest) << describe(digest.error());
  EXPECT_EQ(*digest, value);
  auto sized = hash_file_with_size(knb + "/data/cbfs.38.9", "MD5");
  ASSERT_TRUE(sized);
  EXPECT_EQ(sized->size, 756u);
}

TEST(checksum, large_real_object_matches_its_sysmeta) {
  // 3.7 MB: several 1 MiB reads.
  auto [algorithm, value] = sysmeta_checksum(knb + "/sysmeta/cbfs.131.4");
  ASSERT_FALSE(value.empty());
  auto digest = hash_file(knb + "/data/cbfs.131.4", algorithm);
  ASSERT_TRUE(digest) << describe(digest.error());
  EXPECT_EQ(*digest, value);
}

TEST(checksum, known_bad_copy_does_not_match) {
  auto [algorithm, value] = sysmeta_checksum(knb + "/sysmeta/Blandy.76.2");
  ASSERT_EQ(value, "67f2679698380bffefff568d70578922");
  auto digest = hash_file(knb + "/data/Blandy.76.2", algorithm);
  ASSERT_TRUE(digest) << describe(digest.error());
  EXPECT_NE(*digest, value);
  EXPECT_EQ(*digest, "69344c0c90b23c51a2edaebf6058feb5");
}

TEST(checksum, unreadable_file_is_io_error_with_reason) {
  auto missing = hash_file("/nonexistent/d1drive/file", "MD5");
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), ec::io_error);
  EXPECT_NE(context_of(missing.error()).find("No such file"), std::string::npos)
    << describe(missing.error());
  auto dir = hash_file(knb, "MD5");
  ASSERT_FALSE(dir);
  EXPECT_EQ(code_of(dir.error()), ec::io_error);
}

}  // namespace
}  // namespace d1
