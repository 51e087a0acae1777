// End to end on the stand-in node with the shared KNB fixtures: what the tree shows beyond
// the bytes. Folder dates (an object's upload date, the mount time for the rest), science
// metadata beside the data it documents. Expected values come from the node's own Solr.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <string>

namespace d1::integration {
namespace {

// A package whose data object is documented by an EML document, all three with good
// checksums: resourceMap_BrianGratwicke.4.1 aggregates BrianGratwicke.4.1 (EML) and
// BrianGratwicke.3.1 (data, isDocumentedBy BrianGratwicke.4.1).
const std::string package_pid = "resourceMap_BrianGratwicke.4.1";
const std::string data_pid = "BrianGratwicke.3.1";
const std::string eml_pid = "BrianGratwicke.4.1";

// The node serves a temp dir of symlinks to the shared fixtures, with one change: the
// shared EML BrianGratwicke.4.1 is one byte shorter than its real system metadata says
// (7880 bytes, not 7881: a defect of the stored copy, like Blandy.76.2's), so its system
// metadata is served with the size and MD5 of the stored bytes, as KNB would for them.
class tree_test : public mount_suite<tree_test> {
public:
  static mount_options options() {
    mount_options options;
    options.config = "[network]\ntimeout_ms = 5000\nmax_retries = 1\n";
    options.needs_fixtures = true;
    options.prepare = [](const std::string& work_dir) {
      auto fx = work_dir + "/fixtures";
      auto knb = fixtures_dir() + "/knb";
      auto eml = knb + "/data/" + eml_pid;
      sh("mkdir -p " + quote(fx + "/knb/sysmeta") + " && ln -s " + quote(fixtures_dir())
         + "/cn " + quote(fixtures_dir()) + "/resource_maps " + quote(fx) + " && ln -s "
         + quote(knb + "/data") + " " + quote(knb + "/eml_knb-lter-nin.19.1.xml") + " "
         + quote(fx + "/knb/") + " && ln -s " + quote(knb) + "/sysmeta/* "
         + quote(fx + "/knb/sysmeta/") + " && rm " + quote(fx + "/knb/sysmeta/" + eml_pid)
         + " && sed -e \"s|<size>[0-9]*</size>|<size>$(stat -c %s " + quote(eml)
         + ")</size>|\" -e \"s|>[0-9a-f]\\{32\\}</checksum>|>$(md5sum < " + quote(eml)
         + " | cut -c1-32)</checksum>|\" " + quote(knb + "/sysmeta/" + eml_pid) + " > "
         + quote(fx + "/knb/sysmeta/" + eml_pid));
      return std::vector<std::string>{"--fixtures", fx};
    };
    return options;
  }

protected:
  // One field of the node's Solr record of `pid` (the first value of a multi-valued one).
  static std::string node_field(const std::string& pid, const std::string& field) {
    auto j = node_select(*node_, "q=id:" + pid + "&fl=" + field);
    if (j.is_discarded() || j.is_null() || j["response"]["docs"].empty())
      return {};
    auto& v = j["response"]["docs"][0][field];
    if (v.is_array())
      return v.empty() ? std::string{} : v[0].get<std::string>();
    return v.is_string() ? v.get<std::string>() : std::string{};
  }

  // Seconds since the epoch of an ISO 8601 time, as date(1) reads it.
  static long epoch_of(const std::string& iso) {
    auto r = sh("date -u -d " + quote(iso) + " +%s");
    return r.status == 0 ? std::stol(r.out) : -1;
  }

  // The mtime of `path` in seconds (stat -c %Y), -1 if stat fails.
  static long mtime_of(const std::string& path) {
    auto r = sh("stat -c %Y " + quote(path));
    return r.status == 0 ? std::stol(r.out) : -1;
  }

  // The mtime find(1) reports for the entry `name` directly in `dir`, -1 if absent.
  static long listed_mtime(const std::string& dir, const std::string& name) {
    auto r = sh("find " + quote(dir) + " -mindepth 1 -maxdepth 1 -printf '%f %T@\\n'", 60);
    for (auto& line : lines(r.out))
      if (line.rfind(name + " ", 0) == 0)
        return static_cast<long>(std::stod(line.substr(name.size() + 1)));
    return -1;
  }
};

TEST_F(tree_test, integration_top_folders_carry_the_mount_time) {
  long now = static_cast<long>(std::time(nullptr));
  auto top = mtime_of(mnt());
  EXPECT_GT(top, now - 3600) << "the mount's root shows no recent date";
  EXPECT_LE(top, now);
  for (auto name : {"FlatSpace", "FacetedSearch", "PreconfiguredSearch", "Status"})
    EXPECT_EQ(mtime_of(mnt() + "/" + name), top) << name;
  EXPECT_EQ(mtime_of(fs() + "/@formatType"), top) << "a search folder has no date of its own";
}

TEST_F(tree_test, integration_object_and_package_folders_carry_their_upload_dates) {
  auto data_time = epoch_of(node_field(data_pid, "dateUploaded"));
  auto package_time = epoch_of(node_field(package_pid, "dateUploaded"));
  ASSERT_GT(data_time, 0);
  ASSERT_GT(package_time, 0);
  EXPECT_EQ(mtime_of(object_dir(data_pid)), data_time);
  EXPECT_EQ(mtime_of(object_dir(package_pid)), package_time);
  // Listed by a package, by a search and by FlatSpace (after the visit above): the same.
  EXPECT_EQ(listed_mtime(object_dir(package_pid), segment_for(data_pid)), data_time);
  EXPECT_EQ(listed_mtime(fs() + "/@formatType/#DATA", segment_for(data_pid)), data_time);
  EXPECT_EQ(listed_mtime(mnt() + "/FlatSpace", segment_for(data_pid)), data_time);
  // So `find -newer` tells old objects from the mount: nothing in the package is newer.
  auto newer = sh("find " + quote(object_dir(package_pid)) + " -mindepth 1 -maxdepth 1 -newer "
                    + quote(mnt() + "/FlatSpace"),
                  60);
  EXPECT_EQ(newer.status, 0) << newer.err;
  EXPECT_EQ(newer.out, "");
}

// The name the mount gives an object's bytes in its own folder.
std::string bytes_name(const std::vector<std::string>& folder) {
  for (auto& name : folder)
    if (name != "system.xml" && name != "search_fields.txt")
      return name;
  return {};
}

TEST_F(tree_test, integration_data_folder_holds_its_eml_with_the_fixture_bytes) {
  ASSERT_EQ(node_field(data_pid, "isDocumentedBy"), eml_pid);
  auto eml_name = bytes_name(ls(object_dir(eml_pid)));
  ASSERT_FALSE(eml_name.empty());
  auto fixture = fixtures_dir() + "/knb/data/" + eml_pid;
  for (auto& folder : {object_dir(data_pid),
                       object_dir(package_pid) + "/" + segment_for(data_pid)}) {
    auto names = ls(folder);
    EXPECT_NE(std::find(names.begin(), names.end(), eml_name), names.end())
      << folder << " lacks " << eml_name;
    auto eml = folder + "/" + eml_name;
    auto size = sh("stat -c %s " + quote(eml));
    EXPECT_EQ(size.out, std::to_string(read_file(fixture).size()) + "\n");
    auto same = sh("cmp " + quote(eml) + " " + quote(fixture), 60);
    EXPECT_EQ(same.status, 0) << same.out << same.err;
  }
}

TEST_F(tree_test, integration_a_document_with_a_bad_checksum_is_listed_but_never_served) {
  // Blandy.77.1 is documented by Blandy.76.2, whose bytes do not match its system metadata.
  ASSERT_EQ(node_field("Blandy.77.1", "isDocumentedBy"), "Blandy.76.2");
  auto name = bytes_name(ls(object_dir("Blandy.76.2")));
  ASSERT_FALSE(name.empty());
  auto names = ls(object_dir("Blandy.77.1"));
  ASSERT_NE(std::find(names.begin(), names.end(), name), names.end());
  auto r = sh("cat " + quote(object_dir("Blandy.77.1") + "/" + name) + " > /dev/null", 60);
  EXPECT_NE(r.status, 0) << "unverified bytes were served";
  EXPECT_NE(r.err.find("Input/output error"), std::string::npos) << r.err;
}

TEST_F(tree_test, integration_date_fields_facet_by_year_with_range_queries) {
  // Expected: the node's own records, counted by year here.
  auto j = node_select(*node_, "q=*:*&rows=100000&fl=id,dateUploaded");
  ASSERT_FALSE(j.is_null() || j.is_discarded());
  std::map<std::string, std::set<std::string>> by_year;
  for (auto& doc : j["response"]["docs"])
    if (doc.contains("dateUploaded"))
      by_year[doc["dateUploaded"].get<std::string>().substr(0, 4)].insert(
        segment_for(doc["id"].get<std::string>()));
  ASSERT_GE(by_year.size(), 2u) << "the fixtures span one year only";
  auto years = ls(fs() + "/@dateUploaded");
  std::vector<std::string> want;
  for (auto& [year, ids] : by_year)
    want.push_back("#" + year);
  EXPECT_EQ(years, want);
  for (auto& [year, ids] : by_year) {
    auto folder = fs() + "/@dateUploaded/#" + year;
    auto size = sh("stat -c %s " + quote(folder));
    EXPECT_EQ(size.out, std::to_string(ids.size()) + "\n") << "the count of " << year;
    std::set<std::string> objects;
    for (auto& name : ls(folder))
      if (name[0] != '@')
        objects.insert(name);
    EXPECT_EQ(objects, ids) << year;
  }
  // Below a year the other facets still apply, and the year is not offered again.
  auto inner = ls(fs() + "/@dateUploaded/#" + by_year.begin()->first);
  EXPECT_EQ(std::count(inner.begin(), inner.end(), "@dateUploaded"), 0);
  EXPECT_EQ(std::count(inner.begin(), inner.end(), "@formatType"), 1);
  auto bad = ls(fs() + "/@dateUploaded/#May");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find("not a year"), std::string::npos) << bad[0];
}

// Across an unmount and a new mount on the same state dir: a shortened name (a PID over
// 255 bytes) listed by a search resolves through folders never visited before, and
// FlatSpace lists the objects visited before the restart, most recent first.
TEST(tree_restart_test, integration_shortened_names_and_recent_objects_survive_a_restart) {
  if (fixtures_dir().empty())
    GTEST_SKIP() << "shared fixtures absent";
  temp_dir dir;
  const std::string pid = "tree.restart." + std::string(300, 'x');
  auto object = dir.path() + "/object.bin";
  ASSERT_EQ(sh("head -c 100000 /dev/urandom > " + quote(object)).status, 0);
  test_node node{dir.path(), {"--object-file", object, pid}};
  ASSERT_TRUE(node.running());
  auto state = dir.path() + "/state";
  auto search = std::string{"/FacetedSearch/@formatId/#application%2Foctet-stream"};
  auto shortened = [](const std::vector<std::string>& names) {
    for (auto& n : names)
      if (n.rfind("tree.restart.", 0) == 0)
        return n;
    return std::string{};
  };
  std::string name;
  {
    mounted_drive drive{dir.path(), node.cn_url(), state};
    ASSERT_TRUE(drive.live()) << drive.mount_output();
    name = shortened(ls(drive.mountpoint() + search));
    ASSERT_FALSE(name.empty()) << "the search does not list the long PID";
    EXPECT_LE(name.size(), 255u);
    for (auto& pid_seen : {std::string{"cbfs.38.9"}, std::string{"BrianGratwicke.3.1"}}) {
      auto r = sh("stat " + quote(drive.mountpoint() + "/FlatSpace/" + pid_seen));
      ASSERT_EQ(r.status, 0) << r.err;
    }
    EXPECT_EQ(drive.unmount(), 0);
  }
  mounted_drive drive{dir.path(), node.cn_url(), state};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  auto recent = sh("ls -1U " + quote(drive.mountpoint() + "/FlatSpace"));
  EXPECT_EQ(recent.out, "BrianGratwicke.3.1\ncbfs.38.9\n");
  for (auto& folder : {drive.mountpoint() + search + "/" + name,
                       drive.mountpoint() + "/FlatSpace/" + name}) {
    auto names = ls(folder);
    std::string bytes;
    for (auto& n : names)
      if (n != "system.xml" && n != "search_fields.txt")
        bytes = n;
    ASSERT_EQ(names.size(), 3u) << folder << " is not the object's folder";
    auto same = sh("cmp " + quote(folder + "/" + bytes) + " " + quote(object), 60);
    EXPECT_EQ(same.status, 0) << same.out << same.err;
  }
}

}  // namespace
}  // namespace d1::integration
