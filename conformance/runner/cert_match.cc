#include "conformance/runner/cert_match.h"

#include <string>
#include <vector>

#include "conformance/runner/model_json.h"
#include "mocks/pki/pki.h"
#include "tls/verify.h"

namespace mxconform::conformance {
namespace {

// The evaluation time: any fixed instant inside the leaf's validity.
constexpr UnixSeconds kClock = 1800000000;

std::vector<std::string> Strings(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& x : list) {
    if (x.is_string()) {
      out.push_back(x.get<std::string>());
    }
  }
  return out;
}

}  // namespace

Result<nlohmann::json> EvaluateCertMatch(const nlohmann::json& input) {
  namespace pki = mxconform::mocks::pki;
  pki::CertSpec root;
  root.name = "root";
  root.ca = true;
  root.common_name = "mxconform cert-match root";
  pki::CertSpec leaf;
  leaf.name = "leaf";
  leaf.issuer = "root";
  leaf.common_name = TextField(input, "common_name");
  leaf.dns_names = Strings(ListField(input, "dns_names"));
  leaf.ip_addresses = Strings(ListField(input, "ip_addresses"));
  auto built = pki::Pki::Build({root, leaf}, kClock);
  if (!built) {
    return built.error();
  }
  const auto& certs = *built.value();
  auto trust = tls::TrustStore::FromPem(certs.CertPem("root"));
  if (!trust) {
    return trust.error();
  }
  tls::VerifyOptions opts;
  opts.time = kClock;
  const tls::VerifyResult v =
      tls::Verify({certs.Cert("leaf")}, *trust, TextField(input, "host"), opts);
  return nlohmann::json{{"match", v.ok()},
                        {"result_type", std::string(tls::CertFailureResultType(v.failure))},
                        {"detail", JsonText(v.detail)}};
}

}  // namespace mxconform::conformance
