// End to end on the stand-in node with the shared KNB fixtures: what the tree shows beyond
// the bytes. Folder dates (an object's upload date, the mount time for the rest), science
// metadata beside the data it documents. Expected values come from the node's own Solr.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <ctime>
#include <string>

namespace d1::integration {
namespace {

// A package whose data object is documented by an EML document, all three with good
// checksums: resourceMap_BrianGratwicke.4.1 aggregates BrianGratwicke.4.1 (EML) and
// BrianGratwicke.3.1 (data, isDocumentedBy BrianGratwicke.4.1).
const std::string package_pid = "resourceMap_BrianGratwicke.4.1";
const std::string data_pid = "BrianGratwicke.3.1";
const std::string eml_pid = "BrianGratwicke.4.1";

class tree_test : public mount_suite<tree_test> {
public:
  static mount_options options() {
    mount_options options;
    options.config = "[network]\ntimeout_ms = 5000\nmax_retries = 1\n";
    options.needs_fixtures = true;
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

}  // namespace
}  // namespace d1::integration
