#include "mocks/pki/pki.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mxconform::mocks::pki {
namespace {

constexpr UnixSeconds kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr std::int64_t kDay = 86400;

CertSpec Root(std::string name, std::string cn) {
  CertSpec s;
  s.name = std::move(name);
  s.ca = true;
  s.common_name = std::move(cn);
  s.not_before = -365 * kDay;
  s.not_after = 3650 * kDay;
  return s;
}

CertSpec Intermediate(std::string name, std::string issuer) {
  CertSpec s;
  s.name = std::move(name);
  s.issuer = std::move(issuer);
  s.ca = true;
  s.common_name = "Test Intermediate";
  s.not_before = -30 * kDay;
  s.not_after = 365 * kDay;
  return s;
}

CertSpec Leaf(std::string name, std::string issuer, std::vector<std::string> dns) {
  CertSpec s;
  s.name = std::move(name);
  s.issuer = std::move(issuer);
  s.common_name = dns.empty() ? std::string("mx.example.com") : dns.front();
  s.dns_names = std::move(dns);
  return s;
}

std::shared_ptr<const Pki> MustBuild(const std::vector<CertSpec>& specs,
                                     UnixSeconds clock_start = kStart) {
  auto r = Pki::Build(specs, clock_start);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().Text());
  return r.ok() ? r.value() : nullptr;
}

// The dNSName entries of the subjectAltName, or nullopt without the
// extension.
std::optional<std::vector<std::string>> SanDnsNames(X509* x) {
  int crit = 0;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &crit, nullptr));
  if (sans == nullptr) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    EXPECT_EQ(g->type, GEN_DNS);
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                     static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
  }
  GENERAL_NAMES_free(sans);
  return out;
}

std::string CommonName(X509* x) {
  X509_NAME* n = X509_get_subject_name(x);
  int idx = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
  if (idx < 0) {
    return {};
  }
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, idx));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

std::vector<X509*> ParsePem(const std::string& pem) {
  std::vector<X509*> out;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  while (X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    out.push_back(x);
  }
  ERR_clear_error();
  BIO_free(bio);
  return out;
}

void FreeAll(std::vector<X509*>& v) {
  for (X509* x : v) {
    X509_free(x);
  }
  v.clear();
}

// OpenSSL's queued errors, for a failure message.
std::string DrainErrorsForTest() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    out += buf;
    out += "\n";
  }
  return out;
}

// The signature of `x` verifies with `issuer`'s public key.
bool SignedBy(X509* x, X509* issuer) { return X509_verify(x, X509_get0_pubkey(issuer)) == 1; }

TEST(PkiTest, BuildsRootIntermediateLeafChain) {
  auto pki = MustBuild({Root("root", "Test Root"), Intermediate("inter", "root"),
                        Leaf("mx", "inter", {"mx.example.com"})});
  ASSERT_NE(pki, nullptr);
  X509* root = pki->Cert("root");
  X509* inter = pki->Cert("inter");
  X509* mx = pki->Cert("mx");
  ASSERT_NE(root, nullptr);
  ASSERT_NE(inter, nullptr);
  ASSERT_NE(mx, nullptr);

  for (X509* x : {root, inter, mx}) {
    EXPECT_EQ(X509_get_version(x), X509_VERSION_3);
    // A positive 128-bit serial.
    const ASN1_INTEGER* serial = X509_get0_serialNumber(x);
    EXPECT_EQ(ASN1_STRING_type(serial), V_ASN1_INTEGER);  // not V_ASN1_NEG_INTEGER
    EXPECT_EQ(ASN1_STRING_length(serial), 16);
    EXPECT_EQ(X509_get_signature_nid(x), NID_ecdsa_with_SHA256);
    EXPECT_EQ(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), EVP_PKEY_EC);
    EXPECT_NE(X509_get0_subject_key_id(x), nullptr);
  }
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(inter), X509_get0_serialNumber(mx)), 0);

  // Issuer names and signatures follow the chain.
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(root), X509_get_subject_name(root)), 0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(inter), X509_get_subject_name(root)), 0);
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(mx), X509_get_subject_name(inter)), 0);
  EXPECT_TRUE(SignedBy(root, root));
  EXPECT_TRUE(SignedBy(inter, root));
  EXPECT_TRUE(SignedBy(mx, inter));
  EXPECT_FALSE(SignedBy(mx, root));
  EXPECT_EQ(X509_self_signed(root, 1), 1);
  EXPECT_EQ(X509_self_signed(inter, 0), 0);

  // authorityKeyIdentifier = the issuer's subjectKeyIdentifier.
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(mx), X509_get0_subject_key_id(inter)),
            0);
  EXPECT_EQ(
      ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(inter), X509_get0_subject_key_id(root)), 0);
  EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(root), X509_get0_subject_key_id(root)),
            0);

  // basicConstraints (critical), keyUsage, extendedKeyUsage.
  EXPECT_EQ(X509_check_ca(root), 1);
  EXPECT_EQ(X509_check_ca(inter), 1);
  EXPECT_EQ(X509_check_ca(mx), 0);
  int crit = -1;
  auto* bc =
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(mx, NID_basic_constraints, &crit, nullptr));
  ASSERT_NE(bc, nullptr);
  EXPECT_EQ(crit, 1);
  EXPECT_EQ(bc->ca, 0);
  BASIC_CONSTRAINTS_free(bc);
  EXPECT_EQ(X509_get_key_usage(root), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(X509_get_key_usage(mx), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(mx), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_extension_flags(root) & EXFLAG_XKUSAGE, 0u);

  EXPECT_EQ(CommonName(mx), "mx.example.com");
  EXPECT_EQ(SanDnsNames(mx), std::vector<std::string>{"mx.example.com"});
  EXPECT_FALSE(SanDnsNames(root).has_value());

  // The default validity: clock start - 1 day .. + 90 days.
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(mx), kStart - kDay), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(mx), kStart + 90 * kDay), 0);

  std::vector<X509*> chain = pki->Chain("mx");
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[0], mx);
  EXPECT_EQ(chain[1], inter);
  EXPECT_EQ(pki->Chain("mx", false), std::vector<X509*>{mx});
  EXPECT_EQ(pki->Chain("root"), std::vector<X509*>{root});
  EXPECT_TRUE(pki->Chain("nope").empty());
}

TEST(PkiTest, SpecsInAnyOrder) {
  auto pki = MustBuild({Leaf("mx", "inter", {"mx.example.com"}), Intermediate("inter", "root"),
                        Root("root", "Test Root")});
  ASSERT_NE(pki, nullptr);
  EXPECT_TRUE(SignedBy(pki->Cert("mx"), pki->Cert("inter")));
  EXPECT_TRUE(SignedBy(pki->Cert("inter"), pki->Cert("root")));
}

TEST(PkiTest, IssuerEqualToOwnNameIsSelfSigned) {
  CertSpec root = Root("root", "Test Root");
  root.issuer = "root";
  auto pki = MustBuild({root});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(X509_self_signed(pki->Cert("root"), 1), 1);
}

TEST(PkiTest, ExpiredKnob) {
  CertSpec s = Leaf("old", "root", {"mx.example.com"});
  s.not_before = -100 * kDay;
  s.not_after = -1;
  auto pki = MustBuild({Root("root", "Test Root"), s});
  ASSERT_NE(pki, nullptr);
  X509* x = pki->Cert("old");
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), kStart - 100 * kDay), 0);
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), kStart - 1), 0);
  EXPECT_LT(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), kStart), 0);
}

TEST(PkiTest, NotYetValidKnob) {
  CertSpec s = Leaf("future", "root", {"mx.example.com"});
  s.not_before = 10 * kDay;
  s.not_after = 100 * kDay;
  auto pki = MustBuild({Root("root", "Test Root"), s});
  ASSERT_NE(pki, nullptr);
  X509* x = pki->Cert("future");
  EXPECT_EQ(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), kStart + 10 * kDay), 0);
  EXPECT_GT(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), kStart), 0);
}

TEST(PkiTest, ValidityFarOutUsesGeneralizedTime) {
  // RFC 5280 §4.1.2.5: GeneralizedTime from 2050 on.
  CertSpec s = Root("root", "Test Root");
  s.not_after = 40LL * 365 * kDay;
  auto pki = MustBuild({s});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notAfter(pki->Cert("root"))), V_ASN1_GENERALIZEDTIME);
  EXPECT_EQ(ASN1_STRING_type(X509_get0_notBefore(pki->Cert("root"))), V_ASN1_UTCTIME);
}

TEST(PkiTest, SelfSignedLeafKnob) {
  CertSpec s = Leaf("self", "", {"mx.example.com"});
  auto pki = MustBuild({s});
  ASSERT_NE(pki, nullptr);
  X509* x = pki->Cert("self");
  EXPECT_EQ(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)), 0);
  EXPECT_TRUE(SignedBy(x, x));
  EXPECT_EQ(X509_check_ca(x), 0);
  EXPECT_EQ(X509_get_extended_key_usage(x), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(pki->Chain("self"), std::vector<X509*>{x});
}

TEST(PkiTest, WrongSanKnob) {
  auto pki = MustBuild(
      {Root("root", "Test Root"), Leaf("wrong", "root", {"other.example.net", "www.example.net"})});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(SanDnsNames(pki->Cert("wrong")),
            (std::vector<std::string>{"other.example.net", "www.example.net"}));
}

TEST(PkiTest, ClientAuthOnlyKnobSetsTheExtendedKeyUsage) {
  CertSpec client = Leaf("client", "root", {"mx.example.com"});
  client.client_auth_only = true;
  auto pki =
      MustBuild({Root("root", "Test Root"), client, Leaf("server", "root", {"mx.example.com"})});
  ASSERT_NE(pki, nullptr);
  // X509_get_extended_key_usage: the XKU_* bits of the extension.
  EXPECT_EQ(X509_get_extended_key_usage(pki->Cert("client")),
            static_cast<std::uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_extended_key_usage(pki->Cert("server")),
            static_cast<std::uint32_t>(XKU_SSL_SERVER));
}

TEST(PkiTest, LeafIssuerKnobSignsWhileStayingALeaf) {
  CertSpec relay = Leaf("relay", "root", {"relay.example.com"});
  relay.leaf_issuer = true;
  auto pki = MustBuild({Root("root", "Test Root"), relay, Leaf("mx", "relay", {"mx.example.com"})});
  ASSERT_NE(pki, nullptr);
  // Still CA:FALSE without keyCertSign; the leaf below it is signed by it.
  EXPECT_EQ(X509_check_ca(pki->Cert("relay")), 0);
  EXPECT_EQ(X509_check_issued(pki->Cert("relay"), pki->Cert("mx")),
            X509_V_ERR_KEYUSAGE_NO_CERTSIGN);
  EXPECT_EQ(X509_verify(pki->Cert("mx"), X509_get0_pubkey(pki->Cert("relay"))), 1);
}

TEST(PkiTest, PermittedDnsKnobWritesCriticalNameConstraints) {
  CertSpec ca = Intermediate("inter", "root");
  ca.permitted_dns = {"example.net", "example.org"};
  auto pki = MustBuild({Root("root", "Test Root"), ca});
  ASSERT_NE(pki, nullptr);
  X509* x = pki->Cert("inter");
  const int at = X509_get_ext_by_NID(x, NID_name_constraints, -1);
  ASSERT_GE(at, 0);
  EXPECT_EQ(X509_EXTENSION_get_critical(X509_get_ext(x, at)), 1);
  auto* nc =
      static_cast<NAME_CONSTRAINTS*>(X509_get_ext_d2i(x, NID_name_constraints, nullptr, nullptr));
  ASSERT_NE(nc, nullptr);
  std::vector<std::string> permitted;
  for (int k = 0; k < sk_GENERAL_SUBTREE_num(nc->permittedSubtrees); ++k) {
    const GENERAL_NAME* g = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, k)->base;
    ASSERT_EQ(g->type, GEN_DNS);
    permitted.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                           static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
  }
  NAME_CONSTRAINTS_free(nc);
  EXPECT_EQ(permitted, (std::vector<std::string>{"example.net", "example.org"}));
  EXPECT_EQ(X509_get_ext_by_NID(pki->Cert("root"), NID_name_constraints, -1), -1);
}

TEST(PkiTest, CnOnlyKnobHasNoSanExtension) {
  CertSpec s = Leaf("cn", "root", {});
  s.common_name = "mx.example.com";
  auto pki = MustBuild({Root("root", "Test Root"), s});
  ASSERT_NE(pki, nullptr);
  X509* x = pki->Cert("cn");
  EXPECT_EQ(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);  // absent, not empty
  EXPECT_FALSE(SanDnsNames(x).has_value());
  EXPECT_EQ(CommonName(x), "mx.example.com");
}

TEST(PkiTest, NoCommonNameMeansEmptySubjectComponent) {
  CertSpec s = Leaf("nocn", "root", {"mx.example.com"});
  s.common_name.clear();
  auto pki = MustBuild({Root("root", "Test Root"), s});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(X509_NAME_entry_count(X509_get_subject_name(pki->Cert("nocn"))), 0);
}

// RFC 5280 §4.2.1.6: with an empty subject the subjectAltName MUST be
// critical; the review found it never was, so a strict validator refused
// the suite's valid leaves (most have no CN). With a CN it stays
// non-critical, as CAs issue it.
TEST(PkiTest, SanIsCriticalExactlyWhenTheSubjectIsEmpty) {
  CertSpec bare = Leaf("nocn", "root", {"mx.example.com"});
  bare.common_name.clear();
  CertSpec named = Leaf("cn", "root", {"mx.example.com"});
  named.common_name = "mx.example.com";
  auto pki = MustBuild({Root("root", "Test Root"), bare, named});
  ASSERT_NE(pki, nullptr);
  auto critical = [&](std::string_view name) {
    X509* x = pki->Cert(name);
    const int at = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
    return at < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, at));
  };
  EXPECT_EQ(critical("nocn"), 1);
  EXPECT_EQ(critical("cn"), 0);
}

TEST(PkiTest, WildcardNamesAreStoredAsGiven) {
  auto pki = MustBuild({Root("root", "Test Root"), Leaf("wild", "root", {"*.example.com"}),
                        Leaf("partial", "root", {"m*.example.com"}),
                        Leaf("deep", "root", {"*.*.example.com"})});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(SanDnsNames(pki->Cert("wild")), std::vector<std::string>{"*.example.com"});
  EXPECT_EQ(SanDnsNames(pki->Cert("partial")), std::vector<std::string>{"m*.example.com"});
  EXPECT_EQ(SanDnsNames(pki->Cert("deep")), std::vector<std::string>{"*.*.example.com"});
}

TEST(PkiTest, IpAddressesFollowDnsNamesInTheSan) {
  CertSpec ip_only = Leaf("ip", "root", {});
  ip_only.ip_addresses = {"192.0.2.25", "2001:db8::25"};
  CertSpec both = Leaf("both", "root", {"mx.example.com"});
  both.ip_addresses = {"192.0.2.25"};
  auto pki = MustBuild({Root("root", "Test Root"), ip_only, both});
  ASSERT_NE(pki, nullptr);
  auto entries = [&](const char* name) {
    std::vector<std::pair<int, std::string>> out;
    auto* sans = static_cast<GENERAL_NAMES*>(
        X509_get_ext_d2i(pki->Cert(name), NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; sans != nullptr && i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
      const ASN1_STRING* v = g->type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
      out.emplace_back(g->type, std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(v)),
                                            static_cast<std::size_t>(ASN1_STRING_length(v))));
    }
    GENERAL_NAMES_free(sans);
    return out;
  };
  const std::vector<std::pair<int, std::string>> want_ip = {
      {GEN_IPADD, std::string("\xc0\x00\x02\x19", 4)},
      {GEN_IPADD, std::string("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x25", 16)}};
  EXPECT_EQ(entries("ip"), want_ip);
  const std::vector<std::pair<int, std::string>> want_both = {
      {GEN_DNS, "mx.example.com"}, {GEN_IPADD, std::string("\xc0\x00\x02\x19", 4)}};
  EXPECT_EQ(entries("both"), want_both);

  CertSpec bad = Leaf("bad", "root", {});
  bad.ip_addresses = {"192.0.2.256"};
  auto r = Pki::Build({Root("root", "R"), bad}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "pki.spec");
  EXPECT_NE(r.error().detail.find("bad: 192.0.2.256"), std::string::npos) << r.error().detail;
}

TEST(PkiTest, UntrustedRootKnob) {
  auto pki = MustBuild({Root("root", "Test Root"), Root("evil", "Evil Root"),
                        Leaf("mx", "evil", {"mx.example.com"})});
  ASSERT_NE(pki, nullptr);
  X509* mx = pki->Cert("mx");
  EXPECT_TRUE(SignedBy(mx, pki->Cert("evil")));
  EXPECT_FALSE(SignedBy(mx, pki->Cert("root")));
  std::vector<X509*> bundle = ParsePem(pki->BundlePem({"root"}));
  ASSERT_EQ(bundle.size(), 1u);
  EXPECT_EQ(X509_cmp(bundle[0], pki->Cert("root")), 0);
  EXPECT_NE(X509_cmp(bundle[0], pki->Cert("evil")), 0);
  FreeAll(bundle);
}

TEST(PkiTest, ChainWithoutIntermediateKnob) {
  auto pki = MustBuild({Root("root", "Test Root"), Intermediate("i1", "root"),
                        Intermediate("i2", "i1"), Leaf("mx", "i2", {"mx.example.com"})});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(pki->Chain("mx"),
            (std::vector<X509*>{pki->Cert("mx"), pki->Cert("i2"), pki->Cert("i1")}));
  EXPECT_EQ(pki->Chain("mx", false), std::vector<X509*>{pki->Cert("mx")});
  std::vector<X509*> parsed = ParsePem(pki->ChainPem("mx", false));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(X509_cmp(parsed[0], pki->Cert("mx")), 0);
  FreeAll(parsed);
}

TEST(PkiTest, RsaKeyKnobs) {
  CertSpec weak = Leaf("weak", "root", {"mx.example.com"});
  weak.key = KeyType::kRsa1024;
  CertSpec strong = Leaf("strong", "root", {"mx.example.com"});
  strong.key = KeyType::kRsa2048;
  auto pki = MustBuild({Root("root", "Test Root"), weak, strong});
  ASSERT_NE(pki, nullptr);
  EVP_PKEY* k = X509_get0_pubkey(pki->Cert("weak"));
  EXPECT_EQ(EVP_PKEY_get_base_id(k), EVP_PKEY_RSA);
  EXPECT_EQ(EVP_PKEY_get_bits(k), 1024);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(pki->Cert("strong"))), 2048);
  EXPECT_EQ(EVP_PKEY_get_bits(pki->Key("weak")), 1024);
  // RSA leaves may also encipher keys (RFC 5280 §4.2.1.3).
  EXPECT_EQ(X509_get_key_usage(pki->Cert("weak")),
            static_cast<uint32_t>(KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
  // Signed by the (EC) root: the key knob is about the subject key only.
  EXPECT_EQ(X509_get_signature_nid(pki->Cert("weak")), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_check_private_key(pki->Cert("weak"), pki->Key("weak")), 1);
}

TEST(PkiTest, Sha1Knob) {
  CertSpec rsa_root = Root("rsa_root", "RSA Root");
  rsa_root.key = KeyType::kRsa2048;
  CertSpec under_rsa = Leaf("sha1_rsa", "rsa_root", {"mx.example.com"});
  under_rsa.digest = Digest::kSha1;
  CertSpec under_ec = Leaf("sha1_ec", "root", {"mx.example.com"});
  under_ec.digest = Digest::kSha1;
  auto pki = MustBuild({Root("root", "Test Root"), rsa_root, under_rsa, under_ec});
  ASSERT_NE(pki, nullptr);
  EXPECT_EQ(X509_get_signature_nid(pki->Cert("sha1_rsa")), NID_sha1WithRSAEncryption);
  EXPECT_EQ(X509_get_signature_nid(pki->Cert("sha1_ec")), NID_ecdsa_with_SHA1);
  EXPECT_EQ(X509_get_signature_nid(pki->Cert("rsa_root")), NID_sha256WithRSAEncryption);
  EXPECT_TRUE(SignedBy(pki->Cert("sha1_rsa"), pki->Cert("rsa_root")));
  EXPECT_TRUE(SignedBy(pki->Cert("sha1_ec"), pki->Cert("root")));
}

// ------------------------------------------------------------ spec errors

void ExpectSpecError(const std::vector<CertSpec>& specs, std::string_view detail_part) {
  auto r = Pki::Build(specs, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "pki.spec");
  EXPECT_NE(r.error().detail.find(detail_part), std::string::npos) << r.error().Text();
}

TEST(PkiTest, SpecErrors) {
  ExpectSpecError({Root("root", "R"), Leaf("mx", "nope", {"mx.example.com"})}, "mx");
  ExpectSpecError({Root("root", "R"), Leaf("a", "root", {"a.example"}), Leaf("b", "a", {"b"})},
                  "b");
  ExpectSpecError({Root("root", "R"), Root("root", "R2")}, "root");
  ExpectSpecError({Intermediate("a", "b"), Intermediate("b", "a")}, "");
  ExpectSpecError(
      {Intermediate("a", "b"), Intermediate("b", "c"), Intermediate("c", "a"), Root("root", "R")},
      "");
  ExpectSpecError({Root("", "R")}, "");
  CertSpec backwards = Root("root", "R");
  backwards.not_before = 10;
  backwards.not_after = 5;
  ExpectSpecError({backwards}, "root");

  auto r = Pki::Build({Root("root", "R"), Leaf("mx", "nope", {})}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown issuer");
  r = Pki::Build({Root("root", "R"), Leaf("a", "root", {}), Leaf("b", "a", {})}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "issuer is not a CA");
  r = Pki::Build({Intermediate("a", "b"), Intermediate("b", "a")}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "issuer cycle");
  CertSpec constrained_leaf = Leaf("mx", "root", {"mx.example.com"});
  constrained_leaf.permitted_dns = {"example.com"};
  r = Pki::Build({Root("root", "R"), constrained_leaf}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "permitted_dns on a certificate that is not a CA");
  EXPECT_EQ(r.error().detail, "mx");
  r = Pki::Build({Root("x", "R"), Root("x", "R")}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "duplicate certificate name");
}

TEST(PkiTest, OpensslErrorCarriesOpensslDetail) {
  // RFC 5280 ub-common-name is 64: OpenSSL refuses a longer CN.
  CertSpec s = Root("root", std::string(65, 'a'));
  auto r = Pki::Build({s}, kStart);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "pki.openssl");
  EXPECT_NE(r.error().detail.find("root"), std::string::npos);
  EXPECT_NE(r.error().detail.find("error:"), std::string::npos) << r.error().detail;
}

// ------------------------------------------------------------------ PEM

TEST(PkiTest, PemAndDerRoundTrip) {
  auto pki = MustBuild({Root("root", "Test Root"), Root("root2", "Other Root"),
                        Intermediate("inter", "root"), Leaf("mx", "inter", {"mx.example.com"})});
  ASSERT_NE(pki, nullptr);

  std::vector<X509*> bundle = ParsePem(pki->BundlePem({"root", "root2", "unknown"}));
  ASSERT_EQ(bundle.size(), 2u);
  EXPECT_EQ(X509_cmp(bundle[0], pki->Cert("root")), 0);
  EXPECT_EQ(X509_cmp(bundle[1], pki->Cert("root2")), 0);
  FreeAll(bundle);

  std::vector<X509*> chain = ParsePem(pki->ChainPem("mx"));
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(X509_cmp(chain[0], pki->Cert("mx")), 0);
  EXPECT_EQ(X509_cmp(chain[1], pki->Cert("inter")), 0);
  FreeAll(chain);

  std::string der = pki->CertDer("mx");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509* x = d2i_X509(nullptr, &p, static_cast<long>(der.size()));
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(X509_cmp(x, pki->Cert("mx")), 0);
  X509_free(x);

  std::string key_pem = pki->KeyPem("mx");
  EXPECT_EQ(key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u) << key_pem;
  BIO* bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* k = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(k, pki->Key("mx")), 1);
  EVP_PKEY_free(k);

  EXPECT_FALSE(pki->Has("unknown"));
  EXPECT_TRUE(pki->Has("mx"));
  EXPECT_EQ(pki->Cert("unknown"), nullptr);
  EXPECT_EQ(pki->Key("unknown"), nullptr);
  EXPECT_EQ(pki->CertPem("unknown"), "");
  EXPECT_EQ(pki->KeyPem("unknown"), "");
  EXPECT_EQ(pki->CertDer("unknown"), "");
  EXPECT_EQ(pki->ChainPem("unknown"), "");
}

// ---------------------------------------------------------- UseInServer

struct CtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

std::vector<CertSpec> ServerSpecs() {
  CertSpec weak = Leaf("weak", "inter", {"mx.example.com"});
  weak.key = KeyType::kRsa1024;
  CertSpec sha1 = Leaf("sha1", "inter", {"mx.example.com"});
  sha1.digest = Digest::kSha1;
  return {Root("root", "Test Root"), Intermediate("inter", "root"),
          Leaf("mx", "inter", {"mx.example.com"}), weak, sha1};
}

TEST(PkiTest, UseInServerNormalLeafKeepsSecurityLevel) {
  auto pki = MustBuild(ServerSpecs());
  ASSERT_NE(pki, nullptr);
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  ASSERT_NE(ctx, nullptr);
  SSL_CTX_set_security_level(ctx.get(), 2);
  auto r = pki->UseInServer(ctx.get(), "mx");
  ASSERT_TRUE(r.ok()) << r.error().Text();
  EXPECT_EQ(SSL_CTX_get_security_level(ctx.get()), 2);
  EXPECT_EQ(X509_cmp(SSL_CTX_get0_certificate(ctx.get()), pki->Cert("mx")), 0);
  STACK_OF(X509)* extra = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &extra), 1);
  ASSERT_EQ(sk_X509_num(extra), 1);
  EXPECT_EQ(X509_cmp(sk_X509_value(extra, 0), pki->Cert("inter")), 0);

  // Again without the intermediate: the chain is replaced, not appended to.
  r = pki->UseInServer(ctx.get(), "mx", false);
  ASSERT_TRUE(r.ok()) << r.error().Text();
  extra = nullptr;
  ASSERT_EQ(SSL_CTX_get0_chain_certs(ctx.get(), &extra), 1);
  EXPECT_TRUE(extra == nullptr || sk_X509_num(extra) == 0);
}

TEST(PkiTest, UseInServerLowersSecurityLevelOnlyAsFarAsNeeded) {
  auto pki = MustBuild(ServerSpecs());
  ASSERT_NE(pki, nullptr);

  // Without the lowering, OpenSSL refuses the weak leaf at level 2.
  CtxPtr strict(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_security_level(strict.get(), 2);
  EXPECT_NE(SSL_CTX_use_certificate(strict.get(), pki->Cert("weak")), 1);
  EXPECT_NE(SSL_CTX_use_certificate(strict.get(), pki->Cert("sha1")), 1);
  ERR_clear_error();

  CtxPtr weak(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_security_level(weak.get(), 2);
  auto r = pki->UseInServer(weak.get(), "weak");
  ASSERT_TRUE(r.ok()) << r.error().Text();
  EXPECT_EQ(SSL_CTX_get_security_level(weak.get()), 1);  // 1024-bit RSA: 80 bits

  CtxPtr sha1(SSL_CTX_new(TLS_server_method()));
  SSL_CTX_set_security_level(sha1.get(), 2);
  r = pki->UseInServer(sha1.get(), "sha1");
  ASSERT_TRUE(r.ok()) << r.error().Text();
  EXPECT_EQ(SSL_CTX_get_security_level(sha1.get()), 0);  // SHA-1: 63 bits
}

TEST(PkiTest, UseInServerErrors) {
  auto pki = MustBuild(ServerSpecs());
  ASSERT_NE(pki, nullptr);
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  auto r = pki->UseInServer(ctx.get(), "nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "pki.unknown");
  r = pki->UseInServer(nullptr, "mx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().id, "pki.openssl");
}

// ------------------------------------------------------ TLS in memory

struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

// Drives both ends over a BIO pair until both finish; false on failure.
bool Handshake(SSL* client, SSL* server) {
  bool client_done = false;
  bool server_done = false;
  for (int i = 0; i < 100 && !(client_done && server_done); ++i) {
    if (!client_done) {
      int rc = SSL_do_handshake(client);
      if (rc == 1) {
        client_done = true;
      } else if (SSL_get_error(client, rc) != SSL_ERROR_WANT_READ) {
        return false;
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server);
      if (rc == 1) {
        server_done = true;
      } else if (SSL_get_error(server, rc) != SSL_ERROR_WANT_READ) {
        return false;
      }
    }
  }
  return client_done && server_done;
}

struct Pair {
  CtxPtr client_ctx;
  CtxPtr server_ctx;
  SslPtr client;
  SslPtr server;
};

Pair MakePair(const Pki& pki, std::string_view leaf, bool verify) {
  Pair p;
  p.server_ctx.reset(SSL_CTX_new(TLS_server_method()));
  p.client_ctx.reset(SSL_CTX_new(TLS_client_method()));
  EXPECT_TRUE(pki.UseInServer(p.server_ctx.get(), leaf).ok());
  SSL_CTX_set_min_proto_version(p.client_ctx.get(), TLS1_3_VERSION);
  if (verify) {
    X509_STORE* store = SSL_CTX_get_cert_store(p.client_ctx.get());
    EXPECT_EQ(X509_STORE_add_cert(store, pki.Cert("root")), 1);
    SSL_CTX_set_verify(p.client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(p.client_ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  p.client.reset(SSL_new(p.client_ctx.get()));
  p.server.reset(SSL_new(p.server_ctx.get()));
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&client_bio, 0, &server_bio, 0), 1);
  SSL_set_bio(p.client.get(), client_bio, client_bio);
  SSL_set_bio(p.server.get(), server_bio, server_bio);
  SSL_set_connect_state(p.client.get());
  SSL_set_accept_state(p.server.get());
  SSL_set_tlsext_host_name(p.client.get(), "mx.example.com");
  if (verify) {
    SSL_set1_host(p.client.get(), "mx.example.com");
  }
  return p;
}

TEST(PkiTest, InMemoryTls13HandshakeWithChain) {
  // The client checks validity against the system clock: start the PKI now.
  auto pki = MustBuild(ServerSpecs(), std::time(nullptr));
  ASSERT_NE(pki, nullptr);
  Pair p = MakePair(*pki, "mx", /*verify=*/true);
  ASSERT_TRUE(Handshake(p.client.get(), p.server.get())) << DrainErrorsForTest();
  EXPECT_EQ(SSL_version(p.client.get()), TLS1_3_VERSION);
  EXPECT_EQ(SSL_get_verify_result(p.client.get()), X509_V_OK);
  // What the server sent: the leaf and the intermediate, not the root.
  STACK_OF(X509)* sent = SSL_get_peer_cert_chain(p.client.get());
  ASSERT_NE(sent, nullptr);
  ASSERT_EQ(sk_X509_num(sent), 2);
  EXPECT_EQ(X509_cmp(sk_X509_value(sent, 0), pki->Cert("mx")), 0);
  EXPECT_EQ(X509_cmp(sk_X509_value(sent, 1), pki->Cert("inter")), 0);
  // What the client verified: up to the root.
  STACK_OF(X509)* verified = SSL_get0_verified_chain(p.client.get());
  ASSERT_NE(verified, nullptr);
  ASSERT_EQ(sk_X509_num(verified), 3);
  EXPECT_EQ(X509_cmp(sk_X509_value(verified, 2), pki->Cert("root")), 0);
}

TEST(PkiTest, InMemoryHandshakePresentsSha1Leaf) {
  // The mock side of the SHA-1 knob: a client that does not verify still
  // receives the SHA-1-signed leaf over TLS 1.3.
  auto pki = MustBuild(ServerSpecs());
  ASSERT_NE(pki, nullptr);
  Pair p = MakePair(*pki, "sha1", /*verify=*/false);
  ASSERT_TRUE(Handshake(p.client.get(), p.server.get())) << DrainErrorsForTest();
  EXPECT_EQ(SSL_version(p.client.get()), TLS1_3_VERSION);
  X509* peer = SSL_get0_peer_certificate(p.client.get());
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(X509_get_signature_nid(peer), NID_ecdsa_with_SHA1);
}

TEST(PkiTest, InMemoryHandshakePresentsWeakRsaLeaf) {
  auto pki = MustBuild(ServerSpecs());
  ASSERT_NE(pki, nullptr);
  Pair p = MakePair(*pki, "weak", /*verify=*/false);
  ASSERT_TRUE(Handshake(p.client.get(), p.server.get())) << DrainErrorsForTest();
  X509* peer = SSL_get0_peer_certificate(p.client.get());
  ASSERT_NE(peer, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(X509_get0_pubkey(peer)), 1024);
}

}  // namespace
}  // namespace mxconform::mocks::pki
