/**
 * The PKCS#11 v2.40 `CK_FUNCTION_LIST`, bound by position. The list starts with a
 * `CK_VERSION` and is followed by one function pointer per entry, in this order.
 *
 * @module
 */
import type { CType, FfiAdapter, NativeFunction, NativeLibrary } from "./adapter.ts";
import type { Abi } from "./layout.ts";
import { CKR } from "./constants.ts";

const U: CType = "ulong";
const P: CType = "pointer";

/** Each entry of `CK_FUNCTION_LIST` in order, with its parameters' C types. */
export const FUNCTION_LIST = [
  ["C_Initialize", [P]], // (CK_VOID_PTR pInitArgs)
  ["C_Finalize", [P]], // (CK_VOID_PTR pReserved)
  ["C_GetInfo", [P]], // (CK_INFO_PTR pInfo)
  ["C_GetFunctionList", [P]], // (CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
  ["C_GetSlotList", [U, P, P]], // (CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
  ["C_GetSlotInfo", [U, P]], // (CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
  ["C_GetTokenInfo", [U, P]], // (CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
  ["C_GetMechanismList", [U, P, P]], // (CK_SLOT_ID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount)
  ["C_GetMechanismInfo", [U, U, P]], // (CK_SLOT_ID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo)
  ["C_InitToken", [U, P, U, P]], // (CK_SLOT_ID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
  ["C_InitPIN", [U, P, U]], // (CK_SESSION_HANDLE, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
  ["C_SetPIN", [U, P, U, P, U]], // (CK_SESSION_HANDLE, pOldPin, ulOldLen, pNewPin, ulNewLen)
  ["C_OpenSession", [U, U, P, P, P]], // (CK_SLOT_ID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
  ["C_CloseSession", [U]], // (CK_SESSION_HANDLE hSession)
  ["C_CloseAllSessions", [U]], // (CK_SLOT_ID slotID)
  ["C_GetSessionInfo", [U, P]], // (CK_SESSION_HANDLE, CK_SESSION_INFO_PTR pInfo)
  ["C_GetOperationState", [U, P, P]], // (CK_SESSION_HANDLE, CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen)
  ["C_SetOperationState", [U, P, U, U, U]], // (CK_SESSION_HANDLE, pOperationState, ulLen, CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey)
  ["C_Login", [U, U, P, U]], // (CK_SESSION_HANDLE, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
  ["C_Logout", [U]], // (CK_SESSION_HANDLE)
  ["C_CreateObject", [U, P, U, P]], // (CK_SESSION_HANDLE, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
  ["C_CopyObject", [U, U, P, U, P]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE hObject, pTemplate, ulCount, phNewObject)
  ["C_DestroyObject", [U, U]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE hObject)
  ["C_GetObjectSize", [U, U, P]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ULONG_PTR pulSize)
  ["C_GetAttributeValue", [U, U, P, U]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
  ["C_SetAttributeValue", [U, U, P, U]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
  ["C_FindObjectsInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
  ["C_FindObjects", [U, P, U, P]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount)
  ["C_FindObjectsFinal", [U]], // (CK_SESSION_HANDLE)
  ["C_EncryptInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
  ["C_Encrypt", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen)
  ["C_EncryptUpdate", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen)
  ["C_EncryptFinal", [U, P, P]], // (CK_SESSION_HANDLE, pLastEncryptedPart, pulLastEncryptedPartLen)
  ["C_DecryptInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE hKey)
  ["C_Decrypt", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen)
  ["C_DecryptUpdate", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pEncryptedPart, ulLen, pPart, pulPartLen)
  ["C_DecryptFinal", [U, P, P]], // (CK_SESSION_HANDLE, pLastPart, pulLastPartLen)
  ["C_DigestInit", [U, P]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR pMechanism)
  ["C_Digest", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pData, ulDataLen, pDigest, pulDigestLen)
  ["C_DigestUpdate", [U, P, U]], // (CK_SESSION_HANDLE, pPart, ulPartLen)
  ["C_DigestKey", [U, U]], // (CK_SESSION_HANDLE, CK_OBJECT_HANDLE hKey)
  ["C_DigestFinal", [U, P, P]], // (CK_SESSION_HANDLE, pDigest, pulDigestLen)
  ["C_SignInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
  ["C_Sign", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pData, ulDataLen, pSignature, pulSignatureLen)
  ["C_SignUpdate", [U, P, U]], // (CK_SESSION_HANDLE, pPart, ulPartLen)
  ["C_SignFinal", [U, P, P]], // (CK_SESSION_HANDLE, pSignature, pulSignatureLen)
  ["C_SignRecoverInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE hKey)
  ["C_SignRecover", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pData, ulDataLen, pSignature, pulSignatureLen)
  ["C_VerifyInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE hKey)
  ["C_Verify", [U, P, U, P, U]], // (CK_SESSION_HANDLE, pData, ulDataLen, pSignature, ulSignatureLen)
  ["C_VerifyUpdate", [U, P, U]], // (CK_SESSION_HANDLE, pPart, ulPartLen)
  ["C_VerifyFinal", [U, P, U]], // (CK_SESSION_HANDLE, pSignature, ulSignatureLen)
  ["C_VerifyRecoverInit", [U, P, U]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE hKey)
  ["C_VerifyRecover", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pSignature, ulSignatureLen, pData, pulDataLen)
  ["C_DigestEncryptUpdate", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen)
  ["C_DecryptDigestUpdate", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pEncryptedPart, ulLen, pPart, pulPartLen)
  ["C_SignEncryptUpdate", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen)
  ["C_DecryptVerifyUpdate", [U, P, U, P, P]], // (CK_SESSION_HANDLE, pEncryptedPart, ulLen, pPart, pulPartLen)
  ["C_GenerateKey", [U, P, P, U, P]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, pTemplate, ulCount, phKey)
  ["C_GenerateKeyPair", [U, P, P, U, P, U, P, P]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, pPublicKeyTemplate, ulPublicKeyAttributeCount, pPrivateKeyTemplate, ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey)
  ["C_WrapKey", [U, P, U, U, P, P]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, hWrappingKey, hKey, pWrappedKey, pulWrappedKeyLen)
  ["C_UnwrapKey", [U, P, U, P, U, P, U, P]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, hUnwrappingKey, pWrappedKey, ulWrappedKeyLen, pTemplate, ulAttributeCount, phKey)
  ["C_DeriveKey", [U, P, U, P, U, P]], // (CK_SESSION_HANDLE, CK_MECHANISM_PTR, hBaseKey, pTemplate, ulAttributeCount, phKey)
  ["C_SeedRandom", [U, P, U]], // (CK_SESSION_HANDLE, pSeed, ulSeedLen)
  ["C_GenerateRandom", [U, P, U]], // (CK_SESSION_HANDLE, pRandomData, ulRandomLen)
  ["C_GetFunctionStatus", [U]], // (CK_SESSION_HANDLE)
  ["C_CancelFunction", [U]], // (CK_SESSION_HANDLE)
  ["C_WaitForSlotEvent", [U, P, P]], // (CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
] as const satisfies ReadonlyArray<readonly [string, readonly CType[]]>;

/** The name of a PKCS#11 function of the v2.40 list. */
export type FunctionName = (typeof FUNCTION_LIST)[number][0];

/** The bound functions of one module, by name. */
export type FunctionTable = Readonly<Record<FunctionName, NativeFunction>>;

/** `offsetof(CK_FUNCTION_LIST, <name>)` under `abi` (after the leading `CK_VERSION`). */
export function functionOffset(abi: Abi, name: FunctionName): number {
  const versionSpan = abi.packed ? 2 : abi.pointerSize;
  return versionSpan + FUNCTION_LIST.findIndex(([n]) => n === name) * abi.pointerSize;
}

const notSupported: NativeFunction = () => CKR.CKR_FUNCTION_NOT_SUPPORTED;

/**
 * Binds every entry of the function list at `listAddress`, through `lib`'s exports where
 * that is faster (see {@linkcode NativeLibrary.bindExported}). Entries a module leaves
 * NULL answer `CKR_FUNCTION_NOT_SUPPORTED`.
 */
export function bindFunctionList(
  adapter: FfiAdapter,
  abi: Abi,
  listAddress: bigint,
  lib: NativeLibrary,
): FunctionTable {
  const bytes = adapter.read(
    listAddress,
    functionOffset(abi, "C_WaitForSlotEvent") + abi.pointerSize,
  );
  const view = new DataView(bytes.buffer);
  const table = {} as Record<FunctionName, NativeFunction>;
  FUNCTION_LIST.forEach(([name, parameters]) => {
    const address = view.getBigUint64(functionOffset(abi, name), true);
    table[name] = address === 0n
      ? notSupported
      : lib.bindExported(name, address, parameters, abi.ulongSize);
  });
  return table;
}

/** The `CK_VERSION` at the head of the function list (`{ major, minor }`). */
export function functionListVersion(
  adapter: FfiAdapter,
  listAddress: bigint,
): { major: number; minor: number } {
  const [major, minor] = adapter.read(listAddress, 2);
  return { major, minor };
}
