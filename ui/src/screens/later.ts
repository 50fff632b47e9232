// Every screen but Connect, loaded after the first screen shows (App.svelte imports this module
// dynamically, so Vite builds it into its own chunk): at start-up the webview parses and runs
// only the shell and the Connect screen (docs/performance.md, "Start-up").
export { default as ClusterPage } from "./ClusterPage.svelte";
export { default as About } from "./About.svelte";
export { default as Clusters } from "./Clusters.svelte";
export { default as PlanScreen } from "./Plan.svelte";
export { default as AwsPlanScreen } from "./AwsPlan.svelte";
export { default as ChangeScreen } from "./Change.svelte";
export { default as Apply } from "./Apply.svelte";
export { default as Result } from "./Result.svelte";
export { default as RevokeScreen } from "./Revoke.svelte";
export { default as Activity } from "./Activity.svelte";
export { default as AuditScreen } from "./Audit.svelte";
