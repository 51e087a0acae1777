// d1drive's own `-o` options and the ones only mount(8) gives meaning to.
#include "tools/mount_helper.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <array>
#include <sstream>
#include <string_view>

namespace d1 {

namespace {

// Options mount(8) or fstab give meaning to; libfuse would reject them as unknown.
bool only_for_mount_8(std::string_view option) {
  static constexpr std::array<std::string_view, 6> names{"rw",      "defaults", "auto",
                                                         "noauto",  "nofail",   "_netdev"};
  for (auto name : names)
    if (option == name)
      return true;
  return option.rfind("x-", 0) == 0 || option.rfind("comment=", 0) == 0;
}

}  // namespace

caf::expected<split_mount_options>
split_mount_option_lists(const std::vector<std::string>& lists) {
  split_mount_options out;
  struct own_option {
    std::string_view key;
    std::string* value;
  };
  const std::array<own_option, 3> own{{{"state_dir", &out.state_dir},
                                       {"config", &out.config_file},
                                       {"log_level", &out.log_level}}};
  for (auto& list : lists) {
    std::istringstream in{list};
    std::string option;
    while (std::getline(in, option, ',')) {
      if (option.empty() || only_for_mount_8(option))
        continue;
      auto eq = option.find('=');
      auto key = std::string_view{option}.substr(0, eq);
      auto it = std::find_if(own.begin(), own.end(), [&](auto& o) { return o.key == key; });
      if (it == own.end()) {
        out.fuse_options.push_back(option);
        continue;
      }
      if (eq == std::string::npos || eq + 1 == option.size())
        return make_error(ec::invalid_argument,
                          "mount option " + std::string{key} + " needs a value ("
                            + std::string{key} + "=…)");
      if (!it->value->empty())
        return make_error(ec::invalid_argument,
                          "mount option " + std::string{key} + " given twice");
      *it->value = option.substr(eq + 1);
    }
  }
  return out;
}

std::string base_url_of_source(const std::string& source) {
  return source == "d1drive" ? std::string{} : source;
}

}  // namespace d1
