#include "mocks/pki/pki.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <climits>
#include <ctime>
#include <functional>
#include <utility>

#include "common/text.h"

namespace mxconform::mocks::pki {
namespace {

// Owning handles for the OpenSSL objects this file allocates on the way.
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// OpenSSL's queued errors, oldest first, joined by "; "; clears the queue.
std::string DrainOpensslErrors() {
  std::string out;
  char buf[256];
  while (unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) {
      out += "; ";
    }
    out += buf;
  }
  return out;
}

Diagnostic OpensslError(std::string what) {
  std::string detail = std::move(what);
  std::string queued = DrainOpensslErrors();
  if (!queued.empty()) {
    detail += ": ";
    detail += queued;
  }
  return MakeDiag("pki.openssl", Severity::kError, 0, "OpenSSL call failed", std::move(detail));
}

Diagnostic SpecError(std::string_view message_literal, std::string detail) {
  return MakeDiag("pki.spec", Severity::kError, 0, message_literal, std::move(detail));
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return len > 0 ? std::string(data, static_cast<std::size_t>(len)) : std::string();
}

PkeyPtr GenerateKey(KeyType type) {
  switch (type) {
    case KeyType::kEcdsaP256:
      return PkeyPtr(EVP_EC_gen("P-256"));
    case KeyType::kRsa2048:
      return PkeyPtr(EVP_RSA_gen(2048));
    case KeyType::kRsa1024:
      return PkeyPtr(EVP_RSA_gen(1024));
  }
  return nullptr;
}

// A random, positive, non-zero 128-bit serial (RFC 5280 §4.1.2.2: at most
// 20 octets, positive; CA/B Forum asks for at least 64 random bits).
bool SetRandomSerial(X509* x) {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return false;
  }
  bytes[0] &= 0x7f;  // positive: the DER INTEGER needs no leading zero octet
  bytes[0] |= 0x40;  // non-zero, and always 16 octets long
  BnPtr bn(BN_bin2bn(bytes.data(), static_cast<int>(bytes.size()), nullptr));
  return bn != nullptr && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)) != nullptr;
}

// Adds an extension from its decoded structure; X509_add1_ext_i2d copies it.
bool AddExtension(X509* x, int nid, void* value, bool critical) {
  return X509_add1_ext_i2d(x, nid, value, critical ? 1 : 0, X509V3_ADD_REPLACE) == 1;
}

// Appends a GENERAL_NAME of `type` holding `bytes` as given: GEN_DNS an
// IA5String (no syntax check), GEN_IPADD an OCTET STRING.
bool PushGeneralName(GENERAL_NAMES* names, int type, std::string_view bytes) {
  GENERAL_NAME* gen = GENERAL_NAME_new();
  ASN1_STRING* value =
      ASN1_STRING_type_new(type == GEN_DNS ? V_ASN1_IA5STRING : V_ASN1_OCTET_STRING);
  if (gen == nullptr || value == nullptr ||
      ASN1_STRING_set(value, bytes.data(), static_cast<int>(bytes.size())) != 1) {
    GENERAL_NAME_free(gen);
    ASN1_STRING_free(value);
    return false;
  }
  GENERAL_NAME_set0_value(gen, type, value);
  if (sk_GENERAL_NAME_push(names, gen) <= 0) {
    GENERAL_NAME_free(gen);
    return false;
  }
  return true;
}

// The extensions of RFC 5280 §4.2 a scenario certificate carries. Built from
// the structures rather than from X509V3 configuration strings, so any
// dNSName text ("*.*.example.com", "m*.example.com") is stored as given.
bool AddExtensions(X509* x, const CertSpec& spec, const ASN1_OCTET_STRING* issuer_skid,
                   bool rsa_key) {
  // §4.2.1.9 basicConstraints, critical; CA:TRUE for CAs, an empty SEQUENCE
  // (CA:FALSE by default) for leaves.
  BASIC_CONSTRAINTS* bc = BASIC_CONSTRAINTS_new();
  if (bc == nullptr) {
    return false;
  }
  bc->ca = spec.ca ? 0xff : 0;
  bool ok = AddExtension(x, NID_basic_constraints, bc, true);
  BASIC_CONSTRAINTS_free(bc);
  if (!ok) {
    return false;
  }

  // §4.2.1.3 keyUsage, critical. Bits: 0 digitalSignature, 2 keyEncipherment,
  // 5 keyCertSign, 6 cRLSign.
  ASN1_BIT_STRING* ku = ASN1_BIT_STRING_new();
  if (ku == nullptr) {
    return false;
  }
  if (spec.ca) {
    ok = ASN1_BIT_STRING_set_bit(ku, 5, 1) == 1 && ASN1_BIT_STRING_set_bit(ku, 6, 1) == 1;
  } else {
    ok = ASN1_BIT_STRING_set_bit(ku, 0, 1) == 1 &&
         (!rsa_key || ASN1_BIT_STRING_set_bit(ku, 2, 1) == 1);
  }
  ok = ok && AddExtension(x, NID_key_usage, ku, true);
  ASN1_BIT_STRING_free(ku);
  if (!ok) {
    return false;
  }

  // §4.2.1.12 extendedKeyUsage id-kp-serverAuth on leaves (what TLS clients
  // check with the "ssl_server" purpose).
  if (!spec.ca) {
    EXTENDED_KEY_USAGE* eku = sk_ASN1_OBJECT_new_null();
    if (eku == nullptr) {
      return false;
    }
    ok = sk_ASN1_OBJECT_push(
             eku, OBJ_nid2obj(spec.client_auth_only ? NID_client_auth : NID_server_auth)) > 0 &&
         AddExtension(x, NID_ext_key_usage, eku, false);
    // OBJ_nid2obj returns a static object; freeing it is a no-op.
    sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
    if (!ok) {
      return false;
    }
  }

  // §4.2.1.10 nameConstraints, critical: permitted dNSName subtrees.
  if (!spec.permitted_dns.empty()) {
    NAME_CONSTRAINTS* nc = NAME_CONSTRAINTS_new();
    ok = nc != nullptr && (nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()) != nullptr;
    for (std::size_t k = 0; ok && k < spec.permitted_dns.size(); ++k) {
      GENERAL_SUBTREE* sub = GENERAL_SUBTREE_new();
      ok = sub != nullptr;
      GENERAL_NAMES* one = ok ? sk_GENERAL_NAME_new_null() : nullptr;
      ok = ok && one != nullptr && PushGeneralName(one, GEN_DNS, spec.permitted_dns[k]);
      if (ok) {
        // The subtree takes the name over from the one-name list.
        GENERAL_NAME_free(sub->base);
        sub->base = sk_GENERAL_NAME_pop(one);
        ok = sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, sub) > 0;
        if (ok) {
          sub = nullptr;
        }
      }
      GENERAL_NAMES_free(one);
      GENERAL_SUBTREE_free(sub);
    }
    ok = ok && AddExtension(x, NID_name_constraints, nc, true);
    NAME_CONSTRAINTS_free(nc);
    if (!ok) {
      return false;
    }
  }

  // §4.2.1.2 subjectKeyIdentifier, method (1): SHA-1 of the subjectPublicKey
  // BIT STRING.
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_pubkey_digest(x, EVP_sha1(), md, &md_len) != 1) {
    return false;
  }
  ASN1_OCTET_STRING* skid = ASN1_OCTET_STRING_new();
  if (skid == nullptr) {
    return false;
  }
  ok = ASN1_OCTET_STRING_set(skid, md, static_cast<int>(md_len)) == 1 &&
       AddExtension(x, NID_subject_key_identifier, skid, false);

  // §4.2.1.1 authorityKeyIdentifier: the issuer's subjectKeyIdentifier (our
  // own for a self-signed certificate).
  if (ok) {
    AUTHORITY_KEYID* akid = AUTHORITY_KEYID_new();
    ok = akid != nullptr;
    if (ok) {
      akid->keyid = ASN1_OCTET_STRING_dup(issuer_skid != nullptr ? issuer_skid : skid);
      ok = akid->keyid != nullptr && AddExtension(x, NID_authority_key_identifier, akid, false);
    }
    AUTHORITY_KEYID_free(akid);
  }
  ASN1_OCTET_STRING_free(skid);
  if (!ok) {
    return false;
  }

  // §4.2.1.6 subjectAltName: one dNSName per entry, the text as given (no
  // syntax check: the bad-name knobs need names a CA would refuse). No
  // extension at all when the list is empty (the CN-only knob).
  if (!spec.dns_names.empty() || !spec.ip_addresses.empty()) {
    GENERAL_NAMES* names = sk_GENERAL_NAME_new_null();
    if (names == nullptr) {
      return false;
    }
    ok = true;
    for (const std::string& dns : spec.dns_names) {
      ok = ok && PushGeneralName(names, GEN_DNS, dns);
    }
    // iPAddress: the 4 or 16 octets (checked in Build).
    for (const std::string& ip : spec.ip_addresses) {
      const std::vector<std::uint8_t> octets = text::AddressLiteralOctets(ip);
      ok = ok && !octets.empty() &&
           PushGeneralName(
               names, GEN_IPADD,
               std::string_view(reinterpret_cast<const char*>(octets.data()), octets.size()));
    }
    // Critical when the subject is empty (no CN): RFC 5280 §4.2.1.6 says
    // MUST, and strict validators (OpenSSL's X509_V_FLAG_X509_STRICT)
    // refuse the certificate otherwise.
    ok = ok && AddExtension(x, NID_subject_alt_name, names, spec.common_name.empty());
    GENERAL_NAMES_free(names);
  }
  return ok;
}

// Whether `x` is signed by its own key (the top of a chain).
bool IsSelfSigned(X509* x) { return X509_self_signed(x, 0) == 1; }

// The security bits that OpenSSL's security levels (SSL_CTX_set_security_level)
// compare against, for a certificate a server presents: its key, and its
// signature unless it is self-signed (as ssl_security_cert does).
int CertSecurityBits(X509* x) {
  int bits = EVP_PKEY_get_security_bits(X509_get0_pubkey(x));
  if (!IsSelfSigned(x)) {
    int sig_bits = -1;
    if (X509_get_signature_info(x, nullptr, nullptr, &sig_bits, nullptr) != 1) {
      sig_bits = 0;
    }
    bits = std::min(bits, sig_bits);
  }
  return bits;
}

// The minimum security bits of levels 1..5 (SSL_CTX_set_security_level(3)).
constexpr std::array<int, 5> kLevelMinBits = {80, 112, 128, 192, 256};

}  // namespace

class Pki::Impl {
 public:
  struct Entry {
    CertSpec spec;
    X509* cert = nullptr;
    EVP_PKEY* key = nullptr;
  };

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    for (auto& [name, e] : entries) {
      X509_free(e.cert);
      EVP_PKEY_free(e.key);
    }
  }

  const Entry* Find(std::string_view name) const {
    auto it = entries.find(name);
    return it == entries.end() ? nullptr : &it->second;
  }

  // Generates the key and the certificate of `spec`, whose issuer (if any)
  // is already built.
  Result<bool> Make(const CertSpec& spec, UnixSeconds clock_start);

  std::map<std::string, Entry, std::less<>> entries;
};

Result<bool> Pki::Impl::Make(const CertSpec& spec, UnixSeconds clock_start) {
  const Entry* issuer = spec.issuer.empty() ? nullptr : Find(spec.issuer);

  PkeyPtr key = GenerateKey(spec.key);
  if (key == nullptr) {
    return OpensslError("key generation failed for " + spec.name);
  }
  X509Ptr x(X509_new());
  if (x == nullptr) {
    return OpensslError("X509_new failed for " + spec.name);
  }
  bool ok = X509_set_version(x.get(), X509_VERSION_3) == 1 && SetRandomSerial(x.get()) &&
            X509_set_pubkey(x.get(), key.get()) == 1;
  if (!ok) {
    return OpensslError("cannot set version, serial or key of " + spec.name);
  }

  X509_NAME* subject = X509_get_subject_name(x.get());
  if (!spec.common_name.empty() &&
      X509_NAME_add_entry_by_NID(subject, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(spec.common_name.data()),
                                 static_cast<int>(spec.common_name.size()), -1, 0) != 1) {
    return OpensslError("cannot set the common name of " + spec.name);
  }
  X509_NAME* issuer_name = issuer != nullptr ? X509_get_subject_name(issuer->cert) : subject;
  if (X509_set_issuer_name(x.get(), issuer_name) != 1) {
    return OpensslError("cannot set the issuer name of " + spec.name);
  }

  // RFC 5280 §4.1.2.5: ASN1_TIME_set picks UTCTime through 2049 and
  // GeneralizedTime after, as the RFC requires.
  if (ASN1_TIME_set(X509_getm_notBefore(x.get()),
                    static_cast<time_t>(clock_start + spec.not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()),
                    static_cast<time_t>(clock_start + spec.not_after)) == nullptr) {
    return OpensslError("cannot set the validity of " + spec.name);
  }

  bool rsa = spec.key != KeyType::kEcdsaP256;
  const ASN1_OCTET_STRING* issuer_skid =
      issuer != nullptr ? X509_get0_subject_key_id(issuer->cert) : nullptr;
  if (!AddExtensions(x.get(), spec, issuer_skid, rsa)) {
    return OpensslError("cannot add the extensions of " + spec.name);
  }

  // The default provider signs with SHA-1 for certificates (OpenSSL 3.0
  // keeps SHA-1 out of TLS signatures only, through the SSL security level,
  // which does not apply here).
  EVP_PKEY* signer = issuer != nullptr ? issuer->key : key.get();
  const EVP_MD* md = spec.digest == Digest::kSha1 ? EVP_sha1() : EVP_sha256();
  if (X509_sign(x.get(), signer, md) <= 0) {
    return OpensslError("signing failed for " + spec.name);
  }

  Entry e;
  e.spec = spec;
  e.cert = x.release();
  e.key = key.release();
  entries.emplace(spec.name, e);
  return true;
}

Pki::Pki(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pki::~Pki() = default;

Result<std::shared_ptr<const Pki>> Pki::Build(const std::vector<CertSpec>& specs,
                                              UnixSeconds clock_start) {
  // Validate the specs as a graph first: names, issuers, validity.
  std::map<std::string, const CertSpec*, std::less<>> by_name;
  for (const CertSpec& s : specs) {
    if (s.name.empty()) {
      return SpecError("empty certificate name", "common name \"" + s.common_name + "\"");
    }
    if (!by_name.emplace(s.name, &s).second) {
      return SpecError("duplicate certificate name", s.name);
    }
    if (s.not_after < s.not_before) {
      return SpecError("not_after before not_before", s.name);
    }
    if (!s.ca && !s.permitted_dns.empty()) {
      return SpecError("permitted_dns on a certificate that is not a CA", s.name);
    }
    for (const auto& ip : s.ip_addresses) {
      if (text::AddressLiteralOctets(ip).empty()) {
        return SpecError("ip_addresses entry is not an IPv4 or IPv6 address", s.name + ": " + ip);
      }
    }
  }
  // An issuer equal to the spec's own name means self-signed, like empty.
  auto issuer_of = [](const CertSpec& s) -> std::string_view {
    return s.issuer == s.name ? std::string_view() : std::string_view(s.issuer);
  };
  for (const CertSpec& s : specs) {
    std::string_view issuer = issuer_of(s);
    if (issuer.empty()) {
      continue;
    }
    auto it = by_name.find(issuer);
    if (it == by_name.end()) {
      return SpecError("unknown issuer", s.name + ": issuer \"" + s.issuer + "\"");
    }
    if (!it->second->ca && !it->second->leaf_issuer) {
      return SpecError("issuer is not a CA", s.name + ": issuer \"" + s.issuer + "\"");
    }
  }

  // Topological order by issuer: walk up from each spec to its root,
  // then build downwards. A walk that meets itself is a cycle.
  std::vector<const CertSpec*> order;
  std::map<std::string_view, int> state;  // 1: on the current walk, 2: ordered
  for (const CertSpec& start : specs) {
    std::vector<const CertSpec*> walk;
    const CertSpec* s = &start;
    while (s != nullptr && state[s->name] == 0) {
      state[s->name] = 1;
      walk.push_back(s);
      std::string_view issuer = issuer_of(*s);
      s = issuer.empty() ? nullptr : by_name.find(issuer)->second;
    }
    if (s != nullptr && state[s->name] == 1) {
      return SpecError("issuer cycle", s->name);
    }
    for (auto it = walk.rbegin(); it != walk.rend(); ++it) {
      state[(*it)->name] = 2;
      order.push_back(*it);
    }
  }

  auto impl = std::make_unique<Impl>();
  for (const CertSpec* s : order) {
    CertSpec normalized = *s;
    normalized.issuer = std::string(issuer_of(*s));
    Result<bool> made = impl->Make(normalized, clock_start);
    if (!made.ok()) {
      return made.error();
    }
  }
  return std::shared_ptr<const Pki>(new Pki(std::move(impl)));
}

bool Pki::Has(std::string_view name) const { return impl_->Find(name) != nullptr; }

X509* Pki::Cert(std::string_view name) const {
  const Impl::Entry* e = impl_->Find(name);
  return e == nullptr ? nullptr : e->cert;
}

EVP_PKEY* Pki::Key(std::string_view name) const {
  const Impl::Entry* e = impl_->Find(name);
  return e == nullptr ? nullptr : e->key;
}

std::string Pki::CertPem(std::string_view name) const {
  X509* x = Cert(name);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (x == nullptr || bio == nullptr || PEM_write_bio_X509(bio.get(), x) != 1) {
    return {};
  }
  return BioContents(bio.get());
}

std::string Pki::KeyPem(std::string_view name) const {
  EVP_PKEY* k = Key(name);
  BioPtr bio(BIO_new(BIO_s_mem()));
  // PEM_write_bio_PKCS8PrivateKey: "BEGIN PRIVATE KEY" (PKCS#8
  // PrivateKeyInfo) for every key type.
  if (k == nullptr || bio == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  return BioContents(bio.get());
}

std::string Pki::CertDer(std::string_view name) const {
  X509* x = Cert(name);
  if (x == nullptr) {
    return {};
  }
  int len = i2d_X509(x, nullptr);
  if (len <= 0) {
    return {};
  }
  std::string out(static_cast<std::size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  if (i2d_X509(x, &p) != len) {
    return {};
  }
  return out;
}

std::vector<X509*> Pki::Chain(std::string_view leaf, bool intermediates) const {
  std::vector<X509*> out;
  const Impl::Entry* e = impl_->Find(leaf);
  if (e == nullptr) {
    return out;
  }
  out.push_back(e->cert);
  if (!intermediates) {
    return out;
  }
  // Build() refused cycles, so this walk ends at a self-signed root.
  for (e = impl_->Find(e->spec.issuer); e != nullptr && !e->spec.issuer.empty();
       e = impl_->Find(e->spec.issuer)) {
    out.push_back(e->cert);
  }
  return out;
}

std::string Pki::ChainPem(std::string_view leaf, bool intermediates) const {
  std::string out;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr) {
    return out;
  }
  for (X509* x : Chain(leaf, intermediates)) {
    if (PEM_write_bio_X509(bio.get(), x) != 1) {
      return {};
    }
  }
  return BioContents(bio.get());
}

std::string Pki::BundlePem(const std::vector<std::string>& names) const {
  std::string out;
  for (const std::string& n : names) {
    out += CertPem(n);
  }
  return out;
}

Result<bool> Pki::UseInServer(SSL_CTX* ctx, std::string_view leaf, bool intermediates) const {
  const Impl::Entry* e = impl_->Find(leaf);
  if (e == nullptr) {
    return MakeDiag("pki.unknown", Severity::kError, 0, "no such certificate", std::string(leaf));
  }
  if (ctx == nullptr) {
    return MakeDiag("pki.openssl", Severity::kError, 0, "OpenSSL call failed", "null SSL_CTX");
  }
  std::vector<X509*> chain = Chain(leaf, intermediates);

  // A mock server must be able to present a bad certificate: OpenSSL refuses
  // to load (and to send) a certificate whose key or signature is weaker
  // than the context's security level (SSL_CTX_use_certificate fails with
  // "ee key too small" or "ca md too weak"). Lower the level, only when the
  // chain needs it, to the highest level the chain meets: 1 for a 1024-bit
  // RSA key (80 bits), 0 for a SHA-1 signature (63 bits in OpenSSL 3).
  int min_bits = INT_MAX;
  for (X509* x : chain) {
    min_bits = std::min(min_bits, CertSecurityBits(x));
  }
  int level = SSL_CTX_get_security_level(ctx);
  while (level > 0 && min_bits < kLevelMinBits[static_cast<std::size_t>(std::min(level, 5) - 1)]) {
    --level;
  }
  if (level < SSL_CTX_get_security_level(ctx)) {
    SSL_CTX_set_security_level(ctx, level);
  }

  ERR_clear_error();
  if (SSL_CTX_use_certificate(ctx, e->cert) != 1) {
    return OpensslError("SSL_CTX_use_certificate(" + std::string(leaf) + ")");
  }
  if (SSL_CTX_use_PrivateKey(ctx, e->key) != 1) {
    return OpensslError("SSL_CTX_use_PrivateKey(" + std::string(leaf) + ")");
  }
  if (SSL_CTX_clear_chain_certs(ctx) != 1) {
    return OpensslError("SSL_CTX_clear_chain_certs");
  }
  for (std::size_t i = 1; i < chain.size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, chain[i]) != 1) {
      return OpensslError("SSL_CTX_add1_chain_cert(" + std::string(leaf) + ")");
    }
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return OpensslError("SSL_CTX_check_private_key(" + std::string(leaf) + ")");
  }
  return true;
}

}  // namespace mxconform::mocks::pki
