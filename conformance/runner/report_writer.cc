#include "conformance/runner/report_writer.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include "common/text.h"

namespace mxconform::conformance {
namespace {

// Transcripts carry what peers sent, which need not be UTF-8: dumped with
// U+FFFD in its place rather than an exception.
constexpr auto kReplace = nlohmann::json::error_handler_t::replace;

std::string XmlEscape(std::string_view s) {
  std::string out;
  MarkupEscapeTo(out, s);
  return out;
}

}  // namespace

void MarkupEscapeTo(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default: {
        // Control bytes other than tab, newline and carriage return (which
        // XML 1.0 forbids even as references) show as `\xNN`; bytes >= 0x80
        // pass through (every markup character is ASCII and escaped here).
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\n' && c != '\t' && c != '\r') || u == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
      }
    }
  }
}

std::string NowRfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Totals Count(const std::vector<CaseResult>& results) {
  Totals t;
  for (const auto& r : results) {
    ++t.total;
    switch (r.outcome) {
      case Outcome::kPass:
        ++t.pass;
        break;
      case Outcome::kFail:
      case Outcome::kXpass:
        ++t.fail;
        break;
      case Outcome::kError:
        ++t.error;
        break;
      default:
        ++t.other;
    }
  }
  return t;
}

nlohmann::json IndexJson(const RunInfo& info, const std::vector<CaseResult>& results) {
  Totals t = Count(results);
  nlohmann::json cases = nlohmann::json::array();
  std::map<std::string, std::size_t> by_outcome;
  for (const auto& r : results) {
    ++by_outcome[std::string(OutcomeName(r.outcome))];
    cases.push_back({{"id", r.id},
                     {"suite", r.suite},
                     {"kind", r.kind},
                     {"file", r.file},
                     {"summary", r.summary},
                     {"requirements", r.requirements},
                     {"outcome", std::string(OutcomeName(r.outcome))},
                     {"message", r.message},
                     {"expected", r.expected},
                     {"actual", r.actual},
                     {"duration_ms", r.duration_ms}});
  }
  return {{"tool", "mxconform"},
          {"format", 1},
          {"implementation", info.implementation},
          {"started", info.started},
          {"suites", info.suites},
          {"totals", {{"total", t.total}, {"pass", t.pass}, {"fail", t.fail}, {"error", t.error}}},
          {"outcomes", by_outcome},
          {"cases", cases}};
}

std::string JunitXml(const RunInfo& info, const std::vector<CaseResult>& results) {
  std::map<std::string, std::vector<const CaseResult*>> suites;
  for (const auto& r : results) {
    suites[r.suite].push_back(&r);
  }
  Totals t = Count(results);
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"mxconform\" tests=\"" << t.total << "\" failures=\"" << t.fail
    << "\" errors=\"" << t.error << "\">\n";
  for (const auto& [name, rs] : suites) {
    Totals st = Count([&] {
      std::vector<CaseResult> v;
      for (const auto* r : rs) {
        v.push_back(*r);
      }
      return v;
    }());
    x << "  <testsuite name=\"" << XmlEscape(name) << "\" tests=\"" << st.total << "\" failures=\""
      << st.fail << "\" errors=\"" << st.error << "\" skipped=\"" << st.other << "\">\n";
    for (const auto* r : rs) {
      x << "    <testcase classname=\"" << XmlEscape(info.implementation + "." + r->suite)
        << "\" name=\"" << XmlEscape(r->id) << "\" time=\"" << r->duration_ms / 1000.0 << "\">\n";
      x << "      <properties><property name=\"requirements\" value=\""
        << XmlEscape(text::Join(r->requirements, " ")) << "\"/></properties>\n";
      switch (r->outcome) {
        case Outcome::kPass:
          break;
        case Outcome::kFail:
        case Outcome::kXpass:
          x << "      <failure message=\"" << XmlEscape(r->message) << "\">"
            << XmlEscape("expected " + r->expected.dump(-1, ' ', false, kReplace) + "\nactual " +
                         r->actual.dump(-1, ' ', false, kReplace))
            << "</failure>\n";
          break;
        case Outcome::kError:
          x << "      <error message=\"" << XmlEscape(r->message) << "\"/>\n";
          break;
        default:
          x << "      <skipped message=\""
            << XmlEscape(std::string(OutcomeName(r->outcome)) + ": " + r->message) << "\"/>\n";
      }
      x << "    </testcase>\n";
    }
    x << "  </testsuite>\n";
  }
  x << "</testsuites>\n";
  return x.str();
}

std::string SummaryText(const RunInfo& info, const std::vector<CaseResult>& results) {
  Totals t = Count(results);
  std::ostringstream s;
  s << "mxconform run " << info.started << " against " << info.implementation << "\n";
  std::map<std::string, Totals> per_suite;
  std::map<std::string, std::vector<CaseResult>> grouped;
  for (const auto& r : results) {
    grouped[r.suite].push_back(r);
  }
  for (const auto& [name, rs] : grouped) {
    Totals st = Count(rs);
    s << "  " << name << ": " << st.pass << "/" << st.total << " pass";
    if (st.fail != 0) {
      s << ", " << st.fail << " fail";
    }
    if (st.error != 0) {
      s << ", " << st.error << " error";
    }
    std::size_t xf = static_cast<std::size_t>(std::count_if(
        rs.begin(), rs.end(), [](const CaseResult& r) { return r.outcome == Outcome::kXfail; }));
    if (xf != 0) {
      s << ", " << xf << " xfail";
    }
    if (st.other > xf) {
      s << ", " << st.other - xf << " other";
    }
    s << "\n";
  }
  std::size_t xfail = 0;
  for (const auto& r : results) {
    xfail += r.outcome == Outcome::kXfail ? 1 : 0;
    if (r.outcome == Outcome::kFail || r.outcome == Outcome::kError ||
        r.outcome == Outcome::kXpass || r.outcome == Outcome::kXfail) {
      s << OutcomeName(r.outcome) << ": " << r.id << " [" << text::Join(r.requirements, ", ")
        << "] " << r.message << "\n";
    }
  }
  s << t.pass << " passed, " << t.fail << " failed";
  if (t.error != 0) {
    s << ", " << t.error << " errors";
  }
  if (xfail != 0) {
    s << ", " << xfail << " expected failure" << (xfail == 1 ? "" : "s");
  }
  s << "\n";
  return s.str();
}

// HtmlReport is in report_html.cc.

Result<bool> WriteReports(const std::filesystem::path& dir, const RunInfo& info,
                          const std::vector<CaseResult>& results) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeDiag("report.write_failed", Severity::kError, 0, "cannot create report directory",
                    dir.string() + ": " + ec.message());
  }
  const std::pair<const char*, std::string> files[] = {
      {"index.json", IndexJson(info, results).dump(2, ' ', false, kReplace) + "\n"},
      {"junit.xml", JunitXml(info, results)},
      {"summary.txt", SummaryText(info, results)},
      {"report.html", HtmlReport(info, results)},
  };
  for (const auto& [name, body] : files) {
    std::ofstream f(dir / name, std::ios::binary | std::ios::trunc);
    f << body;
    if (!f) {
      return MakeDiag("report.write_failed", Severity::kError, 0, "cannot write report",
                      (dir / name).string());
    }
  }
  return true;
}

}  // namespace mxconform::conformance
