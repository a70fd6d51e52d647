// BoringSSL: the library is BoringSSL (not OpenSSL) and can make a context.
#include <openssl/base.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>

#include "gtest/gtest.h"

TEST(BoringsslSmoke, IsBoringAndHashes) {
#ifndef OPENSSL_IS_BORINGSSL
    FAIL() << "headers are not BoringSSL's";
#endif
    bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
    ASSERT_NE(ctx, nullptr);
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const uint8_t*>("abc"), 3, digest);
    EXPECT_EQ(digest[0], 0xba);
    EXPECT_EQ(digest[31], 0xad);
}
