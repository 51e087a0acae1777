// Control requests → control_request: the command known, every argument checked.
#include "actors/control/control_parse.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>

namespace d1 {

namespace {

// The longest string arguments accepted (bytes): LMDB keys end at 511 bytes, paths at
// PATH_MAX, and nothing else a client sends needs more.
constexpr size_t max_uid_bytes = 255;
constexpr size_t max_name_bytes = 255;
constexpr size_t max_path_bytes = 4096;
constexpr size_t max_kwargs_bytes = 64 * 1024;

// crawl.allow / crawl.forget name a process by pid (digits) or by name (its comm).
caf::error check_pid_or_name(const std::string& who) {
  if (who.empty())
    return make_error(ec::invalid_argument, "argument \"who\" is empty");
  if (std::all_of(who.begin(), who.end(), [](unsigned char c) { return std::isdigit(c); })) {
    int32_t pid = 0;
    auto [end, err] = std::from_chars(who.data(), who.data() + who.size(), pid);
    if (err != std::errc{} || end != who.data() + who.size() || pid <= 0)
      return make_error(ec::invalid_argument, "argument \"who\": " + who.substr(0, 32)
                                                + " is not a process id (1 to "
                                                + std::to_string(INT32_MAX) + ")");
    return {};
  }
  if (std::any_of(who.begin(), who.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
    return make_error(ec::invalid_argument,
                      "argument \"who\" contains a control character: not a process name");
  return {};
}

// A request's arguments, with typed accessors that remember the first problem.
class args_reader {
public:
  explicit args_reader(const nlohmann::json& args) : args_(args) {
  }
  std::string str(const char* key, bool required, size_t max_bytes = max_path_bytes) {
    if (!args_.is_object() || !args_.contains(key) || args_[key].is_null()) {
      if (required)
        fail(std::string{"missing argument \""} + key + "\"");
      return {};
    }
    if (!args_[key].is_string()) {
      fail(std::string{"argument \""} + key + "\" must be a string");
      return {};
    }
    return checked_text(key, args_[key].get<std::string>(), max_bytes);
  }
  bool flag(const char* key) {
    if (!args_.is_object() || !args_.contains(key) || args_[key].is_null())
      return false;
    if (!args_[key].is_boolean()) {
      fail(std::string{"argument \""} + key + "\" must be true or false");
      return false;
    }
    return args_[key].get<bool>();
  }
  uint64_t number(const char* key, bool required, uint64_t fallback = 0) {
    if (!args_.is_object() || !args_.contains(key) || args_[key].is_null()) {
      if (required)
        fail(std::string{"missing argument \""} + key + "\"");
      return fallback;
    }
    if (!args_[key].is_number_unsigned()) {
      fail(std::string{"argument \""} + key + "\" must be a non-negative integer");
      return fallback;
    }
    return args_[key].get<uint64_t>();
  }
  int64_t signed_number(const char* key, bool required, int64_t min, int64_t max) {
    if (!args_.is_object() || !args_.contains(key) || args_[key].is_null()) {
      if (required)
        fail(std::string{"missing argument \""} + key + "\"");
      return 0;
    }
    auto& v = args_[key];
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(max))
        || v.get<int64_t>() < min || v.get<int64_t>() > max) {
      fail(std::string{"argument \""} + key + "\" must be an integer from " + std::to_string(min)
           + " to " + std::to_string(max));
      return 0;
    }
    return v.get<int64_t>();
  }
  // kwargs may come as an object or as JSON text.
  std::string json_object_text(const char* key) {
    if (!args_.is_object() || !args_.contains(key) || args_[key].is_null())
      return {};
    auto& v = args_[key];
    if (v.is_object())
      return checked_text(key, v.dump(), max_kwargs_bytes);
    if (v.is_string())
      return checked_text(key, v.get<std::string>(), max_kwargs_bytes);
    fail(std::string{"argument \""} + key + "\" must be a JSON object");
    return {};
  }
  bool has(const char* key) const {
    return args_.is_object() && args_.contains(key) && !args_[key].is_null();
  }
  const std::string& problem() const {
    return problem_;
  }

private:
  // Paths and names end at a NUL byte in every system call: one inside would make the
  // daemon act on another name than the one the client sent.
  std::string checked_text(const char* key, std::string text, size_t max_bytes) {
    if (text.size() > max_bytes) {
      fail(std::string{"argument \""} + key + "\" is longer than " + std::to_string(max_bytes)
           + " bytes");
      return {};
    }
    if (text.find('\0') != std::string::npos) {
      fail(std::string{"argument \""} + key + "\" contains a NUL byte");
      return {};
    }
    return text;
  }
  void fail(std::string text) {
    if (problem_.empty())
      problem_ = std::move(text);
  }
  const nlohmann::json& args_;
  std::string problem_;
};

// The arguments of a command that submits a job (resource.register|copy|move|remove|
// change-root|verify, datum.hash) into `r`; other commands leave it as it is. Returns
// the error of a name the reader cannot check (a level); its own problems stay in `a`.
caf::error read_job_args(const std::string& c, args_reader& a, job_request& r) {
  if (c == "resource.register") {
    r.kind = job_kind::register_hash;
    r.uid = a.str("uid", false, max_uid_bytes);
    r.spec = a.str("spec", true, max_name_bytes);
    r.root = a.str("root", true);
    r.path = a.str("path", true);
    r.kwargs = a.json_object_text("kwargs");
    r.algorithm = a.str("algorithm", false, max_name_bytes);
  } else if (c == "resource.copy" || c == "resource.move") {
    r.kind = c == "resource.copy" ? job_kind::copy : job_kind::move;
    r.uid = a.str("uid", true, max_uid_bytes);
    r.dst_root = a.str("to", true);
    r.src_root = a.str("from", r.kind == job_kind::move);
    r.dry_run = a.flag("dry_run");
    auto verify = a.str("verify", false, max_name_bytes);
    if (verify == "datum")
      r.level = check_level::datum;
    else if (!verify.empty() && verify != "hash")
      return make_error(ec::invalid_argument,
                        "verify must be hash or datum, not \"" + verify + "\"");
  } else if (c == "resource.remove") {
    r.kind = job_kind::remove;
    r.uid = a.str("uid", true, max_uid_bytes);
    r.src_root = a.str("from", true);
    r.force_last = a.flag("force_last");
    r.dry_run = a.flag("dry_run");
  } else if (c == "resource.change-root") {
    r.kind = job_kind::change_root;
    r.uid = a.str("uid", true, max_uid_bytes);
    r.dst_root = a.str("to", true);
    r.src_root = a.str("from", false);
  } else if (c == "resource.verify") {
    r.kind = job_kind::verify;
    r.uid = a.str("uid", true, max_uid_bytes);
    r.src_root = a.str("root", false);
    auto level = a.str("level", false, max_name_bytes);
    if (level.empty() || level == "hash")
      r.level = check_level::hash;
    else if (level == "size")
      r.level = check_level::size;
    else if (level == "exists")
      r.level = check_level::exists;
    else if (level == "datum")
      r.level = check_level::datum;
    else
      return make_error(ec::invalid_argument,
                        "level must be exists, size, hash or datum, not \"" + level + "\"");
  } else if (c == "datum.hash") {
    r.kind = job_kind::datum_hash;
    r.uid = a.str("uid", true, max_uid_bytes);
    r.src_root = a.str("root", false);
    r.algorithm = a.str("algorithm", false, max_name_bytes);
  }
  return {};
}

// datum.register: one datum (kwargs, datum_id) or the points 0…N-1 of a resource.
caf::error read_datum_registration(args_reader& a, datum_registration& reg) {
  // More than this is a mistake in the command line, not a scan.
  constexpr uint64_t max_points = 10'000'000;
  reg.resource_uid = a.str("uid", true, max_uid_bytes);
  auto kwargs = a.json_object_text("kwargs");
  auto datum_id = a.str("datum_id", false, max_uid_bytes);
  auto points = a.number("points", false, 0);
  if (!a.problem().empty())
    return make_error(ec::invalid_argument, a.problem());
  if (a.has("points")) {
    if (!kwargs.empty() || !datum_id.empty())
      return make_error(ec::invalid_argument,
                        "give \"points\", or \"kwargs\" (and \"datum_id\"), not both");
    if (points < 1 || points > max_points)
      return make_error(ec::invalid_argument,
                        "\"points\" must be 1 to " + std::to_string(max_points));
    reg.datums.resize(points);
    for (uint64_t p = 0; p < points; ++p)
      reg.datums[p].kwargs = nlohmann::json{{"point_number", p}}.dump();
  } else {
    datum_record d;
    d.datum_id = datum_id;
    d.kwargs = kwargs;
    reg.datums.push_back(std::move(d));
  }
  return {};
}

}  // namespace

caf::expected<control_request> parse_control_request(const nlohmann::json& req) {
  if (!req.is_object())
    return make_error(ec::invalid_argument,
                      "malformed request: expected one JSON object per line");
  control_request out;
  auto command = req.find("command");
  if (command == req.end() || command->is_null())
    return make_error(ec::invalid_argument, "request without \"command\"");
  if (!command->is_string())
    return make_error(ec::invalid_argument, "\"command\" must be a string");
  out.command = command->get<std::string>();
  auto& known = control_commands();
  if (std::find(known.begin(), known.end(), out.command) == known.end())
    return make_error(ec::invalid_argument,
                      "unknown command \"" + out.command.substr(0, 64)
                        + (out.command.size() > 64 ? "…" : "") + "\"");
  if (auto wait = req.find("wait"); wait != req.end() && !wait->is_null()) {
    if (!wait->is_boolean())
      return make_error(ec::invalid_argument, "\"wait\" must be true or false");
    out.wait = wait->get<bool>();
  }
  static const nlohmann::json no_args = nlohmann::json::object();
  auto args_it = req.find("args");
  const auto& args = args_it == req.end() || args_it->is_null() ? no_args : *args_it;
  if (!args.is_object())
    return make_error(ec::invalid_argument, "\"args\" must be a JSON object");
  args_reader a{args};
  const auto& c = out.command;
  caf::error err;
  if (c == "resource.shift-root") {
    // More components than a path can have is a typo, not a shift.
    constexpr int64_t max_shift = 4096;
    out.uid = a.str("uid", true, max_uid_bytes);
    out.by = static_cast<int32_t>(a.signed_number("by", true, -max_shift, max_shift));
  } else if (c == "datum.register") {
    err = read_datum_registration(a, out.datums);
  } else if (c == "datum.list") {
    out.uid = a.str("uid", true, max_uid_bytes);
  } else if (c == "datum.show") {
    out.datum_id = a.str("datum_id", true, max_uid_bytes);
  } else if (c == "resource.locate" || c == "resource.show" || c == "resource.history") {
    out.uid = a.str("uid", true, max_uid_bytes);
  } else if (c == "job.get" || c == "job.wait" || c == "job.cancel" || c == "job.retry") {
    out.id = a.number("id", true);
  } else if (c == "crawl.allow" || c == "crawl.forget") {
    out.who = a.str("who", true, max_name_bytes);
    if (a.problem().empty())
      err = check_pid_or_name(out.who);
  } else if (c == "journal") {
    out.limit = a.number("limit", false, 0);
    out.after = a.number("after", false, 0);
  }
  if (!err)
    err = read_job_args(c, a, out.job);
  if (err)
    return err;
  if (!a.problem().empty())
    return make_error(ec::invalid_argument, a.problem());
  return out;
}

caf::expected<control_request> parse_control_line(std::string_view line) {
  auto json = nlohmann::json::parse(line, nullptr, false);
  if (json.is_discarded())
    return make_error(ec::invalid_argument,
                      "malformed request: expected one JSON object per line");
  return parse_control_request(json);
}

const std::vector<std::string>& control_commands() {
  static const std::vector<std::string> all{
    "ping",          "status",          "resource.register", "resource.copy",
    "resource.move", "resource.remove", "resource.change-root", "resource.shift-root",
    "resource.verify",
    "resource.locate", "resource.show", "resource.history", "resource.list",
    "datum.register", "datum.list", "datum.show", "datum.hash",
    "jobs",          "job.get",         "job.wait",          "job.cancel",
    "job.retry",     "journal",         "crawl.list",        "crawl.allow",
    "crawl.forget",  "catalogue.check"};
  return all;
}

}  // namespace d1
