/* The C baseline of bench/sign.ts: the same C_SignInit + C_Sign loop on the same SoftHSM2
 * token, with 1..N threads (one session each). Usage:
 *   sign_c DRIVER TOKEN_LABEL PIN KEY_LABEL pkcs1|pss|ecdsa SECONDS THREADS
 * Prints "<signatures per second>". */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST_PTR f;
static CK_SLOT_ID slot;
static const char *pin, *key_label, *kind;
static double seconds;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define CHECK(call) do { CK_RV rv_ = (call); if (rv_ != CKR_OK && rv_ != CKR_USER_ALREADY_LOGGED_IN) { \
  fprintf(stderr, "%s failed: 0x%lx\n", #call, rv_); exit(1); } } while (0)

static void *worker(void *arg) {
  long *count = arg;
  CK_SESSION_HANDLE s;
  CHECK(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
  CHECK(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)));
  CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, (void *)key_label, strlen(key_label)}};
  CK_OBJECT_HANDLE key; CK_ULONG n;
  CHECK(f->C_FindObjectsInit(s, tmpl, 2));
  CHECK(f->C_FindObjects(s, &key, 1, &n));
  CHECK(f->C_FindObjectsFinal(s));
  if (n != 1) { fprintf(stderr, "key not found\n"); exit(1); }
  CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
  CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
  unsigned char data[32];
  for (int i = 0; i < 32; i++) data[i] = (unsigned char)i;
  if (!strcmp(kind, "pss")) { mech.mechanism = CKM_SHA256_RSA_PKCS_PSS; mech.pParameter = &pss; mech.ulParameterLen = sizeof pss; }
  if (!strcmp(kind, "ecdsa")) mech.mechanism = CKM_ECDSA; /* over a 32-byte digest, like ours */
  unsigned char sig[1024];
  double end = now() + seconds;
  long done = 0;
  while (now() < end) {
    for (int i = 0; i < 16; i++) {
      CK_ULONG len = sizeof sig;
      CHECK(f->C_SignInit(s, &mech, key));
      CHECK(f->C_Sign(s, data, sizeof data, sig, &len));
      done++;
    }
  }
  *count = done;
  f->C_CloseSession(s);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 8) { fprintf(stderr, "usage: sign_c DRIVER TOKEN PIN KEY pkcs1|pss|ecdsa SECONDS THREADS\n"); return 2; }
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
  CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
  CHECK(get(&f));
  CK_C_INITIALIZE_ARGS init = {0};
  init.flags = CKF_OS_LOCKING_OK;
  CHECK(f->C_Initialize(&init));
  pin = argv[3]; key_label = argv[4]; kind = argv[5]; seconds = atof(argv[6]);
  int threads = atoi(argv[7]);
  CK_SLOT_ID slots[64]; CK_ULONG count = 64;
  CHECK(f->C_GetSlotList(CK_TRUE, slots, &count));
  int found = 0;
  for (CK_ULONG i = 0; i < count && !found; i++) {
    CK_TOKEN_INFO info;
    if (f->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
    char label[33]; memcpy(label, info.label, 32); label[32] = 0;
    for (int j = 31; j >= 0 && label[j] == ' '; j--) label[j] = 0;
    if (!strcmp(label, argv[2])) { slot = slots[i]; found = 1; }
  }
  if (!found) { fprintf(stderr, "token not found\n"); return 1; }
  pthread_t tids[64]; long counts[64];
  double start = now();
  for (int t = 0; t < threads; t++) pthread_create(&tids[t], NULL, worker, &counts[t]);
  long total = 0;
  for (int t = 0; t < threads; t++) { pthread_join(tids[t], NULL); total += counts[t]; }
  double elapsed = now() - start;
  printf("%.1f\n", total / elapsed);
  f->C_Finalize(NULL);
  return 0;
}
