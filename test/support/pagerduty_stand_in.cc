// pagerduty-stand-in PORT: PagerDuty's Events API v2 on 127.0.0.1:PORT for the local
// stack (deploy/dev/local-stack.sh). Prints each event body it receives as one line
// on stdout and answers 202, until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>

#include "test/support/pagerduty_receiver.h"

namespace {

volatile std::sig_atomic_t stop = 0;

}  // namespace

int main(int argc, char** argv) {
  const int port = argc == 2 ? std::atoi(argv[1]) : 0;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "usage: pagerduty-stand-in PORT\n");
    return 2;
  }
  std::signal(SIGINT, [](int) { stop = 1; });
  std::signal(SIGTERM, [](int) { stop = 1; });
  try {
    lle::test::PagerDutyReceiver receiver(port);
    std::fprintf(stderr, "pagerduty-stand-in: listening on %s\n", receiver.url().c_str());
    std::size_t printed = 0;
    while (!stop) {
      const auto events = receiver.events();
      for (; printed < events.size(); ++printed) std::printf("%s\n", events[printed].c_str());
      std::fflush(stdout);
      timespec tick{0, 100'000'000};  // the events are polled, not waited for
      nanosleep(&tick, nullptr);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pagerduty-stand-in: %s\n", e.what());
    return 1;
  }
  return 0;
}
