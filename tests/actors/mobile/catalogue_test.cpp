// The catalogue over real LMDB in a temp dir: every table, reference counts for shared
// files, history, journal, jobs with per-file checkpoints, and the catalogue actor reading
// what job_manager registered (the mobile types round-trip in tests/messages/mobile_types_test).
#include "actors/mobile/catalogue.hpp"
#include "actors/mobile/catalogue_db.hpp"

#include "messages/error.hpp"
#include "storage/codec.hpp"
#include "tests/storage/temp_dir.hpp"
#include "tests/actors/mobile/job_fixture.hpp"

#include <gtest/gtest.h>

namespace d1 {
namespace {

job_request raw(const std::string& uid, const std::string& root, const std::string& path) {
  job_request r;
  r.uid = uid;
  r.spec = "RAW";
  r.root = root;
  r.path = path;
  return r;
}

caf::expected<resource_detail> do_register(catalogue_db& db, const job_request& req) {
  caf::expected<resource_detail> out{make_error(ec::unspecified)};
  auto err = db.update([&](catalogue_txn& txn) -> caf::error {
    out = txn.register_resource(req);
    return out ? caf::error{} : out.error();
  });
  if (err)
    return err;
  return out;
}

TEST(catalogue_db, registers_resources_files_refs_and_history_in_one_transaction) {
  test::temp_dir dir;
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db) << describe(db.error());
  auto tiff = (*db)->update([&](catalogue_txn& txn) -> caf::error {
    job_request r;
    r.uid = "t1";
    r.spec = "AD_TIFF";
    r.root = "/data//";
    r.path = "scan";
    r.kwargs = R"({"template":"%s%s_%3.3d.tif","filename":"f","frame_per_point":2,"num_points":2})";
    auto d = txn.register_resource(r);
    if (!d)
      return d.error();
    EXPECT_EQ(d->files.size(), 4u);
    EXPECT_EQ(d->resource.root, "/data");
    EXPECT_EQ(d->resource.algorithm, "SHA-256");
    return {};
  });
  ASSERT_FALSE(tiff) << describe(tiff);
  auto d = (*db)->get_resource("t1");
  ASSERT_TRUE(d) << describe(d.error());
  ASSERT_EQ(d->files.size(), 4u);
  EXPECT_EQ(d->rel_paths[3], "scan/f_003.tif");
  EXPECT_EQ(d->files[0].state, file_state::unknown);
  auto refs = (*db)->refs("/data/scan/f_000.tif");
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->refs.size(), 1u);
  auto h = (*db)->history("t1");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->size(), 1u);
  EXPECT_EQ((*h)[0].action, "register");
  EXPECT_EQ((*h)[0].files, 4u);
  // Duplicate uid and bad spec: refused, nothing written.
  auto dup = do_register(**db, raw("t1", "/data", "x"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(code_of(dup.error()), ec::invalid_argument);
  auto bad = do_register(**db, raw("t2", "relative", "x"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), ec::invalid_argument);
  EXPECT_EQ(code_of((*db)->get_resource("t2").error()), ec::not_found);
  auto all = (*db)->list_resources();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
}

TEST(catalogue_db, shared_files_are_reference_counted) {
  test::temp_dir dir;
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db);
  ASSERT_TRUE(do_register(**db, raw("a", "/r", "shared.h5")));
  auto b = do_register(**db, raw("b", "/r", "shared.h5"));
  ASSERT_TRUE(b);
  auto refs = (*db)->refs("/r/shared.h5");
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->refs.size(), 2u);
  caf::expected<path_refs> left{make_error(ec::unspecified)};
  ASSERT_FALSE((*db)->update([&](catalogue_txn& txn) -> caf::error {
    left = txn.drop_file(b->files[0]);
    return left ? caf::error{} : left.error();
  }));
  ASSERT_EQ(left->refs.size(), 1u);
  EXPECT_EQ(left->refs[0].resource_uid, "a");
  auto a = (*db)->get_resource("a");
  ASSERT_FALSE((*db)->update([&](catalogue_txn& txn) -> caf::error {
    auto l = txn.drop_file(a->files[0]);
    return l ? caf::error{} : l.error();
  }));
  EXPECT_TRUE((*db)->refs("/r/shared.h5")->refs.empty());
  // A long path is keyed by its hash and still counted.
  std::string long_path(450, 'x');
  ASSERT_TRUE(do_register(**db, raw("c", "/r", long_path)));
  EXPECT_EQ((*db)->refs("/r/" + long_path)->refs.size(), 1u);
}

TEST(catalogue_db, journal_and_jobs_with_per_file_checkpoint_survive_reopen) {
  test::temp_dir dir;
  uint64_t seq = 0;
  {
    auto db = catalogue_db::open(dir / "cat");
    ASSERT_TRUE(db);
    ASSERT_FALSE((*db)->update([&](catalogue_txn& txn) -> caf::error {
      journal_entry e;
      e.command = "copy";
      e.args = {"uid1"};
      e.kwargs = R"({"dst_root":"/b"})";
      e.started = 5;
      auto s = txn.begin_journal(e);
      seq = *s;
      job_record j;
      j.id = *txn.next("job");
      j.files = {job_file{"/a", "x", 3, step_state::pending, {}},
                 job_file{"/a", "y", 4, step_state::pending, {}}};
      j.journal_seq = seq;
      txn.put_job(j);
      return {};
    }));
    auto j = (*db)->get_job(1);
    ASSERT_TRUE(j) << describe(j.error());
    j->files[1].state = step_state::done;
    j->state = job_state::running;
    ASSERT_FALSE((*db)->update([&](catalogue_txn& txn) -> caf::error {
      txn.put_job_step(*j, 1);
      return txn.end_journal(seq, true, {}, 1);
    }));
  }
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db) << describe(db.error());
  auto j = (*db)->get_job(1);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->state, job_state::running);
  ASSERT_EQ(j->files.size(), 2u);
  EXPECT_EQ(j->files[0].state, step_state::pending);
  EXPECT_EQ(j->files[1].state, step_state::done);
  auto journal = (*db)->journal(0, 0);
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ((*journal)[0].command, "copy");
  EXPECT_TRUE((*journal)[0].success);
  EXPECT_EQ((*journal)[0].job_id, 1u);
  EXPECT_GT((*journal)[0].finished, 0);
  EXPECT_TRUE((*db)->journal(seq, 0)->empty());
  EXPECT_EQ(code_of((*db)->get_job(9).error()), ec::not_found);
  // Counters continue after a reopen.
  ASSERT_FALSE((*db)->update([&](catalogue_txn& txn) -> caf::error {
    EXPECT_EQ(*txn.next("job"), 2u);
    return {};
  }));
}

TEST(catalogue_db, copies_are_ranked_verified_first_then_by_host_preference) {
  resource_detail d;
  d.rel_paths = {"x"};
  auto file = [](std::string root, bool ok) {
    file_record f;
    f.root = root;
    f.rel_path = "x";
    f.digest = ok ? "ab" : "";
    f.exists = ok;
    f.state = ok ? file_state::ok : file_state::unknown;
    return f;
  };
  d.files = {file("/z", true), file("/fast/a", true), file("/slow", false)};
  host_preferences prefs{"h", {"/fast", "/z"}, {}};
  auto c = copies_of(d, prefs);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].root, "/fast/a");
  EXPECT_EQ(c[0].preference, 0);
  EXPECT_EQ(c[1].root, "/z");
  EXPECT_FALSE(c[2].verified);
  EXPECT_EQ(preferred_verified_root(d, prefs), "/fast/a");
  EXPECT_EQ(preferred_verified_root(d, host_preferences{}), "/fast/a");  // by root
}

// Two spellings of one file (an alias root) share it: the identity index counts both.
TEST(catalogue_db, files_are_indexed_by_identity_and_a_changed_identity_moves) {
  test::temp_dir dir;
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db);
  file_stat st{7, 1, 42, 0100644, 0, 0, 1, 5, 1, 2};
  auto put = [&](const std::string& uid, const std::string& root, file_stat s) {
    file_record f;
    f.resource_uid = uid;
    f.root = root;
    f.rel_path = "x";
    f.abs_path = root + "/x";
    f.file_uid = make_file_uid(uid, root, "x");
    f.stat = s;
    return (*db)->update([&](catalogue_txn& txn) -> caf::error {
      txn.put_file(f);
      return {};
    });
  };
  ASSERT_FALSE(put("u", "/data", st));
  ASSERT_FALSE(put("v", "/alias", st));
  auto refs = (*db)->refs_by_identity(st);
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->refs.size(), 2u);
  auto moved = st;
  moved.ino = 43;  // v's file was replaced: another inode
  ASSERT_FALSE(put("v", "/alias", moved));
  EXPECT_EQ((*db)->refs_by_identity(st)->refs.size(), 1u);
  EXPECT_EQ((*db)->refs_by_identity(moved)->refs.size(), 1u);
}

// A reference list that does not decode is never replaced (the references it held would
// be lost): the change fails, and `catalogue check` names the record.
TEST(catalogue_db, an_unreadable_reference_record_stops_the_change_and_is_reported) {
  test::temp_dir dir;
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db);
  ASSERT_TRUE(do_register(**db, raw("a", "/r", "f")));
  auto clean = (*db)->check();
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->problems.empty()) << clean->problems.front();
  std::string garbage = "\x02\xff\xff\xff";
  ASSERT_FALSE((*db)->store().put("files_by_path", path_key("/r/f"), garbage));
  auto err = do_register(**db, raw("b", "/r", "f"));  // the same path again
  ASSERT_FALSE(err);
  EXPECT_EQ(code_of(err.error()), ec::storage_error);
  auto raw_after = (*db)->store().get("files_by_path", path_key("/r/f"));
  ASSERT_TRUE(raw_after && *raw_after);
  EXPECT_EQ(**raw_after, garbage);  // untouched
  auto report = (*db)->check();
  ASSERT_TRUE(report);
  ASSERT_FALSE(report->problems.empty());
  EXPECT_NE(report->problems.front().find("files_by_path"), std::string::npos)
    << report->problems.front();
}

TEST(catalogue_db, check_finds_lost_references_and_resources_without_a_copy) {
  test::temp_dir dir;
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db);
  ASSERT_TRUE(do_register(**db, raw("a", "/r", "f")));
  ASSERT_TRUE(do_register(**db, raw("b", "/r", "g")));
  ASSERT_FALSE((*db)->store().erase("files_by_path", path_key("/r/f")));
  auto d = (*db)->get_resource("b");
  ASSERT_TRUE(d);
  ASSERT_FALSE((*db)->store().erase("files", file_key("b", d->files[0].file_uid)));
  auto report = (*db)->check();
  ASSERT_TRUE(report);
  std::string all;
  for (auto& p : report->problems)
    all += p + "\n";
  EXPECT_NE(all.find("/r/f (resource 'a') is missing from files_by_path"), std::string::npos)
    << all;
  EXPECT_NE(all.find("resource 'b' has no copy"), std::string::npos) << all;
  EXPECT_NE(all.find("names a file record of 'b' that does not exist"), std::string::npos)
    << all;
}

TEST(catalogue_db, records_refuse_another_catalogue_version) {
  test::temp_dir dir;
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db);
  ASSERT_TRUE(do_register(**db, raw("a", "/r", "f")));
  std::string bytes = storage::encode(resource_record{});
  bytes[0] = static_cast<char>(catalogue_schema_version + 1);
  ASSERT_FALSE((*db)->store().put("resources", "a", bytes));
  auto r = (*db)->get_resource("a");
  ASSERT_FALSE(r);
  EXPECT_EQ(code_of(r.error()), ec::storage_error);
}

// The catalogue answers reads of what job_manager registered in the same catalogue_db.
class catalogue_actor_test : public test::job_fixture {};

TEST_F(catalogue_actor_test, reads_locates_and_journals_what_job_manager_registered) {
  ASSERT_EQ(register_and_wait(raw("u1", a_, "scan/img_000.tif")).state, job_state::done);
  auto bad = request<job_ticket>(jm_, register_atom::value, raw("u2", a_, "../x"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), ec::invalid_argument);
  auto cat = sys_.spawn(catalogue, db_, host_preferences{"h", {a_}, {}});
  auto got = request<resource_detail>(cat, get_atom::value, resource_atom::value,
                                      std::string{"u1"});
  ASSERT_TRUE(got) << sys_.render(got.error());
  ASSERT_EQ(got->files.size(), 1u);
  EXPECT_EQ(got->files[0].abs_path, a_ + "/scan/img_000.tif");
  auto missing = request<resource_detail>(cat, get_atom::value, resource_atom::value,
                                          std::string{"nope"});
  EXPECT_EQ(code_of(missing.error()), ec::not_found);
  auto list = request<std::vector<resource_record>>(cat, list_atom::value, resource_atom::value);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);
  auto loc = request<location_report>(cat, locate_atom::value, std::string{"u1"});
  ASSERT_TRUE(loc);
  ASSERT_EQ(loc->copies.size(), 1u);
  EXPECT_TRUE(loc->copies[0].verified);  // hashed by the register job
  EXPECT_EQ(loc->preferred_root, a_);
  EXPECT_EQ(loc->host, "h");
  auto journal = request<std::vector<journal_entry>>(cat, journal_atom::value, uint64_t{0},
                                                     uint32_t{0});
  ASSERT_TRUE(journal);
  ASSERT_EQ(journal->size(), 2u);  // the refusal is journaled too
  EXPECT_EQ((*journal)[0].command, "register");
  EXPECT_TRUE((*journal)[0].success);
  EXPECT_FALSE((*journal)[1].success);
  EXPECT_NE((*journal)[1].error.find("invalid"), std::string::npos);
  auto hist = request<std::vector<history_entry>>(cat, history_atom::value, std::string{"u1"});
  ASSERT_TRUE(hist);
  ASSERT_FALSE(hist->empty());
  EXPECT_EQ((*hist)[0].action, "register");
  caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace d1
