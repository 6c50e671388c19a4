#pragma once
// The HTML landing page at "/": what this exporter is and where its endpoints are.

#include <string>

#include "exporter/metrics/translate.h"

namespace lle::app {

std::string html_escape(const std::string& s);
std::string landing_page(const metrics::Published& state);

}  // namespace lle::app
