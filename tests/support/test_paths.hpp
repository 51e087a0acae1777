// Where the tests find the source tree, the build tree and the shared DataONE fixtures.
// Only test_paths.cpp sees the absolute directories, so every other test file compiles the
// same in any checkout (and ccache shares it between checkouts).
#pragma once

#include <string>

namespace d1::test {

std::string source_dir();
std::string binary_dir();
// ../shared/fixtures/dataone beside the source tree (read in place, never copied).
std::string shared_fixtures();

} // namespace d1::test
