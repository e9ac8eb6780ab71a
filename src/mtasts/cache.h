// The MTA-STS policy cache as a pure model over a Clock (RFC 8461 §3.3, §5.1,
// §10.2). It decides, per delivery, whether the sender has to fetch the policy
// over HTTPS and which cached policy (if any) applies; the caller does the DNS
// lookup and the fetch and reports their outcome back. No I/O happens here.
//
// The cache holds one entry per policy domain, keyed by the folded domain
// (ASCII lower case, no trailing root dot): the last successfully fetched
// policy with its TXT id and fetch time, and the backoff state of the last
// failed fetch.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "mtasts/policy.h"

namespace mxconform::mtasts {

// What the `_mta-sts.<domain>` TXT lookup gave for this delivery.
enum class TxtOutcome : std::uint8_t {
  kValid,     // exactly one valid v=STSv1 record; its id is known
  kAbsent,    // NXDOMAIN, NODATA, no v=STSv1 record, or an invalid record
  kTempFail,  // SERVFAIL, timeout: nothing is known about the record
};

struct CacheOptions {
  // Seconds after a failed fetch during which the same (domain, id) is not
  // fetched again (RFC 8461 §3.3 suggests five minutes or longer; STS-3.3-08).
  std::int64_t fetch_backoff = 300;
  // Seconds after the last successful fetch at which a cached, unexpired
  // policy is refreshed whatever the TXT record says (RFC 8461 §3.3, §10.2
  // suggest once a day; STS-3.3-12, STS-10.2-01); half the policy's max_age
  // when that is sooner, so that it is refreshed before it expires.
  std::int64_t proactive_refresh = 86400;
};

// A policy as fetched: the TXT id it was fetched under and when.
struct CachedPolicy {
  std::string id;
  Policy policy;
  UnixSeconds fetched_at = 0;

  // The first second at which the entry no longer applies:
  // fetched_at + policy.max_age (RFC 8461 §3.2, STS-5.1-02).
  UnixSeconds ExpiresAt() const { return fetched_at + policy.max_age; }
  // True while now < ExpiresAt().
  bool FreshAt(UnixSeconds now) const { return now < ExpiresAt(); }
};

enum class FetchAction : std::uint8_t {
  kNoFetch,  // use what the cache holds (possibly nothing)
  kFetch,    // fetch the policy over HTTPS, then call OnFetchSuccess/OnFetchFailure
  kBackoff,  // a fetch is due but a recent one for the same id failed: do not fetch
};

// Reason ids of a Plan and of a FailureResult (stable; see reports).
inline constexpr std::string_view kReasonFirstFetch = "mtasts.cache.first_fetch";
inline constexpr std::string_view kReasonIdChanged = "mtasts.cache.id_changed";
inline constexpr std::string_view kReasonExpired = "mtasts.cache.expired";
inline constexpr std::string_view kReasonFresh = "mtasts.cache.fresh";
inline constexpr std::string_view kReasonNoTxt = "mtasts.cache.no_txt";
inline constexpr std::string_view kReasonTxtTempFail = "mtasts.cache.txt_tempfail";
inline constexpr std::string_view kReasonBackoff = "mtasts.cache.backoff";
inline constexpr std::string_view kReasonRefreshFailed = "mtasts.cache.refresh_failed";
inline constexpr std::string_view kReasonFetchFailed = "mtasts.cache.fetch_failed";

// The plan for one delivery.
struct Plan {
  FetchAction action = FetchAction::kNoFetch;
  std::string_view reason;  // one of the kReason* ids above
  // The unexpired cached policy that applies now if no fetch happens (or the
  // fetch fails), or nullptr. With kFetch, a successful fetch supersedes it.
  const CachedPolicy* effective = nullptr;
};

// Pointers to CachedPolicy returned by this class point into the cache. They
// stay valid until the next OnFetchSuccess, OnFetchFailure or Clear call on
// the cache, or its destruction.
class PolicyCache {
 public:
  // `clock` must outlive the cache. Negative option values count as 0.
  explicit PolicyCache(const Clock& clock, CacheOptions opts = {});

  PolicyCache(const PolicyCache&) = delete;
  PolicyCache& operator=(const PolicyCache&) = delete;

  // Returns what to do for a delivery to `domain` given the TXT lookup
  // outcome; `txt_id` is read only with TxtOutcome::kValid. Does not change
  // the cache.
  //  - kAbsent: no fetch; an unexpired cached policy still applies
  //    (STS-3.1-05, STS-3.1-08).
  //  - kTempFail: no fetch; an unexpired cached policy applies (STS-3.3-11).
  //  - kValid, nothing cached: fetch (first_fetch).
  //  - kValid, id differs in any way from the cached id: fetch; ids are not
  //    ordered (STS-3.1-09, STS-5.1-04).
  //  - kValid, same id, cache fresh: no fetch (STS-5.1-05).
  //  - kValid, same id, cache expired: fetch (STS-5.1-02, STS-3.2-07).
  //  - any fetch for an id whose last fetch failed less than fetch_backoff
  //    seconds ago becomes kBackoff (STS-3.3-08).
  Plan PlanDelivery(std::string_view domain, TxtOutcome txt, std::string_view txt_id) const;

  // Records a successful fetch of `policy` under TXT id `id` now. The new
  // policy replaces the cached one unconditionally, even with a smaller
  // max_age or mode none (STS-5.1-04, STS-8.3-01), and clears the backoff.
  // Returns the new entry: the fetched policy applies to the delivery in hand
  // at once (A5; RFC 8461 §5.1 also allows fetching asynchronously and using
  // the policy for later deliveries only), even if its max_age is 0, in which
  // case it is never served from the cache afterwards.
  const CachedPolicy* OnFetchSuccess(std::string_view domain, std::string_view id, Policy policy);

  struct FailureResult {
    // The unexpired cached policy that still applies, or nullptr
    // (STS-5.1-04, STS-3.3-11; an expired one never does, STS-3.2-07).
    const CachedPolicy* effective = nullptr;
    // True if a cached policy (fresh or expired) of mode enforce or testing
    // failed to refresh: log an alert (STS-3.3-13).
    bool alert = false;
    // kReasonRefreshFailed when `alert`, else kReasonFetchFailed.
    std::string_view reason;
  };

  // Records a failed fetch for TXT id `id` (or, for a proactive refresh, the
  // cached id) now: starts the backoff for (domain, id) and keeps the cached
  // policy. Returns what applies now and whether to alert.
  FailureResult OnFetchFailure(std::string_view domain, std::string_view id);

  // Returns the unexpired cached policy for `domain`, or nullptr.
  const CachedPolicy* Effective(std::string_view domain) const;

  // Returns true if `domain` has a cached, unexpired policy whose last
  // successful fetch is at least proactive_refresh seconds old, or half its
  // max_age when that is sooner (RFC 8461 §3.3: refresh "before they
  // expire", also for a policy of a day or less), whatever the TXT record
  // says (so that stripping the TXT record cannot keep an old policy alive
  // until it expires; STS-3.3-12, STS-10.2-01). False while a fetch under
  // the cached id is in backoff (STS-3.3-08).
  bool NeedsProactiveRefresh(std::string_view domain) const;

  // Forgets every entry and every backoff.
  void Clear();

 private:
  struct Entry {
    std::optional<CachedPolicy> cached;
    // The id of the last failed fetch and when fetching it is allowed again.
    std::optional<std::string> failed_id;
    UnixSeconds retry_at = 0;
  };

  const Entry* Find(std::string_view domain) const;
  bool InBackoff(const Entry& e, std::string_view id, UnixSeconds now) const;
  const CachedPolicy* FreshPolicy(const Entry& e, UnixSeconds now) const;

  const Clock& clock_;
  CacheOptions opts_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace mxconform::mtasts
