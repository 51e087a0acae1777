// Control requests → typed messages to catalogue / job_manager → JSON lines. Runs in the
// control server's connection threads, talking to actors through a scoped_actor.
#include "actors/control/control_requests.hpp"

#include "messages/error.hpp"
#include "messages/status_report.hpp"

#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <unistd.h>

namespace d1 {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

bool is_final(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled;
}

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
    if (command.rfind("resource.", 0) == 0)
      return serve_resource(self, ctx, req);
    if (command.rfind("datum.", 0) == 0)
      return serve_datum(self, ctx, req);
    if (command == "jobs" || command.rfind("job.", 0) == 0)
      return serve_job(self, ctx, req);
    if (command.rfind("crawl.", 0) == 0)
      return serve_crawl(self, ctx, req);
    if (command == "catalogue.check") {
      auto report = ask<catalogue_report>(self, catalogue_, check_atom::value);
      if (!report)
        return void(ctx.write(error_line(report.error())));
      return void(ctx.write(catalogue_check_line(*report)));
    }
    serve_journal(self, ctx, req);  // parse_control_request knows no other command
  }

private:
  // A command of a known group that its serve_* function does not handle: a command
  // added to control_commands() without its branch.
  static void unknown_command(request_context& ctx, const std::string& command) {
    ctx.write(error_line("unspecified", "no handler for command \"" + command + "\""));
  }

  // resource.*: jobs on a resource, and what the catalogue says of it.
  void serve_resource(caf::scoped_actor& self, request_context& ctx, const control_request& req) {
    const auto& command = req.command;
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
    unknown_command(ctx, command);
  }

  // datum.*: registering, listing, showing and hashing datums.
  void serve_datum(caf::scoped_actor& self, request_context& ctx, const control_request& req) {
    const auto& command = req.command;
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
    unknown_command(ctx, command);
  }

  // jobs and job.*: the job manager's list and one job.
  void serve_job(caf::scoped_actor& self, request_context& ctx, const control_request& req) {
    const auto& command = req.command;
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
    unknown_command(ctx, command);
  }

  // crawl.*: the mount's crawl guard (none under `d1drive serve`).
  void serve_crawl(caf::scoped_actor& self, request_context& ctx, const control_request& req) {
    const auto& command = req.command;
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

  // journal: the catalogue pages from the oldest; a "last N" view asks for all and
  // keeps the tail, which is what an operator wants to see.
  void serve_journal(caf::scoped_actor& self, request_context& ctx, const control_request& req) {
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

request_handler make_control_handler(caf::actor_system& sys, catalogue_actor catalogue,
                                     job_manager_actor jobs, control_info info,
                                     std::shared_ptr<const mount_link> mount,
                                     control_handler_config cfg) {
  auto h = std::make_shared<handler>(sys, std::move(catalogue), std::move(jobs),
                                     std::move(info), std::move(mount), cfg);
  return [h](const nlohmann::json& req, request_context& ctx) { (*h)(req, ctx); };
}

}  // namespace d1
