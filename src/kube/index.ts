// The controller runtime's public surface, for reconcilers and the operator command.
export { ApiError, isAlreadyExists, isConflict, isNotFound, isStatus } from "./api-error.ts";
export * from "./conditions.ts";
export { Controller, onlyStatusChanged, type ControllerOptions, type ControllerRuntime, type SecondaryWatch } from "./controller.ts";
export { StallingError, TransientError, WaitingError, classifyError, errorMessage, errorReason, type ErrorClass } from "./errors.ts";
export { EventRecorder, type EventInput, type EventRecorderOptions, type EventType } from "./events.ts";
export { addFinalizer, hasFinalizer, isDeleting, removeFinalizer } from "./finalizers.ts";
export { Informer, sleep, type InformerEventType, type InformerHandler, type InformerOptions } from "./informer.ts";
export { LeaderElector, type LeaderCallbacks, type LeaderElectionConfig } from "./leader-election.ts";
export { Manager, type ManagerOptions } from "./manager.ts";
export { ItemExponentialBackoff, MaxOfRateLimiter, TokenBucket, defaultRateLimiter, type RateLimiter, type RateLimiterOptions } from "./rate-limiter.ts";
export type { ReconcileContext, Reconciler, Request, Result } from "./reconciler.ts";
export * from "./resource.ts";
export { KubeClient, type PatchType, type RequestOptions, type StreamOptions } from "./rest-client.ts";
export { SecretReader, type NamespacedRef, type SecretData, type SecretReaderOptions } from "./secrets.ts";
export { getObject, retryOnConflict, updateStatus, type StatusUpdateOptions, type StatusUpdateResult } from "./status.ts";
export { WorkQueue, type QueueMetrics, type WorkQueueOptions } from "./workqueue.ts";
