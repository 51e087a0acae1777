// range_sink: which answers to a ranged GET are taken (206 with the right Content-Range,
// 200 of the declared size), which are refused before any byte is written, and that no
// byte beyond the declared size or the announced range ever reaches the object's file.
#include "actors/dataone/range_sink.hpp"

#include "hashing/checksum.hpp"
#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace d1::test {
namespace {

namespace fs = std::filesystem;

std::vector<http_header> content_range(const std::string& v) {
  return {{"content-range", v}};
}

TEST(check_range_response, a_206_must_be_the_range_asked_for_of_the_declared_size) {
  auto ok = check_range_response(206, content_range("bytes 100-199/1000"), 100, 200, 1000);
  ASSERT_TRUE(ok) << describe(ok.error());
  EXPECT_EQ(ok->begin, 100u);
  EXPECT_EQ(ok->end, 200u);
  EXPECT_FALSE(ok->whole);
  // Fewer bytes than asked are fine (the rest is asked for again).
  EXPECT_TRUE(check_range_response(206, content_range("bytes 100-149/1000"), 100, 200, 1000));
  auto other_size = check_range_response(206, content_range("bytes 100-199/999"), 100, 200, 1000);
  ASSERT_FALSE(other_size);
  EXPECT_EQ(code_of(other_size.error()), ec::http_status);
  EXPECT_NE(context_of(other_size.error()).find("999"), std::string::npos);
  EXPECT_FALSE(check_range_response(206, content_range("bytes 101-199/1000"), 100, 200, 1000));
  EXPECT_FALSE(check_range_response(206, content_range("bytes 100-200/1000"), 100, 200, 1000));
  EXPECT_FALSE(check_range_response(206, content_range("bytes 100-199/1000x"), 100, 200, 1000));
  EXPECT_FALSE(check_range_response(206, {}, 100, 200, 1000));
}

TEST(check_range_response, a_200_is_the_whole_object_of_the_declared_size) {
  auto ok = check_range_response(200, {{"content-length", "1000"}}, 100, 200, 1000);
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->whole);
  EXPECT_EQ(ok->begin, 0u);
  EXPECT_EQ(ok->end, 1000u);
  EXPECT_TRUE(check_range_response(200, {}, 0, 10, 1000));  // no length: bounded while read
  EXPECT_FALSE(check_range_response(200, {{"content-length", "1001"}}, 0, 10, 1000));
}

TEST(check_range_response, other_statuses_say_what_to_do_with_the_replica) {
  EXPECT_EQ(code_of(check_range_response(416, {}, 0, 10, 1000).error()), ec::http_status);
  EXPECT_EQ(code_of(check_range_response(404, {}, 0, 10, 1000).error()), ec::not_found);
  EXPECT_EQ(code_of(check_range_response(503, {}, 0, 10, 1000).error()), ec::unavailable);
  EXPECT_EQ(code_of(check_range_response(303, {}, 0, 10, 1000).error()), ec::http_status);
}

class range_sink_test : public ::testing::Test {
protected:
  range_sink_test() {
    bytes_ = std::string(1000, '\0');
    for (size_t i = 0; i < bytes_.size(); ++i)
      bytes_[i] = static_cast<char>(i * 7);
    auto h = streaming_hasher::make("SHA-256");
    h->update(bytes_.data(), bytes_.size());
    object_ref ref{"obj", bytes_.size(), "SHA-256", h->hex_digest()};
    auto s = object_stream::open(ref, "SHA-256", dir_ / "obj", 256, {}, false,
                                 [](stream_event, uint64_t, uint64_t) {});
    EXPECT_TRUE(s);
    stream_ = *s;
  }
  ~range_sink_test() override {
    stream_ = nullptr;  // closed before the directory goes
  }

  std::shared_ptr<range_sink> sink(uint64_t begin, uint64_t end) {
    stream_->begin_transfer(begin, end);
    return std::make_shared<range_sink>(stream_, begin, end);
  }

  temp_dir dir_;
  std::string bytes_;
  std::shared_ptr<object_stream> stream_;
};

TEST_F(range_sink_test, a_206_lands_at_its_offsets) {
  auto s = sink(100, 300);
  EXPECT_EQ(s->headers_done(206, content_range("bytes 100-299/1000")),
            body_sink::decision::accept);
  EXPECT_TRUE(s->write(bytes_.data() + 100, 150));
  EXPECT_TRUE(s->write(bytes_.data() + 250, 50));
  EXPECT_EQ(s->written(), 200u);
  EXPECT_TRUE(stream_->landed().contains(100, 300));
  EXPECT_EQ(stream_->landed_bytes(), 200u);
}

TEST_F(range_sink_test, headers_that_disagree_write_nothing) {
  auto s = sink(100, 300);
  EXPECT_EQ(s->headers_done(206, content_range("bytes 100-299/999")),
            body_sink::decision::abort);
  EXPECT_EQ(code_of(s->failure()), ec::http_status);
  auto e = sink(0, 100);
  // An error document is kept for its message, never written into the object.
  EXPECT_EQ(e->headers_done(500, {}), body_sink::decision::keep_in_memory);
  EXPECT_EQ(code_of(e->failure()), ec::unavailable);
  EXPECT_EQ(stream_->landed_bytes(), 0u);
}

TEST_F(range_sink_test, more_than_announced_is_refused) {
  auto s = sink(0, 100);
  ASSERT_EQ(s->headers_done(206, content_range("bytes 0-99/1000")), body_sink::decision::accept);
  EXPECT_TRUE(s->write(bytes_.data(), 90));
  EXPECT_FALSE(s->write(bytes_.data() + 90, 20));
  EXPECT_EQ(code_of(s->failure()), ec::http_status);
  EXPECT_EQ(stream_->landed_bytes(), 90u);
}

TEST_F(range_sink_test, a_whole_answer_skips_to_its_range_claims_on_and_stops_at_the_size) {
  // Someone else fetches [600, 700): the whole answer must leave it alone.
  stream_->begin_transfer(600, 700);
  auto s = sink(200, 300);
  ASSERT_EQ(s->headers_done(200, {{"content-length", "1000"}}), body_sink::decision::accept);
  EXPECT_TRUE(s->write(bytes_.data(), 500));       // 0-199 skipped, 200-499 written
  EXPECT_FALSE(s->write(bytes_.data() + 500, 200));  // stops at 600: someone else's
  EXPECT_FALSE(s->failure());                        // done, not failed
  EXPECT_EQ(s->claimed_end(), 600u);
  auto landed = stream_->landed();
  EXPECT_TRUE(landed.contains(200, 600));
  EXPECT_FALSE(landed.contains(199));
  EXPECT_FALSE(landed.contains(600));
  // The declared size bounds an answer without a length.
  auto t = sink(0, 100);
  ASSERT_EQ(t->headers_done(200, {}), body_sink::decision::accept);
  std::string more = bytes_ + "extra";
  EXPECT_FALSE(t->write(more.data(), more.size()));
  EXPECT_EQ(code_of(t->failure()), ec::http_status);
  EXPECT_NE(context_of(t->failure()).find("1000"), std::string::npos);
  EXPECT_EQ(fs::file_size(dir_ / "obj"), 1000u);
}

TEST_F(range_sink_test, a_cancelled_sink_writes_no_more_and_wakes_the_client) {
  auto s = sink(0, 100);
  int woken = 0;
  s->set_waker([&] { ++woken; });
  ASSERT_EQ(s->headers_done(206, content_range("bytes 0-99/1000")), body_sink::decision::accept);
  s->cancel();
  EXPECT_TRUE(s->cancelled());
  EXPECT_EQ(woken, 1);
  EXPECT_FALSE(s->write(bytes_.data(), 10));
  EXPECT_EQ(code_of(s->failure()), ec::cancelled);
  EXPECT_EQ(stream_->landed_bytes(), 0u);
}

TEST_F(range_sink_test, the_bytes_that_verify_the_object_are_counted_when_it_says_so) {
  // content_cache settles a transfer's account when the object verified, which the write of
  // its last bytes reports from inside that write.
  std::shared_ptr<range_sink> s;
  int64_t written_at_verified = -1;
  auto whole = object_stream::open(stream_->ref(), "SHA-256", dir_ / "whole", 256, {}, false,
                                   [&](stream_event ev, uint64_t, uint64_t) {
                                     if (ev == stream_event::verified)
                                       written_at_verified = static_cast<int64_t>(s->written());
                                   });
  ASSERT_TRUE(whole);
  (*whole)->begin_transfer(0, 1000);
  s = std::make_shared<range_sink>(*whole, 0, 1000);
  ASSERT_EQ(s->headers_done(206, content_range("bytes 0-999/1000")), body_sink::decision::accept);
  EXPECT_TRUE(s->write(bytes_.data(), 1000));
  EXPECT_TRUE((*whole)->verified());
  EXPECT_EQ(written_at_verified, 1000);
}

}  // namespace
}  // namespace d1::test
