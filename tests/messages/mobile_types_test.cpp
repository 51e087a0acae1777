// Every mobile-files type survives storage::encode → decode with every field intact. The
// decoded value is compared field by field against the field lists below, written from
// the struct definitions and not from inspect(): a field inspect() leaves out comes back
// with its default and fails here (the sample values set every field to a non-default).
#include "messages/mobile_types.hpp"

#include "messages/error.hpp"
#include "storage/codec.hpp"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace d1 {
namespace {

// -- the fields of each type, as the struct declares them -----------------------------

auto fields(const file_stat& x) {
  return std::tie(x.fs_id, x.dev, x.ino, x.mode, x.uid, x.gid, x.nlink, x.size, x.mtime_ns,
                  x.ctime_ns);
}
auto fields(const resource_record& x) {
  return std::tie(x.version, x.uid, x.spec, x.root, x.path, x.kwargs, x.algorithm, x.created);
}
auto fields(const file_record& x) {
  return std::tie(x.version, x.file_uid, x.resource_uid, x.root, x.rel_path, x.abs_path,
                  x.size, x.algorithm, x.digest, x.expected_digest, x.exists, x.state,
                  x.verified_at, x.hashed_at, x.stat);
}
auto fields(const file_ref& x) {
  return std::tie(x.resource_uid, x.file_uid);
}
auto fields(const path_refs& x) {
  return std::tie(x.version, x.abs_path, x.refs);
}
auto fields(const history_entry& x) {
  return std::tie(x.version, x.resource_uid, x.time, x.action, x.from_root, x.to_root,
                  x.job_id, x.files);
}
auto fields(const journal_entry& x) {
  return std::tie(x.version, x.seq, x.command, x.args, x.kwargs, x.started, x.finished,
                  x.success, x.error, x.job_id);
}
auto fields(const job_file& x) {
  return std::tie(x.root, x.rel_path, x.size, x.state, x.detail, x.attempts);
}
auto fields(const job_request& x) {
  return std::tie(x.kind, x.uid, x.src_root, x.dst_root, x.level, x.force_last, x.dry_run,
                  x.only, x.retry_of, x.spec, x.root, x.path, x.kwargs, x.algorithm);
}
auto fields(const plan_step& x) {
  return std::tie(x.action, x.from, x.to, x.size, x.note);
}
auto fields(const job_ticket& x) {
  return std::tie(x.job_id, x.resource_uid, x.dry_run, x.plan);
}
auto fields(const job_progress& x) {
  return std::tie(x.files_done, x.files_total, x.files_failed, x.bytes_done, x.bytes_total,
                  x.rate);
}
auto fields(const job_record& x) {
  return std::tie(x.version, x.id, x.request, x.state, x.phase, x.files, x.progress, x.error,
                  x.error_code, x.journal_seq, x.created, x.started, x.finished);
}
auto fields(const copy_location& x) {
  return std::tie(x.root, x.files, x.files_expected, x.files_ok, x.verified, x.preference,
                  x.verified_at, x.hashed_at, x.files_bad, x.problem, x.local_root);
}
auto fields(const location_report& x) {
  return std::tie(x.resource_uid, x.host, x.preferred_root, x.copies);
}
auto fields(const resource_detail& x) {
  return std::tie(x.resource, x.rel_paths, x.files);
}
auto fields(const root_shift& x) {
  return std::tie(x.before, x.after, x.files);
}
auto fields(const catalogue_report& x) {
  return std::tie(x.resources, x.files, x.paths, x.jobs, x.problems);
}
auto fields(const hash_request& x) {
  return std::tie(x.job_id, x.root, x.rel_path, x.algorithm, x.level, x.expected_size,
                  x.expected_digest, x.has_expected, x.expected_stat);
}
auto fields(const hash_result& x) {
  return std::tie(x.state, x.size, x.digest, x.detail, x.stat, x.transient);
}
auto fields(const copy_result& x) {
  return std::tie(x.size, x.digest, x.adopted, x.stat);
}
auto fields(const copy_item& x) {
  return std::tie(x.rel_path, x.expected_digest, x.expected_size);
}
auto fields(const copy_batch_request& x) {
  return std::tie(x.job_id, x.src_root, x.dst_root, x.algorithm, x.items,
                  x.clean_temporaries);
}
auto fields(const copy_outcome& x) {
  return std::tie(x.result, x.error, x.transient);
}
auto fields(const copy_batch_result& x) {
  return std::tie(x.outcomes);
}
auto fields(const staged_copy& x) {
  return std::tie(x.index, x.rel_dir, x.leaf, x.tmp_leaf, x.result, x.source, x.temp,
                  x.checked_final);
}
auto fields(const staged_copy_batch& x) {
  return std::tie(x.job_id, x.dst_root, x.algorithm, x.direct_reads, x.out, x.staged,
                  x.adopted_dirs);
}
auto fields(const remove_witness& x) {
  return std::tie(x.root, x.rel_path, x.algorithm, x.digest, x.stat);
}
auto fields(const remove_item& x) {
  return std::tie(x.rel_path, x.algorithm, x.digest, x.stat, x.witnesses);
}
auto fields(const remove_batch_request& x) {
  return std::tie(x.job_id, x.root, x.recheck, x.force_last, x.items);
}
auto fields(const witness_finding& x) {
  return std::tie(x.witness, x.state, x.detail);
}
auto fields(const remove_outcome& x) {
  return std::tie(x.removed, x.error, x.transient, x.findings);
}

// -- comparing by those fields --------------------------------------------------------

template <class T, class = void>
struct has_fields : std::false_type {};
template <class T>
struct has_fields<T, std::void_t<decltype(fields(std::declval<const T&>()))>>
  : std::true_type {};

// Where `a` and `b` first differ, as a path of field indexes ("14.3"); "" when equal.
template <class T>
std::string difference(const T& a, const T& b);

template <class T>
std::string difference(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size())
    return "size";
  for (size_t i = 0; i < a.size(); ++i)
    if (auto d = difference(a[i], b[i]); !d.empty())
      return "[" + std::to_string(i) + "]." + d;
  return {};
}

template <class Tuple, size_t... I>
std::string first_difference(const Tuple& a, const Tuple& b, std::index_sequence<I...>) {
  std::string out;
  auto note = [&](size_t index, const std::string& d) {
    if (out.empty() && !d.empty())
      out = std::to_string(index) + (d == "value" ? "" : "." + d);
  };
  (note(I, difference(std::get<I>(a), std::get<I>(b))), ...);
  return out;
}

template <class T>
std::string difference(const T& a, const T& b) {
  if constexpr (has_fields<T>::value) {
    auto fa = fields(a);
    return first_difference(fa, fields(b),
                            std::make_index_sequence<std::tuple_size_v<decltype(fa)>>{});
  } else {
    return a == b ? std::string{} : std::string{"value"};
  }
}

// The index of the first field of `given` equal to its default in `none`; "" when none is.
template <class Tuple, size_t... I>
std::string defaulted_field(const Tuple& given, const Tuple& none, std::index_sequence<I...>) {
  std::string out;
  auto note = [&](size_t index, bool same) {
    if (out.empty() && same)
      out = std::to_string(index);
  };
  (note(I, difference(std::get<I>(given), std::get<I>(none)).empty()), ...);
  return out;
}

// Encodes `x`, decodes it and expects every field back. Every field of `x` must differ
// from a default-constructed value: a field inspect() drops decodes as its default.
template <class T>
void expect_round_trip(const T& x, const char* type) {
  SCOPED_TRACE(type);
  const T defaults{};
  auto given = fields(x);
  EXPECT_EQ(defaulted_field(given, fields(defaults),
                            std::make_index_sequence<std::tuple_size_v<decltype(given)>>{}),
            "")
    << "the sample leaves this field at its default";
  auto back = storage::decode<T>(storage::encode(x));
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ(difference(*back, x), "") << "this field (index path) did not come back";
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
