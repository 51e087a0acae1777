// End to end: a real d1drive mount of the stand-in node, used with ls, stat, cat, sha1sum,
// md5sum and find. Expected values come from the fixtures and the node, never from the
// product's code.
#include "tests/integration/harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <algorithm>
#include <regex>
#include <set>

namespace d1::integration {
namespace {

struct knb_object {
  std::string pid;
  std::string data_path;
  uint64_t size = 0;            // from the bytes
  std::string sysmeta_md5;      // from the system metadata
  std::string sysmeta_format;
};

std::string match1(const std::string& text, const std::string& re) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(re)))
    return m[1];
  return {};
}

std::vector<knb_object> knb_objects() {
  std::vector<knb_object> out;
  auto dir = fixtures_dir();
  if (dir.empty())
    return out;
  auto data = dir + "/knb/data";
  if (auto d = opendir(data.c_str())) {
    while (auto e = readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..")
        continue;
      if (name.rfind("resourceMap_", 0) == 0)
        continue;  // packages: folders of their members (tests/integration/package_test.cpp)
      auto meta = read_file(dir + "/knb/sysmeta/" + name);
      if (meta.empty())
        continue;
      knb_object obj;
      obj.pid = name;
      obj.data_path = data + "/" + name;
      obj.size = read_file(obj.data_path).size();
      obj.sysmeta_md5 = match1(meta, "algorithm=\"MD5\">([0-9a-fA-F]+)<");
      obj.sysmeta_format = match1(meta, "<formatId>([^<]+)</formatId>");
      out.push_back(obj);
    }
    closedir(d);
  }
  return out;
}

class mount_test : public mount_suite<mount_test> {
public:
  static mount_options options() {
    return {{},
            "[network]\ntimeout_ms = 3000\nmax_retries = 1\n"
            "[cache.ttl]\ntransient = 1\nerror = 1\n"};
  }

protected:
  static std::vector<std::string> ls(const std::string& path) {
    return integration::ls(path, 30);
  }

  // The metadata documents of `pid` (isDocumentedBy in the node's index).
  static std::vector<std::string> documents_of(const std::string& pid) {
    std::string phrase;
    for (char c : pid)
      phrase += (c == '"' || c == '\\') ? std::string{'\\', c} : std::string{c};
    auto j = node_select(*node_, fq_params({"id:\"" + phrase + "\""}) + "&fl=isDocumentedBy");
    std::vector<std::string> out;
    if (j.is_null() || j.is_discarded() || j["response"]["docs"].empty())
      return out;
    for (auto& d : j["response"]["docs"][0].value("isDocumentedBy", nlohmann::json::array()))
      out.push_back(d.get<std::string>());
    return out;
  }

  // The object's bytes in its folder: not system.xml, search_fields.txt or a document
  // beside it (named as in the document's own folder).
  static std::string data_file(const std::string& pid) {
    std::set<std::string> other{"system.xml", "search_fields.txt"};
    for (auto& doc : documents_of(pid)) {
      auto path = data_file(doc);
      other.insert(path.substr(path.rfind('/') + 1));
    }
    for (auto& e : ls(object_dir(pid)))
      if (!other.count(e))
        return object_dir(pid) + "/" + e;
    return {};
  }
};

TEST_F(mount_test, integration_root_lists_flat_space) {
  auto entries = ls(mnt());
  // Other top-level folders (FacetedSearch, Status, …) have their own tests.
  EXPECT_NE(std::find(entries.begin(), entries.end(), "FlatSpace"), entries.end());
  auto r = sh("stat -f -c %T " + quote(mnt()) + "; grep ' " + mnt() + " ' /proc/self/mounts");
  EXPECT_NE(r.out.find("fuse.d1drive"), std::string::npos) << r.out;
}

TEST_F(mount_test, integration_knb_objects_list_read_and_verify) {
  auto objects = knb_objects();
  if (objects.empty())
    GTEST_SKIP() << "shared fixtures absent";
  for (auto& obj : objects) {
    SCOPED_TRACE(obj.pid);
    auto entries = ls(object_dir(obj.pid));
    ASSERT_EQ(entries.size(), 3u + documents_of(obj.pid).size());
    std::set<std::string> names(entries.begin(), entries.end());
    EXPECT_TRUE(names.count("system.xml"));
    EXPECT_TRUE(names.count("search_fields.txt"));
    auto data = data_file(obj.pid);
    ASSERT_FALSE(data.empty());
    if (obj.sysmeta_format == "text/csv") {
      EXPECT_EQ(data.substr(data.size() - 4), ".csv") << data;
    }
    // system.xml is the node's system metadata, byte for byte.
    auto sysxml = sh("cat " + quote(object_dir(obj.pid) + "/system.xml"));
    EXPECT_EQ(sysxml.out, read_file(fixtures_dir() + "/knb/sysmeta/" + obj.pid));
    auto fields = sh("cat " + quote(object_dir(obj.pid) + "/search_fields.txt"));
    EXPECT_NE(fields.out.find("id: " + obj.pid + "\n"), std::string::npos) << fields.out;
    auto actual_md5 = first_word(sh("md5sum " + quote(obj.data_path)).out);
    auto mounted = sh("md5sum " + quote(data), 120);
    if (actual_md5 == obj.sysmeta_md5) {
      EXPECT_EQ(mounted.status, 0) << mounted.err;
      EXPECT_EQ(first_word(mounted.out), actual_md5);
      auto sha = sh("sha1sum " + quote(data), 120);
      EXPECT_EQ(first_word(sha.out), first_word(sh("sha1sum " + quote(obj.data_path)).out));
      auto size = sh("stat -c %s " + quote(data));
      EXPECT_EQ(std::stoull(size.out), obj.size);
      auto copy = dir_->path() + "/copy";
      EXPECT_EQ(sh("cp " + quote(data) + " " + quote(copy) + " && cmp " + quote(copy) + " "
                   + quote(obj.data_path), 120).status, 0);
    } else {
      // The real defect (Blandy.76.2 and others): bytes never served, EIO, logged.
      EXPECT_NE(mounted.status, 0);
      EXPECT_NE(mounted.err.find("Input/output error"), std::string::npos) << mounted.err;
      EXPECT_EQ(mounted.out, "");
      EXPECT_NE(drive_->log().find(obj.pid), std::string::npos);
    }
  }
}

TEST_F(mount_test, integration_tricky_identifiers_reachable_and_readable) {
  auto dir = fixtures_dir();
  if (dir.empty())
    GTEST_SKIP() << "shared fixtures absent";
  auto doc = nlohmann::json::parse(read_file(dir + "/cn/tricky_identifiers.json"));
  std::set<std::string> pids;
  for (auto& e : doc)
    pids.insert(e["unescaped"].get<std::string>());
  ASSERT_GE(pids.size(), 30u);
  for (auto& pid : pids) {
    SCOPED_TRACE(pid);
    auto entries = ls(object_dir(pid));
    ASSERT_EQ(entries.size(), 3u) << object_dir(pid);
    auto data = data_file(pid);
    auto mounted = sh("sha1sum < " + quote(data));  // stdin: no escaping of odd names
    ASSERT_EQ(mounted.status, 0) << mounted.err;
    // The node's own bytes, fetched over HTTP independently of the product.
    auto reference = sh("python3 -c " + quote("import sys,urllib.parse,urllib.request,hashlib;"
                                             "u=sys.argv[1]+'/v2/object/'+urllib.parse.quote(sys.argv[2],safe='');"
                                             "print(hashlib.sha1(urllib.request.urlopen(u).read()).hexdigest())")
                        + " " + quote(node_->mn_url()) + " " + quote(pid));
    EXPECT_EQ(first_word(mounted.out), first_word(reference.out)) << reference.err;
  }
}

TEST_F(mount_test, integration_find_terminates) {
  auto objects = knb_objects();
  std::string pid = objects.empty() ? std::string{"urn:uuid:none"} : objects.front().pid;
  auto r = sh("find " + quote(object_dir(pid)), 30);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 4);  // the folder + 3 files
}

TEST_F(mount_test, integration_unknown_pid_is_an_error_folder) {
  auto path = object_dir("no-such-object-" + std::to_string(::getpid()));
  auto entries = ls(path);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0].find("Not found"), std::string::npos) << entries[0];
  auto details = sh("cat " + quote(path + "/" + entries[0]));
  EXPECT_EQ(details.status, 0);
  EXPECT_NE(details.out.find("not_found"), std::string::npos) << details.out;
  EXPECT_EQ(sh("test -d " + quote(path)).status, 0);
}

TEST_F(mount_test, integration_malformed_segment_is_an_error_folder) {
  auto entries = ls(mnt() + "/FlatSpace/bad%zzescape");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0].find("Invalid path"), std::string::npos) << entries[0];
}

TEST_F(mount_test, integration_probe_names_cost_no_request) {
  auto before = node_->request_count();
  for (auto name : {".DS_Store", "._foo", ".Trash-0", "desktop.ini", "autorun.inf", ".hidden",
                    ".xdg-volume-info"}) {
    auto r = sh("stat " + quote(mnt() + "/FlatSpace/" + name));
    EXPECT_NE(r.status, 0) << name;
    EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
  }
  EXPECT_EQ(node_->request_count(), before);
}

TEST_F(mount_test, integration_writes_are_refused_read_only) {
  auto objects = knb_objects();
  std::string pid = objects.empty() ? std::string{"cbfs.38.9"} : objects.front().pid;
  auto sysxml = object_dir(pid) + "/system.xml";
  for (auto cmd : {"touch " + quote(mnt() + "/new"), "mkdir " + quote(mnt() + "/newdir"),
                   "echo x > " + quote(mnt() + "/newfile"), "echo x >> " + quote(sysxml),
                   "rm -f " + quote(sysxml), "touch " + quote(object_dir(pid) + "/extra"),
                   "mv " + quote(sysxml) + " " + quote(object_dir(pid) + "/moved")}) {
    auto r = sh(cmd);
    EXPECT_NE(r.status, 0) << cmd;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << cmd << ": " << r.err;
  }
  // In FlatSpace every name is an object folder or an error folder: creating one fails
  // because it already "exists"; nothing is ever written.
  auto r = sh("mkdir " + quote(mnt() + "/FlatSpace/newdir"));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(sh("cat " + quote(sysxml)).out, read_file(fixtures_dir() + "/knb/sysmeta/" + pid));
}

TEST_F(mount_test, integration_node_faults_become_error_folders_without_hanging) {
  struct fault_case {
    std::string json;
    std::string expect;
  };
  std::vector<fault_case> cases{
    {R"({"match": "/cn/v2/meta/", "kind": "status", "status": 500})", "Node error"},
    {R"({"match": "/cn/v2/meta/", "kind": "garbage"})", "Garbage from node"},
    {R"({"match": "/cn/v2/meta/", "kind": "reset"})", "Node unreachable"},
    {R"({"match": "/cn/v2/meta/", "kind": "delay", "delay_ms": 8000})", "Timed out"},
  };
  int n = 0;
  for (auto& c : cases) {
    SCOPED_TRACE(c.json);
    node_->add_fault(c.json);
    auto path = object_dir("fault-case-" + std::to_string(n++) + "-" + std::to_string(getpid()));
    auto start = std::chrono::steady_clock::now();
    auto entries = ls(path);
    auto took = std::chrono::steady_clock::now() - start;
    // The configured timeout is 3 s: an answer well within 3 × that, never a hang.
    EXPECT_LT(took, std::chrono::seconds(9));
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_NE(entries[0].find(c.expect), std::string::npos) << entries[0];
    // Other paths keep working meanwhile.
    EXPECT_FALSE(ls(mnt()).empty());
    node_->clear_faults();
  }
}

TEST_F(mount_test, integration_node_down_keeps_mount_responsive) {
  // Stopping the node for good would break the other tests: use a second node and mount.
  temp_dir dir;
  test_node node{dir.path()};
  ASSERT_TRUE(node.running());
  mounted_drive drive{dir.path(), node.cn_url(), dir.path() + "/state",
                      "[network]\ntimeout_ms = 2000\n"};
  ASSERT_TRUE(drive.live()) << drive.mount_output();
  node.stop();
  auto start = std::chrono::steady_clock::now();
  auto r = sh("ls -A1 " + quote(drive.mountpoint() + "/FlatSpace/some-pid"), 20);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Node unreachable"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace d1::integration
