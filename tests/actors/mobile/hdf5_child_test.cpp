// read_hdf5_rows through the reader process: the same rows as read in this process (every
// layout the other tests write), and a reader that crashes, hangs or sends a malformed frame
// turned into an error naming the file, after which the next read works. The faults come
// from the test build of the reader (d1drive-hdf5-reader-faults, selected by the file's
// first bytes): a real input that crashes libhdf5 is not at hand, so a raised SIGSEGV stands
// in for one.
#include "actors/mobile/datum_hdf5.hpp"

#include "messages/error.hpp"
#include "tests/actors/mobile/datum_fixtures.hpp"
#include "tests/support/test_paths.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace d1 {
namespace {

hdf5_reader_options with_faults(std::chrono::milliseconds no_progress = std::chrono::seconds{60}) {
  hdf5_reader_options o;
  o.program = test::binary_dir() + "/d1drive-hdf5-reader-faults";
  o.no_progress = no_progress;
  return o;
}

TEST(hdf5_child, rows_through_the_reader_equal_rows_read_in_process) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(6, 19, 23);
  std::vector<std::pair<std::string, test::hdf5_options>> files{
    {"c.h5", {}}, {"gz.h5", {true, 6}}, {"be.h5", {true, 2, true}}, {"bec.h5", {false, 0, true}}};
  for (auto& [name, opts] : files) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(test::write_hdf5_stack(dir / name, s, opts));
    for (uint64_t first : {0, 2, 5}) {
      test::collecting_sink child, here;
      auto err = read_hdf5_rows(*test::on_disk(dir.path()), name, ad_hdf5_dataset, first,
                                6 - first, child);
      ASSERT_FALSE(err) << describe(err);
      ASSERT_FALSE(read_hdf5_rows_in_process(*test::on_disk(dir.path()), name,
                                             ad_hdf5_dataset, first, 6 - first, here));
      EXPECT_EQ(child.begins, 1);
      EXPECT_EQ(child.dtype, here.dtype);
      EXPECT_EQ(child.shape, here.shape);
      EXPECT_EQ(child.shape, (std::vector<uint64_t>{6 - first, 19, 23}));
      EXPECT_TRUE(child.bytes == here.bytes);
    }
  }
}

TEST(hdf5_child, a_crashing_reader_names_the_file_and_the_next_read_works) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(2, 8, 8);
  ASSERT_TRUE(test::write_hdf5_stack(dir / "ok.h5", s, {true, 1}));
  test::write_file(dir / "crash.h5", "D1-FAULT segv\n" + std::string(4096, 'x'));
  auto options = with_faults();
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    test::collecting_sink crashed, fine;
    auto err = read_hdf5_rows(*test::on_disk(dir.path()), "crash.h5", ad_hdf5_dataset, 0, 1,
                              crashed, options);
    ASSERT_TRUE(err);
    EXPECT_EQ(code_of(err), ec::io_error) << describe(err);
    EXPECT_NE(context_of(err).find("libhdf5 crashed reading " + dir / "crash.h5"),
              std::string::npos)
      << describe(err);
    EXPECT_NE(context_of(err).find("signal 11"), std::string::npos) << describe(err);
    err = read_hdf5_rows(*test::on_disk(dir.path()), "ok.h5", ad_hdf5_dataset, 0, 2, fine,
                         options);
    ASSERT_FALSE(err) << describe(err);
    EXPECT_EQ(fine.shape, (std::vector<uint64_t>{2, 8, 8}));
  }
}

TEST(hdf5_child, a_silent_reader_is_killed_after_the_bound_and_a_malformed_frame_refused) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(2, 8, 8);
  ASSERT_TRUE(test::write_hdf5_stack(dir / "ok.h5", s));
  test::write_file(dir / "hang.h5", "D1-FAULT hang\n");
  test::write_file(dir / "frame.h5", "D1-FAULT frame\n");
  auto options = with_faults(std::chrono::milliseconds{500});
  test::collecting_sink sink;
  auto err = read_hdf5_rows(*test::on_disk(dir.path()), "hang.h5", ad_hdf5_dataset, 0, 1,
                            sink, options);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::io_error) << describe(err);
  EXPECT_NE(context_of(err).find("sent nothing for 500 ms reading " + dir / "hang.h5"),
            std::string::npos)
    << describe(err);
  err = read_hdf5_rows(*test::on_disk(dir.path()), "frame.h5", ad_hdf5_dataset, 0, 1, sink,
                       options);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::io_error) << describe(err);
  EXPECT_NE(context_of(err).find("malformed frame reading " + dir / "frame.h5"),
            std::string::npos)
    << describe(err);
  EXPECT_EQ(sink.begins, 0);
  test::collecting_sink fine;
  err = read_hdf5_rows(*test::on_disk(dir.path()), "ok.h5", ad_hdf5_dataset, 1, 1, fine,
                       options);
  ASSERT_FALSE(err) << describe(err);
  EXPECT_EQ(fine.shape, (std::vector<uint64_t>{1, 8, 8}));
}

TEST(hdf5_child, a_cancelled_read_stops_the_reader) {
  test::temp_dir dir;
  test::write_file(dir / "hang.h5", "D1-FAULT hang\n");
  auto fs = make_posix_file_system();
  std::atomic<int> asked{0};
  // Cancelled once the read has waited a few times for the hanging reader.
  worker_io io{*fs, true, [&] { return ++asked > 3; }};
  datum_root src{io, dir.path()};
  test::collecting_sink sink;
  auto err = read_hdf5_rows(src, "hang.h5", ad_hdf5_dataset, 0, 1, sink, with_faults());
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::cancelled) << describe(err);
  EXPECT_NE(context_of(err).find(dir / "hang.h5"), std::string::npos) << describe(err);
}

TEST(hdf5_child, a_reader_that_cannot_start_is_an_error_naming_the_file) {
  test::temp_dir dir;
  auto s = test::sample_u16_stack(1, 4, 4);
  ASSERT_TRUE(test::write_hdf5_stack(dir / "ok.h5", s));
  hdf5_reader_options options;
  options.program = dir / "no-such-reader";
  test::collecting_sink sink;
  auto err = read_hdf5_rows(*test::on_disk(dir.path()), "ok.h5", ad_hdf5_dataset, 0, 1, sink,
                            options);
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::io_error) << describe(err);
  EXPECT_NE(context_of(err).find(dir / "ok.h5"), std::string::npos) << describe(err);
}

}  // namespace
}  // namespace d1
