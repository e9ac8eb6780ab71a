#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "common/text.h"
#include "conformance/runner/report_writer.h"

namespace mxconform::conformance {
namespace {

CaseResult Case(std::string id, Outcome o, std::vector<std::string> reqs) {
  CaseResult r;
  r.id = std::move(id);
  r.suite = "t";
  r.kind = "scenario";
  r.summary = "a summary";
  r.requirements = std::move(reqs);
  r.outcome = o;
  r.expected = {{"verdict", "deferred"}};
  r.actual = {{"verdict", "deferred"}};
  return r;
}

// The text of the element with this id, or "" when there is none.
std::string ById(const std::string& html, const std::string& id) {
  const std::string open = "id=\"" + id + "\">";
  const auto at = html.find(open);
  if (at == std::string::npos) {
    return "";
  }
  const auto from = at + open.size();
  return html.substr(from, html.find('<', from) - from);
}

// The count in the matrix row labelled `section`, column `outcome`
// (-1 when the row or cell is missing; 0 for an empty cell).
int MatrixCell(const std::string& html, const std::string& section, const std::string& outcome) {
  const auto row = html.find("<th>" + section + "</th>");
  if (row == std::string::npos) {
    return -1;
  }
  const auto end = html.find("</tr>", row);
  const std::string cell = "data-outcome=\"" + outcome + "\">";
  const auto at = html.find(cell, row);
  if (at == std::string::npos || at > end) {
    return -1;
  }
  const auto from = at + cell.size();
  const std::string text = html.substr(from, html.find('<', from) - from);
  return text.empty() ? 0 : std::stoi(text);
}

std::vector<CaseResult> Sample() {
  std::vector<CaseResult> v;
  v.push_back(Case("mta-sts/rfc8461-3.3/a", Outcome::kPass, {"STS-3.3-01"}));
  v.push_back(Case("mta-sts/rfc8461-3.3/b", Outcome::kFail, {"STS-3.3-01", "STS-3.3-02"}));
  v.push_back(Case("spf/x", Outcome::kPass, {"SPF-4.6-02", "S24"}));
  v.push_back(Case("spf/y", Outcome::kError, {}));
  v.push_back(Case("x/xfail", Outcome::kXfail, {"ATK-01"}));
  return v;
}

TEST(ReportHtml, CountsPerOutcome) {
  const std::string h = HtmlReport({"impl", "2026-11-29T18:35:05Z", {"t"}}, Sample());
  EXPECT_EQ(ById(h, "count-total"), "5");
  EXPECT_EQ(ById(h, "count-pass"), "2");
  EXPECT_EQ(ById(h, "count-fail"), "1");
  EXPECT_EQ(ById(h, "count-error"), "1");
  EXPECT_EQ(ById(h, "count-xfail"), "1");
  for (const char* o : {"non-strict", "informational", "unimplemented", "skip", "xpass"}) {
    EXPECT_EQ(ById(h, std::string("count-") + o), "0") << o;
  }
  EXPECT_EQ(ById(h, "implementation"), "impl");
  EXPECT_EQ(ById(h, "started"), "2026-11-29T18:35:05Z");
}

TEST(ReportHtml, RowsCarryStableHooks) {
  const std::string h = HtmlReport({}, Sample());
  EXPECT_NE(h.find("data-case-id=\"mta-sts/rfc8461-3.3/b\" data-outcome=\"fail\""),
            std::string::npos);
  EXPECT_NE(h.find("data-case-id=\"spf/x\" data-outcome=\"pass\""), std::string::npos);
  // Evidence only for what did not pass: fail, error, xfail.
  std::size_t details = 0;
  for (auto at = h.find("<details>"); at != std::string::npos; at = h.find("<details>", at + 1)) {
    ++details;
  }
  EXPECT_EQ(details, 3U);
}

TEST(ReportHtml, MatrixBySection) {
  const std::string h = HtmlReport({}, Sample());
  // Counted once per section although case b cites two requirements of §3.3.
  EXPECT_EQ(MatrixCell(h, "RFC 8461 §3.3", "pass"), 1);
  EXPECT_EQ(MatrixCell(h, "RFC 8461 §3.3", "fail"), 1);
  EXPECT_EQ(MatrixCell(h, "RFC 7208 §4.6", "pass"), 1);
  EXPECT_EQ(MatrixCell(h, "RFC 7208 edge cases", "pass"), 1);
  EXPECT_EQ(MatrixCell(h, "attacks", "xfail"), 1);
  EXPECT_EQ(MatrixCell(h, "other", "error"), 1);
  EXPECT_EQ(MatrixCell(h, "other", "pass"), 0);
  // Rows in protocol order: RFC 8461 before RFC 7208, "other" last.
  EXPECT_LT(h.find("<th>RFC 8461 §3.3</th>"), h.find("<th>RFC 7208 §4.6</th>"));
  EXPECT_LT(h.find("<th>attacks</th>"), h.find("<th>other</th>"));
}

TEST(ReportHtml, SectionOfEveryIdShape) {
  EXPECT_EQ(RequirementSection("STS-3.3-01"), "RFC 8461 §3.3");
  EXPECT_EQ(RequirementSection("SPF-4.6-02"), "RFC 7208 §4.6");
  EXPECT_EQ(RequirementSection("SPF-5-01"), "RFC 7208 §5");
  EXPECT_EQ(RequirementSection("RPT-4-03"), "RFC 8460 §4");
  EXPECT_EQ(RequirementSection("DM7-6.6.3-02"), "RFC 7489 §6.6.3");
  EXPECT_EQ(RequirementSection("DMB-4.10.1-05"), "RFC 9989 §4.10.1");
  EXPECT_EQ(RequirementSection("DMB-R4-05"), "RFC 9990 §4");
  EXPECT_EQ(RequirementSection("TLS-4.2-01"), "RFC 3207 §4.2");
  EXPECT_EQ(RequirementSection("TLS-7817-01"), "RFC 7817");
  EXPECT_EQ(RequirementSection("CERT-6125-6.4.3a"), "RFC 6125 §6.4.3");
  EXPECT_EQ(RequirementSection("CERT-9525-6.3"), "RFC 9525 §6.3");
  EXPECT_EQ(RequirementSection("CERT-PKIX-01"), "RFC 9525 (PKIX)");
  EXPECT_EQ(RequirementSection("MX-5.1-03"), "RFC 5321 §5.1");
  EXPECT_EQ(RequirementSection("MX-7505-01"), "RFC 7505");
  EXPECT_EQ(RequirementSection("ATK-17"), "attacks");
  EXPECT_EQ(RequirementSection("P13"), "RFC 8461 edge cases");
  EXPECT_EQ(RequirementSection("R4"), "RFC 8460 edge cases");
  EXPECT_EQ(RequirementSection("D-A3"), "DMARC ambiguities");
  EXPECT_EQ(RequirementSection("NOPE-1"), "other");
  EXPECT_EQ(RequirementSection(""), "other");
}

TEST(ReportHtml, EscapesHostileText) {
  CaseResult r = Case("t/<script>alert(1)</script>&\"'", Outcome::kFail, {"STS-3.3-01\"><b>"});
  r.summary = "<img src=x onerror=alert(2)>";
  r.message = "line 3: expected <deferred> & got \"delivered\"\x01\x7f";
  r.expected = {{"verdict", "</pre><script>alert(3)</script>"}};
  r.actual = {{"transcript",
               {{{"step", "deliver <u@x>"},
                 {"sender", {"mx1: 250-STARTTLS", "<script>alert(4)</script>", "\x02"}}},
                {{"dns", {"x TXT -> rule"}}, {"smtp", {{"mx<1>", {"EHLO a", "QUIT"}}}}}}}};
  const std::string h = HtmlReport({"<impl>", "\"now\"", {}}, {r});
  // The only script element is ours, and no injected markup survives.
  std::size_t scripts = 0;
  for (auto at = h.find("<script"); at != std::string::npos; at = h.find("<script", at + 1)) {
    ++scripts;
  }
  EXPECT_EQ(scripts, 1U);
  EXPECT_EQ(h.find("<img"), std::string::npos);
  EXPECT_EQ(h.find("<b>\""), std::string::npos);
  EXPECT_EQ(h.find("<impl>"), std::string::npos);
  EXPECT_EQ(h.find("</pre><script>"), std::string::npos);
  EXPECT_NE(h.find("data-case-id=\"t/&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39;\""),
            std::string::npos);
  EXPECT_NE(h.find("&lt;deferred&gt; &amp; got &quot;delivered&quot;\\x01\\x7f"),
            std::string::npos);
  EXPECT_EQ(h.find('\x01'), std::string::npos);
  EXPECT_EQ(h.find('\x02'), std::string::npos);
  // The transcript: each step's lines as preformatted text, not JSON.
  EXPECT_NE(h.find("class=\"transcript\""), std::string::npos);
  EXPECT_NE(h.find("<pre>mx1: 250-STARTTLS\n&lt;script&gt;alert(4)&lt;/script&gt;\n\\x02</pre>"),
            std::string::npos);
  EXPECT_NE(h.find("smtp mx&lt;1&gt;</div><pre>EHLO a\nQUIT</pre>"), std::string::npos);
}

TEST(ReportHtml, NoExternalResource) {
  std::vector<CaseResult> v = Sample();
  v[1].message = "see https://example.test/x";  // text, not a reference
  const std::string h = HtmlReport({}, v);
  const std::regex ref(R"((src|href|action|srcset|poster)\s*=\s*["']?\s*([a-z]+:)?//)",
                       std::regex::icase);
  EXPECT_FALSE(std::regex_search(h, ref));
  const std::regex url(R"((src|href)\s*=\s*["']?\s*https?:)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(h, url));
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_EQ(h.find("url("), std::string::npos);
  EXPECT_EQ(h.find("<script src"), std::string::npos);
}

TEST(ReportHtml, StaysSmallForManyCases) {
  std::vector<CaseResult> v;
  for (int i = 0; i < 1500; ++i) {
    v.push_back(Case("suite/case-" + std::to_string(i),
                     i % 100 == 0 ? Outcome::kFail : Outcome::kPass,
                     {"STS-3.1-0" + std::to_string(i % 9)}));
  }
  const std::string h = HtmlReport({}, v);
  EXPECT_LT(h.size(), 600U * 1024U);
  EXPECT_EQ(ById(h, "count-total"), "1500");
  EXPECT_EQ(ById(h, "count-fail"), "15");
  EXPECT_EQ(MatrixCell(h, "RFC 8461 §3.1", "pass"), 1485);
}

// A regression: a transcript with bytes that are not UTF-8 (garbage from a
// peer) made index.json's dump throw and the run abort.
TEST(ReportWriter, InvalidUtf8InATranscriptIsWrittenNotThrown) {
  std::vector<CaseResult> v = {Case("s/garbage", Outcome::kFail, {"STS-5-01"})};
  v[0].actual = {{"transcript", {"250 \xff\xfe ok"}}};
  v[0].message = "bad \xc3";
  const auto dir =
      std::filesystem::temp_directory_path() / ("mxconform-report-" + std::to_string(::getpid()));
  auto w = WriteReports(dir, {}, v);
  ASSERT_TRUE(w.ok()) << w.error().Text();
  std::ifstream in(dir / "index.json");
  const auto doc = nlohmann::json::parse(in);
  EXPECT_EQ(doc["cases"][0]["actual"]["transcript"][0], "250 \xef\xbf\xbd\xef\xbf\xbd ok");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// junit.xml and report.html escape alike: control bytes (which XML 1.0
// forbids even as references) show as \xNN.
TEST(ReportWriter, JunitAndHtmlShowControlBytesTheSameWay) {
  std::vector<CaseResult> v = {Case("s/ctl", Outcome::kFail, {"STS-5-01"})};
  v[0].message = std::string(
      "a\x01"
      "b<c");
  const std::string xml = JunitXml({}, v);
  EXPECT_NE(xml.find("a\\x01b&lt;c"), std::string::npos) << xml;
  EXPECT_EQ(xml.find('\x01'), std::string::npos);
  const std::string html = HtmlReport({}, v);
  EXPECT_NE(html.find("a\\x01b&lt;c"), std::string::npos);
}

// junit.xml stays well-formed whatever bytes a peer sent: XML 1.0 §2.2
// has no U+FFFE / U+FFFF and no ill-formed UTF-8, an attribute value loses
// tab, LF and CR to spaces (§3.3.3) and text loses CR (§2.11) unless they
// are references, and JUnit's time is an xs:decimal (no exponent).
TEST(ReportWriter, JunitIsWellFormedForAnyBytes) {
  std::vector<CaseResult> v = {Case("s/bytes", Outcome::kFail, {"STS-5-01"})};
  v[0].message = "nonchar \xef\xbf\xbe|\xef\xbf\xbf lone \xc3 ff \xff ok \xc3\xa9 tab\tlf\ncr\r.";
  v[0].actual = {{"transcript", {"250 a\rb"}}};
  v[0].duration_ms = 0.083148;
  const std::string xml = JunitXml({}, v);
  EXPECT_TRUE(text::IsValidUtf8(xml));
  EXPECT_EQ(xml.find("\xef\xbf\xbe"), std::string::npos);
  EXPECT_EQ(xml.find("\xef\xbf\xbf"), std::string::npos);
  EXPECT_EQ(xml.find('\r'), std::string::npos);
  EXPECT_NE(xml.find("message=\"nonchar \\xef\\xbf\\xbe|\\xef\\xbf\\xbf lone \\xc3 ff \\xff ok "
                     "\xc3\xa9 tab&#9;lf&#10;cr&#13;.\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("250 a\\rb"), std::string::npos) << xml;  // JSON's escape, kept
  EXPECT_NE(xml.find("time=\"0.000\""), std::string::npos) << xml;
  v[0].duration_ms = 1234567.0;
  EXPECT_NE(JunitXml({}, v).find("time=\"1234.567\""), std::string::npos);
}

// summary.txt and the terminal get no control byte and no ill-formed UTF-8
// from a peer's text: an ESC sequence would reach the operator's terminal.
TEST(ReportWriter, SummaryShowsControlBytesEscaped) {
  std::vector<CaseResult> v = {Case("s/\x1b[2Jid", Outcome::kFail, {"STS-5-01"})};
  v[0].message = "red \x1b[31m \xff";
  const std::string sum = SummaryText({}, v);
  EXPECT_EQ(sum.find('\x1b'), std::string::npos) << sum;
  EXPECT_TRUE(text::IsValidUtf8(sum));
  EXPECT_NE(sum.find("fail: s/\\x1b[2Jid [STS-5-01] red \\x1b[31m \\xff"), std::string::npos)
      << sum;
  // Nor a line end: a CR in a failure message took the cursor back, and
  // what followed printed over "fail:" (review finding). One line a case.
  v[0].message = "\rok: looks fine\nfail: no";
  const std::string one = SummaryText({}, v);
  EXPECT_NE(one.find("fail: s/\\x1b[2Jid [STS-5-01] \\x0dok: looks fine\\x0afail: no\n"),
            std::string::npos)
      << one;
  EXPECT_EQ(one.find('\r'), std::string::npos) << one;
}

// kLine keeps text on one line: every control byte escaped, line ends and
// tab included, valid UTF-8 kept, nothing HTML-escaped.
TEST(ReportWriter, LineMarkupEscapesEveryControlByte) {
  std::string out;
  SafeTextTo(out, "a\tb\r\nc \x1b[2J <\xc3\xa9> \xff", Markup::kLine);
  EXPECT_EQ(out, "a\\x09b\\x0d\\x0ac \\x1b[2J <\xc3\xa9> \\xff");
  out.clear();
  SafeTextTo(out, "a\tb\r\n", Markup::kNone);
  EXPECT_EQ(out, "a\tb\r\n");  // kNone keeps them
}

// A partial scenario (in-process, checks left to the wire run) is neither
// a pass nor a failure in any of the reports: its own count and column in
// the page, its own word in summary.txt, a skipped JUnit case, and its
// name in index.json; the run's pass count leaves it out.
TEST(ReportWriter, PartialIsCountedApartInEveryReport) {
  std::vector<CaseResult> v = {
      Case("mta-sts/rfc8461-5/p/in-process", Outcome::kPartial, {"STS-5-01"}),
      Case("mta-sts/rfc8461-5/p/wire", Outcome::kPass, {"STS-5-01"})};
  v[0].message = "every in-process check passed; left to the wire run: inject";
  const Totals t = Count(v);
  EXPECT_EQ(t.pass, 1u);
  EXPECT_EQ(t.fail, 0u);
  EXPECT_EQ(t.other, 1u);

  const std::string h = HtmlReport({"impl", "2026-12-03T00:00:00Z", {"t"}}, v);
  EXPECT_EQ(ById(h, "count-pass"), "1");
  EXPECT_EQ(ById(h, "count-partial"), "1");
  EXPECT_EQ(MatrixCell(h, "RFC 8461 §5", "partial"), 1) << h;
  EXPECT_EQ(MatrixCell(h, "RFC 8461 §5", "pass"), 1);

  const std::string sum = SummaryText({}, v);
  EXPECT_NE(sum.find("t: 1/2 pass, 1 partial\n"), std::string::npos) << sum;
  EXPECT_NE(sum.find("1 passed, 0 failed, 1 partial (checks left to the wire run)\n"),
            std::string::npos)
      << sum;
  EXPECT_EQ(sum.find(" other"), std::string::npos) << sum;

  const std::string x = JunitXml({}, v);
  EXPECT_NE(x.find("<skipped message=\"partial: every in-process check passed; left to the wire "
                   "run: inject\"/>"),
            std::string::npos)
      << x;
  EXPECT_NE(x.find("failures=\"0\""), std::string::npos);

  const nlohmann::json j = IndexJson({}, v);
  EXPECT_EQ(j["cases"][0]["outcome"], "partial");
  EXPECT_EQ(j["outcomes"]["partial"], 1);
  EXPECT_EQ(j["totals"]["pass"], 1);
}

// A wire scenario's evidence is bounded before it is kept (the mocks log
// up to 2,000 lines a session, 256 sessions): review finding.
TEST(ReportWriter, EvidenceIsCutToItsBudget) {
  nlohmann::json small = {{"transcript", {"220 hi", "250 ok"}}, {"n", 3}};
  const nlohmann::json before = small;
  EXPECT_FALSE(BoundEvidence(small, 100));
  EXPECT_EQ(small, before);

  nlohmann::json j = {{"a", std::string(10, 'x')},
                      {"b", {std::string(8, 'y'), "zz", "ww"}},
                      {"c", {{"d", "late"}, {"n", 7}, {"t", true}}}};
  EXPECT_TRUE(BoundEvidence(j, 15));
  EXPECT_EQ(j["a"], std::string(10, 'x'));           // 10 kept, 5 left
  EXPECT_EQ(j["b"][0], "yyyyy... (3 more octets)");  // crosses the budget
  EXPECT_EQ(j["b"][1], "... (2 more elements)");     // the rest of the array
  EXPECT_EQ(j["b"].size(), 2u);
  EXPECT_EQ(j["c"]["d"], "... (4 more octets)");  // later strings: the note only
  EXPECT_EQ(j["c"]["n"], 7);
  EXPECT_EQ(j["c"]["t"], true);

  nlohmann::json big = {{"transcript", nlohmann::json::array()}};
  for (int i = 0; i < 2000; ++i) {
    big["transcript"].push_back(std::string(1024, 'l'));
  }
  EXPECT_TRUE(BoundEvidence(big));
  EXPECT_LT(big.dump().size(), kEvidenceBudget + 1024);
}

}  // namespace
}  // namespace mxconform::conformance
