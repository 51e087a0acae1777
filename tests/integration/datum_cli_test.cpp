// Datums from the command line against a real daemon: an areaDetector TIFF scan registered
// as the filestore registers it (no num_points), its datums registered, listed, hashed and
// shown, the resource copied (only its datums' frames) and verified at level datum after a
// value changed in place. Frames are written with libtiff; the expected hashes come from
// numpy/tifffile (tests/actors/mobile/datum_reference.py). AD_HDF5 files beside a crashing
// HDF5 reader: that file's datums fail naming it, the others are hashed, the daemon goes on.
#include "tests/actors/mobile/datum_fixtures.hpp"
#include "tests/integration/cli_fixture.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdio>

namespace d1::integration {
namespace {

using json = nlohmann::json;

class datum_cli_test : public cli_fixture {
protected:
  std::string frame(const std::string& root, uint32_t f) const {
    char name[32];
    std::snprintf(name, sizeof name, "/scan/img_%4.4u.tif", f);
    return root + name;
  }

  // Five frames in r1/scan; registered without num_points; returns the resource uid.
  std::string register_scan() {
    if (!test::write_tiff_stack(r1_ + "/scan", "img", stack_))
      return {};
    auto j = cli_json("resource register --spec AD_TIFF --root " + quote(r1_)
                      + " --path scan --kwargs "
                      + quote(R"({"template": "%s%s_%4.4d.tif", "filename": "img", )"
                              R"("frame_per_point": 2})")
                      + " --wait");
    EXPECT_TRUE(j.value("ok", false)) << j.dump(2);
    return j["result"].value("resource_uid", "");
  }

  test::stack<uint16_t> stack_ = test::sample_u16_stack(5, 16, 24);
};

TEST_F(datum_cli_test, integration_register_list_hash_show_copy_and_verify_datums) {
  auto uid = register_scan();
  ASSERT_FALSE(uid.empty());
  // Points 0 and 1: their four frames become the resource's files and are hashed.
  auto points = cli("datum register " + uid + " --points 2 --wait");
  ASSERT_EQ(points.status, 0) << points.out << points.err;
  EXPECT_NE(points.out.find(uid + "/0\n" + uid + "/1\n"), std::string::npos) << points.out;
  auto one = cli("datum register " + uid + " --kwargs '{\"point_number\": 1}' --uid again-1");
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_EQ(one.out, "again-1\n");
  auto where = cli_json("resource show " + uid);
  ASSERT_TRUE(where.value("ok", false)) << where.dump(2);
  EXPECT_EQ(where["result"]["rel_paths"].size(), 4u) << where.dump(2);

  auto listed = cli_json("datum list " + uid);
  ASSERT_TRUE(listed.value("ok", false)) << listed.dump(2);
  auto& datums = listed["result"]["datums"];
  ASSERT_EQ(datums.size(), 3u) << listed.dump(2);
  EXPECT_EQ(datums[0].value("datum_id", ""), uid + "/0");
  EXPECT_EQ(datums[2]["kwargs"], json({{"point_number", 1}}));
  EXPECT_TRUE(datums[0]["hash"].is_null()) << "not hashed yet";

  auto hashed = cli("datum hash " + uid + " --wait");
  ASSERT_EQ(hashed.status, 0) << hashed.out << hashed.err;
  auto ref = test::reference({"tiff", frame(r1_, 0), frame(r1_, 1)});
  auto shown = cli_json("datum show " + uid + "/0");
  ASSERT_TRUE(shown.value("ok", false)) << shown.dump(2);
  auto& d = shown["result"]["datum"];
  EXPECT_EQ(d.value("hash", ""), ref.value("sha1", "?"));
  EXPECT_EQ(d.value("dtype", ""), "<u2");
  EXPECT_EQ(d["shape"], json({2, 16, 24}));
  ASSERT_TRUE(d["stats"]["min"].is_number()) << d.dump(2);
  EXPECT_EQ(d["stats"]["min"].get<double>(), ref.value("min", -1.0));
  EXPECT_EQ(d["stats"]["max"].get<double>(), ref.value("max", -1.0));
  EXPECT_NEAR(d["stats"]["mean"].get<double>(), ref.value("mean", -1.0), 1e-9);
  EXPECT_EQ(d["stats"]["histogram"], ref["histogram"]);
  EXPECT_EQ(shown["result"]["resource"].value("uid", ""), uid);
  auto text = cli("datum show " + uid + "/0");
  EXPECT_EQ(text.status, 0) << text.err;
  for (auto* word : {"of resource", "<u2", "(2, 16, 24)", "histogram", "SHA-1"})
    EXPECT_NE(text.out.find(word), std::string::npos) << word << " in\n" << text.out;
  EXPECT_NE(text.out.find(uid), std::string::npos) << text.out;
  auto list_text = cli("datum list " + uid);
  EXPECT_NE(list_text.out.find(ref.value("sha1", "?")), std::string::npos) << list_text.out;

  // The copy takes only the datums' frames (frame 4 is no datum's), and checks their
  // values at the destination.
  auto copy = cli("resource copy " + uid + " --to " + quote(r2_) + " --verify datum --wait");
  ASSERT_EQ(copy.status, 0) << copy.out << copy.err;
  EXPECT_TRUE(same(frame(r1_, 3), frame(r2_, 3)));
  EXPECT_FALSE(exists(frame(r2_, 4)));
  auto clean = cli("resource verify " + uid + " --level datum --root " + quote(r2_) + " --wait");
  EXPECT_EQ(clean.status, 0) << clean.out << clean.err;

  // One value of frame 3 on r2 changed; the file keeps its size.
  auto changed = stack_;
  changed.values[3 * 16 * 24 + 5] += 1;
  auto size_before = sh("stat -c %s " + quote(frame(r2_, 3))).out;
  ASSERT_TRUE(test::write_tiff_frame(frame(r2_, 3), changed, 3));
  EXPECT_EQ(sh("stat -c %s " + quote(frame(r2_, 3))).out, size_before);
  auto found = cli("resource verify " + uid + " --level datum --root " + quote(r2_) + " --wait");
  EXPECT_EQ(found.status, 5) << found.out << found.err;
  EXPECT_NE(found.out.find("MISMATCH datum " + uid + "/1"), std::string::npos) << found.out;
  EXPECT_NE(found.out.find("scan/img_0003.tif"), std::string::npos) << found.out;
  auto j = cli_json("resource verify " + uid + " --level datum --root " + quote(r2_) + " --wait");
  EXPECT_EQ(j["error"].value("code", ""), "verification_mismatch") << j.dump(2);
  EXPECT_EQ(j["result"].value("mismatches", 0), 2) << j.dump(2);  // s/1 and again-1
  auto r1_ok = cli("resource verify " + uid + " --level datum --root " + quote(r1_) + " --wait");
  EXPECT_EQ(r1_ok.status, 0) << r1_ok.out << r1_ok.err;

  auto journal = cli_json("journal");
  std::string commands;
  for (auto& e : journal["result"]["journal"])
    commands += e.value("command", "") + " ";
  EXPECT_NE(commands.find("datum_register"), std::string::npos) << commands;
  EXPECT_NE(commands.find("datum_hash"), std::string::npos) << commands;
  auto check = cli("catalogue check");
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

TEST_F(datum_cli_test, integration_datum_errors_are_clear_and_change_nothing) {
  auto uid = register_scan();
  ASSERT_FALSE(uid.empty());
  auto wrong_key = cli("datum register " + uid + " --kwargs '{\"frame_no\": 1}'");
  EXPECT_EQ(wrong_key.status, 2) << wrong_key.out << wrong_key.err;
  EXPECT_NE(wrong_key.err.find("frame_no"), std::string::npos) << wrong_key.err;
  auto not_json = cli("datum register " + uid + " --kwargs 'point_number=1'");
  EXPECT_EQ(not_json.status, 2) << not_json.err;
  auto both = cli("datum register " + uid + " --points 2 --uid x");
  EXPECT_EQ(both.status, 2) << both.err;
  auto unknown = cli("datum register no-such-resource --points 1");
  EXPECT_EQ(unknown.status, 1) << unknown.err;
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
  auto no_datum = cli("datum show no-such-datum");
  EXPECT_EQ(no_datum.status, 1) << no_datum.err;
  auto nothing = cli_json("datum list " + uid);
  EXPECT_TRUE(nothing["result"]["datums"].empty()) << nothing.dump(2);
  // Nothing to hash or to verify yet: refused with what to do.
  auto hash = cli("datum hash " + uid + " --wait");
  EXPECT_EQ(hash.status, 2) << hash.out << hash.err;
  EXPECT_NE(hash.err.find("datum register"), std::string::npos) << hash.err;
  auto verify = cli("resource verify " + uid + " --level datum --wait");
  EXPECT_EQ(verify.status, 2) << verify.out << verify.err;
}

// The daemon with the test build of its HDF5 reader, which raises SIGSEGV on a file that
// starts "D1-FAULT segv" (a stand-in for an input that crashes libhdf5; none is at hand).
class hdf5_reader_cli_test : public datum_cli_test {
protected:
  command_result start_daemon() override {
    return sh("D1DRIVE_HDF5_READER=" + quote(binary_dir() + "/d1drive-hdf5-reader-faults") + " "
                + d1drive() + " serve --daemon --state-dir " + quote(state_) + " --config "
                + quote(config_),
              30);
  }

  // r1/NAME registered as AD_HDF5 (2 frames a point) with two datums; returns its uid.
  std::string register_hdf5(const std::string& name) {
    auto j = cli_json("resource register --spec AD_HDF5 --root " + quote(r1_) + " --path "
                      + quote(name) + " --kwargs '{\"frame_per_point\": 2}' --wait");
    EXPECT_TRUE(j.value("ok", false)) << j.dump(2);
    auto uid = j["result"].value("resource_uid", "");
    auto points = cli("datum register " + uid + " --points 2 --wait");
    EXPECT_EQ(points.status, 0) << points.out << points.err;
    return uid;
  }
};

TEST_F(hdf5_reader_cli_test, integration_a_crash_in_libhdf5_fails_that_file_and_the_daemon_goes_on) {
  test::hdf5_options gzip{true, 4};
  ASSERT_TRUE(test::write_hdf5_stack(r1_ + "/a.h5", stack_));
  ASSERT_TRUE(test::write_hdf5_stack(r1_ + "/c.h5", stack_, gzip));
  ASSERT_EQ(sh("printf 'D1-FAULT segv' > " + quote(r1_ + "/b.h5") + " && head -c 5000 "
               "/dev/urandom >> " + quote(r1_ + "/b.h5") + " && head -c 3000 " + quote(r1_ + "/a.h5")
               + " > " + quote(r1_ + "/cut.h5"))
              .status,
            0);
  std::vector<std::string> uids;
  for (auto* name : {"a.h5", "b.h5", "cut.h5", "c.h5"})
    uids.push_back(register_hdf5(name));
  auto ref = test::reference({"hdf5", r1_ + "/a.h5", "0", "2"});
  for (size_t i = 0; i < uids.size(); ++i) {
    SCOPED_TRACE(uids[i]);
    auto hashed = cli("datum hash " + uids[i] + " --wait");
    auto shown = cli_json("datum show " + uids[i] + "/0");
    if (i == 1 || i == 2) {
      EXPECT_NE(hashed.status, 0) << hashed.out << hashed.err;
      auto words = i == 1 ? "libhdf5 crashed reading " + r1_ + "/b.h5 (signal 11"
                          : r1_ + "/cut.h5";
      EXPECT_NE((hashed.out + hashed.err).find(words), std::string::npos)
        << hashed.out << hashed.err;
      EXPECT_TRUE(shown["result"]["datum"]["hash"].is_null()) << shown.dump(2);
      continue;
    }
    EXPECT_EQ(hashed.status, 0) << hashed.out << hashed.err;
    EXPECT_EQ(shown["result"]["datum"].value("hash", ""), ref.value("sha1", "?"))
      << shown.dump(2);
  }
  auto status = cli("status");
  EXPECT_EQ(status.status, 0) << status.out << status.err;
}

}  // namespace
}  // namespace d1::integration
