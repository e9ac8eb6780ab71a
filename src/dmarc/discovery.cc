#include "dmarc/discovery.h"

#include <libpsl.h>

#include <algorithm>
#include <utility>

#include "common/text.h"

namespace mxconform::dmarc {

std::string DnsQuery::Key() const { return std::string(spf::QueryTypeName(type)) + " " + name; }

int LabelCount(std::string_view domain) {
  if (domain.empty()) {
    return 0;
  }
  return static_cast<int>(std::count(domain.begin(), domain.end(), '.')) + 1;
}

std::string LastLabels(std::string_view domain, int n) {
  std::size_t pos = domain.size();
  for (int k = 0; k < n; ++k) {
    const std::size_t dot = domain.rfind('.', pos == 0 ? 0 : pos - 1);
    if (dot == std::string_view::npos || pos == 0) {
      return std::string(domain);
    }
    pos = dot;
  }
  return std::string(domain.substr(pos + 1));
}

struct PublicSuffixList::Impl {
  psl_ctx_t* ctx = nullptr;
  bool owned = false;
};

PublicSuffixList::PublicSuffixList() : impl_(std::make_unique<Impl>()) {
  // psl_latest() picks the newest of the system list (Debian's
  // `publicsuffix`) and the built-in one.
  impl_->ctx = psl_latest(nullptr);
  impl_->owned = impl_->ctx != nullptr;
  if (impl_->ctx == nullptr) {
    impl_->ctx = const_cast<psl_ctx_t*>(psl_builtin());
  }
}

PublicSuffixList::~PublicSuffixList() {
  if (impl_->owned) {
    psl_free(impl_->ctx);
  }
}

const PublicSuffixList& PublicSuffixList::Default() {
  static const PublicSuffixList list;
  return list;
}

std::string PublicSuffixList::OrgDomain(std::string_view domain) const {
  std::string d = text::ToLowerCopy(domain);
  if (impl_->ctx == nullptr || d.empty() || d.find('\0') != std::string::npos) {
    return d;  // libpsl reads a C string: a NUL would cut the name short
  }
  const char* reg = psl_registrable_domain(impl_->ctx, d.c_str());
  // D-A2 (EID 6729 area): a public suffix has no registrable domain; it is
  // its own Organizational Domain, as OpenDMARC treats it.
  return reg != nullptr ? std::string(reg) : d;
}

const NameLookup& DmarcLookups::Lookup(const std::string& domain) {
  auto it = cache_.find(domain);
  if (it != cache_.end()) {
    return it->second;
  }
  NameLookup r;
  r.domain = domain;
  const std::string qname = "_dmarc." + domain;
  spf::DnsAnswer a = dns_.Query(qname, QueryType::kTxt);
  r.status = a.status;
  queries_.push_back(
      DnsQuery{QueryType::kTxt, qname, a.status, static_cast<std::uint32_t>(a.txt.size())});
  if (!r.error()) {
    ParseOptions po;
    po.mode = opts_.mode;
    for (const std::string& txt : a.txt) {
      // RFC 9989 §4.10 step 2, 7489 §6.6.3 step 3: only records that begin
      // with the version tag count (D28: v=spf1, empty text are dropped).
      Record rec;
      if (!ParseRecordInto(txt, rec, po)) {
        continue;
      }
      ++r.dmarc_records;
      if (r.dmarc_records == 1) {
        r.record = std::move(rec);
      }
    }
    // D23: several DMARC records at one name are all discarded (bis: the
    // walk goes on; 7489: discovery ends, see Discover in eval.cc).
    if (r.dmarc_records > 1) {
      r.record.reset();
    }
  }
  return cache_.emplace(domain, std::move(r)).first->second;
}

std::vector<std::string> DmarcLookups::WalkNames(const std::string& domain) const {
  std::vector<std::string> names;
  int x = LabelCount(domain);
  if (x == 0) {
    return names;
  }
  names.push_back(domain);
  const int limit = std::max(2, opts_.tree_walk_labels);
  // §4.10 step 4 (DMB-4.10-02): x < L drops one label, x >= L jumps to
  // L-1 labels; then one label at a time down to the TLD.
  int next = x < limit ? x - 1 : limit - 1;
  while (next >= 1) {
    names.push_back(LastLabels(domain, next));
    --next;
  }
  return names;
}

std::vector<const NameLookup*> DmarcLookups::Walk(const std::string& domain, std::size_t skip,
                                                  bool& error) {
  std::vector<const NameLookup*> found;
  const std::vector<std::string> names = WalkNames(domain);
  for (std::size_t k = 0; k < names.size(); ++k) {
    const NameLookup& r = Lookup(names[k]);
    if (k < skip) {
      // Already looked at by the caller; still part of what was found.
      if (r.record) {
        found.push_back(&r);
        if (r.record->psd != Psd::kUnknown) {
          return found;
        }
      }
      continue;
    }
    if (r.error()) {
      error = true;
      return found;
    }
    if (r.record) {
      found.push_back(&r);
      // DMB-4.10-03: the walk ends at a record with psd=y or psd=n.
      if (r.record->psd != Psd::kUnknown) {
        return found;
      }
    }
  }
  return found;
}

std::string DmarcLookups::SelectOrgDomain(const std::string& domain,
                                          const std::vector<const NameLookup*>& found) {
  if (found.empty()) {
    return domain;  // §4.10.2: no record, the starting domain itself
  }
  const NameLookup& last = *found.back();
  if (last.record->psd == Psd::kNo) {
    return last.domain;
  }
  if (last.record->psd == Psd::kYes && last.domain != domain) {
    // The PSD's child on the way to `domain`.
    return LastLabels(domain, LabelCount(last.domain) + 1);
  }
  // Otherwise the record with the fewest labels: the walk visits names
  // from longest to shortest, so the last one found.
  return last.domain;
}

std::string DmarcLookups::OrgDomain(const std::string& domain, bool& error) {
  if (opts_.mode == Mode::k7489) {
    return PublicSuffixList::Default().OrgDomain(domain);
  }
  std::vector<const NameLookup*> found = Walk(domain, 0, error);
  return SelectOrgDomain(domain, found);
}

}  // namespace mxconform::dmarc
