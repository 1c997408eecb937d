/* The C baseline of bench/verify.ts: an EVP_DigestVerify loop (OpenSSL 3) over the same
 * message, signature and public key as ours, hashing included, with a context initialized
 * once and copied per verification (what src/ffi/libcrypto.ts does). Usage:
 *   verify_c SPKI_DER SIG DATA pkcs1|pss|ecdsa|ed25519 SECONDS 1
 * The signature is DER for ECDSA. Prints "<verifications per second>". */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned char *slurp(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  *len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(*len ? *len : 1);
  if (fread(buf, 1, *len, f) != (size_t)*len) { perror(path); exit(1); }
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 7) { fprintf(stderr, "usage: verify_c SPKI SIG DATA pkcs1|pss|ecdsa|ed25519 SECONDS 1\n"); return 2; }
  long spki_len, sig_len, data_len;
  unsigned char *spki = slurp(argv[1], &spki_len), *sig = slurp(argv[2], &sig_len), *data = slurp(argv[3], &data_len);
  const unsigned char *p = spki;
  EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, spki_len);
  if (!pkey) { fprintf(stderr, "bad SPKI\n"); return 1; }
  const char *kind = argv[4];
  const EVP_MD *md = strcmp(kind, "ed25519") ? EVP_sha256() : NULL;
  EVP_MD_CTX *tmpl = EVP_MD_CTX_new(), *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (EVP_DigestVerifyInit(tmpl, &pctx, md, NULL, pkey) != 1) { fprintf(stderr, "init failed\n"); return 1; }
  if (!strcmp(kind, "pss") && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) <= 0)) {
    fprintf(stderr, "PSS parameters refused\n");
    return 1;
  }
  double seconds = atof(argv[5]), start = now(), end = start + seconds;
  long done = 0;
  while (now() < end) {
    for (int i = 0; i < 16; i++) {
      if (EVP_MD_CTX_copy_ex(ctx, tmpl) != 1 || EVP_DigestVerify(ctx, sig, sig_len, data, data_len) != 1) {
        fprintf(stderr, "verification failed\n");
        return 1;
      }
      done++;
    }
  }
  printf("%.1f\n", done / (now() - start));
  EVP_MD_CTX_free(ctx);
  EVP_MD_CTX_free(tmpl);
  EVP_PKEY_free(pkey);
  return 0;
}
