// One IPC round trip, then the button is interactive (the "ready" the benchmark waits for).
window.__TAURI__.core.invoke("ready").then(() => {
  document.querySelector("[data-testid=ready]").disabled = false;
});
