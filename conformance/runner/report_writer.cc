#include "conformance/runner/report_writer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
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

// `s` made safe for junit.xml (kXmlText, kXmlAttribute) or for
// summary.txt and the terminal (kLine: one line per case).
std::string Escaped(std::string_view s, Markup markup) {
  std::string out;
  SafeTextTo(out, s, markup);
  return out;
}

}  // namespace

void SafeTextTo(std::string& out, std::string_view s, Markup markup) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [&out](unsigned char u) {
    out += "\\x";
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 0xf]);
  };
  const bool escape = markup != Markup::kNone && markup != Markup::kLine;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      // A well-formed sequence passes, except U+FFFE and U+FFFF, which XML
      // 1.0 §2.2 excludes from Char; anything else shows byte by byte.
      const std::size_t len = u >= 0xf0 ? 4 : u >= 0xe0 ? 3 : 2;
      const std::string_view seq = s.substr(i, len);
      const bool noncharacter = seq == "\xef\xbf\xbe" || seq == "\xef\xbf\xbf";
      if (seq.size() == len && text::ValidUtf8Prefix(seq) == len && !noncharacter) {
        out.append(seq);
        i += len - 1;
      } else {
        hex(u);
      }
      continue;
    }
    if (escape) {
      switch (c) {
        case '&':
          out += "&amp;";
          continue;
        case '<':
          out += "&lt;";
          continue;
        case '>':
          out += "&gt;";
          continue;
        case '"':
          out += "&quot;";
          continue;
        case '\'':
          out += "&#39;";
          continue;
        default:
          break;
      }
    }
    // An XML parser turns CR into LF (XML 1.0 §2.11), and tab, LF and CR
    // in an attribute value into spaces (§3.3.3): references keep them.
    if (c == '\r' && (markup == Markup::kXmlText || markup == Markup::kXmlAttribute)) {
      out += "&#13;";
    } else if (c == '\n' && markup == Markup::kXmlAttribute) {
      out += "&#10;";
    } else if (c == '\t' && markup == Markup::kXmlAttribute) {
      out += "&#9;";
    } else if ((u < 0x20 && (markup == Markup::kLine || (c != '\n' && c != '\t' && c != '\r'))) ||
               u == 0x7f) {
      // Other control bytes, which XML 1.0 forbids even as references and a
      // terminal would obey, show as `\xNN`.
      hex(u);
    } else {
      out.push_back(c);
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

namespace {

void Tally(Totals& t, Outcome o) {
  ++t.total;
  switch (o) {
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

// Counted in place: the results carry their transcripts.
Totals Count(const std::vector<const CaseResult*>& results) {
  Totals t;
  for (const auto* r : results) {
    Tally(t, r->outcome);
  }
  return t;
}

// JUnit's time attribute is an xs:decimal: no exponent (XSD Part 2
// §3.2.3), so "0.000" rather than the stream's "8.3e-05".
std::string Seconds(double ms) {
  const double sec = std::isfinite(ms) ? std::clamp(ms / 1000.0, 0.0, 1e9) : 0.0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", sec);
  return buf;
}

}  // namespace

Totals Count(const std::vector<CaseResult>& results) {
  Totals t;
  for (const auto& r : results) {
    Tally(t, r.outcome);
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
    const Totals st = Count(rs);
    x << "  <testsuite name=\"" << Escaped(name, Markup::kXmlAttribute) << "\" tests=\"" << st.total
      << "\" failures=\"" << st.fail << "\" errors=\"" << st.error << "\" skipped=\"" << st.other
      << "\">\n";
    for (const auto* r : rs) {
      x << "    <testcase classname=\""
        << Escaped(info.implementation + "." + r->suite, Markup::kXmlAttribute) << "\" name=\""
        << Escaped(r->id, Markup::kXmlAttribute) << "\" time=\"" << Seconds(r->duration_ms)
        << "\">\n";
      x << "      <properties><property name=\"requirements\" value=\""
        << Escaped(text::Join(r->requirements, " "), Markup::kXmlAttribute)
        << "\"/></properties>\n";
      switch (r->outcome) {
        case Outcome::kPass:
          break;
        case Outcome::kFail:
        case Outcome::kXpass:
          x << "      <failure message=\"" << Escaped(r->message, Markup::kXmlAttribute) << "\">"
            << Escaped("expected " + r->expected.dump(-1, ' ', false, kReplace) + "\nactual " +
                           r->actual.dump(-1, ' ', false, kReplace),
                       Markup::kXmlText)
            << "</failure>\n";
          break;
        case Outcome::kError:
          x << "      <error message=\"" << Escaped(r->message, Markup::kXmlAttribute) << "\"/>\n";
          break;
        default:
          x << "      <skipped message=\""
            << Escaped(std::string(OutcomeName(r->outcome)) + ": " + r->message,
                       Markup::kXmlAttribute)
            << "\"/>\n";
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
  s << "mxconform run " << Escaped(info.started, Markup::kLine) << " against "
    << Escaped(info.implementation, Markup::kLine) << "\n";
  std::map<std::string, std::vector<const CaseResult*>> grouped;
  for (const auto& r : results) {
    grouped[r.suite].push_back(&r);
  }
  for (const auto& [name, rs] : grouped) {
    const Totals st = Count(rs);
    s << "  " << Escaped(name, Markup::kLine) << ": " << st.pass << "/" << st.total << " pass";
    if (st.fail != 0) {
      s << ", " << st.fail << " fail";
    }
    if (st.error != 0) {
      s << ", " << st.error << " error";
    }
    const auto count = [&rs](Outcome o) {
      return static_cast<std::size_t>(std::count_if(
          rs.begin(), rs.end(), [o](const CaseResult* r) { return r->outcome == o; }));
    };
    const std::size_t xf = count(Outcome::kXfail);
    const std::size_t partial = count(Outcome::kPartial);
    if (partial != 0) {
      s << ", " << partial << " partial";
    }
    if (xf != 0) {
      s << ", " << xf << " xfail";
    }
    if (st.other > xf + partial) {
      s << ", " << st.other - xf - partial << " other";
    }
    s << "\n";
  }
  std::size_t xfail = 0;
  std::size_t partial = 0;
  for (const auto& r : results) {
    xfail += r.outcome == Outcome::kXfail ? 1 : 0;
    partial += r.outcome == Outcome::kPartial ? 1 : 0;
    if (r.outcome == Outcome::kFail || r.outcome == Outcome::kError ||
        r.outcome == Outcome::kXpass || r.outcome == Outcome::kXfail) {
      s << OutcomeName(r.outcome) << ": " << Escaped(r.id, Markup::kLine) << " ["
        << Escaped(text::Join(r.requirements, ", "), Markup::kLine) << "] "
        << Escaped(r.message, Markup::kLine) << "\n";
    }
  }
  s << t.pass << " passed, " << t.fail << " failed";
  if (t.error != 0) {
    s << ", " << t.error << " errors";
  }
  if (xfail != 0) {
    s << ", " << xfail << " expected failure" << (xfail == 1 ? "" : "s");
  }
  if (partial != 0) {
    s << ", " << partial << " partial (checks left to the wire run)";
  }
  s << "\n";
  return s.str();
}

namespace {

bool Bound(nlohmann::json& j, std::size_t& left) {
  if (j.is_string()) {
    auto& s = j.get_ref<std::string&>();
    if (s.size() <= left) {
      left -= s.size();
      return false;
    }
    const std::size_t more = s.size() - left;
    s.resize(left);
    s += "... (" + std::to_string(more) + " more octets)";
    left = 0;
    return true;
  }
  bool cut = false;
  if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i) {
      if (left == 0) {
        const std::size_t more = j.size() - i;
        j.erase(j.begin() + static_cast<std::ptrdiff_t>(i), j.end());
        j.push_back("... (" + std::to_string(more) + " more elements)");
        return true;
      }
      cut |= Bound(j[i], left);
    }
    return cut;
  }
  if (j.is_object()) {
    for (auto& item : j.items()) {
      cut |= Bound(item.value(), left);
    }
  }
  return cut;
}

}  // namespace

bool BoundEvidence(nlohmann::json& j, std::size_t budget) {
  std::size_t left = budget;
  return Bound(j, left);
}

// HtmlReport is in report_html.cc.

namespace {
// What WriteReports writes and RemoveReports removes, in that order.
constexpr const char* kReportFiles[] = {"index.json", "junit.xml", "summary.txt", "report.html"};
}  // namespace

Result<bool> RemoveReports(const std::filesystem::path& dir) {
  for (const char* name : kReportFiles) {
    std::error_code ec;
    std::filesystem::remove(dir / name, ec);  // false, no error, when absent
    if (ec) {
      return MakeDiag("report.remove_failed", Severity::kError, 0,
                      "cannot remove the report of an earlier run",
                      (dir / name).string() + ": " + ec.message());
    }
  }
  return true;
}

Result<bool> WriteReports(const std::filesystem::path& dir, const RunInfo& info,
                          const std::vector<CaseResult>& results) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return MakeDiag("report.write_failed", Severity::kError, 0, "cannot create report directory",
                    dir.string() + ": " + ec.message());
  }
  const std::pair<const char*, std::string> files[] = {
      {kReportFiles[0], IndexJson(info, results).dump(2, ' ', false, kReplace) + "\n"},
      {kReportFiles[1], JunitXml(info, results)},
      {kReportFiles[2], SummaryText(info, results)},
      {kReportFiles[3], HtmlReport(info, results)},
  };
  static_assert(sizeof files / sizeof files[0] == sizeof kReportFiles / sizeof kReportFiles[0]);
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
