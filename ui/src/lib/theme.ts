// Light and dark themes: the OS choice (prefers-color-scheme) unless the officer picked one,
// which is kept in localStorage. The effective theme is set as <html data-theme="light|dark">,
// which app.css keys its colours on.

export type ThemeChoice = "system" | "light" | "dark";
export const THEME_KEY = "cmek-desk-theme";

const query = () => window.matchMedia?.("(prefers-color-scheme: dark)");

/** The stored choice ("system" when none or unreadable). */
export function storedTheme(): ThemeChoice {
  try {
    const v = localStorage.getItem(THEME_KEY);
    return v === "light" || v === "dark" ? v : "system";
  } catch {
    return "system";
  }
}

/** "light" or "dark" for a choice, asking the OS for "system". */
export function effectiveTheme(choice: ThemeChoice): "light" | "dark" {
  if (choice !== "system") return choice;
  return query()?.matches ? "dark" : "light";
}

/** Stores `choice` ("system" forgets it) and applies it to the document. */
export function setTheme(choice: ThemeChoice) {
  try {
    if (choice === "system") localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, choice);
  } catch {
    // No storage: the choice lasts for this run only.
  }
  applyTheme(choice);
}

export function applyTheme(choice: ThemeChoice) {
  document.documentElement.dataset.theme = effectiveTheme(choice);
}

/** Applies the stored choice now and follows the OS while the choice is "system"; returns the
 *  unsubscribe. */
export function followTheme(current: () => ThemeChoice): () => void {
  applyTheme(current());
  const q = query();
  const onChange = () => applyTheme(current());
  q?.addEventListener?.("change", onChange);
  return () => q?.removeEventListener?.("change", onChange);
}
