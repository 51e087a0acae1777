// Per-class timeouts and the mount options that override them.
#include "fuse/kernel_timeouts.hpp"

#include "messages/error.hpp"

#include <cmath>
#include <cstdlib>
#include <string_view>

namespace d1 {

namespace {

bool parse_seconds(std::string_view text, double& out) {
  std::string copy{text};
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value)
      || value < 0)
    return false;
  out = value;
  return true;
}

}  // namespace

caf::expected<std::string> take_timeout_options(const std::vector<std::string>& options,
                                                kernel_timeouts& timeouts) {
  std::string rest;
  for (const auto& list : options) {
    size_t start = 0;
    while (start <= list.size()) {
      auto comma = list.find(',', start);
      if (comma == std::string::npos)
        comma = list.size();
      std::string_view opt{list.data() + start, comma - start};
      start = comma + 1;
      if (opt.empty())
        continue;
      auto eq = opt.find('=');
      auto key = opt.substr(0, eq);
      if (eq != std::string_view::npos
          && (key == "entry_timeout" || key == "attr_timeout" || key == "negative_timeout")) {
        double seconds = 0;
        if (!parse_seconds(opt.substr(eq + 1), seconds))
          return make_error(ec::invalid_argument,
                            "mount option " + std::string{opt}
                              + ": expected a non-negative number of seconds");
        if (key == "entry_timeout")
          timeouts.entry.set_all(seconds);
        else if (key == "attr_timeout")
          timeouts.attr.set_all(seconds);
        else
          timeouts.negative = seconds;
        continue;
      }
      if (!rest.empty())
        rest += ',';
      rest += opt;
    }
  }
  return rest;
}

}  // namespace d1
