// The deterministic fixture itself: replies and errors come back, timeouts are simulated.
#include "tests/support/actor_fixture.hpp"

#include "messages/atoms.hpp"
#include "messages/error.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace d1::test {
namespace {

using echo_actor = caf::typed_actor<caf::replies_to<get_atom, int>::with<int>>;

echo_actor::behavior_type echo(echo_actor::pointer) {
  return {[](get_atom, int x) -> caf::result<int> {
    if (x < 0)
      return make_error(ec::invalid_argument, "negative");
    return x * 2;
  }};
}

class actor_fixture_test : public actor_fixture {};

TEST_F(actor_fixture_test, returns_replies_and_errors) {
  auto a = sys_.spawn(echo);
  auto r = request<int>(a, get_atom::value, 21);
  ASSERT_TRUE(r) << sys_.render(r.error());
  EXPECT_EQ(*r, 42);
  auto e = request<int>(a, get_atom::value, -1);
  ASSERT_FALSE(e);
  EXPECT_EQ(code_of(e.error()), ec::invalid_argument);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

}  // namespace
}  // namespace d1::test
