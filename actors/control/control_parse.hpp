// Parsing of control requests: one JSON line of the control socket becomes a
// control_request whose command is known and whose arguments are checked (types, lengths,
// ranges, no NUL bytes) before anything acts on them.
#pragma once

#include "messages/datum_types.hpp"
#include "messages/mobile_types.hpp"

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace d1 {

/// One request of the control protocol, its command known and its arguments checked.
struct control_request {
  std::string command;  // one of control_commands()
  bool wait = false;    // follow the job to its end
  job_request job;      // resource.register|copy|move|remove|change-root|verify, datum.hash
  std::string uid;      // resource.locate|show|history|shift-root, datum.list
  datum_registration datums;  // datum.register: one datum (kwargs), or points 0…N-1
  std::string datum_id;       // datum.show
  int32_t by = 0;       // resource.shift-root: components moved into (> 0) or out of the root
  uint64_t id = 0;      // job.get|wait|cancel
  uint64_t limit = 0;   // journal: only the last `limit` entries (0: all)
  uint64_t after = 0;   // journal: entries after this sequence number
  std::string who;      // crawl.allow|forget: a pid or a process name
};

/// Parses one request (a JSON object). Returns ec::invalid_argument naming the problem:
/// not a JSON object, no or an unknown command, a missing, mistyped, too long or
/// NUL-holding argument, a number out of range.
caf::expected<control_request> parse_control_request(const nlohmann::json& request);

/// As parse_control_request, from the line that holds the request.
caf::expected<control_request> parse_control_line(std::string_view line);

/// The commands of the protocol.
const std::vector<std::string>& control_commands();

}  // namespace d1
