// The one test file compiled with the checkout's absolute directories (see test_paths.hpp).
#include "tests/support/test_paths.hpp"

namespace d1::test {

std::string source_dir() {
  return D1_SOURCE_DIR;
}

std::string binary_dir() {
  return D1_BINARY_DIR;
}

std::string shared_fixtures() {
  return source_dir() + "/../shared/fixtures/dataone";
}

} // namespace d1::test
