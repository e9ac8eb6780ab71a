#include "mtasts/cache.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/domain.h"

namespace mxconform::mtasts {
namespace {

// a + b for b >= 0, saturating at the largest UnixSeconds.
UnixSeconds AddSeconds(UnixSeconds a, std::int64_t b) {
  constexpr UnixSeconds kMax = std::numeric_limits<UnixSeconds>::max();
  if (a > kMax - b) {
    return kMax;
  }
  return a + b;
}

std::int64_t NonNegative(std::int64_t v) { return v < 0 ? 0 : v; }

}  // namespace

PolicyCache::PolicyCache(const Clock& clock, CacheOptions opts) : clock_(clock), opts_(opts) {
  opts_.fetch_backoff = NonNegative(opts_.fetch_backoff);
  opts_.proactive_refresh = NonNegative(opts_.proactive_refresh);
}

const PolicyCache::Entry* PolicyCache::Find(std::string_view domain) const {
  auto it = entries_.find(domain::Fold(domain));
  return it == entries_.end() ? nullptr : &it->second;
}

bool PolicyCache::InBackoff(const Entry& e, std::string_view id, UnixSeconds now) const {
  // RFC 8461 §3.3: limit further attempts per version id (STS-3.3-08). Ids are
  // compared exactly, so a different id is never held back.
  return e.failed_id.has_value() && *e.failed_id == id && now < e.retry_at;
}

const CachedPolicy* PolicyCache::FreshPolicy(const Entry& e, UnixSeconds now) const {
  // RFC 8461 §5.1 / §3.2: an expired policy never applies (STS-5.1-02,
  // STS-3.2-07).
  if (e.cached.has_value() && e.cached->FreshAt(now)) {
    return &*e.cached;
  }
  return nullptr;
}

Plan PolicyCache::PlanDelivery(std::string_view domain, TxtOutcome txt,
                               std::string_view txt_id) const {
  const UnixSeconds now = clock_.Now();
  const Entry* e = Find(domain);
  Plan plan;
  plan.effective = e != nullptr ? FreshPolicy(*e, now) : nullptr;

  switch (txt) {
    case TxtOutcome::kAbsent:
      // RFC 8461 §3.1: no (valid) record means nothing to fetch, but it does
      // not evict a cached unexpired policy (STS-3.1-05, STS-3.1-08).
      plan.action = FetchAction::kNoFetch;
      plan.reason = kReasonNoTxt;
      return plan;
    case TxtOutcome::kTempFail:
      // RFC 8461 §3.3: no live policy, the unexpired cached one applies
      // (STS-3.3-11).
      plan.action = FetchAction::kNoFetch;
      plan.reason = kReasonTxtTempFail;
      return plan;
    case TxtOutcome::kValid:
      break;
  }

  if (e == nullptr || !e->cached.has_value()) {
    plan.reason = kReasonFirstFetch;
  } else if (e->cached->id != txt_id) {
    // RFC 8461 §3.1 / §5.1: any difference means a new policy; ids carry no
    // order (STS-3.1-09, STS-5.1-04).
    plan.reason = kReasonIdChanged;
  } else if (plan.effective != nullptr) {
    // Same id, cache fresh: no fetch (STS-5.1-05).
    plan.action = FetchAction::kNoFetch;
    plan.reason = kReasonFresh;
    return plan;
  } else {
    // Same id, cache expired: fetch (STS-5.1-02).
    plan.reason = kReasonExpired;
  }

  if (e != nullptr && InBackoff(*e, txt_id, now)) {
    plan.action = FetchAction::kBackoff;
    plan.reason = kReasonBackoff;
  } else {
    plan.action = FetchAction::kFetch;
  }
  return plan;
}

const CachedPolicy* PolicyCache::OnFetchSuccess(std::string_view domain, std::string_view id,
                                                Policy policy) {
  Entry& e = entries_[domain::Fold(domain)];
  // RFC 8461 §5.1: the fetched policy replaces the cached one whatever its
  // max_age or mode (STS-5.1-04, STS-8.3-01). Success clears the backoff.
  e.cached = CachedPolicy{std::string(id), std::move(policy), clock_.Now()};
  e.failed_id.reset();
  e.retry_at = 0;
  return &*e.cached;
}

PolicyCache::FailureResult PolicyCache::OnFetchFailure(std::string_view domain,
                                                       std::string_view id) {
  const UnixSeconds now = clock_.Now();
  Entry& e = entries_[domain::Fold(domain)];
  // RFC 8461 §3.3: no new attempt for this id for fetch_backoff seconds
  // (STS-3.3-08).
  e.failed_id = std::string(id);
  e.retry_at = AddSeconds(now, opts_.fetch_backoff);

  FailureResult r;
  // RFC 8461 §5.1 / §3.3: on failure the old cached policy is kept and, while
  // unexpired, applies (STS-5.1-04, STS-3.3-11).
  r.effective = FreshPolicy(e, now);
  // RFC 8461 §3.3: alert when a refresh fails unless the cached mode is none
  // (STS-3.3-13).
  r.alert = e.cached.has_value() && e.cached->policy.mode != Mode::kNone;
  r.reason = r.alert ? kReasonRefreshFailed : kReasonFetchFailed;
  return r;
}

const CachedPolicy* PolicyCache::Effective(std::string_view domain) const {
  const Entry* e = Find(domain);
  return e != nullptr ? FreshPolicy(*e, clock_.Now()) : nullptr;
}

bool PolicyCache::NeedsProactiveRefresh(std::string_view domain) const {
  const UnixSeconds now = clock_.Now();
  const Entry* e = Find(domain);
  if (e == nullptr) {
    return false;
  }
  const CachedPolicy* c = FreshPolicy(*e, now);
  if (c == nullptr) {
    return false;
  }
  // RFC 8461 §3.3 / §10.2: refresh a cached policy periodically whatever the
  // TXT record says (STS-3.3-12, STS-10.2-01), but not while a failed refresh
  // of the same id is in backoff (STS-3.3-08). "Before they expire": a
  // policy of max_age one day or less is due at half its max_age, so that
  // the refresh (and its retries) come while it still applies.
  const std::int64_t due =
      std::min(opts_.proactive_refresh, static_cast<std::int64_t>(c->policy.max_age / 2));
  return now >= AddSeconds(c->fetched_at, due) && !InBackoff(*e, c->id, now);
}

void PolicyCache::Clear() { entries_.clear(); }

}  // namespace mxconform::mtasts
