#include "seastar/http/matcher.hh"

#include "seastar/http/matchrules.hh"

namespace seastar::httpd {

namespace {

// The end of the segment that starts at `ind` (which holds a '/').
size_t segment_end(const sstring& url, size_t ind) {
    auto next = url.find('/', ind + 1);
    return next == sstring::npos ? url.size() : next;
}

} // namespace

size_t param_matcher::match(const sstring& url, size_t ind, parameters& param) {
    if (ind >= url.size() || url[ind] != '/') {
        return sstring::npos;
    }
    size_t end = _entire_path ? url.size() : segment_end(url, ind);
    if (end == ind + 1 && !_entire_path) {
        return sstring::npos; // an empty segment is no value
    }
    param.set(_name, url.substr(ind, end - ind));
    return end;
}

size_t str_matcher::match(const sstring& url, size_t ind, parameters& param) {
    if (url.size() - ind < _len || std::string_view(url).substr(ind, _len) != std::string_view(_cmp)) {
        return sstring::npos;
    }
    return ind + _len;
}

handler_base* match_rule::get(const sstring& url, parameters& params) {
    size_t ind = 0;
    for (auto& m : _match_list) {
        ind = m->match(url, ind, params);
        if (ind == sstring::npos) {
            return nullptr;
        }
    }
    return ind == url.size() ? _handler : nullptr;
}

} // namespace seastar::httpd
