// Login screen: OAuth2 password flow, the token goes to sessionStorage (api.login).

import * as api from "../api.js";
import { h, errorBox, field, heading } from "../dom.js";
import { t } from "../i18n.js";

export function renderLogin(main, { message = null, onLoggedIn }) {
  const username = h("input", { type: "text", name: "username", autocomplete: "username", autocapitalize: "none",
                                spellcheck: "false" });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password" });
  const status = h("div", { class: "form-status" });
  if (message) status.appendChild(message);
  const submit = h("button", { type: "submit", class: "button primary" }, t("login.submit"));

  const form = h("form", { class: "login-form", novalidate: true },
    field(t("login.username"), username, { required: true }),
    field(t("login.password"), password, { required: true }),
    h("div", { class: "actions" }, submit));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    if (!username.value.trim() || !password.value) {
      status.appendChild(errorBox({ message: t("login.required") }));
      (username.value.trim() ? password : username).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("login.busy");
    try {
      await api.login(username.value.trim(), password.value);
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t("login.submit");
      password.value = "";
      status.appendChild(errorBox(error));
      password.focus();
      return;
    }
    await onLoggedIn();
  });

  const title = heading(t("login.title"));
  main.appendChild(h("div", { class: "login-card" },
    title,
    h("p", { class: "lead" }, t("login.intro")),
    status,
    form));
  username.focus();
}
