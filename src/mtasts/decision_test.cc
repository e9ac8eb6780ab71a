#include "mtasts/decision.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "mtasts/policy.h"
#include "mtasts/policy_test_util.h"
#include "tlsrpt/result_type.h"

namespace mxconform::mtasts {
namespace {

using tlsrpt::ResultType;

constexpr std::array<Mode, 3> kAllModes = {Mode::kEnforce, Mode::kTesting, Mode::kNone};

using fixtures::MakePolicy;

constexpr std::string_view kMatched = "mx1.example.com";
constexpr std::string_view kUnmatched = "mx.attacker.example";

// STS-5-03: without a policy, or with mode none, deliver and never report.
TEST(DecisionTest, Sts503NoPolicyOrModeNoneDelivers) {
  const Policy none = MakePolicy(Mode::kNone);
  for (TlsOutcome tls : kAllTlsOutcomes) {
    for (std::string_view mx : {kMatched, kUnmatched}) {
      Decision d = DecideMx(nullptr, mx, tls);
      EXPECT_EQ(d.action, Action::kDeliver);
      EXPECT_FALSE(d.tls_required);
      EXPECT_FALSE(d.report.has_value());
      EXPECT_EQ(d.reason, kReasonNoPolicy);

      d = DecideMx(&none, mx, tls);
      EXPECT_EQ(d.action, Action::kDeliver);
      EXPECT_FALSE(d.tls_required);
      EXPECT_FALSE(d.report.has_value());
      EXPECT_EQ(d.reason, kReasonModeNone);
    }
  }
  EXPECT_EQ(DecideMxBeforeConnect(nullptr, kUnmatched).action, Action::kDeliver);
  EXPECT_EQ(DecideMxBeforeConnect(&none, kUnmatched).action, Action::kDeliver);
}

// STS-4.1-05 (A4): under enforce an MX matching no pattern is not connected
// to; reported as validation-failure.
TEST(DecisionTest, Sts4105EnforceUnmatchedMxDeferredBeforeConnect) {
  const Policy p = MakePolicy(Mode::kEnforce);
  Decision d = DecideMxBeforeConnect(&p, kUnmatched);
  EXPECT_EQ(d.action, Action::kDefer);
  EXPECT_TRUE(d.tls_required);
  ASSERT_TRUE(d.report.has_value());
  EXPECT_EQ(*d.report, ResultType::kValidationFailure);
  EXPECT_EQ(d.reason, kReasonMxMismatch);

  // Whatever TLS would have given.
  for (TlsOutcome tls : kAllTlsOutcomes) {
    Decision after = DecideMx(&p, kUnmatched, tls);
    EXPECT_EQ(after.action, Action::kDefer);
    EXPECT_EQ(after.report, ResultType::kValidationFailure);
    EXPECT_EQ(after.reason, kReasonMxMismatch);
  }

  d = DecideMxBeforeConnect(&p, kMatched);
  EXPECT_EQ(d.action, Action::kDeliver);
  EXPECT_TRUE(d.tls_required);
  EXPECT_FALSE(d.report.has_value());
  EXPECT_EQ(d.reason, kReasonMxMatch);
}

// STS-4.1-02..04 as used by the decision: wildcard covers exactly one label;
// case and a trailing dot are ignored.
TEST(DecisionTest, Sts4102MxMatchingRules) {
  const Policy p = MakePolicy(Mode::kEnforce);
  EXPECT_EQ(DecideMxBeforeConnect(&p, "MX1.Example.COM.").action, Action::kDeliver);
  EXPECT_EQ(DecideMxBeforeConnect(&p, "a.mx.example.com").action, Action::kDeliver);
  EXPECT_EQ(DecideMxBeforeConnect(&p, "a.b.mx.example.com").action, Action::kDefer);
  EXPECT_EQ(DecideMxBeforeConnect(&p, "mx.example.com").action, Action::kDefer);
  const Policy empty = MakePolicy(Mode::kEnforce, {});
  EXPECT_EQ(DecideMxBeforeConnect(&empty, kMatched).action, Action::kDefer);
}

// STS-5-02: under testing an unmatched MX is delivered to and reported.
TEST(DecisionTest, Sts502TestingUnmatchedMxDeliversAndReports) {
  const Policy p = MakePolicy(Mode::kTesting);
  Decision d = DecideMxBeforeConnect(&p, kUnmatched);
  EXPECT_EQ(d.action, Action::kDeliver);
  EXPECT_FALSE(d.tls_required);
  EXPECT_EQ(d.report, ResultType::kValidationFailure);
  EXPECT_EQ(d.reason, kReasonMxMismatch);

  d = DecideMx(&p, kUnmatched, TlsOutcome::kOk);
  EXPECT_EQ(d.action, Action::kDeliver);
  EXPECT_EQ(d.report, ResultType::kValidationFailure);
}

// STS-5-01: under enforce any TLS failure defers; success delivers.
TEST(DecisionTest, Sts501EnforceTlsFailureDefers) {
  const Policy p = MakePolicy(Mode::kEnforce);
  for (TlsOutcome tls : kAllTlsOutcomes) {
    Decision d = DecideMx(&p, kMatched, tls);
    EXPECT_TRUE(d.tls_required);
    if (tls == TlsOutcome::kOk) {
      EXPECT_EQ(d.action, Action::kDeliver);
      EXPECT_FALSE(d.report.has_value());
      EXPECT_EQ(d.reason, kReasonTlsOk);
    } else {
      EXPECT_EQ(d.action, Action::kDefer) << static_cast<int>(tls);
      EXPECT_EQ(d.report, TlsOutcomeResultType(tls));
      EXPECT_TRUE(d.report.has_value());
    }
  }
}

// STS-5-02: under testing TLS failures deliver and report.
TEST(DecisionTest, Sts502TestingTlsFailureDeliversAndReports) {
  const Policy p = MakePolicy(Mode::kTesting);
  for (TlsOutcome tls : kAllTlsOutcomes) {
    Decision d = DecideMx(&p, kMatched, tls);
    EXPECT_EQ(d.action, Action::kDeliver);
    EXPECT_FALSE(d.tls_required);
    EXPECT_EQ(d.report, TlsOutcomeResultType(tls));
  }
}

// RFC 8460 §4.3.1 result types of TLS failures.
TEST(DecisionTest, StarttlsFailuresAreStarttlsNotSupported) {
  const Policy p = MakePolicy(Mode::kEnforce);
  EXPECT_EQ(DecideMx(&p, kMatched, TlsOutcome::kStarttlsNotOffered).report,
            ResultType::kStarttlsNotSupported);
  EXPECT_EQ(DecideMx(&p, kMatched, TlsOutcome::kStarttlsRefused).report,
            ResultType::kStarttlsNotSupported);
  EXPECT_EQ(DecideMx(&p, kMatched, TlsOutcome::kStarttlsNotOffered).reason,
            kReasonStarttlsNotOffered);
  EXPECT_EQ(DecideMx(&p, kMatched, TlsOutcome::kStarttlsRefused).reason, kReasonStarttlsRefused);
}

// STS-4.2-01: expired and not-yet-valid certificates are certificate-expired.
TEST(DecisionTest, Sts4201ExpiredAndNotYetValid) {
  const Policy p = MakePolicy(Mode::kEnforce);
  Decision d = DecideMx(&p, kMatched, TlsOutcome::kCertExpired);
  EXPECT_EQ(d.report, ResultType::kCertificateExpired);
  EXPECT_EQ(d.reason, kReasonCertExpired);
  d = DecideMx(&p, kMatched, TlsOutcome::kCertNotYetValid);
  EXPECT_EQ(d.report, ResultType::kCertificateExpired);
  EXPECT_EQ(d.reason, kReasonCertNotYetValid);
}

// STS-4.2-02: untrusted chain is certificate-not-trusted.
TEST(DecisionTest, Sts4202Untrusted) {
  const Policy p = MakePolicy(Mode::kEnforce);
  Decision d = DecideMx(&p, kMatched, TlsOutcome::kCertUntrusted);
  EXPECT_EQ(d.report, ResultType::kCertificateNotTrusted);
  EXPECT_EQ(d.reason, kReasonCertUntrusted);
}

// STS-4.2-03: name mismatch is certificate-host-mismatch.
TEST(DecisionTest, Sts4203HostMismatch) {
  const Policy p = MakePolicy(Mode::kEnforce);
  Decision d = DecideMx(&p, kMatched, TlsOutcome::kCertHostMismatch);
  EXPECT_EQ(d.report, ResultType::kCertificateHostMismatch);
  EXPECT_EQ(d.reason, kReasonCertHostMismatch);
  d = DecideMx(&p, kMatched, TlsOutcome::kHandshakeFailed);
  EXPECT_EQ(d.report, ResultType::kValidationFailure);
  EXPECT_EQ(d.reason, kReasonHandshakeFailed);
  EXPECT_FALSE(TlsOutcomeResultType(TlsOutcome::kOk).has_value());
}

// STS-5-05 and the exhaustive table: Mode x {match, no match} x TlsOutcome.
// Invariants: mode none never defers nor reports; enforce never delivers to
// an unmatched MX or after a TLS failure; testing always delivers; a report
// exists exactly when something failed under enforce/testing; the only
// negative action is kDefer (no bounce, STS-5-05).
TEST(DecisionTest, ExhaustiveTable) {
  int rows = 0;
  for (Mode mode : kAllModes) {
    const Policy p = MakePolicy(mode);
    for (bool matched : {true, false}) {
      const std::string_view mx = matched ? kMatched : kUnmatched;
      for (TlsOutcome tls : kAllTlsOutcomes) {
        ++rows;
        const Decision d = DecideMx(&p, mx, tls);
        const bool failed = !matched || tls != TlsOutcome::kOk;
        SCOPED_TRACE(testing::Message() << "mode=" << static_cast<int>(mode) << " matched="
                                        << matched << " tls=" << static_cast<int>(tls));
        EXPECT_TRUE(d.action == Action::kDeliver || d.action == Action::kDefer);
        EXPECT_TRUE(d.reason.starts_with("mtasts.decision."));
        switch (mode) {
          case Mode::kNone:
            EXPECT_EQ(d.action, Action::kDeliver);
            EXPECT_FALSE(d.report.has_value());
            EXPECT_FALSE(d.tls_required);
            break;
          case Mode::kEnforce:
            EXPECT_EQ(d.action, failed ? Action::kDefer : Action::kDeliver);
            EXPECT_EQ(d.report.has_value(), failed);
            EXPECT_TRUE(d.tls_required);
            break;
          case Mode::kTesting:
            EXPECT_EQ(d.action, Action::kDeliver);
            EXPECT_EQ(d.report.has_value(), failed);
            EXPECT_FALSE(d.tls_required);
            break;
        }
        if (!matched && mode != Mode::kNone) {
          EXPECT_EQ(d.report, ResultType::kValidationFailure);
          EXPECT_EQ(d.reason, kReasonMxMismatch);
        }
        // The pre-connect check agrees with the full decision on unmatched
        // MXs and never defers a matched one.
        const Decision pre = DecideMxBeforeConnect(&p, mx);
        if (!matched) {
          EXPECT_EQ(pre.action, d.action);
          EXPECT_EQ(pre.report, d.report);
        } else {
          EXPECT_EQ(pre.action, Action::kDeliver);
        }
      }
    }
  }
  EXPECT_EQ(rows, 3 * 2 * 8);
}

TEST(DecisionTest, ActionNames) {
  EXPECT_EQ(ActionName(Action::kDeliver), "deliver");
  EXPECT_EQ(ActionName(Action::kDefer), "defer");
}

// A3: policy-fetch failures map to the RFC 8460 §4.3.2.2 result types.
TEST(FetchFailureTest, A3FetchFailureResultTypes) {
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kTlsHandshake), ResultType::kStsWebpkiInvalid);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kCertificateInvalid),
            ResultType::kStsWebpkiInvalid);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kNetwork), ResultType::kStsPolicyFetchError);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kTimeout), ResultType::kStsPolicyFetchError);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kHttpStatus), ResultType::kStsPolicyFetchError);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kTooLarge), ResultType::kStsPolicyFetchError);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kContentType), ResultType::kStsPolicyInvalid);
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kSyntax), ResultType::kStsPolicyInvalid);
}

// STS-3.3-06: a redirect is a fetch error (redirects are not followed).
TEST(FetchFailureTest, Sts3306RedirectIsFetchError) {
  EXPECT_EQ(FetchFailureResultType(FetchFailure::kRedirect), ResultType::kStsPolicyFetchError);
}

// Every fetch failure maps to one of the three MTA-STS result types.
TEST(FetchFailureTest, AllFailuresMapToStsTypes) {
  for (FetchFailure f : kAllFetchFailures) {
    const ResultType t = FetchFailureResultType(f);
    EXPECT_TRUE(t == ResultType::kStsPolicyFetchError || t == ResultType::kStsPolicyInvalid ||
                t == ResultType::kStsWebpkiInvalid)
        << static_cast<int>(f);
    EXPECT_TRUE(tlsrpt::ResultTypeName(t).starts_with("sts-"));
  }
}

}  // namespace
}  // namespace mxconform::mtasts
