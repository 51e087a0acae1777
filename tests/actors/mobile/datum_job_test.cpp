// Datums through the job manager on real files: an AD_TIFF resource registered as the
// filestore registers it (no num_points, one datum per point) gets its files from its
// datums; datum_hash records every datum's canonical hash and statistics (checked against
// numpy/tifffile); verify at level datum finds a value changed in place and ignores a
// recompression; datums outlive copies, moves and changes of root.
#include "tests/actors/mobile/datum_fixtures.hpp"
#include "tests/actors/mobile/job_fixture.hpp"

#include <cstdio>

namespace d1 {
namespace {

namespace fs = std::filesystem;

// As the filestore registers an areaDetector TIFF scan: no num_points.
const char* scan_kwargs
  = R"({"template": "%s%s_%4.4d.tif", "filename": "img", "frame_per_point": 2})";

class datum_job_test : public test::job_fixture {
protected:
  void SetUp() override {
    job_fixture::SetUp();
    // Six frames on disk; the datums registered below use only the first four.
    ASSERT_TRUE(test::write_tiff_stack(a_ + "/dscan", "img", stack_));
  }

  std::string frame(uint32_t f) const {
    char name[32];
    std::snprintf(name, sizeof name, "dscan/img_%4.4u.tif", f);
    return name;
  }

  caf::expected<job_ticket> register_scan(const std::string& kwargs = scan_kwargs) {
    return request<job_ticket>(jm_, register_atom::value,
                               registration("s", "AD_TIFF", a_, "dscan", kwargs));
  }

  caf::expected<datum_ticket> add_datums(std::vector<std::string> kwargs,
                                         std::vector<std::string> ids = {}) {
    datum_registration reg;
    reg.resource_uid = "s";
    for (size_t i = 0; i < kwargs.size(); ++i) {
      datum_record d;
      d.kwargs = kwargs[i];
      if (i < ids.size())
        d.datum_id = ids[i];
      reg.datums.push_back(std::move(d));
    }
    return request<datum_ticket>(jm_, register_atom::value, datum_atom::value, reg);
  }

  // Registers the scan and points 0 and 1, and waits for the files they name to hash.
  void register_two_points() {
    auto t = register_scan();
    ASSERT_TRUE(t) << sys_.render(t.error());
    if (t->job_id != 0) {
      ASSERT_EQ(wait(t->job_id).state, job_state::done);
    }
    add_two_points();
  }

  void add_two_points() {
    auto d = add_datums({R"({"point_number": 0})", R"({"point_number": 1})"});
    ASSERT_TRUE(d) << sys_.render(d.error());
    EXPECT_EQ(d->datum_ids, (std::vector<std::string>{"s/0", "s/1"}));
    EXPECT_EQ(d->new_files, 4u);
    ASSERT_NE(d->job_id, 0u);
    auto j = wait(d->job_id);
    ASSERT_EQ(j.state, job_state::done) << j.error;
  }

  job_record datum_hash(const std::string& root = {}) {
    auto r = req(job_kind::datum_hash, "s");
    r.src_root = root;
    return submit_and_wait(r);
  }

  job_record verify_datums(const std::string& root) {
    auto r = req(job_kind::verify, "s");
    r.src_root = root;
    r.level = check_level::datum;
    return submit_and_wait(r);
  }

  std::vector<datum_detail> datums() {
    auto xs = db_->datum_details("s");
    EXPECT_TRUE(xs) << describe(xs.error());
    return xs ? *xs : std::vector<datum_detail>{};
  }

  test::stack<uint16_t> stack_ = test::sample_u16_stack(6, 19, 23);
};

TEST_F(datum_job_test, a_resource_without_num_points_lists_the_files_of_its_datums) {
  auto t = register_scan();
  ASSERT_TRUE(t) << sys_.render(t.error());
  auto before = db_->get_resource("s");
  ASSERT_TRUE(before);
  EXPECT_TRUE(before->rel_paths.empty()) << "no datum yet, so no file";
  add_two_points();
  auto d = db_->get_resource("s");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->rel_paths, (std::vector<std::string>{frame(0), frame(1), frame(2), frame(3)}));
  ASSERT_EQ(d->files.size(), 4u);
  for (auto& f : d->files) {
    EXPECT_EQ(f.state, file_state::ok) << f.rel_path;
    EXPECT_FALSE(f.digest.empty()) << f.rel_path;
  }
  // A third point adds its two files, hashed by a register job of only those.
  auto third = add_datums({R"({"point_number": 2})"});
  ASSERT_TRUE(third) << sys_.render(third.error());
  EXPECT_EQ(third->new_files, 2u);
  auto j = wait(third->job_id);
  EXPECT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(j.files.size(), 2u);
  EXPECT_EQ(db_->get_resource("s")->rel_paths.size(), 6u);
  // A datum of a point already listed adds no file and queues no job.
  auto again = add_datums({R"({"point_number": 0})"}, {"scan-point-0-again"});
  ASSERT_TRUE(again) << sys_.render(again.error());
  EXPECT_EQ(again->new_files, 0u);
  EXPECT_EQ(again->job_id, 0u);
  auto listed = datums();
  ASSERT_EQ(listed.size(), 4u);
  EXPECT_EQ(listed.back().datum.datum_id, "scan-point-0-again");  // registration order
  EXPECT_EQ(listed.back().datum.resource_uid, "s");
}

TEST_F(datum_job_test, num_points_stays_accepted_and_lists_its_files_itself) {
  auto t = register_scan(
    R"({"template": "%s%s_%4.4d.tif", "filename": "img", "frame_per_point": 2, "num_points": 3})");
  ASSERT_TRUE(t) << sys_.render(t.error());
  EXPECT_EQ(wait(t->job_id).state, job_state::done);
  EXPECT_EQ(db_->get_resource("s")->rel_paths.size(), 6u);
  auto d = add_datums({R"({"point_number": 2})"});
  ASSERT_TRUE(d) << sys_.render(d.error());
  EXPECT_EQ(d->new_files, 0u);
  // num_points bounds the points.
  auto beyond = add_datums({R"({"point_number": 3})"});
  ASSERT_FALSE(beyond);
  EXPECT_EQ(code_of(beyond.error()), ec::invalid_argument) << sys_.render(beyond.error());
}

TEST_F(datum_job_test, bad_datums_are_refused_whole_and_nothing_is_written) {
  ASSERT_TRUE(register_scan());
  // The second of three is bad: none is registered.
  auto bad = add_datums({R"({"point_number": 0})", R"({"frame_no": 1})", R"({"point_number": 2})"});
  ASSERT_FALSE(bad);
  auto text = sys_.render(bad.error());
  EXPECT_NE(text.find("datum 2 of 3"), std::string::npos) << text;
  EXPECT_TRUE(datums().empty());
  EXPECT_TRUE(db_->get_resource("s")->rel_paths.empty());
  auto not_json = add_datums({"{point_number: 0"});
  EXPECT_FALSE(not_json);
  auto negative = add_datums({R"({"point_number": -1})"});
  EXPECT_FALSE(negative);
  // An id is unique across resources; a generated one skips ids taken by hand.
  ASSERT_TRUE(add_datums({R"({"point_number": 0})"}, {"s/1"}));
  auto taken = add_datums({R"({"point_number": 1})"}, {"s/1"});
  ASSERT_FALSE(taken);
  EXPECT_NE(sys_.render(taken.error()).find("already registered"), std::string::npos);
  auto generated = add_datums({R"({"point_number": 1})", R"({"point_number": 2})"});
  ASSERT_TRUE(generated) << sys_.render(generated.error());
  EXPECT_EQ(generated->datum_ids, (std::vector<std::string>{"s/2", "s/3"}));
  datum_registration unknown;
  unknown.resource_uid = "nope";
  unknown.datums.resize(1);
  auto r = request<datum_ticket>(jm_, register_atom::value, datum_atom::value, unknown);
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::not_found);
  // The journal has the refusals and the registrations.
  auto journal = db_->journal(0, 100);
  ASSERT_TRUE(journal);
  size_t ok = 0, refused = 0;
  for (auto& e : *journal)
    if (e.command == "datum_register")
      (e.success ? ok : refused) += 1;
  EXPECT_EQ(ok, 2u);
  EXPECT_GE(refused, 4u);
}

TEST_F(datum_job_test, datum_hash_records_the_canonical_hash_and_statistics_of_every_datum) {
  register_two_points();
  auto j = datum_hash();
  ASSERT_EQ(j.state, job_state::done) << j.error;
  EXPECT_EQ(j.files.size(), 2u);
  auto refs = test::references({{"tiff", a_ + "/" + frame(0), a_ + "/" + frame(1)},
                                {"tiff", a_ + "/" + frame(2), a_ + "/" + frame(3)}});
  auto xs = datums();
  ASSERT_EQ(xs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    auto& s = xs[i].stats;
    datum_hash_result as_result;
    as_result.state = datum_state::ok;
    as_result.algorithm = s.algorithm;
    as_result.hash = s.hash;
    as_result.dtype = s.dtype;
    as_result.shape = s.shape;
    as_result.stats = s.stats;
    test::expect_same_as_reference(as_result, refs[i]);
    EXPECT_EQ(s.algorithm, "SHA-1");
    EXPECT_EQ(s.dtype, "<u2");
    EXPECT_EQ(s.shape, (std::vector<uint64_t>{2, 19, 23}));
    EXPECT_EQ(s.files, (std::vector<std::string>{frame(2 * i), frame(2 * i + 1)}));
    EXPECT_EQ(s.root, a_);
    EXPECT_EQ(s.job_id, j.id);
  }
  // SHA-256 on request; the datums' recorded algorithm is then the default.
  auto r = req(job_kind::datum_hash, "s");
  r.algorithm = "sha256";
  ASSERT_EQ(submit_and_wait(r).state, job_state::done);
  EXPECT_EQ(datums()[0].stats.hash, refs[0].value("sha256", ""));
  ASSERT_EQ(datum_hash().state, job_state::done);
  EXPECT_EQ(datums()[1].stats.algorithm, "SHA-256");
  auto md5 = req(job_kind::datum_hash, "s");
  md5.algorithm = "MD5";
  EXPECT_FALSE(request<job_ticket>(jm_, submit_atom::value, md5));
  auto journal = db_->journal(0, 100);
  ASSERT_TRUE(journal);
  size_t hashes = 0;
  for (auto& e : *journal)
    hashes += e.command == "datum_hash" && e.success ? 1 : 0;
  EXPECT_EQ(hashes, 3u);
}

TEST_F(datum_job_test, a_corrupt_frame_fails_its_datum_naming_the_file_and_the_others_are_recorded) {
  register_two_points();
  // Frame 3 cut short after the hashes: the datum hash reads what is on disk now.
  auto path = a_ + "/" + frame(3);
  fs::resize_file(path, 100);
  auto j = datum_hash();
  EXPECT_EQ(j.state, job_state::failed);
  EXPECT_NE(j.error.find("1 of 2 datums"), std::string::npos) << j.error;
  ASSERT_EQ(j.files.size(), 2u);
  EXPECT_EQ(j.files[0].state, step_state::done);
  EXPECT_EQ(j.files[1].state, step_state::failed);
  EXPECT_NE(j.files[1].detail.find("s/1"), std::string::npos) << j.files[1].detail;
  EXPECT_NE(j.files[1].detail.find(path), std::string::npos) << j.files[1].detail;
  auto xs = datums();
  EXPECT_FALSE(xs[0].stats.hash.empty());
  EXPECT_TRUE(xs[1].stats.hash.empty());
}

TEST_F(datum_job_test, only_the_datums_files_are_copied_and_datums_outlive_copy_move_and_change_root) {
  register_two_points();
  ASSERT_EQ(datum_hash().state, job_state::done);
  auto before = datums();
  auto copy = req(job_kind::copy, "s");
  copy.dst_root = b_;
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  for (uint32_t f = 0; f < 4; ++f)
    EXPECT_EQ(test::slurp(b_ + "/" + frame(f)), test::slurp(a_ + "/" + frame(f)));
  EXPECT_FALSE(fs::exists(b_ + "/" + frame(4))) << "frame 4 is no datum's";
  EXPECT_FALSE(fs::exists(b_ + "/" + frame(5)));
  // The copy reads the same values.
  EXPECT_EQ(verify_datums(b_).state, job_state::done);
  auto c = dir_ / "c";
  auto move = req(job_kind::move, "s");
  move.src_root = a_;
  move.dst_root = c;
  ASSERT_EQ(submit_and_wait(move).state, job_state::done);
  // Moved out of band from c to d, then recorded there.
  auto d = dir_ / "d";
  fs::rename(c, d);
  auto change = req(job_kind::change_root, "s");
  change.src_root = c;
  change.dst_root = d;
  auto changed = submit_and_wait(change);
  ASSERT_EQ(changed.state, job_state::done) << changed.error;
  auto after = datums();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].datum.datum_id, before[i].datum.datum_id);
    EXPECT_EQ(after[i].datum.kwargs, before[i].datum.kwargs);
    EXPECT_EQ(after[i].stats.hash, before[i].stats.hash);
  }
  EXPECT_EQ(verify_datums(d).state, job_state::done);
  auto check = db_->check();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
}

TEST_F(datum_job_test, verify_at_level_datum_finds_a_changed_value_and_ignores_a_recompression) {
  register_two_points();
  ASSERT_EQ(datum_hash().state, job_state::done);
  auto copy = req(job_kind::copy, "s");
  copy.dst_root = b_;
  ASSERT_EQ(submit_and_wait(copy).state, job_state::done);
  // On b: one value of frame 2 changed; an uncompressed frame keeps its size.
  auto changed = stack_;
  changed.values[2 * 19 * 23 + 7] ^= 0x0101;
  auto path = b_ + "/" + frame(2);
  auto size = fs::file_size(path);
  ASSERT_TRUE(test::write_tiff_frame(path, changed, 2));
  ASSERT_EQ(fs::file_size(path), size);
  // On a: frame 0 recompressed (LZW): other bytes, the same values.
  ASSERT_TRUE(test::write_tiff_frame(a_ + "/" + frame(0), stack_, 0,
                                     test::tiff_options{COMPRESSION_LZW}));
  auto on_b = verify_datums(b_);
  EXPECT_EQ(on_b.state, job_state::failed);
  ASSERT_EQ(on_b.files.size(), 2u);
  EXPECT_EQ(on_b.files[0].state, step_state::done);
  EXPECT_EQ(on_b.files[1].state, step_state::failed);
  auto& why = on_b.files[1].detail;
  EXPECT_NE(why.find("hash_mismatch"), std::string::npos) << why;
  EXPECT_NE(why.find("s/1"), std::string::npos) << why;
  EXPECT_NE(why.find(frame(2)), std::string::npos) << why;
  EXPECT_EQ(verify_datums(a_).state, job_state::done) << "values unchanged";
  auto by_hash = req(job_kind::verify, "s");
  by_hash.src_root = a_;
  EXPECT_EQ(submit_and_wait(by_hash).state, job_state::failed) << "the file's bytes changed";
  // Both copies at once: one step per datum and copy.
  auto both = req(job_kind::verify, "s");
  both.level = check_level::datum;
  auto all = submit_and_wait(both);
  EXPECT_EQ(all.state, job_state::failed);
  EXPECT_EQ(all.files.size(), 4u);
  // The recorded values are not touched by a verification.
  EXPECT_EQ(datums()[1].stats.root, a_);
}

TEST_F(datum_job_test, a_copy_or_move_at_level_datum_checks_the_destinations_values) {
  register_two_points();
  ASSERT_EQ(datum_hash().state, job_state::done);
  auto copy = req(job_kind::copy, "s");
  copy.dst_root = b_;
  copy.level = check_level::datum;
  auto c = submit_and_wait(copy);
  EXPECT_EQ(c.state, job_state::done) << c.error;
  EXPECT_EQ(c.phase, datum_check_phase);
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[0].rel_path, "s/0");
  EXPECT_EQ(c.files[0].root, b_);
  // Datum s/1's recorded hash no longer fits its values (as if hashed from other files).
  auto s1 = datums()[1].stats;
  s1.hash = std::string(40, '0');
  ASSERT_FALSE(db_->update([&](catalogue_txn& txn) -> caf::error {
    txn.put_datum_stats(s1);
    return {};
  }));
  auto to = dir_ / "c";
  auto move = req(job_kind::move, "s");
  move.src_root = a_;
  move.dst_root = to;
  move.level = check_level::datum;
  auto m = submit_and_wait(move);
  EXPECT_EQ(m.state, job_state::failed);
  EXPECT_NE(m.error.find("the source is kept"), std::string::npos) << m.error;
  EXPECT_EQ(m.phase, datum_check_phase);
  ASSERT_EQ(m.files.size(), 2u);
  EXPECT_EQ(m.files[1].state, step_state::failed);
  EXPECT_NE(m.files[1].detail.find("s/1"), std::string::npos) << m.files[1].detail;
  for (uint32_t f = 0; f < 4; ++f) {
    EXPECT_TRUE(fs::exists(a_ + "/" + frame(f))) << "the source is kept";
    EXPECT_TRUE(fs::exists(to + "/" + frame(f))) << "the copy is made";
  }
  // A retry reads only the datum that failed, at the destination.
  auto t = request<job_ticket>(jm_, retry_atom::value, m.id);
  ASSERT_TRUE(t) << sys_.render(t.error());
  auto r = wait(t->job_id);
  EXPECT_EQ(r.request.kind, job_kind::verify);
  EXPECT_EQ(r.request.level, check_level::datum);
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].rel_path, "s/1");
  EXPECT_EQ(r.files[0].root, to);
  EXPECT_EQ(r.state, job_state::failed);
  auto check = db_->check();
  ASSERT_TRUE(check);
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
}

TEST_F(datum_job_test, verify_at_level_datum_needs_recorded_hashes) {
  register_two_points();
  auto r = req(job_kind::verify, "s");
  r.level = check_level::datum;
  auto t = request<job_ticket>(jm_, submit_atom::value, r);
  ASSERT_FALSE(t);
  EXPECT_NE(sys_.render(t.error()).find("datum hash"), std::string::npos);
}

TEST_F(datum_job_test, a_datum_hash_is_cancelled_at_once_and_one_stopped_midway_resumes) {
  register_two_points();
  auto fake = use_fake_hasher();
  // Both datum hashes wait at the fake worker (the second behind the first: one resource).
  auto t1 = request<job_ticket>(jm_, submit_atom::value, req(job_kind::datum_hash, "s"));
  auto t2 = request<job_ticket>(jm_, submit_atom::value, req(job_kind::datum_hash, "s"));
  ASSERT_TRUE(t1 && t2);
  EXPECT_EQ(state_of(t1->job_id), job_state::running);
  auto c = request<job_record>(jm_, cancel_atom::value, t1->job_id);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, job_state::cancelled);
  // The held batch answers after the cancel: what it read is still recorded.
  self_->send(fake, done_atom::value);
  run();
  EXPECT_FALSE(datums()[0].stats.hash.empty());
  EXPECT_EQ(state_of(t2->job_id), job_state::running);
  // Job 2 is at the worker when the manager stops; a new one resumes it with real workers.
  auto progress = db_->get_job(t2->job_id);
  ASSERT_TRUE(progress);
  stop_fake_hasher(fake);
  auto before = db_->get_job(t2->job_id);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->state, job_state::running);
  start();
  auto j = wait(t2->job_id);
  EXPECT_EQ(j.state, job_state::done) << j.error;
  for (auto& x : datums())
    EXPECT_EQ(x.stats.job_id, t2->job_id) << x.datum.datum_id;
}

}  // namespace
}  // namespace d1
