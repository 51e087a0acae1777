// datum_root::open: regular files only, no symlink followed (leaf or directory on the
// way), a FIFO refused at once instead of blocking the worker; every call through the
// workers' file_system, so an injected fault reaches a datum read (and is a per-datum error,
// transient when a retry may not meet it), and a cancelled job stops the reads.
#include "actors/mobile/datum_source.hpp"

#include "actors/mobile/datum_hash.hpp"
#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"
#include "tests/support/faulty_file_system.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>

namespace d1 {
namespace {

TEST(datum_source, opens_a_regular_file_beneath_the_root) {
  test::temp_dir dir;
  test::write_file(dir / "a/b/f.bin", "0123456789");
  datum_root src{test::real_io(), dir.path() + "/"};
  auto f = src.open("a//b/./f.bin");
  ASSERT_TRUE(f) << describe(f.error());
  EXPECT_EQ(f->size(), 10u);
  EXPECT_EQ(f->path(), dir / "a/b/f.bin");
  char buf[4];
  EXPECT_FALSE(f->read_at(buf, 4, 6));
  EXPECT_EQ(std::string(buf, 4), "6789");
  auto short_read = f->read_at(buf, 4, 8);
  ASSERT_TRUE(short_read);
  EXPECT_EQ(code_of(short_read), ec::parse_error);
  EXPECT_NE(context_of(short_read).find("truncated"), std::string::npos);
  EXPECT_FALSE(src.saw_transient());
}

TEST(datum_source, refuses_symlinks_fifos_directories_and_escapes) {
  test::temp_dir dir;
  test::write_file(dir / "real/f.bin", "x");
  ASSERT_EQ(::symlink((dir / "real/f.bin").c_str(), (dir / "link.bin").c_str()), 0);
  ASSERT_EQ(::symlink((dir / "real").c_str(), (dir / "linkdir").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  datum_root src{test::real_io(), dir.path()};
  auto expect_refused = [&](const std::string& rel, ec code, const std::string& words) {
    auto f = src.open(rel);
    ASSERT_FALSE(f) << rel;
    EXPECT_EQ(code_of(f.error()), code) << rel << ": " << describe(f.error());
    EXPECT_NE(context_of(f.error()).find(words), std::string::npos)
      << rel << ": " << describe(f.error());
  };
  expect_refused("link.bin", ec::io_error, "symlink");
  expect_refused("linkdir/f.bin", ec::io_error, "symlink");
  // Without O_NONBLOCK this open would wait for a writer forever.
  expect_refused("fifo", ec::io_error, "FIFO");
  expect_refused("real", ec::io_error, "directory");
  expect_refused("missing.bin", ec::not_found, "no such file");
  expect_refused("../etc/passwd", ec::invalid_path, "");
  expect_refused("/etc/passwd", ec::invalid_path, "");
  datum_root relative{test::real_io(), "not/absolute"};
  auto f = relative.open("x");
  ASSERT_FALSE(f);
  EXPECT_EQ(code_of(f.error()), ec::invalid_path);
}

// A two-frame AD_TIFF datum (and a RAW one) on a disk that fails where a test says.
struct faulty_datum {
  test::temp_dir dir;
  std::shared_ptr<test::faulty_file_system> disk =
    std::make_shared<test::faulty_file_system>();
  worker_io io{*disk};

  faulty_datum() {
    auto s = test::sample_u16_stack(2, 40, 30);
    test::write_tiff_stack(dir / "scan", "img", s);
    test::write_file(dir / "blob.bin", std::string(3 << 20, 'b'));
  }

  datum_hash_result hash_tiff() {
    datum_hash_request req;
    req.datum_id = "d0";
    req.spec = "AD_TIFF";
    req.root = dir.path();
    req.resource_path = "scan";
    req.resource_kwargs = R"({"template": "%s%s_%4.4d.tif", "filename": "img",
                              "frame_per_point": 2})";
    req.datum_kwargs = R"({"point_number": 0})";
    return hash_datum(io, req);
  }

  datum_hash_result hash_raw() {
    datum_hash_request req;
    req.datum_id = "r";
    req.spec = "RAW";
    req.root = dir.path();
    req.resource_path = "blob.bin";
    return hash_datum(io, req);
  }
};

TEST(datum_source, tiff_reads_go_through_the_file_system) {
  faulty_datum t;
  auto clean = t.hash_tiff();
  ASSERT_EQ(clean.state, datum_state::ok) << clean.detail;
  EXPECT_GE(t.disk->calls(test::fs_op::open_file), 2);
  EXPECT_GE(t.disk->calls(test::fs_op::pread), 2);  // libtiff's reads, through the callbacks
  // An EIO on the second frame's reads: that datum is an error naming the file, and one a
  // retry may not meet.
  t.disk->add({test::fs_op::pread, "img_0001.tif", 1, -1, test::fault_kind::fail, EIO});
  auto r = t.hash_tiff();
  EXPECT_EQ(r.state, datum_state::error);
  EXPECT_TRUE(r.transient);
  EXPECT_NE(r.detail.find("img_0001.tif"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("Input/output error"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("datum d0"), std::string::npos) << r.detail;
  t.disk->clear();
  EXPECT_EQ(t.hash_tiff().hash, clean.hash);  // nothing left behind
}

TEST(datum_source, a_fault_at_open_or_stat_is_a_per_datum_error) {
  faulty_datum t;
  t.disk->add({test::fs_op::open_file, "img_0000.tif", 1, 1, test::fault_kind::fail, EACCES});
  auto denied = t.hash_tiff();
  EXPECT_EQ(denied.state, datum_state::error);
  EXPECT_FALSE(denied.transient);  // a permission stays refused
  EXPECT_NE(denied.detail.find("Permission denied"), std::string::npos) << denied.detail;
  t.disk->add({test::fs_op::stat_fd, "blob.bin", 1, 1, test::fault_kind::fail, ESTALE});
  auto stale = t.hash_raw();
  EXPECT_EQ(stale.state, datum_state::error);
  EXPECT_TRUE(stale.transient);
  // A short read is only slower: the reader reads on.
  t.disk->clear();
  auto whole = t.hash_raw();
  ASSERT_EQ(whole.state, datum_state::ok) << whole.detail;
  t.disk->add({test::fs_op::pread, "blob.bin", 1, 3, test::fault_kind::short_io, 0});
  EXPECT_EQ(t.hash_raw().hash, whole.hash);
  // A file removed by someone else between the listing and the open.
  t.disk->add({test::fs_op::open_file, "blob.bin", 1, 1, test::fault_kind::vanish, 0});
  auto vanished = t.hash_raw();
  EXPECT_EQ(vanished.state, datum_state::error);
  EXPECT_NE(vanished.detail.find("no such file"), std::string::npos) << vanished.detail;
}

TEST(datum_source, a_cancelled_job_stops_the_reads) {
  faulty_datum t;
  std::atomic<int> reads{0};
  t.io.interrupted = [&reads] { return ++reads > 1; };
  auto r = t.hash_raw();
  EXPECT_EQ(r.state, datum_state::error);
  EXPECT_NE(r.detail.find("cancelled"), std::string::npos) << r.detail;
  EXPECT_LE(t.disk->calls(test::fs_op::pread), 1);
}

}  // namespace
}  // namespace d1
