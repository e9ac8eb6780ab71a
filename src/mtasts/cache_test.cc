#include "mtasts/cache.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "mtasts/decision.h"
#include "mtasts/policy.h"

namespace mxconform::mtasts {
namespace {

constexpr UnixSeconds kT0 = 1700000000;
constexpr std::uint32_t kWeek = 7 * 86400;
constexpr std::string_view kDomain = "example.com";

Policy MakePolicy(Mode mode, std::uint32_t max_age,
                  std::vector<std::string> mx = {"mx1.example.com", "*.mx.example.com"}) {
  Policy p;
  p.mode = mode;
  p.max_age = max_age;
  for (const auto& m : mx) {
    p.AddMx(m);
  }
  return p;
}

class PolicyCacheTest : public ::testing::Test {
 protected:
  FixedClock clock_{kT0};
  PolicyCache cache_{clock_};
};

// A5: the first successful fetch applies to the message in hand.
TEST_F(PolicyCacheTest, FirstFetchAppliesImmediately) {
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "20240101");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonFirstFetch);
  EXPECT_EQ(plan.effective, nullptr);

  const CachedPolicy* got =
      cache_.OnFetchSuccess(kDomain, "20240101", MakePolicy(Mode::kEnforce, kWeek));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->id, "20240101");
  EXPECT_EQ(got->policy.mode, Mode::kEnforce);
  EXPECT_EQ(got->fetched_at, kT0);
  EXPECT_EQ(cache_.Effective(kDomain), got);
}

// A5 with max_age 0: the live policy applies to this delivery, but it is
// never served from the cache (STS-5.1-02).
TEST_F(PolicyCacheTest, ZeroMaxAgeAppliesOnlyToTheDeliveryInHand) {
  const CachedPolicy* got = cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, 0));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->policy.mode, Mode::kEnforce);
  EXPECT_EQ(cache_.Effective(kDomain), nullptr);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonExpired);
}

// STS-3.1-05, STS-3.1-08: a missing or invalid TXT record means no fetch and
// does not evict a cached unexpired policy (NXDOMAIN keeps enforce).
TEST_F(PolicyCacheTest, Sts3105AbsentTxtKeepsCachedPolicy) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(3600);

  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kAbsent, "");
  EXPECT_EQ(plan.action, FetchAction::kNoFetch);
  EXPECT_EQ(plan.reason, kReasonNoTxt);
  ASSERT_NE(plan.effective, nullptr);
  EXPECT_EQ(plan.effective->id, "1");
  EXPECT_EQ(plan.effective->policy.mode, Mode::kEnforce);

  // Still there afterwards; the txt_id argument is ignored when not kValid.
  plan = cache_.PlanDelivery(kDomain, TxtOutcome::kAbsent, "2");
  EXPECT_EQ(plan.action, FetchAction::kNoFetch);
  ASSERT_NE(cache_.Effective(kDomain), nullptr);
  EXPECT_EQ(cache_.Effective(kDomain)->policy.mode, Mode::kEnforce);
}

// STS-3.1-05: without a TXT record and without a cache there is no policy.
TEST_F(PolicyCacheTest, Sts3105AbsentTxtNoCacheMeansNoPolicy) {
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kAbsent, "");
  EXPECT_EQ(plan.action, FetchAction::kNoFetch);
  EXPECT_EQ(plan.reason, kReasonNoTxt);
  EXPECT_EQ(plan.effective, nullptr);
}

// STS-3.1-09, STS-5.1-04: any id difference means fetch; ids have no order.
TEST_F(PolicyCacheTest, Sts3109IdChangeRefetchesWithoutOrdering) {
  cache_.OnFetchSuccess(kDomain, "2", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(60);

  // 2 -> 1: a "smaller" id is still a change.
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonIdChanged);
  ASSERT_NE(plan.effective, nullptr);
  EXPECT_EQ(plan.effective->id, "2");

  // Case is part of the id.
  cache_.OnFetchSuccess(kDomain, "abc", MakePolicy(Mode::kEnforce, kWeek));
  plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "ABC");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonIdChanged);

  // A longer id sharing a prefix is a change too.
  plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "abc1");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
}

// STS-5.1-04: on success the new policy replaces the cache, even with a
// smaller max_age or a weaker mode.
TEST_F(PolicyCacheTest, Sts5104SuccessReplacesEvenWeakerPolicy) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(100);
  const CachedPolicy* got =
      cache_.OnFetchSuccess(kDomain, "2", MakePolicy(Mode::kTesting, 600, {"other.example"}));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->id, "2");
  EXPECT_EQ(got->policy.mode, Mode::kTesting);
  EXPECT_EQ(got->policy.max_age, 600u);
  EXPECT_EQ(got->fetched_at, kT0 + 100);

  // The smaller max_age counts from the new fetch.
  clock_.Advance(599);
  EXPECT_NE(cache_.Effective(kDomain), nullptr);
  clock_.Advance(1);
  EXPECT_EQ(cache_.Effective(kDomain), nullptr);

  cache_.OnFetchSuccess(kDomain, "3", MakePolicy(Mode::kNone, kWeek));
  ASSERT_NE(cache_.Effective(kDomain), nullptr);
  EXPECT_EQ(cache_.Effective(kDomain)->policy.mode, Mode::kNone);
}

// STS-5.1-04: when fetching the new id fails, the old cached policy stays.
TEST_F(PolicyCacheTest, Sts5104FailureKeepsOldPolicy) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(60);
  ASSERT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2").action, FetchAction::kFetch);
  PolicyCache::FailureResult r = cache_.OnFetchFailure(kDomain, "2");
  ASSERT_NE(r.effective, nullptr);
  EXPECT_EQ(r.effective->id, "1");
  EXPECT_EQ(r.effective->policy.mode, Mode::kEnforce);
  EXPECT_EQ(r.effective->fetched_at, kT0);
  ASSERT_NE(cache_.Effective(kDomain), nullptr);
  EXPECT_EQ(cache_.Effective(kDomain)->id, "1");
}

// STS-5.1-05: same id, cache fresh: no fetch.
TEST_F(PolicyCacheTest, Sts5105SameIdFreshNoFetch) {
  cache_.OnFetchSuccess(kDomain, "20240101", MakePolicy(Mode::kEnforce, 86400));
  clock_.Advance(3600);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "20240101");
  EXPECT_EQ(plan.action, FetchAction::kNoFetch);
  EXPECT_EQ(plan.reason, kReasonFresh);
  ASSERT_NE(plan.effective, nullptr);
  EXPECT_EQ(plan.effective->id, "20240101");
}

// STS-5.1-02, STS-3.2-07: fresh while now < fetched_at + max_age.
TEST_F(PolicyCacheTest, Sts5102ExpiryBoundary) {
  constexpr std::uint32_t kMaxAge = 3600;
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kMaxAge));

  clock_.Set(kT0 + kMaxAge - 1);
  EXPECT_NE(cache_.Effective(kDomain), nullptr);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kNoFetch);
  EXPECT_EQ(plan.reason, kReasonFresh);
  EXPECT_NE(plan.effective, nullptr);

  clock_.Set(kT0 + kMaxAge);
  EXPECT_EQ(cache_.Effective(kDomain), nullptr);
  plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonExpired);
  EXPECT_EQ(plan.effective, nullptr);

  clock_.Set(kT0 + kMaxAge + 1);
  EXPECT_EQ(cache_.Effective(kDomain), nullptr);
  plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonExpired);
}

// STS-3.2-07: an expired policy never applies, even when the refresh fails or
// the TXT record is gone or unreachable.
TEST_F(PolicyCacheTest, Sts3207ExpiredNeverApplies) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, 3600));
  clock_.Set(kT0 + 3600);
  PolicyCache::FailureResult r = cache_.OnFetchFailure(kDomain, "1");
  EXPECT_EQ(r.effective, nullptr);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kAbsent, "").effective, nullptr);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kTempFail, "").effective, nullptr);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1").effective, nullptr);
}

// STS-3.3-08: after a failed fetch, no fetch of the same (domain, id) for
// 300 s; then fetching is allowed again.
TEST_F(PolicyCacheTest, Sts3308BackoffAfterFailure) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(100);
  const UnixSeconds failed_at = clock_.Now();
  ASSERT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2").action, FetchAction::kFetch);
  cache_.OnFetchFailure(kDomain, "2");

  clock_.Set(failed_at + 60);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2");
  EXPECT_EQ(plan.action, FetchAction::kBackoff);
  EXPECT_EQ(plan.reason, kReasonBackoff);
  ASSERT_NE(plan.effective, nullptr);
  EXPECT_EQ(plan.effective->id, "1");

  clock_.Set(failed_at + 299);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2").action, FetchAction::kBackoff);

  clock_.Set(failed_at + 300);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2").action, FetchAction::kFetch);

  clock_.Set(failed_at + 301);
  plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonIdChanged);
}

// STS-3.3-08: backoff also holds for a first fetch (nothing cached).
TEST_F(PolicyCacheTest, Sts3308BackoffOnFirstFetch) {
  PolicyCache::FailureResult r = cache_.OnFetchFailure(kDomain, "1");
  EXPECT_EQ(r.effective, nullptr);
  clock_.Advance(60);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kBackoff);
  EXPECT_EQ(plan.effective, nullptr);
  clock_.Advance(241);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1").action, FetchAction::kFetch);
}

// STS-3.3-08: a different id is not held back by another id's backoff.
TEST_F(PolicyCacheTest, Sts3308DifferentIdClearsBackoff) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  cache_.OnFetchFailure(kDomain, "2");
  clock_.Advance(60);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "3");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonIdChanged);

  // Once "3" fails, its own backoff replaces that of "2".
  cache_.OnFetchFailure(kDomain, "3");
  clock_.Advance(1);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "3").action, FetchAction::kBackoff);
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2").action, FetchAction::kFetch);
}

// STS-3.3-08: a successful fetch clears the backoff.
TEST_F(PolicyCacheTest, Sts3308SuccessClearsBackoff) {
  cache_.OnFetchFailure(kDomain, "2");
  clock_.Advance(10);
  cache_.OnFetchSuccess(kDomain, "2", MakePolicy(Mode::kEnforce, 20));
  clock_.Advance(30);  // expired, and still within 300 s of the failure
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "2");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonExpired);
}

// STS-3.3-08: the backoff period is configurable.
TEST(PolicyCacheOptionsTest, Sts3308ConfigurableBackoff) {
  FixedClock clock(kT0);
  PolicyCache cache(clock, CacheOptions{.fetch_backoff = 900, .proactive_refresh = 86400});
  cache.OnFetchFailure(kDomain, "1");
  clock.Advance(600);
  EXPECT_EQ(cache.PlanDelivery(kDomain, TxtOutcome::kValid, "1").action, FetchAction::kBackoff);
  clock.Advance(300);
  EXPECT_EQ(cache.PlanDelivery(kDomain, TxtOutcome::kValid, "1").action, FetchAction::kFetch);
}

// STS-3.3-11: TXT lookup failing temporarily, cached policy applies.
TEST_F(PolicyCacheTest, Sts3311TxtTempFailUsesCache) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(86400);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kTempFail, "");
  EXPECT_EQ(plan.action, FetchAction::kNoFetch);
  EXPECT_EQ(plan.reason, kReasonTxtTempFail);
  ASSERT_NE(plan.effective, nullptr);
  EXPECT_EQ(plan.effective->policy.mode, Mode::kEnforce);

  // Without a cache, a temporary failure means no policy and no fetch.
  Plan other = cache_.PlanDelivery("other.example", TxtOutcome::kTempFail, "");
  EXPECT_EQ(other.action, FetchAction::kNoFetch);
  EXPECT_EQ(other.effective, nullptr);
}

// STS-3.3-11: TXT valid but the fetch failing, cached policy applies.
TEST_F(PolicyCacheTest, Sts3311FetchFailingUsesCache) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, 3600));
  clock_.Advance(3000);
  PolicyCache::FailureResult r = cache_.OnFetchFailure(kDomain, "1");
  ASSERT_NE(r.effective, nullptr);
  EXPECT_EQ(r.effective->policy.mode, Mode::kEnforce);
}

// STS-3.3-12, STS-10.2-01: proactive refresh after 24 h whatever the TXT
// record says (TXT stripping does not keep an old policy alive).
TEST_F(PolicyCacheTest, Sts3312ProactiveRefreshAfterADay) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  EXPECT_FALSE(cache_.NeedsProactiveRefresh(kDomain));
  clock_.Set(kT0 + 86399);
  EXPECT_FALSE(cache_.NeedsProactiveRefresh(kDomain));
  clock_.Set(kT0 + 86400);
  // The attacker stripped the TXT record: no id-driven fetch, yet a refresh.
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kAbsent, "").action, FetchAction::kNoFetch);
  EXPECT_TRUE(cache_.NeedsProactiveRefresh(kDomain));
  // Same with an unchanged id.
  EXPECT_EQ(cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "1").action, FetchAction::kNoFetch);
  EXPECT_TRUE(cache_.NeedsProactiveRefresh(kDomain));

  // A successful refresh restarts the 24 h.
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  EXPECT_FALSE(cache_.NeedsProactiveRefresh(kDomain));
  clock_.Advance(86400);
  EXPECT_TRUE(cache_.NeedsProactiveRefresh(kDomain));
}

// STS-10.2-01: a failed proactive refresh keeps the policy, backs off, and
// the refresh is due again after the backoff; nothing to refresh once expired
// or for an unknown domain.
TEST_F(PolicyCacheTest, Sts10201RefreshFailureAndExpiry) {
  EXPECT_FALSE(cache_.NeedsProactiveRefresh(kDomain));
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, 2 * 86400));
  clock_.Set(kT0 + 86400);
  ASSERT_TRUE(cache_.NeedsProactiveRefresh(kDomain));
  PolicyCache::FailureResult r = cache_.OnFetchFailure(kDomain, "1");
  ASSERT_NE(r.effective, nullptr);
  EXPECT_FALSE(cache_.NeedsProactiveRefresh(kDomain));
  clock_.Advance(300);
  EXPECT_TRUE(cache_.NeedsProactiveRefresh(kDomain));
  clock_.Set(kT0 + 2 * 86400);
  EXPECT_FALSE(cache_.NeedsProactiveRefresh(kDomain));
}

// RFC 8461 §3.3: refresh "before they expire". A policy of max_age one day
// or less is due at half its max_age, not after a day when it has expired.
TEST_F(PolicyCacheTest, Sts3312ShortPoliciesAreRefreshedBeforeTheyExpire) {
  for (const std::int64_t max_age :
       {std::int64_t{600}, std::int64_t{3600}, std::int64_t{86400}, std::int64_t{172799}}) {
    PolicyCache cache(clock_);
    clock_.Set(kT0);
    cache.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, max_age));
    const std::int64_t due = std::min<std::int64_t>(86400, max_age / 2);
    clock_.Set(kT0 + due - 1);
    EXPECT_FALSE(cache.NeedsProactiveRefresh(kDomain)) << max_age;
    clock_.Set(kT0 + due);
    EXPECT_TRUE(cache.NeedsProactiveRefresh(kDomain)) << max_age;
    ASSERT_NE(cache.Effective(kDomain), nullptr) << max_age;  // still applies
    // A failed refresh backs off five minutes; the retry, too, comes before
    // expiry for any max_age over ten minutes.
    cache.OnFetchFailure(kDomain, "1");
    EXPECT_FALSE(cache.NeedsProactiveRefresh(kDomain)) << max_age;
    clock_.Advance(300);
    if (due + 300 < max_age) {
      EXPECT_TRUE(cache.NeedsProactiveRefresh(kDomain)) << max_age;
    }
  }
}

// STS-3.3-12: the refresh interval is configurable.
TEST(PolicyCacheOptionsTest, Sts3312ConfigurableRefresh) {
  FixedClock clock(kT0);
  PolicyCache cache(clock, CacheOptions{.fetch_backoff = 300, .proactive_refresh = 3600});
  cache.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kTesting, kWeek));
  clock.Advance(3599);
  EXPECT_FALSE(cache.NeedsProactiveRefresh(kDomain));
  clock.Advance(1);
  EXPECT_TRUE(cache.NeedsProactiveRefresh(kDomain));
}

// STS-3.3-13: a failed refresh of an enforce or testing policy raises an
// alert; mode none does not, nor does a failed first fetch.
TEST_F(PolicyCacheTest, Sts3313AlertOnRefreshFailure) {
  cache_.OnFetchSuccess("enforce.example", "1", MakePolicy(Mode::kEnforce, kWeek));
  cache_.OnFetchSuccess("testing.example", "1", MakePolicy(Mode::kTesting, kWeek));
  cache_.OnFetchSuccess("none.example", "1", MakePolicy(Mode::kNone, kWeek));
  clock_.Advance(86400);

  PolicyCache::FailureResult r = cache_.OnFetchFailure("enforce.example", "1");
  EXPECT_TRUE(r.alert);
  EXPECT_EQ(r.reason, kReasonRefreshFailed);

  r = cache_.OnFetchFailure("testing.example", "2");
  EXPECT_TRUE(r.alert);
  EXPECT_EQ(r.reason, kReasonRefreshFailed);

  r = cache_.OnFetchFailure("none.example", "2");
  EXPECT_FALSE(r.alert);
  EXPECT_EQ(r.reason, kReasonFetchFailed);
  ASSERT_NE(r.effective, nullptr);
  EXPECT_EQ(r.effective->policy.mode, Mode::kNone);

  r = cache_.OnFetchFailure("fresh.example", "1");
  EXPECT_FALSE(r.alert);
  EXPECT_EQ(r.reason, kReasonFetchFailed);
  EXPECT_EQ(r.effective, nullptr);
}

// STS-3.3-13: a failed refresh of an expired enforce policy still alerts
// (the domain's protection has just lapsed), though nothing applies.
TEST_F(PolicyCacheTest, Sts3313AlertWhenExpiredRefreshFails) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, 3600));
  clock_.Advance(3600);
  PolicyCache::FailureResult r = cache_.OnFetchFailure(kDomain, "1");
  EXPECT_TRUE(r.alert);
  EXPECT_EQ(r.effective, nullptr);
}

// STS-8.3-01: opting out is a new id with a mode none policy; it replaces
// the cached enforce policy, and delivery no longer requires TLS.
TEST_F(PolicyCacheTest, Sts8301OptOutReplacesEnforce) {
  cache_.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  clock_.Advance(3600);
  Plan plan = cache_.PlanDelivery(kDomain, TxtOutcome::kValid, "optout");
  ASSERT_EQ(plan.action, FetchAction::kFetch);
  const CachedPolicy* got =
      cache_.OnFetchSuccess(kDomain, "optout", MakePolicy(Mode::kNone, 86400, {}));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->policy.mode, Mode::kNone);
  ASSERT_EQ(cache_.Effective(kDomain), got);

  Decision d = DecideMx(&got->policy, "unlisted.example.org", TlsOutcome::kStarttlsNotOffered);
  EXPECT_EQ(d.action, Action::kDeliver);
  EXPECT_FALSE(d.tls_required);
  EXPECT_FALSE(d.report.has_value());
}

// The domain key is folded: ASCII case and one trailing dot do not matter.
TEST_F(PolicyCacheTest, DomainKeyIsFolded) {
  cache_.OnFetchSuccess("Example.COM.", "1", MakePolicy(Mode::kEnforce, kWeek));
  ASSERT_NE(cache_.Effective("example.com"), nullptr);
  EXPECT_EQ(cache_.Effective("EXAMPLE.com."), cache_.Effective("example.com"));
  EXPECT_EQ(cache_.PlanDelivery("eXample.Com", TxtOutcome::kValid, "1").reason, kReasonFresh);
  EXPECT_EQ(cache_.Effective("sub.example.com"), nullptr);
}

// Domains are independent entries.
TEST_F(PolicyCacheTest, OneEntryPerDomain) {
  cache_.OnFetchSuccess("a.example", "1", MakePolicy(Mode::kEnforce, kWeek));
  cache_.OnFetchFailure("b.example", "1");
  clock_.Advance(10);
  EXPECT_EQ(cache_.PlanDelivery("a.example", TxtOutcome::kValid, "1").action,
            FetchAction::kNoFetch);
  EXPECT_EQ(cache_.PlanDelivery("b.example", TxtOutcome::kValid, "1").action,
            FetchAction::kBackoff);
  EXPECT_EQ(cache_.PlanDelivery("c.example", TxtOutcome::kValid, "1").action, FetchAction::kFetch);
}

TEST_F(PolicyCacheTest, ClearForgetsPoliciesAndBackoff) {
  cache_.OnFetchSuccess("a.example", "1", MakePolicy(Mode::kEnforce, kWeek));
  cache_.OnFetchFailure("b.example", "1");
  cache_.Clear();
  EXPECT_EQ(cache_.Effective("a.example"), nullptr);
  Plan plan = cache_.PlanDelivery("b.example", TxtOutcome::kValid, "1");
  EXPECT_EQ(plan.action, FetchAction::kFetch);
  EXPECT_EQ(plan.reason, kReasonFirstFetch);
}

TEST(PolicyCacheOptionsTest, NegativeOptionsCountAsZero) {
  FixedClock clock(kT0);
  PolicyCache cache(clock, CacheOptions{.fetch_backoff = -5, .proactive_refresh = -5});
  cache.OnFetchFailure(kDomain, "1");
  EXPECT_EQ(cache.PlanDelivery(kDomain, TxtOutcome::kValid, "1").action, FetchAction::kFetch);
  cache.OnFetchSuccess(kDomain, "1", MakePolicy(Mode::kEnforce, kWeek));
  EXPECT_TRUE(cache.NeedsProactiveRefresh(kDomain));
}

}  // namespace
}  // namespace mxconform::mtasts
