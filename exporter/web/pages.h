#pragma once
// The built-in status pages (docs/dashboard.md): "/" lists the services with their
// P95 now, threshold, baseline and whether they breach, a page at a time, filtered
// and sorted by its query; "/service/<id>" draws one service's 7-day trend of
// 5-minute P95s as SVG, with the threshold, the baseline and the breach intervals,
// and its data-quality counts; "/team/<id>" a team's trend over all its services'
// lines and its services, breaching first; "/compare?services=a,b" up to 8 services'
// trends on one chart. Plain HTML and inline SVG: no external
// assets, no JavaScript, readable at phone width.
// Pure functions of what they are given; the caller decides what may be shown.

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exporter/metrics/translate.h"

namespace lle::web {

std::string html_escape(const std::string& s);

// One service as the pages show it.
struct StatusRow {
  core::ServiceInfo info;
  window::ServiceView view;
  window::Trend trend;                 // may be null: no trend yet
  double threshold_ms = std::nan("");  // NaN: no alert policy
  std::string threshold_source;        // "default", "policy", "api"
  // With a trace_id field: the slowest line of each hour (window::Exemplars), which
  // the breach list shows inside each breach. May be null.
  std::shared_ptr<const std::vector<window::Exemplar>> slowest_by_hour;
};

// What "/" shows of the rows: a filter, an order and a page.
struct ListQuery {
  enum class Order { kBreachingFirst, kName, kP95 };
  enum class State { kAny, kBreaching, kOk };
  std::string team;  // "" = every team
  State state = State::kAny;
  std::string name;  // part of the id or display name, any case
  Order order = Order::kBreachingFirst;
  std::size_t page = 1;  // from 1
  bool mine = false;     // the list is /mine: the caller's services only
  static constexpr std::size_t kPerPage = 100;
};
// "/"'s query string (team, state, name, sort, page); nullopt and *why if bad.
std::optional<ListQuery> parse_list_query(std::string_view query, std::string* why);

// who: the engineer the page is for ("" when the API's access control is off).
// rows: every service the engineer may see; the query picks the page shown.
std::string landing_page(const metrics::Published& state, const std::vector<StatusRow>& rows,
                         const std::string& who, const ListQuery& query);
std::string service_page(const metrics::Published& state, const StatusRow& row);
// members: the team's services that the engineer may see.
std::string team_page(const metrics::Published& state, const window::TeamView& team,
                      const window::Trend& trend, const std::vector<StatusRow>& members);

// "/compare": up to kMaxCompared services' trends on one chart, with their P95s.
inline constexpr std::size_t kMaxCompared = 8;
// The ids in "/compare"'s query (services=a,b,c: 1 to kMaxCompared, none twice), in
// order; nullopt and *why if bad.
std::optional<std::vector<std::string>> parse_compare_query(std::string_view query,
                                                            std::string* why);
// rows: the services compared, in the order given.
std::string compare_page(const metrics::Published& state, const std::vector<StatusRow>& rows);

// The chart alone (for tests): the trend ending at end_ns, 7 days wide, over the
// week before's (drawn a week later, in grey) if given.
std::string trend_svg(const std::vector<window::TrendPoint>& trend, std::int64_t end_ns,
                      double threshold_seconds, double baseline_seconds,
                      const std::vector<window::TrendPoint>& week_before = {});

}  // namespace lle::web
