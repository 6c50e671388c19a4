// The container image, built without a Docker daemon (deploy/container/build-oci.sh:
// umoci + skopeo into an OCI archive), unpacked again and run: the binary's
// --version and check-config work from the image's root filesystem alone, as the
// image's non-root user, so every shared library it needs is in the image.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <string>

#include "test/support/files.h"
#include "test/support/process.h"

using lle::test::read_file;

BOOST_AUTO_TEST_SUITE(integration_container_image)

BOOST_AUTO_TEST_CASE(the_image_runs_the_exporter_on_its_own_root_filesystem) {
  lle::test::TempDir dir;
  const std::string out = (dir.path() / "out").string(), err = (dir.path() / "err").string();
  const auto run = [&](const std::vector<std::string>& argv) {
    return lle::test::run_to_exit(argv, out, err);
  };
  const std::string archive = (dir.path() / "image.tar").string();
  BOOST_TEST_REQUIRE(
      run({(lle::test::source_dir() / "deploy/container/build-oci.sh").string(), archive}) == 0,
      read_file(out) + read_file(err));
  BOOST_TEST(read_file(out).find("build-oci: wrote " + archive) != std::string::npos);

  const std::string layout = (dir.path() / "oci").string(),
                    bundle = (dir.path() / "bundle").string();
  BOOST_TEST_REQUIRE(run({"skopeo", "copy", "--quiet", "oci-archive:" + archive,
                          "oci:" + layout + ":unpacked"}) == 0,
                     read_file(err));
  BOOST_TEST_REQUIRE(run({"umoci", "unpack", "--image", layout + ":unpacked", bundle}) == 0,
                     read_file(err));

  // The runtime config: a non-root numeric user, the exporter as entrypoint.
  const auto config = boost::json::parse(read_file(dir.path() / "bundle/config.json"));
  BOOST_TEST(config.at("process").at("user").at("uid").as_int64() == 65534);
  BOOST_TEST(config.at("process").at("args").at(0).as_string() ==
             "/usr/local/bin/loki-latency-exporter");

  const std::string rootfs = bundle + "/rootfs";
  BOOST_TEST(run({"chroot", "--userspec=65534:65534", rootfs,
                  "/usr/local/bin/loki-latency-exporter", "--version"}) == 0,
             read_file(err));
  BOOST_TEST(read_file(out).starts_with("loki-latency-exporter "));
  BOOST_TEST(
      run({"chroot", "--userspec=65534:65534", rootfs, "/usr/local/bin/loki-latency-exporter",
           "check-config", "--config", "/etc/loki-latency-exporter/exporter.yaml"}) == 0,
      read_file(out) + read_file(err));
  BOOST_TEST(read_file(out).find("valid (6 services") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
