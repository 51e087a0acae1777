// Control requests → typed messages to catalogue / job_manager → JSON lines. Runs in the
// control server's connection threads, talking to actors through a scoped_actor.
#include "actors/control/control_requests.hpp"

#include "messages/error.hpp"
#include "messages/status_report.hpp"

#include <caf/scoped_actor.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <map>
#include <optional>
#include <thread>
#include <unistd.h>

namespace d1 {

namespace {

// The longest string arguments accepted (bytes): LMDB keys end at 511 bytes, paths at
// PATH_MAX, and nothing else a client sends needs more.
constexpr size_t max_uid_bytes = 255;
constexpr size_t max_name_bytes = 255;
constexpr size_t max_path_bytes = 4096;
constexpr size_t max_kwargs_bytes = 64 * 1024;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// kwargs are stored as JSON text: show them as JSON when they parse.
nlohmann::json json_text(const std::string& text) {
  if (text.empty())
    return nlohmann::json::object();
  auto j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

nlohmann::json ok_line(nlohmann::json result) {
  return {{"type", "result"}, {"ok", true}, {"result", std::move(result)}};
}

nlohmann::json error_line(const std::string& code, const std::string& message,
                          nlohmann::json extra = nullptr) {
  nlohmann::json line{{"type", "result"},
                      {"ok", false},
                      {"error", {{"code", code}, {"message", message}}}};
  if (!extra.is_null())
    line["result"] = std::move(extra);
  return line;
}

nlohmann::json error_line(const caf::error& err) {
  auto code = code_of(err);
  if (err.category() == error_category)
    return error_line(to_string(code), context_of(err).empty() ? describe(err)
                                                               : context_of(err));
  return error_line("unspecified", describe(err));
}

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

bool is_final(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled;
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

class handler {
public:
  handler(caf::actor_system& sys, catalogue_actor catalogue, job_manager_actor jobs,
          control_info info, std::shared_ptr<const mount_link> mount,
          control_handler_config cfg)
    : sys_(sys), catalogue_(std::move(catalogue)), jobs_(std::move(jobs)),
      info_(std::move(info)), mount_(std::move(mount)), cfg_(cfg) {
  }

  void operator()(const nlohmann::json& line, request_context& ctx) {
    auto parsed = parse_control_request(line);
    if (!parsed)
      return void(ctx.write(error_line(parsed.error())));
    const auto& req = *parsed;
    const auto& command = req.command;
    caf::scoped_actor self{sys_};
    if (command == "ping")
      return void(ctx.write(ok_line({{"pong", true}, {"pid", ::getpid()}})));
    if (command == "status")
      return status(self, ctx);
    if (command == "resource.register")
      return register_resource(self, ctx, req.job, req.wait);
    if (command == "resource.copy" || command == "resource.move"
        || command == "resource.remove" || command == "resource.change-root"
        || command == "resource.verify")
      return submit(self, ctx, req.job, req.wait);
    if (command == "resource.shift-root")
      return reply(ctx,
                   ask<root_shift>(self, jobs_, shift_atom::value, req.uid, req.by),
                   [](const root_shift& x) {
                     return nlohmann::json{
                       {"resource_uid", x.after.uid},
                       {"before", to_json(resource_detail{x.before, {}, {}})["resource"]},
                       {"after", to_json(resource_detail{x.after, {}, {}})["resource"]},
                       {"files", x.files}};
                   });
    if (command == "datum.register")
      return register_datums(self, ctx, req.datums, req.wait);
    if (command == "datum.list")
      return reply(ctx,
                   ask<std::vector<datum_detail>>(self, catalogue_, list_atom::value,
                                                  datum_atom::value, req.uid),
                   [&req](const std::vector<datum_detail>& xs) {
                     auto out = nlohmann::json::array();
                     for (auto& x : xs)
                       out.push_back(to_json(x));
                     return nlohmann::json{{"resource_uid", req.uid}, {"datums", out}};
                   });
    if (command == "datum.show") {
      auto datum = ask<datum_detail>(self, catalogue_, get_atom::value, datum_atom::value,
                                     req.datum_id);
      if (!datum)
        return void(ctx.write(error_line(datum.error())));
      // The datum names its resource: where and how it is stored, too.
      auto res = ask<resource_detail>(self, catalogue_, get_atom::value, resource_atom::value,
                                      datum->datum.resource_uid);
      nlohmann::json out{{"datum", to_json(*datum)}};
      if (res)
        out["resource"] = to_json(*res)["resource"];
      return void(ctx.write(ok_line(std::move(out))));
    }
    if (command == "datum.hash")
      return submit(self, ctx, req.job, req.wait);
    if (command == "resource.locate")
      return reply(ctx, ask<location_report>(self, catalogue_, locate_atom::value, req.uid),
                   [](const location_report& x) { return to_json(x); });
    if (command == "resource.show")
      return reply(ctx,
                   ask<resource_detail>(self, catalogue_, get_atom::value,
                                        resource_atom::value, req.uid),
                   [](const resource_detail& x) { return to_json(x); });
    if (command == "resource.history") {
      // An unknown uid has no history; say so instead of printing nothing.
      auto known = ask<resource_detail>(self, catalogue_, get_atom::value,
                                        resource_atom::value, req.uid);
      if (!known) {
        // A removed resource may still have history: only fail if it has none.
        auto hist = ask<std::vector<history_entry>>(self, catalogue_, history_atom::value,
                                                    req.uid);
        if (!hist || hist->empty())
          return void(ctx.write(error_line(known.error())));
      }
      return reply(ctx, ask<std::vector<history_entry>>(self, catalogue_,
                                                        history_atom::value, req.uid),
                   [](const std::vector<history_entry>& xs) {
                     auto out = nlohmann::json::array();
                     for (auto& x : xs)
                       out.push_back(to_json(x));
                     return nlohmann::json{{"history", out}};
                   });
    }
    if (command == "resource.list") {
      return reply(ctx,
                   ask<std::vector<resource_record>>(self, catalogue_, list_atom::value,
                                                     resource_atom::value),
                   [](const std::vector<resource_record>& xs) {
                     auto out = nlohmann::json::array();
                     for (auto& x : xs)
                       out.push_back(to_json(resource_detail{x, {}, {}})["resource"]);
                     return nlohmann::json{{"resources", out}};
                   });
    }
    if (command == "jobs") {
      return reply(ctx,
                   ask<std::vector<job_record>>(self, jobs_, list_atom::value,
                                                job_atom::value),
                   [](const std::vector<job_record>& xs) {
                     auto out = nlohmann::json::array();
                     for (auto& x : xs) {
                       auto j = to_json(x);
                       j.erase("files");  // the list stays short; `job ID` has them
                       out.push_back(std::move(j));
                     }
                     return nlohmann::json{{"jobs", out}};
                   });
    }
    auto job_json = [](const job_record& x) { return nlohmann::json{{"job", to_json(x)}}; };
    if (command == "job.get")
      return reply(ctx, ask<job_record>(self, jobs_, get_atom::value, job_atom::value, req.id),
                   job_json);
    if (command == "job.cancel")
      return reply(ctx, ask<job_record>(self, jobs_, cancel_atom::value, req.id), job_json);
    if (command == "job.wait")
      return follow(self, ctx, req.id);
    if (command == "job.retry") {
      auto ticket = ask<job_ticket>(self, jobs_, retry_atom::value, req.id);
      if (!ticket || !req.wait)
        return reply(ctx, std::move(ticket), [](const job_ticket& t) { return ticket_json(t); });
      return follow(self, ctx, ticket->job_id);
    }
    if (command == "catalogue.check") {
      auto report = ask<catalogue_report>(self, catalogue_, check_atom::value);
      if (!report)
        return void(ctx.write(error_line(report.error())));
      return void(ctx.write(catalogue_check_line(*report)));
    }
    if (command == "crawl.list" || command == "crawl.allow" || command == "crawl.forget") {
      auto guard = mount().crawl;
      if (!guard)
        return void(ctx.write(error_line("unavailable", "this daemon has no mount, so no "
                                                        "crawl guard")));
      auto text = [](const std::string& x) { return nlohmann::json{{"text", x}}; };
      if (command == "crawl.list")
        return reply(ctx, ask<std::string>(self, guard, list_atom::value), text);
      if (command == "crawl.allow")
        return reply(ctx, ask<std::string>(self, guard, allow_atom::value, req.who), text);
      return reply(ctx, ask<std::string>(self, guard, forget_atom::value, req.who), text);
    }
    // journal (parse_control_request knows no other command)
    // The catalogue pages from the oldest; a "last N" view asks for all and keeps the
    // tail, which is what an operator wants to see.
    auto all = ask<std::vector<journal_entry>>(self, catalogue_, journal_atom::value,
                                               uint64_t{req.after}, uint32_t{0});
    reply(ctx, std::move(all), [limit = req.limit](const std::vector<journal_entry>& xs) {
      auto out = nlohmann::json::array();
      size_t first = limit > 0 && xs.size() > limit ? xs.size() - limit : 0;
      for (size_t i = first; i < xs.size(); ++i)
        out.push_back(to_json(xs[i]));
      return nlohmann::json{{"journal", out}};
    });
  }

private:
  template <class R, class Handle, class... Ts>
  caf::expected<R> ask(caf::scoped_actor& self, const Handle& h, Ts&&... xs) {
    caf::expected<R> result = make_error(ec::unavailable, "no answer");
    if (!h)
      return make_error(ec::unavailable, "the mobile-files actors are not running");
    self->request(h, cfg_.request_timeout, std::forward<Ts>(xs)...)
      .receive([&](R& r) { result = std::move(r); },
               [&](caf::error& e) { result = std::move(e); });
    return result;
  }

  template <class R, class F>
  void reply(request_context& ctx, caf::expected<R> x, F render) {
    if (!x)
      ctx.write(error_line(x.error()));
    else
      ctx.write(ok_line(render(*x)));
  }

  void status(caf::scoped_actor& self, request_context& ctx) {
    nlohmann::json out{{"version", info_.version},
                       {"pid", ::getpid()},
                       {"uid", ::geteuid()},
                       {"state_dir", info_.state_dir},
                       {"started", info_.started_ms},
                       {"uptime_s", (now_ms() - info_.started_ms) / 1000.0},
                       {"mounted", !info_.mountpoint.empty()}};
    if (!info_.mountpoint.empty()) {
      out["mountpoint"] = info_.mountpoint;
      out["base_url"] = info_.base_url;
    }
    auto resources = ask<std::vector<resource_record>>(self, catalogue_, list_atom::value,
                                                       resource_atom::value);
    if (resources)
      out["resources"] = resources->size();
    auto jobs = ask<std::vector<job_record>>(self, jobs_, list_atom::value, job_atom::value);
    if (jobs) {
      std::map<std::string, size_t> by_state;
      for (auto s : {job_state::queued, job_state::running, job_state::done,
                     job_state::failed, job_state::cancelled})
        by_state[to_string(s)] = 0;
      for (auto& j : *jobs)
        ++by_state[to_string(j.state)];
      out["jobs"] = by_state;
      // The newest scrub (jobs are newest first): when, and what it found.
      for (auto& j : *jobs)
        if (j.request.kind == job_kind::scrub) {
          out["last_scrub"] = {{"job", j.id},
                               {"resource", j.request.uid},
                               {"root", j.request.src_root},
                               {"state", to_string(j.state)},
                               {"finished", j.finished},
                               {"files_failed", j.progress.files_failed},
                               {"error", j.error}};
          break;
        }
    }
    if (!resources || !jobs)
      out["mobile_error"] = describe(!resources ? resources.error() : jobs.error());
    // What Status/jobs.json and Status/content.json show, and their text for people.
    auto now = now_ms();
    auto recent = ask<std::vector<job_record>>(self, jobs_, list_atom::value, job_atom::value,
                                               recent_ended_jobs);
    if (recent) {
      out["recent_jobs"] = jobs_json(*recent, now)["jobs"];
      out["recent_jobs_text"] = jobs_summary_text(*recent, now);
    }
    if (auto content = mount().content) {
      auto report = ask<content_report>(self, content, report_atom::value);
      if (report) {
        out["content"] = content_json(*report);
        out["content_text"] = content_text(*report);
      } else {
        out["content_error"] = describe(report.error());
      }
    }
    ctx.write(ok_line(std::move(out)));
  }

  void register_resource(caf::scoped_actor& self, request_context& ctx, const job_request& r,
                         bool wait) {
    auto ticket = ask<job_ticket>(self, jobs_, register_atom::value, r);
    if (!ticket)
      return void(ctx.write(error_line(ticket.error())));
    if (!wait)
      return void(ctx.write(ok_line(ticket_json(*ticket))));
    follow(self, ctx, ticket->job_id, ticket->resource_uid);
  }

  // datum.register: the datums parsed from the request, registered by the job manager.
  void register_datums(caf::scoped_actor& self, request_context& ctx,
                       const datum_registration& reg, bool wait) {
    auto ticket = ask<datum_ticket>(self, jobs_, register_atom::value, datum_atom::value, reg);
    if (!ticket)
      return void(ctx.write(error_line(ticket.error())));
    nlohmann::json out{{"resource_uid", ticket->resource_uid},
                       {"datum_ids", ticket->datum_ids},
                       {"new_files", ticket->new_files}};
    if (ticket->job_id != 0)
      out["job_id"] = ticket->job_id;
    if (!wait || ticket->job_id == 0)
      return void(ctx.write(ok_line(std::move(out))));
    follow(self, ctx, ticket->job_id, {}, std::move(out));
  }

  void submit(caf::scoped_actor& self, request_context& ctx, const job_request& r, bool wait) {
    auto ticket = ask<job_ticket>(self, jobs_, submit_atom::value, r);
    if (!ticket)  // a last-copy removal is ec::refused: the client exits 4 for it
      return void(ctx.write(error_line(ticket.error())));
    if (ticket->dry_run || !wait)
      return void(ctx.write(ok_line(ticket_json(*ticket))));
    follow(self, ctx, ticket->job_id);
  }

  static nlohmann::json ticket_json(const job_ticket& t) {
    nlohmann::json out{{"dry_run", t.dry_run}};
    if (!t.dry_run)
      out["job_id"] = t.job_id;
    if (!t.resource_uid.empty())
      out["resource_uid"] = t.resource_uid;
    if (t.dry_run) {
      auto plan = nlohmann::json::array();
      for (auto& s : t.plan)
        plan.push_back(to_json(s));
      out["plan"] = plan;
    }
    return out;
  }

  // Streams progress lines of job `id` until it ends, then the result line. A verify that
  // found mismatches ends "failed": its result carries "mismatches" so the client can tell
  // a finding (exit 5) from a failure.
  // `extra`: fields the result line carries besides the job (a datum registration's).
  void follow(caf::scoped_actor& self, request_context& ctx, uint64_t id,
              const std::string& resource_uid = {}, nlohmann::json extra = nullptr) {
    nlohmann::json last_sent;
    auto last_time = std::chrono::steady_clock::now() - std::chrono::hours(1);
    // The end arrives as the reply to one wait message, at once rather than at the next
    // poll; progress is polled without the per-file states. Polling alone still ends the
    // loop should the wait reply never come.
    self->send(jobs_, wait_atom::value, id);
    for (;;) {
      auto job = ask<job_record>(self, jobs_, progress_atom::value, id);
      if (!job)
        return void(ctx.write(error_line(job.error())));
      if (is_final(job->state)) {
        auto full = ask<job_record>(self, jobs_, get_atom::value, job_atom::value, id);
        if (!full)
          return void(ctx.write(error_line(full.error())));
        return finish(ctx, std::move(*full), resource_uid, std::move(extra));
      }
      auto j = to_json(*job);
      j.erase("files");
      auto now = std::chrono::steady_clock::now();
      if (j != last_sent || now - last_time >= std::chrono::seconds(1)) {
        if (!ctx.write({{"type", "progress"}, {"job", j}}))
          return;
        last_sent = std::move(j);
        last_time = now;
      }
      if (ctx.cancelled())
        return;  // the client went away (or the daemon stops): the job goes on
      std::optional<job_record> ended;
      self->receive([&](job_record& r) {
                      if (r.id == id && is_final(r.state))
                        ended = std::move(r);
                    },
                    [](const caf::error&) {},  // polling goes on
                    caf::after(cfg_.poll_interval) >> [] {});
      if (ended)
        return finish(ctx, std::move(*ended), resource_uid, std::move(extra));
    }
  }

  void finish(request_context& ctx, job_record job, const std::string& resource_uid,
              const nlohmann::json& extra = nullptr) {
    // Only the files that did not end done: the result of a job of many files stays short
    // (`job ID` lists them all).
    job.files.erase(std::remove_if(job.files.begin(), job.files.end(),
                                   [](const job_file& f) { return f.state == step_state::done; }),
                    job.files.end());
    nlohmann::json result{{"job", to_json(job)}};
    if (extra.is_object())
      result.update(extra);
    if (!resource_uid.empty())
      result["resource_uid"] = resource_uid;
    // Copies and moves that checked their destination's datums report like a verify.
    bool datum_check = works_on_datums(job) && job.request.kind != job_kind::datum_hash;
    if (job.request.kind == job_kind::verify || job.request.kind == job_kind::scrub
        || datum_check) {
      bool datums = works_on_datums(job);
      auto mismatches = nlohmann::json::array();
      for (auto& f : job.files)
        if (f.state == step_state::failed) {
          if (datums)
            mismatches.push_back({{"datum_id", f.rel_path}, {"root", f.root}, {"detail", f.detail}});
          else
            mismatches.push_back({{"rel_path", f.rel_path}, {"detail", f.detail}});
        }
      result["mismatches"] = mismatches.size();
      result[datums ? "mismatched_datums" : "mismatched_files"] = mismatches;
      if (job.state == job_state::failed && !mismatches.empty()) {
        // A finding, not a malfunction: reported ok=false with its own code.
        ctx.write(error_line("verification_mismatch",
                             std::to_string(mismatches.size())
                               + (datums ? " datum(s) do not match the catalogue"
                                         : " file(s) do not match the catalogue"),
                             result));
        return;
      }
    }
    if (job.state == job_state::done)
      return void(ctx.write(ok_line(std::move(result))));
    if (job.state == job_state::cancelled)
      return void(ctx.write(error_line("cancelled", "job " + std::to_string(job.id)
                                                      + " was cancelled",
                                       result)));
    std::string code = to_string(job.error_code);
    // The text names the code first (describe()): said once is enough.
    auto message = job.error;
    if (message.compare(0, code.size() + 2, code + ": ") == 0)
      message.erase(0, code.size() + 2);
    ctx.write(error_line(code, message.empty() ? "job failed" : message, result));
  }

  // The mount's actors as of now (none under `d1drive serve`).
  mount_handles mount() const {
    return mount_ ? mount_->get() : mount_handles{};
  }

  caf::actor_system& sys_;
  catalogue_actor catalogue_;
  job_manager_actor jobs_;
  control_info info_;
  std::shared_ptr<const mount_link> mount_;
  control_handler_config cfg_;
};

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
  auto& r = out.job;
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
  } else if (c == "resource.shift-root") {
    // More components than a path can have is a typo, not a shift.
    constexpr int64_t max_shift = 4096;
    out.uid = a.str("uid", true, max_uid_bytes);
    out.by = static_cast<int32_t>(a.signed_number("by", true, -max_shift, max_shift));
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
  } else if (c == "datum.register") {
    // More than this is a mistake in the command line, not a scan.
    constexpr uint64_t max_points = 10'000'000;
    auto& reg = out.datums;
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
  } else if (c == "datum.list") {
    out.uid = a.str("uid", true, max_uid_bytes);
  } else if (c == "datum.show") {
    out.datum_id = a.str("datum_id", true, max_uid_bytes);
  } else if (c == "datum.hash") {
    r.kind = job_kind::datum_hash;
    r.uid = a.str("uid", true, max_uid_bytes);
    r.src_root = a.str("root", false);
    r.algorithm = a.str("algorithm", false, max_name_bytes);
  } else if (c == "resource.locate" || c == "resource.show" || c == "resource.history") {
    out.uid = a.str("uid", true, max_uid_bytes);
  } else if (c == "job.get" || c == "job.wait" || c == "job.cancel" || c == "job.retry") {
    out.id = a.number("id", true);
  } else if (c == "crawl.allow" || c == "crawl.forget") {
    out.who = a.str("who", true, max_name_bytes);
    if (a.problem().empty()) {
      if (auto err = check_pid_or_name(out.who))
        return err;
    }
  } else if (c == "journal") {
    out.limit = a.number("limit", false, 0);
    out.after = a.number("after", false, 0);
  }
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

nlohmann::json catalogue_check_line(const catalogue_report& report) {
  nlohmann::json out{{"resources", report.resources},
                     {"files", report.files},
                     {"references", report.paths},
                     {"jobs", report.jobs},
                     {"problems", report.problems}};
  if (report.problems.empty())
    return ok_line(std::move(out));
  return error_line("catalogue_inconsistent",
                    std::to_string(report.problems.size())
                      + " problems; first: " + report.problems.front(),
                    std::move(out));
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

nlohmann::json to_json(const plan_step& x) {
  nlohmann::json j{{"action", x.action}, {"from", x.from}, {"size", x.size}};
  if (!x.to.empty())
    j["to"] = x.to;
  if (!x.note.empty())
    j["note"] = x.note;
  return j;
}

nlohmann::json to_json(const job_record& x) {
  nlohmann::json req{{"uid", x.request.uid}};
  if (!x.request.src_root.empty())
    req["from"] = x.request.src_root;
  if (!x.request.dst_root.empty())
    req["to"] = x.request.dst_root;
  if (x.request.kind == job_kind::verify)
    req["level"] = to_string(x.request.level);
  if ((x.request.kind == job_kind::copy || x.request.kind == job_kind::move)
      && x.request.level == check_level::datum)
    req["verify"] = "datum";
  if (x.request.kind == job_kind::remove)
    req["force_last"] = x.request.force_last;
  if (x.request.kind == job_kind::datum_hash)
    req["algorithm"] = x.request.algorithm;
  // A job on datums has a step per datum and root: the datum id, where it was read.
  bool datums = works_on_datums(x);
  auto files = nlohmann::json::array();
  for (auto& f : x.files) {
    nlohmann::json fj{{"size", f.size}, {"state", to_string(f.state)}};
    if (datums) {
      fj["datum_id"] = f.rel_path;
      fj["root"] = f.root;
    } else {
      fj["rel_path"] = f.rel_path;
    }
    if (!f.detail.empty())
      fj["detail"] = f.detail;
    files.push_back(std::move(fj));
  }
  return {{"id", x.id},
          {"kind", to_string(x.request.kind)},
          {"state", to_string(x.state)},
          {"phase", x.phase},
          {"steps", datums ? "datums" : "files"},
          {"request", req},
          {"progress",
           {{"files_done", x.progress.files_done},
            {"files_total", x.progress.files_total},
            {"files_failed", x.progress.files_failed},
            {"bytes_done", x.progress.bytes_done},
            {"bytes_total", x.progress.bytes_total},
            {"rate", x.progress.rate}}},
          {"error", x.error},
          {"created", x.created},
          {"started", x.started},
          {"finished", x.finished},
          {"files", files}};
}

nlohmann::json to_json(const resource_detail& x) {
  auto files = nlohmann::json::array();
  for (auto& f : x.files)
    files.push_back({{"file_uid", f.file_uid},
                     {"root", f.root},
                     {"rel_path", f.rel_path},
                     {"abs_path", f.abs_path},
                     {"size", f.size},
                     {"algorithm", f.algorithm},
                     {"digest", f.digest},
                     {"exists", f.exists},
                     {"state", to_string(f.state)},
                     {"verified_at", f.verified_at}});
  auto& r = x.resource;
  return {{"resource",
           {{"uid", r.uid},
            {"spec", r.spec},
            {"root", r.root},
            {"path", r.path},
            {"kwargs", json_text(r.kwargs)},
            {"algorithm", r.algorithm},
            {"created", r.created}}},
          {"rel_paths", x.rel_paths},
          {"files", files}};
}

nlohmann::json to_json(const datum_detail& x) {
  nlohmann::json out{{"datum_id", x.datum.datum_id},
                     {"resource_uid", x.datum.resource_uid},
                     {"kwargs", json_text(x.datum.kwargs)},
                     {"created", x.datum.created}};
  auto& s = x.stats;
  if (s.hash.empty()) {
    out["hash"] = nullptr;  // never hashed
    return out;
  }
  auto& v = s.stats;
  // min … std describe finite values: with none, they are null rather than a made-up 0.
  auto figure = [&v](double d) { return v.count > 0 ? nlohmann::json(d) : nlohmann::json(); };
  out["algorithm"] = s.algorithm;
  out["hash"] = s.hash;
  out["dtype"] = s.dtype;
  out["shape"] = s.shape;
  out["stats"] = {{"count", v.count},         {"nan_count", v.nan_count},
                  {"inf_count", v.inf_count}, {"min", figure(v.min)},
                  {"max", figure(v.max)},     {"mean", figure(v.mean)},
                  {"std", figure(v.std)},     {"histogram", v.histogram}};
  out["files"] = s.files;
  out["root"] = s.root;
  out["hashed_at"] = s.hashed_at;
  out["job_id"] = s.job_id;
  return out;
}

nlohmann::json to_json(const location_report& x) {
  auto copies = nlohmann::json::array();
  for (auto& c : x.copies)
    copies.push_back({{"root", c.root},
                      {"files", c.files},
                      {"files_expected", c.files_expected},
                      {"files_ok", c.files_ok},
                      {"verified", c.verified},
                      {"preference", c.preference},
                      {"verified_at", c.verified_at},
                      {"hashed_at", c.hashed_at},
                      {"files_bad", c.files_bad},
                      {"problem", c.problem},
                      {"local_root", c.local_root.empty() ? c.root : c.local_root}});
  return {{"resource_uid", x.resource_uid},
          {"host", x.host},
          {"preferred_root", x.preferred_root},
          {"copies", copies}};
}

nlohmann::json to_json(const history_entry& x) {
  nlohmann::json j{{"time", x.time}, {"action", x.action}, {"files", x.files}};
  j["resource_uid"] = x.resource_uid;
  if (!x.from_root.empty())
    j["from"] = x.from_root;
  if (!x.to_root.empty())
    j["to"] = x.to_root;
  if (x.job_id != 0)
    j["job_id"] = x.job_id;
  return j;
}

nlohmann::json to_json(const journal_entry& x) {
  return {{"seq", x.seq},           {"command", x.command},   {"args", x.args},
          {"kwargs", json_text(x.kwargs)}, {"started", x.started}, {"finished", x.finished},
          {"success", x.success},   {"error", x.error},       {"job_id", x.job_id}};
}

request_handler make_control_handler(caf::actor_system& sys, catalogue_actor catalogue,
                                     job_manager_actor jobs, control_info info,
                                     std::shared_ptr<const mount_link> mount,
                                     control_handler_config cfg) {
  auto h = std::make_shared<handler>(sys, std::move(catalogue), std::move(jobs),
                                     std::move(info), std::move(mount), cfg);
  return [h](const nlohmann::json& req, request_context& ctx) { (*h)(req, ctx); };
}

}  // namespace d1
