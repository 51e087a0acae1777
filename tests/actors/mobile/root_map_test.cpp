// root_map: longest match by components, validation of the config's entries, and the
// file_system that opens recorded roots at their local place (a real symlinked temp dir).
#include "actors/mobile/root_map.hpp"

#include "actors/mobile/beneath.hpp"
#include "messages/error.hpp"
#include "tests/storage/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

namespace d1 {
namespace {

root_map map_of(const std::map<std::string, std::string>& entries) {
  auto m = root_map::make(entries);
  EXPECT_TRUE(m) << describe(m.error());
  return m ? *m : root_map{};
}

TEST(root_map, maps_the_longest_recorded_root_by_components) {
  auto m = map_of({{"/nsls2/data", "/mnt/gpfs/data"}, {"/nsls2/data/fast", "/fast"}});
  EXPECT_EQ(m.local("/nsls2/data"), "/mnt/gpfs/data");
  EXPECT_EQ(m.local("/nsls2/data/x/y"), "/mnt/gpfs/data/x/y");
  EXPECT_EQ(m.local("/nsls2/data/fast"), "/fast");
  EXPECT_EQ(m.local("/nsls2/data/fast/scan"), "/fast/scan");
  EXPECT_EQ(m.local("/nsls2/data/faster"), "/mnt/gpfs/data/faster");
  // A string prefix is not a component prefix.
  EXPECT_EQ(m.local("/nsls2/database"), "/nsls2/database");
  EXPECT_EQ(m.local("/nsls2"), "/nsls2");
  EXPECT_EQ(m.local("/other"), "/other");
}

TEST(root_map, data_does_not_map_database) {
  auto m = map_of({{"/data", "/mnt/data"}});
  EXPECT_EQ(m.local("/database/x"), "/database/x");
  EXPECT_EQ(m.local("/data/base/x"), "/mnt/data/base/x");
}

TEST(root_map, the_filesystem_root_and_an_empty_map) {
  auto m = map_of({{"/", "/chroot"}});
  EXPECT_EQ(m.local("/"), "/chroot");
  EXPECT_EQ(m.local("/a/b"), "/chroot/a/b");
  root_map none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.local("/a"), "/a");
  auto to_root = map_of({{"/a", "/"}});
  EXPECT_EQ(to_root.local("/a/b"), "/b");
}

TEST(root_map, refuses_relative_unnormalised_and_duplicate_places) {
  auto bad = [](const std::map<std::string, std::string>& entries) {
    auto m = root_map::make(entries);
    EXPECT_FALSE(m);
    return m ? std::string{} : context_of(m.error());
  };
  EXPECT_NE(bad({{"data", "/mnt"}}).find("\"data\": the recorded root 'data' is not an absolute"),
            std::string::npos);
  EXPECT_NE(bad({{"/data/", "/mnt"}}).find("(write '/data')"), std::string::npos);
  EXPECT_NE(bad({{"/data", "/mnt/./x"}}).find("the local place '/mnt/./x'"), std::string::npos);
  EXPECT_NE(bad({{"/data", "/mnt/../x"}}).find("not an absolute normalised path"),
            std::string::npos);
  EXPECT_NE(bad({{"/data", "mnt"}}).find("local place 'mnt'"), std::string::npos);
  EXPECT_NE(bad({{"/a", "/mnt"}, {"/b", "/mnt"}}).find("local place of another recorded root"),
            std::string::npos);
  EXPECT_EQ(code_of(root_map::make({{"", "/x"}}).error()), ec::invalid_argument);
}

TEST(root_map, a_mapped_file_system_opens_recorded_roots_at_their_local_place) {
  test::temp_dir dir;
  auto real = dir / "real";
  auto mount = dir / "mount";  // the same storage "mounted" at a second place
  ASSERT_EQ(::mkdir(real.c_str(), 0755), 0);
  ASSERT_EQ(::symlink(real.c_str(), mount.c_str()), 0);
  std::ofstream{real + "/f"} << "bytes";
  auto recorded = dir / "elsewhere/data";  // as another host recorded it: not here
  auto fs = map_roots(make_posix_file_system(), map_of({{recorded, mount}}));
  int fd = fs->open_root(recorded);
  ASSERT_GE(fd, 0) << std::strerror(-fd);
  file_stat st;
  EXPECT_EQ(fs->stat_at(fd, "f", st), 0);
  EXPECT_EQ(st.size, 5u);
  fs->close(fd);
  EXPECT_EQ(fs->local_path(join_path(recorded, "f")), mount + "/f");
  // make_root makes the local place, never the recorded one.
  ASSERT_EQ(fs->make_root(join_path(recorded, "new/dir")), 0);
  EXPECT_EQ(::access((real + "/new/dir").c_str(), F_OK), 0);
  EXPECT_NE(::access(recorded.c_str(), F_OK), 0);
  // Unmapped roots are opened as they are.
  int plain = fs->open_root(real);
  EXPECT_GE(plain, 0);
  fs->close(plain);
  EXPECT_LT(fs->open_root(dir / "elsewhere"), 0);
}

}  // namespace
}  // namespace d1
