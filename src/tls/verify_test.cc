#include "tls/verify.h"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "common/text.h"
#include "mocks/pki/pki.h"

namespace mxconform::tls {
namespace {

using mocks::pki::CertSpec;
using mocks::pki::Digest;
using mocks::pki::KeyType;
using mocks::pki::Pki;

constexpr UnixSeconds kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;

CertSpec Ca(std::string name, std::string issuer, std::string cn) {
  CertSpec s;
  s.name = std::move(name);
  s.issuer = std::move(issuer);
  s.ca = true;
  s.common_name = std::move(cn);
  s.not_before = -365 * kDay;
  s.not_after = 3650 * kDay;
  return s;
}

CertSpec Leaf(std::string name, std::string issuer, std::vector<std::string> dns,
              std::string cn = "mx.example.com") {
  CertSpec s;
  s.name = std::move(name);
  s.issuer = std::move(issuer);
  s.common_name = std::move(cn);
  s.dns_names = std::move(dns);
  return s;
}

std::vector<CertSpec> Specs() {
  std::vector<CertSpec> s = {
      Ca("root", "", "Test Root"),
      Ca("inter", "root", "Test Intermediate"),
      Ca("evil_root", "", "Evil Root"),
      Leaf("mx", "inter", {"mx.example.com"}),
      Leaf("self", "", {"mx.example.com"}),
      Leaf("evil", "evil_root", {"mx.example.com"}),
      Leaf("wrong_san", "inter", {"other.example.net"}),
      Leaf("cn_only", "inter", {}),
      Leaf("cn_and_san", "inter", {"other.example.net"}),
      Leaf("wild", "inter", {"*.example.com"}),
      Leaf("partial", "inter", {"m*.example.com"}),
      Leaf("deep", "inter", {"*.*.example.com"}),
      Leaf("expired", "inter", {"mx.example.com"}),
      Leaf("future", "inter", {"mx.example.com"}),
      Leaf("expired_wrong_san", "inter", {"other.example.net"}),
      Leaf("untrusted_wrong_san", "evil_root", {"other.example.net"}),
      Leaf("weak", "inter", {"mx.example.com"}),
      Leaf("weak_expired", "inter", {"mx.example.com"}),
      Leaf("sha1", "inter", {"mx.example.com"}),
      Leaf("sha1_wrong_san", "inter", {"other.example.net"}),
      Leaf("address_dns_ids", "inter", {"192.0.2.25", "2001:db8::25"}),
      Leaf("client_auth", "inter", {"mx.example.com"}),
      Leaf("leaf_ca", "inter", {"relay.example.com"}),
      Leaf("under_leaf", "leaf_ca", {"mx.example.com"}),
      Ca("constrained", "root", "Constrained Intermediate"),
      Leaf("inside", "constrained", {"mx.example.net"}),
      Leaf("outside", "constrained", {"mx.example.com"}),
  };
  for (CertSpec& c : s) {
    if (c.name == "expired" || c.name == "expired_wrong_san" || c.name == "weak_expired") {
      c.not_before = -100 * kDay;
      c.not_after = -kDay;
    } else if (c.name == "future") {
      c.not_before = kDay;
      c.not_after = 100 * kDay;
    }
    if (c.name.rfind("weak", 0) == 0) {
      c.key = KeyType::kRsa1024;
    }
    if (c.name.rfind("sha1", 0) == 0) {
      c.digest = Digest::kSha1;
    }
    c.client_auth_only = c.name == "client_auth";
    c.leaf_issuer = c.name == "leaf_ca";
    if (c.name == "constrained") {
      c.permitted_dns = {"example.net"};
    }
  }
  return s;
}

class VerifyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto built = Pki::Build(Specs(), kStart);
    ASSERT_TRUE(built.ok()) << built.error().Text();
    pki_ = new std::shared_ptr<const Pki>(built.value());
    auto trust = TrustStore::FromPem((*pki_)->BundlePem({"root"}));
    ASSERT_TRUE(trust.ok()) << trust.error().Text();
    trust_ = new TrustStore(std::move(trust.value()));
  }
  static void TearDownTestSuite() {
    delete trust_;
    trust_ = nullptr;
    delete pki_;
    pki_ = nullptr;
  }

  static const Pki& pki() { return **pki_; }

  static VerifyOptions Options(UnixSeconds time = kStart) {
    VerifyOptions o;
    o.time = time;
    return o;
  }
  // Verifies `leaf`'s chain (with its intermediates) for `host`; by default
  // at the clock start, security level 2, no CN.
  static VerifyResult Check(std::string_view leaf, std::string_view host,
                            const VerifyOptions& opts) {
    return Verify(pki().Chain(leaf), *trust_, host, opts);
  }
  static VerifyResult Check(std::string_view leaf, std::string_view host) {
    return Check(leaf, host, Options());
  }

  static std::shared_ptr<const Pki>* pki_;
  static TrustStore* trust_;
};

std::shared_ptr<const Pki>* VerifyTest::pki_ = nullptr;
TrustStore* VerifyTest::trust_ = nullptr;

TEST_F(VerifyTest, ValidChainPasses) {
  VerifyResult r = Check("mx", "mx.example.com");
  EXPECT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.failure, CertFailure::kNone);
  EXPECT_EQ(r.detail, "");
}

TEST_F(VerifyTest, ExpiredIsCertificateExpired) {
  VerifyResult r = Check("expired", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kExpired);
  EXPECT_EQ(r.detail, "certificate has expired");
}

TEST_F(VerifyTest, NotYetValidIsCertificateExpired) {
  VerifyResult r = Check("future", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kExpired);
  EXPECT_EQ(r.detail, "certificate is not yet valid");
}

TEST_F(VerifyTest, VirtualTimeMatters) {
  EXPECT_TRUE(Check("mx", "mx.example.com", Options(kStart)).ok());
  EXPECT_TRUE(Check("mx", "mx.example.com", Options(kStart + 89 * kDay)).ok());
  EXPECT_EQ(Check("mx", "mx.example.com", Options(kStart + 100 * kDay)).failure,
            CertFailure::kExpired);
  EXPECT_EQ(Check("mx", "mx.example.com", Options(kStart - 2 * kDay)).failure,
            CertFailure::kExpired);
  // The not-yet-valid leaf is fine once the clock reaches it.
  EXPECT_TRUE(Check("future", "mx.example.com", Options(kStart + 2 * kDay)).ok());
}

TEST_F(VerifyTest, ZeroTimeMeansNow) {
  // A PKI whose clock start lies 1000 days back: its leaf (valid for 90
  // days) has expired by now.
  CertSpec root = Ca("root", "", "Old Root");
  CertSpec leaf = Leaf("mx", "root", {"mx.example.com"});
  auto old = Pki::Build({root, leaf}, std::time(nullptr) - 1000 * kDay);
  ASSERT_TRUE(old.ok());
  auto trust = TrustStore::FromPem((*old)->BundlePem({"root"}));
  ASSERT_TRUE(trust.ok());
  VerifyOptions opts;  // time = 0
  EXPECT_EQ(Verify((*old)->Chain("mx"), *trust, "mx.example.com", opts).failure,
            CertFailure::kExpired);
  opts.time = std::time(nullptr) - 1000 * kDay;
  EXPECT_TRUE(Verify((*old)->Chain("mx"), *trust, "mx.example.com", opts).ok());
}

TEST_F(VerifyTest, UntrustedRootIsNotTrusted) {
  VerifyResult r = Check("evil", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
  EXPECT_EQ(r.detail, "unable to get local issuer certificate");
  // The same, with the peer sending its root along.
  r = Verify({pki().Cert("evil"), pki().Cert("evil_root")}, *trust_, "mx.example.com", Options());
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
  EXPECT_EQ(r.detail, "self-signed certificate in certificate chain");
}

TEST_F(VerifyTest, SelfSignedIsNotTrusted) {
  VerifyResult r = Check("self", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
  EXPECT_EQ(r.detail, "self-signed certificate");
}

TEST_F(VerifyTest, MissingIntermediateIsNotTrusted) {
  VerifyResult r = Verify(pki().Chain("mx", false), *trust_, "mx.example.com", Options());
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
  EXPECT_EQ(r.detail, "unable to get local issuer certificate");
}

TEST_F(VerifyTest, IntermediateInTheStoreIsNoTrustAnchor) {
  // X509_V_FLAG_PARTIAL_CHAIN stays off: only a self-signed root anchors.
  auto only_inter = TrustStore::FromPem(pki().BundlePem({"inter"}));
  ASSERT_TRUE(only_inter.ok());
  VerifyResult r = Verify(pki().Chain("mx"), *only_inter, "mx.example.com", Options());
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
}

TEST_F(VerifyTest, SecondRootInTheBundleIsTrusted) {
  auto both = TrustStore::FromPem(pki().BundlePem({"root", "evil_root"}));
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(Verify(pki().Chain("evil"), *both, "mx.example.com", Options()).ok());
  EXPECT_TRUE(Verify(pki().Chain("mx"), *both, "mx.example.com", Options()).ok());
}

TEST_F(VerifyTest, WrongSanIsHostMismatch) {
  VerifyResult r = Check("wrong_san", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kHostMismatch);
  EXPECT_EQ(r.detail, "hostname mismatch: mx.example.com against dNSName other.example.net");
  // The chain is otherwise fine: the name it carries passes.
  EXPECT_TRUE(Check("wrong_san", "other.example.net").ok());
}

TEST_F(VerifyTest, CnOnlyNeedsAllowCn) {
  VerifyResult r = Check("cn_only", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kHostMismatch);
  EXPECT_EQ(r.detail, "hostname mismatch: mx.example.com against CN (not allowed) mx.example.com");
  VerifyOptions opts = Options();
  opts.allow_cn = true;
  EXPECT_TRUE(Check("cn_only", "mx.example.com", opts).ok());
  EXPECT_EQ(Check("cn_only", "other.example.com", opts).failure, CertFailure::kHostMismatch);
  // RFC 6125 §6.4.4: with a dNSName present, the CN is never consulted.
  EXPECT_EQ(Check("cn_and_san", "mx.example.com", opts).failure, CertFailure::kHostMismatch);
}

TEST_F(VerifyTest, WildcardMatchesExactlyOneLeftMostLabel) {
  EXPECT_TRUE(Check("wild", "mx.example.com").ok());
  EXPECT_TRUE(Check("wild", "mx2.example.com").ok());
  EXPECT_EQ(Check("wild", "example.com").failure, CertFailure::kHostMismatch);
  EXPECT_EQ(Check("wild", "a.b.example.com").failure, CertFailure::kHostMismatch);
  EXPECT_EQ(Check("wild", "mx.example.org").failure, CertFailure::kHostMismatch);
}

TEST_F(VerifyTest, PartialWildcardRefused) {
  EXPECT_EQ(Check("partial", "mx.example.com").failure, CertFailure::kHostMismatch);
  EXPECT_EQ(Check("partial", "m.example.com").failure, CertFailure::kHostMismatch);
}

TEST_F(VerifyTest, TwoLabelWildcardMatchesNothing) {
  for (const char* host : {"a.b.example.com", "mx.example.com", "example.com", "a.example.com"}) {
    EXPECT_EQ(Check("deep", host).failure, CertFailure::kHostMismatch) << host;
  }
}

TEST_F(VerifyTest, HostMatchIsCaseInsensitive) {
  EXPECT_TRUE(Check("mx", "MX.Example.COM").ok());
  EXPECT_TRUE(Check("wild", "MX.EXAMPLE.COM").ok());
}

// CERT-PKIX-02: a leaf for TLS clients only (EKU clientAuth) fails the
// ssl_server purpose: kValidation.
TEST_F(VerifyTest, ClientAuthOnlyLeafIsValidationFailure) {
  const VerifyResult r = Check("client_auth", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kValidation);
  EXPECT_NE(r.detail.find("purpose"), std::string::npos) << r.detail;
}

// CERT-PKIX-02, RFC 5280 §4.2.1.9: a leaf (CA:FALSE) that signs another
// certificate makes no valid path, whatever the name: certificate-not-trusted
// (the catalogue's reading), not validation-failure as before.
TEST_F(VerifyTest, ALeafSignedByALeafIsNotTrusted) {
  const VerifyResult r = Check("under_leaf", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
  EXPECT_NE(r.detail.find("invalid CA certificate"), std::string::npos) << r.detail;
  EXPECT_EQ(Check("leaf_ca", "relay.example.com").failure, CertFailure::kNone);
}

// CERT-PKIX-02, RFC 5280 §4.2.1.10: a CA whose name constraints permit
// example.net vouches for mx.example.net, not for mx.example.com.
TEST_F(VerifyTest, ANameOutsideTheNameConstraintsIsNotTrusted) {
  EXPECT_EQ(Check("inside", "mx.example.net").failure, CertFailure::kNone);
  const VerifyResult r = Check("outside", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kNotTrusted);
  EXPECT_NE(r.detail.find("permitted subtree violation"), std::string::npos) << r.detail;
}

// C15: a dNSName spelling an address does not vouch for the address, and
// an address literal is no host name (RFC 1123 §2.1).
TEST_F(VerifyTest, AddressLiteralIsNeverAHostName) {
  for (const char* host : {"192.0.2.25", "192.0.2.25.", "2001:db8::25"}) {
    const VerifyResult r = Check("address_dns_ids", host);
    EXPECT_EQ(r.failure, CertFailure::kHostMismatch) << host;
    EXPECT_NE(r.detail.find("an IP address is not a host name"), std::string::npos) << r.detail;
  }
  // A name with a numeric label but an alphabetic last label is a name.
  EXPECT_TRUE(Check("mx", "mx.example.com").ok());
}

// A reference identifier is a domain name: OpenSSL reads a leading '.' as
// "any subdomain at any depth", so ".example.com" matched mx.example.com's
// certificate (and a wildcard SAN). None of these is a name to match.
TEST_F(VerifyTest, ALeadingDotEmptyLabelOrWildcardHostMatchesNothing) {
  for (const char* host : {".example.com", ".com", "..example.com", "mx..example.com",
                           "*.example.com", "mx.*.com", ".mx.example.com"}) {
    for (const char* cert : {"mx", "wild"}) {
      const VerifyResult r = Check(cert, host);
      EXPECT_EQ(r.failure, CertFailure::kHostMismatch) << cert << " " << host;
    }
  }
  EXPECT_TRUE(Check("mx", "mx.example.com").ok());
}

// OpenSSL drops one NUL at the end of the name it checks, so a host
// "mx.example.com\0" matched mx.example.com (review finding); a NUL
// anywhere is no domain name.
TEST_F(VerifyTest, AHostWithANulMatchesNothing) {
  using namespace std::string_literals;
  for (const std::string& host :
       {"mx.example.com\0"s, "mx.example.com.\0"s, "mx\0.example.com"s, "\0mx.example.com"s}) {
    for (const char* cert : {"mx", "wild"}) {
      EXPECT_EQ(Check(cert, host).failure, CertFailure::kHostMismatch)
          << cert << " " << mxconform::text::Printable(host);
    }
  }
}

TEST_F(VerifyTest, OneTrailingDotIsTheRootLabel) {
  EXPECT_TRUE(Check("mx", "mx.example.com.").ok());
  EXPECT_TRUE(Check("wild", "mx.example.com.").ok());
  EXPECT_EQ(Check("mx", "mx.example.com..").failure, CertFailure::kHostMismatch);
  EXPECT_EQ(Check("mx", ".").failure, CertFailure::kHostMismatch);
  EXPECT_EQ(Check("mx", "").failure, CertFailure::kHostMismatch);
  EXPECT_EQ(Check("wrong_san", "mx.example.com.").failure, CertFailure::kHostMismatch);
}

TEST_F(VerifyTest, WeakRsaKeyDependsOnSecurityLevel) {
  VerifyOptions opts = Options();
  VerifyResult r = Check("weak", "mx.example.com", opts);
  EXPECT_EQ(r.failure, CertFailure::kValidation);
  EXPECT_EQ(r.detail, "EE certificate key too weak");
  opts.security_level = 1;  // 80 bits: a 1024-bit RSA key passes
  EXPECT_TRUE(Check("weak", "mx.example.com", opts).ok());
  opts.security_level = 0;
  EXPECT_TRUE(Check("weak", "mx.example.com", opts).ok());
}

TEST_F(VerifyTest, Sha1SignatureDependsOnSecurityLevel) {
  VerifyOptions opts = Options();
  VerifyResult r = Check("sha1", "mx.example.com", opts);
  EXPECT_EQ(r.failure, CertFailure::kValidation);
  EXPECT_EQ(r.detail, "CA signature digest algorithm too weak");
  opts.security_level = 1;  // OpenSSL 3 counts SHA-1 as 63 bits, below level 1's 80
  EXPECT_EQ(Check("sha1", "mx.example.com", opts).failure, CertFailure::kValidation);
  opts.security_level = 0;
  EXPECT_TRUE(Check("sha1", "mx.example.com", opts).ok());
}

// Several problems at once: OpenSSL stops at the first check that fails, in
// the order documented in verify.h.
TEST_F(VerifyTest, HostMismatchWinsOverExpired) {
  VerifyResult r = Check("expired_wrong_san", "mx.example.com");
  EXPECT_EQ(r.failure, CertFailure::kHostMismatch);
  // With the right name, the expiry shows.
  EXPECT_EQ(Check("expired_wrong_san", "other.example.net").failure, CertFailure::kExpired);
}

TEST_F(VerifyTest, NotTrustedWinsOverHostMismatch) {
  EXPECT_EQ(Check("untrusted_wrong_san", "mx.example.com").failure, CertFailure::kNotTrusted);
}

TEST_F(VerifyTest, WeakDigestWinsOverHostMismatch) {
  EXPECT_EQ(Check("sha1_wrong_san", "mx.example.com").failure, CertFailure::kValidation);
}

TEST_F(VerifyTest, WeakLeafKeyWinsOverEverything) {
  // The leaf key is checked before the chain is even built.
  EXPECT_EQ(Check("weak_expired", "other.example.net").failure, CertFailure::kValidation);
  VerifyResult r = Verify({pki().Cert("weak_expired")}, *trust_, "other.example.net", Options());
  EXPECT_EQ(r.failure, CertFailure::kValidation);
  EXPECT_EQ(r.detail, "EE certificate key too weak");
}

TEST_F(VerifyTest, EmptyChainIsValidationFailure) {
  VerifyResult r = Verify({}, *trust_, "mx.example.com", Options());
  EXPECT_EQ(r.failure, CertFailure::kValidation);
  r = Verify({nullptr}, *trust_, "mx.example.com", Options());
  EXPECT_EQ(r.failure, CertFailure::kValidation);
}

TEST_F(VerifyTest, MovedFromTrustStoreIsValidationFailure) {
  auto t = TrustStore::FromPem(pki().BundlePem({"root"}));
  ASSERT_TRUE(t.ok());
  TrustStore moved = std::move(t.value());
  EXPECT_EQ(t->get(), nullptr);  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_EQ(Verify(pki().Chain("mx"), *t, "mx.example.com", Options()).failure,
            CertFailure::kValidation);
  EXPECT_TRUE(Verify(pki().Chain("mx"), moved, "mx.example.com", Options()).ok());
}

TEST(TrustStoreTest, FromPemErrors) {
  auto r = TrustStore::FromPem("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tls.trust.pem");

  r = TrustStore::FromPem("not pem at all\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tls.trust.pem");

  r = TrustStore::FromPem(
      "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "tls.trust.pem");
  EXPECT_EQ(r.error().detail.rfind("certificate 1: ", 0), 0u) << r.error().detail;
}

TEST(TrustStoreTest, FromPemSkipsOtherBlocksAndReportsWhichBlockFails) {
  CertSpec root;
  root.name = "root";
  root.ca = true;
  root.common_name = "Root";
  auto pki = Pki::Build({root}, kStart);
  ASSERT_TRUE(pki.ok());
  std::string cert = (*pki)->CertPem("root");
  std::string key = (*pki)->KeyPem("root");

  auto r = TrustStore::FromPem(key + cert);
  EXPECT_TRUE(r.ok());
  r = TrustStore::FromPem(key);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "no certificate in the PEM bundle");
  r = TrustStore::FromPem(cert + "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().detail.rfind("certificate 2: ", 0), 0u) << r.error().detail;
}

TEST(CertFailureTest, ResultTypesAreRfc8460Names) {
  EXPECT_EQ(CertFailureResultType(CertFailure::kNone), "");
  EXPECT_EQ(CertFailureResultType(CertFailure::kHostMismatch), "certificate-host-mismatch");
  EXPECT_EQ(CertFailureResultType(CertFailure::kExpired), "certificate-expired");
  EXPECT_EQ(CertFailureResultType(CertFailure::kNotTrusted), "certificate-not-trusted");
  EXPECT_EQ(CertFailureResultType(CertFailure::kValidation), "validation-failure");
}

}  // namespace
}  // namespace mxconform::tls
