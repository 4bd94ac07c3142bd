// Sign in and register.

import { ApiError, post, session } from "../api.js";
import { field, h, showError } from "../dom.js";

export function authView(main, mode) {
  const registering = mode === "register";
  const name = h("input", { type: "text", autocomplete: "name", required: true, testid: "register-name" });
  const email = h("input", { type: "email", autocomplete: "email", required: true, testid: "login-email" });
  const password = h("input", {
    type: "password",
    autocomplete: registering ? "new-password" : "current-password",
    required: true,
    minlength: registering ? 8 : null,
    testid: "login-password",
  });
  const errors = h("div", { class: "error-slot", "aria-live": "polite" });
  const submit = h(
    "button",
    { type: "submit", class: "primary wide", testid: "login-submit" },
    registering ? "Create account" : "Sign in",
  );

  async function onSubmit(event) {
    event.preventDefault();
    submit.disabled = true;
    showError(errors, null);
    try {
      const body = registering
        ? { name: name.value.trim(), email: email.value.trim(), password: password.value }
        : { email: email.value.trim(), password: password.value };
      const answer = await post(registering ? "/api/auth/register" : "/api/auth/login", body);
      session.set({
        accessToken: answer.accessToken,
        refreshToken: answer.refreshToken,
        user: answer.user,
      });
      location.hash = "#/runs";
    } catch (error) {
      showError(errors, error instanceof ApiError ? error : new ApiError(0, { message: String(error) }));
    } finally {
      submit.disabled = false;
    }
  }

  main.classList.add("auth-page");
  main.append(
    h(
      "section",
      { class: "auth-card" },
      h("div", { class: "brand big" }, h("span", { class: "logo", "aria-hidden": "true" }), "Quarry"),
      h("h1", {}, registering ? "Create your account" : "Sign in"),
      h("p", { class: "muted" }, "Documents in, schema-shaped JSON out."),
      h(
        "form",
        { onsubmit: onSubmit, novalidate: false },
        registering ? field("Name", name) : null,
        field("Email", email),
        field("Password", password, registering ? "At least 8 characters." : null),
        errors,
        submit,
      ),
      h(
        "p",
        { class: "switch" },
        registering ? "Already have an account? " : "New here? ",
        h(
          "a",
          { href: registering ? "#/login" : "#/register", testid: registering ? "go-login" : "go-register" },
          registering ? "Sign in" : "Create an account",
        ),
      ),
    ),
  );
  (registering ? name : email).focus();
}
