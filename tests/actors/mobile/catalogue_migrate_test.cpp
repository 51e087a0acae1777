// A catalogue written by an older schema (1: file records without identities; 2: jobs
// without error codes) opens with every record readable, once, in place; what it knew is
// kept.
#include "actors/mobile/catalogue_db.hpp"

#include "messages/error.hpp"
#include "storage/codec.hpp"
#include "storage/lmdb_store.hpp"
#include "tests/storage/temp_dir.hpp"

#include <caf/meta/type_name.hpp>

#include <gtest/gtest.h>

namespace d1 {
namespace {

// The schema-1 layouts, written out here independently of the migration's own.
struct old_file_record {
  uint16_t version = 1;
  std::string file_uid, resource_uid, root, rel_path, abs_path;
  uint64_t size = 0;
  std::string algorithm, digest, expected_digest;
  bool exists = false;
  file_state state = file_state::unknown;
  int64_t verified_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, old_file_record& x) {
  return f(caf::meta::type_name("old_file_record"), x.version, x.file_uid, x.resource_uid,
           x.root, x.rel_path, x.abs_path, x.size, x.algorithm, x.digest, x.expected_digest,
           x.exists, x.state, x.verified_at);
}

struct old_job_file {
  std::string root, rel_path;
  uint64_t size = 0;
  step_state state = step_state::pending;
  std::string detail;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, old_job_file& x) {
  return f(caf::meta::type_name("old_job_file"), x.root, x.rel_path, x.size, x.state, x.detail);
}

// A schema-2 job: its error only as text.
struct old_job_record {
  uint16_t version = 2;
  uint64_t id = 0;
  job_request request;
  job_state state = job_state::queued;
  uint8_t phase = 0;
  std::vector<job_file> files;
  job_progress progress;
  std::string error;
  uint64_t journal_seq = 0;
  int64_t created = 0, started = 0, finished = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, old_job_record& x) {
  return f(caf::meta::type_name("old_job_record"), x.version, x.id, x.request, x.state,
           x.phase, x.files, x.progress, x.error, x.journal_seq, x.created, x.started,
           x.finished);
}

template <class T>
std::string of_schema(uint8_t schema, const T& x) {
  auto bytes = storage::encode(x);
  bytes[0] = static_cast<char>(schema);
  return bytes;
}

template <class T>
std::string schema_1(const T& x) {
  return of_schema(1, x);
}

TEST(catalogue_migrate, a_schema_1_catalogue_opens_with_its_records_kept) {
  test::temp_dir dir;
  {
    storage::environment_options opts;
    opts.durable = true;
    auto store = storage::lmdb_store::open(dir / "cat", opts);
    ASSERT_TRUE(store);
    resource_record r{1, "u", "RAW", "/r", "f", "{}", "SHA-256", 5};
    old_file_record f{1, make_file_uid("u", "/r", "f"), "u", "/r", "f", "/r/f", 3, "SHA-256",
                      "abc", "", true, file_state::ok, 77};
    path_refs refs{1, "/r/f", {file_ref{"u", f.file_uid}}};
    old_job_file jf{"/r", "f", 3, step_state::done, ""};
    ASSERT_FALSE((*store)->put("resources", "u", schema_1(r)));
    ASSERT_FALSE((*store)->put("files", file_key("u", f.file_uid), schema_1(f)));
    ASSERT_FALSE((*store)->put("files_by_path", path_key("/r/f"), schema_1(refs)));
    ASSERT_FALSE((*store)->put("job_files", job_key(1) + "00000000000000000000", schema_1(jf)));
  }
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db) << describe(db.error());
  auto d = (*db)->get_resource("u");
  ASSERT_TRUE(d) << describe(d.error());
  ASSERT_EQ(d->files.size(), 1u);
  auto& f = d->files[0];
  EXPECT_EQ(f.digest, "abc");
  EXPECT_EQ(f.verified_at, 77);
  EXPECT_EQ(f.hashed_at, 77);   // it was ok with a digest: hashed then
  EXPECT_EQ(f.stat.ino, 0u);    // unknown: the next re-check hashes it
  auto refs = (*db)->refs("/r/f");
  ASSERT_TRUE(refs);
  EXPECT_EQ(refs->refs.size(), 1u);
  // Opened again: nothing left to migrate, nothing changes.
  db->reset();
  auto again = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(again);
  EXPECT_TRUE((*again)->get_resource("u"));
}

TEST(catalogue_migrate, a_schema_2_job_gets_the_code_its_error_text_starts_with) {
  test::temp_dir dir;
  {
    storage::environment_options opts;
    opts.durable = true;
    auto store = storage::lmdb_store::open(dir / "cat", opts);
    ASSERT_TRUE(store);
    resource_record r{1, "u", "RAW", "/r", "f", "{}", "SHA-256", 5};
    old_job_record full;
    full.id = 1;
    full.state = job_state::failed;
    full.error = "no_space: no space left on device (ENOSPC) writing /r/f";
    old_job_record summary;
    summary.id = 2;
    summary.state = job_state::failed;
    summary.error = "1 of 2 files not copied; first: io_error: /r/f: Input/output error";
    ASSERT_FALSE((*store)->put("resources", "u", of_schema(2, r)));
    ASSERT_FALSE((*store)->put("jobs", job_key(1), of_schema(2, full)));
    ASSERT_FALSE((*store)->put("jobs", job_key(2), of_schema(2, summary)));
    ASSERT_FALSE((*store)->put("meta", "schema", "2"));
  }
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_TRUE(db) << describe(db.error());
  auto full = (*db)->get_job(1);
  ASSERT_TRUE(full) << describe(full.error());
  EXPECT_EQ(full->state, job_state::failed);
  EXPECT_EQ(full->error_code, ec::no_space);
  EXPECT_EQ(full->error, "no_space: no space left on device (ENOSPC) writing /r/f");
  auto summary = (*db)->get_job(2);
  ASSERT_TRUE(summary) << describe(summary.error());
  EXPECT_EQ(summary->error_code, ec::unspecified);  // a count first, no code
  EXPECT_TRUE((*db)->get_resource("u"));
}

TEST(catalogue_migrate, a_record_that_does_not_decode_stops_the_migration_and_changes_nothing) {
  test::temp_dir dir;
  {
    storage::environment_options opts;
    opts.durable = true;
    auto store = storage::lmdb_store::open(dir / "cat", opts);
    ASSERT_TRUE(store);
    resource_record r{1, "u", "RAW", "/r", "f", "{}", "SHA-256", 5};
    ASSERT_FALSE((*store)->put("resources", "u", schema_1(r)));
    ASSERT_FALSE((*store)->put("files", "broken", std::string{"\x01\x05garbage"}));
  }
  auto db = catalogue_db::open(dir / "cat");
  ASSERT_FALSE(db);
  EXPECT_EQ(code_of(db.error()), ec::storage_error);
  EXPECT_NE(context_of(db.error()).find("files"), std::string::npos) << describe(db.error());
}

}  // namespace
}  // namespace d1
