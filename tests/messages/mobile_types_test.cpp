// Every mobile-files type survives storage::encode → decode with every field intact,
// compared by the field lists of tests/messages/field_lists.hpp (written from the structs,
// not from inspect()): a field inspect() leaves out comes back with its default and fails
// here, since every sample field differs from its default.
#include "messages/mobile_types.hpp"

#include "messages/error.hpp"
#include "storage/codec.hpp"
#include "tests/messages/field_lists.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

// Encodes `x` as the catalogue stores it, decodes it and expects every field back.
template <class T>
void expect_round_trip(const T& x, const char* type) {
  SCOPED_TRACE(type);
  auto back = storage::decode<T>(storage::encode(x));
  ASSERT_TRUE(back) << describe(back.error());
  test::expect_same_fields(*back, x);
}

#define D1_EXPECT_ROUND_TRIP(x) expect_round_trip(x, #x)

// -- samples: every field set to something other than its default ---------------------

file_stat stat_sample() {
  return {1, 2, 3, 0100644, 4, 5, 6, 9, 7000000001, 8000000002};
}

resource_record resource_sample() {
  return {4, "u", "RAW", "/r", "p", "{}", "MD5", 7};
}

file_record file_sample() {
  return {5, "fu", "u", "/r", "p", "/r/p", 9, "MD5", "ab", "cd", true,
          file_state::hash_mismatch, 3, 4, stat_sample()};
}

job_request request_sample() {
  job_request q;
  q.kind = job_kind::move;
  q.uid = "u";
  q.src_root = "/a";
  q.dst_root = "/b";
  q.level = check_level::size;
  q.force_last = true;
  q.dry_run = true;
  q.only = {"x", "y"};
  q.retry_of = 2;
  q.spec = "RAW";
  q.root = "/r";
  q.path = "p";
  q.kwargs = R"({"k":1})";
  q.algorithm = "SHA-1";
  return q;
}

job_record job_sample() {
  job_record j;
  j.version = 7;
  j.id = 3;
  j.request = request_sample();
  j.state = job_state::cancelled;
  j.phase = 1;
  j.files = {job_file{"/a", "x", 1, step_state::failed, "d", 2}};
  j.progress = job_progress{1, 2, 1, 3, 4, 5.5};
  j.error = "e";
  j.error_code = ec::refused;
  j.journal_seq = 8;
  j.created = 9;
  j.started = 10;
  j.finished = 11;
  return j;
}

copy_result copy_result_sample() {
  return {3, "ab", true, stat_sample()};
}

remove_witness witness_sample() {
  return {"/b", "p", "MD5", "ab", stat_sample()};
}

TEST(mobile_types, every_type_round_trips_field_by_field) {
  D1_EXPECT_ROUND_TRIP(stat_sample());
  D1_EXPECT_ROUND_TRIP(resource_sample());
  D1_EXPECT_ROUND_TRIP(file_sample());
  D1_EXPECT_ROUND_TRIP((file_ref{"u", "fu"}));
  D1_EXPECT_ROUND_TRIP((path_refs{2, "/r/p", {file_ref{"u", "fu"}, file_ref{"v", "fv"}}}));
  D1_EXPECT_ROUND_TRIP((history_entry{2, "u", 5, "copy", "/a", "/b", 3, 2}));
  D1_EXPECT_ROUND_TRIP((journal_entry{2, 4, "copy", {"u"}, "{}", 1, 2, true, "e", 3}));
  D1_EXPECT_ROUND_TRIP((job_file{"/a", "x", 1, step_state::failed, "d", 2}));
  D1_EXPECT_ROUND_TRIP(request_sample());
  D1_EXPECT_ROUND_TRIP((plan_step{"copy", "/a/x", "/b/x", 4, "n"}));
  D1_EXPECT_ROUND_TRIP((job_ticket{3, "u", true, {plan_step{"copy", "/a/x", "/b/x", 4, "n"}}}));
  D1_EXPECT_ROUND_TRIP((job_progress{1, 2, 1, 3, 4, 5.5}));
  D1_EXPECT_ROUND_TRIP(job_sample());
  copy_location copy{"/a", 1, 1, 1, true, 0, 9, 8, 1, "p: missing", "/mnt/a"};
  D1_EXPECT_ROUND_TRIP(copy);
  D1_EXPECT_ROUND_TRIP((location_report{"u", "h", "/a", {copy}}));
  D1_EXPECT_ROUND_TRIP((resource_detail{resource_sample(), {"p"}, {file_sample()}}));
  auto after = resource_sample();
  after.root = "/r/p";
  D1_EXPECT_ROUND_TRIP((root_shift{resource_sample(), after, 2}));
  D1_EXPECT_ROUND_TRIP((catalogue_report{1, 2, 3, 4, {"a problem"}}));
  D1_EXPECT_ROUND_TRIP((hash_request{7, "/r", "p", "MD5", check_level::exists, 3, "ab", true,
                                     stat_sample()}));
  D1_EXPECT_ROUND_TRIP(
    (hash_result{file_state::changed, 1, "ab", "d", stat_sample(), true}));
  D1_EXPECT_ROUND_TRIP(copy_result_sample());
  D1_EXPECT_ROUND_TRIP((copy_item{"p", "ab", 3}));
  D1_EXPECT_ROUND_TRIP((copy_batch_request{7, "/a", "/b", "MD5", {copy_item{"p", "ab", 3}}, true}));
  copy_outcome outcome{copy_result_sample(), make_error(ec::io_error, "short write"), true};
  D1_EXPECT_ROUND_TRIP(outcome);
  D1_EXPECT_ROUND_TRIP((copy_batch_result{{outcome}}));
  staged_copy staged{1, "d", "x", ".x.d1part.0", copy_result_sample(), stat_sample(),
                     file_stat{9, 8, 7, 0100600, 6, 5, 4, 3, 2, 1}, true};
  D1_EXPECT_ROUND_TRIP(staged);
  D1_EXPECT_ROUND_TRIP(
    (staged_copy_batch{7, "/b", "MD5", false, {{outcome}}, {staged}, {"d"}}));
  D1_EXPECT_ROUND_TRIP(witness_sample());
  remove_item item{"p", "MD5", "ab", stat_sample(), {witness_sample()}};
  D1_EXPECT_ROUND_TRIP(item);
  D1_EXPECT_ROUND_TRIP((remove_batch_request{7, "/a", recheck_mode::hash, true, {item}}));
  witness_finding finding{1, file_state::missing, "gone"};
  D1_EXPECT_ROUND_TRIP(finding);
  D1_EXPECT_ROUND_TRIP(
    (remove_outcome{true, make_error(ec::refused, "no witness"), true, {finding}}));
}

}  // namespace
}  // namespace d1
