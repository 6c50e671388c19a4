// The status pages' query strings ("/" and "/mine": team, state, name, sort, page;
// "/compare": services), straight from a URL. Beyond "no undefined behaviour": a
// query is either refused with a reason or gives what the pages rely on: a page
// from 1, and 1 to kMaxCompared distinct, non-empty service ids without a comma.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "exporter/web/pages.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);
  std::string why;
  if (const auto list = lle::web::parse_list_query(query, &why)) {
    if (list->page == 0) std::abort();
  } else if (why.empty()) {
    std::abort();
  }
  why.clear();
  if (auto ids = lle::web::parse_compare_query(query, &why)) {
    if (ids->empty() || ids->size() > lle::web::kMaxCompared) std::abort();
    for (const auto& id : *ids)
      if (id.empty() || id.find(',') != std::string::npos) std::abort();
    std::sort(ids->begin(), ids->end());
    if (std::adjacent_find(ids->begin(), ids->end()) != ids->end()) std::abort();
  } else if (why.empty()) {
    std::abort();
  }
  return 0;
}
