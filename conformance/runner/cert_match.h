// The cert-match case kind (conformance/vectors/cert-match.yaml): does the
// reference sender's certificate check (src/tls, RFC 8461 §4.2 and RFC 6125
// / 9525 host matching) accept a leaf with the given names for an MX host?
// Each case gets a fresh test PKI (mocks/pki): a root, and a leaf it signed,
// valid at the evaluation time, with the case's subjectAltName dNSName and
// iPAddress entries and subject CN. Only the names vary, so a refusal is
// the host name's; `result_type` says which TLS-RPT result it reports.
#pragma once

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace mxconform::conformance {

// `input`: {host, dns_names: [...], ip_addresses: [...], common_name} (host
// required; the lint checks the shape). Returns {match, result_type,
// detail}: match when the chain verifies for host, else the RFC 8460 result
// type of the failure and OpenSSL's reason with the names tried. Errors:
// those of mocks::pki::Pki::Build (an address that does not parse, a CN
// OpenSSL refuses) and tls::TrustStore::FromPem.
Result<nlohmann::json> EvaluateCertMatch(const nlohmann::json& input);

}  // namespace mxconform::conformance
