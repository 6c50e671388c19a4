// The REST API as request -> response through the web module's route table,
// from untrusted bytes split at newlines into method, path, query, body and
// If-Match (the caller is an owner). Every
// answer is a status below 500 with a valid JSON body, and nothing has
// undefined behaviour.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "exporter/api/handlers.h"
#include "exporter/core/clock.h"
#include "exporter/log/log.h"
#include "exporter/web/routes.h"
#include "test/fuzz/scratch_dir.h"

namespace {

struct World {
  lle::core::ManualClock clock{1'763'625'600LL * 1'000'000'000LL};
  std::shared_ptr<const lle::config::Config> cfg;
  std::unique_ptr<lle::api::ThresholdStore> store;
  std::unique_ptr<lle::api::Api> api;
  lle::window::Snapshot state;
  lle::web::Router router;

  World() {
    lle::log::configure(lle::log::Format::kText, lle::log::Level::kError);
    const std::string dir = lle::fuzz::make_scratch_dir("lle-fuzz-api");
    const std::string data = std::string(LLE_SOURCE_DIR) + "/test/testdata/api";
    std::ofstream(dir + "/tokens") << "";
    std::ofstream(dir + "/exporter.yaml")
        << "services_file: " << data << "/services.yaml\n"
        << "alerting: {policy_file: " << data << "/alert-rules.yaml, thresholds_file: "
        << "thresholds.json, audit_log: audit.jsonl, rules_file: rules.yaml}\n"
        << "api: {max_body_bytes: 256, auth: {tokens_file: tokens}}\n";
    cfg = std::make_shared<const lle::config::Config>(lle::config::load(dir + "/exporter.yaml"));
    store = std::make_unique<lle::api::ThresholdStore>(cfg->thresholds);
    lle::api::Credentials creds;
    creds.engineer_by_token_sha256[lle::api::sha256_hex("alice-token")] = "alice";
    api = std::make_unique<lle::api::Api>(cfg, creds, *store, lle::api::Api::Hooks{}, clock);
    std::vector<lle::core::ServiceInfo> infos;
    for (const auto& s : cfg->services) infos.push_back(s.info);
    lle::window::Store windows(infos, {});
    const std::int64_t now = clock.now_ns();
    for (int m = 0; m < 120; ++m) windows.add(0, now - m * 60'000'000'000LL, 0.1, 200, now);
    state = windows.snapshot(now);
    lle::web::add_api_routes(
        router,
        [this] { return std::shared_ptr<const lle::api::Api>(std::shared_ptr<void>(), api.get()); },
        [this] {
          return std::shared_ptr<const lle::window::Snapshot>(std::shared_ptr<void>(), &state);
        });
  }
};

std::string_view next(std::string_view& rest) {
  const auto nl = rest.find('\n');
  const auto part = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  lle::web::HttpRequest r;
  r.method = next(rest);
  r.path = next(rest);
  r.query = next(rest);
  r.headers = {{"Authorization", "Bearer alice-token"}, {"If-Match", std::string(next(rest))}};
  r.body = rest;
  r.peer = "127.0.0.1";
  lle::web::HttpResponse out;
  out.status = 0;
  world.router.dispatch(r, [&](lle::web::HttpResponse x) { out = std::move(x); });
  boost::system::error_code ec;
  boost::json::parse(out.body, ec);
  if (out.status < 200 || out.status >= 500 || ec || out.content_type != "application/json")
    std::abort();
  return 0;
}
