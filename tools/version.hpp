// The version of this build of d1drive: the project's version (CMakeLists.txt) and, when it
// was built from a git checkout, the revision. The definitions are generated at build time
// (cmake/write_version.cmake), so they never drift from the source they describe.
#pragma once

#include <string>

namespace d1 {

/// The project's version, e.g. "0.1.0".
const char* version_number();

/// The git revision the build was made from, e.g. "5a852f9a1b2c" or "5a852f9a1b2c,
/// modified"; empty when not built from git.
const char* version_revision();

/// What `d1drive --version` prints: "d1drive 0.1.0 (git 5a852f9a1b2c)".
inline std::string version_line() {
  std::string line = std::string{"d1drive "} + version_number();
  if (*version_revision())
    line += std::string{" (git "} + version_revision() + ")";
  return line;
}

}  // namespace d1
