// copy_files on real directories: a batch hashed while copying, one sync, renames; per-item
// failures (wrong digest, other bytes at the final name, symlink escapes) leave nothing
// behind and do not stop the others; a full destination (tmpfs) stops the rest.
#include "actors/mobile/copy_batch.hpp"

#include "actors/mobile/file_checks.hpp"
#include "actors/mobile/remove_batch.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "tests/actors/mobile/copy_items.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/support/faulty_file_system.hpp"
#include "tests/support/files.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

namespace d1 {
namespace {

namespace fs = std::filesystem;
using test::count_temp_files;
using test::write_file;
using test::io;
using test::random_bytes;


class copy_files_test : public ::testing::Test {
protected:
  // Writes `bytes` as src/rel and returns the batch item with its true SHA-256.
  copy_item add(const std::string& rel, const std::string& bytes) {
    return test::write_item(src_, rel, bytes);
  }

  copy_batch_request batch(std::vector<copy_item> items) {
    return copy_batch_request{0, src_, dst_, "SHA-256", std::move(items)};
  }

  test::temp_dir dir_;
  std::string src_ = dir_ / "src";
  std::string dst_ = dir_ / "dst";
};

TEST_F(copy_files_test, copies_a_batch_in_nested_directories_with_digests_and_modes) {
  std::vector<copy_item> items;
  for (int i = 0; i < 40; ++i)
    items.push_back(add("scan/" + std::to_string(i % 3) + "/f" + std::to_string(i),
                        random_bytes(100 + i * 997, i)));
  ::chmod((src_ + "/" + items[5].rel_path).c_str(), 0600);
  fs::create_directories(dst_);
  auto result = copy_files(io(), batch(items));
  ASSERT_EQ(result.outcomes.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    auto& o = result.outcomes[i];
    ASSERT_FALSE(o.error) << describe(o.error);
    EXPECT_FALSE(o.result.adopted);
    EXPECT_EQ(o.result.digest, items[i].expected_digest);
    EXPECT_EQ(o.result.size, items[i].expected_size);
    EXPECT_EQ(test::slurp(dst_ + "/" + items[i].rel_path),
              test::slurp(src_ + "/" + items[i].rel_path));
  }
  struct stat st {};
  ASSERT_EQ(::stat((dst_ + "/" + items[5].rel_path).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(count_temp_files(dst_), 0);
}

// The sources of a batch are opened ahead (64 files, 32 MiB): many more files than the
// window, some missing or replaced by a symlink or a directory, all in one batch. Each
// outcome is the item's own; no descriptor outlives the batch.
TEST_F(copy_files_test, sources_opened_ahead_match_their_items_and_none_is_left_open) {
  auto open_fds = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{});
  };
  std::vector<copy_item> items;
  for (int i = 0; i < 160; ++i)
    items.push_back(add("many/f" + std::to_string(i), random_bytes(1 + (i * 7919) % 70000, i)));
  fs::remove(src_ + "/many/f17");
  fs::remove(src_ + "/many/f100");
  fs::create_directories(src_ + "/many/f100");
  fs::remove(src_ + "/many/f131");
  fs::create_symlink(src_ + "/many/f0", src_ + "/many/f131");
  auto before = open_fds();
  for (int round = 0; round < 2; ++round) {
    auto result = copy_files(io(), batch(items));
    ASSERT_EQ(result.outcomes.size(), items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      auto& o = result.outcomes[i];
      if (i == 17 || i == 100 || i == 131) {
        EXPECT_TRUE(o.error) << i;
        continue;
      }
      ASSERT_FALSE(o.error) << i << ": " << describe(o.error);
      EXPECT_EQ(o.result.digest, items[i].expected_digest) << i;
      EXPECT_EQ(o.result.adopted, round > 0) << i;  // later rounds find the copies there
    }
  }
  EXPECT_EQ(code_of(copy_files(io(), batch({items[131]})).outcomes[0].error), ec::invalid_path);
  EXPECT_EQ(open_fds(), before);
  EXPECT_EQ(count_temp_files(dst_), 0);
}

TEST_F(copy_files_test, a_large_file_hashes_to_what_the_destination_holds) {
  // Several writeback steps (8 MiB) and copy pieces (1 MiB), with an odd tail.
  auto item = add("big.bin", random_bytes((size_t{20} << 20) + 12345, 7));
  auto result = copy_files(io(), batch({item}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  auto dst_digest = hash_file(dst_ + "/big.bin", "SHA-256");
  ASSERT_TRUE(dst_digest);
  EXPECT_EQ(*dst_digest, item.expected_digest);
  EXPECT_EQ(result.outcomes[0].result.digest, item.expected_digest);
  EXPECT_EQ(result.outcomes[0].result.size, item.expected_size);
}

TEST_F(copy_files_test, a_staged_batch_is_only_under_temporary_names_until_finished) {
  auto small = add("scan/a", random_bytes(5000, 11));
  auto piecewise = add("scan/b", random_bytes((size_t{3} << 20) + 7, 12));  // copy_file_range
  auto bad = add("scan/c", "not what was recorded");
  bad.expected_digest[0] = bad.expected_digest[0] == '0' ? '1' : '0';
  auto staged = stage_copy_batch(io(), batch({small, piecewise, bad}));
  ASSERT_EQ(staged.staged.size(), 2u);
  // Written and hashed, not yet synced: no final name exists, the bad item is gone.
  EXPECT_FALSE(fs::exists(dst_ + "/scan/a"));
  EXPECT_FALSE(fs::exists(dst_ + "/scan/b"));
  EXPECT_EQ(count_temp_files(dst_), 2);
  auto result = finish_copy_batch(io(), staged);
  ASSERT_EQ(result.outcomes.size(), 3u);
  EXPECT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  EXPECT_FALSE(result.outcomes[1].error) << describe(result.outcomes[1].error);
  EXPECT_EQ(code_of(result.outcomes[2].error), ec::checksum_mismatch);
  EXPECT_EQ(result.outcomes[1].result.digest, piecewise.expected_digest);
  EXPECT_EQ(test::slurp(dst_ + "/scan/a"), test::slurp(src_ + "/scan/a"));
  EXPECT_EQ(test::slurp(dst_ + "/scan/b"), test::slurp(src_ + "/scan/b"));
  EXPECT_FALSE(fs::exists(dst_ + "/scan/c"));
  EXPECT_EQ(count_temp_files(dst_), 0);
}

TEST_F(copy_files_test, a_wrong_recorded_digest_fails_only_that_item_and_leaves_nothing) {
  auto good1 = add("a", "first");
  auto bad = add("b", "second");
  auto good2 = add("c", "third");
  bad.expected_digest[0] = bad.expected_digest[0] == '0' ? '1' : '0';
  auto result = copy_files(io(), batch({good1, bad, good2}));
  EXPECT_FALSE(result.outcomes[0].error);
  ASSERT_TRUE(result.outcomes[1].error);
  EXPECT_EQ(code_of(result.outcomes[1].error), ec::checksum_mismatch);
  EXPECT_FALSE(result.outcomes[2].error);
  EXPECT_TRUE(fs::exists(dst_ + "/a"));
  EXPECT_FALSE(fs::exists(dst_ + "/b"));
  EXPECT_TRUE(fs::exists(dst_ + "/c"));
  EXPECT_EQ(count_temp_files(dst_), 0);
}

TEST_F(copy_files_test, adopts_identical_bytes_and_never_overwrites_other_bytes) {
  auto same = add("same", "identical bytes");
  auto other = add("other", "the source's bytes");
  write_file(dst_ + "/same", "identical bytes");
  write_file(dst_ + "/other", "somebody else's bytes");
  auto result = copy_files(io(), batch({same, other}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  EXPECT_TRUE(result.outcomes[0].result.adopted);
  ASSERT_TRUE(result.outcomes[1].error);
  EXPECT_EQ(code_of(result.outcomes[1].error), ec::checksum_mismatch);
  EXPECT_EQ(test::slurp(dst_ + "/other"), "somebody else's bytes");
  EXPECT_EQ(count_temp_files(dst_), 0);
}

// Files over one buffer (1 MiB) are looked up at their final name before the copy; smaller
// ones are found at the rename. Both paths adopt identical bytes and keep other bytes.
TEST_F(copy_files_test, adopts_or_keeps_an_existing_final_name_before_or_at_the_rename) {
  std::string big(3 << 20, 'b');
  big[12345] = 'x';
  std::string big_other = big;
  big_other[777] = 'y';
  auto big_same = add("big_same", big);
  auto big_diff = add("big_diff", big);
  auto small_dir = add("small_dir", "a directory holds its name");
  auto small_link = add("small_link", "a symlink holds its name");
  write_file(dst_ + "/big_same", big);
  write_file(dst_ + "/big_diff", big_other);
  fs::create_directories(dst_ + "/small_dir");
  fs::create_directories(dir_ / "elsewhere");
  fs::create_symlink(dir_ / "elsewhere/target", dst_ + "/small_link");
  auto result = copy_files(io(), batch({big_same, big_diff, small_dir, small_link}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  EXPECT_TRUE(result.outcomes[0].result.adopted);
  EXPECT_EQ(result.outcomes[0].result.size, big.size());
  ASSERT_TRUE(result.outcomes[1].error);
  EXPECT_EQ(code_of(result.outcomes[1].error), ec::checksum_mismatch);
  EXPECT_EQ(test::slurp(dst_ + "/big_diff"), big_other);
  ASSERT_TRUE(result.outcomes[2].error);
  EXPECT_EQ(code_of(result.outcomes[2].error), ec::invalid_path)
    << describe(result.outcomes[2].error);
  EXPECT_TRUE(fs::is_directory(dst_ + "/small_dir"));
  ASSERT_TRUE(result.outcomes[3].error);
  EXPECT_EQ(code_of(result.outcomes[3].error), ec::invalid_path)
    << describe(result.outcomes[3].error);
  EXPECT_TRUE(fs::is_symlink(dst_ + "/small_link"));
  EXPECT_FALSE(fs::exists(dir_ / "elsewhere/target"));
  EXPECT_EQ(count_temp_files(dst_), 0);
}

TEST_F(copy_files_test, refuses_escapes_and_symlinked_directories_per_item) {
  auto good = add("ok/file", "fine");
  auto escape = copy_item{"../outside", good.expected_digest, good.expected_size};
  fs::create_directories(dst_);
  fs::create_directories(dir_ / "elsewhere");
  fs::create_symlink(dir_ / "elsewhere", dst_ + "/linked");
  auto through_link = add("linked/file", "must not land elsewhere");
  auto result = copy_files(io(), batch({escape, good, through_link}));
  ASSERT_TRUE(result.outcomes[0].error);
  EXPECT_EQ(code_of(result.outcomes[0].error), ec::invalid_path);
  EXPECT_FALSE(result.outcomes[1].error) << describe(result.outcomes[1].error);
  ASSERT_TRUE(result.outcomes[2].error);
  EXPECT_EQ(code_of(result.outcomes[2].error), ec::invalid_path);
  EXPECT_TRUE(fs::is_empty(dir_ / "elsewhere"));
}

TEST_F(copy_files_test, a_bad_root_or_algorithm_fails_every_item) {
  auto item = add("a", "x");
  auto req = batch({item, item});
  req.algorithm = "CRC32";
  auto result = copy_files(io(), req);
  for (auto& o : result.outcomes)
    EXPECT_EQ(code_of(o.error), ec::invalid_argument);
  req = batch({item});
  req.dst_root = "relative/root";
  EXPECT_EQ(code_of(copy_files(io(), req).outcomes[0].error), ec::invalid_path);
}

// A tmpfs source and an ext4 (or whatever /tmp is) destination: across filesystems
// copy_file_range may refuse (EXDEV) and the read/hash/write path runs; either way the
// bytes and digests must be right.
TEST_F(copy_files_test, copies_across_filesystems) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to mount a tmpfs";
  auto mnt = dir_ / "tmpfs-src";
  fs::create_directories(mnt);
  ASSERT_EQ(::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=8m"), 0) << std::strerror(errno);
  struct unmounter {
    std::string dir;
    ~unmounter() {
      ::umount2(dir.c_str(), MNT_DETACH);
    }
  } unmount{mnt};
  src_ = mnt;
  auto item = add("d/f", random_bytes(3 << 20, 3));
  auto result = copy_files(io(), batch({item}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  EXPECT_EQ(test::slurp(dst_ + "/d/f"), test::slurp(mnt + "/d/f"));
}

// A 1 MiB tmpfs destination: the file that does not fit fails "no space left", the ones
// after it are not tried (same error), the ones before it are complete; no temp remains.
TEST_F(copy_files_test, a_full_destination_stops_the_rest_of_the_batch) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to mount a tmpfs";
  fs::create_directories(dst_);
  ASSERT_EQ(::mount("tmpfs", dst_.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  struct unmounter {
    std::string dir;
    ~unmounter() {
      ::umount2(dir.c_str(), MNT_DETACH);
    }
  } unmount{dst_};
  auto small = add("small", random_bytes(100 << 10, 1));
  auto huge = add("huge", random_bytes(6 << 20, 2));  // over 4 MiB: read with O_DIRECT
  auto after = add("after", random_bytes(10 << 10, 3));
  auto result = copy_files(io(), batch({small, huge, after}));
  EXPECT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  ASSERT_TRUE(result.outcomes[1].error);
  EXPECT_EQ(code_of(result.outcomes[1].error), ec::no_space);
  EXPECT_NE(context_of(result.outcomes[1].error).find("no space left"), std::string::npos)
    << describe(result.outcomes[1].error);
  ASSERT_TRUE(result.outcomes[2].error);
  EXPECT_EQ(context_of(result.outcomes[2].error), context_of(result.outcomes[1].error));
  EXPECT_EQ(test::slurp(dst_ + "/small"), test::slurp(src_ + "/small"));
  EXPECT_FALSE(fs::exists(dst_ + "/huge"));
  EXPECT_FALSE(fs::exists(dst_ + "/after"));
  EXPECT_EQ(count_temp_files(dst_), 0);
}

// Every copy method, on a file of several 8 MiB O_DIRECT pieces with an odd tail, written
// just before (its pages still dirty: an O_DIRECT read must see them).
TEST(copy_fd_test, every_method_copies_and_hashes_the_same_bytes) {
  test::temp_dir dir;
  auto bytes = random_bytes((size_t{17} << 20) + 4321, 21);
  write_file(dir / "src", bytes);
  auto expected = hash_file(dir / "src", "SHA-256");
  ASSERT_TRUE(expected);
  // Whether this filesystem takes O_DIRECT at all (tmpfs before Linux 6.6 does not).
  int probe = ::open((dir / "src").c_str(), O_RDONLY | O_DIRECT);
  bool direct_possible = probe >= 0;
  if (probe >= 0)
    ::close(probe);
  for (auto method : {copy_method::automatic, copy_method::direct_read,
                      copy_method::copy_file_range, copy_method::read_write}) {
    SCOPED_TRACE(static_cast<int>(method));
    std::string dst = dir / ("dst" + std::to_string(static_cast<int>(method)));
    int in = ::open((dir / "src").c_str(), O_RDONLY | O_CLOEXEC);
    int out = ::open(dst.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(in, 0);
    ASSERT_GE(out, 0);
    auto digest = copy_fd(io(), in, out, "SHA-256", method);
    bool read_direct = (::fcntl(in, F_GETFL) & O_DIRECT) != 0;
    ::close(in);
    ::close(out);
    ASSERT_TRUE(digest) << describe(digest.error());
    EXPECT_EQ(digest->hex, *expected);
    EXPECT_EQ(digest->size, bytes.size());
    EXPECT_TRUE(test::slurp(dst) == bytes);
    bool wants_direct = method == copy_method::direct_read || method == copy_method::automatic;
    EXPECT_EQ(read_direct, wants_direct && direct_possible);
  }
}

TEST(copy_fd_test, small_files_and_unknown_algorithms_do_not_read_direct) {
  test::temp_dir dir;
  auto bytes = random_bytes((size_t{3} << 20) + 5, 22);  // under 4 MiB: through the page cache
  write_file(dir / "src", bytes);
  int in = ::open((dir / "src").c_str(), O_RDONLY | O_CLOEXEC);
  int out = ::open((dir / "dst").c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(in, 0);
  ASSERT_GE(out, 0);
  auto bad = copy_fd(io(), in, out, "CRC-7", copy_method::direct_read);
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), ec::invalid_argument);
  auto digest = copy_fd(io(), in, out, "MD5", copy_method::direct_read);
  EXPECT_EQ(::fcntl(in, F_GETFL) & O_DIRECT, 0);
  ::close(in);
  ::close(out);
  ASSERT_TRUE(digest) << describe(digest.error());
  EXPECT_EQ(digest->hex, *hash_file(dir / "src", "MD5"));
  EXPECT_TRUE(test::slurp(dir / "dst") == bytes);
}

// How much of `path` is in the page cache (0 to 1).
double cached_fraction(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0)
    return -1;
  void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return -1;
  auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t pages = (static_cast<size_t>(st.st_size) + page - 1) / page;
  std::vector<unsigned char> resident(pages);
  ::mincore(map, static_cast<size_t>(st.st_size), resident.data());
  ::munmap(map, static_cast<size_t>(st.st_size));
  size_t in = 0;
  for (auto r : resident)
    in += r & 1;
  return static_cast<double>(in) / static_cast<double>(pages);
}

// Drops `path` from the page cache (written back first).
void evict(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// read_options::direct (the config's [mobile] direct_reads) decides whether a large file
// is read past the page cache (O_DIRECT) or through it, for copies and for hashing: seen
// in how much of the source the page cache holds afterwards.
TEST_F(copy_files_test, direct_reads_leave_the_page_cache_alone_and_can_be_turned_off) {
  auto item = add("big.bin", random_bytes((size_t{9} << 20) + 77, 31));
  auto src = src_ + "/big.bin";
  evict(src);
  if (cached_fraction(src) > 0.1)
    GTEST_SKIP() << "this filesystem keeps the pages cached after POSIX_FADV_DONTNEED";
  int probe = ::open(src.c_str(), O_RDONLY | O_DIRECT);
  if (probe < 0)
    GTEST_SKIP() << "this filesystem does not take O_DIRECT";
  ::close(probe);
  auto direct = copy_files(io(true), batch({item}));
  ASSERT_FALSE(direct.outcomes[0].error) << describe(direct.outcomes[0].error);
  EXPECT_LT(cached_fraction(src), 0.1);
  hash_request check{0, src_, "big.bin", "SHA-256", check_level::hash,
                     item.expected_size, item.expected_digest, true, {}};
  auto checked = check_files(io(true), {check}, UINT64_MAX);
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_EQ(checked[0].state, file_state::ok) << checked[0].detail;
  EXPECT_LT(cached_fraction(src), 0.1);

  dst_ = dir_ / "dst2";
  auto buffered = copy_files(io(false), batch({item}));
  ASSERT_FALSE(buffered.outcomes[0].error) << describe(buffered.outcomes[0].error);
  EXPECT_EQ(test::slurp(dst_ + "/big.bin"), test::slurp(src));
  EXPECT_GT(cached_fraction(src), 0.9);
  evict(src);
  checked = check_files(io(false), {check}, UINT64_MAX);
  ASSERT_EQ(checked.size(), 1u);
  EXPECT_EQ(checked[0].state, file_state::ok) << checked[0].detail;
  EXPECT_GT(cached_fraction(src), 0.9);
}

// A source whose size changed since it was recorded: with direct reads on or off, the
// copy fails with what it found (the true size), and the others are copied.
TEST_F(copy_files_test, a_source_that_changed_size_since_it_was_recorded_fails_alone) {
  auto grew = add("grew", random_bytes(5000, 1));
  auto shrank = add("shrank", random_bytes(9000, 2));
  auto same = add("same", random_bytes(7000, 3));
  test::write_file(src_ + "/grew", random_bytes(30000, 4));
  test::write_file(src_ + "/shrank", random_bytes(100, 5));
  for (bool direct : {true, false}) {
    dst_ = dir_ / (direct ? "direct" : "buffered");
    auto result = copy_files(io(direct), batch({grew, shrank, same}));
    ASSERT_EQ(code_of(result.outcomes[0].error), ec::checksum_mismatch) << direct;
    EXPECT_NE(context_of(result.outcomes[0].error).find("(30000 bytes)"), std::string::npos)
      << describe(result.outcomes[0].error);
    ASSERT_EQ(code_of(result.outcomes[1].error), ec::checksum_mismatch) << direct;
    EXPECT_NE(context_of(result.outcomes[1].error).find("(100 bytes)"), std::string::npos)
      << describe(result.outcomes[1].error);
    ASSERT_FALSE(result.outcomes[2].error) << describe(result.outcomes[2].error);
    EXPECT_FALSE(fs::exists(dst_ + "/grew"));
    EXPECT_FALSE(fs::exists(dst_ + "/shrank"));
    EXPECT_EQ(test::slurp(dst_ + "/same"), test::slurp(src_ + "/same"));
    EXPECT_EQ(count_temp_files(dst_), 0);
  }
}


// -- what a copy keeps, and what it refuses ---------------------------------------------

// As root (the daemon's usual user): a user's setuid file keeps its owner, so it never
// becomes a setuid-root file; directories made for it take their source's owner and mode.
TEST_F(copy_files_test, keeps_owner_group_mode_and_mtime_of_files_and_directories) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to give files to another user";
  auto item = add("dir/tool", "#!/bin/sh\necho hi\n");
  ASSERT_EQ(::chown((src_ + "/dir/tool").c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod((src_ + "/dir/tool").c_str(), 04755), 0);
  ASSERT_EQ(::chown((src_ + "/dir").c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod((src_ + "/dir").c_str(), 0750), 0);
  struct timespec times[2] = {{0, UTIME_OMIT}, {1000000000, 123456789}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (src_ + "/dir/tool").c_str(), times, 0), 0);
  auto result = copy_files(io(), batch({item}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  struct stat st;
  ASSERT_EQ(::stat((dst_ + "/dir/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  EXPECT_EQ(st.st_mtim.tv_nsec, 123456789);
  ASSERT_EQ(::stat((dst_ + "/dir").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  // What the copy recorded is the final file as it now is.
  EXPECT_EQ(result.outcomes[0].result.stat.uid, 65534u);
  auto now = check_file(io(), hash_request{0, dst_, "dir/tool", "SHA-256", check_level::exists,
                                           0, {}, false, {}});
  ASSERT_TRUE(now);
  EXPECT_TRUE(unchanged_since(result.outcomes[0].result.stat, now->stat));
}

// A daemon that may not give a file away (not root) keeps no set-id bit: a setuid file
// of its own making is never the result of a copy.
TEST_F(copy_files_test, setuid_and_setgid_go_when_the_owner_cannot_be_kept) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to give the source to another user";
  auto item = add("tool", "binary");
  ASSERT_EQ(::chown((src_ + "/tool").c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod((src_ + "/tool").c_str(), 06755), 0);
  test::faulty_file_system faulty;
  faulty.add({test::fs_op::set_owner, "", 1, -1, test::fault_kind::fail, EPERM});
  worker_io fio{faulty};
  auto result = copy_files(fio, batch({item}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  struct stat st;
  ASSERT_EQ(::stat((dst_ + "/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
  EXPECT_EQ(st.st_uid, 0u);  // the daemon's own file: never setuid
}

TEST_F(copy_files_test, never_adopts_a_planted_final_file_of_another_owner) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to plant a file of another user";
  auto big = add("big", random_bytes((size_t{2} << 20) + 1, 41));   // looked up before
  auto small = add("small", random_bytes(3000, 42));                 // found at the rename
  for (auto* rel : {"big", "small"}) {
    write_file(dst_ + "/" + rel, test::slurp(src_ + "/" + rel));  // the right bytes…
    ASSERT_EQ(::chown((dst_ + "/" + rel).c_str(), 65534, 65534), 0);  // …someone else's
  }
  auto result = copy_files(io(), batch({big, small}));
  for (auto& o : result.outcomes) {
    EXPECT_EQ(code_of(o.error), ec::refused) << describe(o.error);
    EXPECT_NE(context_of(o.error).find("not adopted"), std::string::npos) << describe(o.error);
  }
  EXPECT_EQ(count_temp_files(dst_), 0);
}

TEST_F(copy_files_test, a_destination_root_that_is_the_source_under_another_name_is_refused) {
  auto item = add("f", "the only copy");
  std::string alias = dir_ / "alias";
  fs::create_directory_symlink(src_, alias);
  auto req = copy_batch_request{0, src_, alias, "SHA-256", {item}, false};
  auto result = copy_files(io(), req);
  EXPECT_EQ(code_of(result.outcomes[0].error), ec::refused) << describe(result.outcomes[0].error);
  if (::geteuid() == 0) {  // a bind mount is the same directory too
    std::string bind = dir_ / "bind";
    fs::create_directories(bind);
    ASSERT_EQ(::mount(src_.c_str(), bind.c_str(), nullptr, MS_BIND, nullptr), 0)
      << std::strerror(errno);
    req.dst_root = bind;
    result = copy_files(io(), req);
    ::umount2(bind.c_str(), MNT_DETACH);
    EXPECT_EQ(code_of(result.outcomes[0].error), ec::refused)
      << describe(result.outcomes[0].error);
  }
  EXPECT_EQ(test::slurp(src_ + "/f"), "the only copy");
  EXPECT_EQ(count_temp_files(src_), 0);
}

TEST_F(copy_files_test, a_hard_link_to_the_source_at_the_final_name_is_not_a_copy) {
  auto small = add("s", random_bytes(4000, 43));
  auto big = add("b", random_bytes((size_t{2} << 20) + 5, 44));
  fs::create_directories(dst_);
  ASSERT_EQ(::link((src_ + "/s").c_str(), (dst_ + "/s").c_str()), 0);
  ASSERT_EQ(::link((src_ + "/b").c_str(), (dst_ + "/b").c_str()), 0);
  auto result = copy_files(io(), batch({small, big}));
  for (auto& o : result.outcomes) {
    EXPECT_EQ(code_of(o.error), ec::refused) << describe(o.error);
    EXPECT_NE(context_of(o.error).find("source file itself"), std::string::npos);
  }
}

TEST_F(copy_files_test, fifos_and_devices_are_refused_at_once_never_read) {
  auto good = add("good", "fine");
  fs::create_directories(src_);
  ASSERT_EQ(::mkfifo((src_ + "/pipe").c_str(), 0644), 0);
  copy_item pipe{"pipe", std::string(64, 'a'), 10};
  std::vector<copy_item> items{pipe, good};
  if (::geteuid() == 0) {
    ASSERT_EQ(::mknod((src_ + "/null").c_str(), S_IFCHR | 0644, makedev(1, 3)), 0);
    items.push_back(copy_item{"null", std::string(64, 'a'), 10});
  }
  auto start = std::chrono::steady_clock::now();
  auto result = copy_files(io(), batch(items));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(code_of(result.outcomes[0].error), ec::invalid_path);
  EXPECT_FALSE(result.outcomes[1].error) << describe(result.outcomes[1].error);
  if (items.size() == 3) {
    EXPECT_EQ(code_of(result.outcomes[2].error), ec::invalid_path);
  }
  EXPECT_EQ(count_temp_files(dst_), 0);
}

// A temporary name is never reused: a name that exists (planted, or left by someone) only
// costs another draw, and the old fixed name is left alone.
TEST_F(copy_files_test, temporaries_are_fresh_names_and_planted_ones_are_left_alone) {
  auto item = add("f", random_bytes(5000, 45));
  write_file(dst_ + "/.f.d1part", "planted");
  fs::create_symlink(src_ + "/f", dst_ + "/.f.d1part.link");
  test::faulty_file_system faulty;
  faulty.add({test::fs_op::create, "", 1, 3, test::fault_kind::fail, EEXIST});
  worker_io fio{faulty};
  auto result = copy_files(fio, batch({item}));
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  EXPECT_EQ(faulty.calls(test::fs_op::create), 4);
  EXPECT_EQ(test::slurp(dst_ + "/.f.d1part"), "planted");
  EXPECT_TRUE(fs::is_symlink(dst_ + "/.f.d1part.link"));
  EXPECT_EQ(test::slurp(dst_ + "/f"), test::slurp(src_ + "/f"));
}

TEST_F(copy_files_test, a_resumed_copy_deletes_the_temporaries_a_crash_left) {
  auto item = add("d/f", random_bytes(5000, 46));
  write_file(dst_ + "/d/.f.d1part.0123abcd", "a crash left this");
  write_file(dst_ + "/d/.f.d1part.not-ours", "not one of our names");
  auto req = batch({item});
  req.clean_temporaries = true;
  auto result = copy_files(io(), req);
  ASSERT_FALSE(result.outcomes[0].error) << describe(result.outcomes[0].error);
  EXPECT_FALSE(fs::exists(dst_ + "/d/.f.d1part.0123abcd"));
  EXPECT_TRUE(fs::exists(dst_ + "/d/.f.d1part.not-ours"));
}

}  // namespace
}  // namespace d1
