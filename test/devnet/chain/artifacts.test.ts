/**
 * The checked-in artifacts.json must be what the checked-in Solidity compiles to: the devnet
 * deploys the artifacts and never compiles at start, so a stale file would silently run old code.
 * Fix a failure with `npm run devnet:compile`.
 */
import { compileContracts, LIT_CONTRACT_NAMES, loadArtifacts } from '../../../devnet/contracts/compile';

describe('devnet contract artifacts', () => {
  const committed = loadArtifacts();
  const fresh = compileContracts();

  it('hold all 11 contracts LitContracts needs', () => {
    expect(Object.keys(committed.contracts).sort()).toEqual([...LIT_CONTRACT_NAMES].sort());
  });

  it('were compiled by the same solc with the same settings', () => {
    expect(committed.compiler).toBe(fresh.compiler);
    expect(committed.settings).toEqual(fresh.settings);
    expect(committed.settings.evmVersion).toBe('paris');
  });

  it.each(LIT_CONTRACT_NAMES)('%s is up to date with its source', (name) => {
    expect(committed.contracts[name].bytecode).toBe(fresh.contracts[name].bytecode);
    expect(committed.contracts[name].abi).toEqual(fresh.contracts[name].abi);
    expect(committed.contracts[name].bytecode).toMatch(/^0x[0-9a-f]{100,}$/);
  });
});
