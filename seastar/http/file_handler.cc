#include "seastar/http/file_handler.hh"

#include <system_error>

#include "seastar/core/coroutine.hh"
#include "seastar/core/fstream.hh"
#include "seastar/disk/file_functions.hh"
#include "seastar/http/exception.hh"
#include "seastar/http/mime_types.hh"
#include "seastar/http/url.hh"

namespace seastar::httpd {

namespace {

// Whether a decoded URL path is safe to append to a document root.
bool safe_path(std::string_view p) {
    if (p.find('\0') != std::string_view::npos || p.find('\\') != std::string_view::npos) {
        return false;
    }
    size_t i = 0;
    while (i <= p.size()) {
        auto next = p.find('/', i);
        auto seg = p.substr(i, next == std::string_view::npos ? std::string_view::npos : next - i);
        if (seg == "..") {
            return false;
        }
        if (next == std::string_view::npos) {
            break;
        }
        i = next + 1;
    }
    return true;
}

// Copies the file to `out` and closes both.
future<> stream_file(file f, output_stream<char> out) {
    auto in = make_file_input_stream(f, {.buffer_size = 32768, .read_ahead = 1});
    std::exception_ptr ex;
    try {
        for (;;) {
            auto b = co_await in.read();
            if (b.empty()) {
                break;
            }
            co_await out.write(std::move(b));
        }
        co_await out.flush();
    } catch (...) {
        ex = std::current_exception();
    }
    co_await in.close();
    try {
        co_await f.close();
    } catch (...) {
    }
    if (ex) {
        std::rethrow_exception(ex);
    }
    co_await out.close();
}

} // namespace

sstring file_interaction_handler::get_extension(const sstring& file) {
    auto slash = file.find_last_of('/');
    auto dot = file.find_last_of('.');
    if (dot == sstring::npos || (slash != sstring::npos && dot < slash)) {
        return {};
    }
    return file.substr(dot + 1);
}

bool file_interaction_handler::redirect_if_needed(const http::request& req, http::reply& rep) const {
    auto path = req.get_path();
    if (path.empty() || path[path.size() - 1] != '/') {
        rep.set_status(http::reply::status_type::moved_permanently);
        auto q = req.get_query_string();
        rep.add_header("Location", path + "/" + (q.empty() ? sstring() : "?" + q));
        return true;
    }
    return false;
}

future<std::unique_ptr<http::reply>> file_interaction_handler::read(sstring name, std::unique_ptr<http::request> req,
                                                                    std::unique_ptr<http::reply> rep) {
    std::optional<stat_data> st;
    try {
        st = co_await file_stat(std::string_view(name));
    } catch (const std::system_error& e) {
        if (e.code().value() == EACCES) {
            throw base_exception("Forbidden", http::reply::status_type::forbidden);
        }
        throw not_found_exception("Not found");
    }
    if (st->type == directory_entry_type::directory) {
        if (redirect_if_needed(*req, *rep)) {
            co_return std::move(rep);
        }
        name += "/index.html";
        try {
            st = co_await file_stat(std::string_view(name));
        } catch (...) {
            throw not_found_exception("Not found");
        }
    }
    if (st->type != directory_entry_type::regular) {
        throw not_found_exception("Not found");
    }
    file f;
    try {
        f = co_await open_file_dma(std::string_view(name), open_flags::ro);
    } catch (const std::system_error& e) {
        if (e.code().value() == EACCES) {
            throw base_exception("Forbidden", http::reply::status_type::forbidden);
        }
        throw not_found_exception("Not found");
    }
    auto ext = get_extension(name);
    rep->write_body(ext.empty() ? sstring("bin") : ext, [f = std::move(f)](output_stream<char>&& o) mutable {
        return stream_file(std::move(f), std::move(o));
    });
    co_return std::move(rep);
}

future<std::unique_ptr<http::reply>> directory_handler::handle(const sstring& path, std::unique_ptr<http::request> req,
                                                               std::unique_ptr<http::reply> rep) {
    sstring rel;
    if (!http::internal::path_decode(std::string_view(req->param.path("path")), rel) || !safe_path(rel)) {
        return make_exception_future<std::unique_ptr<http::reply>>(not_found_exception("Not found"));
    }
    return read(_doc_root + rel, std::move(req), std::move(rep));
}

future<std::unique_ptr<http::reply>> file_handler::handle(const sstring& path, std::unique_ptr<http::request> req,
                                                          std::unique_ptr<http::reply> rep) {
    return read(_file, std::move(req), std::move(rep));
}

} // namespace seastar::httpd
