/**
 * Signing in and out, as both Keel pages do it: the elements each page's index.html holds for it,
 * which of them show when signed in or out, and the API key kept in this tab's sessionStorage.
 */
import { byId } from './dom';

/** The sign-in view, the signed-in view and the header's session controls. */
export function sessionUi() {
  return {
    signinView: byId('signin-view', HTMLElement),
    signinForm: byId('signin-form', HTMLFormElement),
    signinMessage: byId('signin-message', HTMLElement),
    apiKey: byId('api-key', HTMLInputElement),
    appView: byId('app-view', HTMLElement),
    session: byId('session', HTMLElement),
    signOut: byId('sign-out', HTMLButtonElement),
  };
}
export type SessionUi = ReturnType<typeof sessionUi>;

/** Shows the sign-in view with `message` (none when empty), the key field empty and focused. */
export function showSignIn(ui: SessionUi, message: string): void {
  ui.appView.hidden = true;
  ui.session.hidden = true;
  ui.signinView.hidden = false;
  ui.signinMessage.textContent = message;
  ui.signinMessage.hidden = !message;
  ui.apiKey.value = '';
  ui.apiKey.focus();
}

/** Shows the signed-in view and the session controls. */
export function showApp(ui: SessionUi): void {
  ui.signinView.hidden = true;
  ui.signinMessage.hidden = true;
  ui.appView.hidden = false;
  ui.session.hidden = false;
}

/** The key in sessionStorage under `name`; with storage disabled it lives in memory only. */
export function keyStore(name: string): {
  read: () => string | null;
  write: (key: string | null) => void;
} {
  return {
    read: () => {
      try {
        return sessionStorage.getItem(name);
      } catch {
        return null;
      }
    },
    write: (key) => {
      try {
        if (key) sessionStorage.setItem(name, key);
        else sessionStorage.removeItem(name);
      } catch {
        // Storage disabled: the key lives in memory only.
      }
    },
  };
}
