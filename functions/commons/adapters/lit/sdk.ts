/**
 * The Lit SDK, loaded on first use through dynamic `import()` (compiled to a deferred require),
 * so functions that never talk to Lit (/health, /delegation) never pay its ~0.4 s load.
 */
export interface LitSdk {
  nodeClient: typeof import('@lit-protocol/lit-node-client');
  authHelpers: typeof import('@lit-protocol/auth-helpers');
  constants: typeof import('@lit-protocol/constants');
}

let loading: Promise<LitSdk> | undefined;
let loaded = false;

export function loadLitSdk(): Promise<LitSdk> {
  if (!loading) {
    loading = Promise.all([import('@lit-protocol/lit-node-client'), import('@lit-protocol/auth-helpers'), import('@lit-protocol/constants')]).then(
      ([nodeClient, authHelpers, constants]) => {
        loaded = true;
        return { nodeClient, authHelpers, constants };
      },
      (e: unknown) => {
        loading = undefined; // a failed load may be retried by the next invocation
        throw e;
      },
    );
  }
  return loading;
}

/** contracts-sdk separately: only the refresher and the PKP admin routes need it. */
let loadingContracts: Promise<typeof import('@lit-protocol/contracts-sdk')> | undefined;
export function loadLitContractsSdk(): Promise<typeof import('@lit-protocol/contracts-sdk')> {
  if (!loadingContracts) {
    loadingContracts = import('@lit-protocol/contracts-sdk').catch((e: unknown) => {
      loadingContracts = undefined;
      throw e;
    });
  }
  return loadingContracts;
}

/** Has this execution environment loaded the SDK already? (/health reports Lit only then.) */
export function isLitSdkLoaded(): boolean {
  return loaded;
}
