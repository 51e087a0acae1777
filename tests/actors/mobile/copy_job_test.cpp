// Copies through the job manager to a destination that is one of the resource's copies
// under another name (a symlink, a bind mount): refused at submission, nothing written,
// never counted as a second copy.
#include "tests/actors/mobile/job_fixture.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>

namespace d1 {
namespace {

namespace fs = std::filesystem;

class copy_job_test : public test::job_fixture {
protected:
  caf::expected<job_ticket> copy_to(const std::string& dst) {
    auto copy = req(job_kind::copy, "t");
    copy.dst_root = dst;
    return request<job_ticket>(jm_, submit_atom::value, copy);
  }

  size_t copies() {
    auto d = db_->get_resource("t");
    return d ? copies_of(*d, host_preferences{}).size() : 0;
  }
};

TEST_F(copy_job_test, a_symlink_to_the_source_root_is_refused) {
  register_tiff();
  std::string alias = dir_ / "alias";
  fs::create_directory_symlink(a_, alias);
  auto t = copy_to(alias);
  ASSERT_FALSE(t);
  EXPECT_EQ(code_of(t.error()), ec::refused) << sys_.render(t.error());
  EXPECT_NE(context_of(t.error()).find("same directory"), std::string::npos);
  EXPECT_EQ(copies(), 1u);
  // A symlink anywhere above the root is the same directory too.
  std::string parent_alias = dir_ / "up";
  fs::create_directory_symlink(dir_.path(), parent_alias);
  t = copy_to(parent_alias + "/a");
  ASSERT_FALSE(t);
  EXPECT_EQ(code_of(t.error()), ec::refused);
  EXPECT_EQ(copies(), 1u);
}

TEST_F(copy_job_test, a_bind_mount_of_the_source_root_is_refused) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "needs root to bind-mount";
  register_tiff();
  std::string bind = dir_ / "bind";
  fs::create_directories(bind);
  ASSERT_EQ(::mount(a_.c_str(), bind.c_str(), nullptr, MS_BIND, nullptr), 0)
    << std::strerror(errno);
  auto t = copy_to(bind);
  ::umount2(bind.c_str(), MNT_DETACH);
  ASSERT_FALSE(t);
  EXPECT_EQ(code_of(t.error()), ec::refused);
  EXPECT_EQ(copies(), 1u);
}

TEST_F(copy_job_test, another_copy_under_another_name_is_refused_too) {
  register_tiff();
  auto t = copy_to(b_);
  ASSERT_TRUE(t);
  ASSERT_EQ(wait(t->job_id).state, job_state::done);
  std::string alias = dir_ / "b-alias";
  fs::create_directory_symlink(b_, alias);
  auto again = copy_to(alias);
  ASSERT_FALSE(again);
  EXPECT_EQ(code_of(again.error()), ec::refused);
  // b is this host's preferred copy, so it is the source here: named either way.
  EXPECT_NE(context_of(again.error()).find("same directory as the source " + b_),
            std::string::npos)
    << context_of(again.error());
  auto from_a = req(job_kind::copy, "t");
  from_a.src_root = a_;
  from_a.dst_root = alias;
  auto refused = request<job_ticket>(jm_, submit_atom::value, from_a);
  ASSERT_FALSE(refused);
  EXPECT_NE(context_of(refused.error()).find("the copy at " + b_), std::string::npos)
    << context_of(refused.error());
  EXPECT_EQ(copies(), 2u);
}

}  // namespace
}  // namespace d1
