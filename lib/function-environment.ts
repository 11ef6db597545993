/**
 * A function's environment variables, from its route-table entry and the service config. Kept free
 * of CDK imports so the local stack (`npm start`) gives each emulated function exactly the
 * environment the deployed one gets.
 */
import { RUNTIME_CONFIG_ENV, runtimeConfigJson, type ServiceConfig } from '../functions/commons/config';
import { METRICS_NAMESPACE } from '../functions/commons/metric-names';
import { OWNER_KEY_SECRET_ENV, TABLE_NAME_ENV } from '../functions/commons/table';
import type { FunctionDef } from './routes';

export function functionEnvironment(def: FunctionDef, config: ServiceConfig, tableName: string): Record<string, string> {
  const environment: Record<string, string> = {
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_SERVICE_NAME: config.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    [RUNTIME_CONFIG_ENV]: runtimeConfigJson(config),
    [TABLE_NAME_ENV]: tableName,
  };
  // Only functions that may read the key learn where it is.
  if (def.needs.ownerKey) environment[OWNER_KEY_SECRET_ENV] = config.ownerKeySecret;
  return environment;
}
