#include "exporter/app/pages.h"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(app_pages)

BOOST_AUTO_TEST_CASE(service_names_are_escaped_in_the_landing_page) {
  lle::metrics::Published p;
  p.snapshot.services = std::make_shared<const std::vector<lle::core::ServiceInfo>>(
      std::vector<lle::core::ServiceInfo>{
          {"x", "<script>alert('&')</script>", "t\"eam", "1", {"o"}}});
  p.snapshot.views.resize(1);
  p.status.version = "1.0";
  const std::string html = lle::app::landing_page(p);
  BOOST_TEST(html.find("<script>") == std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;alert(&#39;&amp;&#39;)&lt;/script&gt;") != std::string::npos);
  BOOST_TEST(html.find("t&quot;eam") != std::string::npos);
  BOOST_TEST(html.find("href=\"/metrics\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
