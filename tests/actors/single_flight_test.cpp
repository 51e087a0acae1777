// single_flight: joins share one fetch, a failure reaches every waiter, a finished key
// starts a new fetch, and no waiter outlives its fetch.
#include "actors/single_flight.hpp"

#include "messages/error.hpp"

#include <caf/expected.hpp>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace d1 {
namespace {

using flights = single_flight<std::string, caf::expected<std::string>>;

TEST(single_flight, the_first_caller_starts_and_the_others_join) {
  flights f;
  std::vector<std::string> got;
  auto record = [&](caf::expected<std::string> r) { got.push_back(r ? *r : "error"); };
  EXPECT_TRUE(f.join("a", record));
  EXPECT_FALSE(f.join("a", record));
  EXPECT_FALSE(f.join("a", record));
  EXPECT_TRUE(f.join("b", record));  // another key is another fetch
  EXPECT_EQ(f.waiting("a"), 3u);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_EQ(f.finish("a", std::string{"A"}), 3u);
  EXPECT_EQ(got, (std::vector<std::string>{"A", "A", "A"}));
  EXPECT_FALSE(f.in_flight("a"));
  EXPECT_TRUE(f.in_flight("b"));
}

TEST(single_flight, a_failure_reaches_every_waiter) {
  flights f;
  std::vector<caf::error> errors;
  for (int k = 0; k < 4; ++k)
    f.join("a", [&](caf::expected<std::string> r) {
      ASSERT_FALSE(r);
      errors.push_back(r.error());
    });
  f.finish("a", make_error(ec::timeout, "slow"));
  ASSERT_EQ(errors.size(), 4u);
  for (auto& e : errors)
    EXPECT_EQ(e, make_error(ec::timeout, "slow"));
}

TEST(single_flight, a_finished_key_starts_a_new_fetch) {
  flights f;
  int answered = 0;
  EXPECT_TRUE(f.join("a", [&](caf::expected<std::string>) { ++answered; }));
  f.finish("a", std::string{"first"});
  EXPECT_TRUE(f.join("a", [&](caf::expected<std::string>) { ++answered; }));
  EXPECT_EQ(f.waiting("a"), 1u);
  f.finish("a", std::string{"second"});
  EXPECT_EQ(answered, 2);
}

TEST(single_flight, a_waiter_that_asks_again_starts_a_new_fetch) {
  flights f;
  bool restarted = false;
  f.join("a", [&](caf::expected<std::string>) {
    restarted = f.join("a", [](caf::expected<std::string>) {});
  });
  f.finish("a", std::string{"x"});
  EXPECT_TRUE(restarted);
  EXPECT_EQ(f.waiting("a"), 1u);
}

TEST(single_flight, finishing_a_key_not_in_flight_answers_nobody) {
  flights f;
  EXPECT_EQ(f.finish("none", std::string{"x"}), 0u);
  EXPECT_TRUE(f.take("none").empty());
}

TEST(single_flight, no_waiter_outlives_its_fetch) {
  flights f;
  auto token = std::make_shared<int>(1);
  std::weak_ptr<int> watch = token;
  for (int k = 0; k < 3; ++k)
    f.join("a", [held = token](caf::expected<std::string>) {});
  token.reset();
  EXPECT_FALSE(watch.expired());
  f.finish("a", std::string{"x"});
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(f.size(), 0u);
}

TEST(single_flight, the_last_waiter_takes_the_result_the_others_get_copies) {
  single_flight<int, std::shared_ptr<int>> f;
  std::vector<long> uses;
  auto value = std::make_shared<int>(7);
  std::weak_ptr<int> watch = value;
  f.join(1, [&](std::shared_ptr<int> v) { uses.push_back(v.use_count()); });
  f.join(1, [&](std::shared_ptr<int> v) { uses.push_back(v.use_count()); });
  f.finish(1, std::move(value));
  // The first got a copy (two owners: it and the one kept for the last); the last got it.
  EXPECT_EQ(uses, (std::vector<long>{2, 1}));
  EXPECT_TRUE(watch.expired());
}

TEST(single_flight, a_fetch_started_ahead_has_no_waiter_until_one_joins) {
  flights f;
  EXPECT_TRUE(f.start("a"));
  EXPECT_FALSE(f.start("a"));
  EXPECT_TRUE(f.in_flight("a"));
  EXPECT_EQ(f.waiting("a"), 0u);
  EXPECT_FALSE(f.join("a", [](caf::expected<std::string>) {}));
  EXPECT_EQ(f.take("a").size(), 1u);
}

TEST(single_flight_one, one_fetch_for_everyone_then_a_new_one) {
  single_flight_one<caf::expected<int>> f;
  int sum = 0;
  EXPECT_TRUE(f.join([&](caf::expected<int> r) { sum += *r; }));
  EXPECT_FALSE(f.join([&](caf::expected<int> r) { sum += *r; }));
  EXPECT_EQ(f.waiting(), 2u);
  EXPECT_EQ(f.finish(5), 2u);
  EXPECT_EQ(sum, 10);
  EXPECT_FALSE(f.in_flight());
  EXPECT_TRUE(f.join([](caf::expected<int>) {}));
}

}  // namespace
}  // namespace d1
