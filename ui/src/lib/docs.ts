// The CockroachDB documentation each screen relies on (About lists them). Links open in the
// system browser through the backend's `open_docs` (pages under DOCS_PREFIX only); the window
// never loads remote content.

export const DOCS_PREFIX = "https://www.cockroachlabs.com/docs/";

export interface DocLink {
  title: string;
  url: string;
  /** The screens that rely on it. */
  screens: string[];
}

export const DOCS: DocLink[] = [
  { title: "Customer-Managed Encryption Keys (CMEK) overview", url: `${DOCS_PREFIX}cockroachcloud/cmek`, screens: ["Clusters", "Plan", "Result"] },
  { title: "Manage CMEK: enable, rotate, add a region, revoke", url: `${DOCS_PREFIX}cockroachcloud/managing-cmek`, screens: ["Plan", "Apply", "Rotate / Add region", "Revoke"] },
  { title: "Cloud API", url: `${DOCS_PREFIX}cockroachcloud/cloud-api`, screens: ["Connect"] },
  { title: "Service accounts and API keys", url: `${DOCS_PREFIX}cockroachcloud/managing-access`, screens: ["Connect"] },
  { title: "Organization user roles", url: `${DOCS_PREFIX}cockroachcloud/authorization#organization-user-roles`, screens: ["Connect", "Audit"] },
  { title: "Cloud API reference (v1)", url: `${DOCS_PREFIX}api/cloud/v1`, screens: ["Plan (equivalent commands)"] },
  { title: "Disaster recovery overview", url: `${DOCS_PREFIX}stable/disaster-recovery-overview`, screens: ["Revoke", "Recover"] },
];
