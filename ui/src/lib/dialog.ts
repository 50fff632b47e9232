// Focus handling shared by the app's modal dialogs.
import { onDestroy } from "svelte";

/**
 * Keyboard users land back where they were: remembers the element that had focus when a
 * dialog component was created (the button that opened it) and focuses it again when the
 * component goes away (Escape, Cancel or confirm). While a modal `<dialog>` is open
 * everything outside it is inert, so focusing the opener during teardown can be silently
 * ignored (focus then ends on `<body>`): the dialog is closed first, and the focus is moved
 * once teardown has finished (a microtask), when the dialog is gone either way.
 * Call it while the component initialises.
 */
export function returnFocusOnClose(dialog: () => HTMLDialogElement | undefined): void {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  onDestroy(() => {
    const d = dialog();
    if (d?.open) d.close();
    queueMicrotask(() => {
      if (opener?.isConnected) opener.focus();
    });
  });
}

/**
 * Opens `dialog` as a modal scrolled to its top (what the action does and to whom comes
 * first), then focuses `focus` (e.g. the typed-confirmation field further down) without
 * scrolling it into view. A dialog taller than the window otherwise opens scrolled to
 * wherever its focused field is, hiding its first lines (issue 11: the revoke blast radius).
 */
export function showModalAtTop(dialog: HTMLDialogElement, focus?: HTMLElement | null): void {
  if (!dialog.open) dialog.showModal();
  focus?.focus({ preventScroll: true });
  dialog.scrollTop = 0;
  // Some engines scroll the focused control into view after showModal's own focus step.
  requestAnimationFrame(() => (dialog.scrollTop = 0));
}
