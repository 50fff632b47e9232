// Builds ui/ into ui/dist (tauri.conf.json `frontendDist`). No dev server URL is configured in
// Tauri, so `cargo build` always embeds this folder: run `npm run build` before cargo.
import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  root: "ui",
  base: "./",
  clearScreen: false,
  plugins: [svelte()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Keep the bundle free of inline scripts/styles (the CSP allows only 'self').
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
