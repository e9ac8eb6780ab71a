#include "mtasts/sender.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <exception>
#include <random>
#include <utility>

#include "common/domain.h"
#include "common/text.h"
#include "mtasts/txt_record.h"
#include "spf/ip.h"

namespace mxconform::mtasts {
namespace {

// RFC 8461 §3.3: the policy's media type is text/plain; parameters (a
// charset) are allowed.
bool IsTextPlain(std::string_view content_type) {
  const std::size_t semi = content_type.find(';');
  std::string_view type = content_type.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.remove_suffix(1);
  }
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
    type.remove_prefix(1);
  }
  return text::EqualsIgnoreCase(type, "text/plain");
}

std::string DomainOf(std::string_view recipient) {
  const std::size_t at = recipient.rfind('@');
  std::string d(at == std::string_view::npos ? recipient : recipient.substr(at + 1));
  if (!d.empty() && d.back() == '.') {
    d.pop_back();
  }
  return text::ToLowerCopy(d);
}

// An address literal ("[192.0.2.1]", "[ipv6:2001:db8::1]", RFC 5321
// §4.1.3) names a host, not a domain.
bool IsAddressLiteral(std::string_view domain) {
  return domain.size() >= 2 && domain.front() == '[' && domain.back() == ']';
}

// std::random_device is getrandom(2) on Linux; where it has no source it
// throws, which must not leave the sender: the clock then seeds the order,
// which only needs to vary, not to be secret.
std::uint64_t EntropySeed() {
  try {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) | rd();
  } catch (const std::exception&) {
    return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
}

}  // namespace

std::string_view ChannelName(Channel c) {
  switch (c) {
    case Channel::kNone:
      return "none";
    case Channel::kVerifiedTls:
      return "verified-tls";
    case Channel::kUnverifiedTls:
      return "unverified-tls";
    case Channel::kPlaintext:
      return "plaintext";
  }
  return "none";
}

std::string_view VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kDelivered:
      return "delivered";
    case Verdict::kDeferred:
      return "deferred";
    case Verdict::kBounced:
      return "bounced";
  }
  return "deferred";
}

std::string_view ProfileName(SenderProfile p) {
  switch (p) {
    case SenderProfile::kReference:
      return "reference";
    case SenderProfile::kOpportunistic:
      return "opportunistic";
    case SenderProfile::kNoCache:
      return "no-cache";
    case SenderProfile::kFollowRedirects:
      return "follow-redirects";
    case SenderProfile::kCleartextFallback:
      return "cleartext-fallback";
    case SenderProfile::kNoNameCheck:
      return "no-name-check";
    case SenderProfile::kNoShuffle:
      return "no-shuffle";
  }
  return "reference";
}

const std::vector<SenderProfile>& AllProfiles() {
  static const std::vector<SenderProfile> all = {
      SenderProfile::kReference,         SenderProfile::kOpportunistic,
      SenderProfile::kNoCache,           SenderProfile::kFollowRedirects,
      SenderProfile::kCleartextFallback, SenderProfile::kNoNameCheck,
      SenderProfile::kNoShuffle};
  return all;
}

std::optional<SenderProfile> ParseProfile(std::string_view name) {
  for (SenderProfile p : AllProfiles()) {
    if (ProfileName(p) == name) {
      return p;
    }
  }
  return std::nullopt;
}

struct Sender::PolicyState {
  const CachedPolicy* cached = nullptr;  // the policy that applies, if any
};

Sender::Sender(spf::Resolver& dns, PolicyFetcher& fetcher, MxConnector& mx, PolicyCache& cache,
               SenderOptions opts)
    : dns_(dns),
      fetcher_(fetcher),
      mx_(mx),
      cache_(cache),
      opts_(std::move(opts)),
      rng_(opts_.mx_shuffle_seed ? *opts_.mx_shuffle_seed : EntropySeed()) {}

// RFC 8461 §3.1-§3.3, §5.1: the TXT record, the cache, and a fetch when
// the cache says so.
Sender::PolicyState Sender::Discover(std::string_view domain, DeliveryReport& report) {
  PolicyState st;
  const std::string txt_name = "_mta-sts." + std::string(domain);
  spf::DnsAnswer txt = dns_.Query(txt_name, spf::QueryType::kTxt);
  TxtOutcome outcome = TxtOutcome::kAbsent;
  std::string id;
  if (txt.status == spf::DnsStatus::kError || txt.status == spf::DnsStatus::kTimeout) {
    outcome = TxtOutcome::kTempFail;
    report.steps.push_back("TXT " + txt_name + ": " + std::string(spf::DnsStatusName(txt.status)));
  } else if (txt.status == spf::DnsStatus::kOk && !txt.txt.empty()) {
    auto rec = SelectTxtRecord(txt.txt, opts_.policy_parse);
    if (rec) {
      outcome = TxtOutcome::kValid;
      id = rec->id;
      report.steps.push_back("TXT " + txt_name + ": id=" + id);
    } else {
      report.steps.push_back("TXT " + txt_name + ": no usable record (" +
                             std::string(rec.error().id) + ")");
    }
  } else {
    report.steps.push_back("TXT " + txt_name + ": none");
  }
  const bool refresh = cache_.NeedsProactiveRefresh(domain);
  Plan plan = cache_.PlanDelivery(domain, outcome, id);
  st.cached = plan.effective;
  FetchAction action = plan.action;
  std::string fetch_id = id;
  if (action == FetchAction::kNoFetch && refresh && st.cached != nullptr) {
    // RFC 8461 §3.3, §10.2: refresh a long-held policy whatever DNS says,
    // so that stripping the TXT record cannot keep an old policy alive.
    action = FetchAction::kFetch;
    fetch_id = st.cached->id;
    report.steps.push_back("cache: proactive refresh of id " + fetch_id);
  } else {
    report.steps.push_back("cache: " + std::string(plan.reason));
  }
  if (action != FetchAction::kFetch) {
    return st;
  }
  const std::string host = "mta-sts." + std::string(domain);
  FetchResponse r = FetchPolicy(host, report);
  std::optional<FetchFailure> failure = r.failure;
  std::string why = r.detail;
  Policy policy;
  if (!failure) {
    if (r.status >= 300 && r.status < 400) {
      failure = FetchFailure::kRedirect;  // never followed (STS-3.3-06)
      why = "HTTP " + std::to_string(r.status) + " to " + r.location;
    } else if (r.status != 200) {
      failure = FetchFailure::kHttpStatus;
      why = "HTTP " + std::to_string(r.status);
    } else if (!IsTextPlain(r.content_type)) {
      failure = FetchFailure::kContentType;
      why = "Content-Type " + r.content_type;
    } else if (!ParsePolicyInto(r.body, opts_.policy_parse, policy)) {
      failure = FetchFailure::kSyntax;
      const Diagnostic* e = FirstError(policy.diagnostics);
      why = e != nullptr ? std::string(e->id) : "invalid policy";
    }
  }
  if (!failure) {
    report.steps.push_back("fetch " + host + ": mode " + std::string(ModeName(policy.mode)) +
                           ", max_age " + std::to_string(policy.max_age));
    st.cached = cache_.OnFetchSuccess(domain, fetch_id, std::move(policy));
    return st;
  }
  report.steps.push_back("fetch " + host + ": failed (" + why + ")");
  report.failures.push_back(RptFailure{FetchFailureResultType(*failure), "", why, ""});
  PolicyCache::FailureResult failed = cache_.OnFetchFailure(domain, fetch_id);
  if (failed.alert) {
    report.alerts.push_back("the cached policy of " + std::string(domain) +
                            " could not be refreshed (" + why + ")");
  }
  st.cached = failed.effective;
  return st;
}

FetchResponse Sender::FetchPolicy(const std::string& host, DeliveryReport& report) {
  FetchResponse r = fetcher_.Fetch(host, kPolicyPath);
  if (opts_.profile != SenderProfile::kFollowRedirects) {
    return r;
  }
  // The corner cut: follow up to three redirects wherever they point
  // (RFC 8461 §3.3 forbids following any, STS-3.3-06).
  for (int hops = 0; hops < 3 && !r.failure && r.status >= 300 && r.status < 400; ++hops) {
    std::string_view loc = r.location;
    std::string to_host = host;
    std::string path(loc);
    if (loc.rfind("https://", 0) == 0) {
      loc.remove_prefix(8);
      const std::size_t slash = loc.find('/');
      to_host = std::string(loc.substr(0, slash));
      path = slash == std::string_view::npos ? "/" : std::string(loc.substr(slash));
    } else if (loc.empty() || loc.front() != '/') {
      break;
    }
    report.steps.push_back("fetch " + host + ": following the redirect to https://" + to_host +
                           path);
    r = fetcher_.Fetch(to_host, path);
  }
  return r;
}

bool Sender::SendInClear(const std::string& host, const std::string& address,
                         std::string_view recipient, std::string_view message,
                         DeliveryReport& report) {
  std::string detail;
  std::unique_ptr<MxSession> s = mx_.Connect(host, address, detail);
  report.contacted.push_back(host);
  if (!s || !s->Greet(detail)) {
    report.steps.push_back(host + ": plaintext retry failed (" + detail + ")");
    return false;
  }
  SendResult sent = s->Send(opts_.from, recipient, message);
  s->Quit();
  if (sent.status != SendStatus::kAccepted) {
    report.steps.push_back(host + ": plaintext retry not accepted (" + sent.detail + ")");
    return false;
  }
  report.steps.push_back(host + ": delivered over plaintext after the TLS failure");
  report.verdict = Verdict::kDelivered;
  report.channel = Channel::kPlaintext;
  report.mx = host;
  return true;
}

DeliveryReport Sender::Deliver(std::string_view recipient, Purpose purpose,
                               std::string_view message) {
  DeliveryReport report = DeliverOnce(recipient, message, purpose);
  if (opts_.profile == SenderProfile::kNoCache) {
    cache_.Clear();
  }
  return report;
}

bool Sender::IsLocalName(std::string_view host) const {
  return std::any_of(opts_.local_names.begin(), opts_.local_names.end(),
                     [&](const std::string& name) { return domain::NamesEqual(name, host); });
}

Sender::Reach Sender::Resolve(const std::string& host, DeliveryReport& report,
                              std::vector<std::string>& addresses) {
  // RFC 5321 §5.1 (MX-5.1-12): an exchange is a name that must resolve to
  // address records; one without any is not usable (an address written as
  // a name, M10, is such a name). Asked when the exchange's turn comes, so
  // that an exchange the policy rules out costs no lookup. The addresses
  // keep the resolver's order (MX-5.1-11); AAAA is asked only when there
  // is no A (the order between families is local policy).
  spf::DnsStatus worst = spf::DnsStatus::kOk;
  addresses.clear();
  for (const spf::QueryType type : {spf::QueryType::kA, spf::QueryType::kAaaa}) {
    const spf::DnsAnswer a = dns_.Query(host, type);
    for (const spf::IpAddress& ip : a.addresses) {
      addresses.push_back(spf::ReadableIpForm(ip));
    }
    if (!addresses.empty()) {
      return Reach::kAddressed;
    }
    if (a.status == spf::DnsStatus::kError || a.status == spf::DnsStatus::kTimeout) {
      worst = a.status;
    }
  }
  if (worst != spf::DnsStatus::kOk) {
    report.steps.push_back(host + ": address lookup " + std::string(spf::DnsStatusName(worst)) +
                           ", skipped");
    return Reach::kLookupFailed;
  }
  report.steps.push_back(host + ": no A or AAAA records, not usable (RFC 5321 §5.1)");
  return Reach::kNoAddress;
}

bool Sender::Destinations(const std::string& domain, bool literal, DeliveryReport& report,
                          std::vector<std::string>& hosts) {
  if (literal) {
    hosts = {domain};  // the host to connect to, with no lookup
    return true;
  }
  spf::DnsAnswer mx = dns_.Query(domain, spf::QueryType::kMx);
  if (mx.status == spf::DnsStatus::kError || mx.status == spf::DnsStatus::kTimeout) {
    report.steps.push_back("MX " + domain + ": " + std::string(spf::DnsStatusName(mx.status)));
    report.verdict = Verdict::kDeferred;
    return false;
  }
  if (mx.status == spf::DnsStatus::kNxDomain) {
    report.steps.push_back("MX " + domain + ": NXDOMAIN");
    report.verdict = Verdict::kBounced;
    return false;
  }
  hosts = std::move(mx.names);
  const auto root = [](const std::string& h) { return h == "." || h.empty(); };
  if (!hosts.empty() && std::all_of(hosts.begin(), hosts.end(), root)) {
    report.steps.push_back("MX " + domain + ": null MX (RFC 7505)");
    report.verdict = Verdict::kBounced;
    return false;
  }
  // A "." among other exchanges (catalogue M8). RFC 7505 §3 forbids
  // publishing it and leaves a client's reading open; "." names no host,
  // so it cannot be connected to (RFC 5321 §5.1 goes on to the next
  // exchange). The suite's choice: drop it and use the other exchanges.
  if (std::any_of(hosts.begin(), hosts.end(), root)) {
    std::vector<std::string> kept;
    std::vector<std::uint16_t> kept_preferences;
    for (std::size_t k = 0; k < hosts.size(); ++k) {
      if (root(hosts[k])) {
        continue;
      }
      kept.push_back(std::move(hosts[k]));
      if (mx.preferences.size() == hosts.size()) {
        kept_preferences.push_back(mx.preferences[k]);
      }
    }
    report.steps.push_back("MX " + domain +
                           ": \".\" among other MX records (RFC 7505 §3 forbids it), ignored");
    hosts = std::move(kept);
    mx.preferences = std::move(kept_preferences);
  }
  if (hosts.empty()) {
    if (IsLocalName(domain)) {
      report.steps.push_back("MX " + domain +
                             ": none, and the implicit MX is this host: undeliverable "
                             "(RFC 5321 §5.1)");
      report.verdict = Verdict::kBounced;
      return false;
    }
    hosts.push_back(domain);
    report.steps.push_back("MX " + domain + ": none, the domain is the implicit MX");
    return true;
  }
  // MX-5.1-10: this host among the exchanges. The answer is in preference
  // order, so that preference and everything after it goes (by position
  // when the resolver gave no preferences).
  for (std::size_t k = 0; k < hosts.size(); ++k) {
    if (!IsLocalName(hosts[k])) {
      continue;
    }
    std::size_t cut = k;
    if (mx.preferences.size() == hosts.size()) {
      while (cut > 0 && mx.preferences[cut - 1] == mx.preferences[k]) {
        --cut;
      }
      mx.preferences.resize(cut);
    }
    report.steps.push_back("MX " + domain + ": " + hosts[k] +
                           " is this host: exchanges of its preference and above dropped "
                           "(RFC 5321 §5.1)");
    hosts.resize(cut);
    if (hosts.empty()) {
      report.steps.push_back("MX " + domain +
                             ": no exchange more preferred than this host: undeliverable");
      report.verdict = Verdict::kBounced;
      return false;
    }
    break;
  }
  // MX-5.1-09: the answer comes in preference order; each run of equal
  // preferences is shuffled (the no-shuffle control keeps the DNS order).
  if (mx.preferences.size() == hosts.size() && opts_.profile != SenderProfile::kNoShuffle) {
    for (std::size_t b = 0; b < hosts.size();) {
      std::size_t e = b + 1;
      while (e < hosts.size() && mx.preferences[e] == mx.preferences[b]) {
        ++e;
      }
      std::shuffle(hosts.begin() + static_cast<std::ptrdiff_t>(b),
                   hosts.begin() + static_cast<std::ptrdiff_t>(e), rng_);
      b = e;
    }
  }
  return true;
}

Sender::Attempt Sender::TryAddress(const Policy* policy, const std::string& host,
                                   const std::string& address, bool name_address, bool literal,
                                   std::string_view recipient, std::string_view message,
                                   Purpose purpose, DeliveryReport& report) {
  // Steps name the address only where the host has several.
  const std::string at = name_address ? host + " [" + address + "]" : host;
  std::string detail;
  std::unique_ptr<MxSession> s = mx_.Connect(host, address, detail);
  report.contacted.push_back(host);
  if (!s) {
    report.steps.push_back(at + ": no connection (" + detail + ")");
    return Attempt::kNext;
  }
  if (!s->Greet(detail)) {
    report.steps.push_back(at + ": " + detail);
    return Attempt::kNext;
  }
  TlsOutcome tls = TlsOutcome::kStarttlsNotOffered;
  bool tls_up = false;
  std::string tls_detail = "STARTTLS not offered";
  if (s->StarttlsOffered()) {
    // No SNI for an address literal (RFC 6066 §3: a HostName is a DNS
    // name, never an address).
    StartTlsResult t = s->StartTls(literal ? std::string_view() : std::string_view(host));
    tls = t.outcome;
    tls_up = t.usable;
    tls_detail = t.detail;
    if (opts_.profile == SenderProfile::kNoNameCheck && tls == TlsOutcome::kCertHostMismatch) {
      tls = TlsOutcome::kOk;
      tls_detail += " (the name is not checked)";
    }
    if (!t.usable && tls != TlsOutcome::kStarttlsRefused) {
      // The handshake failed: the connection is gone (never retried in
      // plaintext on the same MX).
      Decision d = DecideMx(policy, host, tls);
      if (d.report) {
        report.failures.push_back(RptFailure{*d.report, host, tls_detail, address});
      }
      if (opts_.profile == SenderProfile::kCleartextFallback || purpose == Purpose::kReport) {
        report.steps.push_back(at + ": TLS failed (" + tls_detail + "), retrying in plaintext");
        return SendInClear(host, address, recipient, message, report) ? Attempt::kDelivered
                                                                      : Attempt::kNext;
      }
      report.steps.push_back(at + ": TLS failed (" + tls_detail + "), next MX");
      return Attempt::kNext;
    }
  }
  Decision d = DecideMx(policy, host, tls);
  if (d.report) {
    report.failures.push_back(RptFailure{*d.report, host, tls_detail, address});
  }
  if (d.action == Action::kDefer) {
    report.steps.push_back(at + ": " + std::string(d.reason) + " (" + tls_detail +
                           "), not delivered here");
    s->Quit();
    return Attempt::kNext;
  }
  const Channel channel = !tls_up                  ? Channel::kPlaintext
                          : tls == TlsOutcome::kOk ? Channel::kVerifiedTls
                                                   : Channel::kUnverifiedTls;
  SendResult sent = s->Send(opts_.from, recipient, message);
  s->Quit();
  if (sent.status == SendStatus::kAccepted) {
    report.steps.push_back(at + ": delivered over " + std::string(ChannelName(channel)));
    report.verdict = Verdict::kDelivered;
    report.channel = channel;
    report.mx = host;
    return Attempt::kDelivered;
  }
  report.steps.push_back(at + ": not accepted (" + sent.detail + ")");
  return sent.status == SendStatus::kPermFail ? Attempt::kBounce : Attempt::kNext;
}

DeliveryReport Sender::DeliverOnce(std::string_view recipient, std::string_view message,
                                   Purpose purpose) {
  DeliveryReport report;
  const std::string domain = DomainOf(recipient);
  const bool literal = IsAddressLiteral(domain);
  PolicyState st;
  if (purpose == Purpose::kReport) {
    // RFC 8460 §3 (RPT-3-11, RPT-3-12): no policy, so nothing is enforced
    // and nothing is reported.
    report.report_delivery = true;
    report.steps.push_back(
        "a TLS-RPT report: MTA-STS not enforced, a failed handshake retried in plaintext, "
        "not counted in reports (RFC 8460 §3)");
  } else if (opts_.profile == SenderProfile::kOpportunistic) {
    report.steps.push_back("MTA-STS not consulted (profile opportunistic)");
  } else if (literal) {
    // STS-3.4-03: there is no Policy Domain to look up, so no MTA-STS.
    report.steps.push_back(domain + ": an address literal, no MTA-STS policy");
  } else {
    st = Discover(domain, report);
  }
  const Policy* policy = st.cached != nullptr ? &st.cached->policy : nullptr;
  if (st.cached != nullptr) {
    report.policy_mode = st.cached->policy.mode;
    report.policy_id = st.cached->id;
    report.policy_strings = PolicyStrings(st.cached->policy);
  }

  std::vector<std::string> hosts;
  if (!Destinations(domain, literal, report, hosts)) {
    return report;
  }

  bool bounced = false;
  std::size_t no_address = 0;
  for (const std::string& host : hosts) {
    Decision before = DecideMxBeforeConnect(policy, host);
    if (before.action == Action::kDefer) {
      report.steps.push_back(host + ": not in the policy's mx list, skipped");
      report.failures.push_back(RptFailure{*before.report, host, "MX not in the policy", ""});
      continue;
    }
    std::vector<std::string> addresses;
    if (literal) {
      addresses = {host};  // the literal is the address
    } else {
      const Reach reach = Resolve(host, report, addresses);
      no_address += reach == Reach::kNoAddress ? 1 : 0;
      if (reach != Reach::kAddressed) {
        continue;
      }
    }
    // RFC 5321 §5.1 (MX-5.1-11): each address of a multihomed exchange in
    // the order the resolver gave them, until one takes the message.
    Attempt outcome = Attempt::kNext;
    for (const std::string& address : addresses) {
      outcome = TryAddress(policy, host, address, addresses.size() > 1, literal, recipient, message,
                           purpose, report);
      if (outcome != Attempt::kNext) {
        break;
      }
    }
    if (outcome == Attempt::kDelivered) {
      return report;
    }
    if (outcome == Attempt::kBounce) {
      bounced = true;
      break;
    }
  }
  if (no_address == hosts.size()) {
    // MX-5.1-07: MX records, none usable: an error, not a reason to wait.
    report.steps.push_back("MX " + domain + ": no usable exchange (RFC 5321 §5.1)");
    bounced = true;
  }
  report.verdict = bounced ? Verdict::kBounced : Verdict::kDeferred;
  return report;
}

}  // namespace mxconform::mtasts
