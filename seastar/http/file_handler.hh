// Handlers that serve files (Seastar's <seastar/http/file_handler.hh>):
// directory_handler maps the route's "path" parameter below a document root,
// file_handler serves one file. Files are read through the DMA file API
// (open_file_dma, make_file_input_stream) and streamed to the client with a
// Content-Type from their extension.
//
// Paths with a ".." segment, a NUL or a backslash are refused (404, as for a
// missing file), so nothing outside the root is reachable through the URL. A
// directory is served as its index.html; asked for without its trailing '/',
// it is redirected (301) to the path with one.
//
// Contract: used by routes on one shard; what the file system says (missing,
// unreadable) becomes 404 / 403 / 500 replies.
//
//     r.add(seastar::httpd::GET, seastar::httpd::url("/static").remainder("path"),
//           new seastar::httpd::directory_handler("/var/www"));
#pragma once

#include <memory>

#include "seastar/core/future.hh"
#include "seastar/core/sstring.hh"
#include "seastar/http/handlers.hh"

namespace seastar::httpd {

class file_interaction_handler : public handler_base {
public:
    // The extension of a file name ("html" for "a/index.html"), empty if none.
    static sstring get_extension(const sstring& file);

protected:
    // Serves `file` (a path on disk); directories as their index.html.
    future<std::unique_ptr<http::reply>> read(sstring file, std::unique_ptr<http::request> req,
                                              std::unique_ptr<http::reply> rep);
    // When the URL names a directory without its trailing '/': a 301 to the
    // URL with one. Returns whether it redirected.
    bool redirect_if_needed(const http::request& req, http::reply& rep) const;
};

class directory_handler : public file_interaction_handler {
public:
    explicit directory_handler(const sstring& doc_root) : _doc_root(doc_root) {}
    future<std::unique_ptr<http::reply>> handle(const sstring& path, std::unique_ptr<http::request> req,
                                                std::unique_ptr<http::reply> rep) override;

private:
    sstring _doc_root;
};

class file_handler : public file_interaction_handler {
public:
    explicit file_handler(const sstring& file) : _file(file) {}
    future<std::unique_ptr<http::reply>> handle(const sstring& path, std::unique_ptr<http::request> req,
                                                std::unique_ptr<http::reply> rep) override;

private:
    sstring _file;
};

} // namespace seastar::httpd
