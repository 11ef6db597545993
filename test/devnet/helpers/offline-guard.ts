/** The loopback guard lives with the local stack, which installs it in every emulated function. */
export { installOfflineGuard, type OfflineGuard } from '../../../local/loopback-guard';
