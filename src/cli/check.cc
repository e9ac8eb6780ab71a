// `mxconform check KIND [FILE|-]`: parse one input with the reference parser
// and explain every decision.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "common/text.h"
#include "common/txt.h"
#include "conformance/runner/model_json.h"
#include "dmarc/advice.h"
#include "dmarc/record.h"
#include "mtasts/mx_rrset.h"
#include "mtasts/policy.h"
#include "mtasts/txt_record.h"
#include "spf/received.h"
#include "spf/record.h"
#include "tlsrpt/report.h"
#include "tlsrpt/submission.h"
#include "tlsrpt/txt_record.h"

namespace mxconform::cli {
namespace {

// Inputs above this are refused before parsing (the parsers have their own,
// smaller limits: 64 KiB policies, 16 MiB reports).
constexpr std::size_t kMaxInput = std::size_t{64} * 1024 * 1024;

void LocateInRecord(const txt::FileRecord& t, Diagnostics& d) {
  for (auto& x : d) {
    x.line = t.line;
    x.column = t.ColumnOf(x.offset);
  }
}

// In reading order (parsers add end-of-input findings last).
void PrintHuman(Diagnostics d) {
  std::stable_sort(d.begin(), d.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  for (const auto& x : d) {
    std::cout << x.line << ":" << x.column << " " << x.id << " " << SeverityName(x.severity) << ": "
              << x.Text() << "\n";
  }
}

struct Outcome {
  bool valid = false;
  nlohmann::json value;
  Diagnostics diagnostics;
  std::string note;  // e.g. which RR was chosen
};

template <typename R>
void Take(Outcome& o, R&& r) {
  o.valid = r.ok();
  if (r.ok()) {
    o.value = conformance::ToJson(*r);
    o.diagnostics = r->diagnostics;
  } else {
    o.diagnostics = r.diagnostics();
  }
}

template <typename Parse, typename Select>
void CheckTxt(std::string_view input, Parse parse, Select select, Outcome& o) {
  auto lines = txt::SplitRecords(input);
  if (!lines) {
    o.diagnostics = lines.diagnostics();
    return;
  }
  if (lines->empty()) {
    o.diagnostics.push_back(MakeDiag("txt.input.empty", Severity::kError, 0, "no TXT record"));
    o.diagnostics.back().line = 1;
    o.diagnostics.back().column = 1;
    return;
  }
  if (lines->size() == 1) {
    Take(o, parse((*lines)[0].text));
    LocateInRecord((*lines)[0], o.diagnostics);
  } else {
    std::vector<std::string> rrs;
    for (const auto& l : *lines) {
      rrs.push_back(l.text);
    }
    std::size_t chosen = rrs.size();
    Take(o, select(rrs, &chosen));
    if (chosen < lines->size()) {
      LocateInRecord((*lines)[chosen], o.diagnostics);
      o.note = "selected the record on line " + std::to_string((*lines)[chosen].line) + " of " +
               std::to_string(lines->size());
    } else {
      for (auto& x : o.diagnostics) {
        x.line = 1;
        x.column = 1;
      }
    }
  }
}

// `check spf` and `check dmarc` take a record on the command line as well
// as a file: an argument that names no file and holds an '=' (every SPF
// and DMARC record does, even one whose tags are out of order) or starts
// with the quote of the presentation form is the record itself. Text with
// a space used to count too, so a mistyped file name ("my zone.txt") was
// parsed as a record and refused for its version (review finding).
bool LooksLikeRecord(const std::string& arg) {
  std::error_code ec;
  if (arg == "-" || std::filesystem::exists(arg, ec)) {
    return false;
  }
  return arg.find('=') != std::string::npos || (!arg.empty() && arg[0] == '"');
}

// SPF: RFC 7208 §4.5 selection among several RRs, then the record parser.
void CheckSpf(std::string_view input, Outcome& o) {
  CheckTxt(
      input, [](const std::string& r) { return spf::ParseRecord(r); },
      [](const std::vector<std::string>& rrs, std::size_t* chosen) {
        auto k = spf::SelectRecord(rrs);
        if (!k) {
          return Result<spf::Record>::Failure(k.diagnostics());
        }
        *chosen = *k;
        return spf::ParseRecord(rrs[*k]);
      },
      o);
  if (o.valid) {
    const unsigned terms = o.value.value("dns_terms", 0u);
    if (!o.note.empty()) {
      o.note += "\n";
    }
    o.note += "DNS-lookup terms in this record: " + std::to_string(terms) +
              " (RFC 7208 §4.6.4 allows 10 in the whole evaluation; include and redirect "
              "targets add their own)";
  }
}

// DMARC: the discovery filter and "several records" rule of RFC 9989 §4.10
// among several RRs, then the record parser. An unusable record (D5, D8)
// is invalid here.
void CheckDmarc(std::string_view input, dmarc::Mode mode, Outcome& o) {
  dmarc::ParseOptions po;
  po.mode = mode;
  auto parse = [po](const std::string& r) {
    auto rec = dmarc::ParseRecord(r, po);
    if (rec.ok() && !rec->usable) {
      return Result<dmarc::Record>::Failure(rec->diagnostics);
    }
    if (rec.ok()) {
      // What RFC 9989 asks of publishers, after what the parser found.
      for (auto& d : dmarc::PublisherAdvice(*rec)) {
        rec->diagnostics.push_back(std::move(d));
      }
    }
    return rec;
  };
  CheckTxt(
      input, parse,
      [&](const std::vector<std::string>& rrs, std::size_t* chosen) {
        std::size_t count = 0;
        for (std::size_t k = 0; k < rrs.size(); ++k) {
          if (dmarc::IsDmarcRecord(rrs[k])) {
            *chosen = k;
            ++count;
          }
        }
        if (count != 1) {
          return Result<dmarc::Record>(MakeDiag(
              count == 0 ? "dmarc.record.none" : "dmarc.record.multiple", Severity::kError, 0,
              count == 0 ? "no TXT RR begins with v=DMARC1 (RFC 9989 §4.10)"
                         : "several DMARC records at one name are all discarded (RFC 9989 §4.10, "
                           "D23)"));
        }
        return parse(rrs[*chosen]);
      },
      o);
}

// MX: the RRset as dig prints it, then what RFC 7505 and RFC 5321 ask of a
// publisher and, with --policy, which exchanges the MTA-STS policy leaves
// out. Lint errors make the input invalid: they are what the publisher has
// to fix.
void CheckMx(std::string_view input, const mtasts::Policy* policy, bool sends_mail, Outcome& o) {
  auto set = mtasts::ParseMxRrset(input);
  if (!set) {
    o.diagnostics = set.diagnostics();
  } else {
    mtasts::MxLintOptions lo;
    lo.policy = policy;
    lo.sends_mail = sends_mail;
    o.diagnostics = set->diagnostics;
    for (auto& d : mtasts::LintMxRrset(*set, lo)) {
      o.diagnostics.push_back(std::move(d));
    }
    o.valid = !HasError(o.diagnostics);
    nlohmann::json rrs = nlohmann::json::array();
    for (const auto& r : set->rrs) {
      nlohmann::json x = {{"preference", r.preference},
                          {"exchange", conformance::JsonText(r.exchange)}};
      if (policy != nullptr && !r.IsNull()) {
        x["policy_match"] = mtasts::PolicyMatchesMx(*policy, r.exchange);
      }
      rrs.push_back(std::move(x));
    }
    o.value = {{"owner", conformance::JsonText(set->owner)}, {"rrs", std::move(rrs)}};
    if (policy != nullptr) {
      o.value["policy_mode"] = std::string(mtasts::ModeName(policy->mode));
    }
  }
  LocateDiagnostics(input, o.diagnostics);
}

}  // namespace

void AddCheck(CLI::App& app, int& rc) {
  auto* cmd = app.add_subcommand(
      "check", "Parse one input with the reference parser and list every diagnostic");
  struct Opts {
    std::string kind;
    std::string file = "-";
    std::string profile = "strict";
    std::string mode = "bis";
    std::string policy;
    bool sends_mail = false;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("kind", opts->kind, "What the input is")
      ->required()
      ->check(CLI::IsMember({"sts-txt", "sts-policy", "tlsrpt-txt", "tlsrpt-report", "tlsrpt-mail",
                             "spf", "dmarc", "mx", "received-spf"}));
  cmd->add_option(
      "file", opts->file,
      "Input file, or - for standard input. TXT kinds: one record per line, raw or in "
      "DNS presentation form (\"v=STSv1;\" \" id=1\"); several lines are several RRs. "
      "spf and dmarc also take the record itself (\"v=spf1 mx -all\"). mx: the MX RRset as "
      "dig prints it, one RR per line (\"10 mx1.example.com.\" or a master-file "
      "line). received-spf: one header field, folded or not");
  cmd->add_option("--mode", opts->mode, "dmarc: RFC 9989 (bis) or RFC 7489 rules")
      ->check(CLI::IsMember({"bis", "7489"}))
      ->capture_default_str();
  cmd->add_option("--profile", opts->profile, "Grammar reading: strict (the RFC ABNF) or interop")
      ->check(CLI::IsMember({"strict", "interop"}));
  cmd->add_option("--policy", opts->policy,
                  "mx: the domain's MTA-STS policy file; each exchange is matched against its "
                  "mx patterns");
  cmd->add_flag("--sends-mail", opts->sends_mail,
                "mx: the domain is used in MAIL FROM or From (RFC 7505 §4.2)");
  cmd->add_flag("--json", opts->json, "Print the parse result and diagnostics as JSON");
  cmd->callback([opts, &rc] {
    if ((!opts->policy.empty() || opts->sends_mail) && opts->kind != "mx") {
      std::cerr << "mxconform: --policy and --sends-mail are for check mx\n";
      rc = kExitUsage;
      return;
    }
    std::optional<std::string> input;
    if ((opts->kind == "spf" || opts->kind == "dmarc") && LooksLikeRecord(opts->file)) {
      input = opts->file;
    } else {
      input = ReadInput(opts->file, kMaxInput);
    }
    if (!input) {
      if ((opts->kind == "spf" || opts->kind == "dmarc") &&
          opts->file.find(' ') != std::string::npos) {
        std::cerr << "mxconform: (a record given on the command line holds an '=')\n";
      }
      rc = kExitUsage;
      return;
    }
    Profile profile = Profile::kStrict;
    ParseProfileName(opts->profile, profile);
    Outcome o;
    const std::string& kind = opts->kind;
    if (kind == "sts-txt") {
      mtasts::ParseOptions po{profile};
      CheckTxt(
          *input, [&](const std::string& r) { return mtasts::ParseTxtRecord(r, po); },
          [&](const std::vector<std::string>& rrs, std::size_t* c) {
            return mtasts::SelectTxtRecord(rrs, po, c);
          },
          o);
    } else if (kind == "tlsrpt-txt") {
      tlsrpt::ParseOptions po{profile};
      CheckTxt(
          *input, [&](const std::string& r) { return tlsrpt::ParseTxtRecord(r, po); },
          [&](const std::vector<std::string>& rrs, std::size_t* c) {
            return tlsrpt::SelectTxtRecord(rrs, po, c);
          },
          o);
    } else if (kind == "spf") {
      CheckSpf(*input, o);
    } else if (kind == "dmarc") {
      CheckDmarc(*input, opts->mode == "7489" ? dmarc::Mode::k7489 : dmarc::Mode::kBis, o);
    } else if (kind == "mx") {
      std::optional<mtasts::Policy> policy;
      if (!opts->policy.empty()) {
        auto body = ReadInput(opts->policy, mtasts::kMaxPolicyBytes + 1);
        if (!body) {
          rc = kExitUsage;
          return;
        }
        auto p = mtasts::ParsePolicy(*body, mtasts::ParseOptions{profile});
        if (!p) {
          Diagnostics d = p.diagnostics();
          LocateDiagnostics(*body, d);
          for (const auto& x : d) {
            std::cerr << opts->policy << ":" << x.line << ":" << x.column << " " << x.id << " "
                      << SeverityName(x.severity) << ": " << x.Text() << "\n";
          }
          std::cerr << "mxconform: --policy " << opts->policy << " is not a valid policy\n";
          rc = kExitUsage;
          return;
        }
        policy = std::move(*p);
      }
      CheckMx(*input, policy ? &*policy : nullptr, opts->sends_mail, o);
    } else if (kind == "received-spf") {
      // A receiver's Received-SPF header field (RFC 7208 §9.1, erratum 5436).
      auto h = spf::ReadReceivedSpf(*input);
      o.valid = h.ok();
      if (h) {
        nlohmann::json pairs = nlohmann::json::array();
        for (const auto& p : h->pairs) {
          pairs.push_back({{"key", conformance::JsonText(p.key)},
                           {"value", conformance::JsonText(p.value)},
                           {"quoted", p.quoted}});
        }
        o.value = {{"result", std::string(spf::SpfResultName(h->result))},
                   {"comment", conformance::JsonText(h->comment)},
                   {"pairs", std::move(pairs)}};
        o.diagnostics = h->diagnostics;
      } else {
        o.diagnostics = h.diagnostics();
      }
      LocateDiagnostics(*input, o.diagnostics);
    } else if (kind == "sts-policy") {
      Take(o, mtasts::ParsePolicy(*input, mtasts::ParseOptions{profile}));
      LocateDiagnostics(*input, o.diagnostics);
    } else if (kind == "tlsrpt-mail") {
      // A report mail as a Policy Domain receives it (RFC 8460 §5.3).
      auto s = tlsrpt::ReadReportMail(*input);
      o.valid = s.ok();
      if (s) {
        o.value = {{"report", conformance::ToJson(s->report)},
                   {"gzip", s->gzip},
                   {"filename", conformance::JsonText(s->filename)},
                   {"tls_report_domain", conformance::JsonText(s->report_domain)},
                   {"tls_report_submitter", conformance::JsonText(s->submitter)},
                   {"subject", conformance::JsonText(s->subject)}};
        o.diagnostics = s->diagnostics;
      } else {
        o.diagnostics = s.diagnostics();
      }
      LocateDiagnostics(*input, o.diagnostics);
    } else {
      Take(o, tlsrpt::ReadReport(*input));
      LocateDiagnostics(*input, o.diagnostics);
    }
    if (opts->json) {
      nlohmann::json j = {{"kind", kind},
                          {"file", conformance::JsonText(opts->file)},
                          {"profile", opts->profile},
                          {"valid", o.valid},
                          {"value", o.value},  // null unless the input was read
                          {"diagnostics", conformance::DiagnosticsJson(o.diagnostics)}};
      if (kind == "dmarc") {
        j["mode"] = opts->mode;
      }
      if (!o.note.empty()) {
        j["note"] = o.note;
      }
      std::cout << j.dump(2) << "\n";
    } else {
      PrintHuman(o.diagnostics);
      if (!o.note.empty()) {
        std::cout << o.note << "\n";
      }
      std::cout << (o.valid ? "valid" : "invalid") << " (" << kind;
      if (kind == "dmarc") {
        std::cout << ", " << opts->mode;
      } else if (kind != "spf" && kind != "mx" && kind != "received-spf") {  // one grammar
        std::cout << ", " << opts->profile;
      }
      std::cout << ")";
      if (!o.value.is_null()) {
        std::cout << ": " << o.value.dump();
      }
      std::cout << "\n";
    }
    rc = o.valid ? kExitOk : kExitInvalid;
  });
}

}  // namespace mxconform::cli
