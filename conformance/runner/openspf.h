// SPF check_host() vectors in the openspf.org test-suite format (the RFC 7208
// suite of ../shared/vectors/openspf/, read unmodified, and our own
// conformance/vectors/spf-*.yml): loading, linting and running them against
// the reference evaluator (src/spf). The format and our extension keys are
// described in conformance/README.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "conformance/runner/vectors.h"
#include "spf/eval.h"
#include "spf/receiver.h"
#include "spf/resolver.h"
#include "spf/zone.h"

namespace mxconform::conformance {

// Where a file comes from. Our files must cite requirement ids for every
// test; a third-party suite is taken as it is.
enum class OpenspfOrigin : std::uint8_t { kOurs, kThirdParty };

// One entry of a zonedata list, as written.
struct OpenspfRecord {
  // "TXT", "SPF", "A", "AAAA", "MX", "PTR", "CNAME", "TIMEOUT", our "SERVFAIL"
  // and "DELAY", or whatever else was written (the lint reports it).
  std::string type;
  // TXT / SPF: the character-strings (a scalar is one string; `[ ]` none).
  // A, AAAA, PTR, CNAME, NS: one value. MX: the exchange. DELAY: the
  // seconds. SOA (mock zones only): the seven fields in RFC 1035 order.
  std::vector<std::string> values;
  bool is_list = false;                // TXT / SPF written as a list of strings
  std::int64_t preference = 0;         // MX
  std::uint32_t line = 0, column = 0;  // 1-based
};

struct OpenspfName {
  std::string name;
  std::vector<OpenspfRecord> records;
  std::uint32_t line = 0, column = 0;
};

struct OpenspfTest {
  std::string name;
  std::uint32_t line = 0, column = 0;
  std::string helo, host, mailfrom, spec, description, comment;
  std::vector<std::string> results;        // acceptable results, preferred first
  std::optional<std::string> explanation;  // "DEFAULT": no usable exp=
  // Our extension keys (absent from the openspf suite).
  std::vector<std::string> requirements;
  std::optional<std::string> receiver;  // %{r}
  std::optional<std::int64_t> now;      // %{t}, and the virtual clock's start
  std::optional<std::string> identity;  // "mailfrom" or "helo": overrides the rule
  std::vector<std::string> queries_include, queries_exclude;  // "<TYPE> <name>"
  std::optional<std::int64_t> dns_terms, void_lookups;
  // `smtp`: the reply the receiver gives to MAIL FROM for this result
  // (RFC 7208 §8), with the status codes it uses as input.
  struct Smtp {
    int reply = 0;                        // 250, 550, 451, ...
    std::optional<std::string> enhanced;  // "5.7.1"; absent: not checked
    spf::StatusCodes codes = spf::StatusCodes::kRfc7208;
  };
  std::optional<Smtp> smtp;
  // The whole test as JSON (every key, for the lint and the report).
  nlohmann::json fields;
};

struct OpenspfDocument {
  std::size_t index = 0;  // 0-based position in the file
  std::string description;
  std::uint32_t line = 0, column = 0;
  std::vector<OpenspfTest> tests;
  std::vector<OpenspfName> zonedata;  // in file order; a name may repeat
  std::vector<std::string> keys;      // the document's top-level keys
};

struct OpenspfFile {
  std::filesystem::path path;
  OpenspfOrigin origin = OpenspfOrigin::kOurs;
  std::vector<OpenspfDocument> documents;
};

// Reads an openspf-format file (multi-document YAML). Returns every problem
// that stops the file from being read, each located (line, column):
// `vectors.openspf.unreadable`, `vectors.openspf.yaml` (YAML syntax),
// `vectors.openspf.document` (a document is not a map, or lacks `tests`),
// `vectors.openspf.tests` (`tests` is not a map of maps),
// `vectors.openspf.field` (a test field of the wrong shape: `result` not a
// string or a list of strings, an extension key of the wrong type),
// `vectors.openspf.zonedata` (zonedata not a map of lists, a malformed
// entry such as an MX that is not [preference, name]).
// Semantic checks (known results and record types, requirement ids, unique
// names) are the lint's.
Result<OpenspfFile> LoadOpenspfFile(const std::filesystem::path& path, OpenspfOrigin origin);
// Same, from text (`path` only names it).
Result<OpenspfFile> ParseOpenspf(std::string_view text, const std::filesystem::path& path,
                                 OpenspfOrigin origin);

// A zone on its own (`mxconform eval spf --zone`): a YAML map of name to
// records in the `zonedata` format, or a map with a `zonedata` key. The
// document has no tests. Errors as for ParseOpenspf.
Result<OpenspfDocument> ParseOpenspfZone(std::string_view text);

// True if `text` is an openspf-format suite: its first YAML document is a
// map with `tests` and without `cases`. (`run --suite` also takes any
// `.yml` file as one, by its name.)
bool IsOpenspfText(std::string_view text);

// Checks a loaded file: test names unique in the file, results known
// (pass fail softfail neutral none permerror temperror), record types
// known and their values well-formed (addresses parse, A holds IPv4, AAAA
// IPv6), hosts parse as IP addresses, and for our files: a `description`,
// a non-empty `requirements` list of ids found in `known_ids` (when it is
// non-empty), known extension keys, query expectations of the form
// "<TYPE> <name>". Returns the problems ("file:line:col [test]: what").
std::vector<std::string> LintOpenspfFile(const OpenspfFile& f,
                                         const std::set<std::string>& known_ids);

// Requirement ids that cite each openspf test by name, from the catalogue's
// SPF section (rows whose text names the test in backquotes, e.g. `nospf`
// under S1). Used to label the third-party suite's cases in reports.
std::map<std::string, std::vector<std::string>> OpenspfCatalogueRefs(std::string_view catalogue);

// The DNS of one document, as the openspf drivers (pyspf's testspf.py)
// present it, over spf::ZoneResolver:
// * a TXT list is one RR, its strings joined with no separator (RFC 7208
//   §3.3); records of a name accumulate; a name with an empty list exists
//   with no records; names not listed are NXDOMAIN;
// * SPF entries stand for TXT records when the name has no TXT entry at all
//   (the suite's header: drivers duplicate SPF into TXT); `TXT: NONE` marks
//   "no TXT record" and stops that. Type SPF is never queried (RFC 7208 §3.1);
// * TIMEOUT: a query of a type with no record listed before it times out;
//   entries after it are never reached;
// * ours: SERVFAIL (every query for the name answers SERVFAIL) and DELAY: N
//   (every query for the name advances `clock` by N seconds).
// Every query is logged as "<TYPE> <name>" (name lower-cased, no trailing dot).
class OpenspfZone final : public spf::Resolver {
 public:
  explicit OpenspfZone(FixedClock& clock) : clock_(clock) {}

  // Returns an error text if an entry cannot be loaded (a bad address, an
  // unknown type: the lint reports the same with its line).
  std::optional<std::string> Load(const OpenspfDocument& doc);

  spf::DnsAnswer Query(std::string_view name, spf::QueryType type) override;

  // Ancestors of listed names exist with no records (spf::ZoneResolver);
  // the DMARC suites ask for this, the openspf drivers do not.
  void SetEmptyNonTerminals(bool on) { zone_.SetEmptyNonTerminals(on); }

  const std::vector<std::string>& log() const { return log_; }

 private:
  FixedClock& clock_;
  spf::ZoneResolver zone_;
  std::map<std::string, std::set<spf::QueryType>> spared_;  // TIMEOUT after these types
  std::map<std::string, std::int64_t> delay_;
  std::vector<std::string> log_;
};

// What RunOpenspfFile() calls to evaluate one test: `helo` selects
// CheckHelo, else CheckMailFrom. Unit tests put a fake here.
using OpenspfEvaluator = std::function<spf::EvalResult(
    const spf::EvalInput& in, bool helo, spf::Resolver& dns, const spf::EvalLimits& limits)>;

// What RunOpenspfFile() calls for a test's `smtp` expectation: the
// receiver's reply to MAIL FROM given the evaluation. Unit tests put a
// faulty receiver here.
using OpenspfReceiver =
    std::function<spf::MailReply(const spf::EvalResult& r, std::string_view identity,
                                 const spf::IpAddress& ip, const spf::ReceiverPolicy& policy)>;

struct MockZone;  // mock_zone.h

// A second DNS path that RunOpenspfFile() compares the reference against:
// it serves a test's zone and makes resolvers that ask it (WireDns,
// wire_dns.h: the mock DNS server and the stub resolver on loopback). An
// interface, so that this file needs no sockets.
class ZoneWire {
 public:
  virtual ~ZoneWire() = default;
  virtual void Serve(const MockZone& zone) = 0;
  // A resolver over the served zone that moves `clock` (if given) by the
  // zone's DELAY entries.
  virtual std::unique_ptr<spf::Resolver> NewResolver(FixedClock* clock) = 0;
};

struct OpenspfRunOptions {
  // Requirement ids for tests without `requirements:` (see above).
  const std::map<std::string, std::vector<std::string>>* refs = nullptr;
  // Empty: the reference (spf::CheckHelo / spf::CheckMailFrom).
  OpenspfEvaluator evaluate;
  // Empty: the reference receiver (spf::NullMxRefusal for the MAIL FROM
  // identity, then spf::ReplyToMail).
  OpenspfReceiver receive;
  // Set: each test is evaluated a second time over the wire (the mock DNS
  // server serving the document's zone, asked through the stub resolver)
  // and fails unless both evaluations give the same result, reason,
  // explanation, counters and queries (with their status and answer count).
  ZoneWire* wire = nullptr;
};

// Runs every test of `f` against the reference check_host(): a fresh zone
// per test from its document's zonedata, the identity chosen as the
// openspf drivers do (MAIL FROM when `mailfrom` is non-empty, else HELO;
// `identity` overrides). A test passes when the result is one of the
// acceptable ones, the explanation matches (when given and the result is
// fail) and every query / counter expectation holds. Case ids:
// `spf/openspf/<document slug>/<test>` for the third-party suite,
// `spf/<file stem without "spf-">/<test>` for ours.
std::vector<CaseResult> RunOpenspfFile(const OpenspfFile& f, const OpenspfRunOptions& opts = {});

// Whether an explanation matches the expected text: byte for byte, except
// that a hex letter forming a label on its own ("...E.B.A.C.ip6.arpa") is
// compared without case. Those are the IPv6 nibbles of %{i}; RFC 7208 §7.3
// does not fix their case (its §7.4 example writes lower case, the openspf
// suite's v-macro-ip6 upper case) and DNS names are case-insensitive, so
// either spelling conforms. Everything else in the text is exact.
bool ExplanationMatches(std::string_view expected, std::string_view got);

// openspf-format files under `dir` (*.yml, sorted).
std::vector<std::filesystem::path> FindOpenspfFiles(const std::filesystem::path& dir);

// Lower-case words joined by '-' ("Record lookup" -> "record-lookup").
std::string Slug(std::string_view s);

}  // namespace mxconform::conformance
