// Fuzz target: the readers of the conformance catalog's own files, which
// vendors and researchers write by hand: scenarios (ParseScenario, with a
// `base:` merge), the mock DNS zones inside them (ParseMockZone), the
// catalog's reasons (ParseInformational), SPF suites in the openspf format
// (ParseOpenspf, `run --suite FILE.yml`; IsOpenspfText, how `run` tells
// one by its contents) and zones on their own (ParseOpenspfZone, `eval spf
// --zone`).
//
// Input: the text of one file, given to all five readers.
//
// Asserts, for any input:
//  - every reader returns (no exception escapes, no crash); a failure is
//    one diagnostic whose id belongs to the reader (`scenario.`, `zone.`,
//    `vectors.openspf.`, `catalog.`) and whose detail is located
//    ("line:column: ..." or the base's path);
//  - a scenario that loads: lints without crashing; WireOnlyElements()
//    names an smtp_client key when there is one, no host element twice; each https host's
//    `later` phases are in strictly increasing time order and At() picks
//    the last phase started (the host itself before the first); an expect
//    step's level is "", SHOULD or MAY; a deliver step's times is 1-100;
//    first_contacted names distinct hosts; each `reports` entry ends in
//    " accepted" or " refused" after a non-empty URI; report_posts and
//    report_mails read the same the second time; a fetches count matches
//    exactly [at_least, at_most] and its text names those bounds; a tls_rpt
//    expectation has at least one list, and more than one only as one_of;
//    reading the same text twice gives the same scenario (id, title, steps,
//    hosts);
//  - the reasons that load are non-empty, under non-empty ids;
//  - the openspf readers fail with a `vectors.openspf.` error, the suite
//    reader's with its line set; a suite's documents are numbered in file
//    order; text taken for a suite by its contents is YAML the suite reader
//    reads (only its size or shape may be refused); a zone read on its own
//    has no tests.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/runner/catalog.h"
#include "conformance/runner/mock_zone.h"
#include "conformance/runner/openspf.h"
#include "conformance/runner/scenario_model.h"
#include "conformance/runner/test_world.h"
#include "conformance/runner/yaml_budget.h"
#include "fuzz_check.h"

namespace {

namespace conf = mxconform::conformance;

// A small world for `base:`; any other base path is unreadable.
constexpr std::string_view kBase = conf::kTestWorld;

std::optional<std::string> ReadBase(const std::filesystem::path& p) {
  if (p.filename() == "world.yaml") {
    return std::string(kBase);
  }
  return std::nullopt;
}

bool Located(const std::string& detail) {
  // "12:3: ...", or the base's path first ("fuzz/../world.yaml:4:1: ...").
  const std::size_t colon = detail.find(':');
  return colon != std::string::npos && colon > 0;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// A host's `later` phases (https or smtp): in time order, none with
// phases of its own, and At() picks the host before the first and the
// last from its start on.
template <typename Spec>
void CheckPhases(const Spec& h) {
  mxconform::UnixSeconds prev = 0;
  for (const auto& p : h.later) {
    FUZZ_CHECK(p.spec != nullptr);
    FUZZ_CHECK(p.at > prev);
    FUZZ_CHECK(p.spec->later.empty());
    prev = p.at;
  }
  if (!h.later.empty()) {
    FUZZ_CHECK(&h.At(h.later.front().at - 1) == &h);
    FUZZ_CHECK(&h.At(h.later.back().at) == h.later.back().spec.get());
  }
}

void CheckScenario(const conf::Scenario& s, std::string_view text) {
  (void)conf::LintScenario(s, "fuzz", {});
  // What in-process runs leave to the wire: each element named, an
  // smtp_client key always among them, and nothing named twice.
  const std::vector<std::string> wire_only = conf::WireOnlyElements(s);
  const bool client_rules = std::any_of(s.steps.begin(), s.steps.end(), [](const auto& st) {
    return st.kind == conf::ScenarioStep::Kind::kExpect && st.expect.smtp_client;
  });
  FUZZ_CHECK(!client_rules || !wire_only.empty());
  // (Two smtp_client keys can share a line in flow style; host elements
  // are unique by host, path and phase.)
  std::set<std::string> hosts_named;
  for (const auto& w : wire_only) {
    FUZZ_CHECK(!w.empty());
    FUZZ_CHECK(StartsWith(w, "smtp_client (line ") || hosts_named.insert(w).second);
  }
  for (const auto& [host, h] : s.https) {
    CheckPhases(h);
  }
  for (const auto& [host, h] : s.smtp) {
    CheckPhases(h);
  }
  for (const auto& st : s.steps) {
    if (st.kind == conf::ScenarioStep::Kind::kDeliver) {
      FUZZ_CHECK(st.times >= 1 && st.times <= 100);
    }
    if (st.kind != conf::ScenarioStep::Kind::kExpect) {
      continue;
    }
    const auto& e = st.expect;
    // first_contacted: absent, or distinct hosts.
    FUZZ_CHECK(std::set<std::string>(e.first_contacted.begin(), e.first_contacted.end()).size() ==
               e.first_contacted.size());
    FUZZ_CHECK(e.level.empty() || e.level == "SHOULD" || e.level == "MAY");
    if (e.fetches) {
      // The range is exactly [at_least, at_most], and its text names the
      // bounds it sets.
      const auto& f = *e.fetches;
      FUZZ_CHECK(f.at_least <= f.at_most);
      FUZZ_CHECK(f.Matches(f.at_least) && f.Matches(f.at_most));
      FUZZ_CHECK(f.at_least == 0 || !f.Matches(f.at_least - 1));
      FUZZ_CHECK(f.at_most == 0xffffffff || !f.Matches(f.at_most + 1));
      const std::string t = f.Text();
      FUZZ_CHECK(f.exact() ? t == std::to_string(f.at_least)
                           : (f.at_least == 0 ||
                              t.find(std::to_string(f.at_least)) != std::string::npos) &&
                                 (f.at_most == 0xffffffff ||
                                  t.find(std::to_string(f.at_most)) != std::string::npos));
    }
    if (e.tls_rpt) {
      FUZZ_CHECK(!e.tls_rpt->empty());
    }
    if (e.reports) {
      for (const auto& a : *e.reports) {
        const auto sp = a.rfind(' ');
        FUZZ_CHECK(sp != std::string::npos && sp > 0);
        const std::string word = a.substr(sp + 1);
        FUZZ_CHECK(word == "accepted" || word == "refused");
      }
    }
  }
  // The same text reads the same way.
  auto again = conf::ParseScenario(text, "fuzz/t/s.yaml", ReadBase);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->id == s.id && again->title == s.title);
  FUZZ_CHECK(again->steps.size() == s.steps.size());
  FUZZ_CHECK(again->https.size() == s.https.size() && again->smtp.size() == s.smtp.size());
  FUZZ_CHECK(again->certs.size() == s.certs.size());
  for (std::size_t i = 0; i < s.steps.size() && i < again->steps.size(); ++i) {
    const auto& a = s.steps[i].expect.report_posts;
    const auto& b = again->steps[i].expect.report_posts;
    FUZZ_CHECK(a.has_value() == b.has_value());
    if (a && b) {
      FUZZ_CHECK(a->size() == b->size());
      for (std::size_t k = 0; k < a->size() && k < b->size(); ++k) {
        FUZZ_CHECK((*a)[k].url == (*b)[k].url && (*a)[k].content_type == (*b)[k].content_type);
      }
    }
    const auto& c = s.steps[i].expect.report_mails;
    const auto& d = again->steps[i].expect.report_mails;
    FUZZ_CHECK(c.has_value() == d.has_value());
    if (c && d) {
      FUZZ_CHECK(c->size() == d->size());
      for (std::size_t k = 0; k < c->size() && k < d->size(); ++k) {
        FUZZ_CHECK((*c)[k].to == (*d)[k].to && (*c)[k].mx == (*d)[k].mx &&
                   (*c)[k].report_domain == (*d)[k].report_domain);
      }
    }
  }
}

// An error in yaml-cpp's API words (conf::YamlShapeError puts those in the
// file's terms) rather than in terms of the file. A detail may quote the
// input, so words the input holds do not count.
bool SpeaksYamlCpp(std::string_view detail, std::string_view input) {
  for (std::string_view words : {"operator[] call on", "invalid node;"}) {
    if (detail.find(words) != std::string_view::npos &&
        input.find(words) == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  mxconform::fuzz::SetInput(text);

  auto s = conf::ParseScenario(text, "fuzz/t/s.yaml", ReadBase);
  if (s.ok()) {
    CheckScenario(*s, text);
  } else {
    const auto& d = s.error();
    FUZZ_CHECK_MSG(StartsWith(d.id, "scenario.") || StartsWith(d.id, "zone.") ||
                       StartsWith(d.id, "vectors.openspf."),
                   std::string(d.id));
    FUZZ_CHECK_MSG(Located(d.detail), d.detail);
    FUZZ_CHECK_MSG(!SpeaksYamlCpp(d.detail, text), d.detail);
  }

  auto zone = conf::ParseMockZone(text);
  if (!zone.ok()) {
    const auto& d = zone.error();
    FUZZ_CHECK_MSG(StartsWith(d.id, "zone.") || StartsWith(d.id, "vectors.openspf."),
                   std::string(d.id));
    FUZZ_CHECK_MSG(!SpeaksYamlCpp(d.detail, text), d.detail);
  }

  // The openspf readers: a failure is located; the documents of a suite
  // read are numbered in file order; a zone on its own has no tests.
  auto suite = conf::ParseOpenspf(text, "fuzz/t/suite.yml", conf::OpenspfOrigin::kOurs);
  if (suite.ok()) {
    for (std::size_t i = 0; i < suite->documents.size(); ++i) {
      FUZZ_CHECK(suite->documents[i].index == i);
    }
  } else {
    FUZZ_CHECK_MSG(StartsWith(suite.error().id, "vectors.openspf."), std::string(suite.error().id));
    FUZZ_CHECK_MSG(suite.error().line > 0, suite.error().Text());
  }
  // The format sniff of `run --suite` for a name without .yml: what it
  // takes for a suite is YAML that the suite reader reads (which may still
  // refuse its size or shape).
  if (conf::IsOpenspfText(text) && !suite.ok()) {
    FUZZ_CHECK_MSG(suite.error().id != "vectors.openspf.yaml" ||
                       suite.error().message == std::string_view(conf::kYamlTooLarge),
                   suite.error().Text());
  }
  auto alone = conf::ParseOpenspfZone(text);
  if (alone.ok()) {
    FUZZ_CHECK(alone->tests.empty());
  } else {
    FUZZ_CHECK_MSG(StartsWith(alone.error().id, "vectors.openspf."), std::string(alone.error().id));
  }

  auto reasons = conf::ParseInformational(text);
  if (reasons.ok()) {
    for (const auto& [id, why] : *reasons) {
      FUZZ_CHECK(!id.empty() && !why.empty());
    }
  } else {
    FUZZ_CHECK_MSG(StartsWith(reasons.error().id, "catalog."), std::string(reasons.error().id));
    FUZZ_CHECK_MSG(Located(reasons.error().detail), reasons.error().detail);
  }
  return 0;
}
