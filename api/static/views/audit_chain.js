// "Nhật ký kiểm tra": the tamper-evident audit chain — its head, the newest checkpoint kept outside the database,
// the last verification, and a button that recomputes the whole chain (POST /archive/audit/verify).

import * as api from "../api.js";
import { h, errorBox, formatNumber, heading, notice, table, timeElement } from "../dom.js";
import { lang, t } from "../i18n.js";

const count = (value) => formatNumber(value, 0);
const PROBLEMS = {
  content_changed: () => t("audit_chain.problem.content_changed"),
  link_broken: () => t("audit_chain.problem.link_broken"),
  unsealed: () => t("audit_chain.problem.unsealed"),
  checkpoint_mismatch: () => t("audit_chain.problem.checkpoint_mismatch"),
  tail_missing: () => t("audit_chain.problem.tail_missing"),
};
const problemLabel = (problem) => (PROBLEMS[problem] ? PROBLEMS[problem]() : String(problem));

function outcome(result) {
  if (result.intact) return notice(t("audit_chain.intact", { n: count(result.checked) }), "success");
  const where = result.first_broken_id != null ? t("audit_chain.first_broken", { id: result.first_broken_id }) : "";
  return notice(`${problemLabel(result.problem)} ${where}`.trim(), "error");
}

function statusTable(status) {
  const dash = t("app.dash");
  const last = status.last_verification;
  const rows = [
    [t("audit_chain.head"), h("span", {}, `#${status.head_id} `, h("code", {}, status.head_hash.slice(0, 16)))],
    [t("audit_chain.checkpoint"), status.checkpoint
      ? h("span", {}, `#${status.checkpoint.entry_id} · `, timeElement(status.checkpoint.at)) : dash],
    [t("audit_chain.last_verification"), last
      ? h("span", {}, timeElement(last.at), ` · ${last.username} · `,
        last.intact ? t("audit_chain.ok", { n: count(last.checked) })
          : `${problemLabel(last.problem)} ${last.first_broken_id != null
            ? t("audit_chain.first_broken", { id: last.first_broken_id }) : ""}`)
      : t("audit_chain.never")],
  ];
  return table(t("audit_chain.caption"), [t("audit_chain.what"), t("audit_chain.value")], rows);
}

export async function renderAuditChain(ctx) {
  const { main, stillCurrent } = ctx;
  main.appendChild(heading(t("audit_chain.title")));
  main.appendChild(h("p", { class: "lead" }, t("audit_chain.intro")));
  const state = h("div", { class: "results", "aria-busy": "true" }, h("p", { class: "loading" }, t("app.loading")));
  const result = h("div", { tabindex: "-1", "aria-live": "polite" });
  const run = h("button", { type: "button", class: "button" }, t("audit_chain.run"));
  main.append(state, h("p", {}, run), result);

  async function load() {
    try {
      const status = await api.get("/archive/audit");
      if (!stillCurrent()) return;
      state.replaceChildren(statusTable(status));
    } catch (error) {
      state.replaceChildren(errorBox(error));
    }
    state.removeAttribute("aria-busy");
  }

  run.addEventListener("click", async () => {
    run.disabled = true;
    result.replaceChildren(h("p", { class: "loading" }, t("audit_chain.running")));
    try {
      const { data: answer } = await api.request("/archive/audit/verify", { method: "POST" });
      if (!stillCurrent()) return;
      result.replaceChildren(outcome(answer), h("p", {}, lang() === "vi" ? answer.message_vi : answer.message_en));
      await load();
    } catch (error) {
      result.replaceChildren(errorBox(error));
    } finally {
      run.disabled = false;
      result.focus();
    }
  });
  await load();
}
