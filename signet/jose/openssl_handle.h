#pragma once

// Owning OpenSSL objects, one way everywhere: a std::unique_ptr whose deleter is the object's own
// free function, so that every early return frees what was made (STYLE.md: thin RAII wrappers).
//
//   jose::BioPtr bio(BIO_new(BIO_s_mem()));   // BIO_free when bio goes out of scope
//
// A type missing below is one line: using FooPtr = OpensslHandle<FOO, FOO_free>;
// EVP_PKEY is shared rather than owned once (jose::EvpPkeyPtr in crypto.h), since keys are
// immutable and used by many threads and caches at once.

#include <memory>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/x509.h>

namespace signet::jose {

// Calls `Free` on a non-null pointer (std::unique_ptr never passes null to its deleter). `Free`
// may return a value (BIO_free returns int); it is ignored, as nothing can be done about it.
template <auto Free>
struct OpensslFree {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

template <typename T, auto Free>
using OpensslHandle = std::unique_ptr<T, OpensslFree<Free>>;

using BioPtr = OpensslHandle<BIO, BIO_free>;
using BnPtr = OpensslHandle<BIGNUM, BN_free>;
// For private key material: BN_clear_free wipes the digits before freeing them.
using SecretBnPtr = OpensslHandle<BIGNUM, BN_clear_free>;
using EcdsaSigPtr = OpensslHandle<ECDSA_SIG, ECDSA_SIG_free>;
using EvpPkeyCtxPtr = OpensslHandle<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using EvpMdCtxPtr = OpensslHandle<EVP_MD_CTX, EVP_MD_CTX_free>;
using EvpCipherCtxPtr = OpensslHandle<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;
using EvpMacPtr = OpensslHandle<EVP_MAC, EVP_MAC_free>;
using EvpMacCtxPtr = OpensslHandle<EVP_MAC_CTX, EVP_MAC_CTX_free>;
using OsslParamBldPtr = OpensslHandle<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using OsslParamPtr = OpensslHandle<OSSL_PARAM, OSSL_PARAM_free>;
using X509Ptr = OpensslHandle<X509, X509_free>;
using X509NamePtr = OpensslHandle<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = OpensslHandle<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpensslHandle<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpensslHandle<X509_STORE_CTX, X509_STORE_CTX_free>;
using Asn1IntegerPtr = OpensslHandle<ASN1_INTEGER, ASN1_INTEGER_free>;

}  // namespace signet::jose
