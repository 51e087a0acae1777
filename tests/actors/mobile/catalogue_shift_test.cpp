// resource shift-root in the catalogue (real LMDB in a temp dir): the split of root and
// path moves, every copy with it, records keep their absolute paths, bytes and references,
// and a shift past either end changes nothing.
#include "actors/mobile/catalogue_db.hpp"

#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <set>

namespace d1 {
namespace {

TEST(shift_location, moves_components_between_root_and_path) {
  auto s = shift_location("/data", "a/b/scan", 2);
  ASSERT_TRUE(s) << describe(s.error());
  EXPECT_EQ(s->root, "/data/a/b");
  EXPECT_EQ(s->path, "scan");
  s = shift_location("/data/a/b", "scan", -2);
  ASSERT_TRUE(s) << describe(s.error());
  EXPECT_EQ(s->root, "/data");
  EXPECT_EQ(s->path, "a/b/scan");
  s = shift_location("/data", "scan", -1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->root, "/");
  EXPECT_EQ(s->path, "data/scan");
  s = shift_location("/", "data/scan", 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->root, "/data");
  EXPECT_EQ(s->path, "scan");
}

TEST(shift_location, refuses_zero_and_shifts_past_either_end) {
  auto why = [](const std::string& root, const std::string& path, int32_t by) {
    auto s = shift_location(root, path, by);
    EXPECT_FALSE(s);
    if (s)
      return std::string{};
    EXPECT_EQ(code_of(s.error()), ec::invalid_argument);
    return context_of(s.error());
  };
  EXPECT_NE(why("/data", "a/scan", 0).find("a shift of 0"), std::string::npos);
  EXPECT_NE(why("/data", "a/scan", 2).find("at most --by 1"), std::string::npos);
  EXPECT_NE(why("/data", "scan", 1).find("at most --by 0"), std::string::npos);
  EXPECT_NE(why("/data/x", "scan", -3).find("root '/data/x' has 2 components"),
            std::string::npos);
  EXPECT_NE(why("/", "scan", -1).find("has 0 components"), std::string::npos);
}

class catalogue_shift : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = catalogue_db::open(dir_ / "cat");
    ASSERT_TRUE(opened) << describe(opened.error());
    db_ = *opened;
  }

  // A resource `uid` registered at /data with path `path`, hashed there and copied to
  // /backup/data (same rel_paths).
  void register_with_two_copies(const std::string& uid, const std::string& spec,
                                const std::string& path, const std::string& kwargs = "") {
    auto err = db_->update([&](catalogue_txn& txn) -> caf::error {
      job_request r;
      r.uid = uid;
      r.spec = spec;
      r.root = "/data";
      r.path = path;
      r.kwargs = kwargs;
      auto d = txn.register_resource(r);
      if (!d)
        return d.error();
      uint64_t inode = 40;
      for (auto& f : d->files) {
        auto hashed = f;
        hashed.digest = "ab" + f.rel_path;
        hashed.state = file_state::ok;
        hashed.exists = true;
        hashed.size = 7;
        hashed.stat.ino = ++inode;
        hashed.stat.dev = 1;
        txn.put_file(hashed);
        auto copy = hashed;
        copy.root = "/backup/data";
        copy.abs_path = join_path(copy.root, copy.rel_path);
        copy.file_uid = make_file_uid(uid, copy.root, copy.rel_path);
        copy.stat.dev = 2;
        txn.put_file(copy);
      }
      return {};
    });
    ASSERT_FALSE(err) << describe(err);
  }

  caf::expected<root_shift> shift(const std::string& uid, int32_t by) {
    caf::expected<root_shift> out{make_error(ec::unspecified)};
    auto err = db_->update([&](catalogue_txn& txn) -> caf::error {
      out = txn.shift_root(uid, by);
      return out ? caf::error{} : out.error();
    });
    if (err)
      return err;
    return out;
  }

  static std::string join_path(const std::string& root, const std::string& rel) {
    return root == "/" ? "/" + rel : root + "/" + rel;
  }

  test::temp_dir dir_;
  std::shared_ptr<catalogue_db> db_;
};

TEST_F(catalogue_shift, every_copy_moves_its_split_and_keeps_its_files) {
  register_with_two_copies("t", "AD_TIFF", "proposal/scan",
                           R"({"template":"%s%s_%3.3d.tif","filename":"f",)"
                           R"("frame_per_point":1,"num_points":2})");
  auto before = db_->get_resource("t");
  ASSERT_TRUE(before);
  ASSERT_EQ(before->files.size(), 4u);
  auto s = shift("t", 1);
  ASSERT_TRUE(s) << describe(s.error());
  EXPECT_EQ(s->before.root, "/data");
  EXPECT_EQ(s->after.root, "/data/proposal");
  EXPECT_EQ(s->after.path, "scan");
  EXPECT_EQ(s->files, 4u);
  auto after = db_->get_resource("t");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->resource.root, "/data/proposal");
  EXPECT_EQ(after->resource.path, "scan");
  EXPECT_EQ(after->rel_paths, (std::vector<std::string>{"scan/f_000.tif", "scan/f_001.tif"}));
  ASSERT_EQ(after->files.size(), 4u);
  for (auto& f : after->files) {
    EXPECT_TRUE(f.root == "/data/proposal" || f.root == "/backup/data/proposal") << f.root;
    EXPECT_EQ(f.rel_path.rfind("scan/", 0), 0u) << f.rel_path;
    EXPECT_EQ(join_path(f.root, f.rel_path), f.abs_path);
    EXPECT_EQ(f.file_uid, make_file_uid("t", f.root, f.rel_path));
    // Nothing about the bytes changed: they are the same files.
    EXPECT_EQ(f.state, file_state::ok);
    EXPECT_EQ(f.digest, "ab" + f.abs_path.substr(f.abs_path.find("proposal/")));
    auto refs = db_->refs(f.abs_path);
    ASSERT_TRUE(refs);
    ASSERT_EQ(refs->refs.size(), 1u) << f.abs_path;
    EXPECT_EQ(refs->refs[0].file_uid, f.file_uid);
  }
  // The same absolute paths as before.
  std::set<std::string> old_paths, new_paths;
  for (auto& f : before->files)
    old_paths.insert(f.abs_path);
  for (auto& f : after->files)
    new_paths.insert(f.abs_path);
  EXPECT_EQ(old_paths, new_paths);
  auto h = db_->history("t");
  ASSERT_TRUE(h);
  ASSERT_FALSE(h->empty());
  EXPECT_EQ(h->back().action, "shift_root");
  EXPECT_EQ(h->back().from_root, "/data");
  EXPECT_EQ(h->back().to_root, "/data/proposal");
  EXPECT_EQ(h->back().files, 4u);
  auto report = db_->check();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  // And back: the catalogue is as it was, but for the history.
  auto back = shift("t", -1);
  ASSERT_TRUE(back) << describe(back.error());
  auto again = db_->get_resource("t");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->resource.root, "/data");
  EXPECT_EQ(again->resource.path, "proposal/scan");
  EXPECT_EQ(again->rel_paths, before->rel_paths);
  for (auto& f : again->files)
    EXPECT_TRUE(f.root == "/data" || f.root == "/backup/data") << f.root;
}

TEST_F(catalogue_shift, a_refused_shift_changes_nothing) {
  register_with_two_copies("r", "RAW", "a/f.raw");
  auto before = db_->get_resource("r");
  ASSERT_TRUE(before);
  auto past_path = shift("r", 2);
  ASSERT_FALSE(past_path);
  EXPECT_EQ(code_of(past_path.error()), ec::invalid_argument);
  // Back by 2: "/data" has one component; and the copy at /backup/data ends in "data", but
  // back by one more than "/data" has is past the end.
  auto past_root = shift("r", -2);
  ASSERT_FALSE(past_root);
  EXPECT_NE(context_of(past_root.error()).find("has 1 component"), std::string::npos);
  auto unknown = shift("nope", 1);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(code_of(unknown.error()), ec::not_found);
  auto after = db_->get_resource("r");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->resource.root, before->resource.root);
  EXPECT_EQ(after->resource.path, before->resource.path);
  ASSERT_EQ(after->files.size(), before->files.size());
  for (size_t i = 0; i < after->files.size(); ++i)
    EXPECT_EQ(after->files[i].file_uid, before->files[i].file_uid);
  auto h = db_->history("r");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size(), 1u);  // register only
}

TEST_F(catalogue_shift, refuses_a_copy_whose_root_does_not_end_in_the_components) {
  register_with_two_copies("r", "RAW", "f.raw");
  // Back by one: /data → / with path data/f.raw; the copy at /backup/data → /backup. Fine.
  // Add a copy at /elsewhere, whose root does not end in "data".
  auto err = db_->update([&](catalogue_txn& txn) -> caf::error {
    file_record f;
    f.resource_uid = "r";
    f.root = "/elsewhere";
    f.rel_path = "f.raw";
    f.abs_path = "/elsewhere/f.raw";
    f.file_uid = make_file_uid("r", f.root, f.rel_path);
    txn.put_file(f);
    return {};
  });
  ASSERT_FALSE(err);
  auto s = shift("r", -1);
  ASSERT_FALSE(s);
  EXPECT_NE(context_of(s.error()).find("a copy at /elsewhere, which does not end in 'data'"),
            std::string::npos)
    << context_of(s.error());
  auto d = db_->get_resource("r");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->resource.root, "/data");
}

TEST_F(catalogue_shift, refuses_a_spec_that_would_name_other_files) {
  // The template puts literal text before the path: "pre" + "a/scan/" + …, so with the
  // path split differently the files would be other ones.
  register_with_two_copies("t", "AD_TIFF", "a/scan",
                           R"({"template":"pre%s%s_%d.tif","filename":"f",)"
                           R"("frame_per_point":1,"num_points":1})");
  auto s = shift("t", 1);
  ASSERT_FALSE(s);
  EXPECT_NE(context_of(s.error()).find("would be /data/a/prescan/f_0.tif"), std::string::npos)
    << context_of(s.error());
  auto d = db_->get_resource("t");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->resource.path, "a/scan");
}

}  // namespace
}  // namespace d1
