#include "exporter/ingest/pipeline.h"

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace lle::ingest {

parse::Rules rules_from(const config::Config& c) {
  parse::Rules r{c.parsing, {}};
  // The other fleet members' services after this one's: their lines are known
  // and left to them, not rejected as of an unknown service.
  for (const auto* list : {&c.services, &c.fleet.elsewhere}) {
    for (const auto& s : *list)
      r.services.push_back({s.match_labels, s.match_field, s.latency_field, s.latency_unit});
  }
  return r;
}

namespace {
// The stream's labels as a LogQL selector, {name="value",...}.
void stream_selector(std::span<const core::Label> labels, std::string& out) {
  out.assign(1, '{');
  for (const auto& l : labels) {
    if (out.size() > 1) out += ',';
    out.append(l.name).append("=\"");
    for (const char c : l.value) {
      if (c == '"' || c == '\\' || c == '\n') out += '\\';
      out += c == '\n' ? 'n' : c;
    }
    out += '"';
  }
  out += '}';
}

std::vector<core::ServiceInfo> infos(const config::Config& c) {
  std::vector<core::ServiceInfo> out;
  for (const auto& s : c.services) out.push_back(s.info);
  return out;
}
}  // namespace

Pipeline::Pipeline(const config::Config& c, metrics::ExporterStatus status)
    : parser_(rules_from(c)),
      store_(infos(c), c.windows),
      status_(std::move(status)),
      max_future_skew_ns_(c.windows.max_future_skew_ns),
      exemplars_on_(!c.parsing.trace_id_field.empty()),
      owned_(static_cast<int>(c.services.size())),
      counts_unclaimed_(c.fleet.member == 0) {
  status_.fleet = {c.fleet.members, c.fleet.member};
}

std::optional<parse::ParsedLine> Pipeline::parse_counted(const core::Entry& entry,
                                                         std::int64_t now_ns) {
  auto& in = status_.input;
  ++in.lines_read;
  // A line stamped beyond the future skew is rejected; it must not move this either.
  if (entry.timestamp_ns > in.last_event_ns &&
      entry.timestamp_ns <= core::saturating_add(now_ns, max_future_skew_ns_)) {
    in.last_event_ns = entry.timestamp_ns;
  }
  const parse::ParsedLine p = parser_.parse(entry, scratch_);
  // Fleet mode: another member's service, or (member 0 counts them) no service.
  if (p.service >= owned_ || (p.service < 0 && !counts_unclaimed_)) {
    ++in.lines_elsewhere;
    return std::nullopt;
  }
  if (p.reject) store_.reject(p.service, *p.reject);
  return p;
}

std::optional<core::RejectReason> Pipeline::on_entry(const core::Entry& entry,
                                                     std::int64_t now_ns) {
  flush();  // in order after any held line
  const auto p = parse_counted(entry, now_ns);
  if (!p) return std::nullopt;
  if (p->reject) return p->reject;
  const auto service = static_cast<std::size_t>(p->service);
  const auto r = store_.add(service, entry.timestamp_ns, p->latency_seconds, p->status, now_ns);
  // flush() emptied the ring: its first exemplar is free.
  if (exemplars_on_ && !r && take_exemplar(entry, *p, held_exemplars_[0]))
    store_.put_exemplar(service, held_exemplars_[0]);
  return r;
}

bool Pipeline::take_exemplar(const core::Entry& entry, const parse::ParsedLine& p,
                             window::Exemplar& out) const {
  // Cheapest first: most lines have an id, and their range wants none.
  if (p.trace_id.empty() ||
      !store_.wants_exemplar(static_cast<std::size_t>(p.service), p.latency_seconds,
                             entry.timestamp_ns) ||
      !window::Exemplars::usable_id(p.trace_id)) {
    return false;
  }
  out.id.assign(p.trace_id);
  stream_selector(entry.labels, out.stream);
  out.seconds = p.latency_seconds;
  out.ts_ns = entry.timestamp_ns;
  return true;
}

void Pipeline::hold_entry(const core::Entry& entry, std::int64_t now_ns) {
  const auto p = parse_counted(entry, now_ns);
  if (!p || p->reject) return;
  const auto service = static_cast<std::size_t>(p->service);
  store_.prefetch_window(service);
  const std::size_t n = held_end_ - held_begin_;
  if (n >= kMinuteAfter)
    store_.prefetch_minute(held_[(held_end_ - kMinuteAfter) % held_.size()].service);
  if (n >= kBucketAfter) {
    const Held& h = held_[(held_end_ - kBucketAfter) % held_.size()];
    store_.prefetch_bucket(h.service, h.seconds);
  }
  if (exemplars_on_) [[unlikely]]
    stage_exemplar(entry, *p, held_end_ % held_.size());
  held_[held_end_++ % held_.size()] = {service, entry.timestamp_ns, now_ns, p->latency_seconds,
                                       p->status};
  if (n + 1 > kHeld) add_held();
}

void Pipeline::add_held() {
  const std::size_t at = held_begin_++ % held_.size();
  const Held& h = held_[at];
  const auto r = store_.add(h.service, h.timestamp_ns, h.seconds, h.status, h.now_ns);
  if (exemplars_on_ && !r) [[unlikely]]
    keep_exemplar(h.service, at);
}

// Out of line: without a trace_id field the held lines' path stays as it was.
void Pipeline::stage_exemplar(const core::Entry& entry, const parse::ParsedLine& p,
                              std::size_t at) {
  auto& e = held_exemplars_[at];
  if (!take_exemplar(entry, p, e)) e.id.clear();
}

void Pipeline::keep_exemplar(std::size_t service, std::size_t at) {
  if (!held_exemplars_[at].id.empty()) store_.put_exemplar(service, held_exemplars_[at]);
}

void Pipeline::flush() {
  while (held_begin_ != held_end_) add_held();
}

parse::DecodeResult Pipeline::on_record(std::string_view json, std::int64_t now_ns) {
  const auto started = std::chrono::steady_clock::now();
  auto r = decoder_.decode(json, [&](const core::Entry& e) { on_entry(e, now_ns); });
  auto& in = status_.input;
  ++in.records_read;
  in.malformed_entries += r.bad_entries;
  if (!r.error.empty()) ++in.malformed_records;
  in.parse_seconds_total +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return r;
}

std::shared_ptr<const metrics::Published> Pipeline::publish(std::int64_t now_ns) {
  flush();
  return std::make_shared<const metrics::Published>(
      metrics::Published{store_.snapshot(now_ns), status_});
}

source::Hooks hooks_into(Pipeline& pipeline, std::function<void(const std::string&)> ended) {
  return {[&pipeline](const core::Entry& e, std::int64_t now) {
            return pipeline.on_entry(e, now) != core::RejectReason::kTooLate;
          },
          [&pipeline](const core::Entry& e, std::int64_t now) { pipeline.hold_entry(e, now); },
          [&pipeline](const source::Progress& p) {
            pipeline.flush();
            auto& in = pipeline.input();
            in.records_read += p.records;
            in.malformed_records += p.malformed_records;
            in.malformed_entries += p.malformed_entries;
            in.parse_seconds_total += p.busy_seconds;
          },
          std::move(ended),
          [&pipeline](int service, bool filling) {
            pipeline.store().set_filling(static_cast<std::size_t>(service), filling);
          }};
}

ReplayEnd replay_into(source::Replay& replay, Pipeline& pipeline) {
  ReplayEnd end;
  boost::asio::io_context io;
  replay.start(io, hooks_into(pipeline, [&end](const std::string& error) { end.error = error; }));
  io.run();
  // A finished replay has nothing more to deliver; run --replay and dq-report
  // then hold the same lines in every window.
  pipeline.store().close_open_minutes();
  end.now_ns = replay.vouched_ns();
  return end;
}

}  // namespace lle::ingest
