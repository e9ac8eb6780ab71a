// report.html: one self-contained page (inline CSS and JS, no external URL
// of any kind) with the evidence next to each verdict, after the
// Autobahn|Testsuite report. Everything is rendered here, server-side, so the
// page reads the same with JavaScript off; the script only filters the rows
// (a text box, an outcome, a click on a matrix cell). No HTML templating library is packaged for
// Debian 12 that fits, so the markup is written by hand.
#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "conformance/runner/report_writer.h"

namespace mxconform::conformance {
namespace {

using nlohmann::json;

constexpr std::array kOutcomes = {
    Outcome::kPass,          Outcome::kPartial,       Outcome::kFail, Outcome::kNonStrict,
    Outcome::kInformational, Outcome::kUnimplemented, Outcome::kSkip, Outcome::kXfail,
    Outcome::kXpass,         Outcome::kError,
};
// Indexed by the enum's value.
static_assert(kOutcomes.size() == static_cast<std::size_t>(Outcome::kError) + 1);

void HtmlEscapeTo(std::string& out, std::string_view s) { SafeTextTo(out, s, Markup::kHtml); }

// Pretty JSON that never throws: invalid UTF-8 in a string becomes U+FFFD.
std::string Pretty(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace); }

std::string Scalar(const json& j) {
  return j.is_string() ? j.get<std::string>()
                       : j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// --- RFC sections -----------------------------------------------------------

struct Prefix {
  std::string_view prefix;
  std::string_view rfc;
};
// Requirement id prefixes of ../shared/spec/requirements.md, in report order.
constexpr std::array<Prefix, 9> kPrefixes = {{
    {"STS", "RFC 8461"},
    {"RPT", "RFC 8460"},
    {"SPF", "RFC 7208"},
    {"DM7", "RFC 7489"},
    {"DMB", "RFC 9989"},
    {"TLS", "RFC 3207"},
    {"CERT", "RFC 9525"},
    {"MX", "RFC 5321"},
    {"ATK", "attacks"},
}};
// The catalogue's edge-case rows (P13, R4, S24, D8, C12, M3) belong to the
// protocol whose section lists them; `group` indexes kPrefixes.
struct EdgeRows {
  char letter;
  std::size_t group;
  std::string_view label;
};
constexpr std::array<EdgeRows, 6> kEdgeRows = {{
    {'P', 0, "RFC 8461 edge cases"},
    {'R', 1, "RFC 8460 edge cases"},
    {'S', 2, "RFC 7208 edge cases"},
    {'D', 3, "DMARC edge cases"},
    {'C', 6, "RFC 9525 edge cases"},
    {'M', 7, "RFC 5321 edge cases"},
}};

// A matrix row, ordered by protocol, then the prefix's own RFC before the
// others it cites, then by section number.
struct Section {
  std::size_t group = kPrefixes.size();  // "other" last
  int rank = 0;  // 0 own RFC, 1 another RFC, 2 a named part, 3 edge cases, 4 ambiguities
  std::string rfc;
  std::vector<int> numbers;
  std::string label = "other";

  bool operator<(const Section& o) const {
    return std::tie(group, rank, rfc, numbers, label) <
           std::tie(o.group, o.rank, o.rfc, o.numbers, o.label);
  }
};

// "4.10.1" -> {4, 10, 1}; a trailing letter ("6.4.3a", a sub-rule) is
// dropped. False unless `s` is a section number (no leading zero, so the
// sequence numbers "01", "02" are not sections).
bool SectionNumbers(std::string_view s, std::vector<int>& out, std::string& text) {
  if (!s.empty() && s.back() >= 'a' && s.back() <= 'z') {
    s.remove_suffix(1);
  }
  if (s.empty() || s.front() < '1' || s.front() > '9') {
    return false;
  }
  std::vector<int> nums;
  int n = 0;
  bool digit = false;
  for (char c : s) {
    if (c >= '0' && c <= '9') {
      n = n * 10 + (c - '0');
      digit = true;
      if (n > 100000) {
        return false;
      }
    } else if (c == '.' && digit) {
      nums.push_back(n);
      n = 0;
      digit = false;
    } else {
      return false;
    }
  }
  if (!digit) {
    return false;
  }
  nums.push_back(n);
  out = std::move(nums);
  text = std::string(s);
  return true;
}

bool IsRfcNumber(std::string_view s) {
  return s.size() == 4 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Section SectionOf(std::string_view id) {
  Section sec;
  // Edge-case rows (P13, C7a) and ambiguity decisions (D-A3).
  if (id.size() >= 2 && id[1] >= '0' && id[1] <= '9') {
    const bool row =
        std::all_of(id.begin() + 1, id.end() - 1, [](char c) { return c >= '0' && c <= '9'; }) &&
        ((id.back() >= '0' && id.back() <= '9') || (id.back() >= 'a' && id.back() <= 'z'));
    for (const auto& e : kEdgeRows) {
      if (row && id.front() == e.letter) {
        sec.group = e.group;
        sec.rank = 3;
        sec.label = e.label;
        return sec;
      }
    }
    return sec;
  }
  if (id.size() > 3 && id.substr(0, 3) == "D-A") {
    sec.group = 3;
    sec.rank = 4;
    sec.label = "DMARC ambiguities";
    return sec;
  }
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) {
    return sec;
  }
  const std::string_view prefix = id.substr(0, dash);
  const auto it = std::find_if(kPrefixes.begin(), kPrefixes.end(),
                               [&](const Prefix& p) { return p.prefix == prefix; });
  if (it == kPrefixes.end()) {
    return sec;
  }
  sec.group = static_cast<std::size_t>(it - kPrefixes.begin());
  sec.rfc = std::string(it->rfc);
  sec.label = sec.rfc;
  if (prefix == "ATK") {
    return sec;
  }
  // The section is what lies between the prefix and the last `-`
  // (STS-3.3-01 -> 3.3); an id with a single `-` is all section.
  const std::string_view rest = id.substr(dash + 1);
  const auto last = rest.rfind('-');
  const std::string_view middle = last == std::string_view::npos ? rest : rest.substr(0, last);
  std::string text;
  // CERT-6125-6.4.1, TLS-7817-01, MX-7505-02: another RFC, and the last
  // part is its section when it looks like one.
  if (IsRfcNumber(middle)) {
    sec.rfc = "RFC " + std::string(middle);
    sec.rank = sec.rfc == it->rfc ? 0 : 1;
    sec.label = sec.rfc;
    if (last != std::string_view::npos &&
        SectionNumbers(rest.substr(last + 1), sec.numbers, text)) {
      sec.label += " §" + text;
    }
    return sec;
  }
  if (SectionNumbers(middle, sec.numbers, text)) {
    sec.label += " §" + text;
    return sec;
  }
  // DMB-R4-01: the catalogue's "9990 4", the DMARCbis reporting RFC.
  if (prefix == "DMB" && middle.size() > 1 && middle.front() == 'R' &&
      SectionNumbers(middle.substr(1), sec.numbers, text)) {
    sec.rank = 1;
    sec.rfc = "RFC 9990";
    sec.label = sec.rfc + " §" + text;
    return sec;
  }
  // CERT-PKIX-01, CERT-NUL-01, MX-STS-01: a named part of the topic.
  sec.rank = 2;
  sec.label += " (" + std::string(middle) + ")";
  return sec;
}

// --- the page ---------------------------------------------------------------

constexpr std::string_view kStyle = R"css(
:root{--pass:#e6f4ea;--partial:#eef3dc;--fail:#fce8e6;--error:#fef0d9;--soft:#fff8d6;--xfail:#e8eefc;--grey:#f1f3f4;--line:#d0d4d8}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;padding:1.2em 2em;max-width:1400px;color:#202124}
h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.5em 0 .5em}
code,pre{font:12px/1.35 ui-monospace,"DejaVu Sans Mono",Menlo,monospace}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere}
table{border-collapse:collapse}
th,td{border:1px solid var(--line);padding:3px 6px;vertical-align:top;text-align:left}
thead th{background:#f8f9fa;position:sticky;top:0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0 0 .8em}
dl.meta dt{color:#5f6368}dl.meta dd{margin:0}
ul.counts{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:6px}
ul.counts li{border:1px solid var(--line);border-radius:6px;padding:4px 10px;min-width:6em}
ul.counts .n{display:block;font-size:1.5em;font-weight:600}
ul.counts li.zero{opacity:.45}
.o-pass{background:var(--pass)}.o-partial{background:var(--partial)}.o-fail,.o-xpass{background:var(--fail)}.o-error{background:var(--error)}
.o-non-strict{background:var(--soft)}.o-xfail{background:var(--xfail)}
.o-skip,.o-unimplemented,.o-informational{background:var(--grey)}
.matrix-wrap{max-height:26em;overflow:auto;display:inline-block;border:1px solid var(--line)}
table.matrix th,table.matrix td{padding:2px 6px}
table.matrix td{text-align:right;min-width:4.5em}
table.matrix td:empty{background:none}
table.matrix td.total{font-weight:600}
.js table.matrix td:not(:empty),.js ul.counts li{cursor:pointer}
.js table.matrix td:not(:empty):hover{outline:2px solid #1a73e8}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 .6em}
.filters input{width:28em;max-width:100%;padding:4px 6px}
.chip{background:#e8f0fe;border-radius:12px;padding:2px 10px}
table.cases{width:100%}
table.cases td.id code{font-weight:600}
table.cases .sum{color:#3c4043}
table.cases .msg{color:#a50e0e;overflow-wrap:anywhere}
table.cases td.ms{text-align:right;color:#5f6368;white-space:nowrap}
table.cases td.id{width:45%}
table.cases td.req{font-size:12px}
tr[data-outcome=pass] td.out{background:var(--pass)}
tr[data-outcome=partial] td.out{background:var(--partial)}
tr[data-outcome=partial] .msg,tr[data-outcome=informational] .msg{color:#3c4043}
tr[data-outcome=fail] td.out,tr[data-outcome=xpass] td.out{background:var(--fail)}
tr[data-outcome=error] td.out{background:var(--error)}
tr[data-outcome=non-strict] td.out{background:var(--soft)}
tr[data-outcome=xfail] td.out{background:var(--xfail)}
tr.detail>td{border-top:none;padding:0 6px 6px}
details>summary{cursor:pointer;color:#1a73e8;padding:2px 0}
.evidence{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin-top:4px}
.evidence>div{min-width:0}
.evidence h4,.transcript h4{margin:.2em 0;font-size:12px;color:#5f6368;text-transform:uppercase}
.evidence pre,.transcript pre{background:#f8f9fa;border:1px solid #e8eaed;padding:4px 6px}
.transcript .step{border-left:3px solid #1a73e8;padding:0 0 4px 8px;margin:0 0 6px}
.transcript .title{font-weight:600}.transcript .kv{color:#5f6368;font-weight:400}
.transcript .label{font-size:12px;color:#5f6368;margin-top:3px}
.muted{color:#5f6368}
.js-only{display:none}.js .js-only{display:inline}
@media (max-width:900px){.evidence{grid-template-columns:1fr}}
)css";

// Filtering only: the rows, counts and evidence are all in the markup.
constexpr std::string_view kScript = R"js(
(function(){
document.documentElement.classList.add('js');
var rows=[].slice.call(document.querySelectorAll('#cases tr.case'));
var text=document.getElementById('filter'),sel=document.getElementById('outcome-filter');
var chip=document.getElementById('section-chip'),chipName=document.getElementById('section-name');
var shown=document.getElementById('shown-count');
var section=null;
document.getElementById('filters').hidden=false;
rows.forEach(function(r){
  r._text=(r.getAttribute('data-case-id')+' '+r.cells[0].textContent+' '+r.cells[2].textContent).toLowerCase();
  r._secs=(r.getAttribute('data-sec')||'').split(' ');
  var d=r.nextElementSibling;r._detail=d&&d.classList.contains('detail')?d:null;
});
function apply(){
  var q=text.value.trim().toLowerCase(),o=sel.value,n=0;
  rows.forEach(function(r){
    var ok=(!q||r._text.indexOf(q)>=0)&&(!o||r.getAttribute('data-outcome')===o)&&
           (section===null||r._secs.indexOf(section)>=0);
    r.hidden=!ok;if(r._detail){r._detail.hidden=!ok;}if(ok){n++;}
  });
  shown.textContent=n+' of '+rows.length+' shown';
  chip.hidden=section===null;
}
text.addEventListener('input',apply);sel.addEventListener('change',apply);
document.getElementById('section-clear').addEventListener('click',function(){section=null;apply();});
document.getElementById('matrix').addEventListener('click',function(e){
  var td=e.target.closest('td,th'),tr=td&&td.parentElement;
  if(!td||td.textContent===''||!tr.hasAttribute('data-sec')){return;}
  section=tr.getAttribute('data-sec');
  chipName.textContent=tr.cells[0].textContent;
  sel.value=td.getAttribute('data-outcome')||'';text.value='';apply();
  document.getElementById('cases-heading').scrollIntoView();
});
[].forEach.call(document.querySelectorAll('ul.counts li'),function(li){
  li.addEventListener('click',function(){sel.value=li.getAttribute('data-outcome')||'';section=null;apply();
    document.getElementById('cases-heading').scrollIntoView();});
});
document.getElementById('open-all').addEventListener('click',function(){
  rows.forEach(function(r){if(r._detail&&!r.hidden){r._detail.querySelector('details').open=true;}});
});
document.getElementById('close-all').addEventListener('click',function(){
  [].forEach.call(document.querySelectorAll('#cases details'),function(d){d.open=false;});
});
apply();
})();
)js";

// One line of a transcript step's header: "at 1700000000 · verdict deferred".
bool IsScalar(const json& j) { return !j.is_object() && !j.is_array(); }

bool AllScalars(const json& a) { return std::all_of(a.begin(), a.end(), IsScalar); }

void LinesTo(std::string& h, const json& a) {
  h += "<pre>";
  bool first = true;
  for (const auto& line : a) {
    if (!first) {
      h += '\n';
    }
    first = false;
    HtmlEscapeTo(h, Scalar(line));
  }
  h += "</pre>";
}

// A scenario's transcript: one block per step, each list of log lines as
// preformatted text. Unknown shapes fall back to pretty JSON.
void TranscriptTo(std::string& h, const json& transcript) {
  h += "<div class=\"transcript\">";
  for (const auto& step : transcript) {
    h += "<div class=\"step\">";
    if (!step.is_object()) {
      h += "<pre>";
      HtmlEscapeTo(h, IsScalar(step) ? Scalar(step) : Pretty(step));
      h += "</pre></div>";
      continue;
    }
    h += "<div class=\"title\">";
    const auto name = step.find("step");
    HtmlEscapeTo(h, name != step.end() && name->is_string() ? name->get<std::string>()
                                                            : std::string("logs"));
    for (const auto& [k, v] : step.items()) {
      if (k != "step" && IsScalar(v)) {
        h += " <span class=\"kv\">&middot; ";
        HtmlEscapeTo(h, k);
        h += ' ';
        HtmlEscapeTo(h, Scalar(v));
        h += "</span>";
      }
    }
    h += "</div>";
    for (const auto& [k, v] : step.items()) {
      if (k == "step" || IsScalar(v)) {
        continue;
      }
      if (v.is_array() && AllScalars(v)) {
        h += "<div class=\"label\">";
        HtmlEscapeTo(h, k);
        h += v.empty() ? " (none)</div>" : "</div>";
        if (!v.empty()) {
          LinesTo(h, v);
        }
        continue;
      }
      // {"smtp": {"mx1.example.test": [lines]}}: one block per host.
      if (v.is_object() && std::all_of(v.begin(), v.end(), [](const json& x) {
            return x.is_array() && AllScalars(x);
          })) {
        if (v.empty()) {
          h += "<div class=\"label\">";
          HtmlEscapeTo(h, k);
          h += " (none)</div>";
        }
        for (const auto& [sub, lines] : v.items()) {
          h += "<div class=\"label\">";
          HtmlEscapeTo(h, k);
          h += ' ';
          HtmlEscapeTo(h, sub);
          h += "</div>";
          LinesTo(h, lines);
        }
        continue;
      }
      h += "<div class=\"label\">";
      HtmlEscapeTo(h, k);
      h += "</div><pre>";
      HtmlEscapeTo(h, Pretty(v));
      h += "</pre>";
    }
    h += "</div>";
  }
  h += "</div>";
}

void EvidenceTo(std::string& h, const CaseResult& r) {
  h += "<details><summary>evidence</summary><p><b>requirements</b> ";
  if (r.requirements.empty()) {
    h += "<span class=\"muted\">none</span>";
  }
  for (std::size_t i = 0; i < r.requirements.size(); ++i) {
    h += i == 0 ? "<code>" : ", <code>";
    HtmlEscapeTo(h, r.requirements[i]);
    h += "</code>";
  }
  h += "<br><b>message</b> ";
  if (r.message.empty()) {
    h += "<span class=\"muted\">none</span>";
  } else {
    h += "<span class=\"msg\">";
    HtmlEscapeTo(h, r.message);
    h += "</span>";
  }
  if (!r.file.empty()) {
    h += "<br><b>file</b> <code>";
    HtmlEscapeTo(h, r.file);
    h += "</code>";
  }
  h += "</p><div class=\"evidence\"><div class=\"expected\"><h4>expected</h4><pre>";
  HtmlEscapeTo(h, Pretty(r.expected));
  h += "</pre></div><div class=\"actual\"><h4>actual</h4>";
  // A scenario's actual result is its transcript, shown as such; anything
  // else beside it stays JSON.
  json rest = r.actual;
  json transcript;
  if (rest.is_object() && rest.contains("transcript") && rest["transcript"].is_array()) {
    transcript = std::move(rest["transcript"]);
    rest.erase("transcript");
  }
  const bool only_transcript = transcript.is_array() && rest.is_object() && rest.empty();
  if (rest.is_null()) {
    h += "<p class=\"muted\">none</p>";
  } else if (!only_transcript) {
    h += "<pre>";
    HtmlEscapeTo(h, Pretty(rest));
    h += "</pre>";
  }
  if (transcript.is_array()) {
    h += only_transcript ? "" : "<h4>transcript</h4>";
    TranscriptTo(h, transcript);
  }
  h += "</div></div></details>";
}

}  // namespace

std::string RequirementSection(std::string_view requirement_id) {
  return SectionOf(requirement_id).label;
}

std::string HtmlReport(const RunInfo& info, const std::vector<CaseResult>& results) {
  // Sections: each case counts once in each distinct section it cites.
  std::map<Section, std::size_t> index;  // ordered, then numbered
  std::vector<std::vector<std::size_t>> case_sections(results.size());
  {
    std::map<std::string, Section> by_label;
    std::vector<std::set<std::string>> labels(results.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      for (const auto& req : results[i].requirements) {
        Section s = SectionOf(req);
        labels[i].insert(s.label);
        by_label.emplace(s.label, std::move(s));
      }
      if (labels[i].empty()) {
        labels[i].insert("other");
        by_label.emplace("other", Section{});
      }
    }
    for (const auto& [label, s] : by_label) {
      index.emplace(s, 0);
    }
    std::size_t n = 0;
    std::map<std::string, std::size_t> number;
    for (auto& [s, k] : index) {
      k = n++;
      number[s.label] = k;
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
      for (const auto& l : labels[i]) {
        case_sections[i].push_back(number[l]);
      }
    }
  }
  constexpr std::size_t kN = kOutcomes.size();
  std::vector<std::array<std::size_t, kN>> matrix(index.size(), std::array<std::size_t, kN>{});
  std::array<std::size_t, kN> totals{};
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto o = static_cast<std::size_t>(results[i].outcome);
    ++totals.at(o);
    for (std::size_t s : case_sections[i]) {
      ++matrix[s].at(o);
    }
  }

  std::string h;
  h.reserve(4096 + results.size() * 400);
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
       "<title>mxconform report: ";
  HtmlEscapeTo(h, info.implementation);
  h += ' ';
  HtmlEscapeTo(h, info.started);
  h += "</title><style>";
  h += kStyle;
  h += "</style></head><body>\n<header><h1>mxconform conformance report</h1>"
       "<dl class=\"meta\"><dt>implementation</dt><dd id=\"implementation\">";
  HtmlEscapeTo(h, info.implementation);
  h += "</dd><dt>started</dt><dd id=\"started\">";
  HtmlEscapeTo(h, info.started);
  h += "</dd><dt>suites</dt><dd>";
  for (std::size_t i = 0; i < info.suites.size(); ++i) {
    h += i == 0 ? "" : ", ";
    HtmlEscapeTo(h, info.suites[i]);
  }
  h += "</dd></dl>\n<ul class=\"counts\" id=\"summary\"><li data-outcome=\"\">"
       "<span class=\"n\" id=\"count-total\">" +
       std::to_string(results.size()) + "</span>total</li>";
  for (std::size_t k = 0; k < kN; ++k) {
    const std::string o(OutcomeName(kOutcomes[k]));
    h += "<li class=\"o-" + o + (totals[k] == 0 ? " zero" : "") + "\" data-outcome=\"" + o +
         "\"><span class=\"n\" id=\"count-" + o + "\">" + std::to_string(totals[k]) + "</span>" +
         o + "</li>";
  }
  h += "</ul></header>\n";

  // The matrix: the outcomes that occurred, pass and fail always.
  std::vector<std::size_t> columns;
  for (std::size_t k = 0; k < kN; ++k) {
    if (totals[k] != 0 || kOutcomes[k] == Outcome::kPass || kOutcomes[k] == Outcome::kFail) {
      columns.push_back(k);
    }
  }
  h += "<h2>Cases per RFC section and outcome</h2><p class=\"muted\">A case counts once in each "
       "section its requirements cite<span class=\"js-only\">; a click on a count lists those "
       "cases</span>.</p>"
       "<div class=\"matrix-wrap\"><table class=\"matrix\" "
       "id=\"matrix\"><thead><tr><th>section</th>";
  for (std::size_t k : columns) {
    h += "<th>" + std::string(OutcomeName(kOutcomes[k])) + "</th>";
  }
  h += "<th>cases</th></tr></thead><tbody>\n";
  for (const auto& [s, n] : index) {
    h += "<tr data-sec=\"" + std::to_string(n) + "\"><th>";
    HtmlEscapeTo(h, s.label);
    h += "</th>";
    std::size_t sum = 0;
    for (std::size_t k : columns) {
      const std::size_t c = matrix[n][k];
      sum += c;
      const std::string o(OutcomeName(kOutcomes[k]));
      h += c == 0 ? "<td data-outcome=\"" + o + "\"></td>"
                  : "<td class=\"o-" + o + "\" data-outcome=\"" + o + "\">" + std::to_string(c) +
                        "</td>";
    }
    h += "<td class=\"total\">" + std::to_string(sum) + "</td></tr>\n";
  }
  h += "</tbody></table></div>\n";

  h += "<h2 id=\"cases-heading\">Cases</h2>"
       "<div class=\"filters\" id=\"filters\" hidden><input id=\"filter\" type=\"search\" "
       "placeholder=\"filter by id, summary or requirement\" aria-label=\"filter\">"
       "<select id=\"outcome-filter\" aria-label=\"outcome\"><option value=\"\">all outcomes"
       "</option>";
  for (std::size_t k = 0; k < kN; ++k) {
    const std::string o(OutcomeName(kOutcomes[k]));
    h += "<option value=\"" + o + "\">" + o + " (" + std::to_string(totals[k]) + ")</option>";
  }
  h += "</select><span class=\"chip\" id=\"section-chip\" hidden>section: <span "
       "id=\"section-name\"></span> <button type=\"button\" id=\"section-clear\" "
       "aria-label=\"clear section\">&times;</button></span><button type=\"button\" "
       "id=\"open-all\">open shown evidence</button><button type=\"button\" "
       "id=\"close-all\">close all</button><span class=\"muted\" id=\"shown-count\"></span></div>\n"
       "<table class=\"cases\" id=\"cases\"><thead><tr><th>case</th><th>outcome</th>"
       "<th>requirements</th><th>ms</th></tr></thead><tbody>\n";
  char ms[32];
  for (std::size_t i = 0; i < results.size(); ++i) {
    const CaseResult& r = results[i];
    const std::string o(OutcomeName(r.outcome));
    h += "<tr class=\"case\" data-case-id=\"";
    HtmlEscapeTo(h, r.id);
    h += "\" data-outcome=\"" + o + "\" data-sec=\"";
    for (std::size_t j = 0; j < case_sections[i].size(); ++j) {
      h += (j == 0 ? "" : " ") + std::to_string(case_sections[i][j]);
    }
    h += "\"><td class=\"id\"><code>";
    HtmlEscapeTo(h, r.id);
    h += "</code>";
    if (!r.summary.empty()) {
      h += "<div class=\"sum\">";
      HtmlEscapeTo(h, r.summary);
      h += "</div>";
    }
    h += "</td><td class=\"out\">" + o;
    if (!r.message.empty()) {
      h += "<div class=\"msg\">";
      HtmlEscapeTo(h, r.message);
      h += "</div>";
    }
    h += "</td><td class=\"req\">";
    for (std::size_t j = 0; j < r.requirements.size(); ++j) {
      h += j == 0 ? "" : " ";
      HtmlEscapeTo(h, r.requirements[j]);
    }
    std::snprintf(ms, sizeof ms, "%.1f", r.duration_ms);
    h += "</td><td class=\"ms\">";
    h += ms;
    h += "</td></tr>\n";
    if (r.outcome != Outcome::kPass) {
      h += "<tr class=\"detail\"><td colspan=\"4\">";
      EvidenceTo(h, r);
      h += "</td></tr>\n";
    }
  }
  h += "</tbody></table>\n<script>";
  h += kScript;
  h += "</script></body></html>\n";
  return h;
}

}  // namespace mxconform::conformance
