// Typed-by-shape fixtures for the mocked IPC, matching ui/src/lib/bindings (ts-rs output), and
// the pieces every test file's mocked backend is built from: `mockBackend` with the `sandbox` and
// `setupScreens` answers, `rejects` for a refused command, `finishStep`/`finishApply` for Apply events.
export const cluster = (name, regions, extra = {}) => ({
  id: `00000000-0000-4000-8000-${String(regions.length).padStart(3, "0")}${name.length.toString().padStart(9, "0")}`,
  name,
  account_id: "crl-prod-abc",
  cloud_provider: "GCP",
  plan: "ADVANCED",
  network_visibility: "PRIVATE",
  state: "CREATED",
  operation_status: "",
  cockroach_version: "v25.2.1",
  regions: regions.map((r, i) => ({ name: r, node_count: 3, primary: i === 0 })),
  ...extra,
});

export const connection = {
  mode: "sandbox",
  organization: { id: "org-1", name: "acme", label: "Acme Corp" },
  googleIdentity: "user:officer@example.com",
  projects: ["acme-keys"],
};

export const single = cluster("payments", ["us-east1"]);
export const multi = cluster("ledger", ["europe-west1", "us-east1"]);
export const basic = cluster("sandbox-basic", ["us-east1"], { plan: "BASIC", network_visibility: "PUBLIC" });

export const clusters = [
  { cluster: single, cmekStatus: "DISABLED" },
  { cluster: multi, cmekStatus: "DISABLED" },
  { cluster: basic, cmekStatus: "DISABLED", ineligibleReason: "its plan is BASIC (CMEK needs ADVANCED)" },
];

export const suggestion = (c) => ({
  clusterId: c.id,
  project: "acme-keys",
  serviceAccountId: "crdb-cmek-payments",
  keyRing: "crdb-cmek",
  cryptoKey: "payments",
  layout: { kind: "keyPerRegion" },
  protectionLevel: "SOFTWARE",
  rotationPeriodDays: 90,
});

const SA = "serviceAccount:crdb-cmek-payments@acme-keys.iam.gserviceaccount.com";
const CRL = "serviceAccount:crl-kms-user-abc@crl-prod-abc.iam.gserviceaccount.com";
const KEY = "projects/acme-keys/locations/us-east1/keyRings/crdb-cmek/cryptoKeys/payments-us-east1";

export const PLAN_ID = "5f0c1f7e-9d1a-4c55-a8f0-3b2f6f1c0a11";
export const plan = (request, c = single) => ({
  planId: PLAN_ID,
  digest: "sha256:0000000000000000000000000000000000000000000000000000000000000000",
  change: { kind: "setup" },
  request,
  cluster: c,
  cockroachPrincipal: CRL.slice("serviceAccount:".length),
  serviceAccountEmail: SA.slice("serviceAccount:".length),
  serviceAccountExists: false,
  keyRingNames: ["projects/acme-keys/locations/us-east1/keyRings/crdb-cmek"],
  keys: [{ name: KEY, location: "us-east1", regions: ["us-east1"], exists: false }],
  steps: [
    { id: "check", kind: "checkPermissions", title: "Check permissions", resource: "projects/acme-keys", alreadyDone: false },
    { id: "sa", kind: "createServiceAccount", title: "Create service account", resource: SA, alreadyDone: false },
    { id: "key", kind: "createCryptoKey", title: "Create key", resource: KEY, alreadyDone: false },
    { id: "cmek", kind: "enableCmek", title: "Enable CMEK", resource: c.id, alreadyDone: false },
  ],
  iamChanges: [
    {
      resource: "projects/acme-keys/serviceAccounts/crdb-cmek-payments@acme-keys.iam.gserviceaccount.com",
      grant: { role: "roles/iam.serviceAccountTokenCreator", member: CRL },
      before: [{ role: "roles/iam.serviceAccountUser", member: "user:officer@example.com" }],
      after: [
        { role: "roles/iam.serviceAccountUser", member: "user:officer@example.com" },
        { role: "roles/iam.serviceAccountTokenCreator", member: CRL },
      ],
    },
  ],
  regionSpecs: [{ region: "us-east1", key_spec: { type: "GCP_CLOUD_KMS", uri: KEY, auth_principal: SA.slice(15) } }],
  commands: ["gcloud iam service-accounts create crdb-cmek-payments --project=acme-keys"],
  warnings: ["The key ring cannot be deleted once created."],
});

export const applyResult = (c = single) => ({
  clusterId: c.id,
  clusterName: c.name,
  authPrincipal: SA.slice("serviceAccount:".length),
  cmek: {
    status: "ENABLED",
    region_infos: c.regions.map((r) => ({
      region: r.name,
      status: "ENABLED",
      key_infos: [{ spec: { type: "GCP_CLOUD_KMS", uri: KEY, auth_principal: SA.slice(15) }, status: "ENABLED", user_message: "", created_at: "2026-11-30T08:00:00Z", updated_at: "2026-11-30T08:00:00Z" }],
    })),
  },
  writeCalls: 7,
});

// Session statuses (SessionStatus binding).
export const noSession = { cockroachKeyStored: false };
export const signedIn = {
  google: { method: "oauth", identity: "officer@example.com", email: "officer@example.com" },
  cockroachKeyStored: true,
  cockroachOrganization: { id: "org-1", name: "acme", label: "Acme Corp" },
};
export const liveConnection = { ...connection, mode: "live" };

/** `mockBackend(answers)(overrides, context)` is an `openApp` handler: `overrides[cmd]`, else `answers[cmd]` (a function gets `(args, ipc, context)`, a value is returned as is), else an INTERNAL rejection. */
export const mockBackend = (answers) => (overrides = {}, context) => async (cmd, args, ipc) => {
  if (overrides[cmd]) return overrides[cmd](args, ipc, context);
  if (!Object.hasOwn(answers, cmd)) throw { code: "INTERNAL", message: `unexpected command ${cmd}` };
  const answer = answers[cmd];
  return typeof answer === "function" ? answer(args, ipc, context) : answer;
};

/** An answer that rejects with `error` (`{ code, message }`, or a plain string as Tauri's own refusals are). */
export const rejects = (error) => () => {
  throw error;
};

/** Streams Apply's `finished` event with `result` into `channel` and returns the result, as apply_setup does. */
export async function finishApply(ipc, channel, result = applyResult()) {
  await ipc.send(channel, { event: "finished", result });
  return result;
}

/** Answers of the sandbox with no session: start-up, Connect and the three-cluster list above. */
export const sandbox = { session_status: noSession, connect_sandbox: connection, list_clusters: clusters };

/** Answers of the setup screens with nothing pending and a sound activity log: the sandbox, payments' suggestion and `planFor(request)` as the plan. */
export const setupScreens = (planFor) => ({
  ...sandbox,
  pending_operations: [],
  verify_activity: { trustworthy: true, checked: 0, message: "" },
  suggest_setup: () => suggestion(single),
  plan_setup: (args) => planFor(args.request),
  "plugin:window|set_title": null,
});

/** Streams one Apply step from start to finish (stepStarted, then stepFinished with `outcome`) into `channel`. */
export async function finishStep(ipc, channel, stepId, outcome, detail = "") {
  await ipc.send(channel, { event: "stepStarted", stepId });
  await ipc.send(channel, { event: "stepFinished", stepId, outcome, detail });
}
