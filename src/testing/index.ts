/**
 * `tsoperator/testing`: run operators against a real local Kubernetes control plane.
 */
export {
  LocalControlPlane,
  type LocalControlPlaneOptions,
  type ControlPlanePids,
  type StopApiServerOptions,
  type StartApiServerOptions,
  type RestartApiServerOptions,
  type ApiServerRestart,
  type ApiServerStart,
} from "./control-plane/local-control-plane.js";
export {
  ensureControlPlaneBinaries,
  controlPlaneCacheDir,
  controlPlaneCacheRoot,
  type ControlPlaneBinaries,
  type ControlPlaneBinarySource,
  type EnsureBinariesOptions,
} from "./control-plane/binaries.js";
export { ControlPlaneBuildError } from "./control-plane/go-build.js";
export { CONTROL_PLANE_VERSIONS, KUBERNETES_VERSION, ETCD_VERSION, type ControlPlaneVersions } from "./control-plane/versions.js";
export { TestKit, type TestKitOptions, type ReconcileOptions } from "./test-kit.js";
export { eventually, type EventuallyOptions } from "./eventually.js";
export { readManifests } from "./manifests.js";
export { FaultProxy, type FaultProxyOptions, type StallOptions } from "./fault-proxy.js";
export { limitUserSeats, type LimitUserSeatsOptions, type UserSeatLimit, type LevelSeats } from "./user-seats.js";
export type { AuditOptions, AuditMode, AuditWrite, AuditEvent } from "./control-plane/audit.js";
export type { ControlPlaneUser } from "./control-plane/credentials.js";
export { WebhookCertificates } from "./webhook-certificates.js";
