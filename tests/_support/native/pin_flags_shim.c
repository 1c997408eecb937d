/* A PKCS#11 module for tests that wraps another one (SoftHSM2) and adds PIN flags to
 * C_GetTokenInfo, as a real token reports them after failed logins: SoftHSM2 itself only
 * ever sets CKF_USER_PIN_COUNT_LOW. The flags are read from FLAGS_FILE (one decimal number)
 * on every call, so a test can change them while a slot runs. C_Finalize is not forwarded:
 * the test process shares the wrapped module with this one.
 * Build: cc -shared -fPIC -I/usr/include/p11-kit-1 -DTARGET='"…"' -DFLAGS_FILE='"…"' … -ldl */
#include <dlfcn.h>
#include <stdio.h>
#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST wrapped;
static CK_FUNCTION_LIST_PTR target;

static CK_FLAGS extra_flags(void) {
  FILE *f = fopen(FLAGS_FILE, "r");
  unsigned long flags = 0;
  if (f != NULL) {
    if (fscanf(f, "%lu", &flags) != 1) flags = 0;
    fclose(f);
  }
  return (CK_FLAGS)flags;
}

static CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  CK_RV rv = target->C_GetTokenInfo(slot, info);
  if (rv == CKR_OK) info->flags |= extra_flags();
  return rv;
}

static CK_RV finalize(CK_VOID_PTR reserved) {
  (void)reserved;
  return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (list == NULL) return CKR_ARGUMENTS_BAD;
  if (target == NULL) {
    void *lib = dlopen(TARGET, RTLD_NOW);
    if (lib == NULL) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    if (get == NULL || get(&target) != CKR_OK) return CKR_GENERAL_ERROR;
    wrapped = *target;
    wrapped.C_GetTokenInfo = get_token_info;
    wrapped.C_Finalize = finalize;
  }
  *list = &wrapped;
  return CKR_OK;
}
