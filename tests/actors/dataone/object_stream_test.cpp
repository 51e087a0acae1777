// object_stream: reads served as ranges land, the tail only after verification, hashing in
// order with catch-up from the file for bytes that landed out of order or in a previous
// run, events to the cache, and no write after the stream verified or failed.
#include "actors/dataone/object_stream.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/actors/dataone/object_read.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

namespace d1::test {
namespace {

namespace fs = std::filesystem;

class object_stream_test : public ::testing::Test {
protected:
  object_stream_test() {
    bytes_.resize(10000);
    for (size_t i = 0; i < bytes_.size(); ++i)
      bytes_[i] = static_cast<char>((i * 31) ^ (i >> 5));
  }

  std::string digest(const std::string& b) {
    auto h = streaming_hasher::make("SHA-1");
    h->update(b.data(), b.size());
    return h->hex_digest();
  }

  std::shared_ptr<object_stream> open(byte_ranges landed = {}, std::string checksum = {}) {
    object_ref ref{"obj", bytes_.size(), "SHA-1", checksum.empty() ? digest(bytes_) : checksum};
    auto s = object_stream::open(ref, "SHA-1", dir_ / "obj.part", 4096, std::move(landed),
                                 false, [this](stream_event e, uint64_t a, uint64_t b) {
                                   events_.emplace_back(e, a, b);
                                 });
    EXPECT_TRUE(s) << describe(s.error());
    return s ? *s : nullptr;
  }

  std::shared_ptr<read_result> read(object_stream& s, uint64_t off, uint64_t len) {
    return start_object_read(s, off, len);
  }

  void write(object_stream& s, uint64_t at, uint64_t len) {
    EXPECT_FALSE(s.write(at, bytes_.data() + at, len));
  }

  size_t count(stream_event e) const {
    size_t n = 0;
    for (auto& [ev, a, b] : events_)
      n += ev == e;
    return n;
  }

  temp_dir dir_;
  std::string bytes_;
  std::vector<std::tuple<stream_event, uint64_t, uint64_t>> events_;
};

TEST_F(object_stream_test, reads_wait_for_their_range_and_the_tail_for_verification) {
  auto s = open();
  EXPECT_EQ(s->tail_begin(), 8192u);
  EXPECT_EQ(fs::file_size(dir_ / "obj.part"), bytes_.size());  // sparse, full size
  auto head = read(*s, 0, 100);
  EXPECT_FALSE(head->done);
  ASSERT_EQ(count(stream_event::demand), 1u);  // nobody fetches it yet
  s->begin_transfer(0, 10000);
  auto more = read(*s, 100, 100);
  EXPECT_EQ(count(stream_event::demand), 1u);  // being fetched: it just waits
  write(*s, 0, 150);
  EXPECT_TRUE(head->done);
  EXPECT_EQ(head->bytes, bytes_.substr(0, 100));
  EXPECT_FALSE(more->done);
  write(*s, 150, 8042);  // up to the tail
  EXPECT_TRUE(more->done);
  auto tail = read(*s, 9000, 100);
  write(*s, 8192, 1808);  // the tail landed: verified at once (hashed in order)
  EXPECT_TRUE(s->verified());
  EXPECT_TRUE(tail->done);
  EXPECT_EQ(tail->bytes, bytes_.substr(9000, 100));
  EXPECT_EQ(count(stream_event::verified), 1u);
  EXPECT_EQ(count(stream_event::catch_up), 0u);
  // Past the end: no bytes, at once.
  auto eof = read(*s, 20000, 10);
  EXPECT_TRUE(eof->done);
  EXPECT_EQ(eof->bytes, "");
}

TEST_F(object_stream_test, bytes_out_of_order_are_hashed_by_a_catch_up_from_the_file) {
  auto s = open();
  s->begin_transfer(0, 10000);
  write(*s, 5000, 5000);
  EXPECT_EQ(count(stream_event::catch_up), 0u);  // nothing at the cursor yet
  write(*s, 0, 5000);                            // hashed in order, then more lies ahead
  EXPECT_FALSE(s->verified());
  EXPECT_EQ(count(stream_event::catch_up), 1u);
  EXPECT_FALSE(s->start_catch_up());  // already marked as running
  int steps = 0;
  while (s->catch_up_step() && steps < 100)
    ++steps;
  EXPECT_TRUE(s->verified());
  EXPECT_EQ(count(stream_event::verified), 1u);
}

TEST_F(object_stream_test, off_the_transfer_thread_a_catch_up_hashes_pieces_and_verifies) {
  auto s = open();
  s->set_hash_in_transfer(false);
  s->begin_transfer(0, 10000);
  write(*s, 0, 5000);  // in order, but less than a piece and not the end: nobody hashes yet
  EXPECT_EQ(count(stream_event::catch_up), 0u);
  auto head = read(*s, 0, 100);
  EXPECT_TRUE(head->done);  // landed bytes before the tail are served without the digest
  auto tail = read(*s, 9000, 1000);
  write(*s, 5000, 5000);  // the object's last byte: a catch-up for all of it
  EXPECT_EQ(count(stream_event::catch_up), 1u);
  EXPECT_FALSE(s->verified());
  EXPECT_FALSE(tail->done);  // the tail waits for the digest, which the transfer left alone
  int steps = 0;
  while (s->catch_up_step() && steps < 100)
    ++steps;
  EXPECT_TRUE(s->verified());
  EXPECT_TRUE(tail->done);
  EXPECT_FALSE(tail->err);
  EXPECT_EQ(tail->bytes, bytes_.substr(9000, 1000));
}

TEST_F(object_stream_test, off_the_transfer_thread_a_mismatch_still_fails_the_tail) {
  auto s = open({}, std::string(40, '0'));
  s->set_hash_in_transfer(false);
  s->begin_transfer(0, 10000);
  auto tail = read(*s, 9000, 1000);
  write(*s, 0, 10000);
  while (s->catch_up_step()) {
  }
  EXPECT_TRUE(tail->done);
  EXPECT_EQ(code_of(tail->err), ec::checksum_mismatch);
  EXPECT_EQ(count(stream_event::mismatch), 1u);
}

TEST_F(object_stream_test, a_previous_runs_bytes_are_hashed_before_new_ones_count) {
  // What a previous run left: written into the file first.
  {
    auto s = open();
    s->begin_transfer(0, 6000);
    write(*s, 0, 6000);
  }
  byte_ranges left;
  left.add(0, 6000);
  events_.clear();
  auto s = open(left);
  EXPECT_EQ(s->landed_bytes(), 6000u);
  EXPECT_EQ(s->missing(0, 10000), (std::vector<byte_ranges::range>{{6000, 10000}}));
  EXPECT_TRUE(s->start_catch_up());
  while (s->catch_up_step()) {
  }
  s->begin_transfer(6000, 10000);
  write(*s, 6000, 4000);
  EXPECT_TRUE(s->verified());
}

TEST_F(object_stream_test, a_mismatch_fails_the_waiting_and_later_reads_and_refuses_writes) {
  auto s = open({}, std::string(40, '0'));
  s->begin_transfer(0, 10000);
  auto tail = read(*s, 9990, 10);
  write(*s, 0, 10000);
  EXPECT_FALSE(s->verified());
  EXPECT_TRUE(tail->done);
  EXPECT_EQ(code_of(tail->err), ec::checksum_mismatch);
  EXPECT_EQ(count(stream_event::mismatch), 1u);
  EXPECT_EQ(s->computed_digest(), digest(bytes_));
  EXPECT_NE(context_of(s->failure()).find(digest(bytes_)), std::string::npos);
  auto later = read(*s, 0, 10);
  EXPECT_TRUE(later->done);
  EXPECT_EQ(code_of(later->err), ec::checksum_mismatch);
  EXPECT_EQ(code_of(s->write(0, bytes_.data(), 10)), ec::cancelled);
}

TEST_F(object_stream_test, nothing_is_written_after_verification) {
  auto s = open();
  s->begin_transfer(0, 10000);
  write(*s, 0, 10000);
  ASSERT_TRUE(s->verified());
  std::string junk(100, 'j');
  EXPECT_EQ(code_of(s->write(0, junk.data(), junk.size())), ec::cancelled);
  std::string back(100, '\0');
  std::ifstream in(dir_ / "obj.part", std::ios::binary);
  in.read(back.data(), 100);
  EXPECT_EQ(back, bytes_.substr(0, 100));
}

TEST_F(object_stream_test, the_refill_mark_is_reported_once_and_waiters_are_redemanded) {
  auto s = open();
  s->begin_transfer(0, 4096);
  write(*s, 0, 4096);
  s->set_refill_mark(1000);
  read(*s, 0, 500);
  EXPECT_EQ(count(stream_event::refill), 0u);
  read(*s, 900, 500);
  read(*s, 1500, 500);
  EXPECT_EQ(count(stream_event::refill), 1u);
  // A read waiting on a transfer that ends without its bytes is asked for again.
  s->begin_transfer(4096, 8192);
  auto r = read(*s, 5000, 100);
  auto before = count(stream_event::demand);
  s->end_transfer(4096, 8192);
  EXPECT_EQ(count(stream_event::demand), before + 1);
  s->fail_waiters(5000, 5100, make_error(ec::network, "down"));
  EXPECT_TRUE(r->done);
  EXPECT_EQ(code_of(r->err), ec::network);
}

TEST_F(object_stream_test, readers_pin_and_the_last_close_is_reported) {
  auto s = open();
  s->opened();
  s->opened();
  EXPECT_EQ(s->readers(), 2u);
  s->closed();
  EXPECT_EQ(count(stream_event::closed), 0u);
  s->closed();
  EXPECT_EQ(count(stream_event::closed), 1u);
}

TEST_F(object_stream_test, a_file_of_another_size_starts_over) {
  {
    std::ofstream out(dir_ / "obj.part", std::ios::binary);
    out << "short";
  }
  byte_ranges claimed;
  claimed.add(0, 5);
  auto s = open(claimed);
  EXPECT_EQ(s->landed_bytes(), 0u);
  EXPECT_EQ(fs::file_size(dir_ / "obj.part"), bytes_.size());
}

}  // namespace
}  // namespace d1::test
