// One libcurl multi event loop in a dedicated thread. The actor validates a request,
// keeps its response promise and queues the transfer; the loop sends the outcome back to
// the actor as an http_done message, and the actor delivers the promise on its own thread.
#include "actors/dataone/http_client.hpp"

#include "messages/error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <curl/curl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace d1 {

namespace {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_loopback_host(std::string host) {
  host = lower(std::move(host));
  if (!host.empty() && host.back() == '.')
    host.pop_back();
  if (host == "localhost")
    return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1)
    return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6))
      return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

struct curl_url_deleter {
  void operator()(CURLU* u) const {
    curl_url_cleanup(u);
  }
};

// Returns the URL part, or an empty string if the URL has none.
std::string url_part(CURLU* u, CURLUPart part) {
  char* out = nullptr;
  if (curl_url_get(u, part, &out, 0) != CURLUE_OK || out == nullptr)
    return {};
  std::string result{out};
  curl_free(out);
  return result;
}

void global_init_once() {
  static std::once_flag flag;
  std::call_once(flag, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What a transfer with a body_sink did with the body.
enum class sink_state : uint8_t {
  waiting,     // headers not complete yet
  accepting,   // body bytes go to the sink
  in_memory,   // the body is kept in http_response::body
  failed,      // the sink ended the transfer with its failure()
  satisfied,   // the sink ended the transfer early: it has what it wanted
};

// One transfer from setup to completion; touched only by the engine thread.
struct transfer {
  using clock = std::chrono::steady_clock;

  uint64_t id = 0;
  http_request req;
  http_response resp;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  int fd = -1;
  bool too_large = false;
  int write_errno = 0;
  sink_state sink = sink_state::waiting;
  bool stalled = false;
  clock::time_point last_byte = clock::now();
  char errbuf[CURL_ERROR_SIZE] = {0};

  ~transfer() {
    if (easy != nullptr)
      curl_easy_cleanup(easy);
    if (headers != nullptr)
      curl_slist_free_all(headers);
    close_file();
  }

  // Closes the output file; returns false (and records errno) if the close failed.
  bool close_file() {
    if (fd < 0)
      return true;
    auto rc = ::close(fd);
    fd = -1;
    if (rc != 0 && write_errno == 0) {
      write_errno = errno;
      return false;
    }
    return true;
  }
};

size_t on_header(char* buf, size_t size, size_t count, void* user) {
  auto& t = *static_cast<transfer*>(user);
  auto n = size * count;
  std::string_view line{buf, n};
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    // A new response starts (e.g. after 100 Continue): only its headers count.
    t.resp.headers.clear();
    return n;
  }
  if (line.empty() && t.req.sink) {
    long status = 0;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200)
      return n;  // an interim response: the final one follows
    t.resp.status = static_cast<uint16_t>(status);
    switch (t.req.sink->headers_done(t.resp.status, t.resp.headers)) {
      case body_sink::decision::accept:
        t.sink = sink_state::accepting;
        break;
      case body_sink::decision::keep_in_memory:
        t.sink = sink_state::in_memory;
        break;
      case body_sink::decision::abort:
        t.sink = sink_state::failed;
        return 0;  // curl fails the transfer; outcome() reports the sink's failure
    }
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return n;
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  t.resp.headers.push_back(
    http_header{lower(std::string{line.substr(0, colon)}), std::string{value}});
  return n;
}

size_t on_body(char* buf, size_t size, size_t count, void* user) {
  auto& t = *static_cast<transfer*>(user);
  auto n = size * count;
  t.last_byte = transfer::clock::now();
  if (t.sink == sink_state::accepting) {
    if (!t.req.sink->write(buf, n)) {
      t.sink = t.req.sink->failure() ? sink_state::failed : sink_state::satisfied;
      return 0;
    }
    t.resp.body_bytes += n;
    return n;
  }
  if (t.fd >= 0) {
    size_t done = 0;
    while (done < n) {
      auto w = ::write(t.fd, buf + done, n - done);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        t.write_errno = errno;
        return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
      }
      done += static_cast<size_t>(w);
    }
  } else {
    if (t.resp.body.size() + n > t.req.max_body_bytes) {
      t.too_large = true;
      return 0;
    }
    t.resp.body.append(buf, n);
  }
  t.resp.body_bytes += n;
  return n;
}

// Called by curl often while a transfer runs (and while it waits for bytes): ends sink
// transfers that were cancelled or have stalled.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& t = *static_cast<transfer*>(user);
  if (t.req.sink && t.req.sink->cancelled())
    return 1;
  if (t.req.stall_ms > 0
      && transfer::clock::now() - t.last_byte > std::chrono::milliseconds(t.req.stall_ms)) {
    t.stalled = true;
    return 1;
  }
  return 0;
}

}  // namespace

caf::error validate(const http_client_config& cfg) {
  if (cfg.max_total_connections == 0)
    return make_error(ec::invalid_argument, "http client: max_total_connections must be > 0");
  if (!cfg.client_key.empty() && cfg.client_cert.empty())
    return make_error(ec::invalid_argument,
                      "http client: client_key given without client_cert");
  for (auto* path : {&cfg.ca_file, &cfg.client_cert, &cfg.client_key})
    if (!path->empty() && ::access(path->c_str(), R_OK) != 0)
      return make_error(ec::invalid_argument,
                        "http client: cannot read " + *path + ": " + std::strerror(errno));
  return {};
}

caf::error check_url_policy(const std::string& url) {
  std::unique_ptr<CURLU, curl_url_deleter> u{curl_url()};
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return make_error(ec::invalid_argument, "malformed URL: " + url);
  auto scheme = lower(url_part(u.get(), CURLUPART_SCHEME));
  if (scheme == "https")
    return {};
  if (scheme != "http")
    return make_error(ec::invalid_argument,
                      "unsupported URL scheme '" + scheme + "' (http or https): " + url);
  if (!is_loopback_host(url_part(u.get(), CURLUPART_HOST)))
    return make_error(ec::invalid_argument,
                      "plain http is only allowed for loopback hosts: " + url);
  return {};
}

// -- the engine ------------------------------------------------------------------------

// What the engine thread and the owner share. The thread keeps it alive by itself, so the
// owner may let go from any thread (even the engine thread) without joining itself.
struct engine_core {
  using completion = std::function<void(uint64_t, caf::expected<http_response>)>;

  http_client_config cfg;
  completion done;
  CURLM* multi = nullptr;
  std::mutex mtx;
  std::vector<std::pair<uint64_t, http_request>> queue;  // guarded by mtx
  bool stopping = false;                                 // guarded by mtx
  std::unordered_map<CURL*, std::unique_ptr<transfer>> active;  // engine thread only
  std::weak_ptr<engine_core> self;  // for the wakers handed to body sinks

  ~engine_core() {
    if (multi != nullptr)
      curl_multi_cleanup(multi);
  }

  bool stop_requested() {
    std::lock_guard<std::mutex> guard{mtx};
    return stopping;
  }

  caf::error setup(transfer& t) {
    t.easy = curl_easy_init();
    if (t.easy == nullptr)
      return make_error(ec::unspecified, "curl_easy_init failed");
    auto* e = t.easy;
    bool plain = lower(t.req.url.substr(0, 5)) == "http:";
    CURLcode rc = CURLE_OK;
    auto check = [&rc](CURLcode x) {
      if (rc == CURLE_OK)
        rc = x;
    };
    check(curl_easy_setopt(e, CURLOPT_URL, t.req.url.c_str()));
    check(curl_easy_setopt(e, CURLOPT_PRIVATE, &t));
    check(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf));
    check(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
    check(curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https"));
    // Our URLs are percent-encoded already, and a node's URLs must reach it unchanged:
    // curl would otherwise resolve a PID "." or ".." as a path step.
    check(curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L));
    // DataONE resolve answers 303 and we want its body, not the target.
    check(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L));
    check(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.req.timeout_ms)));
    check(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(cfg.connect_timeout_ms)));
    check(curl_easy_setopt(e, CURLOPT_USERAGENT, cfg.user_agent.c_str()));
    check(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L));
    check(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L));
    if (!cfg.ca_file.empty())
      check(curl_easy_setopt(e, CURLOPT_CAINFO, cfg.ca_file.c_str()));
    if (!cfg.client_cert.empty()) {
      check(curl_easy_setopt(e, CURLOPT_SSLCERT, cfg.client_cert.c_str()));
      check(curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM"));
    }
    if (!cfg.client_key.empty())
      check(curl_easy_setopt(e, CURLOPT_SSLKEY, cfg.client_key.c_str()));
    // Plain http only goes to loopback: never through a proxy from the environment.
    if (plain)
      check(curl_easy_setopt(e, CURLOPT_PROXY, ""));
    if (t.req.method == "HEAD")
      check(curl_easy_setopt(e, CURLOPT_NOBODY, 1L));
    else
      check(curl_easy_setopt(e, CURLOPT_HTTPGET, 1L));
    for (auto& h : t.req.headers) {
      auto line = h.name + ": " + h.value;
      auto* next = curl_slist_append(t.headers, line.c_str());
      if (next == nullptr)
        return make_error(ec::unspecified, "out of memory building request headers");
      t.headers = next;
    }
    if (t.headers != nullptr)
      check(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers));
    check(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header));
    check(curl_easy_setopt(e, CURLOPT_HEADERDATA, &t));
    check(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body));
    check(curl_easy_setopt(e, CURLOPT_WRITEDATA, &t));
    if (t.req.sink || t.req.stall_ms > 0) {
      check(curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L));
      check(curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress));
      check(curl_easy_setopt(e, CURLOPT_XFERINFODATA, &t));
    }
    if (t.req.stall_ms > 0) {
      // curl's own check (whole seconds) in case the progress callback is not called.
      check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L));
      check(curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
                             static_cast<long>((t.req.stall_ms + 999) / 1000 + 1)));
    }
    if (t.req.sink) {
      // Fewer, larger writes: each costs the sink a lock and a hash update.
      check(curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024));
      std::weak_ptr<engine_core> weak = self;
      t.req.sink->set_waker([weak] {
        if (auto core = weak.lock())
          curl_multi_wakeup(core->multi);
      });
    } else if (t.req.output_path.empty()) {
      // Fails early when Content-Length already announces too much.
      check(curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                             static_cast<curl_off_t>(t.req.max_body_bytes)));
    }
    if (rc != CURLE_OK)
      return make_error(ec::invalid_argument, std::string{"cannot set up transfer of "}
                                                + t.req.url + ": " + curl_easy_strerror(rc));
    if (!t.req.output_path.empty()) {
      t.fd = ::open(t.req.output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (t.fd < 0)
        return make_error(ec::io_error, "cannot create " + t.req.output_path + ": "
                                          + std::strerror(errno));
    }
    return {};
  }

  void start(uint64_t id, http_request req) {
    auto t = std::make_unique<transfer>();
    t->id = id;
    t->req = std::move(req);
    if (auto err = setup(*t)) {
      done(id, std::move(err));
      return;
    }
    if (auto mc = curl_multi_add_handle(multi, t->easy); mc != CURLM_OK) {
      done(id, make_error(ec::unspecified,
                          std::string{"curl_multi_add_handle: "} + curl_multi_strerror(mc)));
      return;
    }
    auto* easy = t->easy;
    active.emplace(easy, std::move(t));
  }

  caf::expected<http_response> outcome(transfer& t, CURLcode rc) {
    auto where = t.req.method + " " + t.req.url;
    if (t.sink == sink_state::failed)
      return t.req.sink->failure();
    if (t.sink == sink_state::satisfied)
      rc = CURLE_OK;
    if (t.req.sink && t.req.sink->cancelled())
      return make_error(ec::cancelled, where + ": cancelled");
    if (t.stalled)
      return make_error(ec::timeout, where + ": no byte for "
                                       + std::to_string(t.req.stall_ms) + " ms");
    if (rc == CURLE_OK && t.write_errno == 0) {
      long status = 0;
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
      char* effective = nullptr;
      curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &effective);
      t.resp.status = static_cast<uint16_t>(status);
      t.resp.effective_url = effective != nullptr ? effective : t.req.url;
      return std::move(t.resp);
    }
    if (t.too_large || rc == CURLE_FILESIZE_EXCEEDED)
      return make_error(ec::network, "response larger than "
                                       + std::to_string(t.req.max_body_bytes)
                                       + " bytes: " + where);
    if (t.write_errno != 0)
      return make_error(ec::io_error, "cannot write " + t.req.output_path + " ("
                                        + where + "): " + std::strerror(t.write_errno));
    std::string detail = t.errbuf[0] != '\0' ? t.errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_OPERATION_TIMEDOUT)
      return make_error(ec::timeout, where + ": " + detail);
    return make_error(ec::network, where + ": " + detail);
  }

  void finish(CURL* easy, CURLcode rc) {
    auto i = active.find(easy);
    if (i == active.end())
      return;
    auto t = std::move(i->second);
    active.erase(i);
    curl_multi_remove_handle(multi, easy);
    t->close_file();  // before anyone hears of it: a reader must see every byte
    auto result = outcome(*t, rc);
    if (!stop_requested())
      done(t->id, std::move(result));
  }

  // Removes transfers whose sink was cancelled at once, without waiting for curl to call
  // back (a stalled connection may not).
  void drop_cancelled() {
    std::vector<CURL*> gone;
    for (auto& [easy, t] : active)
      if (t->req.sink && t->req.sink->cancelled())
        gone.push_back(easy);
    for (auto* easy : gone)
      finish(easy, CURLE_ABORTED_BY_CALLBACK);
  }

  void run() {
    for (;;) {
      std::vector<std::pair<uint64_t, http_request>> incoming;
      {
        std::lock_guard<std::mutex> guard{mtx};
        if (stopping)
          break;
        incoming.swap(queue);
      }
      for (auto& [id, req] : incoming)
        start(id, std::move(req));
      drop_cancelled();
      int running = 0;
      curl_multi_perform(multi, &running);
      int left = 0;
      while (auto* msg = curl_multi_info_read(multi, &left))
        if (msg->msg == CURLMSG_DONE)
          finish(msg->easy_handle, msg->data.result);
      // Returns early on socket activity, curl's own timers, or curl_multi_wakeup.
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    for (auto& entry : active)
      curl_multi_remove_handle(multi, entry.first);
    active.clear();
  }
};

class curl_engine {
public:
  static caf::expected<std::unique_ptr<curl_engine>> start(http_client_config cfg,
                                                           engine_core::completion done) {
    global_init_once();
    auto core = std::make_shared<engine_core>();
    core->self = core;
    core->cfg = std::move(cfg);
    core->done = std::move(done);
    core->multi = curl_multi_init();
    if (core->multi == nullptr)
      return make_error(ec::unspecified, "curl_multi_init failed");
    curl_multi_setopt(core->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(core->cfg.max_total_connections));
    curl_multi_setopt(core->multi, CURLMOPT_MAXCONNECTS,
                      static_cast<long>(core->cfg.max_total_connections));
    std::unique_ptr<curl_engine> engine{new curl_engine(core)};
    try {
      engine->thread_ = std::thread([core] { core->run(); });
    } catch (const std::system_error& e) {
      return make_error(ec::unspecified, std::string{"cannot start the curl thread: "} + e.what());
    }
    return engine;
  }

  ~curl_engine() {
    {
      std::lock_guard<std::mutex> guard{core_->mtx};
      core_->stopping = true;
    }
    curl_multi_wakeup(core_->multi);
    if (!thread_.joinable())
      return;
    // The last reference to the actor may drop on the engine thread itself.
    if (thread_.get_id() == std::this_thread::get_id())
      thread_.detach();
    else
      thread_.join();
  }

  void submit(uint64_t id, http_request req) {
    {
      std::lock_guard<std::mutex> guard{core_->mtx};
      core_->queue.emplace_back(id, std::move(req));
    }
    curl_multi_wakeup(core_->multi);
  }

private:
  explicit curl_engine(std::shared_ptr<engine_core> core) : core_(std::move(core)) {
  }

  std::shared_ptr<engine_core> core_;
  std::thread thread_;
};

// -- the actor -------------------------------------------------------------------------

http_client_state::http_client_state() = default;

http_client_state::~http_client_state() {
  engine_.reset();
  for (auto& entry : pending_)
    entry.second.deliver(make_error(ec::cancelled, "http client stopped"));
  pending_.clear();
}

http_client_engine_actor::behavior_type
http_client(http_client_engine_actor::stateful_pointer<http_client_state> self,
            http_client_config cfg) {
  if (auto err = validate(cfg)) {
    self->quit(std::move(err));
    return http_client_engine_actor::behavior_type::make_empty_behavior();
  }
  // A weak address: the engine thread must not keep the actor alive.
  auto addr = self->address();
  auto done = [addr](uint64_t id, caf::expected<http_response> result) {
    auto hdl = caf::actor_cast<http_client_engine_actor>(addr);
    if (!hdl)
      return;
    if (result)
      caf::anon_send(hdl, http_done_atom::value, id, std::move(*result));
    else
      caf::anon_send(hdl, http_done_atom::value, id, std::move(result.error()));
  };
  auto engine = curl_engine::start(std::move(cfg), std::move(done));
  if (!engine) {
    self->quit(std::move(engine.error()));
    return http_client_engine_actor::behavior_type::make_empty_behavior();
  }
  self->state.engine_ = std::move(*engine);
  return {
    [self](http_request& req) -> caf::result<http_response> {
      if (req.method != "GET" && req.method != "HEAD")
        return make_error(ec::invalid_argument,
                          "unsupported HTTP method '" + req.method + "' (GET or HEAD)");
      if (auto err = check_url_policy(req.url))
        return err;
      auto id = self->state.next_id_++;
      auto rp = self->make_response_promise<http_response>();
      self->state.pending_.emplace(id, rp);
      self->state.engine_->submit(id, std::move(req));
      return rp;
    },
    [self](http_done_atom, uint64_t id, http_response& resp) {
      auto i = self->state.pending_.find(id);
      if (i == self->state.pending_.end())
        return;
      i->second.deliver(std::move(resp));
      self->state.pending_.erase(i);
    },
    [self](http_done_atom, uint64_t id, caf::error& err) {
      auto i = self->state.pending_.find(id);
      if (i == self->state.pending_.end())
        return;
      i->second.deliver(std::move(err));
      self->state.pending_.erase(i);
    },
  };
}

}  // namespace d1
