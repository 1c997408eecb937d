/* Prints sizeof/offsetof of the PKCS#11 structs on this machine, one "STRUCT.field offset"
 * line each and "STRUCT size N", for tests/ffi/layout_test.ts. */
#include <stddef.h>
#include <stdio.h>
#include <p11-kit/pkcs11.h>

#define SIZE(T) printf(#T " size %zu\n", sizeof(T))
#define OFF(T, F) printf(#T "." #F " %zu\n", offsetof(T, F))

int main(void) {
  SIZE(CK_VERSION); OFF(CK_VERSION, major); OFF(CK_VERSION, minor);
  SIZE(CK_INFO); OFF(CK_INFO, cryptokiVersion); OFF(CK_INFO, manufacturerID); OFF(CK_INFO, flags);
  OFF(CK_INFO, libraryDescription); OFF(CK_INFO, libraryVersion);
  SIZE(CK_SLOT_INFO); OFF(CK_SLOT_INFO, slotDescription); OFF(CK_SLOT_INFO, manufacturerID);
  OFF(CK_SLOT_INFO, flags); OFF(CK_SLOT_INFO, hardwareVersion); OFF(CK_SLOT_INFO, firmwareVersion);
  SIZE(CK_TOKEN_INFO); OFF(CK_TOKEN_INFO, label); OFF(CK_TOKEN_INFO, manufacturerID);
  OFF(CK_TOKEN_INFO, model); OFF(CK_TOKEN_INFO, serialNumber); OFF(CK_TOKEN_INFO, flags);
  OFF(CK_TOKEN_INFO, ulMaxSessionCount); OFF(CK_TOKEN_INFO, ulSessionCount);
  OFF(CK_TOKEN_INFO, ulMaxRwSessionCount); OFF(CK_TOKEN_INFO, ulRwSessionCount);
  OFF(CK_TOKEN_INFO, ulMaxPinLen); OFF(CK_TOKEN_INFO, ulMinPinLen);
  OFF(CK_TOKEN_INFO, ulTotalPublicMemory); OFF(CK_TOKEN_INFO, ulFreePublicMemory);
  OFF(CK_TOKEN_INFO, ulTotalPrivateMemory); OFF(CK_TOKEN_INFO, ulFreePrivateMemory);
  OFF(CK_TOKEN_INFO, hardwareVersion); OFF(CK_TOKEN_INFO, firmwareVersion); OFF(CK_TOKEN_INFO, utcTime);
  SIZE(CK_SESSION_INFO); OFF(CK_SESSION_INFO, slotID); OFF(CK_SESSION_INFO, state);
  OFF(CK_SESSION_INFO, flags); OFF(CK_SESSION_INFO, ulDeviceError);
  SIZE(CK_ATTRIBUTE); OFF(CK_ATTRIBUTE, type); OFF(CK_ATTRIBUTE, pValue); OFF(CK_ATTRIBUTE, ulValueLen);
  SIZE(CK_MECHANISM); OFF(CK_MECHANISM, mechanism); OFF(CK_MECHANISM, pParameter);
  OFF(CK_MECHANISM, ulParameterLen);
  SIZE(CK_MECHANISM_INFO); OFF(CK_MECHANISM_INFO, ulMinKeySize); OFF(CK_MECHANISM_INFO, ulMaxKeySize);
  OFF(CK_MECHANISM_INFO, flags);
  SIZE(CK_C_INITIALIZE_ARGS); OFF(CK_C_INITIALIZE_ARGS, CreateMutex); OFF(CK_C_INITIALIZE_ARGS, DestroyMutex);
  OFF(CK_C_INITIALIZE_ARGS, LockMutex); OFF(CK_C_INITIALIZE_ARGS, UnlockMutex);
  OFF(CK_C_INITIALIZE_ARGS, flags); OFF(CK_C_INITIALIZE_ARGS, pReserved);
  SIZE(CK_RSA_PKCS_PSS_PARAMS); OFF(CK_RSA_PKCS_PSS_PARAMS, hashAlg); OFF(CK_RSA_PKCS_PSS_PARAMS, mgf);
  OFF(CK_RSA_PKCS_PSS_PARAMS, sLen);
  printf("CK_FUNCTION_LIST.C_Initialize %zu\n", offsetof(CK_FUNCTION_LIST, C_Initialize));
  printf("CK_FUNCTION_LIST.C_WaitForSlotEvent %zu\n", offsetof(CK_FUNCTION_LIST, C_WaitForSlotEvent));
  SIZE(CK_FUNCTION_LIST);
  return 0;
}
