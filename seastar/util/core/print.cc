#include "seastar/core/print.hh"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace seastar {

std::string pretty_type_name(const std::type_info& ti) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status), std::free);
    return status == 0 && name ? std::string(name.get()) : std::string(ti.name());
}

std::string describe_exception(const std::exception_ptr& e) {
    if (!e) {
        return "<no exception>";
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        std::string r = pretty_type_name(typeid(x));
        r += " (";
        r += x.what();
        r += ")";
        return r;
    } catch (...) {
        auto* t = abi::__cxa_current_exception_type();
        return t ? "unknown exception of type " + pretty_type_name(*t) : std::string("unknown exception");
    }
}

} // namespace seastar

namespace std {
std::ostream& operator<<(std::ostream& os, const std::exception_ptr& e) {
    return os << seastar::describe_exception(e);
}
} // namespace std
